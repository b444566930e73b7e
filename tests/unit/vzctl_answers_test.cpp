// What vzctl's answers mean (ct/vzctl_answers.cpp): its status lines, both releases', and
// its exit codes in words an operator can act on.
#include <gtest/gtest.h>

#include "ct/vzctl.hpp"

using namespace vzlvs;

TEST(VzctlStatus, ParsesLegacyLines) {
    auto st = parse_status_line("CTID 101 exist mounted running");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->ctid, "101");
    EXPECT_TRUE(st->exists);
    EXPECT_TRUE(st->mounted);
    EXPECT_TRUE(st->running);
    EXPECT_FALSE(st->suspended);

    st = parse_status_line("CTID 101 exist unmounted down\n");
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->exists);
    EXPECT_FALSE(st->mounted);
    EXPECT_FALSE(st->running);

    st = parse_status_line("CTID 999 deleted unmounted down");
    ASSERT_TRUE(st);
    EXPECT_FALSE(st->exists);

    st = parse_status_line("CTID 101 exist unmounted down suspended");
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->suspended);
    EXPECT_FALSE(st->running);
}

TEST(VzctlStatus, ParsesOpenVz7Lines) {
    auto st = parse_status_line("VEID 3f2504e0-4f89-11d3-9a0c-0305e82c3301 exist mounted paused");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->ctid, "3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    EXPECT_TRUE(st->paused);
    EXPECT_FALSE(st->running);

    st = parse_status_line("VEID 101 exist unmounted suspended");
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->suspended);

    st = parse_status_line("VEID web1 exist mounted running");
    ASSERT_TRUE(st);
    EXPECT_TRUE(st->running);
}

TEST(VzctlStatus, RejectsGarbage) {
    for (const char* line :
         {"", "CTID", "CTID 101", "CTID 101 exist mounted", "CTID 101 exists mounted running",
          "CTID 101 exist mounted jogging", "CTID 101 exist ready running",
          "ctid 101 exist mounted running", "CTID 101 exist mounted running extra",
          "CTID 101 exist mounted down suspended now", "Container is not running"}) {
        EXPECT_FALSE(parse_status_line(line)) << line;
    }
}

TEST(VzctlCodes, DescribesEachCodeInActionableWords) {
    EXPECT_NE(describe_vzctl_code(78).find("IP address already in use by another container on "
                                           "this node (the venet IP table is global)"),
              std::string::npos);
    EXPECT_NE(describe_vzctl_code(9).find("container locked by another vzctl (LOCKDIR/<CTID>.lck"),
              std::string::npos);
    EXPECT_NE(
        describe_vzctl_code(79).find("an action script (premount/mount/start/stop/umount) failed"),
        std::string::npos);
    EXPECT_NE(describe_vzctl_code(14).find("no such container (no <CTID>.conf"), std::string::npos);
    EXPECT_EQ(describe_vzctl_code(31), "container is not running");
    EXPECT_EQ(describe_vzctl_code(250), "vzctl exit code 250");
    for (int code : {3,  5,  8,  10, 20, 21, 22, 23, 32,  33,  34,  40,
                     43, 46, 47, 48, 49, 50, 51, 89, 100, 105, 133, 139}) {
        EXPECT_NE(describe_vzctl_code(code), "vzctl exit code " + std::to_string(code)) << code;
    }
}
