// `vzlvs watch` against the OpenVZ stand-in: the real binary runs in the node namespace in the
// background; each test breaks one thing watch owns and waits for its `repaired:` log line
// (never a sleep), then checks the system itself. The director is the test director, reached
// from the node namespace through a small relay on the node's 127.0.0.1.
#include "vzlvs/commands/watch.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "integration/watch_fixture.hpp"
#include "support/director_server.hpp"
#include "support/standin.hpp"
#include "support/syslog_listener.hpp"
#include "support/watch_process.hpp"
#include "vzlvs/net/netlink.hpp"
#include "vzlvs/steps/watch_unit.hpp"

namespace vzlvs {
namespace {

using namespace std::chrono_literals;
using test::DirectorServer;
using test::ScratchDir;
using test::StandinNode;
using test::SyslogListener;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::StartsWith;
using namespace watch_test;

// With an hour between passes only the netlink event can be what removes them.
TEST_F(WatchTest, ReaddedRouteAndProxyEntryAreRemovedOnTheEvent) {
    auto w = watch("1h");
    auto m = w->mark();
    node({"ip", "route", "add", kVip, "dev", "venet0"});
    EXPECT_GE(w->wait_line("repaired: ct 101: no VIP route on venet0: deleted " + kVip, m), 0)
        << w->log();
    EXPECT_TRUE(route_gone());

    // vzctl's order: proxy entries first, then the route. The kernel sends no event for a
    // proxy entry; the route's event makes watch re-dump and find it.
    m = w->mark();
    node({"ip", "neigh", "add", "proxy", kVip, "dev", "eth0"});
    node({"ip", "route", "add", kVip, "dev", "venet0"});
    EXPECT_GE(
        w->wait_line(
            "repaired: ct 101: no proxy-ARP entry for VIP: deleted proxy " + kVip + " dev eth0", m),
        0)
        << w->log();
    EXPECT_GE(w->wait_line("repaired: ct 101: no VIP route on venet0: deleted " + kVip, m), 0);
    EXPECT_TRUE(proxy_gone());
    EXPECT_TRUE(route_gone());
}

// Thousands of route notifications at once (more than the socket buffer holds while watch is
// busy re-dumping): whether or not the kernel overran it, watch must still find the VIP route
// added last, and keep working afterwards.
TEST_F(WatchTest, SurvivesARouteNotificationFlood) {
    auto w = watch("1h");
    std::string batch;
    for (int i = 0; i < 20000; ++i)
        batch += "route add 10.200." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
                 "/32 dev eth0\n";
    batch += "route add " + kVip + " dev venet0\n";
    auto m = w->mark();
    RunOptions in;
    in.input = batch;
    ASSERT_TRUE(node_.run({"ip", "-batch", "-"}, in).ok());
    EXPECT_GE(w->wait_line("repaired: ct 101: no VIP route on venet0: deleted " + kVip, m), 0)
        << w->log();
    EXPECT_TRUE(route_gone());

    m = w->mark();
    node({"ip", "route", "add", kVip, "dev", "venet0"});
    EXPECT_GE(w->wait_line("repaired: ct 101: no VIP route on venet0: deleted " + kVip, m), 0)
        << w->log();
    EXPECT_TRUE(route_gone());
}

// A proxy entry on its own raises no kernel event: the next pass removes it.
TEST_F(WatchTest, ProxyEntryAloneIsRemovedAtTheNextPass) {
    auto w = watch("200ms");
    const auto m = w->mark();
    node({"ip", "neigh", "add", "proxy", kVip, "dev", "eth0"});
    EXPECT_GE(w->wait_line("repaired: ct 101: no proxy-ARP entry for VIP", m), 0) << w->log();
    EXPECT_TRUE(proxy_gone());
}

TEST_F(WatchTest, FlushedOrEmptiedArpGuardIsRestored) {
    auto w = watch("200ms");
    auto m = w->mark();
    node({"nft", "flush", "chain", "netdev", "vzlvs", "egress_eth0"});
    EXPECT_GE(w->wait_line("repaired: node: ARP guard:", m), 0) << w->log();
    EXPECT_NE(node({"nft", "list", "chain", "netdev", "vzlvs", "egress_eth0"}).find("drop"),
              std::string::npos);

    m = w->mark();
    node({"nft", "delete", "element", "netdev", "vzlvs", "vips", "{", kVip, "}"});
    EXPECT_GE(w->wait_line("repaired: node: ARP guard:", m), 0) << w->log();
    EXPECT_NE(node({"nft", "list", "set", "netdev", "vzlvs", "vips"}).find(kVip),
              std::string::npos);
}

TEST_F(WatchTest, VipAndRpFilterInsideTheCtAreReapplied) {
    auto w = watch("200ms");
    auto m = w->mark();
    ct({"ip", "addr", "del", kVip + "/32", "dev", "tunl0"});
    EXPECT_GE(w->wait_line("repaired: ct 101: tunl0 + VIP + rp_filter in CT:", m), 0) << w->log();
    EXPECT_NE(ct({"ip", "-4", "addr", "show", "dev", "tunl0"}).find(kVip + "/32"),
              std::string::npos);

    m = w->mark();
    ct({"sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"});
    EXPECT_GE(w->wait_line("repaired: ct 101: tunl0 + VIP + rp_filter in CT:", m), 0) << w->log();
    EXPECT_EQ(ct({"sysctl", "-n", "net.ipv4.conf.all.rp_filter"}), "0\n");
}

TEST_F(WatchTest, BackendLostByARestartedDirectorIsReregistered) {
    auto w = watch("200ms");
    const auto m = w->mark();
    director_.restart();  // same port, empty state
    EXPECT_GE(w->wait_line("repaired: ct 101: registered in web: " + kBackend, m), 0) << w->log();
    EXPECT_TRUE(registered());
}

// Issue 27, N6: watch acts on the config file as it is now. An edit is taken before the next
// pass (and at once on SIGHUP), so a provision made with the new file is never reverted; a
// file that does not load is not taken, and watch goes on with the one it has.
TEST_F(WatchTest, AnEditedConfigIsTakenAndABrokenOneIsNot) {
    auto w = watch("200ms");
    const std::string original = [&] {
        std::ifstream in(config_);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }();
    std::ofstream(config_, std::ios::trunc) << original << "weight = 3\n";
    auto m = w->mark();
    RunResult p = node_.run({VZLVS_BINARY, "-c", config_, "provision", kCt});
    EXPECT_GE(w->wait_line("configuration reloaded (changed: " + config_, m), 0) << w->log();
    // What watch registers now carries the new weight (gorb's scale: x100).
    m = w->mark();
    director_.restart();
    EXPECT_GE(w->wait_line("repaired: ct 101: registered in web: " + kBackend, m), 0) << w->log();
    std::string body;
    ASSERT_EQ(director_.call("GET", "/service/web/" + kBackend, {}, &body), 200);
    EXPECT_EQ(nlohmann::json::parse(body)["options"]["weight"], 300) << body;

    // A key from a newer vzlvs is only warned about (issue 23); a bad value is not taken.
    std::ofstream(config_, std::ios::trunc) << original << "weight = 3\nfuture_key = 1\n";
    m = w->mark();
    ::kill(w->pid(), SIGHUP);
    EXPECT_GE(w->wait_line("future_key: unknown key in [container CTID]", m), 0) << w->log();
    std::ofstream(config_, std::ios::trunc) << original << "weight = many\n";
    m = w->mark();
    ::kill(w->pid(), SIGHUP);
    EXPECT_GE(w->wait_line("error: SIGHUP: " + config_ + ": not taken", m), 0) << w->log();
    // Still running, still at weight 3: the destructor stops it and expects exit 0.
    m = w->mark();
    director_.restart();
    EXPECT_GE(w->wait_line("repaired: ct 101: registered in web: " + kBackend, m), 0) << w->log();
    ASSERT_EQ(director_.call("GET", "/service/web/" + kBackend, {}, &body), 200);
    EXPECT_EQ(nlohmann::json::parse(body)["options"]["weight"], 300) << body;
}

// Converged: passes find nothing to do and call nothing that changes a container.
TEST_F(WatchTest, ConvergedNodeIsLeftAlone) {
    const auto before = node_.mutating_calls().size();
    auto w = watch("200ms");
    const auto m = w->mark();
    const long pass4 = w->wait_line("debug: pass 4 done in ", m);
    ASSERT_GE(pass4, 0) << w->log();
    EXPECT_THAT(w->lines().at(static_cast<std::size_t>(pass4)),
                HasSubstr(" ms: 0 repaired, 0 failed"))
        << w->log();
    for (const auto& l : w->lines()) {
        EXPECT_EQ(l.find("repaired:"), std::string::npos) << l;
        EXPECT_EQ(l.find("failed:"), std::string::npos) << l;
    }
    EXPECT_EQ(node_.mutating_calls().size(), before);
}

// SIGINT (a terminal's ^C) stops it as SIGTERM does, also in the middle of a long wait.
TEST_F(WatchTest, StopsCleanlyOnSigint) {
    auto w = watch("1h");
    EXPECT_EQ(w->stop(SIGINT), 0) << w->log();
    EXPECT_GE(w->wait_line("info: stopped (SIGINT)"), 0) << w->log();
}

// What watch logs goes to syslog as vzlvs[PID], facility daemon (<30> is daemon.info, <31>
// daemon.debug, which -v enables), as well as to stderr.
TEST_F(WatchTest, LogsToSyslogAsVzlvsOfFacilityDaemon) {
    SyslogListener syslog;
    auto w = watch("200ms", {std::string(VZLVS_TESTS_DIR) + "/tools/devlog", syslog.socket_path()});
    const std::string started = syslog.wait_for("watching 1 VIP(s)");
    EXPECT_THAT(started, MatchesRegex("<30>.* vzlvs\\[[0-9]+\\]: watching 1 VIP\\(s\\) .*"))
        << w->log();
    EXPECT_THAT(syslog.wait_for("pass 1 done"), StartsWith("<31>"));

    // A repair is in the node's log too.
    ct({"sysctl", "-qw", "net.ipv4.conf.all.rp_filter=1"});
    EXPECT_THAT(syslog.wait_for("repaired: ct 101: tunl0 + VIP + rp_filter in CT:"),
                StartsWith("<30>"))
        << w->log();
    EXPECT_EQ(w->stop(), 0) << w->log();
}

// Under systemd (stderr is the journal's stream, JOURNAL_STREAM) stderr alone is logged:
// the journal has each line once.
TEST_F(WatchTest, LogsOnlyToStderrWhenStderrIsTheJournal) {
    SyslogListener syslog;
    // JOURNAL_STREAM naming the very pipe that is watch's stderr, as systemd would.
    auto w = watch(
        "1h", {std::string(VZLVS_TESTS_DIR) + "/tools/devlog", syslog.socket_path(), "sh", "-c",
               "JOURNAL_STREAM=$(stat -L -c '%d:%i' /proc/self/fd/2) exec \"$@\"", "sh"});
    EXPECT_EQ(w->stop(), 0) << w->log();
    EXPECT_GE(w->wait_line("info: watching 1 VIP(s)"), 0) << w->log();
    EXPECT_THAT(syslog.messages(), IsEmpty());
}

// ---- without a node -------------------------------------------------------------------------

// The wake fd the watch loop relies on for SIGTERM: once it is readable the netlink wait
// returns false at once, however long its timeout (an hour here: a return at all proves it).
TEST(WatchWake, NetlinkWaitReturnsWhenTheWakeFdIsReadable) {
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    int calls = 0;
    const bool done = watch_routes_and_neighbours(
        "", 1h,
        [&] {
            if (++calls == 1) {  // subscribed: now wake it
                const ssize_t n = ::write(fds[1], "x", 1);
                EXPECT_EQ(n, 1);
            }
            return false;
        },
        fds[0]);
    EXPECT_FALSE(done);
    EXPECT_GE(calls, 1);
    char c = 0;
    EXPECT_EQ(::read(fds[0], &c, 1), 1);  // left for the caller to read
    ::close(fds[0]);
    ::close(fds[1]);
}

int run_vzlvs(const std::vector<std::string>& args, std::string* err = nullptr) {
    std::vector<std::string> argv{VZLVS_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = make_process_runner()->run(argv);
    if (err) *err = r.err;
    return r.exit_code;
}

TEST(WatchCli, RefusesBadIntervalAndDryRunBeforeDoingAnything) {
    ScratchDir dir;
    const std::string config = dir.path() + "/vzlvs.conf";
    std::ofstream(config) << "[node]\nname = n1\nvzctl = /bin/true\nvz_conf_dir = " << dir.path()
                          << "\nstate_dir = " << dir.path() << "/state\n"
                          << "[service web]\nvip = 192.0.2.10\nport = 80\n"
                          << "[container 101]\nservices = web\n";
    std::string err;
    EXPECT_EQ(run_vzlvs({"-c", config, "watch", "--interval", "0s"}, &err), 2) << err;
    EXPECT_NE(err.find("--interval"), std::string::npos) << err;
    EXPECT_EQ(run_vzlvs({"-c", config, "watch", "--interval", "soon"}, &err), 2) << err;
    EXPECT_EQ(run_vzlvs({"-c", config, "--dry-run", "watch"}, &err), 2) << err;
    EXPECT_NE(err.find("vzlvs check"), std::string::npos) << err;
}

TEST(WatchUnit, RendersTheSystemdUnit) {
    const std::string unit = render_watch_unit();
    EXPECT_NE(unit.find("ExecStart=/usr/sbin/vzlvs -c /etc/vzlvs/vzlvs.conf watch\n"),
              std::string::npos)
        << unit;
    EXPECT_NE(unit.find("Restart=on-failure\n"), std::string::npos);
    EXPECT_NE(unit.find("ExecReload=/bin/kill -HUP $MAINPID\n"), std::string::npos);
    EXPECT_NE(unit.find("After=vz.service network-online.target\n"), std::string::npos);
    EXPECT_NE(render_watch_unit("/opt/vzlvs/bin/vzlvs", "/etc/vzlvs/edge-1.conf")
                  .find("ExecStart=/opt/vzlvs/bin/vzlvs -c /etc/vzlvs/edge-1.conf watch\n"),
              std::string::npos);
    EXPECT_THROW(render_watch_unit("/usr/sbin/vzlvs", "/etc/my vzlvs.conf"), UsageError);
    EXPECT_THROW(render_watch_unit("vzlvs", "/etc/vzlvs/vzlvs.conf"), UsageError);
}

}  // namespace
}  // namespace vzlvs
