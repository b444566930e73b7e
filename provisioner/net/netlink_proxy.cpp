// LibnlNetlink: proxy neighbours (the pneigh table), dumped by hand (net/libnl_netlink.hpp).
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/errno.h>

#include <exception>

#include "net/libnl_netlink.hpp"

namespace vzlvs::detail {

std::vector<ProxyNeigh> LibnlNetlink::proxy_neighbours(const std::string& ip) {
    NlAddr want;
    if (!ip.empty()) want = nl_ipv4(ip, "proxy neighbour lookup");
    std::vector<ProxyNeigh> all = dump_proxies();
    std::vector<ProxyNeigh> out;
    for (auto& p : all) {
        if (!want || p.ip == addr_str(want.get())) out.push_back(std::move(p));
    }
    return out;
}

void LibnlNetlink::delete_proxy_neighbour(const ProxyNeigh& entry) {
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

void LibnlNetlink::add_proxy_neighbour(const std::string& ip, const std::string& dev) {
    int ifindex = require_ifindex(dev, "add proxy neighbour " + ip + " on it");
    RtNeigh n = proxy_object(ip, ifindex);
    int err = rtnl_neigh_add(sock_.get(), n.get(), 0);
    if (err < 0) {
        throw NetlinkError("cannot add proxy neighbour " + ip + " dev " + dev + " in " + ns(), err);
    }
}

RtNeigh LibnlNetlink::proxy_object(const std::string& ip, int ifindex) {
    NlAddr dst = nl_ipv4(ip, "proxy neighbour");
    RtNeigh n(rtnl_neigh_alloc());
    rtnl_neigh_set_family(n.get(), AF_INET);
    rtnl_neigh_set_ifindex(n.get(), ifindex);
    rtnl_neigh_set_dst(n.get(), dst.get());
    // NTF_PROXY sends the request to the pneigh table instead of the ARP cache.
    rtnl_neigh_set_flags(n.get(), NTF_PROXY);
    return n;
}

int LibnlNetlink::on_proxy(nl_msg* msg, void* arg) {
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

std::vector<ProxyNeigh> LibnlNetlink::dump_proxies() {
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

}  // namespace vzlvs::detail
