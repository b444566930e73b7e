// The last configuration a command that changes the node validated, kept in state_dir for the
// hooks: when the operator's file stops loading (a typo, a key from a newer vzlvs), the mount
// hook guards and cleans up with this one instead of stopping the container
// (commands/hook.hpp load_hook_config).
#pragma once

#include <filesystem>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ctx.hpp"

namespace vzlvs {

// STATE_DIR/last-good.conf: named in every hook block (hooks/mount.block).
std::filesystem::path last_good_config_path(const Config& cfg);

// The file holds render_config(cfg): every default spelled out, loadable on its own.
Step last_good_config_step(Ctx& ctx);
// bootstrap --undo: the file removed.
Step no_last_good_config_step(Ctx& ctx);

}  // namespace vzlvs
