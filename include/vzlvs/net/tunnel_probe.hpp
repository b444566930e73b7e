// A health check through the tunnel (`vzlvs probe`, `check --probe`, `[node] probe = yes`):
// the node sends what the director sends, an IP-in-IP packet to the CT's real address whose
// inner packet is a TCP SYN (or a UDP datagram) to VIP:port, and waits for the CT's answer
// from the VIP. A director's own checks reach the CT at its real address and miss a broken
// tunl0, VIP or rp_filter; this does not. Needs CAP_NET_RAW (raw sockets) in the node's
// network namespace, where the CT's replies to the node's address arrive over venet.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "vzlvs/net/probe_packet.hpp"

namespace vzlvs {

struct ProbeTarget {
    std::string ct_address;  // the CT's real address: the outer destination
    std::string vip;
    uint16_t port = 0;
    bool tcp = true;
    Bytes payload{};  // UDP: what to send (a service may answer only a valid request)
    std::chrono::milliseconds timeout{std::chrono::seconds(2)};
};

struct ProbeResult {
    bool ok = false;
    std::string detail;  // what came back, or what did not and what that means
};

class TunnelProber {
  public:
    virtual ~TunnelProber() = default;
    virtual ProbeResult probe(const ProbeTarget& t) = 0;
};

// The real one: raw sockets in the calling thread's network namespace.
class RawTunnelProber : public TunnelProber {
  public:
    ProbeResult probe(const ProbeTarget& t) override;
};

// The kernel can decapsulate IP-in-IP (ipip loaded or built in: /sys/module/ipip). A CT shares
// the node's kernel, so this answers for both.
bool kernel_has_ipip();

}  // namespace vzlvs
