// main() of the integration tests: GoogleTest's, plus the Linux 3.10 system-call profile when
// the stand-in node is an OpenVZ 7 one (VZ_STANDIN_OPENVZ=7, as CTest sets it for the second
// run of the flow suites: OpenVZ 7 nodes run Linux 3.10) or VZLVS_TEST_LINUX310=1. The program
// re-executes itself under the profile, so that glibc starts as on a 3.10 kernel (a process
// that registered rseq before the filter aborts in its next thread), and so the suite, the
// stand-in and every vzlvs it starts -- provision, check, the hooks vzctl runs, watch -- see
// only the system calls a 3.10 node has.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "support/linux310.hpp"

int main(int argc, char** argv) {
    const char* profile = std::getenv("VZLVS_TEST_LINUX310");
    const char* openvz = std::getenv("VZ_STANDIN_OPENVZ");
    const bool wanted = (profile && std::strcmp(profile, "1") == 0) ||
                        (!profile && openvz && std::strcmp(openvz, "7") == 0);
    if (wanted) {
        try {
            vzlvs::test::apply_linux310_profile();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "%s\n", e.what());
            return 1;
        }
        ::setenv("VZLVS_TEST_LINUX310", "applied", 1);
        ::execv("/proc/self/exe", argv);
        std::fprintf(stderr, "re-executing under the Linux 3.10 profile: %s\n",
                     std::strerror(errno));
        return 1;
    }
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
