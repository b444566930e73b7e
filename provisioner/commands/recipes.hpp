// The recipes behind run_command(), one file each, and what they share (private to commands/).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vzlvs/base/lock.hpp"
#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

using Selection = std::vector<const ContainerConfig*>;

void bootstrap(Ctx& ctx, StepRunner& r, const Selection& cts);
void provision(Ctx& ctx, StepRunner& r, const Selection& cts);
void deprovision(Ctx& ctx, StepRunner& r, const Selection& cts);
void check(Ctx& ctx, StepRunner& r, const Selection& cts);
void register_cts(Ctx& ctx, StepRunner& r, const Selection& cts);
void drain_cts(Ctx& ctx, StepRunner& r, const Selection& cts);
void deregister_cts(Ctx& ctx, StepRunner& r, const Selection& cts);
void probe_cts(Ctx& ctx, StepRunner& r, const Selection& cts);

// The in-CT state of every selected running CT, read ahead in one go (CtNet::read_ahead).
void read_ahead(Ctx& ctx, const Selection& cts);

// The per-CT lock, or an outcome saying who holds it (exit 3): the other containers go on.
std::unique_ptr<CtLock> lock_ct(Ctx& ctx, StepRunner& r, const std::string& ctid);

}  // namespace vzlvs
