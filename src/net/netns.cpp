#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include "net/netlink.hpp"
#include "net/netlink_socket.hpp"

namespace vzlvs {

void in_netns(const std::string& netns_path, const std::function<void()>& fn) {
    if (netns_path.empty()) {
        fn();
        return;
    }
    int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw Error("cannot open network namespace " + netns_path + ": " + std::strerror(errno) +
                    "; check that it exists (`ip netns list`, or that the container is running)");
    }
    // A throwaway thread takes the setns() so no thread of ours is ever left in the wrong
    // namespace, whatever fn does; restoring the old namespace could itself fail.
    std::exception_ptr failure;
    std::thread worker([&] {
        try {
            if (::setns(fd, CLONE_NEWNET) != 0) {
                throw Error("cannot enter network namespace " + netns_path +
                            " (setns): " + std::strerror(errno) +
                            "; this needs CAP_SYS_ADMIN and a network namespace file");
            }
            fn();
        } catch (...) {
            failure = std::current_exception();
        }
    });
    worker.join();
    ::close(fd);
    if (failure) std::rethrow_exception(failure);
}

namespace detail {

std::string ns_label(const std::string& netns_path) {
    return netns_path.empty() ? "the current network namespace" : "network namespace " + netns_path;
}

NlSock open_route_socket(const std::string& netns_path, const std::string& purpose) {
    NlSock sock;
    in_netns(netns_path, [&] {
        sock.reset(nl_socket_alloc());
        if (!sock) {
            throw NetlinkError("cannot allocate a netlink socket for " + purpose, -NLE_NOMEM);
        }
        int err = nl_connect(sock.get(), NETLINK_ROUTE);
        if (err < 0) {
            throw NetlinkError(
                "cannot open a netlink socket for " + purpose + " in " + ns_label(netns_path), err);
        }
    });
    return sock;
}

}  // namespace detail
}  // namespace vzlvs
