#include "support/director_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "director/http/http_client.hpp"
#include "support/spawn.hpp"

namespace vzlvs::test {

namespace {

// stdout to stdout_fd (-1: the test's), stderr to the test's.
pid_t spawn(const std::vector<std::string>& argv, int stdout_fd) {
    return spawn_child(argv, stdout_fd >= 0 ? stdout_fd : 1, 2);
}

void reap(pid_t pid, int* status) { *status = reap_child(pid); }

}  // namespace

void run_or_throw(const std::vector<std::string>& argv) {
    const pid_t pid = spawn(argv, -1);
    int status = 0;
    reap(pid, &status);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string s;
        for (const auto& a : argv) s += " " + a;
        throw std::runtime_error("command failed:" + s);
    }
}

DirectorServer::DirectorServer(DirectorServerOptions opts) : opts_(std::move(opts)) { start(0); }

DirectorServer::~DirectorServer() { stop(); }

std::string DirectorServer::url() const {
    return std::string(opts_.tls_cert.empty() ? "http" : "https") +
           "://127.0.0.1:" + std::to_string(port_);
}

void DirectorServer::start(int port) {
    std::vector<std::string> argv = {TEST_DIRECTOR_BINARY, "--listen",
                                     "127.0.0.1:" + std::to_string(port)};
    if (!opts_.tls_cert.empty())
        argv.insert(argv.end(), {"--tls-cert", opts_.tls_cert, "--tls-key", opts_.tls_key});
    argv.insert(argv.end(), opts_.args.begin(), opts_.args.end());

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
    {
        std::lock_guard<std::mutex> lock(mu_);
        lines_.clear();
        eof_ = false;
    }
    try {
        pid_ = spawn(argv, fds[1]);
    } catch (...) {
        close(fds[0]);
        close(fds[1]);
        throw;
    }
    close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { reader(fd); });

    const std::string prefix = "listening on 127.0.0.1:";
    std::unique_lock<std::mutex> lock(mu_);
    const bool ready = cv_.wait_for(lock, std::chrono::seconds(20), [&] {
        if (eof_) return true;
        for (const auto& l : lines_)
            if (l.rfind(prefix, 0) == 0) return true;
        return false;
    });
    for (const auto& l : lines_)
        if (l.rfind(prefix, 0) == 0) port_ = std::atoi(l.c_str() + prefix.size());
    lock.unlock();
    if (!ready || port_ <= 0) {
        stop();
        throw std::runtime_error(std::string("test-director did not start: ") +
                                 (ready ? "exited before listening" : "no listening line in 20 s"));
    }
}

void DirectorServer::reader(int fd) {
    std::string partial;
    char buf[4096];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        partial.append(buf, static_cast<size_t>(n));
        std::size_t nl;
        std::lock_guard<std::mutex> lock(mu_);
        while ((nl = partial.find('\n')) != std::string::npos) {
            lines_.push_back(partial.substr(0, nl));
            partial.erase(0, nl + 1);
        }
        cv_.notify_all();
    }
    close(fd);
    std::lock_guard<std::mutex> lock(mu_);
    eof_ = true;
    cv_.notify_all();
}

void DirectorServer::stop() {
    if (pid_ > 0) {
        kill(pid_, SIGKILL);
        int status = 0;
        reap(pid_, &status);
        pid_ = -1;
    }
    if (reader_.joinable()) reader_.join();  // EOF follows the kill
}

void DirectorServer::restart() {
    stop();
    start(port_);
}

long DirectorServer::call(const std::string& method, const std::string& path,
                          const std::string& body, std::string* reply) {
    HttpSettings s;
    s.base_url = url();
    s.ca_file = opts_.ca_file;
    s.retries = 0;
    s.timeout = std::chrono::seconds(10);
    HttpClient http(s);
    auto r = http.request(method, path, body);
    if (reply) *reply = r.body;
    return r.status;
}

void DirectorServer::fail(const std::string& mode, int count, int delay_ms) {
    const nlohmann::json body = {{"fail", mode}, {"count", count}, {"delay_ms", delay_ms}};
    if (call("POST", "/_control", body.dump()) != 200)
        throw std::runtime_error("test-director rejected /_control " + body.dump());
}

nlohmann::json DirectorServer::requests() {
    std::string body;
    if (call("GET", "/_requests", {}, &body) != 200)
        throw std::runtime_error("GET /_requests failed");
    return nlohmann::json::parse(body);
}

void DirectorServer::clear_requests() { call("DELETE", "/_requests"); }

void DirectorServer::pulse(const std::string& backend, int status, double health) {
    const nlohmann::json body = {{"backend", backend}, {"status", status}, {"health", health}};
    if (call("POST", "/_pulse", body.dump()) != 200)
        throw std::runtime_error("test-director rejected /_pulse " + body.dump());
}

bool DirectorServer::wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
        for (const auto& l : lines_)
            if (l.find(needle) != std::string::npos) return true;
        return eof_;
    }) && [&] {
        for (const auto& l : lines_)
            if (l.find(needle) != std::string::npos) return true;
        return false;
    }();
}

std::vector<std::string> DirectorServer::lines() {
    std::lock_guard<std::mutex> lock(mu_);
    return lines_;
}

namespace {
std::string tmpdir() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}
}  // namespace

ScratchDir::ScratchDir() : ScratchDir(tmpdir()) {}

ScratchDir::ScratchDir(const std::string& parent) {
    std::string tmpl = parent + "/vzlvs-director-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp in " + parent + " failed");
    path_ = tmpl;
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

TestCa::TestCa(const std::string& d)
    : dir(d),
      ca_cert(d + "/ca.pem"),
      server_cert(d + "/server.pem"),
      server_key(d + "/server.key") {
    const std::string ca_key = d + "/ca.key", csr = d + "/server.csr", ext = d + "/server.ext";
    run_or_throw({"/usr/bin/openssl",
                  "req",
                  "-x509",
                  "-newkey",
                  "ec",
                  "-pkeyopt",
                  "ec_paramgen_curve:prime256v1",
                  "-nodes",
                  "-keyout",
                  ca_key,
                  "-out",
                  ca_cert,
                  "-days",
                  "1",
                  "-subj",
                  "/CN=vzlvs test CA",
                  "-addext",
                  "basicConstraints=critical,CA:TRUE",
                  "-addext",
                  "keyUsage=critical,keyCertSign,cRLSign"});
    run_or_throw({"/usr/bin/openssl", "req", "-newkey", "ec", "-pkeyopt",
                  "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", server_key, "-out", csr,
                  "-subj", "/CN=127.0.0.1"});
    std::ofstream(ext) << "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                          "extendedKeyUsage=serverAuth\n";
    run_or_throw({"/usr/bin/openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
                  "-CAcreateserial", "-out", server_cert, "-days", "1", "-extfile", ext});
}

}  // namespace vzlvs::test
