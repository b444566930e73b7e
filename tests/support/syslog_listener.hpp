// A syslog daemon for one test: a datagram socket in a private temp dir that collects what
// syslog(3) sends. tests/tools/devlog runs a command with this socket as its /dev/log.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vzlvs::test {

class SyslogListener {
  public:
    SyslogListener();
    ~SyslogListener();
    SyslogListener(const SyslogListener&) = delete;
    SyslogListener& operator=(const SyslogListener&) = delete;

    const std::string& socket_path() const { return path_; }
    // The first message containing needle, as received ("<PRI>TIMESTAMP TAG[PID]: TEXT"),
    // waiting up to `wait` for it; "" if none came.
    std::string wait_for(const std::string& needle,
                         std::chrono::milliseconds wait = std::chrono::seconds(20));
    std::vector<std::string> messages();

  private:
    void receive();

    std::string dir_, path_;
    int fd_ = -1;
    int stop_[2] = {-1, -1};
    std::thread thread_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> messages_;
};

}  // namespace vzlvs::test
