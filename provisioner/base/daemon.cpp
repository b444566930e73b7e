#include "vzlvs/base/daemon.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

namespace {

// Closes every fd from `first` up. close_range(2) is Linux 5.9+: on older kernels (OpenVZ 7
// runs 3.10) it fails with ENOSYS and /proc/self/fd is walked instead.
void close_from(int first) {
#ifdef SYS_close_range
    if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0) == 0) return;
#endif
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) {
        for (int fd = first; fd < 1024; ++fd) ::close(fd);
        return;
    }
    const int own = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
        const int fd = std::atoi(e->d_name);
        if (fd >= first && fd != own) ::close(fd);
    }
    ::closedir(d);
}

}  // namespace

void run_detached(int keep_fd, const std::function<int()>& body) {
    pid_t pid = ::fork();
    if (pid < 0) throw Error(std::string("cannot fork: ") + std::strerror(errno));
    if (pid > 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        return;
    }
    // Child: a new session, so the caller's terminal and process group do not reach us; the
    // grandchild is reparented to init and the caller does not wait for it.
    ::setsid();
    if (::fork() != 0) ::_exit(0);
    int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (keep_fd >= 0 && keep_fd != kDetachedKeptFd) ::dup2(keep_fd, kDetachedKeptFd);
    // Whatever else the caller left open (vzctl's lock file, a reader's pipe) must not be
    // held by work that outlives it: a reader of vzctl's output would wait for our end.
    close_from(keep_fd >= 0 ? kDetachedKeptFd + 1 : kDetachedKeptFd);
    ::_exit(body());
}

}  // namespace vzlvs
