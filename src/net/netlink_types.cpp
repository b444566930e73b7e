// The netlink seam's value types: errors and how a route reads in messages.
#include <netlink/errno.h>
#include <netlink/route/route.h>
#include <netlink/route/rtnl.h>

#include "net/netlink.hpp"

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

}  // namespace vzlvs
