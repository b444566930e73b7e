// What every step of one run shares: the configuration, the command's options, the seams.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "vzlvs/config/config.hpp"
#include "vzlvs/world/seams.hpp"

namespace vzlvs {

struct FlowOptions {
    bool dry_run = false;
    bool features_off = false;          // deprovision: also turn the ipip feature off
    std::filesystem::path config_path;  // written into hook scripts
    std::string self;                   // argv[0]; resolved to vzlvs's absolute path
    std::chrono::milliseconds lock_wait{std::chrono::seconds(30)};  // for a container's lock
    bool probe = false;          // check --probe: also probe each CT through the tunnel
    std::string probe_service;   // probe: only this service (empty: each of the CT's)
    bool install_watch = false;  // bootstrap: install and enable vzlvs-watch.service
    bool undo = false;           // bootstrap --undo: take back what bootstrap persisted
    std::filesystem::path unit_dir = "/etc/systemd/system";
};

struct Ctx {
    const Config& cfg;
    const FlowOptions& opts;
    Seams& seams;
};

// vzlvs's own absolute path, as hook scripts and the watch unit must name it.
std::string self_path(const FlowOptions& opts);

}  // namespace vzlvs
