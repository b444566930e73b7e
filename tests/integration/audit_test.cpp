// Issue 23, finding 7: every change bootstrap, provision, deprovision, register, drain and
// deregister make is in syslog, one line each, naming the command and who ran it; check and
// --dry-run add nothing there.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "support/syslog_listener.hpp"
#include "support/vzlvs_node.hpp"

namespace vzlvs::test {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// The audit lines vzlvs sent to syslog (each "<PRI>... vzlvs[PID]: TEXT").
std::vector<std::string> audit_lines(SyslogListener& syslog, const std::string& command) {
    std::vector<std::string> out;
    for (const auto& m : syslog.messages())
        if (m.find("vzlvs " + command) != std::string::npos) out.push_back(m);
    return out;
}

TEST(Audit, EveryChangeIsOneSyslogLineWithTheCommand) {
    VzlvsNode n;
    n.create_standard_cts();
    ConfigOptions opts;
    opts.restart = "never";  // no CT restart, so no hook worker under devlog's /dev
    n.write_config(VzlvsNode::standard_body(), opts);
    const std::string devlog = std::string(VZLVS_TESTS_DIR) + "/tools/devlog";
    SyslogListener syslog;
    auto run = [&](std::vector<std::string> args) {
        std::vector<std::string> argv{devlog, syslog.socket_path(), VZLVS_BINARY,
                                      "-c",   n.config_path(),      "--json"};
        argv.insert(argv.end(), args.begin(), args.end());
        CliResult r;
        r.run = n.standin().run(argv);
        r.report = nlohmann::json::parse(r.run.out, nullptr, false);
        return r;
    };

    CliResult p = run({"provision", "101"});
    const auto changed = p.with_status("changed");
    ASSERT_FALSE(changed.empty()) << p.describe();
    // <29> is daemon.notice.
    const auto& last = changed.back();  // the lines come in order
    syslog.wait_for(last["scope"].get<std::string>() + ": " + last["name"].get<std::string>());
    const auto lines = audit_lines(syslog, "provision 101 (uid 0)");
    EXPECT_EQ(lines.size(),
              changed.size() + p.with_status("failed").size() + p.with_status("pending").size());
    EXPECT_THAT(syslog.wait_for("VIP in IP_ADDRESS"),
                MatchesRegex("<29>.* vzlvs\\[[0-9]+\\]: vzlvs provision 101 \\(uid 0\\): ct 101: "
                             "VIP in IP_ADDRESS: changed: .*"));

    const std::size_t before = syslog.messages().size();
    run({"check"});
    run({"provision", "--dry-run"});
    run({"deprovision", "--dry-run", "101"});
    EXPECT_EQ(syslog.messages().size(), before);

    CliResult d = run({"deprovision", "101"});
    syslog.wait_for("vzlvs deprovision 101 (uid 0): ct 101: VIP not in IP_ADDRESS: changed");
    EXPECT_EQ(audit_lines(syslog, "deprovision 101").size(), d.with_status("changed").size() +
                                                                 d.with_status("failed").size() +
                                                                 d.with_status("pending").size());
}

}  // namespace
}  // namespace vzlvs::test
