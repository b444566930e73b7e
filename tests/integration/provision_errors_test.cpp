// Bad input and failing dependencies on the OpenVZ stand-in: every error is named clearly and
// leaves the node consistent (no half-made change, no VIP route left behind). Also the mount
// hook: silent for containers vzlvs does not manage, refusing a start it cannot guard.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "support/syslog_listener.hpp"
#include "support/vzlvs_node.hpp"

extern char** environ;

namespace vzlvs::test {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr const char* kWebVip = "192.0.2.10";

// A `sleep` the test owns (a live pid for a vzctl lock file); killed and reaped on scope exit.
class Sleeper {
  public:
    Sleeper() {
        char arg0[] = "sleep", arg1[] = "600";
        char* argv[] = {arg0, arg1, nullptr};
        if (::posix_spawnp(&pid_, "sleep", nullptr, nullptr, argv, environ) != 0) pid_ = -1;
    }
    ~Sleeper() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
    }
    Sleeper(const Sleeper&) = delete;
    Sleeper& operator=(const Sleeper&) = delete;
    pid_t pid() const { return pid_; }

  private:
    pid_t pid_ = -1;
};

void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
}

TEST(ProvisionErrors, UnknownCtidIsAUsageErrorAndChangesNothing) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(VzlvsNode::standard_body());
    NodeSnapshot before = n.snapshot();
    const size_t calls = n.standin().vzctl_calls().size();

    for (const char* command : {"provision", "deprovision", "check"}) {
        SCOPED_TRACE(command);
        CliResult r = n.cli({command, "101", "999"});
        EXPECT_EQ(r.exit_code(), 2) << r.describe();
        EXPECT_THAT(r.run.err, HasSubstr("container(s) 999 not in " + n.config_path()));
    }
    EXPECT_EQ(n.standin().vzctl_calls().size(), calls);
    EXPECT_EQ(before.diff(n.snapshot()), "");
}

TEST(ProvisionErrors, VipHeldByAnUnmanagedContainerIsRefusedBeforeAnyChange) {
    VzlvsNode n;
    n.create_standard_cts();
    n.standin().create_ct("103", {"198.51.100.103", kWebVip});  // not in the config
    n.write_config(VzlvsNode::standard_body());
    NodeSnapshot before = n.snapshot();

    CliResult r = n.cli({"provision"});
    EXPECT_EQ(r.exit_code(), 1);
    EXPECT_EQ(r.unexpected_failures({{"ct 101", "VIP held by no other CT",
                                      "VIP 192.0.2.10 is in the IP_ADDRESS of CT 103"}}),
              "");
    auto held = r.outcome("ct 101", "VIP held by no other CT");
    ASSERT_TRUE(held.has_value());
    EXPECT_THAT((*held)["fix"].get<std::string>(), HasSubstr("only one container per node"));
    EXPECT_EQ(r.summary("changed"), 0);
    // No vzctl change, no file, no guard, nothing at the director: for 102 neither.
    EXPECT_EQ(before.diff(n.snapshot()), "");
}

TEST(ProvisionErrors, ContainersSharingAVipAreAConfigErrorBeforeAnyVzctlCall) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(
        "[service web]\nvip = 192.0.2.10\nport = 80\n\n"
        "[container 101]\nservices = web\n\n[container 102]\nservices = web\n");
    const size_t calls = n.standin().vzctl_calls().size();
    NodeSnapshot before = n.snapshot();

    CliResult r = n.cli({"provision"});
    EXPECT_EQ(r.exit_code(), 2) << r.describe();
    EXPECT_THAT(r.run.err, HasSubstr("VIP 192.0.2.10 is needed by containers 101 and 102"));
    EXPECT_EQ(n.standin().vzctl_calls().size(), calls);
    EXPECT_EQ(before.diff(n.snapshot()), "");
}

TEST(ProvisionErrors, MissingVzctlIsReportedAsFailed) {
    VzlvsNode n;
    n.create_standard_cts();
    ConfigOptions opts;
    opts.vzctl = n.root() + "/bin/no-such-vzctl";
    n.write_config(VzlvsNode::standard_body(), opts);
    NodeSnapshot before = n.snapshot();

    CliResult r = n.cli({"provision"});
    EXPECT_EQ(r.exit_code(), 1) << r.describe();
    ASSERT_TRUE(r.report.is_object()) << r.describe();
    auto exists = r.outcome("ct 101", "container exists");
    ASSERT_TRUE(exists.has_value()) << r.describe();
    EXPECT_EQ((*exists)["status"], "failed");
    EXPECT_THAT((*exists)["detail"].get<std::string>(), HasSubstr(opts.vzctl));
    EXPECT_THAT((*exists)["detail"].get<std::string>(), HasSubstr("install vzctl"));
    EXPECT_EQ(r.summary("changed"), 0);
    EXPECT_EQ(before.diff(n.snapshot()), "");

    CliResult boot = n.cli({"bootstrap"});
    auto vzctl = boot.outcome("node", "vzctl");
    ASSERT_TRUE(vzctl.has_value()) << boot.describe();
    EXPECT_EQ((*vzctl)["status"], "failed");
    EXPECT_THAT((*vzctl)["detail"].get<std::string>(), HasSubstr("is not an executable"));
}

// ROOT/bin/vzctl-faulty forwards to the stand-in's vzctl; the fault file
// "PATTERN<TAB>CODE<TAB>before|after<TAB>MESSAGE" makes a call that has PATTERN as one of its
// words (exactly: an exec2'd script that merely mentions it does not count) print MESSAGE and
// exit CODE, before doing anything or after vzctl did its work.
std::string install_faulty_vzctl(VzlvsNode& n) {
    const std::string path = n.root() + "/bin/vzctl-faulty";
    write(path,
          "#!/bin/bash\n"
          "fault='" +
              n.root() +
              "/fault'\n"
              "if [[ -s $fault ]]; then\n"
              "  IFS=$'\\t' read -r pattern code when message <\"$fault\"\n"
              "  hit=0; for a in \"$@\"; do [[ $a == \"$pattern\" ]] && hit=1; done\n"
              "  if ((hit)); then\n"
              "    [[ $when == after ]] && '" +
              n.standin().vzctl() +
              "' \"$@\"\n"
              "    echo \"$message\" >&2\n"
              "    exit \"$code\"\n"
              "  fi\n"
              "fi\n"
              "exec '" +
              n.standin().vzctl() + "' \"$@\"\n");
    std::filesystem::permissions(path, std::filesystem::perms(0755));
    return path;
}

// The standard CTs and config, with vzlvs calling the faulty vzctl.
void use_faulty_vzctl(VzlvsNode& n) {
    n.create_standard_cts();
    ConfigOptions opts;
    opts.vzctl = install_faulty_vzctl(n);
    n.write_config(VzlvsNode::standard_body(), opts);
}

TEST(ProvisionErrors, VzctlFailureAtEachStepIsExplainedAndLeavesNoRoute) {
    VzlvsNode n;
    use_faulty_vzctl(n);
    const std::string fault = n.root() + "/fault";

    struct Case {
        const char* pattern;
        int code;
        const char* when;
        const char* message;
        const char* step;
        const char* meaning;  // describe_vzctl_code()
    };
    // Each provision gets one step further: the feature, the VIP, the restart. On OpenVZ 7
    // the restart is part of the feature's call (--setmode restart), before the VIP.
    const Case features{"--features",   139,
                        "before",       "Unable to write config: No space left on device",
                        "ipip feature", "cannot save the container config"};
    const Case ipadd{"--ipadd",
                     78,
                     "after",
                     "Unable to add IP 192.0.2.10: Address already in use",
                     "VIP in IP_ADDRESS",
                     "IP address already in use"};
    const Case restart{"restart",
                       79,
                       "after",
                       "Error executing mount script",
                       StandinNode::openvz7() ? "ipip feature" : "ipip effective",
                       "an action script"};
    const std::vector<Case> cases = StandinNode::openvz7()
                                        ? std::vector<Case>{features, restart, ipadd}
                                        : std::vector<Case>{features, ipadd, restart};
    for (const Case& c : cases) {
        SCOPED_TRACE(c.pattern);
        write(fault, std::string(c.pattern) + "\t" + std::to_string(c.code) + "\t" + c.when + "\t" +
                         c.message + "\n");
        CliResult r = n.cli({"provision", "101"});
        EXPECT_EQ(r.exit_code(), 1);
        EXPECT_EQ(r.unexpected_failures(
                      {{"ct 101", c.step, "exit " + std::to_string(c.code) + ": " + c.meaning}}),
                  "");
        auto failed = r.outcome("ct 101", c.step);
        ASSERT_TRUE(failed.has_value()) << r.describe();
        EXPECT_THAT((*failed)["detail"].get<std::string>(), HasSubstr(c.message));
        // Whatever vzctl did before failing, no route or proxy entry for the VIP stays.
        auto route = r.outcome("ct 101", "no VIP route on venet0");
        ASSERT_TRUE(route.has_value()) << r.describe();
        EXPECT_NE((*route)["status"], "failed");
        n.wait_for_workers();
        EXPECT_EQ(n.node_routes_for(kWebVip), "");
        EXPECT_EQ(n.node_proxies_for(kWebVip), "");
        if (std::string(c.pattern) == "--ipadd") {
            // vzctl had added the route and proxy entry: provision removed them.
            EXPECT_EQ((*route)["status"], "changed") << r.describe();
        }
    }

    // Fault gone: the next run completes.
    write(fault, "");
    CliResult r = n.cli({"provision", "101"});
    EXPECT_EQ(r.unexpected_failures({ct_ipip_failure("101")}), "");
    n.wait_for_workers();
    EXPECT_EQ(n.node_routes_for(kWebVip), "");
    EXPECT_EQ(n.node_proxies_for(kWebVip), "");
    EXPECT_TRUE(n.director().get("/service/web/demo-node-101-web").has_value());
}

TEST(ProvisionErrors, VzctlLockHeldReportsBusy) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(VzlvsNode::standard_body());
    // The ipip feature is not on yet: provision must `vzctl set 102`, which vzctl refuses
    // while another vzctl holds the CT's lock (exit 9). vzlvs retries, then reports busy.
    Sleeper holder;
    ASSERT_GT(holder.pid(), 0);
    const std::string lck = n.root() + "/vz/lock/102.lck";
    write(lck, std::to_string(holder.pid()) + "\n\n");

    CliResult r = n.cli({"provision", "102"});
    EXPECT_EQ(r.exit_code(), 3) << r.describe();
    EXPECT_EQ(r.unexpected_failures({{"ct 102", "ipip feature", "is locked by another vzctl"}}),
              "");
    auto failed = r.outcome("ct 102", "ipip feature");
    ASSERT_TRUE(failed.has_value());
    EXPECT_THAT((*failed)["detail"].get<std::string>(), HasSubstr("102.lck"));
    size_t attempts = 0, ipadds = 0;
    for (const auto& c : n.standin().mutating_calls()) {
        attempts += c.args.size() > 1 && c.args[0] == "set" && c.args[1] == "102";
        for (const auto& a : c.args) ipadds += c.args[0] == "set" && a == "--ipadd";
    }
    EXPECT_EQ(ipadds, 0u) << "stopped at the first failure";
    EXPECT_GT(attempts, 1u) << "exit 9 is retried";

    std::filesystem::remove(lck);
    r = n.cli({"provision", "102"});
    EXPECT_EQ(r.exit_code(), 0) << r.describe();  // 102 is stopped: no tunl0 to fail on
    EXPECT_TRUE(n.exists(n.standin().action_script("102", "mount")));
}

TEST(Hook, UnmanagedContainerIsLeftAlone) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    n.standin().create_ct("999", {"198.51.100.99"});
    NodeSnapshot before = n.snapshot();

    for (const char* action : {"mount", "umount"}) {
        SCOPED_TRACE(action);
        RunResult r =
            n.standin().run({"env", "-i", "VEID=999", "VE_CONFFILE=" + n.standin().conf_file("999"),
                             VZLVS_BINARY, "-c", n.config_path(), "hook", action});
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(r.err, "");
    }
    EXPECT_FALSE(n.exists(n.worker_lock("999")));
    // And through vzctl: the start of an unmanaged CT is not touched (its IP is routed).
    EXPECT_EQ(before.diff(n.snapshot()), "");
    ASSERT_TRUE(n.standin().vzctl_run({"start", "999"}).ok());
    EXPECT_FALSE(n.exists(n.worker_lock("999")));
    EXPECT_NE(n.node_routes_for("198.51.100.99"), "");
}

// The hooks log to syslog as vzlvs[PID], facility daemon, as well as to hook.log: <30> is
// daemon.info, <27> daemon.err.
TEST(Hook, LogsToSyslogAsWellAsToHookLog) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    const std::string devlog = std::string(VZLVS_TESTS_DIR) + "/tools/devlog";
    test::SyslogListener syslog;

    RunResult r = n.standin().run({devlog, syslog.socket_path(), "env", "VEID=101", VZLVS_BINARY,
                                   "-c", n.config_path(), "hook", "umount"});
    ASSERT_TRUE(r.ok()) << r.err;
    EXPECT_THAT(syslog.wait_for("CT 101 stopped"),
                MatchesRegex("<30>.* vzlvs\\[[0-9]+\\]: CT 101 stopped:.*"));
    EXPECT_THAT(n.read(n.state_dir() + "/hook.log"), HasSubstr("CT 101 stopped"));

    // A start the mount hook refuses is in the node's log, not only on vzctl's stderr.
    ConfigOptions opts;
    opts.node_extra = "uplinks = nosuchdev\n";
    n.write_config(VzlvsNode::standard_body(), opts);
    r = n.standin().run({devlog, syslog.socket_path(), "env", "VEID=102", VZLVS_BINARY, "-c",
                         n.config_path(), "hook", "mount"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(syslog.wait_for("refusing the start"),
                MatchesRegex("<27>.* vzlvs\\[[0-9]+\\]: CT 102: cannot guard its VIPs, refusing "
                             "the start .*"));
}

TEST(Hook, RefusesAStartItCannotGuard) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    ConfigOptions opts;
    opts.node_extra = "uplinks = nosuchdev\n";
    n.write_config(VzlvsNode::standard_body(), opts);

    RunResult r =
        n.standin().run({"env", "-i", "VEID=102", "VE_CONFFILE=" + n.standin().conf_file("102"),
                         VZLVS_BINARY, "-c", n.config_path(), "hook", "mount"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_THAT(r.err, HasSubstr("CT 102: cannot guard its VIPs, refusing the start"));
    EXPECT_THAT(r.err, HasSubstr("nosuchdev"));
    EXPECT_FALSE(n.exists(n.worker_lock("102")));

    // Through vzctl: the start fails in the mount script, nothing of the VIP appears.
    RunResult start = n.standin().vzctl_run({"start", "102"});
    EXPECT_EQ(start.exit_code, 79) << start.out << start.err;
    EXPECT_THAT(start.err, HasSubstr("refusing the start"));
    RunResult status = n.standin().vzctl_run({"status", "102"});
    EXPECT_THAT(status.out, HasSubstr(" down"));
    EXPECT_EQ(n.node_routes_for("192.0.2.53"), "");
    EXPECT_EQ(n.node_proxies_for("192.0.2.53"), "");
    EXPECT_FALSE(n.exists(n.worker_lock("102")));
}

// Issue 27, N1: a deprovision that fails after the backend left the director is not reversed
// by the mount hook's worker at the next start: the backend stays out, check says why, and
// running deprovision again finishes it.
TEST(ProvisionErrors, ADeprovisionThatFailsHalfwayIsNotReversedAtTheNextStart) {
    VzlvsNode n;
    use_faulty_vzctl(n);
    ASSERT_EQ(n.cli({"bootstrap"}).unexpected_failures({bootstrap_ipip_failure()}), "");
    ASSERT_EQ(n.cli({"provision"}).unexpected_failures({ct_ipip_failure("101")}), "");
    n.wait_for_workers();
    const std::string fault = n.root() + "/fault";
    write(fault, "--ipdel\t3\tbefore\tUnable to del IP: system error\n");
    CliResult d = n.cli({"deprovision", "101"});
    EXPECT_EQ(d.exit_code(), 1) << d.describe();
    auto backends = [&] { return (*n.director().get("/service/web"))["backends"].size(); };
    EXPECT_EQ(backends(), 0u);

    write(fault, "");
    ASSERT_TRUE(n.standin().vzctl_run({"restart", "101"}).ok());
    ASSERT_TRUE(n.wait_for_worker("101"));
    EXPECT_EQ(backends(), 0u) << "the worker put back what deprovision took out";
    CliResult c = n.cli({"check", "101"});
    auto half = c.outcome("ct 101", "no deprovision half done");
    ASSERT_TRUE(half.has_value()) << c.describe();
    EXPECT_EQ((*half)["status"], "failed");

    CliResult again = n.cli({"deprovision", "101"});
    EXPECT_EQ(again.summary("failed"), 0) << again.describe();
    EXPECT_FALSE(n.exists(n.state_dir() + "/deprovisioning/101"));
}

}  // namespace
}  // namespace vzlvs::test
