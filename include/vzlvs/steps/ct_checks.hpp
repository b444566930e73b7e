// Checks with nothing to apply: conditions vzlvs can see but should not change on its own
// (a stopped container, the VIP on the CT's venet, the path MTU), each with symptom and fix.
#pragma once

#include <memory>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

Step ct_running_step(Ctx& ctx, std::shared_ptr<CtView> v);
Step ct_venet_vip_step(Ctx& ctx, std::shared_ptr<CtView> v);
Step ct_mss_step(Ctx& ctx, std::shared_ptr<CtView> v);

}  // namespace vzlvs
