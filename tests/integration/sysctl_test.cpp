// /proc/sys through a thread that entered a test namespace: values are per namespace.
#include "vzlvs/net/sysctl.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/netns.hpp"
#include "vzlvs/base/error.hpp"
#include "vzlvs/net/netlink.hpp"

using namespace vzlvs;
using ::testing::HasSubstr;
using vzlvs::test::Netns;

namespace {

class SysctlNs : public ::testing::Test {
  protected:
    void TearDown() override {
        std::string list = vzlvs::test::run_ok({"ip", "netns", "list"});
        EXPECT_THAT(list, ::testing::Not(HasSubstr("vzt-" + std::to_string(::getpid()) + "-")));
    }
};

std::string cat_in(const Netns& ns, const std::string& path) {
    std::string out = ns.exec_ok({"cat", path});
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

}  // namespace

TEST(SysctlPath, DotsBecomeSlashesExceptInDeviceNames) {
    EXPECT_EQ(sysctl_path("net.ipv4.conf.all.rp_filter"), "/proc/sys/net/ipv4/conf/all/rp_filter");
    EXPECT_EQ(sysctl_path("net.ipv4.conf.eth0.100.rp_filter"),
              "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
    EXPECT_EQ(sysctl_path("net.ipv6.conf.br.v.2.disable_ipv6"),
              "/proc/sys/net/ipv6/conf/br.v.2/disable_ipv6");
    EXPECT_EQ(sysctl_path("net.ipv4.neigh.eth0.100.proxy_delay"),
              "/proc/sys/net/ipv4/neigh/eth0.100/proxy_delay");
    EXPECT_EQ(sysctl_path("net.ipv4.ip_forward"), "/proc/sys/net/ipv4/ip_forward");
    EXPECT_EQ(sysctl_path("net/ipv4/conf/eth0.100/rp_filter"),
              "/proc/sys/net/ipv4/conf/eth0.100/rp_filter");
    EXPECT_EQ(ipv4_conf_key("eth0.100", "rp_filter"), "net.ipv4.conf.eth0.100.rp_filter");
    EXPECT_THROW(sysctl_path("net.ipv4.conf.rp_filter"), Error);
    EXPECT_THROW(sysctl_path("net/../../etc/passwd"), Error);
    EXPECT_THROW(sysctl_path(""), Error);
}

TEST_F(SysctlNs, RpFilterReadWriteAndEffectiveMax) {
    Netns ns;
    ns.add_veth("v0", "v1");
    struct Case {
        int all, dev, effective;
    };
    for (Case c : {Case{0, 2, 2}, Case{1, 0, 1}, Case{2, 1, 2}, Case{0, 0, 0}, Case{1, 1, 1}}) {
        in_netns(ns.path(), [&] {
            sysctl_write("net.ipv4.conf.all.rp_filter", std::to_string(c.all));
            sysctl_write(ipv4_conf_key("v0", "rp_filter"), std::to_string(c.dev));
            EXPECT_EQ(sysctl_read("net.ipv4.conf.all.rp_filter"), std::to_string(c.all));
            EXPECT_EQ(sysctl_read("net.ipv4.conf.v0.rp_filter"), std::to_string(c.dev));
            EXPECT_EQ(effective_rp_filter("v0"), c.effective);
        });
        // Seen the same way by a process living in the namespace.
        EXPECT_EQ(cat_in(ns, "/proc/sys/net/ipv4/conf/all/rp_filter"), std::to_string(c.all));
        EXPECT_EQ(cat_in(ns, "/proc/sys/net/ipv4/conf/v0/rp_filter"), std::to_string(c.dev));
    }
}

TEST_F(SysctlNs, DottedDeviceNames) {
    Netns ns;
    ns.add_veth("v0.100", "p.100");
    in_netns(ns.path(), [&] {
        sysctl_write("net.ipv4.conf.v0.100.rp_filter", "2");
        sysctl_write("net.ipv4.conf.all.rp_filter", "0");
        EXPECT_EQ(sysctl_read("net.ipv4.conf.v0.100.rp_filter"), "2");
        EXPECT_EQ(effective_rp_filter("v0.100"), 2);
    });
    EXPECT_EQ(cat_in(ns, "/proc/sys/net/ipv4/conf/v0.100/rp_filter"), "2");
}

TEST_F(SysctlNs, ValuesStayInTheirNamespace) {
    Netns a;
    Netns b;
    a.add_veth("only-in-a", "peer-a");
    in_netns(a.path(), [&] { sysctl_write("net.ipv4.conf.all.rp_filter", "2"); });
    in_netns(b.path(), [&] { sysctl_write("net.ipv4.conf.all.rp_filter", "0"); });
    in_netns(a.path(), [&] {
        EXPECT_EQ(sysctl_read("net.ipv4.conf.all.rp_filter"), "2");
        EXPECT_TRUE(sysctl_read("net.ipv4.conf.only-in-a.rp_filter").has_value());
    });
    in_netns(b.path(), [&] {
        EXPECT_EQ(sysctl_read("net.ipv4.conf.all.rp_filter"), "0");
        EXPECT_FALSE(sysctl_read("net.ipv4.conf.only-in-a.rp_filter").has_value());
    });
    // The test process's own namespace never had it either.
    EXPECT_FALSE(sysctl_read("net.ipv4.conf.only-in-a.rp_filter").has_value());
}

TEST_F(SysctlNs, MissingDeviceIsNulloptOnReadAndExplainedOnWrite) {
    Netns ns;
    in_netns(ns.path(), [&] {
        EXPECT_EQ(sysctl_read("net.ipv4.conf.tunl0.rp_filter"), std::nullopt);
        EXPECT_EQ(effective_rp_filter("tunl0"), std::nullopt);
        try {
            sysctl_write("net.ipv4.conf.tunl0.rp_filter", "0");
            ADD_FAILURE() << "expected an Error";
        } catch (const Error& e) {
            EXPECT_THAT(e.what(), HasSubstr("net.ipv4.conf.tunl0.rp_filter"));
            EXPECT_THAT(e.what(), HasSubstr("is the device present"));
            std::printf("  error text: %s\n", e.what());
        }
        EXPECT_THROW(sysctl_write("net.ipv4.conf.all.rp_filter", "banana"), Error);
    });
}
