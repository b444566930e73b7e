// Per-container provision steps, in the order they must run: nothing that makes vzctl add
// the VIP (--ipadd, a restart) happens before the ARP guard and the mount hook are in
// place, so the node never announces the VIP (docs/commands/provision.md).
#pragma once

#include <memory>
#include <vector>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

// mount, umount, start hooks → ipip feature → VIP in IP_ADDRESS → ipip effective (restart)
// → host leaks removed → tunl0, VIP and sysctls inside. The hooks come first: a restart
// vzctl 7 makes to apply the feature must already find the VIP guarded.
std::vector<Step> ct_provision_steps(Ctx& ctx, std::shared_ptr<CtView> v);

}  // namespace vzlvs
