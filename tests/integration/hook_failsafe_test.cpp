// Issue 23: the mount hook never stops a container because of vzlvs's own state -- a config
// that does not load, a key from a newer vzlvs, a missing binary, a state_dir it cannot
// write -- and the VIP stays guarded in each case (docs/commands/hook.md, "When the hook
// refuses a start").
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "support/vzlvs_node.hpp"

namespace vzlvs::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kWebVip = "192.0.2.10";

void write(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// The start went through, and the node neither routes nor proxies the VIP afterwards, and
// still drops its announcements (the guard holds it).
void expect_started_and_guarded(VzlvsNode& n, const RunResult& start) {
    EXPECT_EQ(start.exit_code, 0) << start.out << start.err;
    EXPECT_THAT(n.standin().vzctl_run({"status", "101"}).out, HasSubstr(" running"));
    n.wait_for_worker("101");
    EXPECT_EQ(n.node_routes_for(kWebVip), "");
    EXPECT_EQ(n.node_proxies_for(kWebVip), "");
    EXPECT_THAT(n.snapshot().nft, HasSubstr(kWebVip));
}

TEST(HookFailSafe, ProvisionKeepsTheLastValidatedConfig) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    const std::string last_good = n.state_dir() + "/last-good.conf";
    ASSERT_TRUE(n.exists(last_good));
    EXPECT_THAT(n.read(n.standin().action_script("101", "mount")),
                HasSubstr("hook mount --last-good " + last_good));
    CliResult again = n.cli({"provision"});
    EXPECT_EQ(again.summary("changed"), 0) << again.describe();
    // A changed config is kept at the next provision, and only then.
    std::string text = n.read(n.config_path());
    write(n.config_path(), std::regex_replace(text, std::regex("weight = 10"), "weight = 20"));
    EXPECT_THAT(n.read(last_good), HasSubstr("weight = 10"));
    n.cli({"provision", "--dry-run"});
    EXPECT_THAT(n.read(last_good), HasSubstr("weight = 10"));
    CliResult p = n.cli({"provision"});
    ASSERT_TRUE(p.outcome("node", "last validated config").has_value()) << p.describe();
    EXPECT_EQ((*p.outcome("node", "last validated config"))["status"], "changed");
    EXPECT_THAT(n.read(last_good), HasSubstr("weight = 20"));
}

TEST(HookFailSafe, ABrokenConfigFallsBackToTheLastValidatedOne) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    write(n.config_path(), n.read(n.config_path()) + "[container 101\nweight = many\n");

    RunResult start = n.standin().vzctl_run({"restart", "101"});
    EXPECT_THAT(start.err,
                HasSubstr("does not load, so the hook uses " + n.state_dir() + "/last-good.conf"));
    EXPECT_THAT(start.err, HasSubstr("config` lists every problem"));
    expect_started_and_guarded(n, start);
    // The worker ran with the fallback too: the backend is back at its weight.
    EXPECT_EQ((*n.director().get("/service/web"))["backends"].size(), 1u);
    // Commands still refuse the file.
    EXPECT_EQ(n.cli({"check"}).exit_code(), 2);
}

TEST(HookFailSafe, AnUnknownKeyIsOnlyAWarningForTheHooks) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    std::string text = n.read(n.config_path());
    write(n.config_path(),
          std::regex_replace(text, std::regex("\\[node\\]\n"), "[node]\nfuture_key = 1\n"));
    std::filesystem::remove(n.state_dir() + "/last-good.conf");  // not needed for this

    RunResult start = n.standin().vzctl_run({"restart", "101"});
    EXPECT_THAT(start.err, HasSubstr("future_key: unknown key in [node]"));
    EXPECT_THAT(start.err, Not(HasSubstr("last-good")));
    expect_started_and_guarded(n, start);
    CliResult c = n.cli({"check"});
    EXPECT_EQ(c.exit_code(), 2) << c.describe();
    EXPECT_THAT(c.run.err, HasSubstr("future_key: unknown key in [node]"));
}

TEST(HookFailSafe, NoLoadableConfigLetsTheContainerStartStillGuarded) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    std::filesystem::remove(n.config_path());
    std::filesystem::remove(n.state_dir() + "/last-good.conf");

    RunResult start = n.standin().vzctl_run({"restart", "101"});
    EXPECT_THAT(start.err, HasSubstr("CT 101 starts without vzlvs: no configuration loads"));
    EXPECT_EQ(start.exit_code, 0) << start.out << start.err;
    EXPECT_THAT(n.standin().vzctl_run({"status", "101"}).out, HasSubstr(" running"));
    // Nobody removed the route this time, but the guard provision installed still holds.
    EXPECT_THAT(n.snapshot().nft, HasSubstr(kWebVip));
}

TEST(HookFailSafe, AMissingBinaryLetsTheContainerStart) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    const std::string script = n.standin().action_script("101", "mount");
    const std::string text = n.read(script);
    write(script,
          std::regex_replace(text, std::regex("vzlvs_bin=[^\n]*"), "vzlvs_bin=/nonexistent/vzlvs"));

    RunResult start = n.standin().vzctl_run({"restart", "101"});
    EXPECT_EQ(start.exit_code, 0) << start.out << start.err;
    EXPECT_THAT(start.err,
                HasSubstr("vzlvs: /nonexistent/vzlvs is missing: CT 101 starts without vzlvs"));
    EXPECT_THAT(n.snapshot().nft, HasSubstr(kWebVip));
}

TEST(HookFailSafe, AStateDirItCannotWriteLetsTheContainerStart) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    n.wait_for_workers();
    std::filesystem::remove_all(n.state_dir() + "/workers");
    write(n.state_dir() + "/workers", "not a directory\n");

    RunResult start = n.standin().vzctl_run({"restart", "101"});
    EXPECT_EQ(start.exit_code, 0) << start.out << start.err;
    EXPECT_THAT(start.err, HasSubstr("CT 101: its VIPs are guarded, but the start's cleanup "
                                     "could not run"));
    EXPECT_THAT(n.snapshot().nft, HasSubstr(kWebVip));
    std::filesystem::remove(n.state_dir() + "/workers");
}

}  // namespace
}  // namespace vzlvs::test
