// Which host interfaces are the node's uplinks, by vzctl's own rule: where it adds proxy-ARP
// entries and announces CT IPs, so where the ARP guard must sit.
#pragma once

#include <string>
#include <vector>

namespace vzlvs {

// One host interface as vzctl's vzgetnetdev sees it.
struct UplinkCandidate {
    std::string name;
    bool up = false;
    bool loopback = false;
    bool slave = false;            // IFF_SLAVE: a bond member; the bond itself is the uplink
    bool noarp = false;            // venet0 is NOARP
    bool has_global_addr = false;  // an IPv4/IPv6 address whose scope is not link/host
};

// vzgetnetdev's rule: UP, not loopback/slave/NOARP, a non-link-scope address, not veth*.
// Order is kept. `[node] uplinks` in the config overrides this and skips it entirely.
std::vector<std::string> select_uplinks(const std::vector<UplinkCandidate>& links);

}  // namespace vzlvs
