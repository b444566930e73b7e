#include "support/etcd_cluster.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "director/http/http_client.hpp"
#include "support/spawn.hpp"

namespace vzlvs::test {

namespace {

constexpr const char* kEtcd = "/usr/bin/etcd";
constexpr const char* kEtcdctl = "/usr/bin/etcdctl";

// A port the kernel just handed out and released: free unless another process takes it now.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        throw std::runtime_error(std::string("no free port: ") + std::strerror(errno));
    ::close(fd);
    return ntohs(a.sin_port);
}

// stderr to the log file, stdout to out_fd (-1: the log too).
pid_t spawn(const std::vector<std::string>& argv, const std::string& log, int out_fd = -1) {
    const int logfd = open_log(log);
    const pid_t pid = spawn_child(argv, out_fd >= 0 ? out_fd : logfd, logfd);
    if (logfd >= 0) ::close(logfd);
    return pid;
}

void reap(pid_t pid, int* status) { *status = reap_child(pid); }

}  // namespace

Config etcd_node_config(const std::vector<std::string>& endpoints, const std::string& state_dir,
                        const std::string& name, std::chrono::seconds lease_ttl) {
    Config c;
    c.node.name = name;
    c.node.state_dir = state_dir;
    c.director.api = "etcd";
    c.director.endpoints = endpoints;
    c.director.lease_ttl = lease_ttl;
    c.director.timeout = std::chrono::seconds(2);
    return c;
}

ServiceSpec etcd_test_service() {
    ServiceSpec s;
    s.id = "web";
    s.host = "192.0.2.10";
    s.port = 80;
    return s;
}

bool etcd_installed() { return ::access(kEtcd, X_OK) == 0 && ::access(kEtcdctl, X_OK) == 0; }

EtcdCluster::EtcdCluster(int members, const std::string& netns) : netns_(netns) {
    std::string initial;
    for (int i = 0; i < members; ++i) {
        Member m;
        m.name = "m" + std::to_string(i);
        m.client_port = free_port();
        m.peer_port = free_port();
        initial += (i ? "," : "") + m.name + "=http://127.0.0.1:" + std::to_string(m.peer_port);
        members_.push_back(m);
    }
    for (auto& m : members_) {
        const std::string client = "http://127.0.0.1:" + std::to_string(m.client_port);
        const std::string peer = "http://127.0.0.1:" + std::to_string(m.peer_port);
        m.pid = spawn(in_netns({kEtcd,
                                "--name",
                                m.name,
                                "--data-dir",
                                dir_.path() + "/" + m.name,
                                "--listen-client-urls",
                                client,
                                "--advertise-client-urls",
                                client,
                                "--listen-peer-urls",
                                peer,
                                "--initial-advertise-peer-urls",
                                peer,
                                "--initial-cluster",
                                initial,
                                "--initial-cluster-state",
                                "new",
                                "--initial-cluster-token",
                                "vzlvs-test",
                                "--log-level",
                                "warn"}),
                      dir_.path() + "/" + m.name + ".log");
    }
    for (const auto& m : members_) wait_ready(m);
}

EtcdCluster::~EtcdCluster() {
    for (auto& m : members_)
        if (m.pid > 0) {
            ::kill(m.pid, SIGKILL);
            int st = 0;
            reap(m.pid, &st);
        }
}

std::string EtcdCluster::endpoint(int i) const {
    return "http://127.0.0.1:" + std::to_string(members_.at(i).client_port);
}

std::vector<std::string> EtcdCluster::endpoints() const {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < members_.size(); ++i) out.push_back(endpoint(static_cast<int>(i)));
    return out;
}

void EtcdCluster::kill(int i) {
    Member& m = members_.at(i);
    if (m.pid <= 0) return;
    ::kill(m.pid, SIGKILL);
    int st = 0;
    reap(m.pid, &st);
    m.pid = -1;
}

// etcd says it is ready in its log, but only /health says whether it serves (has a leader):
// asked until it does, for at most 30 s.
void EtcdCluster::wait_ready(const Member& m) const {
    if (!netns_.empty()) {
        const std::string ep = "http://127.0.0.1:" + std::to_string(m.client_port);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        std::string out;
        while (run(in_netns(
                       {kEtcdctl, "--endpoints", ep, "--dial-timeout", "1s", "endpoint", "health"}),
                   &out) != 0) {
            if (std::chrono::steady_clock::now() > deadline)
                throw std::runtime_error("etcd " + m.name + " not ready after 30 s: " + out);
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return;
    }
    HttpSettings s;
    s.base_url = "http://127.0.0.1:" + std::to_string(m.client_port);
    s.timeout = std::chrono::milliseconds(1000);
    s.retries = 0;
    HttpClient http(s);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string last;
    while (std::chrono::steady_clock::now() < deadline) {
        int st = 0;
        if (waitpid(m.pid, &st, WNOHANG) == m.pid)
            throw std::runtime_error("etcd " + m.name + " exited; see its log in " + dir_.path());
        try {
            const HttpResponse r = http.request("GET", "/health");
            if (r.status == 200 && r.body.find("\"true\"") != std::string::npos) return;
            last = r.body;
        } catch (const HttpError& e) {
            last = e.what();
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("etcd " + m.name + " not ready after 30 s: " + last);
}

std::vector<std::string> EtcdCluster::in_netns(std::vector<std::string> argv) const {
    if (netns_.empty()) return argv;
    std::vector<std::string> wrapped = {"/usr/bin/ip", "netns", "exec", netns_};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
}

int EtcdCluster::run(const std::vector<std::string>& argv, std::string* out) const {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = spawn(argv, dir_.path() + "/etcdctl.log", fds[1]);
    ::close(fds[1]);
    out->clear();
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) out->append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int st = 0;
    reap(pid, &st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

std::string EtcdCluster::etcdctl(const std::vector<std::string>& args) const {
    std::string eps;
    for (const auto& e : endpoints()) eps += (eps.empty() ? "" : ",") + e;
    std::vector<std::string> argv = {kEtcdctl, "--endpoints", eps};
    argv.insert(argv.end(), args.begin(), args.end());
    std::string out;
    if (run(in_netns(argv), &out) != 0) throw std::runtime_error("etcdctl failed: " + out);
    return out;
}

}  // namespace vzlvs::test
