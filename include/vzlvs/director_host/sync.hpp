// `vzlvs director`: converges this LVS director from the etcd layout (docs/commands/director.md).
// It reads the whole fleet, applies it (keepalived: one include file, one reload per burst),
// and publishes what it applied under its own lease, where the nodes look for it. Then it
// watches the prefix and does it again after each burst of changes. When etcd cannot be
// reached it keeps what it applied and retries: a director is never emptied because the store
// is briefly gone.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "vzlvs/config/config.hpp"
#include "vzlvs/director/etcd.hpp"
#include "vzlvs/director/etcd_layout.hpp"
#include "vzlvs/director_host/applier.hpp"

namespace vzlvs {

class DirectorSync {
  public:
    DirectorSync(const Config& cfg, EtcdClient& etcd, Applier& apply);

    struct Converged {
        int64_t revision = 0;
        bool applied = false;   // this director serves the fleet (changed now or already)
        bool reloaded = false;  // changed now (keepalived: asked to reload)
        unsigned writes = 0;    // applied entries put or deleted
    };
    // Reads the fleet, applies it, publishes the applied entries (only those that differ).
    Converged converge();

    // Its lease: made (and the director announced on it) at first use; renewed; revoked at a
    // clean stop, which takes its applied entries with it.
    void renew();
    void revoke();

    // Runs until stopped() (checked at least once a second).
    void run(const std::function<bool()>& stopped);

    const std::string& name() const { return name_; }

  private:
    int64_t lease();
    bool relevant(const std::string& key) const;

    EtcdKeys keys_;
    std::string name_;
    std::chrono::seconds ttl_;
    std::chrono::milliseconds settle_;
    EtcdClient& etcd_;
    Applier& apply_;
    int64_t lease_ = 0;
    std::set<std::string> ignored_logged_;
    std::string last_error_, last_apply_error_;  // logged once each until they change
};

}  // namespace vzlvs
