// IPVS over generic netlink, as ipvsadm's libipvs speaks it: the family "IPVS", a service
// nested in IPVS_CMD_ATTR_SERVICE (family, protocol, 16-byte address, port in network order,
// and for a new one scheduler, flags, timeout, netmask), a real server nested in
// IPVS_CMD_ATTR_DEST (address, port, forwarding method, weight, thresholds).
#include "vzlvs/net/ipvs.hpp"

#include <arpa/inet.h>
#include <linux/ip_vs.h>
#include <netinet/in.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include <cstring>

#include "net/netlink_socket.hpp"
#include "vzlvs/base/addr.hpp"
#include "vzlvs/net/netlink.hpp"

namespace vzlvs {

using detail::NlCb;
using detail::NlMsg;
using detail::NlSock;

std::string IpvsService::key() const { return vip + ":" + std::to_string(port) + "/" + protocol; }

std::string IpvsDest::key() const { return host + ":" + std::to_string(port); }

namespace {

uint32_t fwd_of(const std::string& method) {
    return method == "dr"    ? IP_VS_CONN_F_DROUTE
           : method == "nat" ? IP_VS_CONN_F_MASQ
                             : IP_VS_CONN_F_TUNNEL;
}

std::string method_of(uint32_t fwd) {
    switch (fwd & IP_VS_CONN_F_FWD_MASK) {
        case IP_VS_CONN_F_TUNNEL:
            return "tunnel";
        case IP_VS_CONN_F_DROUTE:
            return "dr";
        case IP_VS_CONN_F_MASQ:
            return "nat";
        default:
            return "local";
    }
}

// The 16-byte address IPVS takes (union nf_inet_addr), an IPv4 one in its first 4 bytes.
void put_addr(nl_msg* m, int attr, const std::string& ip) {
    const auto a = parse_ipv4(ip);
    if (!a) throw Error("IPVS: '" + ip + "' is not an IPv4 address");
    unsigned char buf[16] = {};
    const uint32_t be = htonl(*a);
    std::memcpy(buf, &be, sizeof be);
    nla_put(m, attr, sizeof buf, buf);
}

std::string addr_of(nlattr* a) {
    if (!a || nla_len(a) < 4) return {};
    char buf[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, nla_data(a), buf, sizeof buf) ? buf : "";
}

void put_service(nl_msg* m, const IpvsService& s, bool full) {
    nlattr* nest = nla_nest_start(m, IPVS_CMD_ATTR_SERVICE);
    nla_put_u16(m, IPVS_SVC_ATTR_AF, AF_INET);
    nla_put_u16(m, IPVS_SVC_ATTR_PROTOCOL, s.protocol == "udp" ? IPPROTO_UDP : IPPROTO_TCP);
    put_addr(m, IPVS_SVC_ATTR_ADDR, s.vip);
    nla_put_u16(m, IPVS_SVC_ATTR_PORT, htons(s.port));
    if (full) {
        nla_put_string(m, IPVS_SVC_ATTR_SCHED_NAME, s.scheduler.c_str());
        const ip_vs_flags flags{0, ~0U};
        nla_put(m, IPVS_SVC_ATTR_FLAGS, sizeof flags, &flags);
        nla_put_u32(m, IPVS_SVC_ATTR_TIMEOUT, 0);
        nla_put_u32(m, IPVS_SVC_ATTR_NETMASK, ~0U);
    }
    nla_nest_end(m, nest);
}

void put_dest(nl_msg* m, const IpvsDest& d, bool full) {
    nlattr* nest = nla_nest_start(m, IPVS_CMD_ATTR_DEST);
    put_addr(m, IPVS_DEST_ATTR_ADDR, d.host);
    nla_put_u16(m, IPVS_DEST_ATTR_PORT, htons(d.port));
    if (full) {
        nla_put_u32(m, IPVS_DEST_ATTR_FWD_METHOD, fwd_of(d.method));
        nla_put_u32(m, IPVS_DEST_ATTR_WEIGHT, static_cast<uint32_t>(d.weight));
        nla_put_u32(m, IPVS_DEST_ATTR_U_THRESH, 0);
        nla_put_u32(m, IPVS_DEST_ATTR_L_THRESH, 0);
    }
    nla_nest_end(m, nest);
}

class GenlIpvs final : public Ipvs {
  public:
    GenlIpvs() : sock_(nl_socket_alloc()) {
        if (!sock_) throw NetlinkError("cannot allocate a netlink socket for IPVS", -NLE_NOMEM);
        int err = genl_connect(sock_.get());
        if (err < 0) throw NetlinkError("cannot open a generic netlink socket for IPVS", err);
        family_ = genl_ctrl_resolve(sock_.get(), IPVS_GENL_NAME);
        if (family_ < 0)
            throw NetlinkError("the kernel has no IPVS", family_,
                               "load it (modprobe ip_vs) and make it load at boot");
    }

    std::vector<IpvsEntry> dump() override {
        std::vector<IpvsEntry> out;
        NlMsg m = message(IPVS_CMD_GET_SERVICE, NLM_F_DUMP);
        receive(std::move(m), "list IPVS services", [&](nlattr** attrs) {
            nlattr* svc[IPVS_SVC_ATTR_MAX + 1] = {};
            if (!attrs[IPVS_CMD_ATTR_SERVICE] ||
                nla_parse_nested(svc, IPVS_SVC_ATTR_MAX, attrs[IPVS_CMD_ATTR_SERVICE], nullptr) < 0)
                return;
            if (!svc[IPVS_SVC_ATTR_AF] || nla_get_u16(svc[IPVS_SVC_ATTR_AF]) != AF_INET) return;
            if (svc[IPVS_SVC_ATTR_FWMARK] && nla_get_u32(svc[IPVS_SVC_ATTR_FWMARK]) != 0) return;
            if (!svc[IPVS_SVC_ATTR_PROTOCOL] || !svc[IPVS_SVC_ATTR_PORT]) return;
            const uint16_t proto = nla_get_u16(svc[IPVS_SVC_ATTR_PROTOCOL]);
            if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) return;
            IpvsEntry e;
            e.service.vip = addr_of(svc[IPVS_SVC_ATTR_ADDR]);
            e.service.port = ntohs(nla_get_u16(svc[IPVS_SVC_ATTR_PORT]));
            e.service.protocol = proto == IPPROTO_UDP ? "udp" : "tcp";
            if (svc[IPVS_SVC_ATTR_SCHED_NAME])
                e.service.scheduler = nla_get_string(svc[IPVS_SVC_ATTR_SCHED_NAME]);
            out.push_back(e);
        });
        for (auto& e : out) e.dests = dests(e.service);
        return out;
    }

    void add_service(const IpvsService& s) override {
        NlMsg m = message(IPVS_CMD_NEW_SERVICE, 0);
        put_service(m.get(), s, true);
        send(std::move(m), "add IPVS service " + s.key());
    }
    void edit_service(const IpvsService& s) override {
        NlMsg m = message(IPVS_CMD_SET_SERVICE, 0);
        put_service(m.get(), s, true);
        send(std::move(m), "change IPVS service " + s.key());
    }
    void del_service(const IpvsService& s) override {
        NlMsg m = message(IPVS_CMD_DEL_SERVICE, 0);
        put_service(m.get(), s, false);
        send(std::move(m), "delete IPVS service " + s.key());
    }
    void add_dest(const IpvsService& s, const IpvsDest& d) override {
        NlMsg m = message(IPVS_CMD_NEW_DEST, 0);
        put_service(m.get(), s, false);
        put_dest(m.get(), d, true);
        send(std::move(m), "add real server " + d.key() + " to " + s.key());
    }
    void edit_dest(const IpvsService& s, const IpvsDest& d) override {
        NlMsg m = message(IPVS_CMD_SET_DEST, 0);
        put_service(m.get(), s, false);
        put_dest(m.get(), d, true);
        send(std::move(m), "change real server " + d.key() + " of " + s.key());
    }
    void del_dest(const IpvsService& s, const IpvsDest& d) override {
        NlMsg m = message(IPVS_CMD_DEL_DEST, 0);
        put_service(m.get(), s, false);
        put_dest(m.get(), d, false);
        send(std::move(m), "delete real server " + d.key() + " from " + s.key());
    }

  private:
    std::vector<IpvsDest> dests(const IpvsService& s) {
        std::vector<IpvsDest> out;
        NlMsg m = message(IPVS_CMD_GET_DEST, NLM_F_DUMP);
        put_service(m.get(), s, false);
        receive(std::move(m), "list the real servers of " + s.key(), [&](nlattr** attrs) {
            nlattr* d[IPVS_DEST_ATTR_MAX + 1] = {};
            if (!attrs[IPVS_CMD_ATTR_DEST] ||
                nla_parse_nested(d, IPVS_DEST_ATTR_MAX, attrs[IPVS_CMD_ATTR_DEST], nullptr) < 0)
                return;
            if (!d[IPVS_DEST_ATTR_PORT]) return;
            IpvsDest x;
            x.host = addr_of(d[IPVS_DEST_ATTR_ADDR]);
            x.port = ntohs(nla_get_u16(d[IPVS_DEST_ATTR_PORT]));
            if (d[IPVS_DEST_ATTR_WEIGHT])
                x.weight = static_cast<int>(nla_get_u32(d[IPVS_DEST_ATTR_WEIGHT]));
            if (d[IPVS_DEST_ATTR_FWD_METHOD])
                x.method = method_of(nla_get_u32(d[IPVS_DEST_ATTR_FWD_METHOD]));
            if (!x.host.empty()) out.push_back(x);
        });
        return out;
    }

    NlMsg message(uint8_t cmd, int flags) {
        NlMsg m(nlmsg_alloc());
        if (!m || !genlmsg_put(m.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, flags, cmd,
                               IPVS_GENL_VERSION))
            throw NetlinkError("cannot build an IPVS request", -NLE_NOMEM);
        return m;
    }

    void send(NlMsg m, const std::string& what) {
        const int err = nl_send_sync(sock_.get(), m.release());  // frees the message
        if (err < 0) throw NetlinkError("cannot " + what, err);
    }

    struct Receiver {
        std::function<void(nlattr**)>* each;
    };
    static int on_valid(nl_msg* msg, void* arg) {
        nlattr* attrs[IPVS_CMD_ATTR_MAX + 1] = {};
        if (genlmsg_parse(nlmsg_hdr(msg), 0, attrs, IPVS_CMD_ATTR_MAX, nullptr) == 0)
            (*static_cast<Receiver*>(arg)->each)(attrs);
        return NL_OK;
    }

    void receive(NlMsg m, const std::string& what, std::function<void(nlattr**)> each) {
        int err = nl_send_auto(sock_.get(), m.get());
        if (err < 0) throw NetlinkError("cannot " + what, err);
        NlCb cb(nl_cb_clone(nl_socket_get_cb(sock_.get())));
        if (!cb) throw NetlinkError("cannot " + what, -NLE_NOMEM);
        Receiver r{&each};
        nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, on_valid, &r);
        err = nl_recvmsgs(sock_.get(), cb.get());
        if (err < 0) throw NetlinkError("cannot " + what, err);
    }

    NlSock sock_;
    int family_ = -1;
};

}  // namespace

std::unique_ptr<Ipvs> make_ipvs() { return std::make_unique<GenlIpvs>(); }

}  // namespace vzlvs
