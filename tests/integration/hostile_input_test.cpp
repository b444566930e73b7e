// Defects found by attacking vzlvs on its own stand-in (issue 27): what a tenant or a stray
// file can put where vzlvs reads must neither blind nor hang it. Each fails on the code before
// its fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <string>

#include "support/vzlvs_node.hpp"

namespace vzlvs::test {
namespace {

using ::testing::HasSubstr;

// N3: bytes that are not UTF-8 in a CT's config (or in what its tools print) reach the report
// as '?', and --json stays a valid report.
TEST(Reliability, BytesThatAreNotUtf8KeepTheJsonReportWhole) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(VzlvsNode::standard_body());
    std::ofstream(n.standin().conf_file("101"), std::ios::app)
        << "IP_ADDRESS=\"198.51.100.101 \xff\xfe\"\n";
    CliResult r = n.cli({"check"});
    ASSERT_TRUE(r.report.is_object()) << r.describe();
    EXPECT_EQ(r.report["command"], "check");
    EXPECT_EQ(r.exit_code(), 1) << r.describe();
}

// N8: a FIFO where a hook script belongs is refused with its name, never opened for a read
// that waits for a writer.
TEST(Reliability, AFifoInPlaceOfAHookScriptIsRefusedNotWaitedOn) {
    VzlvsNode n;
    n.create_standard_cts();
    n.write_config(VzlvsNode::standard_body());
    const std::string mount = n.standin().action_script("101", "mount");
    ASSERT_EQ(::mkfifo(mount.c_str(), 0600), 0) << mount;
    for (const std::string command : {"check", "provision"}) {
        SCOPED_TRACE(command);
        RunOptions o;
        o.timeout = std::chrono::seconds(60);
        const RunResult r = n.vzlvs_raw({"-c", n.config_path(), command, "101"}, o);
        ASSERT_FALSE(r.timed_out) << "vzlvs " << command << " waited on the FIFO";
        EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
        EXPECT_THAT(r.out + r.err, HasSubstr(mount + ": it is a FIFO"));
    }
}

// N7: a command that guards every VIP of the config at once refuses a VIP that is another
// tenant's address, before anything is changed: the guard would cut that CT off the LAN.
TEST(Reliability, BootstrapRefusesAVipThatIsAnotherContainersAddress) {
    VzlvsNode n;
    n.create_ct("101", "198.51.100.101", true);
    n.create_ct("103", "192.0.2.53", true);  // dns's VIP, as an unmanaged CT's own address
    n.write_config(VzlvsNode::standard_body());
    NodeSnapshot before = n.snapshot();
    CliResult r = n.cli({"bootstrap"});
    EXPECT_EQ(r.exit_code(), 2) << r.describe();
    EXPECT_THAT(r.run.err,
                HasSubstr("VIP 192.0.2.53 (service dns) is in the IP_ADDRESS of CT 103"));
    EXPECT_EQ(before.diff(n.snapshot()), "");
}

// N5: two sections for one OpenVZ 7 CT, by its name and by its ID, are refused before anything
// is changed.
TEST(Reliability, TwoSectionsForOneContainerAreRefused) {
    if (!StandinNode::openvz7()) GTEST_SKIP() << "the vzctl 4 stand-in has no --name";
    VzlvsNode n;
    ASSERT_TRUE(n.standin()
                    .vzctl_run({"create", "101", "--ipadd", "198.51.100.101", "--name", "web1"})
                    .ok());
    n.write_config(
        VzlvsNode::standard_body() +
        "[service web2]\nvip = 192.0.2.11\nport = 80\n[container web1]\nservices = web2\n");
    NodeSnapshot before = n.snapshot();
    for (const std::string command : {"provision", "check"}) {
        CliResult r = n.cli({command});
        EXPECT_EQ(r.exit_code(), 2) << r.describe();
        EXPECT_THAT(r.run.err, HasSubstr("[container 101] and [container web1] are one container"));
    }
    EXPECT_EQ(before.diff(n.snapshot()), "");
}

// N4: two (CT, service) pairs of one node that would be one backend at the director are
// refused before anything is changed, both named.
TEST(Reliability, TwoPairsThatSpellOneBackendIdAreRefused) {
    VzlvsNode n;
    n.write_config(
        "[service db-main]\nvip = 192.0.2.10\nport = 80\n"
        "[service main]\nvip = 192.0.2.11\nport = 80\n"
        "[container shop]\nservices = db-main\n"
        "[container shop-db]\nservices = main\n");
    NodeSnapshot before = n.snapshot();
    CliResult r = n.cli({"provision"});
    EXPECT_EQ(r.exit_code(), 2) << r.describe();
    EXPECT_THAT(r.run.err, HasSubstr("are both backend demo-node-shop-db-main at the director"));
    EXPECT_EQ(before.diff(n.snapshot()), "");
}

}  // namespace
}  // namespace vzlvs::test
