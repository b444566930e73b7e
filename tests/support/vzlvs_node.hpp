// A stand-in OpenVZ node driven by the real vzlvs binary (docs/openvz-standin.md): the
// StandinNode, a test-director running inside the node's network namespace, the vzlvs config
// written into the node ROOT, the CLI run inside the node namespace with its --json report
// parsed, waiting for mount-hook workers, and snapshots of everything vzlvs may change.
// Everything is removed in the destructor, also when the test fails.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/standin.hpp"
#include "vzlvs/base/process.hpp"

namespace vzlvs::test {

// test-director started with `ip netns exec NS test-director --listen 127.0.0.1:0`: its
// loopback is the namespace's, so vzlvs (and its hook workers) reach it from inside the node.
// Queries go through a thread that entered the namespace (vzlvs::in_netns).
class NetnsDirector {
  public:
    NetnsDirector(const std::string& netns_name, const std::string& netns_path);
    ~NetnsDirector();
    NetnsDirector(const NetnsDirector&) = delete;
    NetnsDirector& operator=(const NetnsDirector&) = delete;

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // One request; returns the HTTP status (0 never: a transport failure throws).
    long call(const std::string& method, const std::string& path, const std::string& body = {},
              std::string* reply = nullptr) const;
    // GET path parsed as JSON; nullopt on 404.
    std::optional<nlohmann::json> get(const std::string& path) const;
    // Every service with its options and backends (options only: metrics change over time).
    nlohmann::json state() const;

  private:
    void stop();
    std::string netns_path_;
    pid_t pid_ = -1;
    int port_ = 0;
    std::thread drain_;  // keeps reading the director's stdout so it never blocks
};

// A failed outcome a test expects: scope, step name, and a part of its detail.
struct ExpectedFailure {
    std::string scope, name, detail_part;
};

// The failures this bench always has: the kernel has no ipip, so bootstrap cannot load it and
// every running CT's tunl0 is a stand-in (ifb) device.
inline constexpr const char* kIpipMissing = "ipip not supported by this kernel";
inline ExpectedFailure bootstrap_ipip_failure() { return {"node", "ipip module", kIpipMissing}; }
inline ExpectedFailure check_ipip_failure() { return {"node", "ipip module", "not loaded"}; }
inline ExpectedFailure ct_ipip_failure(const std::string& ctid) {
    return {"ct " + ctid, "tunl0 is an ipip device", kIpipMissing};
}

// The parsed result of one vzlvs run.
struct CliResult {
    RunResult run;
    nlohmann::json report;  // null unless stdout was a JSON report

    int exit_code() const { return run.exit_code; }
    // Outcomes with this status ("failed", "changed", ...).
    std::vector<nlohmann::json> with_status(const std::string& status) const;
    // The first outcome with this scope and name; nullopt when absent.
    std::optional<nlohmann::json> outcome(const std::string& scope, const std::string& name) const;
    int summary(const std::string& key) const;
    // Exit code, stdout and stderr: for assertion messages.
    std::string describe() const;
    // "" when the failed outcomes are exactly the expected ones (each matched once) and the
    // report's exit is the process's; else what differs. This bench has no ipip: those
    // failures are expected, and must be the only ones.
    std::string unexpected_failures(const std::vector<ExpectedFailure>& expected) const;
};

// Everything a vzlvs command may change on a node, in comparable text form.
struct NodeSnapshot {
    std::map<std::string, std::string> files;  // ROOT/etc and ROOT/vz/root: "mode\ncontent"
    std::string routes;                        // ip route show table all
    std::string proxies;                       // ip neigh show proxy
    std::string nft;                           // nft -s list ruleset (no counters)
    std::map<std::string, std::string> cts;    // running CT -> addresses and rp_filter
    std::string director;                      // NetnsDirector::state()
    size_t mutating_calls = 0;

    // "" when equal, else a description of each difference.
    std::string diff(const NodeSnapshot& other) const;
};

struct ConfigOptions {
    std::string restart = "auto";
    std::string vzctl;       // default ROOT/bin/vzctl
    std::string node_extra;  // more [node] lines, e.g. "uplinks = nosuchdev\n"
    bool director = true;    // [director] url = the test director (when there is one)
};

class VzlvsNode {
  public:
    explicit VzlvsNode(bool with_director = true);
    // Waits for every hook worker (their flock), then stops the director and removes the node.
    ~VzlvsNode();
    VzlvsNode(const VzlvsNode&) = delete;
    VzlvsNode& operator=(const VzlvsNode&) = delete;

    StandinNode& standin() { return node_; }
    const StandinNode& standin() const { return node_; }
    NetnsDirector& director();
    const std::string& root() const { return node_.root(); }
    std::string config_path() const { return root() + "/vzlvs.conf"; }
    std::string state_dir() const { return root() + "/vzlvs-state"; }
    std::string conf_dir() const { return node_.conf_dir(); }
    std::string sysctl_dir() const { return root() + "/etc/sysctl.d"; }
    std::string modules_load_dir() const { return root() + "/etc/modules-load.d"; }
    // The in-CT persistent sysctl file (the CT's /etc overlay lives in VE_ROOT/etc).
    std::string ct_sysctl_file(const std::string& ctid) const {
        return root() + "/vz/root/" + ctid + "/etc/sysctl.d/zz-vzlvs.conf";
    }
    std::string worker_lock(const std::string& ctid) const {
        return state_dir() + "/workers/" + ctid + ".lock";
    }

    // `vzctl create CTID --ipadd IP`, then `vzctl start` when asked; throws on failure.
    void create_ct(const std::string& ctid, const std::string& ip, bool start);
    // The standard scenario: 101 (198.51.100.101) running, 102 (198.51.100.102) stopped.
    void create_standard_cts();

    // [node] (paths inside ROOT) + [director] + body, written to config_path().
    std::string config_text(const std::string& body, const ConfigOptions& opts = {}) const;
    void write_config(const std::string& body, const ConfigOptions& opts = {});
    // web 192.0.2.10:80/tcp on 101 (weight 10), dns 192.0.2.53:53/udp on 102.
    static std::string standard_body();

    // create_standard_cts, the standard config, bootstrap and provision, then waits for the
    // hook worker of 101's restart. Throws (with the reports) unless the only failures are
    // the expected ipip ones.
    void bootstrap_and_provision_standard();

    // `vzlvs -c CONFIG --json ARGS...` inside the node namespace.
    CliResult cli(const std::vector<std::string>& args) const;
    // `vzlvs ARGS...` as given (no -c, no --json) inside the node namespace.
    RunResult vzlvs_raw(const std::vector<std::string>& args, const RunOptions& opts = {}) const;
    // argv inside the node namespace; throws unless it exits 0; returns stdout.
    std::string run_ok(const std::vector<std::string>& argv) const;
    // `ip -n NODE ARGS...` and `ip -n CT ARGS...` (stdout; throws on failure).
    std::string ip_node(const std::vector<std::string>& args) const;
    std::string ip_ct(const std::string& ctid, const std::vector<std::string>& args) const;
    // /proc/sys/net/ipv4/conf/DEV/KEY inside a running CT.
    std::string ct_sysctl(const std::string& ctid, const std::string& dev,
                          const std::string& key) const;
    // The VIP's routes (any table) and proxy entries in the node namespace: "" when none.
    std::string node_routes_for(const std::string& ip) const;
    std::string node_proxies_for(const std::string& ip) const;

    // Blocks until the hook worker of CTID has finished (takes its flock); false when the
    // worker's lock file does not exist (no worker ever ran).
    bool wait_for_worker(const std::string& ctid) const;
    void wait_for_workers() const;

    NodeSnapshot snapshot() const;
    std::string read(const std::string& path) const;  // throws when missing
    bool exists(const std::string& path) const;

  private:
    StandinNode node_;
    std::unique_ptr<ProcessRunner> runner_;
    std::unique_ptr<NetnsDirector> director_;
};

}  // namespace vzlvs::test
