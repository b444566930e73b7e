// The in-CT state read from the host (ct/ct_net_host.hpp) against ct-net.sh's observe run in
// the CT by vzctl exec2, on the OpenVZ stand-in: in every state the two agree field for field.
// A persisted file the host cannot judge (behind a link, a FIFO) is left to the script, and
// never followed out of the CT's root. On the stand-in the CT's root, as the host reaches it,
// is VE_ROOT (its /etc overlay writes there); on OpenVZ 7 it is the init's /proc/PID/root,
// which the last test takes through the vzctl 7 driver and the stand-in's init pid file.
#include "vzlvs/ct/ct_net_host.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "ct/vzctl7.hpp"
#include "support/vzlvs_node.hpp"

namespace vzlvs::test {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kVips = {"192.0.2.10"};

std::string fields(const CtNetState& s) {
    std::string t = "tunl0=" + std::to_string(s.tunl0) + " kind=" + s.kind +
                    " up=" + std::to_string(s.up) +
                    " mtu=" + (s.mtu ? std::to_string(*s.mtu) : "-") + " addrs=";
    for (const auto& a : s.addrs) t += a + ",";
    for (const auto& [k, v] : s.sysctls) t += " " + k + "=" + v.value_or("-");
    // fb_tunnels is left out: the host reads the node's switch, which a CT does not see.
    t += " persist=" + std::to_string(static_cast<int>(s.persist)) + " venet=";
    for (const auto& a : s.venet) t += a + ",";
    t += " advmss=" + (s.advmss ? std::to_string(*s.advmss) : "-");
    return t;
}

class CtNetFromHost : public ::testing::Test {
  protected:
    void SetUp() override {
        n_.standin().create_ct("101", {"198.51.100.101", "192.0.2.10"});
        vz({"set", "101", "--features", "ipip:on", "--save"});
        vz({"start", "101"});
        runner_ = make_process_runner();
        VzctlSetup setup;
        setup.path = n_.standin().vzctl();
        setup.conf_dir = n_.conf_dir();
        setup.runtime_root = n_.root();
        if (StandinNode::openvz7())
            driver_ = std::make_unique<Vzctl7>(*runner_, setup);
        else
            driver_ = std::make_unique<Vzctl>(*runner_, setup);
        exec_ = std::make_unique<ExecCtNet>(*driver_);
    }

    std::string ve_root() const { return n_.root() + "/vz/root/101"; }
    std::optional<CtNetState> from_host() {
        return read_ct_net_from_host(n_.standin().ct_netns("101"), ve_root());
    }
    // Both ways, compared; returns the state seen.
    CtNetState agree() {
        const CtNetState by_exec = exec_->observe("101", kVips);
        const auto by_host = from_host();
        EXPECT_TRUE(by_host) << "the host could not judge the persisted file";
        if (by_host) {
            EXPECT_EQ(fields(*by_host), fields(by_exec));
        }
        return by_exec;
    }
    void in_ct(const std::vector<std::string>& argv) { n_.ip_ct("101", argv); }
    void vz(const std::vector<std::string>& args) {
        const RunResult r = n_.standin().vzctl_run(args);
        if (!r.ok()) throw Error("vzctl " + args[0] + ": " + r.err);
    }

    VzlvsNode n_{false};
    std::unique_ptr<ProcessRunner> runner_;
    std::unique_ptr<Vzctl> driver_;
    std::unique_ptr<ExecCtNet> exec_;
};

TEST_F(CtNetFromHost, AgreesWithTheScriptFreshAppliedAndDrifted) {
    const CtNetState fresh = agree();
    EXPECT_TRUE(fresh.tunl0);
    EXPECT_EQ(fresh.persist, CtNetState::Persist::missing);

    exec_->apply("101", kVips);
    const CtNetState applied = agree();
    EXPECT_TRUE(applied.has_addr("192.0.2.10"));
    EXPECT_EQ(applied.persist, CtNetState::Persist::ok);
    EXPECT_EQ(applied.sysctls.at("net.ipv4.conf.all.rp_filter"), "0");

    // Drift the way a CT's own admin would: a sysctl, the VIP, the default route's MSS.
    n_.run_ok({"ip", "netns", "exec", n_.standin().ct_netns_name("101"), "sh", "-c",
               "echo 2 > /proc/sys/net/ipv4/conf/tunl0/rp_filter"});
    in_ct({"addr", "del", "192.0.2.10/32", "dev", "tunl0"});
    in_ct({"link", "set", "tunl0", "down"});
    in_ct({"route", "change", "default", "dev", "venet0", "advmss", "1400"});
    const CtNetState drifted = agree();
    EXPECT_FALSE(drifted.has_addr("192.0.2.10"));
    EXPECT_EQ(drifted.sysctls.at("net.ipv4.conf.tunl0.rp_filter"), "2");
    ASSERT_TRUE(drifted.advmss);
    EXPECT_EQ(*drifted.advmss, 1400u);

    std::ofstream(ve_root() + kCtPersistFile, std::ios::app) << "net.ipv4.ip_forward = 1\n";
    EXPECT_EQ(agree().persist, CtNetState::Persist::differs);
}

TEST_F(CtNetFromHost, APersistedFileBehindALinkOrAFifoIsLeftToTheScript) {
    exec_->apply("101", kVips);
    const std::string file = ve_root() + kCtPersistFile;
    // A link to a host file with the very text vzlvs wants: followed, it would say "ok".
    const std::string bait = n_.root() + "/bait.conf";
    fs::copy_file(file, bait);
    fs::remove(file);
    fs::create_symlink(bait, file);
    EXPECT_FALSE(from_host());
    // The link to the directory above it, likewise.
    fs::remove(file);
    fs::rename(ve_root() + "/etc/sysctl.d", ve_root() + "/etc/sysctl.d.real");
    fs::create_symlink(n_.root(), ve_root() + "/etc/sysctl.d");
    EXPECT_FALSE(from_host());
    fs::remove(ve_root() + "/etc/sysctl.d");
    fs::rename(ve_root() + "/etc/sysctl.d.real", ve_root() + "/etc/sysctl.d");
    // A FIFO is refused without blocking on it.
    ASSERT_EQ(::mkfifo(file.c_str(), 0644), 0);
    EXPECT_FALSE(from_host());
    fs::remove(file);
    EXPECT_EQ(agree().persist, CtNetState::Persist::missing);
}

TEST_F(CtNetFromHost, OpenVz7ReadsThroughTheInitWithoutAProcess) {
    if (!StandinNode::openvz7()) GTEST_SKIP() << "vzctl 4 records no init pid: exec2 it is";
    exec_->apply("101", kVips);
    const auto pid = driver_->ct_process("101");
    ASSERT_TRUE(pid) << "no init pid from " << n_.root() << "/var/run/ve/101.init.pid";
    HostCtNet host(*driver_, *exec_);
    const std::size_t calls = n_.standin().vzctl_calls().size();
    const CtNetState st = host.observe("101", kVips);
    EXPECT_EQ(n_.standin().vzctl_calls().size(), calls) << "observe ran vzctl";
    EXPECT_EQ(fields(st), fields(exec_->observe("101", kVips)));
    EXPECT_TRUE(driver_->status("101").running);
    vz({"stop", "101"});
    EXPECT_FALSE(driver_->ct_process("101"));
    EXPECT_FALSE(driver_->status("101").running);
}

TEST_F(CtNetFromHost, OpenVz7ReadAheadAnswersOnceUnlessForgottenOrRestarted) {
    // What read_ahead() read is what the next observe() answers, as of the read: a change
    // made since shows at the observe after it, at once after forget() (what a step that
    // changes the CT calls), and after a restart (another init).
    if (!StandinNode::openvz7()) GTEST_SKIP() << "vzctl 4 records no init pid: exec2 it is";
    const std::vector<std::string> vips102 = {"192.0.2.11"};
    n_.standin().create_ct("102", {"198.51.100.102", "192.0.2.11"});
    vz({"set", "102", "--features", "ipip:on", "--save"});
    vz({"start", "102"});
    exec_->apply("101", kVips);
    exec_->apply("102", vips102);
    const std::string fresh101 = fields(exec_->observe("101", kVips));
    const std::string fresh102 = fields(exec_->observe("102", vips102));
    HostCtNet host(*driver_, *exec_);
    const std::size_t calls = n_.standin().vzctl_calls().size();

    host.read_ahead({"101", "102", "999"});  // 999 does not exist: left to observe()
    in_ct({"link", "set", "tunl0", "down"});
    n_.ip_ct("102", {"link", "set", "tunl0", "down"});
    EXPECT_EQ(fields(host.observe("101", kVips)), fresh101) << "not the read-ahead's";
    EXPECT_FALSE(host.observe("101", kVips).up) << "the read-ahead answered twice";
    host.forget("102");
    EXPECT_FALSE(host.observe("102", vips102).up) << "forget() kept the read-ahead";
    EXPECT_EQ(n_.standin().vzctl_calls().size(), calls) << "observe ran vzctl";
    EXPECT_THROW(host.observe("999", kVips), Error);

    exec_->apply("102", vips102);
    EXPECT_EQ(fields(host.observe("102", vips102)), fresh102);
    const auto before = driver_->ct_process("102");
    host.read_ahead({"102"});
    vz({"restart", "102"});  // no start hook here: the VIP is gone from tunl0
    ASSERT_NE(driver_->ct_process("102"), before) << "the same init after a restart";
    EXPECT_FALSE(host.observe("102", vips102).has_addr("192.0.2.11")) << "the old init's state";
}

}  // namespace
}  // namespace vzlvs::test
