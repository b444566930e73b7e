// probe: each named container's services reached through the tunnel, as the director reaches
// them (docs/commands/probe.md). Read-only; exit 0 when every probe was answered, for a
// director's external checker.
#include <algorithm>

#include "commands/recipes.hpp"
#include "vzlvs/base/error.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/steps/ct_probe.hpp"

namespace vzlvs {

void probe_cts(Ctx& ctx, StepRunner& r, const Selection& cts) {
    const std::string& only = ctx.opts.probe_service;
    for (const ContainerConfig* ct : cts) {
        if (!only.empty() &&
            std::find(ct->services.begin(), ct->services.end(), only) == ct->services.end())
            throw UsageError("CT " + ct->ctid + " has no service " + only +
                             " (its services: " + join(ct->services) + ")");
    }
    for (const ContainerConfig* ct : cts) {
        auto v = std::make_shared<CtView>(ctx, *ct);
        if (only.empty())
            r.run_all(ct_probe_steps(ctx, v));
        else
            r.run(ct_probe_step(ctx, v, only));
    }
}

}  // namespace vzlvs
