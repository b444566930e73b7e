// The health check through the tunnel, one step per (container, service): what a client's
// connection meets, which a director's checks of the real address do not see
// (net/tunnel_probe.hpp). `vzlvs probe`, `check --probe`, and before registering when
// `[node] probe = yes`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

Step ct_probe_step(Ctx& ctx, std::shared_ptr<CtView> v, const std::string& service);
// One per service of the CT.
std::vector<Step> ct_probe_steps(Ctx& ctx, std::shared_ptr<CtView> v);

// The probe's result for one service, for a caller that refuses on it (registration).
ProbeResult probe_service(Ctx& ctx, CtView& v, const std::string& service);

}  // namespace vzlvs
