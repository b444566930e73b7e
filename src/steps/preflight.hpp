// Preflight: what must hold before a container is touched at all. A provision refuses every
// container before its first change when one of these fails.
#pragma once

#include <memory>
#include <vector>

#include "steps/step.hpp"
#include "world/ct_view.hpp"

namespace vzlvs {

// "container exists" first (deprovision runs only that one), then "VIP held by no other CT".
std::vector<Step> ct_preflight_steps(Ctx& ctx, std::shared_ptr<CtView> v);

}  // namespace vzlvs
