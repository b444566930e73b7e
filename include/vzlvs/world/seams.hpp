// The outside world one run acts on: one object per outside system, each behind its
// interface. Made lazily from the configuration — a converged `check` that needs no director
// never opens a connection, a hook for an unmanaged CT builds nothing — unless a test hands
// in its own (tests/fakes/).
#pragma once

#include <memory>
#include <optional>

#include "vzlvs/base/process.hpp"
#include "vzlvs/config/config.hpp"
#include "vzlvs/ct/ct_net.hpp"
#include "vzlvs/ct/manager.hpp"
#include "vzlvs/director/director.hpp"
#include "vzlvs/net/arpguard.hpp"
#include "vzlvs/net/arpguard_cache.hpp"
#include "vzlvs/net/netlink.hpp"
#include "vzlvs/net/netlink_cache.hpp"
#include "vzlvs/net/node_system.hpp"
#include "vzlvs/net/tunnel_probe.hpp"

namespace vzlvs {

class Seams {
  public:
    // Parts a test lends (the caller keeps them alive); any left null is made from the
    // configuration at first use and owned here.
    struct Parts {
        ProcessRunner* runner = nullptr;
        ContainerManager* containers = nullptr;
        Netlink* netlink = nullptr;
        ArpGuard* guard = nullptr;
        CtNet* ct_net = nullptr;
        Director* director = nullptr;
        TunnelProber* prober = nullptr;
        NodeSystem* node_system = nullptr;
        // The director dialects make_director() chooses from; null: director_dialects().
        const std::vector<DirectorDialect>* dialects = nullptr;
    };

    explicit Seams(const Config& cfg) : cfg_(cfg) {}
    Seams(const Config& cfg, Parts lent) : cfg_(cfg), p_(lent), director_made_(lent.director) {}

    // One-shot commands: node reads (netlink tables, the ARP guard) are made once and reused until
    // forget_node_reads(), which every change calls. Before the first netlink() use; a
    // long-running caller (hook worker, watch) leaves it off and reads afresh each time.
    void cache_node_reads() { cache_node_reads_ = true; }
    void forget_node_reads();
    // Only the container manager's reads (configs, running state).
    void forget_ct_reads();

    ProcessRunner& runner();
    ContainerManager& containers();
    Netlink& netlink();  // the node's namespace
    ArpGuard& guard();
    // What the guard holds: the cached copy where node reads are cached, else a fresh read
    // (kept until the next call). A reference: copying a guard of N VIPs for each of N CTs
    // costs N².
    const GuardState& guard_state();
    CtNet& ct_net();
    Director* director();  // nullptr when [director] has no url
    TunnelProber& prober();
    NodeSystem& node_system();

  private:
    template <typename T, typename Make>
    static T& use(T*& part, std::unique_ptr<T>& owned, Make make) {
        if (!part) {
            owned = make();
            part = owned.get();
        }
        return *part;
    }

    const Config& cfg_;
    Parts p_;
    bool director_made_ = false;
    bool cache_node_reads_ = false;
    std::unique_ptr<CachingNetlink> cached_netlink_;
    std::unique_ptr<CachingArpGuard> cached_guard_;
    std::optional<GuardState> fresh_guard_state_;
    std::unique_ptr<ProcessRunner> runner_;
    std::unique_ptr<ContainerManager> containers_;
    std::unique_ptr<Netlink> netlink_;
    std::unique_ptr<ArpGuard> guard_;
    std::unique_ptr<CtNet> exec_ct_net_;  // HostCtNet's way for what it cannot read
    std::unique_ptr<CtNet> ct_net_;
    std::unique_ptr<Director> director_;
    std::unique_ptr<TunnelProber> prober_;
    std::unique_ptr<NodeSystem> node_system_;
};

}  // namespace vzlvs
