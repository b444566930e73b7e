#include "vzlvs/steps/ct_checks.hpp"

#include <algorithm>

#include "vzlvs/base/strings.hpp"
#include "vzlvs/steps/guard_step.hpp"

namespace vzlvs {

namespace {

// IPIP adds an outer IPv4 header; TCP and IP headers take 40 more bytes of each packet.
constexpr unsigned kIpipOverhead = 20;
constexpr unsigned kTcpIpHeaders = 40;

}  // namespace

Step ct_running_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    return {v->scope(), "container running",
            ctx.seams.containers().describe(CtChange::start(v->ct.ctid)), [v]() {
                bool running = v->status().running;
                return Observation::holds_if(
                    running, running ? "running"
                                     : "stopped: the director's health checks fail, clients of "
                                       "its services are served by the other backends");
            }};
}

Step ct_venet_vip_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    // vzctl puts every IP_ADDRESS entry on the CT's venet at start; nothing else re-adds one
    // removed from inside the CT (re-adding it with --ipadd would flap the route).
    return {v->scope(), "VIP on the CT side of venet",
            ctx.seams.containers().describe(CtChange::restart(v->ct.ctid)), [v]() {
                if (!v->status().running) return Observation::skip("CT stopped");
                std::vector<std::string> missing;
                const auto& a = v->net().venet;
                for (const auto& vip : v->vips)
                    if (std::none_of(a.begin(), a.end(), [&](const std::string& x) {
                            return x.rfind(vip + "/", 0) == 0;
                        }))
                        missing.push_back(vip);
                return Observation::holds_if(
                    missing.empty(), missing.empty()
                                         ? "venet0 carries the VIP"
                                         : join(missing) +
                                               " not on the CT's venet0: replies from the VIP "
                                               "are dropped by venet (\"source wrong veid\")");
            }};
}

Step ct_mss_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    return {v->scope(), "MSS fits the tunnel",
            "clamp the MSS on the director (iptables -t mangle -A PREROUTING -p tcp --tcp-flags "
            "SYN,RST SYN -d VIP -j TCPMSS --set-mss N), or inside the CT advertise a smaller MSS "
            "(ip route change default dev venet0 advmss N, persisted) with N = uplink MTU - 60",
            [&ctx, v]() {
                const auto& svcs = v->ct.services;
                if (std::none_of(svcs.begin(), svcs.end(), [&](const std::string& name) {
                        return ctx.cfg.services.at(name).protocol == Protocol::tcp;
                    }))
                    return Observation::skip("no TCP service: MSS is TCP's");
                if (!v->status().running) return Observation::skip("CT stopped");
                if (!v->net().tunl0) return Observation::skip("no tunl0 to look at");
                unsigned mtu = 0;
                for (const auto& dev : uplinks(ctx)) {
                    auto l = ctx.seams.netlink().link(dev);
                    if (l && l->mtu && (mtu == 0 || l->mtu < mtu)) mtu = l->mtu;
                }
                if (mtu == 0) return Observation::holds("uplink MTU unknown");
                const unsigned safe = mtu - kIpipOverhead - kTcpIpHeaders;
                const auto adv = v->net().advmss;
                if (adv && *adv <= safe)
                    return Observation::holds("advmss " + std::to_string(*adv) +
                                              " <= " + std::to_string(safe));
                return Observation::warn(
                    "uplink MTU " + std::to_string(mtu) + ": full-size segments (MSS " +
                    std::to_string(mtu - kTcpIpHeaders) + ") grow by " +
                    std::to_string(kIpipOverhead) +
                    " bytes in the director's tunnel and need fragmenting or a PMTU round trip "
                    "(stalls, 200 ms delays)");
            }};
}

}  // namespace vzlvs
