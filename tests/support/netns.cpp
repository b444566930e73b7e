#include "netns.hpp"

#include <unistd.h>

#include <atomic>

namespace vzlvs::test {
namespace {

const RunOptions kQuick = [] {
    RunOptions o;
    o.timeout = std::chrono::seconds(20);
    return o;
}();

std::string must(ProcessRunner& runner, const std::vector<std::string>& argv) {
    RunResult r = runner.run(argv, kQuick);
    if (!r.ok()) {
        throw Error("test setup command failed: " + describe_argv(argv) + " (exit " +
                    std::to_string(r.exit_code) + (r.timed_out ? ", timed out" : "") +
                    "): " + r.err);
    }
    return r.out;
}

}  // namespace

std::string unique_netns_name() {
    static std::atomic<unsigned> counter{0};
    return "vzt-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

Netns::Netns() : name_(unique_netns_name()), runner_(make_process_runner()) {
    must(*runner_, {"ip", "netns", "add", name_});
    try {
        ip_ok({"link", "set", "lo", "up"});
    } catch (...) {
        runner_->run({"ip", "netns", "del", name_}, kQuick);
        throw;
    }
}

Netns::~Netns() {
    // Best effort: a destructor must not throw, and a failed delete shows up in the
    // `ip netns list` check the tests make at the end.
    try {
        runner_->run({"ip", "netns", "del", name_}, kQuick);
    } catch (...) {
    }
}

RunResult Netns::exec(const std::vector<std::string>& argv) const {
    std::vector<std::string> full{"ip", "netns", "exec", name_};
    full.insert(full.end(), argv.begin(), argv.end());
    return runner_->run(full, kQuick);
}

RunResult Netns::ip(const std::vector<std::string>& args) const {
    std::vector<std::string> full{"ip", "-n", name_};
    full.insert(full.end(), args.begin(), args.end());
    return runner_->run(full, kQuick);
}

std::string Netns::exec_ok(const std::vector<std::string>& argv) const {
    std::vector<std::string> full{"ip", "netns", "exec", name_};
    full.insert(full.end(), argv.begin(), argv.end());
    return must(*runner_, full);
}

std::string Netns::ip_ok(const std::vector<std::string>& args) const {
    std::vector<std::string> full{"ip", "-n", name_};
    full.insert(full.end(), args.begin(), args.end());
    return must(*runner_, full);
}

void Netns::add_veth(const std::string& dev, const std::string& peer) const {
    ip_ok({"link", "add", dev, "type", "veth", "peer", "name", peer});
    ip_ok({"link", "set", dev, "up"});
    ip_ok({"link", "set", peer, "up"});
}

void connect_veth(const Netns& a, const std::string& dev_a, const Netns& b,
                  const std::string& dev_b) {
    a.ip_ok({"link", "add", dev_a, "type", "veth", "peer", "name", dev_b, "netns", b.name()});
    a.ip_ok({"link", "set", dev_a, "up"});
    b.ip_ok({"link", "set", dev_b, "up"});
}

std::string run_ok(const std::vector<std::string>& argv) {
    auto runner = make_process_runner();
    return must(*runner, argv);
}

void NoNamespaceLeftBehind::TearDown() {
    const std::string list = run_ok({"ip", "netns", "list"});
    EXPECT_EQ(list.find("vzt-" + std::to_string(::getpid()) + "-"), std::string::npos)
        << "a test namespace was left behind:\n"
        << list;
}

}  // namespace vzlvs::test
