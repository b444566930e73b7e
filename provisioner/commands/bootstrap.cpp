// bootstrap: the node, once (docs/commands/bootstrap.md).
#include "commands/recipes.hpp"
#include "vzlvs/steps/last_good.hpp"
#include "vzlvs/steps/node_steps.hpp"
#include "vzlvs/steps/preflight.hpp"
#include "vzlvs/steps/watch_unit.hpp"

namespace vzlvs {

void bootstrap(Ctx& ctx, StepRunner& r, const Selection&) {
    refuse_vips_of_other_cts(ctx);  // before the guard takes every VIP of the config
    r.run_all(node_steps(ctx));
    r.run(last_good_config_step(ctx));
    if (ctx.opts.install_watch) r.run_all(watch_unit_steps(ctx));
}

}  // namespace vzlvs
