#include "support/keepalived_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/spawn.hpp"

namespace vzlvs::test {

namespace {

constexpr const char* kKeepalived = "/usr/sbin/keepalived";

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
    const int fd = open_log(log);
    const pid_t pid = spawn_child(argv, fd, fd);
    if (fd >= 0) ::close(fd);
    return pid;
}

}  // namespace

bool keepalived_installed() { return ::access(kKeepalived, X_OK) == 0; }

KeepalivedProcess::KeepalivedProcess(const std::string& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_ + "/conf.d");
    std::ofstream(dir_ + "/keepalived.conf")
        << "global_defs {\n    router_id vzlvs-test\n}\ninclude " << dir_ << "/conf.d/*.conf\n";
    pid_ =
        spawn({kKeepalived, "--dont-fork", "--log-console", "-P", "-f", dir_ + "/keepalived.conf",
               "-p", pid_file(), "-r", dir_ + "/vrrp.pid", "-c", dir_ + "/checkers.pid"},
              dir_ + "/keepalived.log");
    // Its pid file is written once it has started: awaited, at most 10 s.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!std::filesystem::exists(pid_file())) {
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("keepalived did not start: " +
                                     slurp(dir_ + "/keepalived.log"));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

KeepalivedProcess::~KeepalivedProcess() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    reap_child(pid_);
    // Its children die with it (PDEATHSIG in keepalived); the pid files go with dir_.
}

int KeepalivedProcess::reloads() const {
    const std::string log = slurp(dir_ + "/keepalived.log");
    int n = 0;
    for (std::size_t at = log.find("Reloading"); at != std::string::npos;
         at = log.find("Reloading", at + 1))
        ++n;
    return n;
}

bool KeepalivedProcess::wait_reloads(int n, std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (reloads() < n) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

std::string KeepalivedProcess::config_test() const {
    const std::string log = dir_ + "/config-test.log";
    std::filesystem::remove(log);
    const pid_t pid = spawn({kKeepalived, "--config-test=" + log, "-f", dir_ + "/keepalived.conf"},
                            dir_ + "/config-test.out");
    const int st = reap_child(pid);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return "";
    return "exit " + std::to_string(WEXITSTATUS(st)) + ": " + slurp(log);
}

}  // namespace vzlvs::test
