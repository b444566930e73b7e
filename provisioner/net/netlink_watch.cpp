#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "net/netlink_socket.hpp"
#include "vzlvs/net/netlink.hpp"

namespace vzlvs {
using namespace detail;

namespace {

// Large enough that a burst (a CT start adds a route and neighbours per IP) does not overrun;
// an overrun is survived anyway by the re-dump.
constexpr int kReceiveBuffer = 1 << 20;

// The attributes of a route or neighbour message, after its fixed header.
template <typename Fn>
void each_attr(const nlmsghdr* h, std::size_t fixed, Fn fn) {
    const std::size_t len = h->nlmsg_len;
    std::size_t off = NLMSG_LENGTH(NLMSG_ALIGN(fixed));
    while (off + sizeof(rtattr) <= len) {
        const auto* a = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(h) + off);
        if (a->rta_len < sizeof(rtattr) || a->rta_len > len - off) return;
        fn(a->rta_type, RTA_DATA(a), a->rta_len - RTA_LENGTH(0));
        off += RTA_ALIGN(a->rta_len);
    }
}

std::string ipv4_text(const void* data) {
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, data, buf, sizeof buf);
    return buf;
}

// What a notification may have added: a route to a /32 or a proxy entry, each kept. Other
// routes, deletions and the ARP cache's state changes cannot matter, so a busy node's
// agent does not wake for them. Returns false for a message it cannot read (resync).
bool take(const nlmsghdr* h, NetEvents& e) {
    if (h->nlmsg_type == RTM_NEWROUTE) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(rtmsg))) return false;
        const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(h));
        if (rtm->rtm_family != AF_INET || rtm->rtm_dst_len != 32) return true;
        RouteInfo r;
        r.table = rtm->rtm_table;
        r.scope = rtm->rtm_scope;
        r.protocol = rtm->rtm_protocol;
        r.type = rtm->rtm_type;
        each_attr(h, sizeof(rtmsg), [&](unsigned type, const void* data, std::size_t n) {
            if (type == RTA_DST && n == 4) r.dst = ipv4_text(data) + "/32";
            if (type == RTA_OIF && n == 4) r.oif = *static_cast<const int*>(data);
            if (type == RTA_TABLE && n == 4) r.table = *static_cast<const unsigned*>(data);
            if (type == RTA_PRIORITY && n == 4) r.priority = *static_cast<const unsigned*>(data);
        });
        if (r.dst.empty()) return false;
        e.routes.push_back(r);
        return true;
    }
    if (h->nlmsg_type == RTM_NEWNEIGH) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ndmsg))) return false;
        const auto* ndm = static_cast<const ndmsg*>(NLMSG_DATA(h));
        if (!(ndm->ndm_flags & NTF_PROXY) || ndm->ndm_family != AF_INET) return true;
        ProxyNeigh p;
        p.ifindex = ndm->ndm_ifindex;
        each_attr(h, sizeof(ndmsg), [&](unsigned type, const void* data, std::size_t n) {
            if (type == NDA_DST && n == 4) p.ip = ipv4_text(data);
        });
        if (p.ip.empty()) return false;
        e.proxies.push_back(p);
        return true;
    }
    return h->nlmsg_type != NLMSG_ERROR;
}

// Reads every queued notification without blocking, into e.
void drain(int fd, const std::string& ns, NetEvents& e) {
    alignas(nlmsghdr) static thread_local char buf[1 << 16];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            // The kernel dropped notifications: only a full re-dump can tell what we missed.
            if (errno == ENOBUFS) {
                e.resync = true;
                continue;
            }
            const int err = errno;
            throw NetlinkError("cannot read route/neighbour notifications in " + ns,
                               -nl_syserr2nlerr(err));
        }
        if (static_cast<size_t>(n) > sizeof buf) {
            e.resync = true;  // truncated: assume the worst
            continue;
        }
        // NLMSG_OK/NLMSG_NEXT compare signed with unsigned; walk the datagram by hand.
        const std::size_t size = static_cast<std::size_t>(n);
        std::size_t off = 0;
        while (off + sizeof(nlmsghdr) <= size) {
            const auto* h = reinterpret_cast<const nlmsghdr*>(buf + off);
            if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > size - off) break;
            if (!take(h, e)) e.resync = true;
            off += NLMSG_ALIGN(h->nlmsg_len);
        }
    }
}

}  // namespace

bool watch_routes_and_neighbours(const std::string& netns_path, std::chrono::milliseconds timeout,
                                 const std::function<bool()>& on_event) {
    return watch_routes_and_neighbours(netns_path, timeout, on_event, -1);
}

bool watch_routes_and_neighbours(const std::string& netns_path, std::chrono::milliseconds timeout,
                                 const std::function<bool()>& on_event, int wake_fd) {
    return watch_net_events(
        netns_path, timeout, [&](const NetEvents&) { return on_event(); }, wake_fd);
}

bool watch_net_events(const std::string& netns_path, std::chrono::milliseconds timeout,
                      const std::function<bool(const NetEvents&)>& on_event, int wake_fd) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + timeout;
    const std::string ns = ns_label(netns_path);
    NlSock sock = open_route_socket(netns_path, "route/neighbour notifications");
    // Notifications carry no sequence numbers of ours.
    nl_socket_disable_seq_check(sock.get());
    int err = nl_socket_add_memberships(sock.get(), RTNLGRP_IPV4_ROUTE, RTNLGRP_NEIGH, 0);
    if (err < 0) {
        throw NetlinkError("cannot subscribe to route and neighbour notifications in " + ns, err);
    }
    const int fd = nl_socket_get_fd(sock.get());
    // SO_RCVBUF is capped by net.core.rmem_max (about 200 KiB); root may go past it. Without
    // the privilege the capped size is kept: overruns are still handled, just more often.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBuffer, sizeof kReceiveBuffer) != 0) {
        ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kReceiveBuffer, sizeof kReceiveBuffer);
    }

    // Subscribed before this first dump, so whatever appears while it runs is still queued.
    NetEvents first;
    first.resync = true;
    if (on_event(first)) return true;

    for (;;) {
        const auto remaining = deadline - clock::now();
        if (remaining <= clock::duration::zero()) return false;
        // Rounded up so a sub-millisecond remainder still waits instead of spinning at 0.
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(remaining);
        pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}};  // a negative fd is ignored
        pollfd& pfd = fds[0];
        const int wait_ms = static_cast<int>(std::min<long long>(left.count(), INT_MAX));
        int rc = ::poll(fds, 2, wait_ms);
        if (rc < 0) {
            const int e = errno;
            if (e == EINTR) continue;
            throw Error("cannot wait for route/neighbour notifications in " + ns +
                        " (poll): " + std::strerror(e));
        }
        if (rc == 0) continue;  // the loop head decides whether time is really up
        // Woken: the caller reads wake_fd itself.
        if (fds[1].revents != 0) return false;
        if (pfd.revents & (POLLERR | POLLIN)) {
            NetEvents e;
            drain(fd, ns, e);
            if ((e.resync || !e.routes.empty() || !e.proxies.empty()) && on_event(e)) return true;
        } else if (pfd.revents & (POLLHUP | POLLNVAL)) {
            throw Error("the route/neighbour notification socket in " + ns +
                        " was closed unexpectedly");
        }
    }
}

}  // namespace vzlvs
