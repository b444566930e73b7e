#include "vzlvs/steps/guard_step.hpp"

#include <algorithm>

#include "vzlvs/base/strings.hpp"
#include "vzlvs/net/uplinks.hpp"

namespace vzlvs {

std::vector<std::string> uplinks(Ctx& ctx) {
    if (!ctx.cfg.node.uplinks.empty()) return ctx.cfg.node.uplinks;
    std::vector<UplinkCandidate> c;
    for (const auto& l : ctx.seams.netlink().links()) {
        UplinkCandidate u;
        u.name = l.name;
        u.up = l.up;
        u.loopback = l.loopback;
        u.noarp = l.noarp;
        u.has_global_addr = !ctx.seams.netlink().addresses(l.name).empty();
        c.push_back(u);
    }
    auto out = select_uplinks(c);
    out.erase(std::remove(out.begin(), out.end(), ctx.cfg.node.venet), out.end());
    return out;
}

Step arp_guard_step(Ctx& ctx, const std::vector<std::string>& vips) {
    return {"node", "ARP guard",
            "vzlvs bootstrap (needs nftables with netdev egress, or tc with act_gact)",
            [&ctx, vips]() {
                auto devs = uplinks(ctx);
                if (devs.empty())
                    return Observation::fails("no uplink found: set uplinks in [node]");
                ArpGuard& guard = ctx.seams.guard();
                auto report = describe_guard(ctx.seams.guard_state(), devs, vips);
                const std::string how =
                    guard.why().empty() ? to_string(guard.backend()) : guard.why();
                return Observation::holds_if(report.ok(),
                                             report.ok() ? join(vips) + " never announced on " +
                                                               join(devs) + " (" + how + ")"
                                                         : report.str() + "backend: " + how,
                                             "drop ARP for " + join(vips) + " on " + join(devs) +
                                                 " (" + to_string(guard.backend()) + ")");
            },
            [&ctx, vips]() {
                return Applied::changed(ctx.seams.guard().ensure(uplinks(ctx), vips).str());
            }};
}

}  // namespace vzlvs
