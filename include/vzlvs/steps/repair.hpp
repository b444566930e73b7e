// The one recipe for a running, provisioned container, shared by the mount hook's worker,
// watch's periodic pass and `vzlvs register`: what vzctl leaked on the node is swept, the
// inside is verified (and repaired), and only a CT that serves its VIPs is registered.
#pragma once

#include <memory>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

// Returns false when the CT was not registered because something before it failed.
bool repair_running_ct(Ctx& ctx, StepRunner& runner, const std::shared_ptr<CtView>& v);

// Every VIP of the CT is in its IP_ADDRESS, read afresh (never from a cache).
bool still_provisioned(CtView& v);

enum class Repair { not_running, not_provisioned, done };

// For the hook worker and watch, which act on their own: with the CT's lock held by the
// caller, the CT's config and state are read afresh (CtView::reread), so a deprovision that
// ran meanwhile is seen and left alone, and so is one a deprovision left halfway. A running CT
// that is still provisioned (every VIP in its IP_ADDRESS) is repaired, after its VIPs are
// guarded when `guard` is set.
Repair repair_if_provisioned(Ctx& ctx, StepRunner& runner, const std::shared_ptr<CtView>& v,
                             bool guard);

}  // namespace vzlvs
