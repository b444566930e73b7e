// The commands as ordered lists of steps (docs/commands/). Reading this file top to bottom
// gives the recipe: node first, then per container preflight → configuration → verification
// → registration.
#include "commands/flows.hpp"

#include <chrono>
#include <memory>

#include "steps/flow_internal.hpp"
#include "base/lock.hpp"

namespace vzlvs {

namespace flow {

Step check_only(Step s) {
    s.apply = nullptr;
    return s;
}

}  // namespace flow

namespace {

using namespace flow;

std::vector<const ContainerConfig*> select(const Config& cfg, const std::vector<std::string>& ctids,
                                           bool default_all) {
    std::vector<const ContainerConfig*> out;
    if (ctids.empty() && default_all) {
        for (const auto& [_, ct] : cfg.containers) out.push_back(&ct);
        return out;
    }
    std::string unknown;
    for (const auto& id : ctids) {
        const ContainerConfig* ct = cfg.container(id);
        if (!ct)
            unknown += (unknown.empty() ? "" : ", ") + id;
        else
            out.push_back(ct);
    }
    if (!unknown.empty())
        throw UsageError("container(s) " + unknown + " not in " + cfg.source.string() +
                         ": vzlvs manages only containers with a [container CTID] section");
    return out;
}

// The per-CT lock, or an outcome saying who holds it (exit 3): the other containers go on.
std::unique_ptr<CtLock> lock_ct(Ctx& ctx, StepRunner& r, const std::string& ctid) {
    try {
        return std::make_unique<CtLock>(ctx.cfg.node.state_dir, ctid, ctx.opts.lock_wait);
    } catch (const BusyError& e) {
        r.note({"ct " + ctid, "container lock", Status::failed, e.what(), "retry later"});
        r.mark_busy();
        return nullptr;
    }
}

bool run_all(StepRunner& runner, const std::vector<Step>& steps) {
    bool ok = true;
    for (const auto& s : steps) ok = runner.run(s) && ok;
    return ok;
}

// Runs steps in order; stops at the first failure, because later steps depend on earlier
// ones (no --ipadd without the guard, no registration without the VIP inside).
bool run_until_failure(StepRunner& runner, const std::vector<Step>& steps) {
    for (const auto& s : steps)
        if (!runner.run(s)) return false;
    return true;
}

void bootstrap(Ctx& ctx, StepRunner& r) {
    run_all(r, node_steps(ctx));
    if (ctx.opts.install_watch) run_all(r, watch_unit_steps(ctx));
}

void check(Ctx& ctx, StepRunner& r, const std::vector<const ContainerConfig*>& cts) {
    for (auto& s : node_steps(ctx)) r.run(check_only(s));
    for (const ContainerConfig* ct : cts) {
        auto v = std::make_shared<CtView>(ctx, *ct);
        if (!run_until_failure(r, ct_preflight_steps(ctx, v))) continue;
        r.run(ct_running_step(ctx, v));
        for (auto& s : ct_provision_steps(ctx, v)) r.run(check_only(s));
        r.run(ct_venet_vip_step(ctx, v));
        r.run(ct_kind_step(ctx, v));
        r.run(ct_mss_step(ctx, v));
        for (auto& s : register_steps(ctx, v, false)) r.run(check_only(s));
    }
}

void provision(Ctx& ctx, StepRunner& r, const std::vector<const ContainerConfig*>& cts) {
    // Refuse before any change when the configuration does not fit the node.
    std::vector<std::shared_ptr<CtView>> views;
    bool fits = true;
    for (const ContainerConfig* ct : cts) {
        views.push_back(std::make_shared<CtView>(ctx, *ct));
        fits = run_until_failure(r, ct_preflight_steps(ctx, views.back())) && fits;
    }
    if (!fits) return;
    std::vector<std::string> vips;
    for (const auto& v : views) vips.insert(vips.end(), v->vips.begin(), v->vips.end());
    if (!r.run(arp_guard_step(ctx, vips))) return;  // never --ipadd an unguarded VIP

    for (const auto& v : views) {
        auto lock = lock_ct(ctx, r, v->ct.ctid);
        if (!lock) continue;
        if (!run_until_failure(r, ct_provision_steps(ctx, v))) {
            // Whatever failed, a VIP route or proxy entry vzctl added must not stay behind.
            if (!r.dry_run()) run_all(r, ct_host_cleanup_steps(ctx, v));
            continue;
        }
        run_all(r, register_steps(ctx, v, true));
        r.run(ct_kind_step(ctx, v));
        r.run(ct_mss_step(ctx, v));
    }
}

void deprovision(Ctx& ctx, StepRunner& r, const std::vector<const ContainerConfig*>& cts) {
    for (const ContainerConfig* ct : cts) {
        auto v = std::make_shared<CtView>(ctx, *ct);
        if (!r.run(ct_preflight_steps(ctx, v).front())) continue;
        auto lock = lock_ct(ctx, r, v->ct.ctid);
        if (!lock) continue;
        // Off the director first, so no client is sent to a container that loses its VIP.
        if (!run_until_failure(r, deregister_steps(ctx, v))) continue;
        if (run_until_failure(r, ct_deprovision_steps(ctx, v)) && !r.dry_run())
            set_operator_hold(ctx, v->ct.ctid, false);
    }
}

void director_command(Ctx& ctx, StepRunner& r, const std::vector<const ContainerConfig*>& cts,
                      const std::string& command) {
    for (const ContainerConfig* ct : cts) {
        auto v = std::make_shared<CtView>(ctx, *ct);
        auto lock = lock_ct(ctx, r, v->ct.ctid);
        if (!lock) continue;
        if (!r.dry_run()) set_operator_hold(ctx, v->ct.ctid, command != "register");
        if (command == "register") {
            if (!r.run(ct_inside_step(ctx, v))) continue;
            run_all(r, register_steps(ctx, v, true));
            r.run(ct_kind_step(ctx, v));
        } else if (command == "drain") {
            run_all(r, drain_steps(ctx, v));
        } else {
            run_all(r, deregister_steps(ctx, v));
        }
    }
}

}  // namespace

Report run_flow(const Config& cfg, const FlowOptions& opts, const std::string& command,
                const std::vector<std::string>& ctids) {
    Seams seams(cfg);
    return run_flow(cfg, opts, command, ctids, seams);
}

Report run_flow(const Config& cfg, const FlowOptions& opts, const std::string& command,
                const std::vector<std::string>& ctids, Seams& seams) {
    Report report;
    Ctx ctx{cfg, opts, seams};
    // check never changes anything, whatever the flags say.
    StepRunner runner(report, opts.dry_run || command == "check");
    if (command == "bootstrap") {
        bootstrap(ctx, runner);
    } else if (command == "provision") {
        provision(ctx, runner, select(cfg, ctids, true));
    } else if (command == "deprovision") {
        deprovision(ctx, runner, select(cfg, ctids, false));
    } else if (command == "check") {
        check(ctx, runner, select(cfg, ctids, true));
    } else if (command == "register" || command == "drain" || command == "deregister") {
        director_command(ctx, runner, select(cfg, ctids, false), command);
    } else {
        throw UsageError("unknown command " + command);
    }
    return report;
}

}  // namespace vzlvs
