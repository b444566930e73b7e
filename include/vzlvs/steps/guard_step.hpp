// The ARP guard step, and the uplinks it guards: nothing that makes vzctl add a VIP runs
// before this step holds (docs/arp-guard.md).
#pragma once

#include <string>
#include <vector>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ctx.hpp"

namespace vzlvs {

// `[node] uplinks`, else vzctl's own rule (select_uplinks) over the node's links, less venet.
std::vector<std::string> uplinks(Ctx& ctx);

Step arp_guard_step(Ctx& ctx, const std::vector<std::string>& vips);

}  // namespace vzlvs
