// A container that hangs whatever runs in it (issue 27, N2 and N9), against the OpenVZ
// stand-in: a FIFO at the CT's /etc/iproute2/group makes every `ip` in it wait forever. Neither
// watch's leak sweep nor a stop waits for it, and nothing vzlvs started in the CT outlives it.
// vzctl 4 only: on OpenVZ 7 the in-CT state is read from the host, without a process in the CT.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "integration/watch_fixture.hpp"

namespace vzlvs {
namespace {

using namespace watch_test;

// Makes CT 101 hang every `ip` run in it, for the test's life.
class StuckCt {
  public:
    explicit StuckCt(const StandinNode& node) : fifo_(node.root() + "/vz/root/101/etc/iproute2") {
        std::filesystem::create_directories(fifo_);
        fifo_ += "/group";
        if (::mkfifo(fifo_.c_str(), 0644) != 0) throw std::runtime_error("mkfifo " + fifo_);
    }
    ~StuckCt() { std::filesystem::remove(fifo_); }

  private:
    std::string fifo_;
};

// Whether ct-net.sh runs in CT 101 of this node: a process in the CT's network namespace with
// the script's name, vzlvs-ct-net, in its command line (other tests' CTs run at the same time).
bool ct_net_running(const StandinNode& node) {
    const RunResult in_ct = node.run({"ip", "netns", "pids", node.ct_netns_name("101")});
    const RunResult named = node.run({"pgrep", "-f", "vzlvs-ct-net"});
    std::set<std::string> pids;
    std::istringstream a(in_ct.out);
    for (std::string pid; a >> pid;) pids.insert(pid);
    std::istringstream b(named.out);
    for (std::string pid; b >> pid;)
        if (pids.count(pid)) return true;
    return false;
}
// Waits (bounded) until `want` holds; no fixed sleep decides the outcome.
bool eventually(const std::function<bool()>& want, std::chrono::seconds bound = 30s) {
    const auto until = std::chrono::steady_clock::now() + bound;
    for (auto nap = 10ms; std::chrono::steady_clock::now() < until;
         nap = std::min(nap * 2, 500ms)) {
        if (want()) return true;
        std::this_thread::sleep_for(nap);
    }
    return want();
}

class WatchStuck : public WatchTest {
  protected:
    void SetUp() override {
        if (StandinNode::openvz7()) GTEST_SKIP() << "vzctl 7: no process in the CT to hang";
        WatchTest::SetUp();
    }
};

TEST_F(WatchStuck, ALeakIsSweptAndAStopHonouredWhileAPassWaitsOnTheCt) {
    auto w = watch("200ms");
    StuckCt stuck(node_);
    ASSERT_TRUE(eventually([&] { return ct_net_running(node_); })) << "no pass entered the CT";
    auto m = w->mark();
    node({"ip", "route", "add", kVip, "dev", "venet0"});
    EXPECT_GE(w->wait_line("repaired: ct 101: no VIP route on venet0: deleted " + kVip, m), 0)
        << w->log();
    EXPECT_TRUE(route_gone());
    EXPECT_TRUE(ct_net_running(node_)) << "the sweep must not have waited for the pass";
    EXPECT_EQ(w->stop(SIGTERM), 0) << "watch did not stop while a pass waited on the CT:\n"
                                   << w->log();
    EXPECT_TRUE(eventually([&] { return !ct_net_running(node_); }))
        << "what watch ran in the CT outlived it";
}

TEST_F(WatchStuck, AOneShotCommandStoppedBySignalLeavesNothingRunningInTheCt) {
    StuckCt stuck(node_);
    std::thread check([&] {
        RunOptions o;
        o.timeout = 120s;
        node_.run({VZLVS_BINARY, "-c", config_, "check", kCt}, o);
    });
    const bool entered = eventually([&] { return ct_net_running(node_); });
    node_.run({"pkill", "-TERM", "-f", "vzlvs -c " + config_ + " check"});
    check.join();
    ASSERT_TRUE(entered) << "check never entered the CT";
    EXPECT_TRUE(eventually([&] { return !ct_net_running(node_); }))
        << "what check ran in the CT outlived it";
}

}  // namespace
}  // namespace vzlvs
