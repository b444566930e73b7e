#include "vzlvs/net/probe_packet.hpp"

#include <arpa/inet.h>

namespace vzlvs {

namespace {

constexpr uint8_t kTcp = 6, kUdp = 17;
constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;
constexpr std::size_t kIpHeader = 20, kTcpHeader = 20, kUdpHeader = 8;
// The SYN offers an MSS that fits any tunnel over a 1500-byte path (1500 - 20 - 40).
constexpr uint16_t kSynMss = 1440;

void put16(Bytes& b, std::size_t at, uint16_t v) {
    b[at] = static_cast<uint8_t>(v >> 8);
    b[at + 1] = static_cast<uint8_t>(v);
}
void put32(Bytes& b, std::size_t at, uint32_t v) {
    put16(b, at, static_cast<uint16_t>(v >> 16));
    put16(b, at + 2, static_cast<uint16_t>(v));
}
uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t get32(const uint8_t* p) { return static_cast<uint32_t>(get16(p)) << 16 | get16(p + 2); }

uint16_t finish(uint32_t sum) { return static_cast<uint16_t>(~sum & 0xffff); }

// IPv4 header (no options, DF) followed by `l4` bytes of protocol `proto`, whose checksum at
// offset `csum_at` of the l4 part covers the pseudo-header.
Bytes ip_packet(const ProbeFlow& f, uint8_t proto, Bytes l4, std::size_t csum_at, uint16_t id) {
    Bytes p(kIpHeader + l4.size());
    p[0] = 0x45;
    put16(p, 2, static_cast<uint16_t>(p.size()));
    put16(p, 4, id);
    put16(p, 6, 0x4000);
    p[8] = 64;
    p[9] = proto;
    put32(p, 12, f.src);
    put32(p, 16, f.dst);
    put16(p, 10, finish(ones_sum(p.data(), kIpHeader)));
    uint8_t pseudo[12];
    for (int i = 0; i < 8; ++i) pseudo[i] = p[12 + i];
    pseudo[8] = 0;
    pseudo[9] = proto;
    pseudo[10] = static_cast<uint8_t>(l4.size() >> 8);
    pseudo[11] = static_cast<uint8_t>(l4.size());
    uint16_t c = finish(ones_sum(l4.data(), l4.size(), ones_sum(pseudo, sizeof pseudo)));
    if (proto == kUdp && c == 0) c = 0xffff;  // 0 means "no checksum" in UDP
    put16(l4, csum_at, c);
    std::copy(l4.begin(), l4.end(), p.begin() + kIpHeader);
    return p;
}

Bytes tcp_segment(const ProbeFlow& f, uint32_t seq, uint8_t flags, bool mss) {
    Bytes t(kTcpHeader + (mss ? 4 : 0));
    put16(t, 0, f.sport);
    put16(t, 2, f.dport);
    put32(t, 4, seq);
    t[12] = static_cast<uint8_t>((t.size() / 4) << 4);
    t[13] = flags;
    put16(t, 14, flags & kRst ? 0 : 64240);
    if (mss) {
        t[20] = 2;
        t[21] = 4;
        put16(t, 22, kSynMss);
    }
    return t;
}

}  // namespace

uint32_t ones_sum(const uint8_t* data, std::size_t len, uint32_t initial) {
    uint32_t sum = initial;
    for (std::size_t i = 0; i + 1 < len; i += 2) sum += get16(data + i);
    if (len % 2) sum += static_cast<uint32_t>(data[len - 1]) << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

Bytes tcp_syn_packet(const ProbeFlow& f, uint32_t seq, uint16_t ip_id) {
    return ip_packet(f, kTcp, tcp_segment(f, seq, kSyn, true), 16, ip_id);
}

Bytes tcp_rst_packet(const ProbeFlow& f, uint32_t seq, uint16_t ip_id) {
    return ip_packet(f, kTcp, tcp_segment(f, seq, kRst, false), 16, ip_id);
}

Bytes udp_packet(const ProbeFlow& f, const Bytes& payload, uint16_t ip_id) {
    Bytes u(kUdpHeader + payload.size());
    put16(u, 0, f.sport);
    put16(u, 2, f.dport);
    put16(u, 4, static_cast<uint16_t>(u.size()));
    std::copy(payload.begin(), payload.end(), u.begin() + kUdpHeader);
    return ip_packet(f, kUdp, u, 6, ip_id);
}

ProbeReply classify_reply(const uint8_t* pkt, std::size_t len, const ProbeFlow& f, uint32_t seq,
                          bool tcp) {
    if (len < kIpHeader || pkt[0] >> 4 != 4) return ProbeReply::none;
    const std::size_t ihl = static_cast<std::size_t>(pkt[0] & 0x0f) * 4;
    if (ihl < kIpHeader || len < ihl + (tcp ? kTcpHeader : kUdpHeader)) return ProbeReply::none;
    if (pkt[9] != (tcp ? kTcp : kUdp) || get32(pkt + 12) != f.dst || get32(pkt + 16) != f.src)
        return ProbeReply::none;
    const uint8_t* l4 = pkt + ihl;
    if (get16(l4) != f.dport || get16(l4 + 2) != f.sport) return ProbeReply::none;
    if (!tcp) return ProbeReply::udp;
    const uint8_t flags = l4[13];
    const bool acks_syn = (flags & kAck) && get32(l4 + 8) == seq + 1;
    if ((flags & (kSyn | kAck | kRst | kFin)) == (kSyn | kAck) && acks_syn)
        return ProbeReply::syn_ack;
    if ((flags & kRst) && acks_syn) return ProbeReply::reset;
    return ProbeReply::none;
}

}  // namespace vzlvs
