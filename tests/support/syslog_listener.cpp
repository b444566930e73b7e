#include "support/syslog_listener.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "vzlvs/base/error.hpp"

namespace vzlvs::test {

SyslogListener::SyslogListener() {
    char tmpl[] = "/tmp/vzlvs-syslog-XXXXXX";
    if (!::mkdtemp(tmpl)) throw Error(std::string("mkdtemp: ") + std::strerror(errno));
    dir_ = tmpl;
    path_ = dir_ + "/log";
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::pipe2(stop_, O_CLOEXEC) != 0)
        throw Error("syslog listener at " + path_ + ": " + std::strerror(errno));
    thread_ = std::thread([this] { receive(); });
}

SyslogListener::~SyslogListener() {
    if (stop_[1] >= 0) (void)::write(stop_[1], "x", 1);
    if (thread_.joinable()) thread_.join();
    for (int fd : {fd_, stop_[0], stop_[1]})
        if (fd >= 0) ::close(fd);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

void SyslogListener::receive() {
    char buf[8192];
    for (;;) {
        pollfd p[2] = {{fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
        if (::poll(p, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if (p[1].revents) return;
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) continue;
        std::string m(buf, static_cast<size_t>(n));
        while (!m.empty() && (m.back() == '\n' || m.back() == '\0')) m.pop_back();
        std::lock_guard<std::mutex> l(mu_);
        messages_.push_back(std::move(m));
        cv_.notify_all();
    }
}

std::string SyslogListener::wait_for(const std::string& needle, std::chrono::milliseconds wait) {
    std::unique_lock<std::mutex> l(mu_);
    std::string found;
    cv_.wait_for(l, wait, [&] {
        for (const auto& m : messages_)
            if (m.find(needle) != std::string::npos) {
                found = m;
                return true;
            }
        return false;
    });
    return found;
}

std::vector<std::string> SyslogListener::messages() {
    std::lock_guard<std::mutex> l(mu_);
    return messages_;
}

}  // namespace vzlvs::test
