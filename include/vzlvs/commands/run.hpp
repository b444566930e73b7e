// The step commands (bootstrap, provision, deprovision, check, register, drain, deregister):
// each is a recipe, an ordered list of steps over the selected containers
// (docs/commands/*.md). `hook` and `watch` have their own entry points (hook.hpp, watch.hpp).
#pragma once

#include <string>
#include <vector>

#include "vzlvs/steps/report.hpp"
#include "vzlvs/world/ctx.hpp"

namespace vzlvs {

// Throws UsageError, before any change, for settings that would make a later step refuse:
// a state_dir that is not private, an unusable director URL, token_file or ca_file.
void refuse_unusable_settings(const Config& cfg, const FlowOptions& opts, Seams& seams);

// Runs one step command. ctids: the containers named on the command line (some commands
// default to every configured one). Seams are made from cfg unless the caller passes its own.
Report run_command(const Config& cfg, const FlowOptions& opts, const std::string& command,
                   const std::vector<std::string>& ctids);
Report run_command(const Config& cfg, const FlowOptions& opts, const std::string& command,
                   const std::vector<std::string>& ctids, Seams& seams);

// `check --metrics-file FILE`: the run's report as Prometheus metrics (docs/metrics.md),
// written atomically to path. Throws Error when the file cannot be written.
void write_check_metrics(const Config& cfg, const Report& report, Seams& seams,
                         const std::filesystem::path& path);

}  // namespace vzlvs
