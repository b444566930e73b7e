// One rule each for IPv4 literals and interface names (base/addr.hpp), and every place that
// parses them agrees with it.
#include "vzlvs/base/addr.hpp"

#include <gtest/gtest.h>

#include "net/arpguard_detail.hpp"
#include "vzlvs/config/validate.hpp"

namespace vzlvs {
namespace {

TEST(Ipv4, AStrictDottedQuadInHostOrder) {
    EXPECT_EQ(parse_ipv4("192.0.2.10"), 0xC000020Au);
    EXPECT_EQ(parse_ipv4("0.0.0.0"), 0u);
    EXPECT_EQ(parse_ipv4("255.255.255.255"), 0xFFFFFFFFu);
    for (const char* bad : {"", "192.0.2", "192.0.2.10.1", "192.0.2.", ".192.0.2", "192.0.2.256",
                            "192.0.02.10", "192.0.2.1 ", " 192.0.2.1", "192.0.2.-1", "0x1.2.3.4",
                            "1..2.3", "1234.0.0.1", "192.0.2.10/32"})
        EXPECT_FALSE(parse_ipv4(bad)) << bad;
    EXPECT_EQ(format_ipv4(0xC000020Au), "192.0.2.10");
}

TEST(Ipv4, PrefixLengthIsOptionalAndAtMost32) {
    auto p = parse_ipv4_prefix("192.0.2.10");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->len, 32u);
    p = parse_ipv4_prefix("10.0.0.0/8");
    ASSERT_TRUE(p);
    EXPECT_EQ(p->addr, 0x0A000000u);
    EXPECT_EQ(p->len, 8u);
    for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/08", "10.0.0/8", "10.0.0.0/x"})
        EXPECT_FALSE(parse_ipv4_prefix(bad)) << bad;
}

TEST(Ipv4, TheConfigTheGuardAndTheProbeParseAlike) {
    for (const char* text : {"192.0.2.10", "192.0.02.10", "192.0.2.256", "1.2.3", "0.0.0.0"}) {
        const bool ok = parse_ipv4(text).has_value();
        EXPECT_EQ(validate::ipv4(text).empty(), ok) << text;
        bool guarded = true;
        try {
            arpguard_detail::check_vip(text);
        } catch (const UsageError&) {
            guarded = false;
        }
        EXPECT_EQ(guarded, ok && std::string(text) != "0.0.0.0") << text;
    }
}

TEST(InterfaceName, OneRuleForTheConfigAndTheGuard) {
    for (const char* name :
         {"eth0", "bond0.100", "enp3s0f1", "veth-a_b", "a", "123456789012345", "",
          "1234567890123456", ".", "..", "eth0:1", "venet/0", "eth 0", "eth0@if3", "ét0", "a\tb"}) {
        const bool ok = is_interface_name(name);
        EXPECT_EQ(validate::interface_name(name).empty(), ok) << name;
        bool guarded = true;
        try {
            arpguard_detail::check_uplink_name(name);
        } catch (const UsageError&) {
            guarded = false;
        }
        EXPECT_EQ(guarded, ok) << name;
    }
}

}  // namespace
}  // namespace vzlvs
