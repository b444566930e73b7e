// bootstrap --install-watch: the systemd unit for `vzlvs watch`, written, enabled, started.
#pragma once

#include <string>
#include <vector>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ctx.hpp"

namespace vzlvs {

// templates/vzlvs-watch.service with ExecStart=`<vzlvs> -c <config> watch`. Both must be
// absolute paths of [A-Za-z0-9/._+@-] only (systemd would split or expand anything else);
// UsageError otherwise.
std::string render_watch_unit(const std::string& vzlvs = "/usr/sbin/vzlvs",
                              const std::string& config = "/etc/vzlvs/vzlvs.conf");

std::vector<Step> watch_unit_steps(Ctx& ctx);

}  // namespace vzlvs
