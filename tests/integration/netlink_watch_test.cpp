// The netlink watcher against real namespaces: what existed before it started and what comes
// later is deleted as vzctl adds it, other routes are left alone, an overrun is survived.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "support/netns.hpp"
#include "vzlvs/net/netlink.hpp"

using namespace vzlvs;
using ::testing::HasSubstr;
using vzlvs::test::Netns;

namespace {

const std::string kVip = "192.0.2.10";

using NetlinkNs = vzlvs::test::NoNamespaceLeftBehind;

std::string routes_in(const Netns& ns, const std::string& ip) {
    return ns.ip_ok({"route", "show", "table", "all", ip});
}

}  // namespace
// --- the watcher ---------------------------------------------------------------------------

namespace {

// Runs the watcher on its own thread with an on_event that does what the agent does: delete
// the VIP's route via `dev` and its proxy entries. The test thread plays vzctl.
class Cleaner {
  public:
    Cleaner(const Netns& ns, std::string dev, std::chrono::milliseconds timeout)
        : nl_(make_netlink(ns.path())), path_of_ns_(ns.path()), dev_(std::move(dev)) {
        thread_ = std::thread([this, path = ns.path(), timeout] {
            try {
                bool r = watch_routes_and_neighbours(path, timeout, [this] { return on_event(); });
                std::lock_guard<std::mutex> lock(mu_);
                result_ = r ? 1 : 0;
            } catch (const std::exception& e) {
                std::lock_guard<std::mutex> lock(mu_);
                error_ = e.what();
                result_ = 0;
            }
            cv_.notify_all();
        });
    }
    ~Cleaner() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            stop_ = true;
        }
        // Wake a watcher that is blocked in poll() so the join cannot hang a failing test:
        // any new route makes it call on_event, which now answers "done".
        if (!finished()) {
            try {
                make_netlink(path_of_ns_)->add_host_route(kVip, dev_, 250);
            } catch (...) {
            }
        }
        thread_.join();
    }

    // Blocks (no sleeping) until pred() holds under the lock or 10 s pass.
    template <typename P>
    bool wait(P pred) {
        std::unique_lock<std::mutex> lock(mu_);
        return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return pred(); });
    }
    bool wait_started() {
        return wait([this] { return calls_ > 0; });
    }
    bool wait_deleted(std::size_t n) {
        return wait([this, n] { return deleted_times_.size() >= n; });
    }
    bool wait_finished() {
        return wait([this] { return result_ >= 0; });
    }
    bool finished() {
        std::lock_guard<std::mutex> lock(mu_);
        return result_ >= 0;
    }
    int result() {
        std::lock_guard<std::mutex> lock(mu_);
        return result_;
    }
    std::string error() {
        std::lock_guard<std::mutex> lock(mu_);
        return error_;
    }
    std::chrono::steady_clock::time_point deleted_at(std::size_t i) {
        std::lock_guard<std::mutex> lock(mu_);
        return deleted_times_.at(i);
    }
    std::size_t proxies_deleted() {
        std::lock_guard<std::mutex> lock(mu_);
        return proxies_deleted_;
    }
    // on_event returns true (ends the watch) once this many routes were deleted.
    void finish_after(std::size_t n) {
        std::lock_guard<std::mutex> lock(mu_);
        finish_after_ = n;
    }

  private:
    bool on_event() {
        std::size_t routes = 0;
        std::size_t proxies = 0;
        for (const auto& r : nl_->host_routes(kVip)) {
            if (r.dev != dev_) continue;
            nl_->delete_route(r);
            ++routes;
        }
        for (const auto& p : nl_->proxy_neighbours(kVip)) {
            nl_->delete_proxy_neighbour(p);
            ++proxies;
        }
        auto now = std::chrono::steady_clock::now();
        bool done;
        {
            std::lock_guard<std::mutex> lock(mu_);
            ++calls_;
            for (std::size_t i = 0; i < routes; ++i) deleted_times_.push_back(now);
            proxies_deleted_ += proxies;
            done = stop_ || deleted_times_.size() >= finish_after_;
        }
        cv_.notify_all();
        return done;
    }

    std::unique_ptr<Netlink> nl_;
    std::string path_of_ns_;
    std::string dev_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::size_t calls_ = 0;
    std::vector<std::chrono::steady_clock::time_point> deleted_times_;
    std::size_t proxies_deleted_ = 0;
    std::size_t finish_after_ = static_cast<std::size_t>(-1);
    bool stop_ = false;
    int result_ = -1;
    std::string error_;
    std::thread thread_;
};

}  // namespace

TEST_F(NetlinkNs, WatcherDeletesWhatExistedBeforeAndWhatComesLater) {
    Netns ns;
    ns.add_veth("venet0", "eth0");
    ns.ip_ok({"neigh", "add", "proxy", kVip, "dev", "eth0"});
    ns.ip_ok({"route", "add", kVip, "dev", "venet0"});
    {
        Cleaner c(ns, "venet0", std::chrono::seconds(30));
        c.finish_after(2);
        ASSERT_TRUE(c.wait_deleted(1)) << c.error();
        EXPECT_EQ(routes_in(ns, kVip), "");
        EXPECT_EQ(c.proxies_deleted(), 1u);

        // vzctl's order in vps-net_add: proxy entries first, then the route. The kernel sends
        // no event for the proxy entry; the route's event makes the re-dump find both.
        ns.ip_ok({"neigh", "add", "proxy", kVip, "dev", "eth0"});
        ns.ip_ok({"route", "add", kVip, "dev", "venet0"});
        ASSERT_TRUE(c.wait_deleted(2)) << c.error();
        ASSERT_TRUE(c.wait_finished());
        EXPECT_EQ(c.result(), 1) << c.error();
        EXPECT_EQ(c.proxies_deleted(), 2u);
    }
    EXPECT_EQ(routes_in(ns, kVip), "");
    EXPECT_THAT(ns.ip_ok({"neigh", "show", "proxy"}), ::testing::Not(HasSubstr(kVip)));
}

TEST_F(NetlinkNs, WatcherLeavesOtherRoutesAlone) {
    Netns ns;
    ns.add_veth("venet0", "eth0");
    Cleaner c(ns, "venet0", std::chrono::seconds(30));
    c.finish_after(1);
    ASSERT_TRUE(c.wait_started()) << c.error();
    ns.ip_ok({"route", "add", kVip, "dev", "eth0"});  // not venet0: the agent keeps it
    ns.ip_ok({"route", "add", kVip, "dev", "venet0", "table", "7"});
    ASSERT_TRUE(c.wait_deleted(1)) << c.error();
    ASSERT_TRUE(c.wait_finished());
    std::string left = routes_in(ns, kVip);
    EXPECT_THAT(left, HasSubstr(kVip + " dev eth0"));
    EXPECT_THAT(left, ::testing::Not(HasSubstr("venet0")));
}

TEST_F(NetlinkNs, WatcherReturnsFalseOnTimeout) {
    Netns ns;
    std::size_t calls = 0;
    bool r = watch_routes_and_neighbours(ns.path(), std::chrono::milliseconds(200), [&] {
        ++calls;
        return false;
    });
    EXPECT_FALSE(r);
    EXPECT_EQ(calls, 1u);  // only the initial dump: nothing happened
}

TEST_F(NetlinkNs, WatcherReturnsTrueAtOnceWhenTheFirstCallSaysSo) {
    Netns ns;
    EXPECT_TRUE(
        watch_routes_and_neighbours(ns.path(), std::chrono::seconds(30), [] { return true; }));
}

TEST_F(NetlinkNs, WatcherInMissingNamespaceFailsClearly) {
    try {
        watch_routes_and_neighbours("/run/netns/vzt-missing", std::chrono::seconds(1),
                                    [] { return true; });
        ADD_FAILURE() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_THAT(e.what(), HasSubstr("/run/netns/vzt-missing"));
    }
}

namespace {

// Sum of the Drops column of /proc/net/netlink in the namespace: notifications the kernel
// threw away because a subscriber's buffer was full.
unsigned long netlink_drops(const Netns& ns) {
    std::string table = ns.exec_ok({"cat", "/proc/net/netlink"});
    unsigned long drops = 0;
    std::size_t pos = table.find('\n');  // skip the header
    while (pos != std::string::npos && pos + 1 < table.size()) {
        std::size_t next = table.find('\n', pos + 1);
        std::string line = table.substr(pos + 1, next - pos - 1);
        std::vector<std::string> cols;
        std::size_t i = 0;
        while (i < line.size()) {
            std::size_t j = line.find_first_not_of(' ', i);
            if (j == std::string::npos) break;
            std::size_t k = line.find(' ', j);
            cols.push_back(line.substr(j, k == std::string::npos ? std::string::npos : k - j));
            i = k == std::string::npos ? line.size() : k;
        }
        if (cols.size() >= 10) drops += std::stoul(cols[8]);
        pos = next;
    }
    return drops;
}

}  // namespace

// While on_event is stuck, a flood of routes overruns the subscription (ENOBUFS). The watcher
// must come back with a re-dump and keep working on the same socket afterwards.
TEST_F(NetlinkNs, WatcherSurvivesAnOverrun) {
    constexpr int kFlood = 6000;
    Netns ns;
    ns.add_veth("venet0", "eth0");
    auto adder = make_netlink(ns.path());
    auto cleaner = make_netlink(ns.path());
    std::mutex mu;
    std::condition_variable cv;
    int calls = 0;
    bool blocked = false;
    bool released = false;
    std::size_t deleted = 0;
    bool result = false;
    std::string error;
    std::thread watcher([&] {
        try {
            result = watch_routes_and_neighbours(ns.path(), std::chrono::seconds(60), [&] {
                std::unique_lock<std::mutex> lock(mu);
                ++calls;
                if (calls == 2) {
                    blocked = true;
                    cv.notify_all();
                    cv.wait(lock, [&] { return released; });
                }
                lock.unlock();
                std::size_t n = 0;
                for (const auto& r : cleaner->host_routes(kVip)) {
                    cleaner->delete_route(r);
                    ++n;
                }
                lock.lock();
                deleted += n;
                cv.notify_all();
                return deleted > 0;
            });
        } catch (const std::exception& e) {
            std::lock_guard<std::mutex> lock(mu);
            error = e.what();
        }
        std::lock_guard<std::mutex> lock(mu);
        released = true;  // let the test thread out of any wait
        cv.notify_all();
    });
    auto wait_for = [&](auto pred) {
        std::unique_lock<std::mutex> lock(mu);
        return cv.wait_for(lock, std::chrono::seconds(20), pred);
    };
    auto release = [&] {
        std::lock_guard<std::mutex> lock(mu);
        released = true;
        cv.notify_all();
    };
    unsigned long drops_before = netlink_drops(ns);
    bool ok = wait_for([&] { return calls >= 1; });
    if (ok) adder->add_host_route("10.200.0.1", "venet0", RT_TABLE_MAIN);  // wakes it: call 2
    ok = ok && wait_for([&] { return blocked || !error.empty(); });
    if (ok) {
        for (int i = 0; i < kFlood; ++i) {
            adder->add_host_route(
                "10.201." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1), "venet0",
                RT_TABLE_MAIN);
        }
    }
    unsigned long drops = netlink_drops(ns) - drops_before;
    release();
    // After the stuck call, the overrun must trigger a re-dump; then a route added later must
    // still be seen on the same socket.
    if (ok) ok = wait_for([&] { return calls >= 3 || !error.empty(); });
    if (ok) adder->add_host_route(kVip, "venet0", RT_TABLE_MAIN);
    if (ok) ok = wait_for([&] { return deleted > 0 || !error.empty(); });
    if (!ok) adder->add_host_route(kVip, "venet0", 250);  // unblock a stuck watcher
    watcher.join();
    EXPECT_TRUE(ok);
    EXPECT_EQ(error, "");
    EXPECT_TRUE(result);
    EXPECT_EQ(routes_in(ns, kVip), "");
    std::printf(
        "  %d routes added while on_event was stuck: %lu notifications dropped by the "
        "kernel, on_event called %d times\n",
        kFlood, drops, calls);
}

// Not asserted: prints how fast a route added by another process disappears.
TEST_F(NetlinkNs, WatcherLatencyIsMeasured) {
    constexpr std::size_t kTries = 50;
    Netns ns;
    ns.add_veth("venet0", "eth0");
    auto adder = make_netlink(ns.path());
    std::vector<double> via_ip;       // fork+exec of `ip route add` included
    std::vector<double> via_netlink;  // from just before our own RTM_NEWROUTE
    {
        Cleaner c(ns, "venet0", std::chrono::seconds(120));
        c.finish_after(2 * kTries);
        ASSERT_TRUE(c.wait_started()) << c.error();
        for (std::size_t i = 0; i < kTries; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            ns.ip_ok({"route", "add", kVip, "dev", "venet0"});
            ASSERT_TRUE(c.wait_deleted(2 * i + 1)) << "try " << i << ": " << c.error();
            via_ip.push_back(
                std::chrono::duration<double, std::milli>(c.deleted_at(2 * i) - t0).count());

            t0 = std::chrono::steady_clock::now();
            adder->add_host_route(kVip, "venet0", RT_TABLE_MAIN);
            ASSERT_TRUE(c.wait_deleted(2 * i + 2)) << "try " << i << ": " << c.error();
            via_netlink.push_back(
                std::chrono::duration<double, std::milli>(c.deleted_at(2 * i + 1) - t0).count());
        }
        ASSERT_TRUE(c.wait_finished());
        EXPECT_EQ(c.result(), 1) << c.error();
    }
    EXPECT_EQ(routes_in(ns, kVip), "");
    for (auto* v : {&via_ip, &via_netlink}) std::sort(v->begin(), v->end());
    std::printf("  route add -> deleted by watcher, %zu tries each (ms):\n", kTries);
    std::printf("    `ip route add` (other process): min %.3f median %.3f max %.3f\n",
                via_ip.front(), via_ip[kTries / 2], via_ip.back());
    std::printf("    netlink add (other socket)    : min %.3f median %.3f max %.3f\n",
                via_netlink.front(), via_netlink[kTries / 2], via_netlink.back());
}
