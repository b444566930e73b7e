#include "standin.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "vzlvs/base/error.hpp"

#ifndef VZLVS_TESTS_DIR
#error "VZLVS_TESTS_DIR must be defined (tests/CMakeLists.txt)"
#endif

namespace vzlvs::test {
namespace {

std::string tests_dir() { return VZLVS_TESTS_DIR; }

std::string unique_prefix() {
    static std::atomic<int> counter{0};
    return "vzs" + std::to_string(::getpid()) + "x" + std::to_string(counter++);
}

std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            char c = s[++i];
            out += c == 't' ? '\t' : c == 'n' ? '\n' : c;
        } else {
            out += s[i];
        }
    }
    return out;
}

}  // namespace

bool StandinNode::openvz7() {
    const char* v = std::getenv("VZ_STANDIN_OPENVZ");
    return v && std::string(v) == "7";
}

StandinNode::StandinNode() : runner_(make_process_runner()), prefix_(unique_prefix()) {
    RunOptions opts;
    opts.timeout = std::chrono::seconds(60);
    RunResult r = runner_->run({tests_dir() + "/openvz/mknode", "-p", prefix_}, opts);
    if (!r.ok()) {
        throw Error("mknode failed (exit " + std::to_string(r.exit_code) + "): " + r.err);
    }
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        const std::string key = "VZ_STANDIN_ROOT=";
        if (line.rfind(key, 0) == 0) root_ = line.substr(key.size());
    }
    if (root_.empty()) {
        runner_->run({tests_dir() + "/openvz/rmnode", "/nonexistent"});
        throw Error("mknode printed no VZ_STANDIN_ROOT: " + r.out);
    }
}

StandinNode::~StandinNode() {
    try {
        if (!root_.empty()) runner_->run({tests_dir() + "/openvz/rmnode", root_});
    } catch (...) {
        // never throw from a destructor; rmnode itself never fails
    }
}

void StandinNode::create_ct(const std::string& ctid, const std::vector<std::string>& ips) {
    std::vector<std::string> args{"create", ctid};
    if (!ips.empty()) {
        std::string joined;
        for (const auto& ip : ips) joined += (joined.empty() ? "" : " ") + ip;
        args.push_back("--ipadd");
        args.push_back(joined);
    }
    RunResult r = vzctl_run(args);
    if (!r.ok()) {
        throw Error("vzctl create " + ctid + " failed (exit " + std::to_string(r.exit_code) +
                    "): " + r.err);
    }
}

RunResult StandinNode::vzctl_run(const std::vector<std::string>& args,
                                 const RunOptions& opts) const {
    std::vector<std::string> argv{vzctl()};
    argv.insert(argv.end(), args.begin(), args.end());
    return runner_->run(argv, opts);
}

RunResult StandinNode::run(const std::vector<std::string>& argv, const RunOptions& opts) const {
    std::vector<std::string> full{"ip", "netns", "exec", node_netns_name()};
    full.insert(full.end(), argv.begin(), argv.end());
    return runner_->run(full, opts);
}

RunResult StandinNode::run_lan(const std::vector<std::string>& argv, const RunOptions& opts) const {
    std::vector<std::string> full{"ip", "netns", "exec", lan_netns_name()};
    full.insert(full.end(), argv.begin(), argv.end());
    return runner_->run(full, opts);
}

std::vector<VzctlCall> StandinNode::vzctl_calls() const {
    std::vector<VzctlCall> calls;
    std::ifstream in(root_ + "/calls.log");
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::string field;
        std::istringstream ls(line);
        while (std::getline(ls, field, '\t')) fields.push_back(unescape(field));
        if (fields.size() < 2) continue;
        VzctlCall c;
        c.klass = fields[0];
        c.tool = fields[1];
        c.args.assign(fields.begin() + 2, fields.end());
        calls.push_back(std::move(c));
    }
    return calls;
}

std::vector<VzctlCall> StandinNode::mutating_calls() const {
    std::vector<VzctlCall> out;
    for (auto& c : vzctl_calls())
        if (c.mutating()) out.push_back(c);
    return out;
}

}  // namespace vzlvs::test
