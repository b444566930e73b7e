// The kernel's and vzctl's records of running CTs (ct/run_state.hpp), on files laid out as a
// node has them under a scratch root.
#include "ct/run_state.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/director_server.hpp"

namespace vzlvs {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

TEST(RunState, VeinfoListsTheRunningCtsButTheNode) {
    auto st = parse_veinfo(
        "       0     0   212\n"
        "     101     0    24       10.0.0.5 192.0.2.10\n"
        "     102     0     3\n\n");
    ASSERT_TRUE(st);
    EXPECT_EQ(*st, (std::set<std::string>{"101", "102"}));
    EXPECT_FALSE(parse_veinfo("101 0\n")) << "too few fields";
    EXPECT_FALSE(parse_veinfo("abc 0 3\n")) << "not a VEID";
    EXPECT_FALSE(parse_veinfo("101 0 x\n")) << "not a process count";
}

TEST(RunState, NoVeinfoFileIsNoAnswer) {
    test::ScratchDir root;
    EXPECT_FALSE(read_veinfo(root.path()));
    write(root.path() + "/proc/vz/veinfo", "0 0 1\n205 0 4 10.1.1.1\n");
    EXPECT_EQ(read_veinfo(root.path()), (std::set<std::string>{"205"}));
}

TEST(RunState, VeStateRunsUnlessStoppedOrGone) {
    test::ScratchDir root;
    EXPECT_FALSE(ve_state_running(root.path(), "101")) << "no ve hierarchy: ask vzctl";
    fs::create_directories(root.path() + "/sys/fs/cgroup/ve");
    EXPECT_EQ(ve_state_running(root.path(), "101"), false) << "no cgroup: stopped";
    write(root.path() + "/sys/fs/cgroup/ve/101/ve.state", "RUNNING\n");
    EXPECT_EQ(ve_state_running(root.path(), "101"), true);
    write(root.path() + "/sys/fs/cgroup/ve/101/ve.state", "STOPPED\n");
    EXPECT_EQ(ve_state_running(root.path(), "101"), false);
}

TEST(RunState, InitPidIsTakenOnlyWhenItNamesALiveProcessOfTheCt) {
    test::ScratchDir root;
    const std::string file = root.path() + "/var/run/ve/101.init.pid";
    EXPECT_FALSE(ct_init_pid(root.path(), "101")) << "no pid file";
    write(file, std::to_string(::getpid()) + "\n");
    // This kernel prints no envID: the pid file is all there is.
    EXPECT_EQ(ct_init_pid(root.path(), "101"), ::getpid());
    for (const char* bad : {"", "x12", "0", "-5", "99999999999", "12 13"}) {
        write(file, bad);
        EXPECT_FALSE(ct_init_pid(root.path(), "101")) << "pid file \"" << bad << "\"";
    }
}

TEST(RunState, EnvIdLine) {
    EXPECT_EQ(status_env_id("Name:\tinit\nenvID:\t101\nVPid:\t1\n"), "101");
    EXPECT_EQ(status_env_id("Name:\tbash\nPid:\t5\n"), "");
}

}  // namespace
}  // namespace vzlvs
