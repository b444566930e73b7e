// The etcd key layout, version 1: a contract that other tools may read (docs/director-api.md).
// Nodes write services and backends; each director writes what it applied and that it lives.
//
//   <prefix>/v1/services/<service>                {vip, port, protocol, scheduler, method}
//   <prefix>/v1/backends/<service>/<backend-id>   {host, port, weight, method, node, ct, state,
//                                                  check, probe}      on the node's lease
//   <prefix>/v1/directors/<director>              {name, apply}       on the director's lease
//   <prefix>/v1/applied/<director>/<service>/<backend-id>  {weight}   on the director's lease
//
// Values are JSON objects; readers ignore members they do not know, so that v1 can grow.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vzlvs {

struct EtcdKeys {
    std::string prefix = "/vzlvs";  // no trailing '/'

    std::string root() const { return prefix + "/v1/"; }
    std::string services() const { return root() + "services/"; }
    std::string service(const std::string& s) const { return services() + s; }
    std::string backends() const { return root() + "backends/"; }
    std::string backend(const std::string& s, const std::string& id) const {
        return backends() + s + "/" + id;
    }
    std::string directors() const { return root() + "directors/"; }
    std::string director(const std::string& d) const { return directors() + d; }
    std::string applied() const { return root() + "applied/"; }
    std::string applied_by(const std::string& d) const { return applied() + d + "/"; }
    std::string applied(const std::string& d, const std::string& s, const std::string& id) const {
        return applied_by(d) + s + "/" + id;
    }

    // What a key under root() names; kind none for anything else (another version, a typo).
    struct Parsed {
        enum class Kind { none, service, backend, director, applied } kind = Kind::none;
        std::string service, backend, director;
    };
    Parsed parse(const std::string& key) const;
};

struct StoredService {
    std::string vip;
    uint16_t port = 0;
    std::string protocol = "tcp", scheduler = "wrr", method = "tunnel";
};

struct StoredCheck {
    std::string type = "tcp";  // tcp | http | none
    std::string path = "/";
    int expect = 200;
    int interval_s = 5;
};

struct StoredBackend {
    std::string host;
    uint16_t port = 0;
    int weight = 1;
    std::string method = "tunnel";
    std::string node, ct;
    std::string state = "active";  // active | draining
    StoredCheck check;
    std::optional<bool> probe_ok;  // the node's probe through the tunnel, when it ran one
    int64_t probe_at = 0;          // its time, Unix seconds
    // Same registration: the probe's result and time are news, not a difference.
    bool same_as(const StoredBackend& o) const;
};

bool operator==(const StoredService&, const StoredService&);
bool operator==(const StoredCheck&, const StoredCheck&);

struct StoredDirector {
    std::string name, apply;
};

// JSON text with sorted members, so that the same value is always the same bytes.
std::string to_json(const StoredService&);
std::string to_json(const StoredBackend&);
std::string to_json(const StoredDirector&);
std::string applied_json(int weight);

// Parse a stored value; throw Error naming the key and what is wrong. Values come from a store
// that anyone with write access may fill: every field is checked, sizes are bounded.
StoredService parse_service(const std::string& key, const std::string& value);
StoredBackend parse_backend(const std::string& key, const std::string& value);
StoredDirector parse_director(const std::string& key, const std::string& value);
int parse_applied(const std::string& key, const std::string& value);

}  // namespace vzlvs
