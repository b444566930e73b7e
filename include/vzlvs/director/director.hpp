// Registration of containers as LVS-TUN backends with a director (docs/director-api.md). The
// flows talk to the Director seam in these transport-free terms; each director API dialect is
// one folder below provisioner/director/ and one row in director_dialects().
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vzlvs/base/error.hpp"
#include "vzlvs/config/config.hpp"

namespace vzlvs {

struct ServiceSpec {
    std::string id, host;
    uint16_t port = 0;
    std::string protocol = "tcp";  // tcp|udp
    std::string scheduler = "wrr";
    std::string method = "tunnel";
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
    std::string node, ct;  // who registers it: stored by dialects that keep it (etcd)
    // The node's probe through the tunnel before registering, when it ran one.
    std::optional<bool> probe_ok;
    int64_t probe_at = 0;  // Unix seconds
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
    not_applied,    // stored, but a director has not applied it (or applied another weight)
    lease_differs,  // on a lease this node does not renew: it would vanish when that expires
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
    // Whether a registration just made may be undone by the director's own health checks, so
    // that whoever made it (the hook worker) looks again once per check interval for a while.
    virtual bool revisits_registration() const { return false; }
    // Whether a change is applied by the directors after the call returns (etcd: each director
    // converges from the store), so that reading it back at once may not show it yet.
    virtual bool applies_later() const { return false; }

    // Drain: after weight 0, how long to wait before the backend is removed, and why it is
    // long enough. By default the whole `drain`; a dialect that can see each director apply
    // the weight (etcd) stops as soon as every one has, and says which it was.
    virtual std::string wait_drained(const BackendSpec&, std::chrono::milliseconds drain,
                                     const std::function<void(std::chrono::milliseconds)>& wait);

    // Registrations that expire unless renewed (etcd's lease): how often `watch` renews them
    // (0: never needed), and the renewal. renew() returns false when they had already expired,
    // so that they must be made again.
    virtual std::chrono::milliseconds renew_every() const { return std::chrono::milliseconds(0); }
    virtual bool renew() { return true; }
    // For check: whether the registrations outlive this run (ok) and why; nullopt when the
    // dialect's do not expire.
    virtual std::optional<BackendDiff> keepalive_state() { return std::nullopt; }
};

// Why a director call did not do what was asked, in terms every dialect shares; what() says
// it all in the dialect's own words (request, status, the director's text).
class DirectorError : public Error {
  public:
    enum class Reason {
        unreachable,  // no answer: connection, timeout, TLS, malformed or oversized reply
        not_found,    // the service or backend is not there
        refused,      // the director answered no (a conflict, a bad request, its own failure)
    };
    DirectorError(Reason reason, const std::string& what) : Error(what), reason_(reason) {}
    Reason reason() const { return reason_; }

  private:
    Reason reason_;
};

// "<node>-<ctid>-<service>": unique across nodes and services, as gorb keys backends globally.
// Throws UsageError if the result is not a valid ID.
std::string backend_id(const std::string& node, const std::string& ctid,
                       const std::string& service);

// IDs go into URL paths: [A-Za-z0-9._-]{1,128}, and not "." or "..". Throws UsageError.
void validate_director_id(const std::string& what, const std::string& id);
bool is_valid_director_id(const std::string& id);

// Drain: weight 0, wait `drain` for established connections to finish, then remove it. The wait
// is injectable so tests do not sleep. A backend that is already gone is not an error.
// Returns what was done, e.g. "drained (confirmed weight 0 on dir1, dir2 after 0.6 s) and
// removed"; nullopt when the backend was not registered.
using DrainWait = std::function<void(std::chrono::milliseconds)>;
std::optional<std::string> drain_and_remove(Director&, const BackendSpec&,
                                            std::chrono::milliseconds drain,
                                            const DrainWait& wait = {});

// One director API dialect: the [director] api word that selects it, and how it is made
// (from the whole config: a dialect may keep state under [node] state_dir).
struct DirectorDialect {
    std::string api;
    std::function<std::unique_ptr<Director>(const Config&)> make;
};

// The dialects vzlvs speaks, one row each (director/dialects.cpp).
const std::vector<DirectorDialect>& director_dialects();

// The director [director] names: nullptr when none is configured; throws UsageError for an api
// no dialect has, or settings the dialect cannot use (URL, token or CA file).
std::unique_ptr<Director> make_director(const Config&,
                                        const std::vector<DirectorDialect>& = director_dialects());

}  // namespace vzlvs
