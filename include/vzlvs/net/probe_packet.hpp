// The packets of a probe through the tunnel (net/tunnel_probe.hpp), built and read without
// sockets so that they are unit-tested byte for byte. The director's part is played by the
// node: the inner packet goes from the node's address to VIP:port, the CT answers it from
// the VIP straight back to the node, as it answers clients.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vzlvs/base/addr.hpp"

namespace vzlvs {

using Bytes = std::vector<uint8_t>;

// Both ends of the inner packet, in host byte order.
struct ProbeFlow {
    uint32_t src = 0;  // the node's address (the "client")
    uint32_t dst = 0;  // the VIP
    uint16_t sport = 0;
    uint16_t dport = 0;
};

// RFC 1071 sum over data, folded (not complemented); `initial` chains a pseudo-header.
uint32_t ones_sum(const uint8_t* data, std::size_t len, uint32_t initial = 0);

// Inner IPv4 packets, checksums filled in. The raw IPPROTO_IPIP socket adds the outer header.
Bytes tcp_syn_packet(const ProbeFlow& f, uint32_t seq, uint16_t ip_id);
Bytes tcp_rst_packet(const ProbeFlow& f, uint32_t seq, uint16_t ip_id);
Bytes udp_packet(const ProbeFlow& f, const Bytes& payload, uint16_t ip_id);

// What came back for a flow (a packet read from a raw IPPROTO_TCP / IPPROTO_UDP socket,
// IPv4 header included): the reply of `f` travels from f.dst:f.dport to f.src:f.sport.
enum class ProbeReply {
    none,     // not this flow's reply (another packet on the node)
    syn_ack,  // TCP: the CT accepted (ack = seq + 1)
    reset,    // TCP: the CT answered from the VIP, but nothing listens on the port
    udp,      // UDP: any datagram back
};
ProbeReply classify_reply(const uint8_t* pkt, std::size_t len, const ProbeFlow& f, uint32_t seq,
                          bool tcp);

}  // namespace vzlvs
