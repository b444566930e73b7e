// Inside a running container: tunl0 up with every VIP/32 and the container rows of the
// desired-sysctl table, persisted; and, on its own, whether tunl0 really is an ipip device.
#pragma once

#include <memory>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

Step ct_inside_step(Ctx& ctx, std::shared_ptr<CtView> v);
// tunl0 must be an ipip device; on a kernel without ipip a stand-in device says so here
// without blocking the steps that do not depend on it.
Step ct_kind_step(std::shared_ptr<CtView> v);

}  // namespace vzlvs
