// An OpenVZ stand-in node for integration tests (tests/openvz/mknode, see
// docs/openvz-standin.md): created in the constructor, removed in the destructor (also when
// the test fails), with unique namespace names so parallel runs never collide.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "vzlvs/base/process.hpp"

namespace vzlvs::test {

// One line of ROOT/calls.log: CLASS<TAB>tool<TAB>arg1<TAB>... (escapes \t \n \\ undone).
struct VzctlCall {
    std::string klass;              // "mutating" | "readonly" | "exec"
    std::string tool;               // "vzctl" | "vzlist"
    std::vector<std::string> args;  // what followed the program name
    bool mutating() const { return klass == "mutating"; }
};

class StandinNode {
  public:
    // Runs tests/openvz/mknode. Throws vzlvs::Error (with mknode's stderr) on failure.
    StandinNode();
    ~StandinNode();
    StandinNode(const StandinNode&) = delete;
    StandinNode& operator=(const StandinNode&) = delete;

    const std::string& root() const { return root_; }
    // The node is an OpenVZ 7 one (mknode --openvz 7): the test's environment has
    // VZ_STANDIN_OPENVZ=7, which CTest sets for the flow suites' second run.
    static bool openvz7();
    // Where vzctl runs a CT's action script: $VE_PRIVATE/scripts/ACTION on OpenVZ 7,
    // /etc/vz/conf/CTID.ACTION on vzctl 4.
    std::string action_script(const std::string& ctid, const std::string& action) const {
        return openvz7() ? root_ + "/vz/private/" + ctid + "/scripts/" + action
                         : conf_dir() + "/" + ctid + "." + action;
    }
    // The IP_ADDRESS line vzctl writes for these space-separated IPs (vzctl 7 ends each entry
    // with a space: libvzctl lib/env_config.c).
    static std::string ip_address_line(const std::string& ips) {
        return "IP_ADDRESS=\"" + ips + (openvz7() ? " " : "") + "\"";
    }
    // vzlvs's step name for that script ("hook 101.mount", "hook mount").
    static std::string hook_step(const std::string& ctid, const std::string& action) {
        return openvz7() ? "hook " + action : "hook " + ctid + "." + action;
    }
    std::string vzctl() const { return root_ + "/bin/vzctl"; }
    std::string vzlist() const { return root_ + "/bin/vzlist"; }
    std::string conf_dir() const { return root_ + "/etc/vz/conf"; }
    std::string conf_file(const std::string& ctid) const {
        return conf_dir() + "/" + ctid + ".conf";
    }
    const std::string& ns_prefix() const { return prefix_; }
    std::string node_netns_name() const { return prefix_ + "-node"; }
    std::string lan_netns_name() const { return prefix_ + "-lan"; }
    std::string node_netns() const { return "/run/netns/" + node_netns_name(); }
    std::string lan_netns() const { return "/run/netns/" + lan_netns_name(); }
    std::string ct_netns_name(const std::string& ctid) const { return prefix_ + "-ct" + ctid; }
    std::string ct_netns(const std::string& ctid) const {
        return "/run/netns/" + ct_netns_name(ctid);
    }
    // The node's uplink eth0 is 198.51.100.2/24; the lan namespace (br0) is 198.51.100.1.
    static constexpr const char* node_ip = "198.51.100.2";
    static constexpr const char* lan_ip = "198.51.100.1";

    // `vzctl create CTID [--ipadd "ip1 ip2"]`; throws when it fails. Does not start it.
    void create_ct(const std::string& ctid, const std::vector<std::string>& ips = {});
    // `vzctl ARGS...` (ROOT/bin/vzctl; it enters the node netns itself).
    RunResult vzctl_run(const std::vector<std::string>& args, const RunOptions& opts = {}) const;
    // Runs argv inside the node netns (`ip netns exec NODE argv...`).
    RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {}) const;
    // The same in the lan netns (the router/director side of eth0).
    RunResult run_lan(const std::vector<std::string>& argv, const RunOptions& opts = {}) const;

    // Every vzctl/vzlist invocation so far, in order, and the mutating ones only.
    std::vector<VzctlCall> vzctl_calls() const;
    std::vector<VzctlCall> mutating_calls() const;

  private:
    std::unique_ptr<ProcessRunner> runner_;
    std::string root_;
    std::string prefix_;
};

}  // namespace vzlvs::test
