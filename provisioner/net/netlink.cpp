#include "vzlvs/net/netlink.hpp"

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

#include "net/netlink_socket.hpp"

namespace vzlvs {
using namespace detail;

namespace {

std::string addr_str(nl_addr* a) {
    char buf[128];
    return nl_addr2str(a, buf, sizeof buf);
}

// ip ("a.b.c.d" or "a.b.c.d/len") → nl_addr; a plain address gets prefix length 32.
NlAddr parse_ipv4(const std::string& text, const std::string& for_what) {
    nl_addr* raw = nullptr;
    int err = nl_addr_parse(text.c_str(), AF_INET, &raw);
    NlAddr a(raw);
    if (err < 0 || nl_addr_get_family(raw) != AF_INET) {
        throw Error("'" + text + "' is not an IPv4 address" +
                    (text.find('/') != std::string::npos ? " with prefix length" : "") + " (" +
                    for_what + ")");
    }
    return a;
}

class LibnlNetlink : public Netlink {
  public:
    explicit LibnlNetlink(const std::string& netns_path)
        : ns_(netns_path), sock_(open_route_socket(netns_path, "route changes")) {}

    std::vector<LinkInfo> links() override {
        NlCache cache = link_cache("list network devices");
        std::vector<LinkInfo> out;
        for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
            out.push_back(link_info(reinterpret_cast<rtnl_link*>(o)));
        }
        return out;
    }

    std::optional<LinkInfo> link(const std::string& name) override {
        RtLink l = find_link(name);
        if (!l) return std::nullopt;
        return link_info(l.get());
    }

    void set_link_up(const std::string& name) override {
        RtLink l = require_link(name, "bring it up");
        RtLink change(rtnl_link_alloc());
        rtnl_link_set_flags(change.get(), IFF_UP);
        int err = rtnl_link_change(sock_.get(), l.get(), change.get(), 0);
        if (err < 0) throw NetlinkError("cannot bring up " + name + " in " + ns(), err);
    }

    bool create_ipip_device(const std::string& name) override {
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

    std::vector<std::string> addresses(const std::string& dev) override {
        const int ifindex = require_ifindex(dev, "list its addresses");
        std::vector<std::string> out;
        each_address([&](int index, std::string cidr) {
            if (index == ifindex) out.push_back(std::move(cidr));
        });
        return out;
    }

    std::map<std::string, std::vector<std::string>> all_addresses() override {
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
    void each_address(const std::function<void(int, std::string)>& fn) {
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

    void add_address(const std::string& dev, const std::string& cidr) override {
        RtAddr a = address_object(dev, cidr, "add");
        int err = rtnl_addr_add(sock_.get(), a.get(), 0);
        if (err == -NLE_EXIST) return;
        if (err < 0)
            throw NetlinkError("cannot add address " + cidr + " to " + dev + " in " + ns(), err);
    }

    void delete_address(const std::string& dev, const std::string& cidr) override {
        RtAddr a = address_object(dev, cidr, "delete");
        int err = rtnl_addr_delete(sock_.get(), a.get(), 0);
        // The kernel says EADDRNOTAVAIL for an address that is not there.
        if (err == -NLE_NOADDR || err == -NLE_OBJ_NOTFOUND) return;
        if (err < 0) {
            throw NetlinkError("cannot delete address " + cidr + " from " + dev + " in " + ns(),
                               err);
        }
    }

    std::vector<RouteInfo> host_routes(const std::string& ip) override {
        NlAddr want = parse_ipv4(ip, "host route lookup");
        nl_addr_set_prefixlen(want.get(), 32);
        return dump_host_routes(want.get());
    }

    std::vector<RouteInfo> all_host_routes() override { return dump_host_routes(nullptr); }

    // Every /32 route, or only those to `want`.
    std::vector<RouteInfo> dump_host_routes(nl_addr* want) {
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

    std::optional<unsigned> default_route_advmss() override {
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

    std::vector<std::string> gateways() override {
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

    void delete_route(const RouteInfo& route) override {
        NlAddr dst = parse_ipv4(route.dst, "route to delete");
        RtRoute r(rtnl_route_alloc());
        rtnl_route_set_family(r.get(), AF_INET);
        rtnl_route_set_dst(r.get(), dst.get());
        rtnl_route_set_table(r.get(), route.table);
        // The kernel only deletes a route whose protocol, scope and type match (pitfall 8:
        // libnl's template default is proto static), so they are copied from the dump.
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

    void add_host_route(const std::string& ip, const std::string& dev, unsigned table) override {
        int ifindex = require_ifindex(dev, "add a route " + ip + " via it");
        NlAddr dst = parse_ipv4(ip, "host route to add");
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
                err,
                err == -NLE_EXIST ? "a route to " + ip + "/32 already exists in that table" : "");
        }
    }

    std::vector<ProxyNeigh> proxy_neighbours(const std::string& ip) override {
        NlAddr want;
        if (!ip.empty()) want = parse_ipv4(ip, "proxy neighbour lookup");
        std::vector<ProxyNeigh> all = dump_proxies();
        std::vector<ProxyNeigh> out;
        for (auto& p : all) {
            if (!want || p.ip == addr_str(want.get())) out.push_back(std::move(p));
        }
        return out;
    }

    void delete_proxy_neighbour(const ProxyNeigh& entry) override {
        RtNeigh n = proxy_object(entry.ip, entry.ifindex);
        int err = rtnl_neigh_delete(sock_.get(), n.get(), 0);
        if (err >= 0) return;
        if (err == -NLE_OBJ_NOTFOUND) {
            bool present = false;
            for (const auto& p : dump_proxies()) {
                present = present || (p.ip == entry.ip && p.ifindex == entry.ifindex);
            }
            if (!present) return;
        }
        throw NetlinkError("cannot delete proxy neighbour " + entry.ip + " dev " +
                               (entry.dev.empty() ? std::to_string(entry.ifindex) : entry.dev) +
                               " in " + ns(),
                           err);
    }

    void add_proxy_neighbour(const std::string& ip, const std::string& dev) override {
        int ifindex = require_ifindex(dev, "add proxy neighbour " + ip + " on it");
        RtNeigh n = proxy_object(ip, ifindex);
        int err = rtnl_neigh_add(sock_.get(), n.get(), 0);
        if (err < 0) {
            throw NetlinkError("cannot add proxy neighbour " + ip + " dev " + dev + " in " + ns(),
                               err);
        }
    }

  private:
    std::string ns() const { return ns_label(ns_); }

    NlCache link_cache(const std::string& purpose) {
        nl_cache* raw = nullptr;
        int err = rtnl_link_alloc_cache(sock_.get(), AF_UNSPEC, &raw);
        NlCache cache(raw);
        if (err < 0) throw NetlinkError("cannot dump links to " + purpose + " in " + ns(), err);
        return cache;
    }

    // nullptr when absent. libnl answers -NLE_NODEV for a missing name.
    RtLink find_link(const std::string& name) {
        rtnl_link* raw = nullptr;
        int err = rtnl_link_get_kernel(sock_.get(), 0, name.c_str(), &raw);
        RtLink l(raw);
        if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND) return nullptr;
        if (err < 0) throw NetlinkError("cannot look up device " + name + " in " + ns(), err);
        return l;
    }

    RtLink require_link(const std::string& name, const std::string& action) {
        RtLink l = find_link(name);
        if (!l) {
            throw NetlinkError("no network device named " + name + " in " + ns(), -NLE_NODEV,
                               "needed to " + action + "; check the name with `ip link` there");
        }
        return l;
    }

    int require_ifindex(const std::string& name, const std::string& action) {
        return rtnl_link_get_ifindex(require_link(name, action).get());
    }

    RtAddr address_object(const std::string& dev, const std::string& cidr,
                          const std::string& action) {
        int ifindex = require_ifindex(dev, action + " address " + cidr);
        NlAddr local = parse_ipv4(cidr, "address to " + action);
        RtAddr a(rtnl_addr_alloc());
        rtnl_addr_set_family(a.get(), AF_INET);
        rtnl_addr_set_ifindex(a.get(), ifindex);
        rtnl_addr_set_local(a.get(), local.get());
        rtnl_addr_set_prefixlen(a.get(), static_cast<int>(nl_addr_get_prefixlen(local.get())));
        return a;
    }

    RtNeigh proxy_object(const std::string& ip, int ifindex) {
        NlAddr dst = parse_ipv4(ip, "proxy neighbour");
        RtNeigh n(rtnl_neigh_alloc());
        rtnl_neigh_set_family(n.get(), AF_INET);
        rtnl_neigh_set_ifindex(n.get(), ifindex);
        rtnl_neigh_set_dst(n.get(), dst.get());
        // NTF_PROXY sends the request to the pneigh table instead of the ARP cache.
        rtnl_neigh_set_flags(n.get(), NTF_PROXY);
        return n;
    }

    bool still_present(const RouteInfo& route) {
        for (const auto& r : host_routes(route.dst.substr(0, route.dst.find('/')))) {
            if (r.table == route.table && r.oif == route.oif) {
                return true;
            }
        }
        return false;
    }

    struct DumpState {
        std::vector<ProxyNeigh>* out;
        std::exception_ptr failure;
    };

    static int on_proxy(nl_msg* msg, void* arg) {
        auto* st = static_cast<DumpState*>(arg);
        try {
            nlmsghdr* h = nlmsg_hdr(msg);
            if (h->nlmsg_type != RTM_NEWNEIGH) return NL_SKIP;
            rtnl_neigh* raw = nullptr;
            if (rtnl_neigh_parse(h, &raw) < 0) return NL_SKIP;
            RtNeigh n(raw);
            if (!(rtnl_neigh_get_flags(raw) & NTF_PROXY) || rtnl_neigh_get_family(raw) != AF_INET ||
                !rtnl_neigh_get_dst(raw)) {
                return NL_SKIP;
            }
            ProxyNeigh p;
            p.ip = addr_str(rtnl_neigh_get_dst(raw));
            p.ifindex = rtnl_neigh_get_ifindex(raw);
            st->out->push_back(p);
        } catch (...) {
            st->failure = std::current_exception();
            return NL_STOP;
        }
        return NL_OK;
    }

    std::vector<ProxyNeigh> dump_proxies() {
        // Built by hand: libnl's neighbour cache sends a plain RTM_GETNEIGH dump, and the
        // kernel returns pneigh entries only when the request's ndm_flags is NTF_PROXY.
        NlMsg msg(nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_DUMP));
        if (!msg) throw NetlinkError("cannot allocate a neighbour dump request", -NLE_NOMEM);
        ndmsg ndm{};
        ndm.ndm_family = AF_INET;
        ndm.ndm_flags = NTF_PROXY;
        int err = nlmsg_append(msg.get(), &ndm, sizeof ndm, NLMSG_ALIGNTO);
        if (err < 0) throw NetlinkError("cannot build a proxy neighbour dump request", err);
        err = nl_send_auto(sock_.get(), msg.get());
        if (err < 0) throw NetlinkError("cannot request proxy neighbours in " + ns(), err);

        std::vector<ProxyNeigh> out;
        DumpState st{&out, nullptr};
        nl_cb* base = nl_socket_get_cb(sock_.get());
        NlCb cb(nl_cb_clone(base));
        nl_cb_put(base);
        if (!cb) throw NetlinkError("cannot allocate a netlink callback", -NLE_NOMEM);
        nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, &LibnlNetlink::on_proxy, &st);
        err = nl_recvmsgs(sock_.get(), cb.get());
        if (st.failure) std::rethrow_exception(st.failure);
        if (err < 0) throw NetlinkError("cannot read proxy neighbours in " + ns(), err);

        NlCache names = link_cache("name the devices of proxy neighbours");
        for (auto& p : out) {
            char buf[IFNAMSIZ + 1];
            if (p.ifindex > 0 && rtnl_link_i2name(names.get(), p.ifindex, buf, sizeof buf)) {
                p.dev = buf;
            }
        }
        return out;
    }

    std::string ns_;
    NlSock sock_;
};

}  // namespace

std::unique_ptr<Netlink> make_netlink(const std::string& netns_path) {
    return std::make_unique<LibnlNetlink>(netns_path);
}

}  // namespace vzlvs
