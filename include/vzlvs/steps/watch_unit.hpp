// bootstrap --install-watch: the systemd unit for `vzlvs watch`, enabled and started. A
// package ships the unit (PREFIX/lib/systemd/system); bootstrap then writes no second one to
// shadow it, only a drop-in for a config other than the packaged one.
#pragma once

#include <filesystem>
#include <optional>
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

// A file the unit's installation wants: with this text, or absent (text nullopt; only ever
// a file vzlvs wrote itself, which starts with the template's first line).
struct UnitFile {
    std::filesystem::path path;
    std::optional<std::string> text;
};

// What bootstrap --install-watch writes into unit_dir, given the unit a package installed
// (nullopt: none): the whole unit when there is no packaged one; else no unit of its own (a
// leftover one would shadow the package's) and a drop-in overriding ExecStart only when it
// differs from the packaged unit's.
std::vector<UnitFile> watch_unit_files(const std::string& vzlvs, const std::string& config,
                                       const std::filesystem::path& unit_dir,
                                       const std::optional<std::string>& packaged_unit);

// Where a package put the unit for this vzlvs: PREFIX/lib/systemd/system for PREFIX/sbin/vzlvs.
std::filesystem::path packaged_unit_path(const std::string& vzlvs);

std::vector<Step> watch_unit_steps(Ctx& ctx);

// bootstrap --undo: the service disabled and stopped, and the unit files vzlvs wrote (never
// a packaged unit, never an operator's override) removed.
std::vector<Step> watch_unit_undo_steps(Ctx& ctx);

}  // namespace vzlvs
