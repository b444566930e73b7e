#include "vzlvs/net/netlink.hpp"

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>
#include <netlink/route/link/ipip.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/rtnl.h>
#include <sys/socket.h>

#include <algorithm>
#include <exception>
#include <functional>

#include "net/libnl_netlink.hpp"
#include "vzlvs/base/addr.hpp"

namespace vzlvs {
namespace detail {

std::string addr_str(nl_addr* a) {
    char buf[128];
    return nl_addr2str(a, buf, sizeof buf);
}

NlAddr nl_ipv4(const std::string& text, const std::string& for_what) {
    const auto p = parse_ipv4_prefix(text);
    if (!p)
        throw Error("'" + text + "' is not an IPv4 address" +
                    (text.find('/') != std::string::npos ? " with prefix length" : "") + " (" +
                    for_what + ")");
    const uint32_t be = htonl(p->addr);
    NlAddr a(nl_addr_build(AF_INET, &be, sizeof be));
    if (!a) throw NetlinkError("cannot allocate an address object", -NLE_NOMEM);
    nl_addr_set_prefixlen(a.get(), static_cast<int>(p->len));
    return a;
}

std::vector<LinkInfo> LibnlNetlink::links() {
    NlCache cache = link_cache("list network devices");
    std::vector<LinkInfo> out;
    for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
        out.push_back(link_info(reinterpret_cast<rtnl_link*>(o)));
    }
    return out;
}

std::optional<LinkInfo> LibnlNetlink::link(const std::string& name) {
    RtLink l = find_link(name);
    if (!l) return std::nullopt;
    return link_info(l.get());
}

void LibnlNetlink::set_link_up(const std::string& name) {
    RtLink l = require_link(name, "bring it up");
    RtLink change(rtnl_link_alloc());
    rtnl_link_set_flags(change.get(), IFF_UP);
    int err = rtnl_link_change(sock_.get(), l.get(), change.get(), 0);
    if (err < 0) throw NetlinkError("cannot bring up " + name + " in " + ns(), err);
}

bool LibnlNetlink::create_ipip_device(const std::string& name) {
    RtLink l(rtnl_link_ipip_alloc());
    if (!l) throw NetlinkError("cannot allocate an ipip link object", -NLE_NOMEM);
    rtnl_link_set_name(l.get(), name.c_str());
    int err = rtnl_link_add(sock_.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL);
    if (err == -NLE_EXIST) return false;
    if (err == -NLE_OPNOTSUPP) {
        throw NetlinkError(
            "ipip not supported by this kernel: cannot create " + name + " in " + ns(), err,
            "the node kernel needs CONFIG_NET_IPIP (module ipip) for LVS "
            "tunnel mode");
    }
    if (err < 0) throw NetlinkError("cannot create ipip device " + name + " in " + ns(), err);
    return true;
}

std::vector<std::string> LibnlNetlink::addresses(const std::string& dev) {
    const int ifindex = require_ifindex(dev, "list its addresses");
    std::vector<std::string> out;
    each_address([&](int index, std::string cidr) {
        if (index == ifindex) out.push_back(std::move(cidr));
    });
    return out;
}

std::map<std::string, std::vector<std::string>> LibnlNetlink::all_addresses() {
    NlCache names = link_cache("name the devices of addresses");
    std::map<std::string, std::vector<std::string>> out;
    each_address([&](int index, std::string cidr) {
        char buf[IFNAMSIZ + 1];
        if (rtnl_link_i2name(names.get(), index, buf, sizeof buf))
            out[buf].push_back(std::move(cidr));
    });
    return out;
}

// Every IPv4 address, one dump: fn(ifindex, "a.b.c.d/len").
void LibnlNetlink::each_address(const std::function<void(int, std::string)>& fn) {
    nl_cache* raw = nullptr;
    int err = rtnl_addr_alloc_cache(sock_.get(), &raw);
    NlCache cache(raw);
    if (err < 0) throw NetlinkError("cannot dump addresses in " + ns(), err);
    for (nl_object* o = nl_cache_get_first(raw); o; o = nl_cache_get_next(o)) {
        auto* a = reinterpret_cast<rtnl_addr*>(o);
        if (rtnl_addr_get_family(a) != AF_INET) continue;
        nl_addr* local = rtnl_addr_get_local(a);
        if (!local) continue;
        char buf[64];
        nl_addr2str(local, buf, sizeof buf);
        std::string s = buf;
        // nl_addr2str leaves out "/32"; callers compare against "a.b.c.d/len" always.
        if (s.find('/') == std::string::npos) {
            s += "/" + std::to_string(rtnl_addr_get_prefixlen(a));
        }
        fn(rtnl_addr_get_ifindex(a), std::move(s));
    }
}

void LibnlNetlink::add_address(const std::string& dev, const std::string& cidr) {
    RtAddr a = address_object(dev, cidr, "add");
    int err = rtnl_addr_add(sock_.get(), a.get(), 0);
    if (err == -NLE_EXIST) return;
    if (err < 0)
        throw NetlinkError("cannot add address " + cidr + " to " + dev + " in " + ns(), err);
}

void LibnlNetlink::delete_address(const std::string& dev, const std::string& cidr) {
    RtAddr a = address_object(dev, cidr, "delete");
    int err = rtnl_addr_delete(sock_.get(), a.get(), 0);
    // The kernel says EADDRNOTAVAIL for an address that is not there.
    if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND) return;
    if (err < 0) {
        throw NetlinkError("cannot delete address " + cidr + " from " + dev + " in " + ns(), err);
    }
}

NlCache LibnlNetlink::link_cache(const std::string& purpose) {
    nl_cache* raw = nullptr;
    int err = rtnl_link_alloc_cache(sock_.get(), AF_UNSPEC, &raw);
    NlCache cache(raw);
    if (err < 0) throw NetlinkError("cannot dump links to " + purpose + " in " + ns(), err);
    return cache;
}

// nullptr when absent. libnl answers -NLE_NODEV for a missing name.
RtLink LibnlNetlink::find_link(const std::string& name) {
    rtnl_link* raw = nullptr;
    int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw);
    RtLink l(raw);
    if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return nullptr;
    if (err < 0) throw NetlinkError("cannot look up device " + name + " in " + ns(), err);
    return l;
}

RtLink LibnlNetlink::require_link(const std::string& name, const std::string& action) {
    RtLink l = find_link(name);
    if (!l) {
        throw NetlinkError("no network device named " + name + " in " + ns(), -NLE_NODEV,
                           "needed to " + action + "; check the name with `ip link` there");
    }
    return l;
}

int LibnlNetlink::require_ifindex(const std::string& name, const std::string& action) {
    return rtnl_link_get_ifindex(require_link(name, action).get());
}

RtAddr LibnlNetlink::address_object(const std::string& dev, const std::string& cidr,
                                    const std::string& action) {
    int ifindex = require_ifindex(dev, action + " address " + cidr);
    NlAddr local = nl_ipv4(cidr, "address to " + action);
    RtAddr a(rtnl_addr_alloc());
    rtnl_addr_set_family(a.get(), AF_INET);
    rtnl_addr_set_ifindex(a.get(), ifindex);
    rtnl_addr_set_local(a.get(), local.get());
    rtnl_addr_set_prefixlen(a.get(), static_cast<int>(nl_addr_get_prefixlen(local.get())));
    return a;
}

}  // namespace detail

std::unique_ptr<Netlink> make_netlink(const std::string& netns_path) {
    return std::make_unique<detail::LibnlNetlink>(netns_path);
}

}  // namespace vzlvs
