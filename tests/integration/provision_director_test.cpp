// A director that is down must not leave the node half-configured: provision configures the
// container, reports it unregistered with the cause, and the next run completes it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support/vzlvs_node.hpp"

namespace vzlvs::test {
namespace {

using ::testing::HasSubstr;

// A port nothing listens on in the node namespace: connections are refused at once.
std::string unreachable_director() {
    return "[director]\nurl = http://127.0.0.1:9\ntimeout = 1s\nretries = 1\n\n";
}

TEST(ProvisionDirector, DirectorDownLeavesTheContainerConfiguredAndTheNextRunRegistersIt) {
    VzlvsNode n;
    n.create_standard_cts();
    ConfigOptions no_director;
    no_director.director = false;
    n.write_config(unreachable_director() + VzlvsNode::standard_body(), no_director);

    CliResult first = n.cli({"provision", "101"});
    EXPECT_EQ(first.exit_code(), 1) << first.describe();
    EXPECT_EQ(
        first.unexpected_failures({ct_ipip_failure("101"),
                                   {"ct 101", "registered in web", "Couldn't connect to server"}}),
        "")
        << first.describe();
    // Everything on the node and in the container is in place all the same.
    n.wait_for_worker("101");
    EXPECT_EQ(n.node_routes_for("192.0.2.10"), "");
    EXPECT_EQ(n.node_proxies_for("192.0.2.10"), "");
    EXPECT_THAT(n.ip_ct("101", {"-4", "addr", "show", "dev", "tunl0"}), HasSubstr("192.0.2.10/32"));
    auto reg = first.outcome("ct 101", "registered in web");
    ASSERT_TRUE(reg) << first.describe();
    EXPECT_THAT((*reg)["fix"].get<std::string>(), HasSubstr("vzlvs register 101"));

    // The director is back (here: the configuration points at the running one).
    n.write_config(VzlvsNode::standard_body());
    CliResult second = n.cli({"provision", "101"});
    EXPECT_EQ(second.unexpected_failures({ct_ipip_failure("101")}), "") << second.describe();
    // The registration, and the configuration kept for the hooks (its director changed).
    EXPECT_EQ(second.summary("changed"), 2) << second.describe();
    ASSERT_TRUE(second.outcome("node", "last validated config")) << second.describe();
    EXPECT_EQ((*second.outcome("node", "last validated config"))["status"], "changed");
    auto again = second.outcome("ct 101", "registered in web");
    ASSERT_TRUE(again) << second.describe();
    EXPECT_EQ((*again)["status"], "changed");
    auto backend = n.director().get("/service/web/demo-node-101-web");
    ASSERT_TRUE(backend);
    EXPECT_EQ((*backend)["options"]["host"], "198.51.100.101");
    EXPECT_EQ((*backend)["options"]["method"], "tunnel");
}

TEST(ProvisionDirector, OurOwnLockHeldGivesExit3AndAPartialReport) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(VzlvsNode::standard_body());
    // Hold CT 101's lock the way another vzlvs would, with flock(1) inside the node namespace.
    const std::string lock = n.state_dir() + "/locks/101.lock";
    n.run_ok({"mkdir", "-p", n.state_dir() + "/locks"});
    RunOptions bounded;
    bounded.timeout = std::chrono::seconds(120);
    // flock(1) holds the lock on its own descriptor while it runs vzlvs, as a second vzlvs would.
    RunResult r = n.standin().run({"flock", lock, VZLVS_BINARY, "-c", n.config_path(), "--json",
                                   "--lock-wait", "0", "provision"},
                                  bounded);
    EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
    auto report = nlohmann::json::parse(r.out);
    EXPECT_EQ(report["exit"], 3);
    bool named = false;
    for (const auto& o : report["outcomes"])
        if (o["scope"] == "ct 101" && o["name"] == "container lock") {
            named = true;
            EXPECT_EQ(o["status"], "failed");
            EXPECT_THAT(o["detail"].get<std::string>(), HasSubstr("locked by another vzlvs"));
        }
    EXPECT_TRUE(named) << r.out;
    // The other container was provisioned: only 101 waits for its lock.
    bool other = false;
    for (const auto& o : report["outcomes"])
        if (o["scope"] == "ct 102" && o["name"] == "VIP in IP_ADDRESS")
            other = o["status"] == "changed";
    EXPECT_TRUE(other) << r.out;
}

}  // namespace
}  // namespace vzlvs::test
