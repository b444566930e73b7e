// Issue 23: the uninstall procedure (docs/install.md, "Uninstall"): `deprovision --all`, then
// `bootstrap --undo`, leaves nothing of vzlvs on the node; --undo refuses while a CT still
// holds a VIP, since it takes the ARP guard away.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "support/vzlvs_node.hpp"

namespace vzlvs::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Uninstall, DeprovisionAllThenBootstrapUndoLeavesNothingOfVzlvs) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    n.wait_for_workers();

    const NodeSnapshot before = n.snapshot();
    CliResult refused = n.cli({"bootstrap", "--undo"});
    EXPECT_EQ(refused.exit_code(), 2) << refused.describe();
    EXPECT_THAT(refused.run.err, HasSubstr("run `vzlvs deprovision --all` first"));
    EXPECT_THAT(refused.run.err, HasSubstr("CT 101 holds VIP 192.0.2.10"));
    EXPECT_EQ(before.diff(n.snapshot()), "");

    CliResult d = n.cli({"deprovision", "--all"});
    EXPECT_EQ(d.summary("failed"), 0) << d.describe();
    EXPECT_TRUE(d.outcome("ct 102", "VIP not in IP_ADDRESS").has_value()) << d.describe();
    CliResult u = n.cli({"bootstrap", "--undo"});
    EXPECT_EQ(u.summary("failed"), 0) << u.describe();
    EXPECT_GT(u.summary("changed"), 0) << u.describe();
    for (const std::string& f :
         {n.sysctl_dir() + "/60-vzlvs.conf", n.modules_load_dir() + "/vzlvs.conf",
          n.state_dir() + "/last-good.conf"})
        EXPECT_FALSE(n.exists(f)) << f;
    EXPECT_THAT(n.snapshot().nft, Not(HasSubstr("vzlvs")));
    EXPECT_FALSE(n.exists(n.standin().action_script("101", "mount")));  // it held only the block

    CliResult again = n.cli({"bootstrap", "--undo"});
    EXPECT_EQ(again.summary("changed"), 0) << again.describe();
    RunResult start = n.standin().vzctl_run({"restart", "101"});
    EXPECT_EQ(start.exit_code, 0) << start.out << start.err;
}

}  // namespace
}  // namespace vzlvs::test
