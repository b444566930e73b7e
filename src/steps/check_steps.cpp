// Checks with nothing to apply: conditions vzlvs can see but should not change on its own
// (a stopped container, the path MTU), each explained with the symptom and the fix.
#include <algorithm>

#include "steps/flow_internal.hpp"
#include "config/validate.hpp"

namespace vzlvs::flow {

namespace {

// IPIP adds an outer IPv4 header; TCP and IP headers take 40 more bytes of each packet.
constexpr unsigned kIpipOverhead = 20;
constexpr unsigned kTcpIpHeaders = 40;

}  // namespace

Step ct_running_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    (void)ctx;
    Step s;
    s.scope = v->scope();
    s.name = "container running";
    s.fix = "vzctl start " + v->ct.ctid;
    s.observe = [v]() {
        bool running = v->status().running;
        return Observation{running,
                           running ? "running"
                                   : "stopped: the director's health checks fail, clients of its "
                                     "services are served by the other backends",
                           ""};
    };
    return s;
}

Step ct_venet_vip_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    (void)ctx;
    Step s;
    s.scope = v->scope();
    s.name = "VIP on the CT side of venet";
    // vzctl puts every IP_ADDRESS entry on the CT's venet at start; nothing else re-adds one
    // removed from inside the CT (re-adding it with --ipadd would flap the route).
    s.fix = "vzctl restart " + v->ct.ctid;
    s.observe = [v]() {
        if (!v->status().running) return Observation{true, "CT stopped", ""};
        std::vector<std::string> missing;
        for (const auto& vip : v->vips) {
            const auto& a = v->net().venet;
            if (std::none_of(a.begin(), a.end(),
                             [&](const std::string& x) { return x.rfind(vip + "/", 0) == 0; }))
                missing.push_back(vip);
        }
        return Observation{missing.empty(),
                           missing.empty() ? "venet0 carries the VIP"
                                           : validate::join(missing) +
                                                 " not on the CT's venet0: replies from the VIP "
                                                 "are dropped by venet (\"source wrong veid\")",
                           ""};
    };
    return s;
}

Step ct_mss_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    Step s;
    s.scope = v->scope();
    s.name = "MSS fits the tunnel";
    s.observe = [&ctx, v]() {
        if (!v->status().running || !v->net().tunl0)
            return Observation{true, "not observable now", ""};
        unsigned mtu = 0;
        for (const auto& dev : uplinks(ctx)) {
            auto l = ctx.seams.netlink().link(dev);
            if (l && l->mtu && (mtu == 0 || l->mtu < mtu)) mtu = l->mtu;
        }
        if (mtu == 0) return Observation{true, "uplink MTU unknown", ""};
        const unsigned safe = mtu - kIpipOverhead - kTcpIpHeaders;
        const std::string adv = v->net().advmss;
        if (!adv.empty() && std::stoul(adv) <= safe)
            return Observation{true, "advmss " + adv + " <= " + std::to_string(safe), ""};
        Observation o{true, "", ""};
        o.warn = true;
        o.detail = "uplink MTU " + std::to_string(mtu) + ": full-size segments (MSS " +
                   std::to_string(mtu - kTcpIpHeaders) + ") grow by " +
                   std::to_string(kIpipOverhead) +
                   " bytes in the director's tunnel and need fragmenting or a PMTU round trip "
                   "(stalls, 200 ms delays)";
        return o;
    };
    s.fix =
        "clamp the MSS on the director (iptables -t mangle -A PREROUTING -p tcp --tcp-flags "
        "SYN,RST SYN -d VIP -j TCPMSS --set-mss N), or inside the CT advertise a smaller MSS "
        "(ip route change default dev venet0 advmss N, persisted) with N = uplink MTU - 60";
    return s;
}

}  // namespace vzlvs::flow
