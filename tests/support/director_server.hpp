// RAII launcher for the test-director process: starts it on 127.0.0.1 with an ephemeral port,
// waits for its "listening on" line, and kills and reaps it however the test ends.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace vzlvs::test {

struct DirectorServerOptions {
    std::vector<std::string> args;  // extra test-director arguments (--token, --state-file, ...)
    std::string tls_cert, tls_key;  // both set: https
    std::string ca_file;            // how the launcher itself trusts the TLS server
};

class DirectorServer {
  public:
    explicit DirectorServer(DirectorServerOptions opts = {});
    ~DirectorServer();
    DirectorServer(const DirectorServer&) = delete;
    DirectorServer& operator=(const DirectorServer&) = delete;

    int port() const { return port_; }
    std::string url() const;  // http(s)://127.0.0.1:PORT

    // Kills the process (SIGKILL) and reaps it; the port is free again afterwards.
    void stop();
    // A fresh process on the same port: all director state is lost, like a real restart.
    void restart();

    // Test hooks of test-director (docs/director-api.md).
    void fail(const std::string& mode, int count = -1, int delay_ms = 2000);
    nlohmann::json requests();  // every API request since start or clear_requests()
    void clear_requests();
    void pulse(const std::string& backend, int status, double health);
    // Raw API call, for tests that change the director behind vzlvs' back.
    long call(const std::string& method, const std::string& path, const std::string& body = {},
              std::string* reply = nullptr);

    // Waits until a stdout line containing `needle` appears (e.g. ipvsadm dry-run output).
    bool wait_for_line(const std::string& needle,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::vector<std::string> lines();

  private:
    void start(int port);
    void reader(int fd);

    DirectorServerOptions opts_;
    pid_t pid_ = -1;
    int port_ = 0;
    std::thread reader_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> lines_;
    bool eof_ = false;
};

// Runs argv to completion (no shell); throws std::runtime_error unless it exits 0.
void run_or_throw(const std::vector<std::string>& argv);

// A private CA and a server certificate for 127.0.0.1 signed by it, made with openssl(1).
struct TestCa {
    std::string dir, ca_cert, server_cert, server_key;
    explicit TestCa(const std::string& dir);
};

// A fresh directory under $TMPDIR, removed with everything in it on destruction.
class ScratchDir {
  public:
    ScratchDir();
    explicit ScratchDir(const std::string& parent);  // below parent instead of $TMPDIR
    ~ScratchDir();
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

}  // namespace vzlvs::test
