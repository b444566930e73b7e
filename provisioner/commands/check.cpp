// check: the node and every container, observed only; what does not hold is a failure with
// its fix (docs/commands/check.md).
#include "commands/recipes.hpp"
#include "vzlvs/steps/ct_checks.hpp"
#include "vzlvs/steps/ct_inside.hpp"
#include "vzlvs/steps/ct_probe.hpp"
#include "vzlvs/steps/ct_provision.hpp"
#include "vzlvs/steps/director_steps.hpp"
#include "vzlvs/steps/node_steps.hpp"
#include "vzlvs/steps/preflight.hpp"

namespace vzlvs {

void check(Ctx& ctx, StepRunner& r, const Selection& cts) {
    for (auto& s : node_steps(ctx)) r.run(check_only(s));
    for (auto& s : registration_lease_steps(ctx)) r.run(s);
    const auto holders = std::make_shared<const IpHolders>(read_ip_holders(ctx));
    read_ahead(ctx, cts);
    for (const ContainerConfig* ct : cts) {
        auto v = std::make_shared<CtView>(ctx, *ct);
        if (!r.run_until_failure(ct_preflight_steps(ctx, v, holders))) continue;
        r.run(deprovision_finished_step(ctx, v));
        r.run(ct_running_step(ctx, v));
        for (auto& s : ct_provision_steps(ctx, v)) r.run(check_only(s));
        r.run(ct_venet_vip_step(ctx, v));
        r.run(ct_kind_step(v));
        r.run(ct_mss_step(ctx, v));
        for (auto& s : register_steps(ctx, v, false)) r.run(check_only(s));
        if (ctx.opts.probe || ctx.cfg.node.probe) r.run_all(ct_probe_steps(ctx, v));
    }
}

}  // namespace vzlvs
