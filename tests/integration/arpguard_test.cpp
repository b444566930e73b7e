// The ARP guard against real frames: a node namespace whose eth0 is a veth to a LAN namespace.
// Leaks are seen from the LAN side with a packet socket. Every negative assertion is closed by a
// sentinel frame sent after the one under test on the same path: frames on a veth stay in
// order, so once the sentinel has arrived a frame that did not arrive before it was dropped.
#include "vzlvs/net/arpguard.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

#include "net/arpguard_detail.hpp"
#include "support/arp_probe.hpp"
#include "vzlvs/base/process.hpp"

namespace vzlvs {

// Test names and failure messages say "nft" or "tc", not the enum's bytes.
void PrintTo(ArpGuardBackend b, std::ostream* os) { *os << to_string(b); }

namespace {

using namespace std::chrono_literals;
using test::ArpCapture;
using test::ArpFrame;
using test::ArpOp;
using test::send_arp;

const std::string kNodeIp = "192.0.2.2";
const std::string kLanIp = "192.0.2.1";
const std::string kVip = "192.0.2.100";
const std::string kVip2 = "192.0.2.101";
const std::string kOther = "192.0.2.200";
constexpr auto kWait = 5s;  // bound for a frame that must arrive; never waited in full on success

// Runs every command inside one namespace and counts the ones that can change nft or tc state.
class NetnsRunner : public ProcessRunner {
  public:
    NetnsRunner(ProcessRunner& inner, std::string ns) : inner_(inner), ns_(std::move(ns)) {}
    RunResult run(const std::vector<std::string>& argv, const RunOptions& opts) override {
        if (argv.size() >= 2 && argv[0] == "nft" && argv[1] == "-f") ++transactions;
        if (argv.size() >= 3 && argv[0] == "tc" &&
            (argv[2] == "add" || argv[2] == "del" || argv[2] == "delete" || argv[2] == "replace"))
            ++transactions;
        std::vector<std::string> full{"ip", "netns", "exec", ns_};
        full.insert(full.end(), argv.begin(), argv.end());
        return inner_.run(full, opts);
    }
    int transactions = 0;

  private:
    ProcessRunner& inner_;
    std::string ns_;
};

class ArpGuardNetns : public ::testing::Test {
  protected:
    void SetUp() override {
        static std::atomic<int> n{0};
        std::string base = "vzta-" + std::to_string(getpid()) + "-";
        node_ = base + std::to_string(n++);
        lan_ = base + std::to_string(n++);
        sh({"ip", "netns", "add", node_});
        created_.push_back(node_);
        sh({"ip", "netns", "add", lan_});
        created_.push_back(lan_);
        sh({"ip", "-n", node_, "link", "add", "eth0", "type", "veth", "peer", "name", "lan0",
            "netns", lan_});
        // ct0/ct0p stand in for venet0: the VIP route must leave by another device for the
        // kernel to proxy-ARP (there is no dummy module on these machines).
        sh({"ip", "-n", node_, "link", "add", "ct0", "type", "veth", "peer", "name", "ct0p"});
        for (const char* d : {"lo", "eth0", "ct0", "ct0p"}) {
            sh({"ip", "-n", node_, "link", "set", d, "up"});
        }
        sh({"ip", "-n", node_, "addr", "add", kNodeIp + "/24", "dev", "eth0"});
        // Proxy ARP answers only on a forwarding host, and only at once with proxy_delay 0
        // (otherwise after a random delay of up to 0.8 s).
        nsexec(node_, {"sysctl", "-qw", "net.ipv4.ip_forward=1"});
        nsexec(node_, {"sysctl", "-qw", "net.ipv4.neigh.eth0.proxy_delay=0"});
        sh({"ip", "-n", lan_, "link", "set", "lo", "up"});
        sh({"ip", "-n", lan_, "link", "set", "lan0", "up"});
        sh({"ip", "-n", lan_, "addr", "add", kLanIp + "/24", "dev", "lan0"});
        node_runner_ = std::make_unique<NetnsRunner>(*runner_, node_);
    }

    void TearDown() override {
        for (const auto& ns : created_) runner_->run({"ip", "netns", "del", ns});
        auto r = runner_->run({"ip", "netns", "list"});
        for (const auto& ns : created_) {
            EXPECT_EQ(r.out.find(ns), std::string::npos) << ns << " was not removed";
        }
    }

    RunResult sh(const std::vector<std::string>& argv) {
        auto r = runner_->run(argv);
        EXPECT_TRUE(r.ok()) << describe_argv(argv) << ": " << r.err;
        return r;
    }
    RunResult nsexec(const std::string& ns, std::vector<std::string> argv) {
        argv.insert(argv.begin(), {"ip", "netns", "exec", ns});
        return sh(argv);
    }

    std::string path(const std::string& ns) const { return "/run/netns/" + ns; }

    // What vzctl's vps-net_add does for vip: proxy entry on the uplink, route to the CT device.
    void vzctl_ipadd(const std::string& vip) {
        sh({"ip", "-n", node_, "neigh", "add", "proxy", vip, "dev", "eth0"});
        sh({"ip", "-n", node_, "route", "add", vip, "dev", "ct0"});
    }

    // `arpsend -U -i VIP -e VIP eth0` from the node; true when the LAN saw the announcement.
    bool announcement_leaks(const std::string& vip, bool* sent = nullptr) {
        ArpCapture cap(path(lan_), "lan0");
        bool ok = send_arp(path(node_), "eth0", ArpOp::request, vip, vip);
        if (sent) *sent = ok;
        EXPECT_TRUE(send_arp(path(node_), "eth0", ArpOp::request, kNodeIp, kNodeIp));
        return saw_before_sentinel(cap, vip);
    }

    // who-has vip from the LAN; true when the node answered for it.
    bool proxy_reply_leaks(const std::string& vip) {
        ArpCapture cap(path(lan_), "lan0");
        EXPECT_TRUE(send_arp(path(lan_), "lan0", ArpOp::request, kLanIp, vip));
        EXPECT_TRUE(send_arp(path(lan_), "lan0", ArpOp::request, kLanIp, kNodeIp));
        return saw_before_sentinel(cap, vip);
    }

    bool saw_before_sentinel(ArpCapture& cap, const std::string& vip) {
        auto frames = cap.collect(kWait, [](const ArpFrame& f) { return f.sender_ip == kNodeIp; });
        bool sentinel = !frames.empty() && frames.back().sender_ip == kNodeIp;
        EXPECT_TRUE(sentinel) << "the sentinel frame never arrived: the test bed is broken";
        for (const auto& f : frames) {
            if (f.sender_ip == vip) return true;
        }
        return false;
    }

    // ensure() with one uplink that does not exist: refused, naming it, before any change.
    void expect_missing_uplink_refused(ArpGuard& g) {
        const int tx = node_runner_->transactions;
        try {
            g.ensure({"eth0", "nosuch0"}, {kVip});
            ADD_FAILURE() << "ensure accepted a missing uplink";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("nosuch0 does not exist"), std::string::npos)
                << e.what();
        }
        EXPECT_EQ(node_runner_->transactions, tx) << "a command changed state before the refusal";
        EXPECT_TRUE(g.observe().empty());
    }

    bool tc_can_drop() {
        try {
            arpguard_detail::require_tc_drop(*node_runner_);
            return true;
        } catch (const Error&) {
            return false;
        }
    }

    std::unique_ptr<ProcessRunner> runner_ = make_process_runner();
    std::unique_ptr<NetnsRunner> node_runner_;
    std::string node_, lan_;
    std::vector<std::string> created_;
};

// The guard's behaviour, once per backend: nft (netdev egress, Linux >= 5.16) and tc (u32 +
// gact drop, what runs on OpenVZ 7's 3.10 kernel). tc runs in its clsact form here: this
// kernel has no sch_prio, which the form for kernels without clsact needs (the VM test
// vm_lvs_tun runs that one on its node 2, on a multiqueue uplink).
class ArpGuardBackends : public ArpGuardNetns,
                         public ::testing::WithParamInterface<ArpGuardBackend> {
  protected:
    void SetUp() override {
        ArpGuardNetns::SetUp();
        if (GetParam() == ArpGuardBackend::tc && !tc_can_drop())
            GTEST_SKIP() << "this kernel has no act_gact (tc's drop action); the VM test runs tc";
    }
    std::unique_ptr<ArpGuard> guard() { return make_arp_guard(*node_runner_, GetParam()); }
    // Whatever of vzlvs's the backend left on the node.
    std::string leftovers() {
        if (GetParam() == ArpGuardBackend::nft) {
            auto r = nsexec(node_, {"nft", "list", "tables"});
            return r.out.find("vzlvs") == std::string::npos ? "" : r.out;
        }
        std::string out;
        for (const char* parent : {"egress", "ingress"}) {
            auto r = runner_->run(
                {"ip", "netns", "exec", node_, "tc", "filter", "show", "dev", "eth0", parent});
            if (r.out.find("pref 49152") != std::string::npos) out += r.out;
        }
        return out;
    }
};

INSTANTIATE_TEST_SUITE_P(Each, ArpGuardBackends,
                         ::testing::Values(ArpGuardBackend::nft, ArpGuardBackend::tc),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST_F(ArpGuardNetns, WithoutTheGuardBothLeak) {
    vzctl_ipadd(kVip);
    EXPECT_TRUE(announcement_leaks(kVip));
    EXPECT_TRUE(proxy_reply_leaks(kVip));
}

TEST_F(ArpGuardNetns, AutodetectChoosesNftHere) {
    EXPECT_TRUE(nft_netdev_egress_available(*node_runner_));
    auto g = make_arp_guard(*node_runner_);
    EXPECT_EQ(g->backend(), ArpGuardBackend::nft);
    EXPECT_EQ(node_runner_->transactions, 0) << "the probe must not change anything";
}

TEST_P(ArpGuardBackends, GuardStopsAnnouncementAndProxyReplyAndIsNarrow) {
    vzctl_ipadd(kVip);
    vzctl_ipadd(kOther);
    auto g = guard();
    auto ch = g->ensure({"eth0"}, {kVip});
    EXPECT_EQ(ch.added_vips, std::vector<std::string>{kVip});
    EXPECT_EQ(ch.added_devices, std::vector<std::string>{"eth0"});

    bool sent = true;
    EXPECT_FALSE(announcement_leaks(kVip, &sent));
    // Both drop before a queue (nft's egress hook, clsact), so the kernel says so to the sender.
    EXPECT_FALSE(sent) << "sendto should fail with ENOBUFS, as arpsend reports under vzctl";
    EXPECT_FALSE(proxy_reply_leaks(kVip));
    // Narrow: another address still announces and is still proxied.
    EXPECT_TRUE(announcement_leaks(kOther));
    EXPECT_TRUE(proxy_reply_leaks(kOther));

    auto st = g->observe();
    EXPECT_EQ(st.vips, std::set<std::string>{kVip});
    EXPECT_EQ(st.devices.at("eth0"), std::set<std::string>{kVip});
    EXPECT_TRUE(describe_guard(st, {"eth0"}, {kVip}).ok());
    auto rep = describe_guard(st, {"eth0"}, {kVip, kVip2});
    ASSERT_EQ(rep.missing.size(), 1u) << rep.str();
    EXPECT_NE(rep.missing[0].find(kVip2), std::string::npos);
}

TEST_P(ArpGuardBackends, EnsureTwiceChangesNothingTheSecondTime) {
    auto g = guard();
    g->ensure({"eth0"}, {kVip, kVip2});
    auto before = g->observe();
    int tx = node_runner_->transactions;
    auto ch = g->ensure({"eth0"}, {kVip2, kVip});
    EXPECT_TRUE(ch.empty()) << ch.str();
    EXPECT_EQ(node_runner_->transactions, tx) << "a no-op ensure changed nft or tc state";
    EXPECT_NE(leftovers(), "") << "ensure left nothing to see";
    EXPECT_EQ(g->observe(), before);
}

TEST_P(ArpGuardBackends, AddingAVipIsOneElementAndKeepsTheChains) {
    auto g = guard();
    g->ensure({"eth0"}, {kVip});
    auto ch = g->ensure({"eth0"}, {kVip, kVip2});
    EXPECT_EQ(ch.added_vips, std::vector<std::string>{kVip2});
    EXPECT_TRUE(ch.added_devices.empty());
    vzctl_ipadd(kVip2);
    EXPECT_FALSE(announcement_leaks(kVip2));
}

TEST_P(ArpGuardBackends, RemoveVipRestoresLeakingForThatVipOnly) {
    vzctl_ipadd(kVip);
    vzctl_ipadd(kVip2);
    auto g = guard();
    g->ensure({"eth0"}, {kVip, kVip2});
    EXPECT_TRUE(g->remove_vip(kVip));
    EXPECT_FALSE(g->remove_vip(kVip)) << "second removal must report nothing to do";
    EXPECT_TRUE(announcement_leaks(kVip));
    EXPECT_TRUE(proxy_reply_leaks(kVip));
    EXPECT_FALSE(announcement_leaks(kVip2));
    EXPECT_FALSE(proxy_reply_leaks(kVip2));
}

TEST_P(ArpGuardBackends, RemoveAllLeavesNothingOfVzlvs) {
    auto g = guard();
    g->ensure({"eth0"}, {kVip});
    EXPECT_TRUE(g->remove_all());
    EXPECT_FALSE(g->remove_all());
    EXPECT_EQ(leftovers(), "");
    EXPECT_TRUE(g->observe().empty());
    EXPECT_TRUE(announcement_leaks(kVip));
}

TEST_F(ArpGuardNetns, FlushedChainIsSeenAsDamagedAndRepaired) {
    auto g = make_arp_guard(*node_runner_, ArpGuardBackend::nft);
    g->ensure({"eth0"}, {kVip});
    nsexec(node_, {"nft", "flush", "chain", "netdev", "vzlvs", "egress_eth0"});
    auto st = g->observe();
    EXPECT_EQ(st.damaged, std::set<std::string>{"eth0"});
    EXPECT_FALSE(describe_guard(st, {"eth0"}, {kVip}).ok());
    EXPECT_TRUE(announcement_leaks(kVip)) << "a flushed egress chain lets the announcement out";
    auto ch = g->ensure({"eth0"}, {kVip});
    EXPECT_EQ(ch.repaired_devices, std::vector<std::string>{"eth0"});
    EXPECT_TRUE(g->observe().damaged.empty());
    EXPECT_FALSE(announcement_leaks(kVip));
}

// Someone removes the tc guard's filters (a `tc qdisc del dev eth0 clsact` by another tool):
// observe sees the uplink unguarded, and ensure guards it again.
TEST_F(ArpGuardNetns, TcGuardRemovedFromUnderItIsSeenAndRestored) {
    if (!tc_can_drop()) GTEST_SKIP() << "this kernel has no act_gact; the VM test runs tc";
    auto g = make_arp_guard(*node_runner_, ArpGuardBackend::tc);
    g->ensure({"eth0"}, {kVip});
    nsexec(node_, {"tc", "qdisc", "del", "dev", "eth0", "clsact"});
    EXPECT_FALSE(describe_guard(g->observe(), {"eth0"}, {kVip}).ok());
    EXPECT_TRUE(announcement_leaks(kVip));
    EXPECT_FALSE(g->ensure({"eth0"}, {kVip}).empty());
    EXPECT_TRUE(describe_guard(g->observe(), {"eth0"}, {kVip}).ok());
    EXPECT_FALSE(announcement_leaks(kVip));
}

// Without act_gact as well: the tc guard checks its uplinks before its first command.
TEST_F(ArpGuardNetns, TcGuardRefusesAMissingUplinkBeforeAnyChange) {
    auto g = make_arp_guard(*node_runner_, ArpGuardBackend::tc);
    expect_missing_uplink_refused(*g);
}

// make_arp_guard says why it chose what it chose, for `check`.
TEST_F(ArpGuardNetns, TheChoiceIsExplained) {
    EXPECT_NE(make_arp_guard(*node_runner_)->why().find("netdev egress chain (Linux >= 5.16)"),
              std::string::npos);
    const std::string tc = make_arp_guard(*node_runner_, ArpGuardBackend::tc)->why();
    EXPECT_EQ(tc.rfind("tc", 0), 0u) << tc;
    // This kernel has clsact (the probe adds one to lo and takes it away again).
    EXPECT_NE(tc.find("on clsact (this kernel has it)"), std::string::npos) << tc;
}

TEST_P(ArpGuardBackends, MissingUplinkIsRefusedBeforeAnyChange) {
    auto g = guard();
    expect_missing_uplink_refused(*g);
    EXPECT_THROW(g->ensure({"eth0;x"}, {kVip}), UsageError);
    EXPECT_THROW(g->ensure({"eth0"}, {"192.0.2.1; flush ruleset"}), UsageError);
}

// Why the guard lives at the device: an arp-family OUTPUT rule (what arptables would add) does
// not see frames written on a packet socket, which is how arpsend announces.
TEST_F(ArpGuardNetns, ArpFamilyOutputRuleDoesNotStopTheRawSocketAnnouncement) {
    RunOptions o;
    o.input =
        "table arp vzta_out {\n"
        "  chain output {\n"
        "    type filter hook output priority 0; policy accept;\n"
        "    arp saddr ip " +
        kVip +
        " counter drop\n"
        "  }\n"
        "}\n";
    auto r = runner_->run({"ip", "netns", "exec", node_, "nft", "-f", "-"}, o);
    ASSERT_TRUE(r.ok()) << r.err;
    EXPECT_TRUE(announcement_leaks(kVip));
}

}  // namespace
}  // namespace vzlvs
