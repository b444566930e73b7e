// `vzlvs hook mount|umount`, run by vzctl from the CT's mount / umount action scripts.
#pragma once

#include <string>

#include "vzlvs/world/ctx.hpp"

namespace vzlvs {

// VEID comes from the environment vzctl gives its scripts; a CT vzlvs does not manage is
// left alone (exit 0, no output).
int run_hook(const Config& cfg, const FlowOptions& opts, const std::string& action);

}  // namespace vzlvs
