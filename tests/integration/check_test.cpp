// `vzlvs check` on the OpenVZ stand-in: a provisioned node (CT 101 web 192.0.2.10 and CT 102
// dns 192.0.2.53, both running, registered at the test director) checks clean; each failure,
// injected alone into a fresh copy of that node, is named by exactly the step that owns it
// (scope, name, a part of the detail), with exit 1, a fix, and nothing changed by check; the
// fix it names repairs it. The --json reports validate against docs/report.schema.json.
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

// --- helpers (not in the shared fixture) --------------------------------------------------

std::string describe(const std::vector<std::string>& argv, const RunResult& r) {
    return describe_argv(argv) + ": exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out +
           "\nstderr:\n" + r.err;
}

// argv on the test host (outside the node namespace); throws unless it exits 0.
std::string host_ok(const std::vector<std::string>& argv) {
    RunResult r = make_process_runner()->run(argv);
    if (!r.ok()) throw Error(describe(argv, r));
    return r.out;
}

// argv inside a running CT's network namespace (its /proc/sys/net is the CT's).
void in_ct(VzlvsNode& n, const std::string& ctid, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"ip", "netns", "exec", n.standin().ct_netns_name(ctid)});
    host_ok(argv);
}

// argv inside the node namespace; throws unless it exits 0.
void on_node(VzlvsNode& n, const std::vector<std::string>& argv) { n.run_ok(argv); }

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc | std::ios::binary);
    out << text;
    if (!out) throw Error("cannot write " + path);
}

// Replaces the line starting with KEY= in a file (a CT config); throws when there is none.
void replace_line(VzlvsNode& n, const std::string& path, const std::string& key,
                  const std::string& line) {
    std::istringstream in(n.read(path));
    std::string text, l;
    bool found = false;
    while (std::getline(in, l)) {
        if (!found && l.rfind(key + "=", 0) == 0) {
            l = line;
            found = true;
        }
        text += l + "\n";
    }
    if (!found) throw Error(path + " has no " + key + "= line");
    write_file(path, text);
}

// Drops the lines from "# BEGIN vzlvs lvs-tun" to "# END vzlvs lvs-tun", or puts `extra`
// before the END line (an outdated block); throws when there is no block.
void edit_block(VzlvsNode& n, const std::string& path, bool remove, const std::string& extra = {}) {
    std::istringstream in(n.read(path));
    std::string text, l;
    bool inside = false, seen = false;
    while (std::getline(in, l)) {
        if (l == "# BEGIN vzlvs lvs-tun") inside = seen = true;
        const bool end = l == "# END vzlvs lvs-tun";
        if (end && !remove) text += extra;
        if (!inside || !remove) text += l + "\n";
        if (end) inside = false;
    }
    if (!seen) throw Error(path + " has no vzlvs block");
    write_file(path, text);
}

// The ID of the only backend of a service at the test director.
std::string backend_of(VzlvsNode& n, const std::string& service) {
    auto s = n.director().get("/service/" + service);
    if (!s || !(*s)["backends"].is_array() || (*s)["backends"].size() != 1)
        throw Error("service " + service +
                    " has not exactly one backend: " + (s ? s->dump() : "missing"));
    return (*s)["backends"][0].get<std::string>();
}

void director_ok(VzlvsNode& n, const std::string& method, const std::string& path,
                 const std::string& body = {}) {
    std::string reply;
    long status = n.director().call(method, path, body, &reply);
    if (status != 200)
        throw Error(method + " " + path + ": HTTP " + std::to_string(status) + " " + reply);
}

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

// The failures this bench always has with CTs 101 and 102 running (no ipip in the kernel).
std::vector<ExpectedFailure> bench_failures(bool ct101 = true, bool ct102 = true) {
    std::vector<ExpectedFailure> f{check_ipip_failure()};
    if (ct101) f.push_back(ct_ipip_failure("101"));
    if (ct102) f.push_back(ct_ipip_failure("102"));
    return f;
}

// The node every case starts from: both CTs running, bootstrapped, provisioned, registered,
// hook workers finished. ASSERTs inside: call through ASSERT_NO_FATAL_FAILURE.
void provision_both(VzlvsNode& n) {
    n.create_ct("101", "198.51.100.101", true);
    n.create_ct("102", "198.51.100.102", true);
    n.write_config(VzlvsNode::standard_body());
    CliResult boot = n.cli({"bootstrap"});
    ASSERT_EQ(boot.unexpected_failures({bootstrap_ipip_failure()}), "");
    CliResult prov = n.cli({"provision"});
    ASSERT_EQ(prov.unexpected_failures({ct_ipip_failure("101"), ct_ipip_failure("102")}), "");
    n.wait_for_workers();
}

// What every check run must satisfy, whatever it found.
void expect_check_report(const CliResult& c) {
    ASSERT_TRUE(c.report.is_object()) << c.describe();
    EXPECT_EQ(c.report["schema"], "vzlvs.report/1");
    EXPECT_EQ(c.report["command"], "check");
    EXPECT_EQ(c.report["exit"], c.exit_code());
    EXPECT_EQ(c.summary("changed"), 0) << c.describe();
    EXPECT_EQ(c.summary("planned"), 0) << c.describe();
    EXPECT_EQ(c.summary("pending"), 0) << c.describe();
    for (const auto& o : c.with_status("failed"))
        EXPECT_NE(o["fix"], "") << "a failed check without a fix: " << o.dump();
}

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

// --- the --json schema (docs/report.schema.json) -----------------------------------------

const std::string kSchema = std::string(VZLVS_TESTS_DIR) + "/../docs/report.schema.json";
const std::string kValidator = std::string(VZLVS_TESTS_DIR) + "/json/validate_report.py";

// A directory removed with everything in it when the test ends, also on failure.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "vzlvs-report.XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw Error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string file(const std::string& name) const { return (path_ / name).string(); }

  private:
    fs::path path_;
};

// Debian's interpreter first: python3-jsonschema (scripts/install-deps) is installed for it.
std::string python() {
    return ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

// `python3 tests/json/validate_report.py SCHEMA FILE...`
RunResult validate(const std::vector<std::string>& files) {
    std::vector<std::string> argv{python(), kValidator, kSchema};
    argv.insert(argv.end(), files.begin(), files.end());
    return make_process_runner()->run(argv);
}

TEST(ReportSchema, CheckProvisionAndDryRunReportsValidate) {
    VzlvsNode n;
    n.create_ct("101", "198.51.100.101", true);
    n.create_ct("102", "198.51.100.102", false);
    n.write_config(VzlvsNode::standard_body());
    TempDir dir;
    std::vector<std::string> files;
    std::set<std::string> statuses;
    auto save = [&](const std::string& name, const std::vector<std::string>& args) {
        CliResult r = n.cli(args);
        ASSERT_TRUE(r.report.is_object()) << r.describe();
        for (const auto& o : r.report["outcomes"]) statuses.insert(o.value("status", ""));
        files.push_back(dir.file(name + ".json"));
        write_file(files.back(), r.run.out);
    };
    ASSERT_NO_FATAL_FAILURE(save("bootstrap", {"bootstrap"}));
    ASSERT_NO_FATAL_FAILURE(save("provision-dry-run", {"provision", "--dry-run"}));
    ASSERT_NO_FATAL_FAILURE(save("provision", {"provision"}));
    n.wait_for_workers();
    ASSERT_NO_FATAL_FAILURE(save("check", {"check"}));
    ASSERT_NO_FATAL_FAILURE(save("check-dry-run-flag", {"check", "--dry-run"}));

    RunResult v = validate(files);
    EXPECT_EQ(v.exit_code, 0) << v.err << v.out;
    EXPECT_EQ(v.err, "");
    // The reports exercised the statuses that matter (a schema test on ok-only output proves
    // little): the dry run plans, provision changes, check fails and warns.
    for (const char* s : {"ok", "planned", "changed", "failed", "warning", "skipped"})
        EXPECT_TRUE(statuses.count(s)) << "no outcome with status " << s;
}

TEST(ReportSchema, MalformedReportsFailValidation) {
    const json valid = {{"schema", "vzlvs.report/1"},
                        {"command", "check"},
                        {"outcomes",
                         {{{"scope", "ct 101"},
                           {"name", "container running"},
                           {"status", "failed"},
                           {"detail", "stopped"},
                           {"fix", "vzctl start 101"}}}},
                        {"summary",
                         {{"ok", 0},
                          {"changed", 0},
                          {"planned", 0},
                          {"pending", 0},
                          {"skipped", 0},
                          {"warning", 0},
                          {"failed", 1}}},
                        {"exit", 1}};
    TempDir dir;
    write_file(dir.file("valid.json"), valid.dump(2));
    RunResult ok = validate({dir.file("valid.json")});
    ASSERT_EQ(ok.exit_code, 0) << ok.err;

    struct Bad {
        std::string name, pointer, message_part;
        std::function<void(json&)> mutate;
    };
    const std::vector<Bad> bad{
        {"bogus-status", "/outcomes/0/status", "'bogus' is not one of",
         [](json& j) { j["outcomes"][0]["status"] = "bogus"; }},
        {"extra-field", "/", "'extra' was unexpected", [](json& j) { j["extra"] = 1; }},
        {"extra-outcome-field", "/outcomes/0", "'ctid' was unexpected",
         [](json& j) { j["outcomes"][0]["ctid"] = "101"; }},
        {"missing-fix", "/outcomes/0", "'fix' is a required property",
         [](json& j) { j["outcomes"][0].erase("fix"); }},
        {"missing-summary-key", "/summary", "'warning' is a required property",
         [](json& j) { j["summary"].erase("warning"); }},
        {"negative-count", "/summary/ok", "less than the minimum",
         [](json& j) { j["summary"]["ok"] = -1; }},
        {"exit-2", "/exit", "is not one of", [](json& j) { j["exit"] = 2; }},
        {"other-schema", "/schema", "was expected",
         [](json& j) { j["schema"] = "vzlvs.report/2"; }},
        {"unknown-command", "/command", "is not one of",
         [](json& j) { j["command"] = "frobnicate"; }},
        {"bad-scope", "/outcomes/0/scope", "does not match",
         [](json& j) { j["outcomes"][0]["scope"] = "container 101"; }},
    };
    for (const auto& b : bad) {
        SCOPED_TRACE(b.name);
        json j = valid;
        b.mutate(j);
        const std::string f = dir.file(b.name + ".json");
        write_file(f, j.dump(2));
        RunResult r = validate({f});
        EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
        EXPECT_THAT(r.err, HasSubstr(f + ": " + b.pointer + ": ")) << r.err;
        EXPECT_THAT(r.err, HasSubstr(b.message_part)) << r.err;
    }
}

// The schema embedded in docs/json-output.md ("## JSON Schema") and docs/report.schema.json
// must be one schema.
TEST(ReportSchema, DocsEmbedTheSameSchema) {
    std::ifstream in(std::string(VZLVS_TESTS_DIR) + "/../docs/json-output.md");
    std::stringstream doc;
    doc << in.rdbuf();
    const std::string text = doc.str();
    size_t head = text.find("\n## JSON Schema");
    ASSERT_NE(head, std::string::npos);
    size_t begin = text.find("```json\n", head);
    ASSERT_NE(begin, std::string::npos);
    begin += 8;
    size_t end = text.find("```", begin);
    ASSERT_NE(end, std::string::npos);
    std::ifstream file(kSchema);
    json embedded = json::parse(text.substr(begin, end - begin));
    json ours = json::parse(file);
    EXPECT_EQ(embedded, ours) << json::diff(embedded, ours).dump(2);
}

// --- the probe through the tunnel -----------------------------------------------------------

// The real probe needs ipip (tests/vm/lvs_tun.sh runs it on a real kernel); here the binary
// must say why it cannot, fail, and refuse a service the CT does not have before anything.
TEST(Probe, WithoutIpipItSaysSoAndExits1AndAWrongServiceIsAUsageError) {
    VzlvsNode n;
    ASSERT_NO_FATAL_FAILURE(provision_both(n));
    CliResult p = n.cli({"probe", "101", "web"});
    EXPECT_EQ(p.exit_code(), 1) << p.describe();
    auto o = p.outcome("ct 101", "answers through the tunnel (web)");
    ASSERT_TRUE(o.has_value()) << p.describe();
    EXPECT_EQ((*o)["status"], "failed");
    EXPECT_THAT(o->value("detail", ""), HasSubstr("ipip not supported by this kernel"));
    const std::string file = n.root() + "/probe-report.json";
    write_file(file, p.run.out);
    RunResult v = validate({file});
    EXPECT_TRUE(v.ok()) << v.out << v.err;

    CliResult wrong = n.cli({"probe", "101", "dns"});
    EXPECT_EQ(wrong.exit_code(), 2) << wrong.describe();
    EXPECT_THAT(wrong.run.err, HasSubstr("CT 101 has no service dns (its services: web)"));

    CliResult c = n.cli({"check", "--probe", "102"});
    auto q = c.outcome("ct 102", "answers through the tunnel (dns)");
    ASSERT_TRUE(q.has_value()) << c.describe();
    EXPECT_THAT(q->value("detail", ""), HasSubstr("ipip not supported by this kernel"));
    EXPECT_FALSE(n.cli({"check", "102"}).outcome("ct 102", "answers through the tunnel (dns)"));
}

}  // namespace
}  // namespace vzlvs::test
