// The netlink seam (libnl-route-3): links, addresses, routes, proxy neighbours, events.
// Every object is bound to one network namespace, fixed at construction.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

struct LinkInfo {
    int index = 0;
    std::string name;
    std::string kind;      // rtnl link type ("ipip", "veth", "dummy", ...); "" if none
    unsigned arptype = 0;  // ARPHRD_* (ARPHRD_TUNNEL = 768 for ipip)
    bool up = false;       // IFF_UP
    bool noarp = false;    // IFF_NOARP
    bool loopback = false;
    unsigned mtu = 0;
};

struct RouteInfo {
    unsigned table = 0;
    std::string dst;  // "10.0.0.5/32"
    int oif = 0;
    std::string dev;          // name of oif
    int scope = 0;            // RT_SCOPE_*
    int protocol = 0;         // RTPROT_*
    int type = 0;             // RTN_*
    unsigned priority = 0;    // metric: with several same-dst routes, it picks which one to delete
    std::string str() const;  // "10.0.0.5 dev venet0 table main scope link proto boot"
};

struct ProxyNeigh {
    std::string ip;
    std::string dev;
    int ifindex = 0;
};

// A netlink failure that names what was attempted and the libnl reason:
// "<what>: <nl_geterror>[; <hint>]". nl_error() is the positive NLE_* code.
class NetlinkError : public Error {
  public:
    NetlinkError(const std::string& what, int nl_err, const std::string& hint = "");
    int nl_error() const { return nl_err_; }

  private:
    int nl_err_;
};

// One NETLINK_ROUTE socket; not thread-safe (use one object per thread). Deletes are
// idempotent: an object already gone (vzctl or a user raced us) is success, but a delete the
// kernel refuses to match while the object is still there is an error.
class Netlink {
  public:
    virtual ~Netlink() = default;

    virtual std::vector<LinkInfo> links() = 0;
    virtual std::optional<LinkInfo> link(const std::string& name) = 0;
    virtual void set_link_up(const std::string& name) = 0;

    // Creates an ipip device with no endpoints (`ip link add NAME type ipip`): it receives
    // every IP-in-IP packet like tunl0 does, for namespaces where tunl0 is not created
    // automatically (net.core.fb_tunnels_only_for_init_net). Returns false when a device of
    // that name already exists (check its kind with link()). Throws NetlinkError
    // "ipip not supported by this kernel ..." when the kernel has no ipip.
    virtual bool create_ipip_device(const std::string& name) = 0;

    // IPv4 addresses on a link as "a.b.c.d/len". Throws when the device is missing.
    virtual std::vector<std::string> addresses(const std::string& dev) = 0;
    // Every device's IPv4 addresses, in one dump; a device without any is not in the map.
    virtual std::map<std::string, std::vector<std::string>> all_addresses() = 0;
    // An identical address already present is success.
    virtual void add_address(const std::string& dev, const std::string& cidr) = 0;
    virtual void delete_address(const std::string& dev, const std::string& cidr) = 0;

    // Every IPv4 route, all tables, whose destination is exactly ip/32. This includes the
    // kernel's `local` route in table local when ip is assigned here: filter on type/dev.
    virtual std::vector<RouteInfo> host_routes(const std::string& ip) = 0;
    // Every IPv4 route to a /32, all tables: host_routes() of every address, in one dump.
    virtual std::vector<RouteInfo> all_host_routes() = 0;
    // The advmss metric of the main table's IPv4 default route; nullopt when there is no such
    // route or it has none (`ip route show default` ... advmss N).
    virtual std::optional<unsigned> default_route_advmss() = 0;
    // The gateway of every IPv4 route with one, all tables, each once.
    virtual std::vector<std::string> gateways() = 0;
    // Deletes a route as dumped (protocol included, so the kernel matches it).
    virtual void delete_route(const RouteInfo& route) = 0;
    // Adds `ip/32 dev DEV table TABLE scope link proto boot` (used to pre-seed a route in
    // another table). A route to ip/32 already in that table is an error (NLE_EXIST).
    virtual void add_host_route(const std::string& ip, const std::string& dev, unsigned table) = 0;

    // Proxy-neighbour entries (`ip neigh ... proxy`) for ip on any device ("" = all). They
    // are dumped with an RTM_GETNEIGH request carrying ndm_flags = NTF_PROXY: a plain
    // neighbour dump never contains them.
    virtual std::vector<ProxyNeigh> proxy_neighbours(const std::string& ip) = 0;
    virtual void delete_proxy_neighbour(const ProxyNeigh& entry) = 0;
    virtual void add_proxy_neighbour(const std::string& ip, const std::string& dev) = 0;
};

// Opens netlink in the current namespace, or in the one at netns_path (e.g.
// /run/netns/NAME or /proc/PID/ns/net): the socket stays bound there.
std::unique_ptr<Netlink> make_netlink(const std::string& netns_path = "");

// Waits on an RTNLGRP_IPV4_ROUTE + RTNLGRP_NEIGH subscription. `on_event` is called once
// at start (to catch what already exists: subscribe first, then dump) and after every
// batch of events that could have created something: an RTM_NEWROUTE, or an RTM_NEWNEIGH
// with NTF_PROXY. Deletions and ordinary ARP churn do not wake it. It returns true when the
// wait is over. Returns false on timeout. Overruns (ENOBUFS) are survived by calling on_event
// again, which re-dumps. on_event runs on the calling thread (in its own namespace).
//
// Kernel limit (observed on 6.18 with `ip monitor`): the kernel sends NO notification for
// proxy-neighbour add/delete (pneigh entries). A proxy entry is therefore only noticed with the
// next route event or at the initial call; vzctl 4's vps-net_add adds the proxy entries before
// the route, so the route event's re-dump finds them (vzctl 7's vz-net_add adds them after: the
// hook worker looks again for a moment, commands/hook.cpp).
bool watch_routes_and_neighbours(const std::string& netns_path, std::chrono::milliseconds timeout,
                                 const std::function<bool()>& on_event);

// What one batch of notifications may have added, read from the notifications themselves so
// that the caller matches them against what it looks for instead of dumping the tables.
// resync: the batch cannot be trusted to be complete (the first call, after subscribing; an
// overrun; a message too large or not understood): look at everything.
struct NetEvents {
    bool resync = false;
    // Devices by index only (oif, ifindex; dev is empty): names belong to the namespace
    // watched, which need not be the caller's. Both delete as they are.
    std::vector<RouteInfo> routes;    // RTM_NEWROUTE to an IPv4 /32
    std::vector<ProxyNeigh> proxies;  // RTM_NEWNEIGH with NTF_PROXY, IPv4
};
// watch_routes_and_neighbours with the notifications' content: on_event gets every batch
// that has something in it (and the first call, with resync).
bool watch_net_events(const std::string& netns_path, std::chrono::milliseconds timeout,
                      const std::function<bool(const NetEvents&)>& on_event, int wake_fd = -1);
// The same, and it also returns false as soon as wake_fd is readable (a self-pipe or signalfd
// that says "stop waiting", e.g. on SIGTERM); nothing is read from it. wake_fd < 0: none.
bool watch_routes_and_neighbours(const std::string& netns_path, std::chrono::milliseconds timeout,
                                 const std::function<bool()>& on_event, int wake_fd);

// Runs fn inside the namespace at netns_path ("" = here) and returns once fn has. fn runs on
// a short-lived thread that setns()es and then exits, so the caller's thread never changes
// namespace, even if fn throws (the exception is rethrown here). /proc/sys/net seen from fn
// is that namespace's.
void in_netns(const std::string& netns_path, const std::function<void()>& fn);

// fn(i) inside the namespace netns_paths[i], for every i, on as many threads as the node has
// cores (at most one per item), each followed by done(i, what fn(i) or entering threw; null
// when fn(i) returned) on the same thread. Each is a thread of its own that enters one
// namespace after another and exits when the work is done, so no other thread ever changes
// namespace; this returns when all are done. Every path names a namespace ("" is not "here":
// a thread may have entered another by then). done must not throw.
void in_each_netns(const std::vector<std::string>& netns_paths,
                   const std::function<void(std::size_t)>& fn,
                   const std::function<void(std::size_t, std::exception_ptr)>& done);

}  // namespace vzlvs
