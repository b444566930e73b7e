// Rules between sections. They run on whatever passed the per-key checks, so a broken
// service does not also produce cross-check noise.
#include <map>

#include "config/internal.hpp"

namespace vzlvs::config_detail {
namespace {

const char* proto_name(Protocol p) { return p == Protocol::tcp ? "tcp" : "udp"; }

void duplicate_virtual_services(const RawConfig& raw, const Config& cfg, Problems& problems) {
    std::map<std::string, const RawSection*> first_by_key;
    for (const auto& s : raw.sections) {
        if (s.kind != "service") continue;
        auto it = cfg.services.find(s.arg);
        if (it == cfg.services.end() || it->second.vip.empty() || it->second.port == 0) continue;
        const ServiceConfig& svc = it->second;
        std::string key = svc.vip + ":" + std::to_string(svc.port) + "/" + proto_name(svc.protocol);
        auto [first, inserted] = first_by_key.emplace(key, &s);
        if (inserted) continue;
        problems.add(s.line_of("vip"), s.label(), "vip",
                     "service " + s.arg + " has the same vip, port and protocol (" + key +
                         ") as service " + first->second->arg + " (line " +
                         std::to_string(first->second->line) +
                         "): IPVS knows a virtual service only by these three; change the port "
                         "or VIP, or merge the two sections");
    }
}

void shared_vips_and_addresses(const RawConfig& raw, const Config& cfg, Problems& problems) {
    std::map<std::string, std::string> vip_holder;      // VIP → CTID
    std::map<std::string, std::string> address_holder;  // address → CTID
    std::map<std::string, std::string> vip_service;     // VIP → a service that uses it
    for (const auto& kv : cfg.services) {
        if (!kv.second.vip.empty()) vip_service.emplace(kv.second.vip, kv.first);
    }
    for (const auto& s : raw.sections) {
        if (s.kind != "container") continue;
        const ContainerConfig* ct = cfg.container(s.arg);
        if (!ct) continue;
        for (const auto& vip : cfg.vips_of(*ct)) {
            auto [holder, inserted] = vip_holder.emplace(vip, ct->ctid);
            if (inserted) continue;
            problems.add(s.line_of("services"), s.label(), "services",
                         "VIP " + vip + " is needed by containers " + holder->second + " and " +
                             ct->ctid +
                             ": in venet mode the node's venet IP table is global, so only one "
                             "container per node can hold an IP (vzctl fails with exit 78, "
                             "'Address already in use'). Put these containers on different nodes.");
        }
        if (ct->address.empty()) continue;
        auto svc = vip_service.find(ct->address);
        if (svc != vip_service.end()) {
            problems.add(s.line_of("address"), s.label(), "address",
                         ct->address + " is the VIP of service " + svc->second +
                             "; a container's own address must differ from every VIP (the VIP "
                             "is the load-balanced address, the address is how the director "
                             "reaches this container)");
        }
        auto [holder, inserted] = address_holder.emplace(ct->address, ct->ctid);
        if (!inserted) {
            problems.add(s.line_of("address"), s.label(), "address",
                         ct->address + " is also the address of container " + holder->second +
                             ": the node's venet IP table is global, so each container needs its "
                             "own address");
        }
    }
}

}  // namespace

void cross_check(const RawConfig& raw, const Config& cfg, Problems& problems) {
    duplicate_virtual_services(raw, cfg, problems);
    shared_vips_and_addresses(raw, cfg, problems);
}

}  // namespace vzlvs::config_detail
