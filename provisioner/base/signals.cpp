#include "vzlvs/base/signals.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <string>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

namespace {

volatile sig_atomic_t g_signal = 0;
volatile sig_atomic_t g_reload = 0;
int g_wake_write = -1;

extern "C" void on_stop_signal(int sig) {
    const int saved = errno;
    if (sig == SIGHUP)
        g_reload = 1;
    else
        g_signal = sig;
    if (g_wake_write >= 0) {
        const ssize_t n = ::write(g_wake_write, "x", 1);
        (void)n;  // full pipe: it is readable already
    }
    errno = saved;
}

}  // namespace

StopSignals::StopSignals() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
        throw Error(std::string("cannot create the stop pipe: ") + std::strerror(errno));
    read_ = fds[0];
    write_ = fds[1];
    g_signal = 0;
    g_reload = 0;
    g_wake_write = write_;
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
    g_wake_write = -1;
    ::close(read_);
    ::close(write_);
}

bool StopSignals::requested() const { return g_signal != 0; }

bool StopSignals::take_reload() {
    if (!g_reload) return false;
    g_reload = 0;
    char buf[64];
    while (::read(read_, buf, sizeof buf) > 0) {
    }
    return true;
}

const char* StopSignals::name() const { return g_signal == SIGINT ? "SIGINT" : "SIGTERM"; }

void StopSignals::wait_until(std::chrono::steady_clock::time_point until) const {
    while (!requested()) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        pollfd p{read_, POLLIN, 0};
        const int rc = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
        if (rc < 0 && errno != EINTR)
            throw Error(std::string("cannot wait (poll): ") + std::strerror(errno));
    }
}

}  // namespace vzlvs
