// Regression tests for the defects found by attacking vzlvs as a root agent (issue 9), on the
// OpenVZ stand-in: each fails on the code before its fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/vzlvs_node.hpp"

namespace vzlvs::test {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

unsigned mode_of(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

void write_file(const std::string& path, const std::string& text, fs::perms perms) {
    std::ofstream(path, std::ios::trunc) << text;
    fs::permissions(path, perms);
}

// Defect 3: everything that can make a later step refuse is tried before the first change.
TEST(Reliability, UnusableDirectorSettingsAreExit2BeforeAnyChange) {
    VzlvsNode n;
    n.create_standard_cts();
    const std::string token = n.root() + "/token";
    write_file(token, "secret\n", fs::perms(0644));
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"token_file = " + token + "\n", "has mode 0644"},
        {"ca_file = " + n.root() + "/no-such-ca.pem\n", "ca_file " + n.root() + "/no-such-ca.pem"},
    };
    for (const auto& [line, why] : cases) {
        SCOPED_TRACE(line);
        n.write_config(line + VzlvsNode::standard_body());
        NodeSnapshot before = n.snapshot();
        const size_t calls = n.standin().mutating_calls().size();
        CliResult r = n.cli({"provision"});
        EXPECT_EQ(r.exit_code(), 2) << r.describe();
        EXPECT_THAT(r.run.err, HasSubstr(why));
        EXPECT_EQ(n.standin().mutating_calls().size(), calls);
        EXPECT_FALSE(n.exists(n.standin().action_script("101", "mount")));
        EXPECT_EQ(before.diff(n.snapshot()), "");
    }
}

// Defect 4: state is created with explicit modes whatever the umask, a state_dir others can
// write into is refused, and the hook log is never written through a symlink.
TEST(Reliability, StateDirIsPrivateWhateverTheUmask) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(VzlvsNode::standard_body());
    RunResult r = n.standin().run({"sh", "-c", "umask 000; exec \"$0\" \"$@\"", VZLVS_BINARY, "-c",
                                   n.config_path(), "provision"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // only the ipip failure of the stand-in
    n.wait_for_workers();
    EXPECT_EQ(mode_of(n.state_dir()), 0700u);
    EXPECT_EQ(mode_of(n.state_dir() + "/locks"), 0700u);
    EXPECT_EQ(mode_of(n.state_dir() + "/locks/101.lock"), 0600u);
    EXPECT_EQ(mode_of(n.state_dir() + "/workers"), 0700u);
    EXPECT_EQ(mode_of(n.state_dir() + "/hook.log"), 0600u);
}

TEST(Reliability, StateDirWritableByOthersIsRefusedBeforeAnyChange) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(VzlvsNode::standard_body());
    fs::create_directories(n.state_dir());
    fs::permissions(n.state_dir(), fs::perms(0777));
    NodeSnapshot before = n.snapshot();
    const size_t calls = n.standin().mutating_calls().size();
    CliResult r = n.cli({"provision"});
    EXPECT_EQ(r.exit_code(), 2) << r.describe();
    EXPECT_THAT(r.run.err, HasSubstr("has mode 0777: writable by group or others"));
    EXPECT_EQ(n.standin().mutating_calls().size(), calls);
    EXPECT_EQ(before.diff(n.snapshot()), "");
}

TEST(Reliability, HookLogIsNeverWrittenThroughASymlink) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    const std::string victim = n.root() + "/victim";
    write_file(victim, "untouched\n", fs::perms(0644));
    fs::remove(n.state_dir() + "/hook.log");
    fs::create_symlink(victim, n.state_dir() + "/hook.log");
    ASSERT_TRUE(n.standin().vzctl_run({"restart", "101"}).ok());
    n.wait_for_workers();
    EXPECT_EQ(n.read(victim), "untouched\n");
}

// Waits (bounded) until `path` contains `text`: the hook worker's log is how it reports.
bool wait_for_text(const std::string& path, const std::string& text, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        if (ss.str().find(text) != std::string::npos) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

long long weight_of(VzlvsNode& n, const std::string& path) {
    auto b = n.director().get(path);
    return b ? (*b)["options"]["weight"].get<long long>() : -1;
}

// Defect 9: after a restart the backend stayed at weight 0 for good on real gorb. The umount
// hook drains it to 0; gorb's failing check stashes that 0 and its recovery restores
// 0 × health. vzlvs must put back the weight it took away.
TEST(Reliability, RestartWithAFailedPulseInBetweenEndsAtTheConfiguredWeight) {
    VzlvsNode n;
    n.create_standard_cts();
    std::string body = VzlvsNode::standard_body();
    body.replace(body.find("protocol = tcp\n"), 15, "protocol = tcp\ncheck_interval = 1s\n");
    n.write_config(body);
    ASSERT_EQ(n.cli({"bootstrap"}).unexpected_failures({bootstrap_ipip_failure()}), "");
    ASSERT_EQ(n.cli({"provision"}).unexpected_failures({ct_ipip_failure("101")}), "");
    n.wait_for_workers();
    const std::string backend = "/service/web/demo-node-101-web";
    ASSERT_EQ(weight_of(n, backend), 1000);

    ASSERT_TRUE(n.standin().vzctl_run({"stop", "101"}).ok());
    EXPECT_EQ(weight_of(n, backend), 0) << "the umount hook drains";
    const std::string down = R"({"backend":"demo-node-101-web","status":1,"health":0})";
    ASSERT_EQ(n.director().call("POST", "/_pulse", down), 200);  // gorb stashes 0

    ASSERT_TRUE(n.standin().vzctl_run({"start", "101"}).ok());
    // The worker finds the backend down and keeps looking instead of calling it fine.
    ASSERT_TRUE(wait_for_text(n.state_dir() + "/hook.log", "down by the director's health checks",
                              std::chrono::seconds(60)))
        << n.read(n.state_dir() + "/hook.log");
    // The check passes while health is still low: gorb restores int32(0 × 0.5) = 0.
    const std::string up = R"({"backend":"demo-node-101-web","status":0,"health":0.5})";
    ASSERT_EQ(n.director().call("POST", "/_pulse", up), 200);
    ASSERT_EQ(weight_of(n, backend), 0);
    n.wait_for_workers();
    EXPECT_EQ(weight_of(n, backend), 1000) << n.read(n.state_dir() + "/hook.log");

    CliResult check = n.cli({"check", "101"});
    const auto registered = check.outcome("ct 101", "registered in web");
    ASSERT_TRUE(registered.has_value()) << check.describe();
    EXPECT_EQ((*registered)["status"], "ok");
}

// And check must not call a weight of 0 "reduced by health checks".
TEST(Reliability, CheckFailsOnAWeightOfZeroThatIsNoOperatorsHold) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    ASSERT_EQ(n.director().call("PATCH", "/service/web/demo-node-101-web", R"({"weight":0})"), 200);
    const std::string up = R"({"backend":"demo-node-101-web","status":0,"health":0.5})";
    ASSERT_EQ(n.director().call("POST", "/_pulse", up), 200);
    CliResult check = n.cli({"check", "101"});
    EXPECT_EQ(check.exit_code(), 1);
    const auto registered = check.outcome("ct 101", "registered in web");
    ASSERT_TRUE(registered.has_value()) << check.describe();
    EXPECT_EQ((*registered)["status"], "failed");
    EXPECT_THAT((*registered)["detail"].get<std::string>(), HasSubstr("weight 0, want 1000"));
}

}  // namespace
}  // namespace vzlvs::test
