// `vzlvs check` on the OpenVZ stand-in: a provisioned node (CT 101 web 192.0.2.10 and CT 102
// dns 192.0.2.53, both running, registered at the test director) checks clean; each failure,
// injected alone into a fresh copy of that node, is named by exactly the step that owns it
// (scope, name, a part of the detail), with exit 1, a fix, and nothing changed by check; the
// fix it names repairs it. (The --json reports: report_schema_test.cpp.)
//
// This kernel has no ipip: the node always fails "ipip module" and each running CT "tunl0 is an
// ipip device" (tests/support/vzlvs_node.hpp). "Clean" means exactly those failures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/node_edits.hpp"
#include "support/vzlvs_node.hpp"
#include "vzlvs/base/error.hpp"

namespace vzlvs::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kWebVip = "192.0.2.10";
constexpr const char* kDnsVip = "192.0.2.53";

// --- the healthy node ---------------------------------------------------------------------

TEST(Check, ProvisionedNodeHasOnlyTheBenchFailuresAndCheckChangesNothing) {
    VzlvsNode n;
    ASSERT_NO_FATAL_FAILURE(provision_both(n));
    NodeSnapshot before = n.snapshot();

    CliResult c = n.cli({"check"});
    ASSERT_NO_FATAL_FAILURE(expect_check_report(c));
    EXPECT_EQ(c.exit_code(), 1) << c.describe();
    EXPECT_EQ(c.unexpected_failures(bench_failures()), "");

    // Every step ran and holds (a step that silently vanished would also "check clean").
    for (const char* step : {"vzctl", "venet device", "ipip loaded at boot", "rp_filter on venet0",
                             "rp_filter persisted", "IPv4 forwarding", "ARP guard"}) {
        auto o = c.outcome("node", step);
        ASSERT_TRUE(o.has_value()) << step << "\n" << c.describe();
        EXPECT_EQ((*o)["status"], "ok") << o->dump();
    }
    // check says which ARP guard backend runs, and why: probed once at this boot (provision
    // did), so check spawned no probe.
    const std::string guard = c.outcome("node", "ARP guard")->value("detail", "");
    EXPECT_THAT(guard, HasSubstr("(nft: this kernel takes a netdev egress chain (Linux >= 5.16) "
                                 "(probed at this boot; cached in " +
                                 n.state_dir() + "/arpguard-backend))"));
    for (auto [ctid, service] : {std::pair{"101", "web"}, std::pair{"102", "dns"}}) {
        const std::string scope = std::string("ct ") + ctid, id = ctid;
        for (const std::string& step :
             {std::string("container exists"), std::string("VIP held by no other CT"),
              std::string("container running"), std::string("ipip feature"),
              StandinNode::hook_step(id, "mount"), StandinNode::hook_step(id, "umount"),
              StandinNode::hook_step(id, "start"), std::string("VIP in IP_ADDRESS"),
              std::string("ipip effective"), std::string("no VIP route on venet0"),
              std::string("no proxy-ARP entry for VIP"),
              std::string("tunl0 + VIP + rp_filter in CT"),
              std::string("VIP on the CT side of venet"),
              "registered in " + std::string(service)}) {
            auto o = c.outcome(scope, step);
            ASSERT_TRUE(o.has_value()) << scope << ": " << step << "\n" << c.describe();
            EXPECT_EQ((*o)["status"], "ok") << o->dump();
        }
    }
    EXPECT_EQ(before.diff(n.snapshot()), "");

    // `check CTID` covers the node and that container only.
    CliResult one = n.cli({"check", "102"});
    ASSERT_NO_FATAL_FAILURE(expect_check_report(one));
    EXPECT_EQ(one.unexpected_failures(bench_failures(false, true)), "");
    for (const auto& o : one.report["outcomes"]) EXPECT_NE(o["scope"], "ct 101") << o.dump();
    EXPECT_EQ(before.diff(n.snapshot()), "");
}

// --- one injected failure per case ----------------------------------------------------------

struct Case {
    std::string name;  // the gtest parameter name
    std::function<void(VzlvsNode&)> inject;
    ExpectedFailure failure;  // the one failure check must add
    // A prefix of the fix check must name ("" = any). Unless `repair` is set, the fix is then
    // run as the user would, and check must be clean again.
    std::string fix;
    std::function<void(VzlvsNode&)> repair;  // instead of the fix (when the fix is advice)
    bool ct101_running = true;               // 101's bench failure needs it running
    bool ct101_checked = true;               // false: 101's steps stop at its preflight
};

Case make(std::string name, std::function<void(VzlvsNode&)> inject, ExpectedFailure failure,
          std::string fix, std::function<void(VzlvsNode&)> repair = {}) {
    Case c;
    c.name = std::move(name);
    c.inject = std::move(inject);
    c.failure = std::move(failure);
    c.fix = std::move(fix);
    c.repair = std::move(repair);
    return c;
}

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

// Runs the fix text (up to " (", ";" or " &&") the way a user would: vzlvs with this node's
// config, vzctl through the stand-in, anything else as a command on the node.
void run_fix(VzlvsNode& n, const std::string& fix) {
    std::string cmd = fix.substr(0, std::min({fix.find(" ("), fix.find(';'), fix.find(" &&")}));
    std::vector<std::string> argv = words(cmd);
    ASSERT_FALSE(argv.empty()) << "fix: " << fix;
    if (argv[0] == "vzlvs") {
        argv.erase(argv.begin());
        CliResult r = n.cli(argv);
        ASSERT_TRUE(r.report.is_object()) << r.describe();
        ASSERT_LE(r.exit_code(), 1) << r.describe();
    } else if (argv[0] == "vzctl") {
        argv.erase(argv.begin());
        RunResult r = n.standin().vzctl_run(argv);
        ASSERT_TRUE(r.ok()) << describe(argv, r);
    } else {
        try {
            on_node(n, argv);
        } catch (const std::exception& e) {
            FAIL() << "the fix is not a command that works: " << fix << "\n" << e.what();
        }
    }
    n.wait_for_workers();
}

class CheckNames : public ::testing::TestWithParam<Case> {};

TEST_P(CheckNames, ExactlyTheInjectedFailureWithExit1AndChangesNothing) {
    const Case& k = GetParam();
    VzlvsNode n;
    ASSERT_NO_FATAL_FAILURE(provision_both(n));
    ASSERT_NO_THROW(k.inject(n));
    n.wait_for_workers();  // an injection through vzctl may run the hooks
    NodeSnapshot before = n.snapshot();

    std::vector<ExpectedFailure> want = bench_failures(k.ct101_running && k.ct101_checked, true);
    want.push_back(k.failure);
    CliResult c = n.cli({"check"});
    ASSERT_NO_FATAL_FAILURE(expect_check_report(c));
    EXPECT_EQ(c.exit_code(), 1) << c.describe();
    EXPECT_EQ(c.unexpected_failures(want), "");
    auto o = c.outcome(k.failure.scope, k.failure.name);
    ASSERT_TRUE(o.has_value()) << c.describe();
    EXPECT_EQ((*o)["status"], "failed") << o->dump();
    EXPECT_THAT((*o)["fix"].get<std::string>(), StartsWith(k.fix)) << o->dump();
    EXPECT_EQ(before.diff(n.snapshot()), "") << "check changed the node";

    // Scoped to the other CT, a CT 101 failure is not reported; a node failure is.
    CliResult other = n.cli({"check", "102"});
    ASSERT_NO_FATAL_FAILURE(expect_check_report(other));
    std::vector<ExpectedFailure> want102 = bench_failures(false, true);
    if (k.failure.scope == "node") want102.push_back(k.failure);
    EXPECT_EQ(other.unexpected_failures(want102), "");
    EXPECT_EQ(before.diff(n.snapshot()), "") << "check 102 changed the node";

    // The fix it names repairs it.
    if (k.repair) {
        ASSERT_NO_THROW(k.repair(n));
        n.wait_for_workers();
    } else {
        ASSERT_NO_FATAL_FAILURE(run_fix(n, (*o)["fix"].get<std::string>()));
    }
    CliResult after = n.cli({"check"});
    ASSERT_NO_FATAL_FAILURE(expect_check_report(after));
    EXPECT_EQ(after.unexpected_failures(bench_failures()), "") << "after the fix: " << (*o)["fix"];
}

std::string ct_conf(VzlvsNode& n, const std::string& ctid) { return n.standin().conf_file(ctid); }

void vzctl_ok(VzlvsNode& n, const std::vector<std::string>& args) {
    RunResult r = n.standin().vzctl_run(args);
    if (!r.ok()) throw Error(describe(args, r));
}

std::vector<Case> cases() {
    const std::string provision101 = "vzlvs provision 101";
    std::vector<Case> v;
    // In the container (its own namespace, and its files).
    v.push_back(make(
        "VipOffTunl0",
        [](VzlvsNode& n) {
            n.ip_ct("101", {"addr", "del", "192.0.2.10/32", "dev", "tunl0"});
        },
        {"ct 101", "tunl0 + VIP + rp_filter in CT", "192.0.2.10/32 not on tunl0"}, provision101));
    v.push_back(make(
        "Tunl0Down",
        [](VzlvsNode& n) {
            n.ip_ct("101", {"link", "set", "tunl0", "down"});
        },
        {"ct 101", "tunl0 + VIP + rp_filter in CT", "tunl0 is down"}, provision101));
    v.push_back(make(
        "RpFilterAllInCt",
        [](VzlvsNode& n) {
            in_ct(n, "101", {"sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"});
        },
        {"ct 101", "tunl0 + VIP + rp_filter in CT", "net.ipv4.conf.all.rp_filter=1, want 0"},
        provision101));
    v.push_back(make(
        "RpFilterTunl0InCt",
        [](VzlvsNode& n) {
            in_ct(n, "101", {"sysctl", "-qw", "net.ipv4.conf.tunl0.rp_filter=2"});
        },
        {"ct 101", "tunl0 + VIP + rp_filter in CT", "net.ipv4.conf.tunl0.rp_filter=2, want 0"},
        provision101));
    v.push_back(make(
        "CtSysctlFileMissing", [](VzlvsNode& n) { fs::remove(n.ct_sysctl_file("101")); },
        {"ct 101", "tunl0 + VIP + rp_filter in CT", "in-container sysctl file missing"},
        provision101));
    v.push_back(make(
        "CtSysctlFileEdited",
        [](VzlvsNode& n) {
            write_file(n.ct_sysctl_file("101"), "net.ipv4.conf.all.rp_filter = 1\n");
        },
        {"ct 101", "tunl0 + VIP + rp_filter in CT", "in-container sysctl file differs"},
        provision101));
    const auto vip_off_venet = [](VzlvsNode& n) {
        n.ip_ct("101", {"addr", "del", "192.0.2.10/32", "dev", "venet0"});
    };
    const ExpectedFailure venet_failure{"ct 101", "VIP on the CT side of venet",
                                        "192.0.2.10 not on the CT's venet0"};
    // vzctl puts the CT's IPs on its venet at start: the named fix is a restart.
    v.push_back(make("VipOffCtVenet", vip_off_venet, venet_failure, "vzctl restart 101"));

    // On the node: what vzctl leaks, and the ARP guard.
    v.push_back(make(
        "VipRouteOnVenet",
        [](VzlvsNode& n) {
            n.ip_node({"route", "add", "192.0.2.10", "dev", "venet0"});
        },
        {"ct 101", "no VIP route on venet0", "192.0.2.10 dev venet0"}, provision101));
    v.push_back(make(
        "ProxyArpEntry",
        [](VzlvsNode& n) {
            n.ip_node({"neigh", "add", "proxy", "192.0.2.10", "dev", "eth0"});
        },
        {"ct 101", "no proxy-ARP entry for VIP", "192.0.2.10 dev eth0"}, provision101));
    v.push_back(make(
        "ArpGuardChainFlushed",
        [](VzlvsNode& n) {
            on_node(n, {"nft", "flush", "chain", "netdev", "vzlvs", "egress_eth0"});
        },
        {"node", "ARP guard", "the vzlvs rules on eth0 were altered"}, "vzlvs bootstrap"));
    v.push_back(make(
        "ArpGuardVipNotInSet",
        [](VzlvsNode& n) {
            on_node(
                n, {"nft", "delete", "element", "netdev", "vzlvs", "vips", "{", "192.0.2.10", "}"});
        },
        {"node", "ARP guard", "192.0.2.10 on eth0: the VIP is not in the guard's set"},
        "vzlvs bootstrap"));

    // The container's configuration and hooks.
    const auto feature_off = [](VzlvsNode& n) {
        replace_line(n, ct_conf(n, "101"), "FEATURES", "FEATURES=\"ipip:off\"");
    };
    const ExpectedFailure feature_failure{"ct 101", "ipip feature", "ipip not in FEATURES"};
    v.push_back(make("IpipFeatureOff", feature_off, feature_failure, provision101));
    v.push_back(make(
        "VipNotInIpAddress",
        [](VzlvsNode& n) {
            replace_line(n, ct_conf(n, "101"), "IP_ADDRESS", "IP_ADDRESS=\"198.51.100.101\"");
        },
        {"ct 101", "VIP in IP_ADDRESS", "missing 192.0.2.10"}, provision101));
    Case held = make(
        "VipHeldByAnotherCt",
        [](VzlvsNode& n) {
            replace_line(n, ct_conf(n, "102"), "IP_ADDRESS",
                         "IP_ADDRESS=\"198.51.100.102 192.0.2.53 192.0.2.10\"");
        },
        {"ct 101", "VIP held by no other CT", "VIP 192.0.2.10 is in the IP_ADDRESS of CT 102"},
        "a node's venet IP table is global",
        [](VzlvsNode& n) {
            replace_line(n, ct_conf(n, "102"), "IP_ADDRESS",
                         "IP_ADDRESS=\"198.51.100.102 192.0.2.53\"");
        });
    held.ct101_checked = false;  // check skips the rest of 101
    v.push_back(held);
    // The umount hook drained the stopped CT's backend (weight 0): that is not a registration
    // failure, only "container running" is.
    Case stopped = make(
        "ContainerStopped",
        [](VzlvsNode& n) {
            vzctl_ok(n, {"stop", "101"});
        },
        {"ct 101", "container running", "stopped"}, "vzctl start 101");
    stopped.ct101_running = false;
    v.push_back(stopped);
    v.push_back(make(
        "MountHookBlockRemoved",
        [](VzlvsNode& n) { edit_block(n, n.standin().action_script("101", "mount"), true); },
        {"ct 101", StandinNode::hook_step("101", "mount"), "has no vzlvs block"}, provision101));
    v.push_back(make(
        "UmountHookNotExecutable",
        [](VzlvsNode& n) {
            fs::permissions(n.standin().action_script("101", "umount"),
                            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                                fs::perms::others_read);
        },
        {"ct 101", StandinNode::hook_step("101", "umount"), "is not executable with a #! line"},
        provision101));
    v.push_back(make(
        "StartHookOutdated",
        [](VzlvsNode& n) {
            edit_block(n, n.standin().action_script("101", "start"), false, "echo edited\n");
        },
        {"ct 101", StandinNode::hook_step("101", "start"), "has an outdated vzlvs block"},
        provision101));

    // The director.
    v.push_back(make(
        "RegistrationDropped",
        [](VzlvsNode& n) { director_ok(n, "DELETE", "/service/web/" + backend_of(n, "web")); },
        {"ct 101", "registered in web", "missing"}, "vzlvs register 101"));
    v.push_back(make(
        "WeightChanged",
        [](VzlvsNode& n) {
            director_ok(n, "PATCH", "/service/web/" + backend_of(n, "web"), R"({"weight":5000})");
        },
        {"ct 101", "registered in web", "weight 5000, want 1000"}, "vzlvs register 101"));
    v.push_back(make(
        "WrongMethod",
        [](VzlvsNode& n) {
            const std::string path = "/service/web/" + backend_of(n, "web");
            json opts = (*n.director().get(path))["options"];
            opts["method"] = "nat";
            director_ok(n, "DELETE", path);
            director_ok(n, "PUT", path, opts.dump());
        },
        {"ct 101", "registered in web", "has method nat"}, "vzlvs register 101"));

    // The node's settings.
    const auto venet_rp = [](VzlvsNode& n) {
        on_node(n, {"sysctl", "-qw", "net.ipv4.conf.venet0.rp_filter=1"});
    };
    const ExpectedFailure rp_failure{"node", "rp_filter on venet0", "all=0 venet0=1"};
    // Named correctly, but its fix is wrong: repaired here by bootstrap; twin below.
    // `all` is 0 here: the fix is bootstrap (the "set all yourself" text is for all != 0).
    v.push_back(make("NodeRpFilterOnVenet", venet_rp, rp_failure, "vzlvs bootstrap"));
    v.push_back(make(
        "NodeSysctlDropInRemoved",
        [](VzlvsNode& n) { fs::remove(n.sysctl_dir() + "/60-vzlvs.conf"); },
        {"node", "rp_filter persisted", "60-vzlvs.conf missing"}, "vzlvs bootstrap"));
    v.push_back(make(
        "NodeModulesLoadRemoved",
        [](VzlvsNode& n) { fs::remove(n.modules_load_dir() + "/vzlvs.conf"); },
        {"node", "ipip loaded at boot", "vzlvs.conf missing"}, "vzlvs bootstrap"));
    v.push_back(make(
        "NodeForwardingOff",
        [](VzlvsNode& n) {
            on_node(n, {"sysctl", "-qw", "net.ipv4.ip_forward=0"});
        },
        {"node", "IPv4 forwarding", "ip_forward=0"}, "sysctl -w net.ipv4.ip_forward=1"));
    return v;
}

INSTANTIATE_TEST_SUITE_P(Injected, CheckNames, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

}  // namespace
}  // namespace vzlvs::test
