// The node's side of the etcd layout. Every write reads first and puts only what differs, so a
// second run makes no write. The lease is the node's: its ID is kept in state_dir/etcd-lease,
// made under a lock by whoever needs it first, and renewed by `vzlvs watch` alone.
#include "director/etcd/etcd_director.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <map>
#include <optional>

#include "vzlvs/base/files.hpp"
#include "vzlvs/base/lock.hpp"
#include "vzlvs/base/state_dir.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/director/etcd.hpp"
#include "vzlvs/director/etcd_layout.hpp"

namespace vzlvs {

namespace {

using std::chrono::milliseconds;

// How long a lease-making run waits for another that is making one.
constexpr milliseconds kLeaseLockWait{5000};
// How often a drain looks at the directors' acknowledgements.
constexpr milliseconds kDrainPoll{100};

StoredBackend stored_of(const BackendSpec& b) {
    StoredBackend s;
    s.host = b.host;
    s.port = b.port;
    s.weight = b.weight;
    s.method = b.method;
    s.node = b.node;
    s.ct = b.ct;
    s.state = b.weight == 0 ? "draining" : "active";
    s.check.type = b.pulse.type;
    s.check.path = b.pulse.path;
    s.check.expect = b.pulse.expect;
    int interval = 5;
    try {
        interval = std::stoi(b.pulse.interval);  // "5s"
    } catch (const std::exception&) {
    }
    s.check.interval_s = interval;
    s.probe_ok = b.probe_ok;
    s.probe_at = b.probe_at;
    return s;
}

StoredService stored_of(const ServiceSpec& s) {
    return {s.host, s.port, s.protocol, s.scheduler, s.method};
}

std::string describe(const StoredService& s) {
    return s.vip + ":" + std::to_string(s.port) + "/" + s.protocol + " " + s.scheduler + " " +
           s.method;
}

std::string weight_text(const StoredBackend& b) {
    return "weight " + std::to_string(b.weight) + (b.state == "draining" ? " (draining)" : "");
}

std::string seconds_text(milliseconds ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
    return buf;
}

class EtcdDirector final : public Director {
  public:
    explicit EtcdDirector(const Config& cfg)
        : keys_{cfg.director.prefix},
          etcd_(etcd_settings(cfg.director)),
          state_dir_(cfg.node.state_dir),
          ttl_(cfg.director.lease_ttl) {}

    BackendDiff diff_service(const ServiceSpec& spec) override {
        validate_director_id("service ID", spec.id);
        const std::string key = keys_.service(spec.id);
        const auto r = etcd_.get(key);
        if (r.kvs.empty())
            return {DiffKind::service_missing, "service " + spec.id + " is not in etcd"};
        const StoredService got = parse_service(key, r.kvs.front().value);
        const StoredService want = stored_of(spec);
        if (got == want) return {DiffKind::ok, describe(got)};
        return {DiffKind::service_mismatch,
                "etcd has " + describe(got) + ", the config says " + describe(want)};
    }

    Change ensure_service(const ServiceSpec& spec) override {
        validate_director_id("service ID", spec.id);
        const std::string key = keys_.service(spec.id);
        const StoredService want = stored_of(spec);
        // Read first: a converged run makes no write, not even a txn that changes nothing.
        auto r = etcd_.get(key);
        if (r.kvs.empty()) {
            const auto there = etcd_.put_if_absent(key, to_json(want));
            if (!there) {
                spdlog::info("director: created service {} in etcd ({})", spec.id, describe(want));
                return Change::changed;
            }
            r.kvs = {*there};  // another node created it meanwhile: compare theirs
        }
        const StoredService got = parse_service(key, r.kvs.front().value);
        if (got == want) return Change::unchanged;
        throw EtcdError(DirectorError::Reason::refused,
                        "service " + spec.id + " exists in etcd (" + key + ") as " + describe(got) +
                            ", the config says " + describe(want) +
                            "; vzlvs does not change an existing service: fix the config or "
                            "the store",
                        409);
    }

    BackendDiff diff(const BackendSpec& spec) override {
        validate(spec);
        const std::string key = keys_.backend(spec.service_id, spec.id);
        const auto r = etcd_.get(key);
        if (r.kvs.empty()) return {DiffKind::missing, spec.id + " is not in etcd"};
        const EtcdKv& kv = r.kvs.front();
        StoredBackend got;
        try {
            got = parse_backend(key, kv.value);
        } catch (const Error& e) {
            return {DiffKind::address_differs, e.what()};
        }
        const StoredBackend want = stored_of(spec);
        if (got.host != want.host || got.port != want.port || got.node != want.node ||
            got.ct != want.ct)
            return {DiffKind::address_differs,
                    "etcd has " + got.host + ":" + std::to_string(got.port) + " of " + got.node +
                        " CT " + got.ct + ", wanted " + want.host + ":" +
                        std::to_string(want.port) + " of " + want.node + " CT " + want.ct};
        if (got.method != want.method)
            return {DiffKind::wrong_method,
                    "method " + got.method + " in etcd, " + want.method + " wanted"};
        if (got.weight != want.weight || got.state != want.state)
            return {DiffKind::weight_differs,
                    weight_text(got) + " in etcd, " + weight_text(want) + " wanted"};
        if (!(got.check == want.check))
            return {DiffKind::pulse_differs,
                    "health check " + got.check.type + " in etcd, " + want.check.type + " wanted"};
        const auto mine = known_lease();
        if (!mine || kv.lease != *mine)
            return {DiffKind::lease_differs,
                    "on lease " + std::to_string(kv.lease) +
                        (mine ? ", not this node's " + std::to_string(*mine)
                              : ", and this node has none") +
                        ": it vanishes when that lease expires"};
        return applied_diff(spec, want.weight);
    }

    Change ensure_backend(const BackendSpec& spec) override {
        validate(spec);
        return put_backend(spec, stored_of(spec), false);
    }

    Change set_weight(const BackendSpec& spec, int weight) override {
        validate(spec);
        BackendSpec w = spec;
        w.weight = weight;
        return put_backend(w, stored_of(w), true);
    }

    Change remove_backend(const BackendSpec& spec) override {
        validate(spec);
        return etcd_.del(keys_.backend(spec.service_id, spec.id)) > 0 ? Change::changed
                                                                      : Change::unchanged;
    }

    std::string wait_drained(const BackendSpec& spec, milliseconds drain,
                             const std::function<void(milliseconds)>& wait) override {
        milliseconds waited{0};
        for (;;) {
            const BackendDiff d = applied_diff(spec, 0);
            if (d.kind == DiffKind::ok)
                return "drained (" + d.detail + " after " + seconds_text(waited) + ")";
            if (waited >= drain)
                return "drain ran out after " + seconds_text(waited) + " (" + d.detail + ")";
            const milliseconds step = std::min(kDrainPoll, drain - waited);
            wait(step);
            waited += step;
        }
    }

    bool applies_later() const override { return true; }

    milliseconds renew_every() const override {
        return std::chrono::duration_cast<milliseconds>(ttl_) / 3;
    }

    bool renew() override {
        const auto id = known_lease();
        if (id && etcd_.lease_keepalive(*id) > 0) return true;
        lease_ = 0;
        const int64_t fresh = lease();
        spdlog::warn("etcd: {} expired: registrations go on lease {}",
                     id ? "lease " + std::to_string(*id) : std::string("no lease yet"), fresh);
        return false;
    }

    std::optional<BackendDiff> keepalive_state() override {
        const auto id = known_lease();
        if (!id)
            return BackendDiff{DiffKind::missing,
                               "no lease yet (" + lease_path().string() +
                                   "): the first registration makes one, and vzlvs watch "
                                   "must run to keep it alive"};
        const int64_t left = etcd_.lease_time_to_live(*id);
        if (left <= 0)
            return BackendDiff{DiffKind::missing,
                               "lease " + std::to_string(*id) +
                                   " expired: this node's backends are gone from etcd; start "
                                   "vzlvs watch (it renews the lease and registers them again)"};
        return BackendDiff{DiffKind::ok,
                           "lease " + std::to_string(*id) + ": " + std::to_string(left) + " s of " +
                               std::to_string(ttl_.count()) + " s left (vzlvs watch renews it)"};
    }

  private:
    static void validate(const BackendSpec& spec) {
        validate_director_id("service ID", spec.service_id);
        validate_director_id("backend ID", spec.id);
    }

    std::filesystem::path lease_path() const { return state_dir_ / "etcd-lease"; }

    // The lease in state_dir, whether or not it is still alive; nothing is made.
    std::optional<int64_t> known_lease() const {
        if (lease_) return lease_;
        const auto text = read_file(lease_path());
        if (!text) return std::nullopt;
        try {
            std::size_t used = 0;
            const long long id = std::stoll(trim(*text), &used);
            if (id > 0) return id;
        } catch (const std::exception&) {
        }
        spdlog::warn("etcd: {} holds no lease ID: a new lease replaces it", lease_path().string());
        return std::nullopt;
    }

    // The node's live lease: the one in state_dir, or a new one kept there.
    int64_t lease() {
        if (lease_) return lease_;
        CtLock lock(state_dir_, "etcd-lease", kLeaseLockWait);
        if (const auto id = known_lease(); id && etcd_.lease_time_to_live(*id) > 0)
            return lease_ = *id;
        lease_ = etcd_.lease_grant(ttl_);
        ensure_private_dir(state_dir_);
        atomic_write(lease_path(), std::to_string(lease_) + "\n", 0600);
        spdlog::info("etcd: granted lease {} ({} s) for this node's backends", lease_,
                     ttl_.count());
        return lease_;
    }

    Change put_backend(const BackendSpec& spec, const StoredBackend& want, bool must_exist) {
        const std::string key = keys_.backend(spec.service_id, spec.id);
        const auto r = etcd_.get(key);
        if (r.kvs.empty() && must_exist)
            throw EtcdError(DirectorError::Reason::not_found, spec.id + " is not in etcd", 404);
        if (!r.kvs.empty()) {
            try {
                const StoredBackend got = parse_backend(key, r.kvs.front().value);
                const auto mine = known_lease();
                if (got.same_as(want) && mine && r.kvs.front().lease == *mine)
                    return Change::unchanged;
            } catch (const Error&) {
                // unreadable: written anew below
            }
        }
        StoredBackend put = want;
        if (put.probe_ok && put.probe_at == 0) put.probe_at = std::time(nullptr);
        etcd_.put(key, to_json(put), lease());
        return Change::changed;
    }

    // Whether every live director applied `wanted` for this backend: ok names them, not_applied
    // names those that did not ("not applied on dir2", "weight 100 on dir1, 0 wanted").
    BackendDiff applied_diff(const BackendSpec& spec, int wanted) {
        std::vector<std::string> names;
        for (const auto& kv : etcd_.get_prefix(keys_.directors(), true).kvs) {
            const auto p = keys_.parse(kv.key);
            if (p.kind == EtcdKeys::Parsed::Kind::director) names.push_back(p.director);
        }
        if (names.empty())
            return {DiffKind::ok, "in etcd; no director runs `vzlvs director` to apply it"};
        std::vector<std::string> keys;
        for (const auto& n : names) keys.push_back(keys_.applied(n, spec.service_id, spec.id));
        const auto got = etcd_.get_many(keys);
        std::vector<std::string> wrong;
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (!got[i]) {
                // A director without the backend sends it nothing: drained there.
                if (wanted != 0) wrong.push_back("not applied on " + names[i]);
                continue;
            }
            int w = -1;
            try {
                w = parse_applied(keys[i], got[i]->value);
            } catch (const Error& e) {
                wrong.push_back(e.what());
                continue;
            }
            if (w != wanted)
                wrong.push_back("weight " + std::to_string(w) + " on " + names[i] + ", " +
                                std::to_string(wanted) + " wanted");
        }
        if (!wrong.empty()) return {DiffKind::not_applied, join(wrong, "; ")};
        return {DiffKind::ok, "weight " + std::to_string(wanted) + " on " + join(names, ", ")};
    }

    EtcdKeys keys_;
    EtcdClient etcd_;
    std::filesystem::path state_dir_;
    std::chrono::seconds ttl_;
    int64_t lease_ = 0;  // known alive in this run
};

}  // namespace

std::unique_ptr<Director> make_etcd_director(const Config& cfg) {
    return std::make_unique<EtcdDirector>(cfg);
}

}  // namespace vzlvs
