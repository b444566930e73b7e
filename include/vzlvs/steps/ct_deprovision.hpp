// Per-container deprovision steps: what provision did, undone in reverse dependency order
// (the director steps run before these: docs/commands/deprovision.md).
#pragma once

#include <memory>
#include <vector>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

// VIP off tunl0 → start hook → VIP out of IP_ADDRESS → host leaks → ARP guard released →
// mount and umount hooks → (with --features-off) the ipip feature.
std::vector<Step> ct_deprovision_steps(Ctx& ctx, std::shared_ptr<CtView> v);

}  // namespace vzlvs
