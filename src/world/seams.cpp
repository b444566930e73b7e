#include <filesystem>

#include "commands/flows.hpp"

namespace vzlvs {

ProcessRunner& Seams::runner() {
    if (!runner_) runner_ = make_process_runner();
    return *runner_;
}

Vzctl& Seams::vzctl() {
    if (!vzctl_) vzctl_ = std::make_unique<Vzctl>(runner(), cfg_.node.vzctl.string());
    return *vzctl_;
}

Netlink& Seams::netlink() {
    if (!netlink_) netlink_ = make_netlink();
    return *netlink_;
}

ArpGuard& Seams::guard() {
    if (!guard_) guard_ = make_arp_guard(runner());
    return *guard_;
}

CtNet& Seams::ct_net() {
    if (!ct_net_) ct_net_ = std::make_unique<VzctlCtNet>(vzctl());
    return *ct_net_;
}

Director* Seams::director() {
    if (!director_ && !director_made_ && !cfg_.director.url.empty()) {
        DirectorSettings s;
        s.url = cfg_.director.url;
        s.token_file = cfg_.director.token_file.string();
        s.ca_file = cfg_.director.ca_file.string();
        s.timeout = cfg_.director.timeout;
        s.retries = cfg_.director.retries;
        s.drain = cfg_.director.drain;
        director_ = make_gorb_director(s);
    }
    director_made_ = true;
    return director_.get();
}

}  // namespace vzlvs
