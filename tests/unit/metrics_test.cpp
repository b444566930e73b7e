// The metrics' text (commands/metrics.hpp): label values escaped, the histogram cumulative,
// repairs counted across runs. promtool reads real files in tests/integration/metrics_test.cpp.
#include "commands/metrics.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace vzlvs {
namespace {

using ::testing::HasSubstr;

TEST(Metrics, LabelsAreEscapedAndRepairsAddUp) {
    Config cfg = parse_config(
        "[node]\nname = n1\n[service web]\nvip = 192.0.2.10\nport = 80\n"
        "[container 101]\nservices = web\nweight = 7\n",
        "t.conf");
    Report r;
    r.add({"ct 101", "registered in web", Status::ok, "", ""});
    r.add({"ct 101", "no VIP route on \"venet0\"\\", Status::changed, "", ""});
    Metrics m;
    m.record_run(cfg, r, true,
                 std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)));
    m.record_run(cfg, r, true,
                 std::chrono::system_clock::time_point(std::chrono::seconds(1700000060)));
    const std::string text = m.render();
    EXPECT_THAT(
        text,
        HasSubstr("vzlvs_backend_weight{service=\"web\",ct=\"101\",backend=\"n1-101-web\"} 7\n"));
    EXPECT_THAT(text,
                HasSubstr("vzlvs_repairs_total{kind=\"no VIP route on \\\"venet0\\\"\\\\\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("vzlvs_last_converge_timestamp_seconds 1.70000006e+09\n"));
    EXPECT_THAT(text, ::testing::Not(HasSubstr("vzlvs_backend_probe_ok{")));
}

TEST(Metrics, TheLeakHistogramIsCumulative) {
    Metrics m;
    m.record_leak(std::chrono::microseconds(300));
    m.record_leak(std::chrono::milliseconds(3));
    m.record_leak(std::chrono::seconds(60));
    const std::string text = m.render();
    EXPECT_THAT(text, HasSubstr("vzlvs_leak_window_seconds_bucket{le=\"0.0005\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("vzlvs_leak_window_seconds_bucket{le=\"0.005\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("vzlvs_leak_window_seconds_bucket{le=\"30\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("vzlvs_leak_window_seconds_bucket{le=\"+Inf\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("vzlvs_leak_window_seconds_count 3\n"));
}

}  // namespace
}  // namespace vzlvs
