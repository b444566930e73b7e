#include "steps/repair.hpp"

#include "steps/ct_inside.hpp"
#include "steps/director_steps.hpp"
#include "steps/leaks.hpp"

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

}  // namespace vzlvs
