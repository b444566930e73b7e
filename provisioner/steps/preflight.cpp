#include "vzlvs/steps/preflight.hpp"

#include <algorithm>

#include "vzlvs/base/strings.hpp"

namespace vzlvs {

namespace {

std::string service_of(const Config& cfg, const std::string& vip) {
    std::vector<std::string> names;
    for (const auto& [name, svc] : cfg.services)
        if (svc.vip == vip) names.push_back(name);
    return join(names);
}

// The CT's own addresses: its IP_ADDRESS entries that are no VIP of any service.
std::vector<std::string> own_addresses(Ctx& ctx, CtView& v) {
    std::vector<std::string> own;
    for (const auto& ip : v.conf().ips())
        if (!ctx.cfg.is_vip(ip)) own.push_back(ip);
    return own;
}

}  // namespace

void refuse_vips_of_the_node(Ctx& ctx) {
    Netlink& nl = ctx.seams.netlink();
    std::vector<std::string> problems;
    for (const auto& link : nl.links()) {
        for (const auto& cidr : nl.addresses(link.name)) {
            const std::string ip = cidr.substr(0, cidr.find('/'));
            if (ctx.cfg.is_vip(ip))
                problems.push_back("VIP " + ip + " (service " + service_of(ctx.cfg, ip) +
                                   ") is an address of this node, on " + link.name);
        }
    }
    for (const auto& gw : nl.gateways())
        if (ctx.cfg.is_vip(gw))
            problems.push_back("VIP " + gw + " (service " + service_of(ctx.cfg, gw) +
                               ") is the gateway of this node's routes");
    if (!problems.empty())
        throw UsageError(join(problems, "; ") +
                         ": the ARP guard for it would drop the node's own ARP and cut the node "
                         "off the LAN. A VIP is the director's address, never a node's: fix the "
                         "vip in " +
                         ctx.cfg.source.string());
}

void refuse_sections_of_one_ct(Ctx& ctx) {
    ContainerManager& cm = ctx.seams.containers();
    std::map<std::string, std::vector<std::string>> sections;  // the CT's ID → its sections
    for (const auto& [ctid, _] : ctx.cfg.containers) sections[cm.vz_id(ctid)].push_back(ctid);
    std::vector<std::string> problems;
    for (const auto& [id, names] : sections)
        if (names.size() > 1)
            problems.push_back("[container " + join(names, "] and [container ") +
                               "] are one container, " + id);
    if (!problems.empty())
        throw UsageError(join(problems, "; ") + ": keep one section per container in " +
                         ctx.cfg.source.string() +
                         " (each would take its own lock and undo the other)");
}

void refuse_vips_of_other_cts(Ctx& ctx) {
    ContainerManager& cm = ctx.seams.containers();
    std::map<std::string, std::vector<std::string>> servers;  // VIP → the IDs that serve it
    for (const auto& [ctid, ct] : ctx.cfg.containers)
        for (const auto& vip : ctx.cfg.vips_of(ct)) servers[vip].push_back(cm.vz_id(ctid));
    const IpHolders holders = read_ip_holders(ctx);
    std::vector<std::string> problems;
    for (const auto& [vip, ids] : servers) {
        const auto it = holders.find(vip);
        if (it == holders.end()) continue;
        for (const auto& holder : it->second)
            if (std::find(ids.begin(), ids.end(), holder) == ids.end())
                problems.push_back("VIP " + vip + " (service " + service_of(ctx.cfg, vip) +
                                   ") is in the IP_ADDRESS of CT " + holder +
                                   ", which no [container] section serves it from");
    }
    if (!problems.empty())
        throw UsageError(join(problems, "; ") +
                         ": the ARP guard for it would drop that container's ARP and cut it off "
                         "the LAN. A VIP is the director's address, never another container's: "
                         "fix the vip in " +
                         ctx.cfg.source.string() + " or the container's IP_ADDRESS");
}

Step ct_exists_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    return {v->scope(), "container exists",
            "create container " + v->ct.ctid + " or remove [container " + v->ct.ctid + "] from " +
                ctx.cfg.source.string(),
            [v]() {
                const auto& st = v->status();
                return Observation::holds_if(
                    st.exists, st.exists ? (st.running ? "running" : "stopped")
                                         : "no such container on this node (vzctl status: "
                                           "deleted)");
            }};
}

Step ct_own_address_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    return {v->scope(), "an address of its own",
            "give CT " + v->ct.ctid + " an address that is no VIP (vzctl set " + v->ct.ctid +
                " --ipadd IP --save) or set address = IP in [container " + v->ct.ctid + "]",
            [&ctx, v]() {
                if (!v->ct.address.empty()) return Observation::holds(v->ct.address + " (address)");
                const auto own = own_addresses(ctx, *v);
                if (!own.empty()) return Observation::holds(join(own));
                return Observation::fails(
                    "every address in its IP_ADDRESS is a VIP (" + join(v->conf().ips()) +
                    "): provision would delete the CT's own route and deprovision would leave "
                    "it without an address; the director tunnels to a real address");
            }};
}

IpHolders read_ip_holders(Ctx& ctx) {
    IpHolders holders;
    ContainerManager& cm = ctx.seams.containers();
    for (const auto& id : cm.containers())
        for (const auto& ip : cm.config(id).ips()) holders[ip].push_back(id);
    return holders;
}

std::vector<Step> ct_preflight_steps(Ctx& ctx, std::shared_ptr<CtView> v,
                                     std::shared_ptr<const IpHolders> holders) {
    Step unique{v->scope(), "VIP held by no other CT",
                "a node's venet IP table is global: only one container per node can hold a VIP "
                "(vzctl would fail with exit 78); move one of the containers to another node",
                [v, holders]() {
                    for (const auto& vip : v->vips) {
                        const auto it = holders->find(vip);
                        if (it == holders->end()) continue;
                        for (const auto& other : it->second)
                            if (other != v->vz_id())
                                return Observation::fails("VIP " + vip +
                                                          " is in the IP_ADDRESS of CT " + other);
                    }
                    return Observation::holds(join(v->vips));
                }};
    return {ct_exists_step(ctx, v), unique, ct_own_address_step(ctx, v)};
}

void refuse_undo_while_provisioned(Ctx& ctx) {
    std::vector<std::string> held;
    for (const auto& [ctid, ct] : ctx.cfg.containers) {
        CtView v(ctx, ct);
        for (const auto& vip : v.vips)
            if (v.conf().has_ip(vip)) held.push_back("CT " + ctid + " holds VIP " + vip);
    }
    if (!held.empty())
        throw UsageError("bootstrap --undo would take the ARP guard from VIPs still in use (" +
                         join(held, "; ") +
                         "): run `vzlvs deprovision --all` first (docs/install.md, \"Uninstall\")");
}

}  // namespace vzlvs
