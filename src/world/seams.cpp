#include "world/seams.hpp"

#include "ct/detect.hpp"
#include "director/gorb.hpp"

namespace vzlvs {

ProcessRunner& Seams::runner() {
    return use(p_.runner, runner_, [] { return make_process_runner(); });
}

ContainerManager& Seams::containers() {
    return use(p_.containers, containers_,
               [this] { return make_container_manager(runner(), cfg_.node); });
}

Netlink& Seams::netlink() {
    return use(p_.netlink, netlink_, [] { return make_netlink(); });
}

ArpGuard& Seams::guard() {
    return use(p_.guard, guard_, [this] {
        return make_arp_guard(runner(), ArpGuardBackend::autodetect,
                              cfg_.node.state_dir / "arpguard-backend");
    });
}

CtNet& Seams::ct_net() {
    return use(p_.ct_net, ct_net_, [this]() -> std::unique_ptr<CtNet> {
        return std::make_unique<ExecCtNet>(containers());
    });
}

Director* Seams::director() {
    if (!director_made_ && !cfg_.director.url.empty()) {
        DirectorSettings s;
        s.url = cfg_.director.url;
        s.token_file = cfg_.director.token_file.string();
        s.ca_file = cfg_.director.ca_file.string();
        s.timeout = cfg_.director.timeout;
        s.retries = cfg_.director.retries;
        s.drain = cfg_.director.drain;
        director_ = make_gorb_director(s);
        p_.director = director_.get();
    }
    director_made_ = true;
    return p_.director;
}

}  // namespace vzlvs
