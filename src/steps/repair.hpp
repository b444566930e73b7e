// The one recipe for a running, provisioned container, shared by the mount hook's worker,
// watch's periodic pass and `vzlvs register`: what vzctl leaked on the node is swept, the
// inside is verified (and repaired), and only a CT that serves its VIPs is registered.
#pragma once

#include <memory>

#include "steps/step.hpp"
#include "world/ct_view.hpp"

namespace vzlvs {

// Returns false when the CT was not registered because something before it failed.
bool repair_running_ct(Ctx& ctx, StepRunner& runner, const std::shared_ptr<CtView>& v);

}  // namespace vzlvs
