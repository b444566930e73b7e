// Every fake at once, wired as one node: Seams for run_command() over FakeContainers,
// FakeCtNet, FakeNetlink, FakeArpGuard, FakeDirector, FakeNodeSystem and FakeProcessRunner,
// sharing one Events log, with state_dir, the action scripts and the node's sysctl.d and
// modules-load.d in a temporary directory.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "fakes/fake_arp_guard.hpp"
#include "fakes/fake_containers.hpp"
#include "fakes/fake_director.hpp"
#include "fakes/fake_netlink.hpp"
#include "fakes/fake_node_system.hpp"
#include "fakes/fake_process_runner.hpp"
#include "fakes/fake_tunnel_prober.hpp"
#include "vzlvs/config/config.hpp"
#include "vzlvs/steps/report.hpp"
#include "vzlvs/world/ctx.hpp"
#include "vzlvs/world/seams.hpp"

namespace vzlvs::fakes {

class FakeNode {
  public:
    // `extra` is appended to a config with services web (192.0.2.10:80) and dns
    // (192.0.2.53:53/udp) and containers 101 (web) and 102 (dns); both CTs exist and run,
    // unprovisioned. `openvz7`: the containers behave as on vzctl 7, and 101 is configured
    // by its CT name, web1.
    explicit FakeNode(const std::string& node_extra = "", bool openvz7 = false);
    ~FakeNode();
    FakeNode(const FakeNode&) = delete;
    FakeNode& operator=(const FakeNode&) = delete;

    const Config& config() const { return cfg_; }
    std::filesystem::path dir() const { return dir_; }

    // Seams lending the fakes, for one command (each vzlvs run makes its own seams).
    Seams seams();
    // From now on the director is not lent: make_director() makes it from these dialects,
    // with [director] api = `api` (a word the config parser would refuse, as a new dialect's
    // is until its row exists).
    void speak(std::vector<DirectorDialect> dialects, const std::string& api);
    // run_command() on this node, as `vzlvs [--dry-run] COMMAND CTID...` would run it.
    Report run(const std::string& command, std::vector<std::string> ctids = {},
               bool dry_run = false);

    Events events;
    FakeNetlink netlink{events};
    FakeArpGuard guard{events};
    FakeContainers containers;
    FakeCtNet ct_net{events, containers};
    FakeDirector director{events};
    FakeProcessRunner runner;
    FakeTunnelProber prober{events};
    // A converged node's kernel: rp_filter 0 on venet0 and all, forwarding on, no proxy_arp.
    FakeNodeSystem system{events};
    // What run() starts from (a command's flags: probe, probe_service).
    FlowOptions options;

  private:
    std::filesystem::path dir_;
    Config cfg_;
    std::vector<DirectorDialect> dialects_;
};

// Every failed outcome, "[scope] name: detail" per line: "" when none failed.
std::string failures(const Report& r);
// The outcome of step `name` in `scope`; nullptr when the run had none.
const Outcome* find(const Report& r, const std::string& scope, const std::string& name);

}  // namespace vzlvs::fakes
