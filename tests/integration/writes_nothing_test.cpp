// Issue 23, finding 6: check and every --dry-run write nothing at all -- no state_dir, no lock
// file, no cache -- so check can serve as a monitoring probe, and a dry run leaves no trace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <string>

#include "support/vzlvs_node.hpp"

namespace vzlvs::test {
namespace {

namespace fs = std::filesystem;

// Every path under dir with its type, size and modification time: a write shows.
std::map<std::string, std::string> tree(const std::string& dir) {
    std::map<std::string, std::string> out;
    std::error_code ec;
    if (!fs::exists(dir, ec)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        struct stat st {};
        ::lstat(e.path().c_str(), &st);
        out[e.path().string()] = std::to_string(st.st_mode) + " " + std::to_string(st.st_size) +
                                 " " + std::to_string(st.st_mtim.tv_sec) + "." +
                                 std::to_string(st.st_mtim.tv_nsec);
    }
    return out;
}

TEST(WritesNothing, CheckAndDryRunsOnAFreshNodeMakeNoStateDir) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(VzlvsNode::standard_body());
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"check"}, {"bootstrap", "--dry-run"}, {"provision", "--dry-run"}}) {
        SCOPED_TRACE(args.front());
        n.cli(args);
        EXPECT_FALSE(fs::exists(n.state_dir()));
    }
}

TEST(WritesNothing, CheckAndDryRunsOnAProvisionedNodeLeaveStateDirAsItWas) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    n.wait_for_workers();
    // Without the probe caches and locks, which a run would make again.
    fs::remove(n.state_dir() + "/openvz-release");
    fs::remove(n.state_dir() + "/arpguard-backend");
    fs::remove_all(n.state_dir() + "/locks");
    const auto before = tree(n.state_dir());
    const NodeSnapshot node_before = n.snapshot();
    for (const auto& args :
         std::vector<std::vector<std::string>>{{"check"},
                                               {"bootstrap", "--dry-run"},
                                               {"provision", "--dry-run"},
                                               {"deprovision", "--dry-run", "101"},
                                               {"drain", "--dry-run", "101"}}) {
        SCOPED_TRACE(args.front());
        CliResult r = n.cli(args);
        EXPECT_LE(r.exit_code(), 1) << r.describe();
        EXPECT_EQ(tree(n.state_dir()), before);
    }
    EXPECT_EQ(node_before.diff(n.snapshot()), "");
}

}  // namespace
}  // namespace vzlvs::test
