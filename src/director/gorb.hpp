// The gorb dialect of the director seam (docs/director-api.md): gorb's REST API over one
// keep-alive libcurl handle.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "director/director.hpp"

namespace vzlvs {

std::unique_ptr<Director> make_gorb_director(const DirectorSettings&);

// gorb's pulse recovery sets weight = int32(weight × health); a configured weight of 1 would
// drop to 0 after a single failed check. Configured weights are multiplied by this factor
// (IPVS weights are relative, so the balance is unchanged).
inline constexpr int kGorbWeightScale = 100;
int gorb_weight(int configured);  // throws UsageError when out of range

// How a GET reply compares with what vzlvs wants, pure so that tests and the fuzzer reach it.
// fetch_service: the service's GET reply (nullopt on 404), needed only when the reply does
// not name its service. Throws DirectorError for a reply that lacks the weight.
BackendDiff gorb_service_diff(const nlohmann::json& reply, const ServiceSpec& spec);
BackendDiff gorb_backend_diff(const nlohmann::json& reply, const BackendSpec& spec,
                              const std::function<std::optional<nlohmann::json>()>& fetch_service);

// The request bodies the gorb dialect sends (JSON text), exposed for unit tests.
std::string gorb_service_body(const ServiceSpec&);
std::string gorb_backend_body(const BackendSpec&);

}  // namespace vzlvs
