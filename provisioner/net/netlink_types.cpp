// The netlink seam's value types: errors and how a route reads in messages.
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/route/rtnl.h>

#include "net/netlink_socket.hpp"
#include "vzlvs/net/netlink.hpp"

namespace vzlvs {

NetlinkError::NetlinkError(const std::string& what, int nl_err, const std::string& hint)
    : Error(what + ": " + nl_geterror(nl_err) + (hint.empty() ? "" : "; " + hint)),
      nl_err_(nl_err < 0 ? -nl_err : nl_err) {}

std::string RouteInfo::str() const {
    char buf[64];
    std::string s;
    if (type != 0 && type != RTN_UNICAST)
        s = std::string(nl_rtntype2str(type, buf, sizeof buf)) + " ";
    s += dst.size() > 3 && dst.compare(dst.size() - 3, 3, "/32") == 0
             ? dst.substr(0, dst.size() - 3)
             : dst;
    if (!dev.empty()) {
        s += " dev " + dev;
    } else if (oif > 0) {
        s += " dev #" + std::to_string(oif);
    }
    s += std::string(" table ") + rtnl_route_table2str(static_cast<int>(table), buf, sizeof buf);
    s += std::string(" scope ") + rtnl_scope2str(scope, buf, sizeof buf);
    s += std::string(" proto ") + rtnl_route_proto2str(protocol, buf, sizeof buf);
    if (priority) s += " metric " + std::to_string(priority);
    return s;
}

LinkInfo detail::link_info(rtnl_link* l) {
    LinkInfo info;
    info.index = rtnl_link_get_ifindex(l);
    const char* name = rtnl_link_get_name(l);
    info.name = name ? name : "";
    const char* kind = rtnl_link_get_type(l);
    info.kind = kind ? kind : "";
    info.arptype = rtnl_link_get_arptype(l);
    unsigned flags = rtnl_link_get_flags(l);
    info.up = flags & IFF_UP;
    info.noarp = flags & IFF_NOARP;
    info.loopback = flags & IFF_LOOPBACK;
    info.mtu = rtnl_link_get_mtu(l);
    return info;
}

}  // namespace vzlvs
