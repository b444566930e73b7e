// LibnlNetlink: /32 routes, the default route, gateways (net/libnl_netlink.hpp).
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/nexthop.h>

#include <algorithm>

#include "net/libnl_netlink.hpp"

namespace vzlvs::detail {

std::vector<RouteInfo> LibnlNetlink::host_routes(const std::string& ip) {
    NlAddr want = nl_ipv4(ip, "host route lookup");
    nl_addr_set_prefixlen(want.get(), 32);
    return dump_host_routes(want.get());
}

// Every /32 route, or only those to `want`.
std::vector<RouteInfo> LibnlNetlink::dump_host_routes(nl_addr* want) {
    nl_cache* raw = nullptr;
    int err = rtnl_route_alloc_cache(sock_.get(), AF_INET, 0, &raw);
    NlCache cache(raw);
    if (err < 0) throw NetlinkError("cannot dump IPv4 routes in " + ns(), err);
    NlCache names = link_cache("name the devices of routes");

    std::vector<RouteInfo> out;
    for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
        auto* r = reinterpret_cast<rtnl_route*>(o);
        nl_addr* dst = rtnl_route_get_dst(r);
        if (!dst || nl_addr_get_prefixlen(dst) != 32 || (want && nl_addr_cmp(dst, want) != 0)) {
            continue;
        }
        RouteInfo info;
        info.table = rtnl_route_get_table(r);
        info.dst = addr_str(dst) + "/32";
        if (rtnl_route_get_nnexthops(r) > 0) {
            info.oif = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(r, 0));
        }
        if (info.oif > 0) {
            char buf[IFNAMSIZ + 1];
            info.dev = rtnl_link_i2name(names.get(), info.oif, buf, sizeof buf) ? buf : "";
        }
        info.scope = rtnl_route_get_scope(r);
        info.protocol = rtnl_route_get_protocol(r);
        info.type = rtnl_route_get_type(r);
        info.priority = rtnl_route_get_priority(r);
        out.push_back(info);
    }
    return out;
}

std::optional<unsigned> LibnlNetlink::default_route_advmss() {
    nl_cache* raw = nullptr;
    int err = rtnl_route_alloc_cache(sock_.get(), AF_INET, 0, &raw);
    NlCache cache(raw);
    if (err < 0) throw NetlinkError("cannot dump IPv4 routes in " + ns(), err);
    for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
        auto* r = reinterpret_cast<rtnl_route*>(o);
        nl_addr* dst = rtnl_route_get_dst(r);
        if (rtnl_route_get_table(r) != RT_TABLE_MAIN || (dst && nl_addr_get_prefixlen(dst)))
            continue;
        uint32_t mss = 0;
        if (rtnl_route_get_metric(r, RTAX_ADVMSS, &mss) == 0 && mss) return mss;
        return std::nullopt;
    }
    return std::nullopt;
}

std::vector<std::string> LibnlNetlink::gateways() {
    nl_cache* raw = nullptr;
    int err = rtnl_route_alloc_cache(sock_.get(), AF_INET, 0, &raw);
    NlCache cache(raw);
    if (err < 0) throw NetlinkError("cannot dump IPv4 routes in " + ns(), err);
    std::vector<std::string> out;
    for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
        auto* r = reinterpret_cast<rtnl_route*>(o);
        for (int i = 0; i < rtnl_route_get_nnexthops(r); ++i) {
            nl_addr* gw = rtnl_route_nh_get_gateway(rtnl_route_nexthop_n(r, i));
            if (!gw) continue;
            std::string g = addr_str(gw);
            if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
        }
    }
    return out;
}

void LibnlNetlink::delete_route(const RouteInfo& route) {
    NlAddr dst = nl_ipv4(route.dst, "route to delete");
    RtRoute r(rtnl_route_alloc());
    rtnl_route_set_family(r.get(), AF_INET);
    rtnl_route_set_dst(r.get(), dst.get());
    rtnl_route_set_table(r.get(), route.table);
    // The kernel only deletes a route whose protocol, scope and type match, and libnl's
    // template defaults to proto static: they are copied from the dump.
    rtnl_route_set_protocol(r.get(), static_cast<uint8_t>(route.protocol));
    rtnl_route_set_scope(r.get(), static_cast<uint8_t>(route.scope));
    if (route.type) rtnl_route_set_type(r.get(), static_cast<uint8_t>(route.type));
    rtnl_route_set_priority(r.get(), route.priority);
    if (route.oif > 0) {
        rtnl_nexthop* nh = rtnl_route_nh_alloc();
        rtnl_route_nh_set_ifindex(nh, route.oif);
        rtnl_route_add_nexthop(r.get(), nh);  // the route owns nh from here on
    }
    int err = rtnl_route_delete(sock_.get(), r.get(), 0);
    if (err >= 0) return;
    if (err == -NLE_OBJ_NOTFOUND && !still_present(route)) return;
    throw NetlinkError("cannot delete route " + route.str() + " in " + ns(), err,
                       err == -NLE_OBJ_NOTFOUND
                           ? "the route is still there, so the kernel did not match its "
                             "protocol/scope/type: pass a RouteInfo taken from host_routes()"
                           : "");
}

void LibnlNetlink::add_host_route(const std::string& ip, const std::string& dev, unsigned table) {
    int ifindex = require_ifindex(dev, "add a route " + ip + " via it");
    NlAddr dst = nl_ipv4(ip, "host route to add");
    nl_addr_set_prefixlen(dst.get(), 32);
    RtRoute r(rtnl_route_alloc());
    rtnl_route_set_family(r.get(), AF_INET);
    rtnl_route_set_dst(r.get(), dst.get());
    rtnl_route_set_table(r.get(), table);
    // What `ip route add IP dev DEV` creates, so tests see the same thing vzctl leaves.
    rtnl_route_set_protocol(r.get(), RTPROT_BOOT);
    rtnl_route_set_scope(r.get(), RT_SCOPE_LINK);
    rtnl_route_set_type(r.get(), RTN_UNICAST);
    rtnl_nexthop* nh = rtnl_route_nh_alloc();
    rtnl_route_nh_set_ifindex(nh, ifindex);
    rtnl_route_add_nexthop(r.get(), nh);
    int err = rtnl_route_add(sock_.get(), r.get(), NLM_F_EXCL);
    if (err < 0) {
        throw NetlinkError(
            "cannot add route " + ip + "/32 dev " + dev + " table " + std::to_string(table) +
                " in " + ns(),
            err, err == -NLE_EXIST ? "a route to " + ip + "/32 already exists in that table" : "");
    }
}

bool LibnlNetlink::still_present(const RouteInfo& route) {
    for (const auto& r : host_routes(route.dst.substr(0, route.dst.find('/')))) {
        if (r.table == route.table && r.oif == route.oif) {
            return true;
        }
    }
    return false;
}

}  // namespace vzlvs::detail
