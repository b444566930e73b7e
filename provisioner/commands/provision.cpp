// provision: every selected container made an LVS-TUN real server and registered
// (docs/commands/provision.md). Reading it top to bottom gives the recipe.
#include "commands/recipes.hpp"
#include "vzlvs/steps/ct_checks.hpp"
#include "vzlvs/steps/ct_inside.hpp"
#include "vzlvs/steps/ct_provision.hpp"
#include "vzlvs/steps/director_steps.hpp"
#include "vzlvs/steps/guard_step.hpp"
#include "vzlvs/steps/last_good.hpp"
#include "vzlvs/steps/leaks.hpp"
#include "vzlvs/steps/preflight.hpp"

namespace vzlvs {

void provision(Ctx& ctx, StepRunner& r, const Selection& cts) {
    // Refuse before any change when the configuration does not fit the node.
    std::vector<std::shared_ptr<CtView>> views;
    const auto holders = std::make_shared<const IpHolders>(read_ip_holders(ctx));
    bool fits = true;
    for (const ContainerConfig* ct : cts) {
        views.push_back(std::make_shared<CtView>(ctx, *ct));
        fits = r.run_until_failure(ct_preflight_steps(ctx, views.back(), holders)) && fits;
    }
    if (!fits) return;
    std::vector<std::string> vips;
    for (const auto& v : views) vips.insert(vips.end(), v->vips.begin(), v->vips.end());
    if (!r.run(arp_guard_step(ctx, vips))) return;  // never --ipadd an unguarded VIP
    r.run(last_good_config_step(ctx));               // before any hook names it
    read_ahead(ctx, cts);

    for (const auto& v : views) {
        auto lock = lock_ct(ctx, r, v->ct.ctid);
        if (!lock) continue;
        if (!r.dry_run()) set_deprovision_unfinished(ctx, v->ct.ctid, false);  // taken back
        if (!r.run_until_failure(ct_provision_steps(ctx, v))) {
            // Whatever failed, a VIP route or proxy entry vzctl added must not stay behind.
            if (!r.dry_run()) r.run_all(ct_host_cleanup_steps(ctx, v));
            continue;
        }
        r.run_all(register_steps(ctx, v, true));
        r.run(ct_kind_step(v));
        r.run(ct_mss_step(ctx, v));
    }
}

}  // namespace vzlvs
