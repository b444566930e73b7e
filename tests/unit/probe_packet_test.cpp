// The probe's packets (net/probe_packet.hpp), byte for byte: what the kernel of the CT must
// accept, and which replies count. The socket half is tested for real only in the VM
// (tests/vm/lvs_tun.sh); here it reports that the kernel has no ipip.
#include "vzlvs/net/probe_packet.hpp"

#include <gtest/gtest.h>

#include "vzlvs/base/strings.hpp"
#include "vzlvs/net/tunnel_probe.hpp"

namespace vzlvs {
namespace {

const ProbeFlow kFlow{*parse_ipv4("198.51.100.2"), *parse_ipv4("192.0.2.10"), 40000, 80};

// A checksum over data that includes its own checksum field sums to 0xffff.
uint32_t l4_sum(const Bytes& p) {
    uint8_t pseudo[12] = {};
    std::copy(p.begin() + 12, p.begin() + 20, pseudo);
    pseudo[9] = p[9];
    const std::size_t len = p.size() - 20;
    pseudo[10] = static_cast<uint8_t>(len >> 8);
    pseudo[11] = static_cast<uint8_t>(len);
    return ones_sum(p.data() + 20, len, ones_sum(pseudo, sizeof pseudo));
}

// The reply the CT sends for kFlow: from the VIP's port to the node's.
Bytes reply(uint8_t flags, uint32_t ack, uint8_t proto = 6) {
    ProbeFlow back{kFlow.dst, kFlow.src, kFlow.dport, kFlow.sport};
    Bytes p = proto == 6 ? tcp_rst_packet(back, 7, 1) : udp_packet(back, {'x'}, 1);
    if (proto == 6) {
        p[20 + 13] = flags;
        p[20 + 8] = static_cast<uint8_t>(ack >> 24);
        p[20 + 9] = static_cast<uint8_t>(ack >> 16);
        p[20 + 10] = static_cast<uint8_t>(ack >> 8);
        p[20 + 11] = static_cast<uint8_t>(ack);
    }
    return p;
}

TEST(ProbePacket, SynIsAValidIpv4TcpSynToTheVip) {
    Bytes p = tcp_syn_packet(kFlow, 0x01020304, 77);
    ASSERT_EQ(p.size(), 44u);  // 20 IP + 20 TCP + MSS option
    EXPECT_EQ(p[0], 0x45);
    EXPECT_EQ(p[9], 6);
    EXPECT_EQ((p[2] << 8) | p[3], 44);
    EXPECT_EQ(p[6] & 0x40, 0x40) << "DF";
    EXPECT_EQ(ones_sum(p.data(), 20), 0xffffu) << "IP header checksum";
    EXPECT_EQ(l4_sum(p), 0xffffu) << "TCP checksum over the pseudo-header";
    EXPECT_EQ(format_ipv4(kFlow.src), "198.51.100.2");
    EXPECT_EQ(p[16], 192);
    EXPECT_EQ(p[19], 10) << "to the VIP";
    EXPECT_EQ((p[22] << 8) | p[23], 80);
    EXPECT_EQ(p[20 + 13], 0x02) << "SYN only";
    EXPECT_EQ(p[20 + 12] >> 4, 6) << "data offset: 24 bytes";
    EXPECT_EQ(p[40], 2) << "MSS option";
}

TEST(ProbePacket, RstAndUdpChecksumsHold) {
    Bytes rst = tcp_rst_packet(kFlow, 5, 1);
    EXPECT_EQ(rst.size(), 40u);
    EXPECT_EQ(rst[33], 0x04);
    EXPECT_EQ(l4_sum(rst), 0xffffu);
    Bytes udp = udp_packet(kFlow, {'p', 'i', 'n', 'g', '\n'}, 2);
    EXPECT_EQ(udp.size(), 20u + 8 + 5);
    EXPECT_EQ(udp[9], 17);
    EXPECT_EQ(ones_sum(udp.data(), 20), 0xffffu);
    EXPECT_EQ(l4_sum(udp), 0xffffu);
}

TEST(ProbePacket, OnlyTheFlowsAnswerCounts) {
    const uint32_t seq = 1000;
    Bytes sa = reply(0x12, seq + 1);
    EXPECT_EQ(classify_reply(sa.data(), sa.size(), kFlow, seq, true), ProbeReply::syn_ack);
    Bytes wrong_ack = reply(0x12, seq + 2);
    EXPECT_EQ(classify_reply(wrong_ack.data(), wrong_ack.size(), kFlow, seq, true),
              ProbeReply::none);
    Bytes rst = reply(0x14, seq + 1);
    EXPECT_EQ(classify_reply(rst.data(), rst.size(), kFlow, seq, true), ProbeReply::reset);
    Bytes other_port = sa;
    other_port[20 + 1] = 81;  // source port 81: another service's packet
    EXPECT_EQ(classify_reply(other_port.data(), other_port.size(), kFlow, seq, true),
              ProbeReply::none);
    Bytes from_elsewhere = sa;
    from_elsewhere[15] = 11;  // not from the VIP
    EXPECT_EQ(classify_reply(from_elsewhere.data(), from_elsewhere.size(), kFlow, seq, true),
              ProbeReply::none);
    EXPECT_EQ(classify_reply(sa.data(), 19, kFlow, seq, true), ProbeReply::none) << "truncated";
    Bytes u = reply(0, 0, 17);
    EXPECT_EQ(classify_reply(u.data(), u.size(), kFlow, seq, false), ProbeReply::udp);
    EXPECT_EQ(classify_reply(u.data(), u.size(), kFlow, seq, true), ProbeReply::none);
}

TEST(ProbePacket, PayloadEscapes) {
    EXPECT_EQ(unescape_bytes("ping\\n"), std::optional<std::string>("ping\n"));
    EXPECT_EQ(unescape_bytes("\\x00\\x01\\\\"),
              std::optional<std::string>(std::string("\0\1\\", 3)));
    EXPECT_EQ(unescape_bytes("\\x0"), std::nullopt);
    EXPECT_EQ(unescape_bytes("\\q"), std::nullopt);
    EXPECT_EQ(unescape_bytes("trailing\\"), std::nullopt);
}

TEST(TunnelProbe, WithoutIpipItSaysSoAndSendsNothing) {
    if (kernel_has_ipip()) GTEST_SKIP() << "this kernel has ipip: the VM test probes for real";
    RawTunnelProber p;
    ProbeResult r = p.probe({"198.51.100.101", "192.0.2.10", 80});
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.detail.find("ipip not supported by this kernel"), std::string::npos) << r.detail;
}

}  // namespace
}  // namespace vzlvs
