#include "vzlvs/steps/ct_provision.hpp"

#include <filesystem>

#include "steps/hook_scripts.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/base/state_dir.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/steps/ct_inside.hpp"
#include "vzlvs/steps/leaks.hpp"

namespace vzlvs {

namespace {

// A restart vzlvs began is recorded before vzctl runs and cleared once it returned: a vzlvs
// killed meanwhile (vzctl may die with it, leaving the CT stopped) leaves the marker, and the
// next provision starts the CT again.
std::filesystem::path restart_marker(Ctx& ctx, const std::string& ctid) {
    return ctx.cfg.node.state_dir / "restarting" / ctid;
}

// Runs a change that restarts the CT (vzctl restart, or vzctl 7's --setmode restart) under
// the marker. A failure keeps the marker: the CT may be down.
void run_restarting(Ctx& ctx, CtView& v, const CtChange& change) {
    const std::filesystem::path marker = restart_marker(ctx, v.ct.ctid);
    state_subdir(ctx.cfg.node.state_dir, "restarting");
    atomic_write(marker, "vzlvs is restarting this container\n", 0600);
    ctx.seams.containers().run(change);
    std::filesystem::remove(marker);
    v.changed();
}

// vzctl 7 applies a feature to a running CT only by restarting it in the same call.
bool restarts_with_features(Ctx& ctx, CtView& v) {
    return ctx.seams.containers().features_need_restart_mode() &&
           ctx.cfg.node.restart == RestartPolicy::automatic && v.status().running;
}

Step feature_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    const std::string ctid = v->ct.ctid;
    Step s{v->scope(), "ipip feature", "vzlvs provision " + ctid};
    auto change = [&ctx, v, ctid]() {
        const std::string list = v->conf().features_with("ipip", true);
        return restarts_with_features(ctx, *v) ? CtChange::features_with_restart(ctid, list)
                                               : CtChange::features(ctid, list);
    };
    s.observe = [&ctx, v, change]() {
        const bool ok = v->conf().feature_on("ipip");
        return Observation::holds_if(ok, ok ? "FEATURES has ipip:on" : "ipip not in FEATURES",
                                     ok ? "" : ctx.seams.containers().describe(change()));
    };
    s.apply = [&ctx, v, ctid, change]() {
        const CtChange c = change();
        bool running = v->status().running;
        if (c.kind == CtChange::Kind::set_features_restart) {
            // A restart by vzctl: recorded like vzlvs's own (interrupted_restart_step).
            run_restarting(ctx, *v, c);
            return Applied::changed("saved and applied: vzctl restarted the container");
        }
        ctx.seams.containers().run(c);
        v->changed();
        // The feature mask reaches the kernel only when the CT is created (docs/openvz.md,
        // `set --features`).
        if (!running) return Applied::changed("saved; takes effect at the next start");
        if (ctx.cfg.node.restart == RestartPolicy::automatic)
            return Applied::changed("saved; vzlvs restarts the container below");
        return Applied::pending("saved; takes effect when the container restarts",
                                ctx.seams.containers().describe(CtChange::restart(ctid)) +
                                    " (or set restart = auto in [node])");
    };
    return s;
}

Step ipadd_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    const std::string ctid = v->ct.ctid;
    Step s{v->scope(), "VIP in IP_ADDRESS",
           "vzlvs provision " + ctid +
               " (venet drops replies whose source is not one of the CT's addresses)"};
    // Re-adding an IP already in IP_ADDRESS makes vzctl delete and re-add it: only the missing.
    auto missing = [v]() {
        auto c = v->conf();
        std::vector<CtChange> add;
        for (const auto& vip : v->vips)
            if (!c.has_ip(vip)) add.push_back(CtChange::ipadd(v->ct.ctid, vip));
        return add;
    };
    s.observe = [&ctx, v, missing]() {
        std::vector<std::string> ips, plan;
        for (const auto& c : missing()) {
            ips.push_back(c.arg);
            plan.push_back(ctx.seams.containers().describe(c));
        }
        return Observation::holds_if(
            ips.empty(), ips.empty() ? join(v->vips) : "missing " + join(ips), join(plan, "; "));
    };
    s.apply = [&ctx, v, missing]() {
        for (const auto& c : missing()) ctx.seams.containers().run(c);
        v->changed();
        return Applied::changed("added " + join(v->vips));
    };
    return s;
}

Step interrupted_restart_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    const std::filesystem::path marker = restart_marker(ctx, v->ct.ctid);
    const CtChange start = CtChange::start(v->ct.ctid);
    return {v->scope(), "interrupted restart finished",
            ctx.seams.containers().describe(start) + ", then vzlvs provision " + v->ct.ctid,
            [&ctx, v, marker, start]() {
                if (!std::filesystem::exists(marker)) return Observation::holds("none");
                return Observation::fails(
                    "a restart by vzlvs did not finish (" + marker.string() + ")",
                    v->status().running ? "forget it: the container runs"
                                        : ctx.seams.containers().describe(start));
            },
            [&ctx, v, marker, start]() {
                const bool was_running = v->status().running;
                if (!was_running) ctx.seams.containers().run(start);
                std::filesystem::remove(marker);
                v->changed();
                return Applied::changed(was_running ? "the container runs: marker removed"
                                                    : "started the container vzlvs had stopped");
            }};
}

Step restart_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    const CtChange restart = CtChange::restart(v->ct.ctid);
    const std::string cmd = ctx.seams.containers().describe(restart);
    Step s{v->scope(), "ipip effective",
           cmd + " (the ipip feature takes effect at start), or set restart = auto in [node]"};
    s.verify = false;
    s.observe = [&ctx, v, cmd]() {
        if (!v->status().running) return Observation::skip("CT stopped");
        // A plan (--dry-run) on vzctl 7: the feature step's own call restarts the CT.
        if (!v->conf().feature_on("ipip") && restarts_with_features(ctx, *v))
            return Observation::skip("the ipip feature's vzctl call restarts the container");
        if (v->net().tunl0) return Observation::holds("tunl0 present");
        std::string why =
            "no tunl0: the CT runs without ipip (the director's IPIP packets are "
            "answered with \"ICMP protocol 4 unreachable\")";
        const auto fb = v->net().fb_tunnels;
        if (fb && *fb != 0)
            why += "; net.core.fb_tunnels_only_for_init_net=" + std::to_string(*fb) +
                   " keeps the kernel from creating tunl0 in containers: vzlvs creates an "
                   "`ipip external` device named tunl0 instead when it applies the settings";
        return Observation::fails(why, cmd);
    };
    s.apply = [&ctx, v, restart]() {
        if (ctx.cfg.node.restart != RestartPolicy::automatic)
            return Applied::pending("restart needed (restart = never)");
        run_restarting(ctx, *v, restart);
        return Applied::changed("restarted " + v->ct.ctid);
    };
    return s;
}

}  // namespace

std::vector<Step> ct_provision_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    std::vector<Step> steps;
    // Shown only when there is one: a converged report stays as it was.
    if (std::filesystem::exists(restart_marker(ctx, v->ct.ctid)))
        steps.push_back(interrupted_restart_step(ctx, v));
    // The hooks come first: any restart below (vzctl 7 restarts a running CT to apply the
    // feature) must already guard the VIP and set up the inside.
    std::vector<Step> recipe{
        hook_script_step(ctx, v, "mount", hook_block(ctx, "mount"),
                         "guards the VIP and removes its route at every start"),
        hook_script_step(ctx, v, "umount", hook_block(ctx, "umount"),
                         "drains the backend when the container stops"),
        hook_script_step(ctx, v, "start", ct_start_block(v->vips),
                         "tunl0 and the VIP inside the CT at every start"),
        feature_step(ctx, v),
        ipadd_step(ctx, v),
        restart_step(ctx, v),
    };
    steps.insert(steps.end(), recipe.begin(), recipe.end());
    for (auto& s : ct_host_cleanup_steps(ctx, v)) steps.push_back(s);
    steps.push_back(ct_inside_step(ctx, v));
    return steps;
}

}  // namespace vzlvs
