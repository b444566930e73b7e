#include "vzlvs/steps/ct_deprovision.hpp"

#include "steps/hook_scripts.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/steps/leaks.hpp"

namespace vzlvs {

namespace {

Step inside_removed_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    const std::string ctid = v->ct.ctid;
    Step s{v->scope(), "VIP off tunl0, sysctl file removed",
           ctx.seams.containers().describe(CtChange::start(ctid)) + " && vzlvs deprovision " +
               ctid + " (the file only sets rp_filter 0 and ARP hardening: harmless meanwhile)"};
    s.verify = false;
    s.observe = [v]() {
        if (!v->status().running)
            return Observation::fails(
                "CT stopped: its /etc/sysctl.d/zz-vzlvs.conf cannot be reached",
                "remove the VIP and the sysctl file inside the CT");
        const auto& n = v->net();
        bool any = n.persist != CtNetState::Persist::missing;
        for (const auto& vip : v->vips) any = any || n.has_addr(vip);
        return Observation::holds_if(!any, n.summary(), "remove " + join(v->vips) + " from tunl0");
    };
    s.apply = [&ctx, v]() {
        // legacy OpenVZ offers no way into a stopped CT but a mount; the file is harmless.
        if (!v->status().running) return Applied::pending("left inside the stopped CT");
        v->set_net(ctx.seams.ct_net().remove(v->ct.ctid, v->vips));
        return Applied::changed(v->net().summary());
    };
    return s;
}

Step ipdel_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    auto present = [v]() {
        auto c = v->conf();
        std::vector<CtChange> del;
        for (const auto& vip : v->vips)
            if (c.has_ip(vip)) del.push_back(CtChange::ipdel(v->ct.ctid, vip));
        return del;
    };
    return {v->scope(), "VIP not in IP_ADDRESS", "",
            [&ctx, present]() {
                std::vector<std::string> ips, plan;
                for (const auto& c : present()) {
                    ips.push_back(c.arg);
                    plan.push_back(ctx.seams.containers().describe(c));
                }
                return Observation::holds_if(ips.empty(), ips.empty() ? "none" : join(ips),
                                             join(plan, "; "));
            },
            [&ctx, v, present]() {
                for (const auto& c : present()) ctx.seams.containers().run(c);
                v->changed();
                return Applied::changed("deleted " + join(v->vips));
            }};
}

Step unguard_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    return {v->scope(), "ARP guard released", "",
            [&ctx, v]() {
                const GuardState& st = ctx.seams.guard_state();
                std::vector<std::string> held;
                for (const auto& vip : v->vips)
                    if (st.vips.count(vip)) held.push_back(vip);
                return Observation::holds_if(
                    held.empty(), held.empty() ? "not guarded" : "guarding " + join(held),
                    "stop guarding " + join(held));
            },
            [&ctx, v]() {
                for (const auto& vip : v->vips) ctx.seams.guard().remove_vip(vip);
                return Applied::changed("released " + join(v->vips));
            }};
}

Step feature_off_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    auto off = [v]() {
        return CtChange::features(v->ct.ctid, v->conf().features_with("ipip", false));
    };
    Step s{v->scope(), "ipip feature off", "",
           [&ctx, v, off]() {
               const bool on = v->conf().feature_on("ipip");
               return Observation::holds_if(!on, on ? "ipip:on" : "off",
                                            on ? ctx.seams.containers().describe(off()) : "");
           },
           [&ctx, v, off]() {
               ctx.seams.containers().run(off());
               v->changed();
               return Applied::changed("saved; takes effect at the next start");
           }};
    s.verify = false;
    return s;
}

}  // namespace

std::vector<Step> ct_deprovision_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    std::vector<Step> steps{inside_removed_step(ctx, v), remove_hook_step(ctx, v, "start"),
                            ipdel_step(ctx, v)};
    for (auto& s : ct_host_cleanup_steps(ctx, v)) steps.push_back(s);
    steps.push_back(unguard_step(ctx, v));
    steps.push_back(remove_hook_step(ctx, v, "mount"));
    steps.push_back(remove_hook_step(ctx, v, "umount"));
    if (ctx.opts.features_off) steps.push_back(feature_off_step(ctx, v));
    return steps;
}

}  // namespace vzlvs
