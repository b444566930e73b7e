#include "support/vzlvs_node.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "director/http/http_client.hpp"
#include "vzlvs/base/error.hpp"
#include "vzlvs/net/netlink.hpp"

#ifndef VZLVS_BINARY
#error "VZLVS_BINARY must be defined (tests/CMakeLists.txt)"
#endif
#ifndef TEST_DIRECTOR_BINARY
#error "TEST_DIRECTOR_BINARY must be defined (tests/CMakeLists.txt)"
#endif

namespace vzlvs::test {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
}

std::vector<std::string> words_of(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

std::string describe_run(const std::vector<std::string>& argv, const RunResult& r) {
    return describe_argv(argv) + ": exit " + std::to_string(r.exit_code) +
           (r.signal ? " signal " + std::to_string(r.signal) : "") +
           (r.timed_out ? " (timed out)" : "") + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

}  // namespace

// --- CliResult ----------------------------------------------------------------------------

std::vector<json> CliResult::with_status(const std::string& status) const {
    std::vector<json> out;
    if (!report.is_object()) return out;
    for (const auto& o : report["outcomes"])
        if (o["status"] == status) out.push_back(o);
    return out;
}

std::optional<json> CliResult::outcome(const std::string& scope, const std::string& name) const {
    if (!report.is_object()) return std::nullopt;
    for (const auto& o : report["outcomes"])
        if (o["scope"] == scope && o["name"] == name) return o;
    return std::nullopt;
}

int CliResult::summary(const std::string& key) const {
    if (!report.is_object()) return -1;
    return report["summary"].value(key, -1);
}

std::string CliResult::describe() const {
    return "exit " + std::to_string(run.exit_code) + (run.timed_out ? " (timed out)" : "") +
           "\nstdout:\n" + run.out + "\nstderr:\n" + run.err;
}

std::string CliResult::unexpected_failures(const std::vector<ExpectedFailure>& expected) const {
    if (!report.is_object()) return "no JSON report\n" + describe();
    std::string d;
    if (report.value("exit", -1) != run.exit_code)
        d += "report exit " + std::to_string(report.value("exit", -1)) + " != process exit " +
             std::to_string(run.exit_code) + "\n";
    std::vector<ExpectedFailure> want = expected;
    for (const auto& o : with_status("failed")) {
        const std::string scope = o["scope"], name = o["name"], detail = o["detail"];
        auto it = std::find_if(want.begin(), want.end(), [&](const ExpectedFailure& e) {
            return e.scope == scope && e.name == name &&
                   detail.find(e.detail_part) != std::string::npos;
        });
        if (it != want.end())
            want.erase(it);
        else
            d += "unexpected failure: [" + scope + "] " + name + ": " + detail + "\n";
    }
    for (const auto& e : want) d += "missing failure: [" + e.scope + "] " + e.name + "\n";
    if (!d.empty()) d += describe();
    return d;
}

// --- NodeSnapshot -------------------------------------------------------------------------

std::string NodeSnapshot::diff(const NodeSnapshot& o) const {
    std::string d;
    std::set<std::string> paths;
    for (const auto& [p, _] : files) paths.insert(p);
    for (const auto& [p, _] : o.files) paths.insert(p);
    for (const auto& p : paths) {
        auto a = files.find(p), b = o.files.find(p);
        if (a == files.end())
            d += "file added: " + p + "\n";
        else if (b == o.files.end())
            d += "file removed: " + p + "\n";
        else if (a->second != b->second)
            d += "file changed: " + p + "\n--- before\n" + a->second + "\n--- after\n" + b->second +
                 "\n";
    }
    auto field = [&d](const std::string& what, const std::string& a, const std::string& b) {
        if (a != b) d += what + " changed:\n--- before\n" + a + "\n--- after\n" + b + "\n";
    };
    field("routes", routes, o.routes);
    field("proxy entries", proxies, o.proxies);
    field("nft ruleset", nft, o.nft);
    std::set<std::string> cts_all;
    for (const auto& [c, _] : cts) cts_all.insert(c);
    for (const auto& [c, _] : o.cts) cts_all.insert(c);
    for (const auto& c : cts_all) {
        auto a = cts.find(c), b = o.cts.find(c);
        field("CT " + c, a == cts.end() ? "(not running)" : a->second,
              b == o.cts.end() ? "(not running)" : b->second);
    }
    field("director", director, o.director);
    if (mutating_calls != o.mutating_calls)
        d += "mutating vzctl calls: " + std::to_string(mutating_calls) + " -> " +
             std::to_string(o.mutating_calls) + "\n";
    return d;
}

// --- VzlvsNode ----------------------------------------------------------------------------

VzlvsNode::VzlvsNode(bool with_director) : runner_(make_process_runner()) {
    if (with_director)
        director_ = std::make_unique<NetnsDirector>(node_.node_netns_name(), node_.node_netns());
}

VzlvsNode::~VzlvsNode() {
    try {
        wait_for_workers();
    } catch (...) {
        // never throw from a destructor; rmnode (StandinNode) kills whatever is left
    }
    director_.reset();
}

NetnsDirector& VzlvsNode::director() {
    if (!director_) throw Error("this VzlvsNode has no test director");
    return *director_;
}

void VzlvsNode::create_ct(const std::string& ctid, const std::string& ip, bool start) {
    node_.create_ct(ctid, {ip});
    if (start) {
        RunResult r = node_.vzctl_run({"start", ctid});
        if (!r.ok()) throw Error(describe_run({"vzctl", "start", ctid}, r));
    }
}

void VzlvsNode::create_standard_cts() {
    create_ct("101", "198.51.100.101", true);
    create_ct("102", "198.51.100.102", false);
}

std::string VzlvsNode::standard_body() {
    return "[service web]\n"
           "vip = 192.0.2.10\n"
           "port = 80\n"
           "protocol = tcp\n"
           "\n"
           "[service dns]\n"
           "vip = 192.0.2.53\n"
           "port = 53\n"
           "protocol = udp\n"
           "\n"
           "[container 101]\n"
           "services = web\n"
           "weight = 10\n"
           "\n"
           "[container 102]\n"
           "services = dns\n";
}

std::string VzlvsNode::config_text(const std::string& body, const ConfigOptions& opts) const {
    const std::string& r = root();
    std::string text =
        "[node]\n"
        "name = demo-node\n"
        "vzctl = " +
        (opts.vzctl.empty() ? node_.vzctl() : opts.vzctl) +
        "\n"
        "vz_conf_dir = " +
        r + "/etc/vz/conf\n" + "state_dir = " + state_dir() + "\n" +
        "sysctl_dir = " + sysctl_dir() + "\n" + "modules_load_dir = " + modules_load_dir() + "\n" +
        "sysconfig_modules_dir = " + r + "/etc/sysconfig/modules\n" + "runtime_root = " + r + "\n" +
        "restart = " + opts.restart + "\n" + opts.node_extra + "\n";
    if (opts.director && director_)
        text += "[director]\nurl = " + director_->url() + "\ndrain = 100ms\n\n";
    return text + body;
}

void VzlvsNode::write_config(const std::string& body, const ConfigOptions& opts) {
    std::ofstream out(config_path(), std::ios::trunc);
    out << config_text(body, opts);
    if (!out) throw Error("cannot write " + config_path());
}

void VzlvsNode::bootstrap_and_provision_standard() {
    create_standard_cts();
    write_config(standard_body());
    CliResult boot = cli({"bootstrap"});
    std::string d = boot.unexpected_failures({bootstrap_ipip_failure()});
    if (!d.empty()) throw Error("bootstrap: " + d);
    CliResult prov = cli({"provision"});
    d = prov.unexpected_failures({ct_ipip_failure("101")});
    if (!d.empty()) throw Error("provision: " + d);
    wait_for_workers();
}

CliResult VzlvsNode::cli(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{VZLVS_BINARY, "-c", config_path(), "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    CliResult r;
    RunOptions opts;
    opts.timeout = std::chrono::seconds(120);
    r.run = node_.run(argv, opts);
    if (!r.run.out.empty() && r.run.out.front() == '{') {
        try {
            r.report = json::parse(r.run.out);
        } catch (const json::exception&) {
            r.report = json();
        }
    }
    return r;
}

RunResult VzlvsNode::vzlvs_raw(const std::vector<std::string>& args, const RunOptions& opts) const {
    std::vector<std::string> argv{VZLVS_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return node_.run(argv, opts);
}

std::string VzlvsNode::run_ok(const std::vector<std::string>& argv) const {
    RunResult r = node_.run(argv);
    if (!r.ok()) throw Error(describe_run(argv, r));
    return r.out;
}

std::string VzlvsNode::ip_node(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"ip", "-n", node_.node_netns_name()};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = runner_->run(argv);
    if (!r.ok()) throw Error(describe_run(argv, r));
    return r.out;
}

std::string VzlvsNode::ip_ct(const std::string& ctid, const std::vector<std::string>& args) const {
    std::vector<std::string> argv{"ip", "-n", node_.ct_netns_name(ctid)};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = runner_->run(argv);
    if (!r.ok()) throw Error(describe_run(argv, r));
    return r.out;
}

std::string VzlvsNode::ct_sysctl(const std::string& ctid, const std::string& dev,
                                 const std::string& key) const {
    std::vector<std::string> argv{"ip",   "netns",
                                  "exec", node_.ct_netns_name(ctid),
                                  "cat",  "/proc/sys/net/ipv4/conf/" + dev + "/" + key};
    RunResult r = runner_->run(argv);
    if (!r.ok()) throw Error(describe_run(argv, r));
    std::string v = r.out;
    while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
    return v;
}

std::string VzlvsNode::node_routes_for(const std::string& ip) const {
    std::string out;
    for (const auto& line : lines_of(ip_node({"route", "show", "table", "all"}))) {
        auto w = words_of(line);
        bool match = false;
        for (size_t i = 0; i < w.size() && i < 2; ++i)
            match = match || w[i] == ip || w[i] == ip + "/32";
        if (match) out += line + "\n";
    }
    return out;
}

std::string VzlvsNode::node_proxies_for(const std::string& ip) const {
    std::string out;
    for (const auto& line : lines_of(ip_node({"neigh", "show", "proxy"}))) {
        auto w = words_of(line);
        if (!w.empty() && w[0] == ip) out += line + "\n";
    }
    return out;
}

bool VzlvsNode::wait_for_worker(const std::string& ctid) const {
    const std::string lock = worker_lock(ctid);
    if (!fs::exists(lock)) return false;
    // The worker holds the flock for its whole life; `flock` blocks until it is gone. The
    // bound only keeps a broken worker from hanging the suite (the product bounds its own
    // waits well below it).
    RunOptions opts;
    opts.timeout = std::chrono::seconds(600);
    RunResult r = runner_->run({"flock", "-w", "590", lock, "true"}, opts);
    if (!r.ok()) throw Error(describe_run({"flock", lock, "true"}, r));
    return true;
}

void VzlvsNode::wait_for_workers() const {
    std::error_code ec;
    const fs::path dir = state_dir() + "/workers";
    if (!fs::is_directory(dir, ec)) return;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (e.path().extension() == ".lock") wait_for_worker(name.substr(0, name.size() - 5));
    }
}

NodeSnapshot VzlvsNode::snapshot() const {
    NodeSnapshot s;
    for (const std::string& top : {root() + "/etc", root() + "/vz/root"}) {
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(
                 top, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (it->path().filename() == ".etc-work") {  // the overlay's work dir
                it.disable_recursion_pending();
                continue;
            }
            if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;
            struct stat st {};
            ::stat(it->path().c_str(), &st);
            std::ostringstream mode;
            mode << std::oct << (st.st_mode & 07777);
            s.files[fs::relative(it->path(), root()).string()] =
                mode.str() + "\n" + read(it->path());
        }
    }
    // IPv4 only: vzlvs manages IPv4 routes, while the kernel adds IPv6 link-local routes
    // asynchronously (after DAD), which would make two snapshots of an idle node differ.
    s.routes = ip_node({"-4", "route", "show", "table", "all"});
    s.proxies = ip_node({"neigh", "show", "proxy"});
    s.nft = run_ok({"nft", "-s", "list", "ruleset"});
    const std::string ct_prefix = node_.ct_netns_name("");
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/run/netns", ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(ct_prefix, 0) != 0) continue;
        const std::string ctid = name.substr(ct_prefix.size());
        std::string text = ip_ct(ctid, {"-o", "link", "show"}) +
                           ip_ct(ctid, {"-o", "-4", "addr", "show"}) +
                           "rp_filter all=" + ct_sysctl(ctid, "all", "rp_filter");
        s.cts[ctid] = text;
    }
    if (director_) s.director = director_->state().dump(2);
    s.mutating_calls = node_.mutating_calls().size();
    return s;
}

std::string VzlvsNode::read(const std::string& path) const {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool VzlvsNode::exists(const std::string& path) const {
    std::error_code ec;
    return fs::exists(path, ec);
}

}  // namespace vzlvs::test
