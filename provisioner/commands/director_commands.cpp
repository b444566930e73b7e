// register, drain, deregister: one director step at a time, by the operator. drain and
// deregister hold the backend out until `register` (docs/commands/register-drain-deregister.md).
#include "commands/recipes.hpp"
#include "vzlvs/steps/ct_inside.hpp"
#include "vzlvs/steps/director_steps.hpp"
#include "vzlvs/steps/repair.hpp"

namespace vzlvs {

namespace {

template <typename Body>
void each_locked(Ctx& ctx, StepRunner& r, const Selection& cts, bool hold, Body body) {
    for (const ContainerConfig* ct : cts) {
        auto v = std::make_shared<CtView>(ctx, *ct);
        auto lock = lock_ct(ctx, r, v->ct.ctid);
        if (!lock) continue;
        if (!r.dry_run()) set_operator_hold(ctx, v->ct.ctid, hold);
        body(v);
    }
}

}  // namespace

void register_cts(Ctx& ctx, StepRunner& r, const Selection& cts) {
    each_locked(ctx, r, cts, false, [&](const std::shared_ptr<CtView>& v) {
        if (!r.dry_run()) set_deprovision_unfinished(ctx, v->ct.ctid, false);
        if (repair_running_ct(ctx, r, v)) r.run(ct_kind_step(v));
    });
}

void drain_cts(Ctx& ctx, StepRunner& r, const Selection& cts) {
    each_locked(ctx, r, cts, true,
                [&](const std::shared_ptr<CtView>& v) { r.run_all(drain_steps(ctx, v)); });
}

void deregister_cts(Ctx& ctx, StepRunner& r, const Selection& cts) {
    each_locked(ctx, r, cts, true,
                [&](const std::shared_ptr<CtView>& v) { r.run_all(deregister_steps(ctx, v)); });
}

}  // namespace vzlvs
