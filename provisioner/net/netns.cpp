#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <system_error>
#include <thread>

#include "net/netlink_socket.hpp"
#include "vzlvs/net/netlink.hpp"

namespace vzlvs {

namespace {

// Moves the calling thread into the namespace at netns_path: only ever a thread of
// in_netns()/in_each_netns() that exits afterwards (restoring the old namespace could fail).
void enter_netns(const std::string& netns_path) {
    const int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        throw Error("cannot open network namespace " + netns_path + ": " + std::strerror(errno) +
                    "; check that it exists (`ip netns list`, or that the container is running)");
    }
    const int rc = ::setns(fd, CLONE_NEWNET);
    const int err = errno;
    ::close(fd);
    if (rc != 0) {
        throw Error("cannot enter network namespace " + netns_path + " (setns): " +
                    std::strerror(err) + "; this needs CAP_SYS_ADMIN and a network namespace file");
    }
}

}  // namespace

void in_netns(const std::string& netns_path, const std::function<void()>& fn) {
    if (netns_path.empty()) {
        fn();
        return;
    }
    std::exception_ptr failure;
    in_each_netns(
        {netns_path}, [&](std::size_t) { fn(); },
        [&](std::size_t, std::exception_ptr e) { failure = std::move(e); });
    if (failure) std::rethrow_exception(failure);
}

void in_each_netns(const std::vector<std::string>& netns_paths,
                   const std::function<void(std::size_t)>& fn,
                   const std::function<void(std::size_t, std::exception_ptr)>& done) {
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (std::size_t i; (i = next++) < netns_paths.size();) {
            std::exception_ptr failure;
            try {
                enter_netns(netns_paths[i]);
                fn(i);
            } catch (...) {
                failure = std::current_exception();
            }
            done(i, std::move(failure));
        }
    };
    const std::size_t threads = std::min<std::size_t>(
        netns_paths.size(), std::max(1u, std::thread::hardware_concurrency()));
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
        try {
            workers.emplace_back(work);
        } catch (const std::system_error&) {
            if (workers.empty()) throw;  // nothing started: nothing to wait for
            break;                       // the threads there are share the items
        }
    }
    for (auto& w : workers) w.join();
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
