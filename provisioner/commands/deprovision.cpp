// deprovision: off the director first, then everything provision did, undone
// (docs/commands/deprovision.md).
#include "commands/recipes.hpp"
#include "vzlvs/steps/ct_deprovision.hpp"
#include "vzlvs/steps/director_steps.hpp"
#include "vzlvs/steps/preflight.hpp"

namespace vzlvs {

void deprovision(Ctx& ctx, StepRunner& r, const Selection& cts) {
    for (const ContainerConfig* ct : cts) {
        auto v = std::make_shared<CtView>(ctx, *ct);
        if (!r.run_until_failure({ct_exists_step(ctx, v), ct_own_address_step(ctx, v)})) continue;
        auto lock = lock_ct(ctx, r, v->ct.ctid);
        if (!lock) continue;
        // From here until it completes, nothing puts the CT back on its own: a deprovision that
        // fails or is interrupted halfway is finished by running it again.
        if (!r.dry_run()) set_deprovision_unfinished(ctx, v->ct.ctid, true);
        // Off the director first, so no client is sent to a container that loses its VIP.
        if (!r.run_until_failure(deregister_steps(ctx, v))) continue;
        if (r.run_until_failure(ct_deprovision_steps(ctx, v)) && !r.dry_run()) {
            set_operator_hold(ctx, v->ct.ctid, false);
            set_deprovision_unfinished(ctx, v->ct.ctid, false);
        }
    }
}

}  // namespace vzlvs
