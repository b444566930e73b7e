#include "vzlvs/base/lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "vzlvs/base/error.hpp"
#include "vzlvs/base/state_dir.hpp"

namespace vzlvs {

namespace {

// flock(2) has no timeout; a SIGALRM interrupting a blocking flock is the classic way to
// bound the wait without a sleep-and-retry loop.
extern "C" void on_alarm(int) {}

}  // namespace

CtLock::CtLock(const std::filesystem::path& state_dir, const std::string& ctid,
               std::chrono::milliseconds wait, bool create) {
    const auto dir = state_dir / "locks";
    const auto path = dir / (ctid + ".lock");
    if (!create) {
        fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (fd_ < 0) return;
    } else {
        state_subdir(state_dir, "locks");
        fd_ = open_private_file(path, O_RDWR);
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    if (errno == EWOULDBLOCK && wait.count() > 0) {
        struct sigaction sa {
        }, old{};
        sa.sa_handler = on_alarm;  // no SA_RESTART: flock returns EINTR at the deadline
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGALRM, &sa, &old);
        struct itimerval t {};
        t.it_value.tv_sec = wait.count() / 1000;
        t.it_value.tv_usec = (wait.count() % 1000) * 1000;
        ::setitimer(ITIMER_REAL, &t, nullptr);
        int rc = ::flock(fd_, LOCK_EX);
        int saved = errno;
        struct itimerval zero {};
        ::setitimer(ITIMER_REAL, &zero, nullptr);
        ::sigaction(SIGALRM, &old, nullptr);
        if (rc == 0) return;
        errno = saved == EINTR ? EWOULDBLOCK : saved;
    }
    int saved = errno;
    ::close(fd_);
    fd_ = -1;
    if (saved == EWOULDBLOCK)
        throw BusyError("container " + ctid + " is locked by another vzlvs (" + path.string() +
                        "); retry when it has finished");
    throw Error("cannot lock " + path.string() + ": " + std::strerror(saved));
}

CtLock::~CtLock() {
    if (fd_ >= 0) ::close(fd_);
}

}  // namespace vzlvs
