// `[director] api = etcd` through the CLI on a stand-in node, against a real etcd in the node's
// namespace: provision registers on the node's lease, a second run writes nothing, check says
// whether the lease lives, watch keeps it alive, and a node whose watch dies leaves etcd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "support/etcd_cluster.hpp"
#include "support/vzlvs_node.hpp"
#include "support/watch_process.hpp"

namespace vzlvs::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

const std::string kKey = "/vzlvs/v1/backends/web/demo-node-101-web";

std::string etcd_body(const EtcdCluster& etcd) {
    return "[director]\napi = etcd\nendpoints = " + etcd.endpoint(0) +
           "\nlease_ttl = 2s\ndrain = 1s\ntimeout = 2s\n\n" + VzlvsNode::standard_body();
}

// Awaits the key's presence (or absence) in etcd, for at most `timeout`.
bool key_becomes(const EtcdCluster& etcd, bool present, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const bool there = !etcd.etcdctl({"get", kKey, "--keys-only"}).empty();
        if (there == present) return true;
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(50ms);
    }
}

TEST(ProvisionEtcd, RegistersOnTheLeaseThatWatchKeepsAlive) {
    if (!etcd_installed()) GTEST_SKIP() << "etcd-server is not installed";
    VzlvsNode n(false);
    EtcdCluster etcd(1, n.standin().node_netns_name());
    n.create_standard_cts();
    n.write_config(etcd_body(etcd));
    ASSERT_EQ(n.cli({"bootstrap"}).unexpected_failures({bootstrap_ipip_failure()}), "");
    CliResult first = n.cli({"provision"});
    ASSERT_EQ(first.unexpected_failures({ct_ipip_failure("101")}), "") << first.describe();
    n.wait_for_workers();
    auto reg = first.outcome("ct 101", "registered in web");
    ASSERT_TRUE(reg) << first.describe();
    EXPECT_EQ((*reg)["status"], "changed");
    EXPECT_THAT((*reg)["detail"].get<std::string>(), HasSubstr("stored; the directors apply it"));
    const std::string stored = etcd.etcdctl({"get", kKey, "--print-value-only"});
    EXPECT_THAT(stored, HasSubstr("\"host\":\"198.51.100.101\""));
    EXPECT_THAT(stored, HasSubstr("\"node\":\"demo-node\""));
    EXPECT_THAT(stored, HasSubstr("\"state\":\"active\""));

    CliResult second = n.cli({"provision"});
    EXPECT_EQ(second.summary("changed"), 0) << second.describe();

    CliResult check = n.cli({"check"});
    auto lease = check.outcome("node", "registrations kept alive");
    ASSERT_TRUE(lease) << check.describe();
    EXPECT_EQ((*lease)["status"], "ok") << check.describe();
    EXPECT_THAT((*lease)["detail"].get<std::string>(), HasSubstr("vzlvs watch renews it"));

    {
        WatchProcess watch(n.standin(), n.config_path(), "30s");
        // Twice the lease's TTL with watch renewing it: still there (what is asserted is that
        // nothing happens, so this waits).
        std::this_thread::sleep_for(4500ms);
        EXPECT_TRUE(key_becomes(etcd, true, 0ms)) << watch.log();
        // The node dies (its watch with it): etcd drops its backends within lease_ttl + 2 s.
        watch.stop(SIGKILL);
        EXPECT_TRUE(key_becomes(etcd, false, 4s));
    }
    CliResult expired = n.cli({"check"});
    lease = expired.outcome("node", "registrations kept alive");
    ASSERT_TRUE(lease) << expired.describe();
    EXPECT_EQ((*lease)["status"], "failed");
    EXPECT_THAT((*lease)["detail"].get<std::string>(), HasSubstr("expired"));
    EXPECT_THAT((*lease)["fix"].get<std::string>(), HasSubstr("vzlvs-watch"));

    {
        // watch back: it finds the lease gone, makes a new one and registers at once.
        WatchProcess watch(n.standin(), n.config_path(), "30s");
        EXPECT_TRUE(key_becomes(etcd, true, 10s)) << watch.log();
    }
    CliResult gone = n.cli({"deprovision", "101"});
    auto dereg = gone.outcome("ct 101", "deregistered from web");
    ASSERT_TRUE(dereg) << gone.describe();
    EXPECT_EQ((*dereg)["status"], "changed");
    EXPECT_THAT((*dereg)["detail"].get<std::string>(), HasSubstr("removed"));
    EXPECT_TRUE(key_becomes(etcd, false, 0ms));
}

}  // namespace
}  // namespace vzlvs::test
