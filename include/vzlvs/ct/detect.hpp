// Which vzctl a node has, vzctl 4 (legacy OpenVZ) or vzctl 7 (OpenVZ 7), and the driver for
// it: `[node] openvz = 4|7` says so, `auto` asks `vzctl --version` once and caches the answer
// in state_dir, keyed by the vzctl binary, so hooks and later runs spawn nothing for it;
// a version line it does not know makes it ask `vzctl status` instead.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "vzlvs/base/process.hpp"
#include "vzlvs/config/config.hpp"
#include "vzlvs/ct/manager.hpp"

namespace vzlvs {

// `vzctl --version`: "vzctl version 4.11.1" (vzctl 4, src/vzctl.c version()) or
// "vzctl v.7.0.254" (vzctl 7, src/vz.c Version()). nullopt for anything else.
std::optional<OpenvzRelease> parse_vzctl_version(const std::string& output);
// The fallback when --version says neither: `vzctl status ID` starts `CTID ...` on vzctl 4
// (src/vzctl-actions.c) and `VEID ...` on vzctl 7 (src/vzctl.c Show).
std::optional<OpenvzRelease> parse_vzctl_status_word(const std::string& line);

struct DetectedRelease {
    OpenvzRelease release = OpenvzRelease::v4;
    std::string how;  // for check: "detected: `vzctl --version` printed \"vzctl v.7.0.254\""
};

// The release vzlvs drives on this node. Throws Error (saying how to set it) when vzctl is
// missing or prints something else.
DetectedRelease detect_openvz(ProcessRunner& runner, const NodeConfig& node);

std::unique_ptr<ContainerManager> make_container_manager(ProcessRunner& runner,
                                                         const NodeConfig& node);

}  // namespace vzlvs
