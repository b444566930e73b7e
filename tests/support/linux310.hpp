// A Linux 3.10 system-call profile for tests: every system call added after Linux 3.10 (the
// kernel of OpenVZ 7 nodes) fails with ENOSYS, as it would there. What runs under it proves
// that vzlvs and everything it links (glibc, libstdc++, Boost, libnl, libcurl) fall back
// instead of failing. Used by tests/tools/enosys310.cpp and, with VZLVS_TEST_LINUX310=1, by
// the test programs themselves (tests/support/test_main.cpp).
#pragma once

namespace vzlvs::test {

// The highest x86_64 system call number Linux 3.10 has: 313, finit_module (torvalds/linux
// v3.10, arch/x86/syscalls/syscall_64.tbl; 314, sched_setattr, came with 3.14). x86_64 numbers
// are handed out in order, so "greater than this" is exactly "newer than 3.10".
constexpr int kLastSyscallLinux310 = 313;

// Installs the filter in this process; it is inherited by every child and cannot be removed.
// Throws vzlvs::Error when the kernel refuses it.
void apply_linux310_profile();

}  // namespace vzlvs::test
