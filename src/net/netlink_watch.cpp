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

#include "net/netlink.hpp"
#include "net/netlink_socket.hpp"

namespace vzlvs {
using namespace detail;

namespace {

// Large enough that a burst (a CT start adds a route and neighbours per IP) does not overrun;
// an overrun is survived anyway by the re-dump.
constexpr int kReceiveBuffer = 1 << 20;

// Could this notification have created a route or proxy entry we must remove? Deletions and
// the ARP cache's state changes cannot, and re-dumping on each of them would make a busy
// node's agent spin.
bool may_add_something(const nlmsghdr* h) {
    if (h->nlmsg_type == RTM_NEWROUTE) return true;
    if (h->nlmsg_type == RTM_NEWNEIGH) {
        if (h->nlmsg_len < NLMSG_LENGTH(sizeof(ndmsg))) return true;
        auto* ndm = static_cast<const ndmsg*>(NLMSG_DATA(h));
        return ndm->ndm_flags & NTF_PROXY;
    }
    return false;
}

enum class Drain { nothing_relevant, relevant, overrun };

// Reads every queued notification without blocking. We never need their content beyond the
// header (on_event re-dumps), so the datagrams are scanned in place instead of being parsed
// into libnl objects.
Drain drain(int fd, const std::string& ns) {
    alignas(nlmsghdr) static thread_local char buf[1 << 16];
    Drain result = Drain::nothing_relevant;
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return result;
            // The kernel dropped notifications: only a full re-dump can tell what we missed.
            if (errno == ENOBUFS) {
                result = Drain::overrun;
                continue;
            }
            const int err = errno;
            throw NetlinkError("cannot read route/neighbour notifications in " + ns,
                               -nl_syserr2nlerr(err));
        }
        if (static_cast<size_t>(n) > sizeof buf) {
            if (result != Drain::overrun) result = Drain::relevant;  // truncated: assume the worst
            continue;
        }
        // NLMSG_OK/NLMSG_NEXT compare signed with unsigned; walk the datagram by hand.
        const std::size_t size = static_cast<std::size_t>(n);
        std::size_t off = 0;
        while (off + sizeof(nlmsghdr) <= size) {
            const auto* h = reinterpret_cast<const nlmsghdr*>(buf + off);
            if (h->nlmsg_len < sizeof(nlmsghdr) || h->nlmsg_len > size - off) break;
            if (h->nlmsg_type == NLMSG_ERROR || may_add_something(h)) {
                if (result != Drain::overrun) result = Drain::relevant;
            }
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
    if (on_event()) return true;

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
            if (drain(fd, ns) != Drain::nothing_relevant && on_event()) return true;
        } else if (pfd.revents & (POLLHUP | POLLNVAL)) {
            throw Error("the route/neighbour notification socket in " + ns +
                        " was closed unexpectedly");
        }
    }
}

}  // namespace vzlvs
