#include "vzlvs/world/seams.hpp"

#include "vzlvs/ct/ct_net_host.hpp"
#include "vzlvs/ct/detect.hpp"

namespace vzlvs {

ProcessRunner& Seams::runner() {
    return use(p_.runner, runner_, [] { return make_process_runner(); });
}

ContainerManager& Seams::containers() {
    const bool made = p_.containers;
    ContainerManager& m = use(p_.containers, containers_,
                              [this] { return make_container_manager(runner(), cfg_.node); });
    if (!made && cache_node_reads_) m.cache_reads();
    return m;
}

Netlink& Seams::netlink() {
    Netlink& nl = use(p_.netlink, netlink_, [] { return make_netlink(); });
    if (!cache_node_reads_) return nl;
    if (!cached_netlink_) cached_netlink_ = std::make_unique<CachingNetlink>(nl);
    return *cached_netlink_;
}

void Seams::forget_node_reads() {
    if (cached_netlink_) cached_netlink_->forget();
    if (cached_guard_) cached_guard_->forget();
    forget_ct_reads();
}

void Seams::forget_ct_reads() {
    if (p_.containers) p_.containers->forget_reads();
}

ArpGuard& Seams::guard() {
    ArpGuard& g = use(p_.guard, guard_, [this] {
        return make_arp_guard(runner(), ArpGuardBackend::autodetect,
                              cfg_.node.state_dir / "arpguard-backend");
    });
    if (!cache_node_reads_) return g;
    if (!cached_guard_) cached_guard_ = std::make_unique<CachingArpGuard>(g);
    return *cached_guard_;
}

const GuardState& Seams::guard_state() {
    ArpGuard& g = guard();
    if (&g == cached_guard_.get()) return cached_guard_->observed();
    fresh_guard_state_ = g.observe();
    return *fresh_guard_state_;
}

CtNet& Seams::ct_net() {
    return use(p_.ct_net, ct_net_, [this]() -> std::unique_ptr<CtNet> {
        exec_ct_net_ = std::make_unique<ExecCtNet>(containers());
        return std::make_unique<HostCtNet>(containers(), *exec_ct_net_);
    });
}

TunnelProber& Seams::prober() {
    return use(p_.prober, prober_, [] { return std::make_unique<RawTunnelProber>(); });
}

NodeSystem& Seams::node_system() {
    return use(p_.node_system, node_system_, [] { return make_node_system(); });
}

Director* Seams::director() {
    if (!director_made_) {
        director_ = make_director(cfg_, p_.dialects ? *p_.dialects : director_dialects());
        p_.director = director_.get();
    }
    director_made_ = true;
    return p_.director;
}

}  // namespace vzlvs
