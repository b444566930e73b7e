// `vzlvs bootstrap` on the fakes, the node's kernel included (FakeNodeSystem): the order of
// its sysctl changes, what it persists, a second run, and the ipip module's failures.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "fakes/fake_node.hpp"
#include "vzlvs/base/files.hpp"

namespace vzlvs {
namespace {

using fakes::failures;
using fakes::FakeNode;
using fakes::find;
using testing::HasSubstr;

TEST(BootstrapFlow, PinsEveryDeviceBeforeLoweringAllThenChangesNothing) {
    FakeNode n;
    n.system.sysctls["net.ipv4.conf.all.rp_filter"] = "1";
    n.system.sysctls["net.ipv4.conf.venet0.rp_filter"] = "1";
    Report r = n.run("bootstrap");
    EXPECT_EQ(failures(r), "");
    EXPECT_EQ(n.system.sysctls["net.ipv4.conf.all.rp_filter"], "0");
    EXPECT_EQ(n.system.sysctls["net.ipv4.conf.venet0.rp_filter"], "0");
    // eth0 was protected by all=1 (the kernel uses the max): it keeps 1, set before all drops.
    EXPECT_EQ(n.system.sysctls["net.ipv4.conf.eth0.rp_filter"], "1");
    const int pin = n.events.first("sysctl net.ipv4.conf.eth0.rp_filter=1");
    ASSERT_GE(pin, 0);
    EXPECT_LT(pin, n.events.first("sysctl net.ipv4.conf.all.rp_filter=0"));

    const auto persisted = read_file(n.dir() / "sysctl.d" / "60-vzlvs.conf");
    ASSERT_TRUE(persisted);
    EXPECT_THAT(*persisted, HasSubstr("net.ipv4.conf.eth0.rp_filter = 1"));
    EXPECT_THAT(*persisted, HasSubstr("net.ipv4.conf.venet0.rp_filter = 0"));
    const auto modules = read_file(n.dir() / "modules-load.d" / "vzlvs.conf");
    ASSERT_TRUE(modules) << "systemd runs: modules-load.d";
    EXPECT_THAT(*modules, HasSubstr("ipip"));

    const std::size_t before = n.events.log.size();
    Report again = n.run("bootstrap");
    EXPECT_EQ(failures(again), "");
    EXPECT_EQ(again.count(Status::changed), 0);
    EXPECT_EQ(n.events.log.size(), before) << n.events.log.back();
}

TEST(BootstrapFlow, AllRpFilterRefuseLeavesAllAndTheOtherDevicesAloneAndSaysHow) {
    FakeNode n{"all_rp_filter = refuse"};
    n.system.sysctls["net.ipv4.conf.all.rp_filter"] = "1";
    Report r = n.run("bootstrap");
    const Outcome* o = find(r, "node", "rp_filter on venet0");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->status, Status::failed);
    EXPECT_THAT(o->detail + " " + o->fix, HasSubstr("all_rp_filter"));
    EXPECT_EQ(n.system.sysctls["net.ipv4.conf.all.rp_filter"], "1");
    EXPECT_FALSE(n.events.any("sysctl net.ipv4.conf.eth0.rp_filter"));
}

TEST(BootstrapFlow, IpipThatCannotBeLoadedFailsWithoutRunningModprobe) {
    FakeNode n;
    n.system.ipip = false;
    n.system.modules = false;
    Report r = n.run("bootstrap");
    const Outcome* o = find(r, "node", "ipip module");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->status, Status::failed);
    EXPECT_THAT(o->detail, HasSubstr("cannot load modules"));
    EXPECT_TRUE(n.runner.calls.empty()) << "no modprobe where the kernel loads no modules";
}

TEST(BootstrapFlow, WithoutSystemdAndWithSysconfigModulesItPersistsIpipThere) {
    FakeNode n;
    n.system.systemd = false;
    std::filesystem::create_directories(n.dir() / "sysconfig-modules");
    EXPECT_EQ(failures(n.run("bootstrap")), "");
    const auto script = read_file(n.dir() / "sysconfig-modules" / "ipip.modules");
    ASSERT_TRUE(script) << "RHEL 6 style: /etc/sysconfig/modules/ipip.modules";
    EXPECT_THAT(*script, HasSubstr("modprobe ipip"));
    EXPECT_FALSE(read_file(n.dir() / "modules-load.d" / "vzlvs.conf"));
}

// Issue 27: a VIP that is the network or broadcast address of an uplink's subnet is named, as
// a warning (it may be a host address in a wider subnet elsewhere).
TEST(BootstrapFlow, AVipThatIsTheLansBroadcastAddressIsAWarning) {
    FakeNode n("\n[service bc]\nvip = 198.51.100.255\nport = 80\n[container 103]\nservices = bc\n");
    n.containers.cts["103"].ips = {"198.51.100.103"};
    n.netlink.addr_table["eth0"] = {"198.51.100.2/24"};
    Report r = n.run("bootstrap");
    const Outcome* o = find(r, "node", "VIPs are host IPs");
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(o->status, Status::warning);
    EXPECT_EQ(o->detail, "198.51.100.255 is the broadcast address of eth0's 198.51.100.0/24");
    n.netlink.addr_table["eth0"] = {"198.51.100.2/23"};
    r = n.run("check");
    EXPECT_EQ(find(r, "node", "VIPs are host IPs")->status, Status::ok);
}

}  // namespace
}  // namespace vzlvs
