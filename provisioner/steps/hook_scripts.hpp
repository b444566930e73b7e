// The action scripts vzlvs owns a marked block in: the CT's mount and umount scripts (run
// on the node by vzctl) and its start script (fed to the CT's shell at every start).
#pragma once

#include <memory>
#include <string>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

// The block for the mount or umount script: `vzlvs -c CONFIG hook ACTION`.
std::string hook_block(Ctx& ctx, const std::string& action);

// The block of `action`'s script is present, current, and the file runnable the way vzctl
// runs it (host scripts: executable with a #! line, else vzctl fails the start with exit 79).
Step hook_script_step(Ctx& ctx, std::shared_ptr<CtView> v, const std::string& action,
                      std::string body, const std::string& why);
Step remove_hook_step(Ctx& ctx, std::shared_ptr<CtView> v, const std::string& action);

}  // namespace vzlvs
