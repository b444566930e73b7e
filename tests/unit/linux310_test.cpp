// The Linux 3.10 profile itself (tests/support/linux310.hpp): what it refuses and what it
// lets through, checked in a forked child because the filter cannot be taken back.
#include "support/linux310.hpp"

#include <gtest/gtest.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace vzlvs::test {
namespace {

// Runs `body` in a child under the profile; its return value becomes the exit code.
int under_profile(int (*body)()) {
    pid_t pid = ::fork();
    if (pid == 0) {
        try {
            apply_linux310_profile();
        } catch (...) {
            ::_exit(100);
        }
        ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + WTERMSIG(status);
}

TEST(Linux310Profile, NewerSystemCallsFailWithEnosys) {
    EXPECT_EQ(under_profile([] {
                  char b[4];
                  // getrandom (318, Linux 3.17) and close_range (436, 5.9).
                  if (::getrandom(b, sizeof b, 0) != -1 || errno != ENOSYS) return 1;
                  if (::syscall(SYS_close_range, 100, 200, 0) != -1 || errno != ENOSYS) return 2;
                  if (::syscall(kLastSyscallLinux310 + 1, 0, 0, 0) != -1 || errno != ENOSYS)
                      return 3;
                  return 0;
              }),
              0);
}

TEST(Linux310Profile, OlderSystemCallsStillWork) {
    EXPECT_EQ(under_profile([] {
                  if (::syscall(SYS_getpid) != ::getpid()) return 1;
                  // A program started under the profile: glibc finds rseq (4.18) missing at
                  // startup and does without it. (Threads of a process that registered rseq
                  // before the filter came abort, which is why test_main.cpp re-executes.)
                  ::execl("/bin/sh", "sh", "-c", "exit 7", static_cast<char*>(nullptr));
                  return 2;
              }),
              7);
}

}  // namespace
}  // namespace vzlvs::test
