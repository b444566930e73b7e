#include "vzlvs/director_host/sync.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "vzlvs/director_host/fleet.hpp"
#include "vzlvs/director_host/keepalived.hpp"

namespace vzlvs {

namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A burst is cut into at most this many settle windows: changes that never stop are applied
// anyway, a few seconds late at most.
constexpr int kMaxSettleWindows = 10;
// Between attempts while etcd does not answer.
constexpr milliseconds kFirstBackoff{200}, kMaxBackoff{10000};

// Sleeps, but ends early once stopped(): a stop is never held up by a backoff.
void nap(milliseconds d, const std::function<bool()>& stopped) {
    const auto until = clock::now() + d;
    while (!stopped() && clock::now() < until)
        std::this_thread::sleep_for(
            std::min(milliseconds(100), std::chrono::ceil<milliseconds>(until - clock::now())));
}

}  // namespace

DirectorSync::DirectorSync(const Config& cfg, EtcdClient& etcd, Applier& apply)
    : keys_{cfg.director.prefix},
      name_(cfg.director_host.name),
      ttl_(cfg.director.lease_ttl),
      settle_(cfg.director_host.settle),
      etcd_(etcd),
      apply_(apply) {}

int64_t DirectorSync::lease() {
    if (lease_) return lease_;
    lease_ = etcd_.lease_grant(ttl_);
    etcd_.put(keys_.director(name_), to_json(StoredDirector{name_, apply_.name()}), lease_);
    spdlog::info("director {}: announced in etcd on lease {} ({} s)", name_, lease_, ttl_.count());
    return lease_;
}

void DirectorSync::renew() {
    if (lease_ && etcd_.lease_keepalive(lease_) > 0) return;
    if (lease_) spdlog::warn("director {}: lease {} expired; announced anew", name_, lease_);
    lease_ = 0;
    lease();  // the applied entries went with the old lease: the caller converges again
}

void DirectorSync::revoke() {
    if (!lease_) return;
    etcd_.lease_revoke(lease_);
    lease_ = 0;
}

bool DirectorSync::relevant(const std::string& key) const {
    const auto kind = keys_.parse(key).kind;
    return kind == EtcdKeys::Parsed::Kind::service || kind == EtcdKeys::Parsed::Kind::backend;
}

DirectorSync::Converged DirectorSync::converge() {
    Converged c;
    const Fleet fleet = read_fleet(etcd_, keys_);
    c.revision = fleet.revision;
    std::set<std::string> ignored(fleet.ignored.begin(), fleet.ignored.end());
    for (const auto& why : ignored)
        if (!ignored_logged_.count(why)) spdlog::warn("ignored: {}", why);
    ignored_logged_ = std::move(ignored);

    try {
        c.reloaded = apply_.apply(fleet);
        c.applied = true;
    } catch (const Error& e) {
        // Not applied: nothing is acknowledged, and the next change or retry tries again. Said
        // once, not at every retry.
        if (e.what() != last_apply_error_)
            spdlog::error("director {}: not applied: {}", name_, e.what());
        last_apply_error_ = e.what();
        return c;
    }
    if (!last_apply_error_.empty()) {
        spdlog::info("director {}: applied again", name_);
        last_apply_error_.clear();
    }

    // Publish what keepalived now holds; put only what differs, delete what went.
    const int64_t my_lease = lease();
    std::map<std::string, int> wanted;
    for (const auto& [sid, fs] : fleet.services)
        for (const auto& [bid, b] : fs.backends)
            wanted[keys_.applied(name_, sid, bid)] = Fleet::weight_of(b);
    const auto have = etcd_.get_prefix(keys_.applied_by(name_));
    std::map<std::string, const EtcdKv*> had;
    for (const auto& kv : have.kvs) had[kv.key] = &kv;
    std::vector<std::pair<std::string, std::string>> puts;
    std::vector<std::string> dels;
    for (const auto& [key, weight] : wanted) {
        const auto it = had.find(key);
        bool same = false;
        if (it != had.end() && it->second->lease == my_lease) {
            try {
                same = parse_applied(key, it->second->value) == weight;
            } catch (const Error&) {
            }
        }
        if (!same) puts.emplace_back(key, applied_json(weight));
    }
    for (const auto& [key, kv] : had)
        if (!wanted.count(key)) dels.push_back(key);
    // In batches: a director's start over 10,000 backends is 80 requests, not 10,000.
    etcd_.put_many(puts, my_lease);
    etcd_.del_many(dels);
    c.writes = static_cast<unsigned>(puts.size() + dels.size());
    if (c.reloaded || c.writes)
        spdlog::info("director {}: applied revision {} ({} services, {} entries updated{})", name_,
                     c.revision, fleet.services.size(), c.writes,
                     c.reloaded ? ", " + apply_.name() + " changed" : std::string());
    return c;
}

void DirectorSync::run(const std::function<bool()>& stopped) {
    const milliseconds renew_every = std::chrono::duration_cast<milliseconds>(ttl_) / 3;
    const milliseconds window = std::min(milliseconds(1000), renew_every);
    milliseconds backoff = kFirstBackoff;
    int64_t rev = 0;
    bool fresh = true;  // a full read is due: at start, after an error, after compaction
    auto renewed = clock::now();
    while (!stopped()) {
        try {
            if (clock::now() - renewed >= renew_every) {
                const int64_t before = lease_;
                renew();
                renewed = clock::now();
                if (lease_ != before) fresh = true;
            }
            if (fresh) {
                const Converged c = converge();
                rev = c.revision;
                fresh = !c.applied;  // not applied (keepalived down): tried again
                if (!last_error_.empty()) {
                    spdlog::info("director {}: etcd answers again", name_);
                    last_error_.clear();
                }
                backoff = kFirstBackoff;
                if (fresh) nap(window, stopped);
                continue;
            }
            bool changed = false;
            auto take = [&](const std::vector<EtcdEvent>& events, int64_t r) {
                rev = std::max(rev, r);
                for (const auto& e : events) changed = changed || relevant(e.kv.key);
                return true;
            };
            etcd_.watch_prefix(keys_.root(), rev + 1, window,
                               [&](const std::vector<EtcdEvent>& ev, int64_t r) {
                                   take(ev, r);
                                   return !changed;  // the burst's first change ends the wait
                               });
            if (!changed) continue;
            // The rest of the burst: windows of `settle` until one brings no change.
            for (int w = 0; w < kMaxSettleWindows && !stopped(); ++w) {
                changed = false;
                etcd_.watch_prefix(keys_.root(), rev + 1, settle_, take);
                if (!changed) break;
            }
            fresh = true;
        } catch (const std::exception& e) {
            // etcd unreachable, compacted, or refusing: keep what is applied, read it all again
            // once it answers.
            fresh = true;
            if (e.what() != last_error_) {
                spdlog::error("director {}: {}; keeping what is applied, retrying", name_,
                              e.what());
                last_error_ = e.what();
            }
            nap(backoff, stopped);
            backoff = std::min(backoff * 2, kMaxBackoff);
        }
    }
}

}  // namespace vzlvs
