// Registration of containers as LVS-TUN backends with a director over HTTP (docs/director-api.md).
// The flows talk to the Director seam; each director API dialect is one implementation.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/error.hpp"

namespace vzlvs {

struct DirectorSettings {
    std::string url;  // http:// only when explicitly asked for; https verifies the certificate
    std::string token_file, ca_file;
    std::chrono::milliseconds timeout{5000};  // per attempt, connect included
    int retries = 3;
    std::chrono::milliseconds drain{10000};
    std::chrono::milliseconds backoff{100};  // first retry delay; tests shorten it
};

struct ServiceSpec {
    std::string id, host;
    uint16_t port = 0;
    std::string protocol = "tcp";  // tcp|udp
    std::string scheduler = "wrr";
};

struct PulseSpec {
    std::string type = "tcp";  // tcp|http|none
    std::string interval = "5s";
    std::string path = "/";  // http only
    int expect = 200;        // http only
};

struct BackendSpec {
    std::string service_id, id, host;
    uint16_t port = 0;
    int weight = 1;  // as configured; the dialect scales it (see gorb_weight)
    std::string method = "tunnel";
    PulseSpec pulse;
};

enum class DiffKind {
    ok,
    missing,
    weight_differs,
    wrong_method,
    address_differs,
    pulse_differs,
    reduced_by_health,  // 0 < weight < wanted while the director's checks recover: not drift
    down,               // the director's health check fails: it holds the weight at 0
    service_missing,
    service_mismatch,
};

struct BackendDiff {
    DiffKind kind = DiffKind::ok;
    std::string detail;  // human-readable: what the director has against what it should have
};

const char* to_string(DiffKind kind);

enum class Change { unchanged, changed };

class Director {
  public:
    virtual ~Director() = default;
    // Creates the service when absent; throws DirectorError when it exists with other settings.
    virtual Change ensure_service(const ServiceSpec&) = 0;
    virtual BackendDiff diff_service(const ServiceSpec&) = 0;  // read-only
    // Creates or repairs the backend so that re-running it is a no-op.
    virtual Change ensure_backend(const BackendSpec&) = 0;
    virtual BackendDiff diff(const BackendSpec&) = 0;               // read-only
    virtual Change set_weight(const BackendSpec&, int weight) = 0;  // configured units; 0 drains
    virtual Change remove_backend(const BackendSpec&) = 0;          // absent → unchanged
};

// What the director answered (status ≠ 0) or why it did not (status 0: connection, timeout,
// TLS, malformed reply). what() names method, path, status and the director's error text.
class DirectorError : public Error {
  public:
    DirectorError(std::string method, std::string path, long status, std::string director_message,
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

// "<node>-<ctid>-<service>": unique across nodes and services, as gorb keys backends globally.
// Throws UsageError if the result is not a valid ID.
std::string backend_id(const std::string& node, const std::string& ctid,
                       const std::string& service);

// IDs go into URL paths: [A-Za-z0-9._-]{1,128}, and not "." or "..". Throws UsageError.
void validate_director_id(const std::string& what, const std::string& id);
bool is_valid_director_id(const std::string& id);

// Drain: weight 0, wait `drain` for established connections to finish, then DELETE. The wait
// is injectable so tests do not sleep. A backend that is already gone is not an error.
using DrainWait = std::function<void(std::chrono::milliseconds)>;
Change drain_and_remove(Director&, const BackendSpec&, std::chrono::milliseconds drain,
                        const DrainWait& wait = {});

}  // namespace vzlvs
