// bootstrap: the node, once; --undo takes back what it persisted (docs/commands/bootstrap.md).
#include "commands/recipes.hpp"
#include "vzlvs/steps/last_good.hpp"
#include "vzlvs/steps/node_steps.hpp"
#include "vzlvs/steps/preflight.hpp"
#include "vzlvs/steps/watch_unit.hpp"

namespace vzlvs {

void bootstrap(Ctx& ctx, StepRunner& r, const Selection&) {
    if (ctx.opts.undo) {
        refuse_undo_while_provisioned(ctx);
        r.run_all(watch_unit_undo_steps(ctx));
        r.run_all(node_undo_steps(ctx));
        r.run(no_last_good_config_step(ctx));
        return;
    }
    refuse_vips_of_other_cts(ctx);  // before the guard takes every VIP of the config
    r.run_all(node_steps(ctx));
    r.run(last_good_config_step(ctx));
    if (ctx.opts.install_watch) r.run_all(watch_unit_steps(ctx));
}

}  // namespace vzlvs
