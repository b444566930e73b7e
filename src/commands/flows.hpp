// The commands: each one builds an ordered list of Steps from the configuration and runs it
// (docs/commands/*.md). Seams are built from the configuration unless a test supplies them.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "net/arpguard.hpp"
#include "config/config.hpp"
#include "ct/ct_net.hpp"
#include "director/director.hpp"
#include "net/netlink.hpp"
#include "base/process.hpp"
#include "steps/report.hpp"
#include "ct/vzctl.hpp"

namespace vzlvs {

struct FlowOptions {
    bool dry_run = false;
    bool features_off = false;          // deprovision: also turn the ipip feature off
    std::filesystem::path config_path;  // written into hook scripts
    std::string self;                   // argv[0]; resolved to vzlvs's absolute path
    std::chrono::milliseconds lock_wait{std::chrono::seconds(30)};  // for a container's lock
    bool install_watch = false;  // bootstrap: install and enable vzlvs-watch.service
    std::filesystem::path unit_dir = "/etc/systemd/system";
};

// The outside world one run acts on. Created lazily: a converged `check` that needs no
// director never opens a connection, a hook for an unmanaged CT builds nothing.
class Seams {
  public:
    explicit Seams(const Config& cfg) : cfg_(cfg) {}
    ProcessRunner& runner();
    Vzctl& vzctl();
    Netlink& netlink();  // the node's namespace
    ArpGuard& guard();
    CtNet& ct_net();
    Director* director();  // nullptr when [director] has no url

    // Tests replace any seam before first use.
    std::unique_ptr<ProcessRunner> runner_;
    std::unique_ptr<Vzctl> vzctl_;
    std::unique_ptr<Netlink> netlink_;
    std::unique_ptr<ArpGuard> guard_;
    std::unique_ptr<CtNet> ct_net_;
    std::unique_ptr<Director> director_;

  private:
    const Config& cfg_;
    bool director_made_ = false;
};

Report run_flow(const Config& cfg, const FlowOptions& opts, const std::string& command,
                const std::vector<std::string>& ctids);
Report run_flow(const Config& cfg, const FlowOptions& opts, const std::string& command,
                const std::vector<std::string>& ctids, Seams& seams);

// `vzlvs hook mount|umount`, with VEID from the environment vzctl gives its scripts.
int run_hook(const Config& cfg, const FlowOptions& opts, const std::string& action);

}  // namespace vzlvs
