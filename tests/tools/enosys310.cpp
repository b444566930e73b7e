// enosys310 COMMAND [ARG...]: runs COMMAND as on a Linux 3.10 kernel as far as system calls
// go: every one added after 3.10 fails with ENOSYS (tests/support/linux310.hpp). For trying a
// vzlvs build by hand the way the suite does: `enosys310 vzlvs check`.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>

#include "support/linux310.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: enosys310 COMMAND [ARG...]\n");
        return 2;
    }
    try {
        vzlvs::test::apply_linux310_profile();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "enosys310: %s\n", e.what());
        return 125;
    }
    ::execvp(argv[1], argv + 1);
    std::fprintf(stderr, "enosys310: %s: %s\n", argv[1], std::strerror(errno));
    return 127;
}
