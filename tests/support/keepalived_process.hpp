// A real keepalived for host tests. The host kernel has no IPVS, so its health-check child
// cannot start: it runs with its VRRP subsystem only (-P), which reads the same configuration,
// includes and all, and reloads it on SIGHUP, logging "Reloading" -- what `vzlvs director`
// drives. The VM test runs keepalived whole, with IPVS (tests/vm/lvs_tun.sh).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>

namespace vzlvs::test {

bool keepalived_installed();

class KeepalivedProcess {
  public:
    // keepalived.conf in dir, including dir/conf.d/*.conf; pid file dir/keepalived.pid.
    explicit KeepalivedProcess(const std::string& dir);
    ~KeepalivedProcess();
    KeepalivedProcess(const KeepalivedProcess&) = delete;
    KeepalivedProcess& operator=(const KeepalivedProcess&) = delete;

    std::string include_file() const { return dir_ + "/conf.d/vzlvs.conf"; }
    std::string pid_file() const { return dir_ + "/keepalived.pid"; }
    // "Reloading" lines in its log so far, and a wait for the count to reach n.
    int reloads() const;
    bool wait_reloads(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    // keepalived --config-test on its configuration: "" when it passes, else its complaints.
    std::string config_test() const;

  private:
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace vzlvs::test
