// Rules between sections. They run on whatever passed the per-key checks, so a broken
// service does not also produce cross-check noise.
#include <map>

#include "config/internal.hpp"
#include "vzlvs/config/ctid.hpp"

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

// '-' may occur in a node name, a CT ID and a service name alike, so two (CT, service) pairs
// can spell one backend ID ("shop" serving "db-main", "shop-db" serving "main"): the director
// would hold one backend for both, and each registration would replace the other's.
void colliding_backend_ids(const RawConfig& raw, const Config& cfg, Problems& problems) {
    std::map<std::string, std::string> pair_of;  // backend ID → "CT x, service y"
    for (const auto& s : raw.sections) {
        if (s.kind != "container") continue;
        const ContainerConfig* ct = cfg.container(s.arg);
        if (!ct) continue;
        for (const auto& service : ct->services) {
            const std::string id = backend_id_text(cfg.node.name, ct->ctid, service);
            const std::string pair = "CT " + ct->ctid + ", service " + service;
            auto [first, inserted] = pair_of.emplace(id, pair);
            if (inserted || first->second == pair)
                continue;  // a service listed twice: its own
                           // problem
            problems.add(s.line_of("services"), s.label(), "services",
                         pair + " and " + first->second + " are both backend " + id +
                             " at the director (<node>-<ctid>-<service>): rename a service or "
                             "the container section so that the two differ");
        }
    }
}

// vzctl 4 knows containers by number only: a name (vzctl 7's) would fail at every vzctl call.
void names_on_vzctl_4(const RawConfig& raw, const Config& cfg, Problems& problems) {
    if (cfg.node.openvz != OpenvzRelease::v4) return;
    for (const auto& s : raw.sections) {
        if (s.kind != "container" || !cfg.container(s.arg)) continue;
        const std::string why = check_legacy_ctid(s.arg);
        if (!why.empty())
            problems.add(s.line, s.label(), "",
                         why +
                             "; with openvz = 4 in [node] a container is named by its numeric "
                             "CTID (names are vzctl 7's)");
    }
}

}  // namespace

void cross_check(const RawConfig& raw, const Config& cfg, Problems& problems) {
    names_on_vzctl_4(raw, cfg, problems);
    duplicate_virtual_services(raw, cfg, problems);
    shared_vips_and_addresses(raw, cfg, problems);
    colliding_backend_ids(raw, cfg, problems);
}

}  // namespace vzlvs::config_detail
