#include "vzlvs/base/signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "vzlvs/base/error.hpp"
#include "vzlvs/base/process.hpp"

namespace vzlvs {

namespace {

volatile sig_atomic_t g_signal = 0;
volatile sig_atomic_t g_reload = 0;
std::atomic<bool> g_nudged{false};
int g_stop_write = -1, g_reload_write = -1;

void wake(int fd) {
    if (fd < 0) return;
    const ssize_t n = ::write(fd, "x", 1);
    (void)n;  // full pipe: it is readable already
}

extern "C" void on_stop_signal(int sig) {
    const int saved = errno;
    if (sig == SIGHUP) {
        g_reload = 1;
        wake(g_reload_write);
    } else {
        g_signal = sig;
        kill_children_ending_with_vzlvs();
        wake(g_stop_write);
    }
    errno = saved;
}

void nonblocking_pipe(int& read_end, int& write_end) {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        throw Error(std::string("cannot create the signal pipe: ") + std::strerror(errno));
    read_end = fds[0];
    write_end = fds[1];
}

extern "C" void on_fatal_signal(int sig) {
    kill_children_ending_with_vzlvs();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

}  // namespace

void end_children_with_vzlvs_on_signals() {
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGTERM, SIGINT, SIGHUP}) {
        struct sigaction old {};
        // A signal the caller ignores (nohup) stays ignored.
        if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        ::sigaction(sig, &sa, nullptr);
    }
}

StopSignals::StopSignals() {
    nonblocking_pipe(read_, write_);
    nonblocking_pipe(reload_read_, reload_write_);
    g_signal = 0;
    g_reload = 0;
    g_stop_write = write_;
    g_reload_write = reload_write_;
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, &old_term_);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGHUP, &sa, &old_hup_);
}

StopSignals::~StopSignals() {
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGHUP, &old_hup_, nullptr);
    g_stop_write = g_reload_write = -1;
    for (int fd : {read_, write_, reload_read_, reload_write_}) ::close(fd);
}

bool StopSignals::requested() const { return g_signal != 0; }

void StopSignals::request() {
    g_signal = SIGTERM;
    wake(write_);
}

bool StopSignals::take_reload() {
    if (!g_reload) return false;
    g_reload = 0;
    char buf[64];
    while (::read(reload_read_, buf, sizeof buf) > 0) {
    }
    return true;
}

void StopSignals::nudge() {
    g_nudged = true;
    wake(reload_write_);
}

bool StopSignals::take_nudge() {
    if (!g_nudged.exchange(false)) return false;
    char buf[64];
    while (::read(reload_read_, buf, sizeof buf) > 0) {
    }
    return true;
}

const char* StopSignals::name() const { return g_signal == SIGINT ? "SIGINT" : "SIGTERM"; }

void StopSignals::wait_until(std::chrono::steady_clock::time_point until) const {
    while (!requested() && !g_reload && !g_nudged) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        pollfd p[2] = {{read_, POLLIN, 0}, {reload_read_, POLLIN, 0}};
        const int rc = ::poll(p, 2, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
        if (rc < 0 && errno != EINTR)
            throw Error(std::string("cannot wait (poll): ") + std::strerror(errno));
    }
}

}  // namespace vzlvs
