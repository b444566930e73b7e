// --dry-run end to end on the OpenVZ stand-in: bootstrap, provision and deprovision plan what
// they would change, name the argv the driver would run, and change nothing (a snapshot of the
// node before and after). The real binary runs inside the node's namespace
// (tests/support/vzlvs_node.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "support/vzlvs_node.hpp"

namespace vzlvs::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(ProvisionFlow, DryRunChangesNothingAndPrintsThePlan) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(VzlvsNode::standard_body());
    NodeSnapshot before = n.snapshot();

    CliResult boot = n.cli({"--dry-run", "bootstrap"});
    ASSERT_TRUE(boot.report.is_object()) << boot.describe();
    auto guard = boot.outcome("node", "ARP guard");
    ASSERT_TRUE(guard.has_value());
    EXPECT_EQ((*guard)["status"], "planned");
    EXPECT_THAT((*guard)["detail"].get<std::string>(), HasSubstr("drop ARP for 192.0.2.10"));

    CliResult plan = n.cli({"--dry-run", "provision"});
    ASSERT_TRUE(plan.report.is_object()) << plan.describe();
    EXPECT_EQ(plan.summary("changed"), 0);
    EXPECT_EQ(plan.summary("failed"), 0) << plan.describe();
    EXPECT_EQ(plan.exit_code(), 0);
    struct Planned {
        std::string scope;
        std::string name;
        std::string detail;
        std::string status = "planned";
    };
    // vzctl 7 applies the feature to the running 101 by restarting it in the same call.
    const std::string feature101 = StandinNode::openvz7()
                                       ? "vzctl set 101 --features ipip:on --setmode restart --save"
                                       : "vzctl set 101 --features ipip:on --save";
    for (const Planned& p : {
             Planned{"node", "ARP guard", "drop ARP for 192.0.2.10, 192.0.2.53 on eth0"},
             Planned{"ct 101", "ipip feature", feature101},
             Planned{"ct 101", StandinNode::hook_step("101", "mount"), "write the vzlvs block in "},
             Planned{"ct 101", StandinNode::hook_step("101", "umount"),
                     "write the vzlvs block in "},
             Planned{"ct 101", StandinNode::hook_step("101", "start"), "write the vzlvs block in "},
             Planned{"ct 101", "VIP in IP_ADDRESS", "vzctl set 101 --ipadd 192.0.2.10 --save"},
             StandinNode::openvz7()
                 ? Planned{"ct 101", "ipip effective", "call restarts the container", "skipped"}
                 : Planned{"ct 101", "ipip effective", "vzctl restart 101"},
             Planned{"ct 101", "registered in web", "register demo-node-101-web"},
             Planned{"ct 102", "ipip feature", "vzctl set 102 --features ipip:on --save"},
             Planned{"ct 102", "VIP in IP_ADDRESS", "vzctl set 102 --ipadd 192.0.2.53 --save"},
         }) {
        SCOPED_TRACE(p.scope + ": " + p.name);
        auto o = plan.outcome(p.scope, p.name);
        ASSERT_TRUE(o.has_value()) << plan.describe();
        EXPECT_EQ((*o)["status"], p.status);
        EXPECT_THAT((*o)["detail"].get<std::string>(), HasSubstr(p.detail));
    }

    EXPECT_EQ(before.diff(n.snapshot()), "");
    EXPECT_FALSE(n.exists(n.state_dir() + "/workers"));
}

TEST(ProvisionFlow, DryRunDeprovisionChangesNothing) {
    VzlvsNode n;
    n.bootstrap_and_provision_standard();
    NodeSnapshot before = n.snapshot();

    CliResult plan = n.cli({"--dry-run", "deprovision", "101", "102"});
    ASSERT_TRUE(plan.report.is_object()) << plan.describe();
    EXPECT_EQ(plan.summary("changed"), 0);
    EXPECT_EQ(plan.summary("failed"), 0) << plan.describe();
    auto dereg = plan.outcome("ct 101", "deregistered from web");
    ASSERT_TRUE(dereg.has_value());
    EXPECT_EQ((*dereg)["status"], "planned");
    auto ipdel = plan.outcome("ct 101", "VIP not in IP_ADDRESS");
    ASSERT_TRUE(ipdel.has_value());
    EXPECT_EQ((*ipdel)["status"], "planned");
    EXPECT_THAT((*ipdel)["detail"].get<std::string>(),
                HasSubstr("vzctl set 101 --ipdel 192.0.2.10 --save"));

    EXPECT_EQ(before.diff(n.snapshot()), "");
}

}  // namespace
}  // namespace vzlvs::test
