#include "support/linux310.hpp"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "vzlvs/base/error.hpp"

namespace vzlvs::test {

void apply_linux310_profile() {
#if !defined(__x86_64__)
#error "the Linux 3.10 profile knows only x86_64's system call numbers"
#endif
    constexpr unsigned kX32Bit = 0x40000000;  // x32 ABI calls: 3.10 nodes run none of ours
    struct sock_filter prog[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, kLastSyscallLinux310, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog fprog = {static_cast<unsigned short>(sizeof(prog) / sizeof(prog[0])), prog};
    // prctl, not seccomp(2): seccomp(2) itself is 3.17.
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) != 0)
        throw Error(std::string("cannot install the Linux 3.10 seccomp profile: ") +
                    std::strerror(errno));
}

}  // namespace vzlvs::test
