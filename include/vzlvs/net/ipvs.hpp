// The kernel's IPVS table, over generic netlink (libnl-genl-3): the one door `vzlvs director`
// with `apply = ipvs` goes through, as keepalived's ipvswrapper.c is keepalived's. IPv4 only,
// virtual services by address, port and protocol (no firewall marks), real servers in tunnel
// or direct-routing mode.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace vzlvs {

struct IpvsService {
    std::string vip;
    uint16_t port = 0;
    std::string protocol = "tcp";  // tcp | udp
    std::string scheduler = "wrr";
    // "192.0.2.10:80/tcp": what identifies it.
    std::string key() const;
};

struct IpvsDest {
    std::string host;
    uint16_t port = 0;
    int weight = 1;
    std::string method = "tunnel";  // tunnel | dr | nat (masquerading, never made by vzlvs)
    std::string key() const;        // "10.0.0.1:80"
};

struct IpvsEntry {
    IpvsService service;
    std::vector<IpvsDest> dests;
};

class Ipvs {
  public:
    virtual ~Ipvs() = default;
    // Every virtual service with its real servers (those vzlvs cannot describe, such as
    // firewall-mark or IPv6 services, are left out).
    virtual std::vector<IpvsEntry> dump() = 0;
    virtual void add_service(const IpvsService&) = 0;
    virtual void edit_service(const IpvsService&) = 0;  // its scheduler
    virtual void del_service(const IpvsService&) = 0;
    virtual void add_dest(const IpvsService&, const IpvsDest&) = 0;
    virtual void edit_dest(const IpvsService&, const IpvsDest&) = 0;  // weight, method
    virtual void del_dest(const IpvsService&, const IpvsDest&) = 0;
};

// IPVS in the current network namespace; throws NetlinkError naming the fix (modprobe ip_vs)
// when the kernel has none.
std::unique_ptr<Ipvs> make_ipvs();

}  // namespace vzlvs
