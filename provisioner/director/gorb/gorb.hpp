// The gorb dialect of the director seam (docs/director-api.md): gorb's REST API over one
// keep-alive libcurl handle.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "director/http/http_client.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs {

// The transport settings [director] gives: URL, token, CA file, timeout and retries.
HttpSettings gorb_http_settings(const DirectorConfig&);
std::unique_ptr<Director> make_gorb_director(const DirectorConfig&);
std::unique_ptr<Director> make_gorb_director(HttpSettings);  // tests shorten the backoff

// What gorb answered (status ≠ 0) or why it did not (status 0: connection, timeout, TLS,
// malformed reply). what() names method, path, status and the director's error text; the
// reason maps 0 to unreachable, 404 to not_found and anything else to refused.
class GorbError : public DirectorError {
  public:
    GorbError(std::string method, std::string path, long status, std::string director_message,
              const std::string& context = {});
    const std::string& method() const { return method_; }
    const std::string& path() const { return path_; }
    long status() const { return status_; }
    const std::string& director_message() const { return director_message_; }

  private:
    std::string method_, path_;
    long status_;
    std::string director_message_;
};

// gorb's pulse recovery sets weight = int32(weight × health); a configured weight of 1 would
// drop to 0 after a single failed check. Configured weights are multiplied by this factor
// (IPVS weights are relative, so the balance is unchanged).
inline constexpr int kGorbWeightScale = 100;
int gorb_weight(int configured);  // throws UsageError when out of range

// How a GET reply compares with what vzlvs wants, pure so that tests and the fuzzer reach it.
// fetch_service: the service's GET reply (nullopt on 404), needed only when the reply does
// not name its service. Throws GorbError for a reply that lacks the weight.
BackendDiff gorb_service_diff(const nlohmann::json& reply, const ServiceSpec& spec);
BackendDiff gorb_backend_diff(const nlohmann::json& reply, const BackendSpec& spec,
                              const std::function<std::optional<nlohmann::json>()>& fetch_service);

// The request bodies the gorb dialect sends (JSON text), exposed for unit tests.
std::string gorb_service_body(const ServiceSpec&);
std::string gorb_backend_body(const BackendSpec&);

}  // namespace vzlvs
