// `vzlvs hook mount|umount`, run by vzctl from the CT's mount / umount action scripts.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "vzlvs/world/ctx.hpp"

namespace vzlvs {

// VEID comes from the environment vzctl gives its scripts; a CT vzlvs does not manage is
// left alone (exit 0, no output).
int run_hook(const Config& cfg, const FlowOptions& opts, const std::string& action);

// The configuration a hook runs with: `config`, its unknown keys only warned about; when it
// does not load, `last_good` (written by provision and bootstrap), said loudly on stderr and
// in syslog with the fix; nullopt when neither loads: the container then starts without
// vzlvs. A hook never stops a container because of vzlvs's own files (docs/commands/hook.md).
std::optional<Config> load_hook_config(const std::filesystem::path& config,
                                       const std::filesystem::path& last_good);

// `vzlvs -c CONFIG hook ACTION --last-good FILE`: load_hook_config, then run_hook.
int run_hook_command(const std::filesystem::path& config, const std::filesystem::path& last_good,
                     const FlowOptions& opts, const std::string& action);

}  // namespace vzlvs
