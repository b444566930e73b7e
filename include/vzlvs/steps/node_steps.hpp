// Node steps (bootstrap, and the node half of check): vzctl and venet present, ipip loaded
// and loaded at boot, the node rows of the desired-sysctl table applied and persisted,
// forwarding, the ARP guard over every configured VIP, proxy_arp on the uplinks.
#pragma once

#include <vector>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ctx.hpp"

namespace vzlvs {

std::vector<Step> node_steps(Ctx& ctx);

// bootstrap --undo: what node_steps persisted (the blocks in modules-load.d / sysconfig and
// sysctl.d) and the ARP guard, removed. The kernel's values stay as they are until the next
// boot (vzlvs does not know what they were before); ipip stays loaded.
std::vector<Step> node_undo_steps(Ctx& ctx);

}  // namespace vzlvs
