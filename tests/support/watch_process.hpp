// What the watch tests run: `vzlvs watch` in the background, its log lines awaited as they
// come, and a TCP relay from a node namespace's 127.0.0.1 to the test director.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/standin.hpp"
#include "vzlvs/net/netlink.hpp"

namespace vzlvs::test {

using namespace std::chrono_literals;

// Bounds for something that must happen; never waited in full when it does.
constexpr auto kRepairWait = 60s;
constexpr auto kExitWait = 20s;

// ---- a TCP relay: node namespace 127.0.0.1:PORT → this namespace's 127.0.0.1:PORT ----------

class NsRelay {
  public:
    NsRelay(const std::string& netns_path, int port) : port_(port) {
        stop_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (stop_ < 0) throw std::runtime_error("eventfd failed");
        // A socket stays in the namespace it was created in: make it there, use it here.
        in_netns(netns_path, [&] { listen_ = listen_on(port); });
        thread_ = std::thread([this] { accept_loop(); });
    }
    ~NsRelay() {
        const uint64_t one = 1;
        const ssize_t n = ::write(stop_, &one, sizeof one);
        (void)n;
        if (thread_.joinable()) thread_.join();
        for (auto& t : pumps_) t.join();
        ::close(listen_);
        ::close(stop_);
    }
    NsRelay(const NsRelay&) = delete;
    NsRelay& operator=(const NsRelay&) = delete;

  private:
    static sockaddr_in loopback(int port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return a;
    }
    static int listen_on(int port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a = loopback(port);
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
            ::listen(fd, 16) != 0)
            throw std::runtime_error(std::string("relay listen: ") + std::strerror(errno));
        return fd;
    }
    void accept_loop() {
        for (;;) {
            pollfd p[2] = {{listen_, POLLIN, 0}, {stop_, POLLIN, 0}};
            if (::poll(p, 2, -1) < 0 && errno != EINTR) return;
            if (p[1].revents) return;
            if (!(p[0].revents & POLLIN)) continue;
            const int in = ::accept4(listen_, nullptr, nullptr, SOCK_CLOEXEC);
            if (in < 0) continue;
            const int out = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in a = loopback(port_);
            if (out < 0 || ::connect(out, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
                ::close(in);  // director down: the client sees a reset, as it would directly
                if (out >= 0) ::close(out);
                continue;
            }
            pumps_.emplace_back([this, in, out] { pump(in, out); });
        }
    }
    void pump(int a, int b) {
        char buf[16384];
        for (;;) {
            pollfd p[3] = {{a, POLLIN, 0}, {b, POLLIN, 0}, {stop_, POLLIN, 0}};
            if (::poll(p, 3, -1) < 0 && errno != EINTR) break;
            if (p[2].revents) break;
            bool done = false;
            for (int i = 0; i < 2 && !done; ++i) {
                if (!p[i].revents) continue;
                const ssize_t n = ::read(p[i].fd, buf, sizeof buf);
                if (n <= 0) {
                    done = true;
                    break;
                }
                const int to = i == 0 ? b : a;
                for (ssize_t off = 0; off < n;) {
                    const ssize_t w = ::write(to, buf + off, static_cast<size_t>(n - off));
                    if (w <= 0) {
                        done = true;
                        break;
                    }
                    off += w;
                }
            }
            if (done) break;
        }
        ::close(a);
        ::close(b);
    }

    int port_;
    int listen_ = -1;
    int stop_ = -1;
    std::thread thread_;
    std::vector<std::thread> pumps_;  // touched by the accept thread only until it is joined
};

// ---- `vzlvs watch` in the background --------------------------------------------------------

class WatchProcess {
  public:
    // `wrap`: a command that runs the rest (tests/tools/devlog SOCKET).
    WatchProcess(const StandinNode& node, const std::string& config, const std::string& interval,
                 std::vector<std::string> wrap = {}) {
        std::vector<std::string> argv = std::move(wrap);
        for (const std::string& a :
             {std::string("ip"), std::string("netns"), std::string("exec"), node.node_netns_name(),
              std::string(VZLVS_BINARY), std::string("-v"), std::string("-c"), config,
              std::string("watch"), std::string("--interval"), interval})
            argv.push_back(a);
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        std::vector<char*> args;
        for (auto& a : argv) args.push_back(a.data());
        args.push_back(nullptr);
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a crashed test
            const int null = ::open("/dev/null", O_RDONLY);
            ::dup2(null, 0);
            ::dup2(fds[1], 1);
            ::dup2(fds[1], 2);
            ::execvp(args[0], args.data());
            ::_exit(127);
        }
        ::close(fds[1]);
        reader_ = std::thread([this, fd = fds[0]] { read_lines(fd); });
    }
    ~WatchProcess() {
        if (pid_ > 0) {
            const int rc = stop();
            EXPECT_EQ(rc, 0) << "vzlvs watch did not exit 0 on SIGTERM; its log:\n" << log();
        }
        if (reader_.joinable()) reader_.join();
    }
    WatchProcess(const WatchProcess&) = delete;
    WatchProcess& operator=(const WatchProcess&) = delete;

    // Sends sig and waits for the exit (bounded). Returns the exit code; -1 when it had to
    // be killed or died by a signal.
    int stop(int sig = SIGTERM) {
        if (pid_ <= 0) return exit_code_;
        ::kill(pid_, sig);
        // The end of its output is its exit: watch's own children are short-lived, and a
        // pidfd (Linux 5.3) is not there under the Linux 3.10 profile.
        bool exited;
        {
            std::unique_lock<std::mutex> l(mu_);
            exited = cv_.wait_for(l, kExitWait, [&] { return eof_; });
        }
        if (!exited) ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        exit_code_ = exited && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return exit_code_;
    }

    pid_t pid() const { return pid_; }  // `ip netns exec` execs vzlvs: the pid is watch's

    // Index of the next line to be read: wait_line(..., mark()) only sees what comes after.
    std::size_t mark() {
        std::lock_guard<std::mutex> l(mu_);
        return lines_.size();
    }
    // Waits for a line at index >= from that contains needle; returns its index or -1.
    long wait_line(const std::string& needle, std::size_t from = 0) {
        std::unique_lock<std::mutex> l(mu_);
        long found = -1;
        cv_.wait_for(l, kRepairWait, [&] {
            for (std::size_t i = from; i < lines_.size(); ++i)
                if (lines_[i].find(needle) != std::string::npos) {
                    found = static_cast<long>(i);
                    return true;
                }
            return eof_;
        });
        return found;
    }
    std::vector<std::string> lines() {
        std::lock_guard<std::mutex> l(mu_);
        return lines_;
    }
    std::string log() {
        std::string s;
        for (const auto& l : lines()) s += l + "\n";
        return s;
    }

  private:
    void read_lines(int fd) {
        std::string partial;
        char buf[4096];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            partial.append(buf, static_cast<size_t>(n));
            std::lock_guard<std::mutex> l(mu_);
            for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;) {
                lines_.push_back(partial.substr(0, nl));
                partial.erase(0, nl + 1);
            }
            cv_.notify_all();
        }
        ::close(fd);
        std::lock_guard<std::mutex> l(mu_);
        eof_ = true;
        cv_.notify_all();
    }

    pid_t pid_ = -1;
    int exit_code_ = -1;
    std::thread reader_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
    bool eof_ = false;
};

}  // namespace vzlvs::test
