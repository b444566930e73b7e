#include "vzlvs/steps/repair.hpp"

#include "vzlvs/steps/ct_inside.hpp"
#include "vzlvs/steps/director_steps.hpp"
#include "vzlvs/steps/guard_step.hpp"
#include "vzlvs/steps/leaks.hpp"

namespace vzlvs {

bool repair_running_ct(Ctx& ctx, StepRunner& runner, const std::shared_ptr<CtView>& v) {
    // Every leak step runs even when one fails; the inside is checked in any case, and a CT
    // the node still routes or proxies for, or that cannot serve, is never registered.
    bool ok = runner.run_all(ct_host_cleanup_steps(ctx, v));
    ok = runner.run(ct_inside_step(ctx, v)) && ok;
    if (!ok) return false;
    runner.run_all(register_steps(ctx, v, true));
    return true;
}

bool still_provisioned(CtView& v) {
    const CtConfig conf = v.conf();
    for (const auto& vip : v.vips)
        if (!conf.has_ip(vip)) return false;
    return true;
}

Repair repair_if_provisioned(Ctx& ctx, StepRunner& runner, const std::shared_ptr<CtView>& v,
                             bool guard) {
    v->reread();  // whatever was read of the CT before the lock is stale
    if (!v->status().running) return Repair::not_running;
    // A deprovision that stopped halfway is finished (or undone) by the operator, never
    // reversed behind their back.
    if (!still_provisioned(*v) || deprovision_unfinished(ctx, v->ct.ctid))
        return Repair::not_provisioned;
    if (guard && !runner.run(arp_guard_step(ctx, v->vips))) return Repair::done;
    repair_running_ct(ctx, runner, v);
    return Repair::done;
}

}  // namespace vzlvs
