// `vzlvs watch` against the OpenVZ stand-in: the real binary runs in the node namespace in the
// background; each test breaks one thing watch owns and waits for its `repaired:` log line
// (never a sleep), then checks the system itself. The director is the test director, reached
// from the node namespace through a small relay on the node's 127.0.0.1.
#include "vzlvs/commands/watch.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/director_server.hpp"
#include "support/standin.hpp"
#include "support/syslog_listener.hpp"
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

const std::string kCt = "101";
const std::string kCtIp = "10.1.0.5";
const std::string kVip = "192.0.2.10";
const std::string kBackend = "wnode-101-web";
// Bounds for something that must happen; never waited in full when it does.
constexpr auto kRepairWait = 60s;
constexpr auto kExitWait = 20s;

// ---- a TCP relay: node namespace 127.0.0.1:PORT → this namespace's 127.0.0.1:PORT ----------

class NsRelay {
  public:
    NsRelay(const std::string& netns_path, int port) : port_(port) {
        stop_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (stop_ < 0) throw std::runtime_error("eventfd failed");
        // A socket stays in the namespace it was created in: make it there, use it here.
        in_netns(netns_path, [&] { listen_ = listen_on(port); });
        thread_ = std::thread([this] { accept_loop(); });
    }
    ~NsRelay() {
        const uint64_t one = 1;
        const ssize_t n = ::write(stop_, &one, sizeof one);
        (void)n;
        if (thread_.joinable()) thread_.join();
        for (auto& t : pumps_) t.join();
        ::close(listen_);
        ::close(stop_);
    }
    NsRelay(const NsRelay&) = delete;
    NsRelay& operator=(const NsRelay&) = delete;

  private:
    static sockaddr_in loopback(int port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return a;
    }
    static int listen_on(int port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a = loopback(port);
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(fd, 16) != 0)
            throw std::runtime_error(std::string("relay listen: ") + std::strerror(errno));
        return fd;
    }
    void accept_loop() {
        for (;;) {
            pollfd p[2] = {{listen_, POLLIN, 0}, {stop_, POLLIN, 0}};
            if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
            if (p[1].revents) return;
            if (!(p[0].revents & POLLIN)) continue;
            const int in = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
            if (in < 0) continue;
            const int out = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in a = loopback(port_);
            if (out < 0 || ::connect(out, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
                ::close(in);  // director down: the client sees a reset, as it would directly
                if (out >= 0) ::close(out);
                continue;
            }
            pumps_.emplace_back([this, in, out] { pump(in, out); });
        }
    }
    void pump(int a, int b) {
        char buf[16384];
        for (;;) {
            pollfd p[3] = {{a, POLLIN, 0}, {b, POLLIN, 0}, {stop_, POLLIN, 0}};
            if (::poll(p, 3, -1) < 0 && errno != EINTR) break;
            if (p[2].revents) break;
            bool done = false;
            for (int i = 0; i < 2 && !done; ++i) {
                if (!p[i].revents) continue;
                const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
                if (n <= 0) {
                    done = true;
                    break;
                }
                const int to = i == 0 ? b : a;
                for (ssize_t off = 0; off < n;) {
                    const ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
                    if (w <= 0) {
                        done = true;
                        break;
                    }
                    off += w;
                }
            }
            if (done) break;
        }
        ::close(a);
        ::close(b);
    }

    int port_;
    int listen_ = -1;
    int stop_ = -1;
    std::thread thread_;
    std::vector<std::thread> pumps_;  // touched by the accept thread only until it is joined
};

// ---- `vzlvs watch` in the background --------------------------------------------------------

class WatchProcess {
  public:
    // `wrap`: a command that runs the rest (tests/tools/devlog SOCKET).
    WatchProcess(const StandinNode& node, const std::string& config, const std::string& interval,
                 std::vector<std::string> wrap = {}) {
        std::vector<std::string> argv = std::move(wrap);
        for (const std::string& a :
             {std::string("ip"), std::string("netns"), std::string("exec"), node.node_netns_name(),
              std::string(VZLVS_BINARY), std::string("-v"), std::string("-c"), config,
              std::string("watch"), std::string("--interval"), interval})
            argv.push_back(a);
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a crashed test
            const int null = ::open("/dev/null", O_RDONLY);
            ::dup2(null, 0);
            ::dup2(fds[1], 1);
            ::dup2(fds[1], 2);
            ::execvp(args[0], args.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        reader_ = std::thread([this, fd = fds[0]] { read_lines(fd); });
    }
    ~WatchProcess() {
        if (pid_ > 0) {
            const int rc = stop();
            EXPECT_EQ(rc, 0) << "vzlvs watch did not exit 0 on SIGTERM; its log:\n" << log();
        }
        if (reader_.joinable()) reader_.join();
    }
    WatchProcess(const WatchProcess&) = delete;
    WatchProcess& operator=(const WatchProcess&) = delete;

    // Sends sig and waits for the exit (bounded). Returns the exit code; -1 when it had to
    // be killed or died by a signal.
    int stop(int sig = SIGTERM) {
        if (pid_ <= 0) return exit_code_;
        ::kill(pid_, sig);
        // The end of its output is its exit: watch's own children are short-lived, and a
        // pidfd (Linux 5.3) is not there under the Linux 3.10 profile.
        bool exited;
        {
            std::unique_lock<std::mutex> l(mu_);
            exited = cv_.wait_for(l, kExitWait, [&] { return eof_; });
        }
        if (!exited) ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        exit_code_ = exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_code_;
    }

    // Index of the next line to be read: wait_line(..., mark()) only sees what comes after.
    std::size_t mark() {
        std::lock_guard<std::mutex> l(mu_);
        return lines_.size();
    }
    // Waits for a line at index >= from that contains needle; returns its index or -1.
    long wait_line(const std::string& needle, std::size_t from = 0) {
        std::unique_lock<std::mutex> l(mu_);
        long found = -1;
        cv_.wait_for(l, kRepairWait, [&] {
            for (std::size_t i = from; i < lines_.size(); ++i)
                if (lines_[i].find(needle) != std::string::npos) {
                    found = static_cast<long>(i);
                    return true;
                }
            return eof_;
        });
        return found;
    }
    std::vector<std::string> lines() {
        std::lock_guard<std::mutex> l(mu_);
        return lines_;
    }
    std::string log() {
        std::string s;
        for (const auto& l : lines()) s += l + "\n";
        return s;
    }

  private:
    void read_lines(int fd) {
        std::string partial;
        char buf[4096];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            partial.append(buf, static_cast<size_t>(n));
            std::lock_guard<std::mutex> l(mu_);
            for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
                lines_.push_back(partial.substr(0, nl));
                partial.erase(0, nl + 1);
            }
            cv_.notify_all();
        }
        ::close(fd);
        std::lock_guard<std::mutex> l(mu_);
        eof_ = true;
        cv_.notify_all();
    }

    pid_t pid_ = -1;
    int exit_code_ = -1;
    std::thread reader_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
    bool eof_ = false;
};

// ---- the fixture: a provisioned, registered CT 101 ------------------------------------------

class WatchTest : public ::testing::Test {
  protected:
    void SetUp() override {
        relay_ = std::make_unique<NsRelay>(node_.node_netns(), director_.port());
        node_.create_ct(kCt, {kCtIp});
        ASSERT_TRUE(node_.vzctl_run({"start", kCt}).ok());
        config_ = dir_.path() + "/vzlvs.conf";
        std::ofstream(config_) << "[node]\n"
                               << "name = wnode\n"
                               << "vzctl = " << node_.vzctl() << "\n"
                               << "vz_conf_dir = " << node_.conf_dir() << "\n"
                               << "state_dir = " << dir_.path() << "/state\n"
                               << "restart = auto\n"
                               << "uplinks = eth0\n"
                               << "modules_persist = none\n"
                               << "sysctl_dir = " << dir_.path() << "/sysctl\n"
                               << "[director]\n"
                               << "url = " << director_.url() << "\n"
                               << "drain = 1s\n"
                               << "[service web]\n"
                               << "vip = " << kVip << "\n"
                               << "port = 80\n"
                               << "check = none\n"
                               << "[container " << kCt << "]\n"
                               << "services = web\n";
        RunResult r = node_.run({VZLVS_BINARY, "-c", config_, "--json", "provision"});
        const auto report = nlohmann::json::parse(r.out);
        for (const auto& o : report["outcomes"]) {
            // The stand-in kernel has no ipip: its tunl0 is a stand-in device.
            if (o["status"] == "failed") {
                ASSERT_EQ(o["name"], "tunl0 is an ipip device") << r.out;
            }
        }
        // The restart ran the mount hook, whose worker ends once it has registered the CT.
        RunOptions wait;
        wait.timeout = 180s;
        ASSERT_TRUE(
            node_.run({"flock", dir_.path() + "/state/workers/" + kCt + ".lock", "true"}, wait)
                .ok());
        ASSERT_TRUE(registered()) << "provision did not register the backend";
        ASSERT_TRUE(route_gone());
    }

    std::unique_ptr<WatchProcess> watch(const std::string& interval,
                                        std::vector<std::string> wrap = {}) {
        auto w = std::make_unique<WatchProcess>(node_, config_, interval, std::move(wrap));
        // Logged once the first pass is over and the subscription is live.
        EXPECT_GE(w->wait_line("info: subscribed to route and neighbour events"), 0) << w->log();
        return w;
    }

    std::string node(const std::vector<std::string>& argv) {
        RunResult r = node_.run(argv);
        EXPECT_TRUE(r.ok()) << argv[0] << " failed: " << r.err;
        return r.out;
    }
    std::string ct(const std::vector<std::string>& argv) {
        std::vector<std::string> full{"ip", "netns", "exec", node_.ct_netns_name(kCt)};
        full.insert(full.end(), argv.begin(), argv.end());
        RunResult r = runner_->run(full);
        EXPECT_TRUE(r.ok()) << argv[0] << " in the CT failed: " << r.err;
        return r.out;
    }
    bool route_gone() {
        return node({"ip", "route", "show", "table", "all", kVip}).find("venet0") ==
               std::string::npos;
    }
    bool proxy_gone() { return node({"ip", "neigh", "show", "proxy", kVip}).empty(); }
    bool registered() {
        std::string body;
        if (director_.call("GET", "/service/web/" + kBackend, {}, &body) != 200) return false;
        return nlohmann::json::parse(body)["options"]["method"] == "tunnel";
    }

    ScratchDir dir_;
    DirectorServer director_;
    StandinNode node_;
    std::unique_ptr<NsRelay> relay_;
    std::unique_ptr<ProcessRunner> runner_ = make_process_runner();
    std::string config_;
};

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
    EXPECT_NE(unit.find("After=vz.service network-online.target\n"), std::string::npos);
    EXPECT_NE(render_watch_unit("/opt/vzlvs/bin/vzlvs", "/etc/vzlvs/edge-1.conf")
                  .find("ExecStart=/opt/vzlvs/bin/vzlvs -c /etc/vzlvs/edge-1.conf watch\n"),
              std::string::npos);
    EXPECT_THROW(render_watch_unit("/usr/sbin/vzlvs", "/etc/my vzlvs.conf"), UsageError);
    EXPECT_THROW(render_watch_unit("vzlvs", "/etc/vzlvs/vzlvs.conf"), UsageError);
}

}  // namespace
}  // namespace vzlvs
