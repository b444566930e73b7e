// NetnsDirector: the test director started in a node's namespace (support/vzlvs_node.hpp).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "director/http/http_client.hpp"
#include "support/vzlvs_node.hpp"
#include "vzlvs/base/error.hpp"
#include "vzlvs/net/netlink.hpp"

#ifndef TEST_DIRECTOR_BINARY
#error "TEST_DIRECTOR_BINARY must be defined (tests/CMakeLists.txt)"
#endif

namespace vzlvs::test {

using nlohmann::json;

NetnsDirector::NetnsDirector(const std::string& netns_name, const std::string& netns_path)
    : netns_path_(netns_path) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error(std::string("pipe2: ") + std::strerror(errno));
    std::vector<std::string> argv{
        "ip", "netns", "exec", netns_name, TEST_DIRECTOR_BINARY, "--listen", "127.0.0.1:0"};
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw Error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid_ == 0) {
        // Dies with the test process even when the test crashes (`ip netns exec` execs the
        // director itself, and the death signal survives exec).
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = ::open("/dev/null", O_RDONLY);
        if (null >= 0) ::dup2(null, 0);
        ::dup2(fds[1], 1);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    const int fd = fds[0];

    // Read until the "listening on" line; poll bounds the wait if the director never starts.
    const std::string prefix = "listening on 127.0.0.1:";
    std::string buf;
    bool eof = false;
    while (port_ == 0 && !eof) {
        pollfd p{fd, POLLIN, 0};
        int n = ::poll(&p, 1, 20000);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        char chunk[512];
        ssize_t got = ::read(fd, chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            eof = true;
            break;
        }
        buf.append(chunk, static_cast<size_t>(got));
        std::istringstream lines(buf);
        for (std::string line; std::getline(lines, line);)
            if (line.rfind(prefix, 0) == 0) port_ = std::atoi(line.c_str() + prefix.size());
    }
    drain_ = std::thread([fd] {
        char chunk[4096];
        for (;;) {
            ssize_t got = ::read(fd, chunk, sizeof chunk);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break;
        }
        ::close(fd);
    });
    if (port_ <= 0) {
        stop();
        throw Error("test-director did not start in " + netns_name + ": " + buf);
    }
}

NetnsDirector::~NetnsDirector() { stop(); }

void NetnsDirector::stop() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
    }
    if (drain_.joinable()) drain_.join();  // EOF follows the kill
}

long NetnsDirector::call(const std::string& method, const std::string& path,
                         const std::string& body, std::string* reply) const {
    HttpResponse r;
    in_netns(netns_path_, [&] {
        HttpSettings s;
        s.base_url = url();
        s.retries = 0;
        s.timeout = std::chrono::seconds(10);
        HttpClient http(s);
        r = http.request(method, path, body);
    });
    if (reply) *reply = r.body;
    return r.status;
}

std::optional<json> NetnsDirector::get(const std::string& path) const {
    std::string body;
    long status = call("GET", path, {}, &body);
    if (status == 404) return std::nullopt;
    if (status != 200) throw Error("GET " + path + ": HTTP " + std::to_string(status) + " " + body);
    return json::parse(body);
}

json NetnsDirector::state() const {
    json out = json::object();
    auto services = get("/service");
    if (!services || !services->is_array()) return out;
    for (const auto& name : *services) {
        const std::string svc = name.get<std::string>();
        auto s = get("/service/" + svc);
        if (!s) continue;
        json backends = json::object();
        if ((*s)["backends"].is_array())
            for (const auto& b : (*s)["backends"]) {
                const std::string id = b.get<std::string>();
                auto got = get("/service/" + svc + "/" + id);
                backends[id] = got ? (*got)["options"] : json();
            }
        out[svc] = {{"options", (*s)["options"]}, {"backends", backends}};
    }
    return out;
}

}  // namespace vzlvs::test
