// Issue 23: metrics in node_exporter's textfile format, written atomically by watch (after
// each pass and each leak it removed) and by `check --metrics-file`; promtool, Prometheus's
// own linter, accepts them (docs/metrics.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "integration/watch_fixture.hpp"
#include "support/vzlvs_node.hpp"

namespace vzlvs::watch_test {
namespace {

using ::testing::HasSubstr;

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// promtool check metrics: exit 0 and nothing to say.
void expect_promtool_accepts(const std::string& text) {
    RunOptions o;
    o.input = text;
    RunResult r = make_process_runner()->run({"promtool", "check", "metrics"}, o);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err << text;
    EXPECT_EQ(r.out + r.err, "") << text;
}

TEST(Metrics, CheckWritesThemOnRequest) {
    test::VzlvsNode n;
    n.bootstrap_and_provision_standard();
    n.wait_for_workers();
    const std::string file = n.root() + "/vzlvs.prom";
    test::CliResult c = n.cli({"check", "--metrics-file", file});
    ASSERT_TRUE(std::filesystem::exists(file)) << c.describe();
    const std::string text = slurp(file);
    expect_promtool_accepts(text);
    EXPECT_THAT(text, HasSubstr("vzlvs_backend_registered{service=\"web\",ct=\"101\","
                                "backend=\"demo-node-101-web\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("vzlvs_backend_weight{service=\"web\",ct=\"101\","
                                "backend=\"demo-node-101-web\"} 10\n"));
    EXPECT_THAT(text, HasSubstr("vzlvs_guard_backend{backend=\"nft\"} 1\n"));
    // This bench always fails "ipip module": no converge time yet.
    EXPECT_THAT(text, HasSubstr("vzlvs_last_converge_timestamp_seconds 0\n"));
    EXPECT_THAT(text, HasSubstr("vzlvs_outcomes{status=\"failed\"} " +
                                std::to_string(c.summary("failed")) + "\n"));
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms(0644));
}

TEST_F(WatchTest, WatchWritesMetricsAfterAPassAndAfterALeak) {
    const std::string file = dir_.path() + "/vzlvs.prom";
    std::string text = slurp(config_);
    std::ofstream(config_, std::ios::trunc) << std::regex_replace(
        text, std::regex("\\[node\\]\n"), "[node]\nmetrics_file = " + file + "\n");
    auto w = watch("1h");
    ASSERT_GE(w->wait_line("subscribed to route and neighbour events"), 0) << w->log();
    const std::string first = slurp(file);  // written after the first pass, before the sweeper
    expect_promtool_accepts(first);
    EXPECT_THAT(first, HasSubstr("vzlvs_backend_registered{service=\"web\",ct=\"101\","
                                 "backend=\"wnode-101-web\"} 1\n"));
    EXPECT_THAT(first, HasSubstr("vzlvs_leak_window_seconds_count 0\n"));

    auto m = w->mark();
    node({"ip", "route", "add", kVip, "dev", "venet0"});
    ASSERT_GE(w->wait_line("repaired: ct 101: no VIP route on venet0: deleted " + kVip, m), 0)
        << w->log();
    // Written before the line is logged, replaced whole (rename): never seen half done.
    const std::string after = slurp(file);
    expect_promtool_accepts(after);
    EXPECT_THAT(after, HasSubstr("vzlvs_leak_window_seconds_count 1\n"));
    EXPECT_THAT(after, HasSubstr("vzlvs_leak_window_seconds_bucket{le=\"+Inf\"} 1\n"));
}

}  // namespace
}  // namespace vzlvs::watch_test
