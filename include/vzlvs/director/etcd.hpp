// An etcd v3 client over etcd's JSON gateway (/v3/kv/..., /v3/lease/..., /v3/watch): what the
// etcd director dialect (node side) and `vzlvs director` (director side) speak. No gRPC: libcurl
// and nlohmann-json, one keep-alive connection per endpoint, failover between endpoints.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vzlvs/config/config.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs {

struct EtcdSettings {
    std::vector<std::string> endpoints;  // "http://10.0.0.1:2379"; tried in order, failing over
    std::string ca_file, cert_file, key_file;  // TLS; empty: system CAs, no client certificate
    std::string user, password_file;           // auth; empty user: none
    std::chrono::milliseconds timeout{5000};
    int retries = 1;                      // extra attempts per endpoint
    std::size_t max_response = 64 << 20;  // a director's range read of a whole fleet
};

EtcdSettings etcd_settings(const DirectorConfig&);

struct EtcdKv {
    std::string key, value;
    int64_t create_revision = 0, mod_revision = 0, lease = 0;
};

struct EtcdEvent {
    bool deleted = false;
    EtcdKv kv;
};

// etcd answered with an error (status ≠ 0, its code and message), or no endpoint answered
// (status 0). what() names the request, the endpoint(s) and etcd's words; never the password.
class EtcdError : public DirectorError {
  public:
    EtcdError(Reason reason, const std::string& what, long status = 0, int code = 0)
        : DirectorError(reason, what), status_(status), code_(code) {}
    long status() const { return status_; }
    int code() const { return code_; }  // gRPC code: 5 not found, 11 out of range, 16 auth

  private:
    long status_;
    int code_;
};

class EtcdClient {
  public:
    // Throws UsageError for no endpoint, a bad URL, or an unreadable/unsafe password file.
    explicit EtcdClient(EtcdSettings settings);
    ~EtcdClient();
    EtcdClient(const EtcdClient&) = delete;
    EtcdClient& operator=(const EtcdClient&) = delete;

    struct Range {
        int64_t revision = 0;  // the store's revision the read was made at
        std::vector<EtcdKv> kvs;
    };
    Range get(const std::string& key);
    Range get_prefix(const std::string& prefix, bool keys_only = false);
    // Every key under each prefix, all read at one revision (one txn).
    Range get_prefixes(const std::vector<std::string>& prefixes);
    // Several keys read at one revision in one request (a txn of range ops).
    std::vector<std::optional<EtcdKv>> get_many(const std::vector<std::string>& keys,
                                                int64_t* revision = nullptr);
    void put(const std::string& key, const std::string& value, int64_t lease = 0);
    // Puts only if the key does not exist; otherwise returns what is there.
    std::optional<EtcdKv> put_if_absent(const std::string& key, const std::string& value,
                                        int64_t lease = 0);
    // Many puts (all on one lease) and deletes in as few requests as etcd takes (txns of at
    // most 128 operations, each applied whole).
    void put_many(const std::vector<std::pair<std::string, std::string>>& kvs, int64_t lease = 0);
    void del_many(const std::vector<std::string>& keys);
    int64_t del(const std::string& key);  // how many were deleted
    int64_t del_prefix(const std::string& prefix);

    int64_t lease_grant(std::chrono::seconds ttl);
    // Seconds left after renewing; 0 when the lease is gone (expired or revoked).
    int64_t lease_keepalive(int64_t id);
    // Seconds left without renewing; -1 when the lease is gone.
    int64_t lease_time_to_live(int64_t id);
    void lease_revoke(int64_t id);  // a lease already gone is not an error

    // Watches keys under prefix from start_revision for at most `duration`. on_events gets each
    // batch with the revision it brings the watcher to, and returns false to stop. Returns the
    // last revision seen (0: none). Throws EtcdError with code 11 when start_revision was
    // compacted (the caller reads the whole range again), or when no endpoint answers.
    int64_t watch_prefix(
        const std::string& prefix, int64_t start_revision, std::chrono::milliseconds duration,
        const std::function<bool(const std::vector<EtcdEvent>&, int64_t revision)>& on_events);

    // Requests sent (puts, deletes, reads...), for tests that count a run's writes.
    struct Counts {
        unsigned reads = 0, writes = 0;
    };
    const Counts& counts() const;
    const EtcdSettings& settings() const { return settings_; }

  private:
    struct Impl;
    EtcdSettings settings_;
    std::unique_ptr<Impl> impl_;
};

// The end of the key range that holds every key starting with prefix (etcd's range_end).
std::string etcd_prefix_end(const std::string& prefix);

// base64 as etcd's JSON gateway encodes keys and values.
std::string base64_encode(const std::string& bytes);
// Throws Error for text that is not base64.
std::string base64_decode(const std::string& text);

}  // namespace vzlvs
