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

}  // namespace
}  // namespace vzlvs::test
