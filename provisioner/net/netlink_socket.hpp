// Private to the netlink sources: owning wrappers for libnl objects and the namespace-bound
// socket constructor shared by Netlink and the event watcher.
#pragma once

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include <memory>
#include <string>

#include "vzlvs/net/netlink.hpp"

namespace vzlvs::detail {

template <typename T, void (*Free)(T*)>
struct NlFree {
    void operator()(T* p) const {
        if (p) Free(p);
    }
};

using NlSock = std::unique_ptr<nl_sock, NlFree<nl_sock, nl_socket_free>>;
using NlCache = std::unique_ptr<nl_cache, NlFree<nl_cache, nl_cache_free>>;
using NlAddr = std::unique_ptr<nl_addr, NlFree<nl_addr, nl_addr_put>>;
using NlMsg = std::unique_ptr<nl_msg, NlFree<nl_msg, nlmsg_free>>;
using NlCb = std::unique_ptr<nl_cb, NlFree<nl_cb, nl_cb_put>>;
using RtLink = std::unique_ptr<rtnl_link, NlFree<rtnl_link, rtnl_link_put>>;
using RtAddr = std::unique_ptr<rtnl_addr, NlFree<rtnl_addr, rtnl_addr_put>>;
using RtRoute = std::unique_ptr<rtnl_route, NlFree<rtnl_route, rtnl_route_put>>;
using RtNeigh = std::unique_ptr<rtnl_neigh, NlFree<rtnl_neigh, rtnl_neigh_put>>;

// "network namespace /run/netns/x" or "the current network namespace", for messages.
std::string ns_label(const std::string& netns_path);

// A connected NETLINK_ROUTE socket created inside netns_path ("" = here): the kernel binds a
// netlink socket to the namespace of the thread that creates it, for its whole life.
// `purpose` completes "cannot open a netlink socket for <purpose> in <ns>".
NlSock open_route_socket(const std::string& netns_path, const std::string& purpose);

// A dumped link as vzlvs describes it.
LinkInfo link_info(rtnl_link* l);

}  // namespace vzlvs::detail
