// The vzctl driver: validated argv, vzctl exit codes turned into typed errors, exit 9 retried.
// Behaviour relied on is in docs/openvz.md.
#include "ct/vzctl.hpp"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <thread>

#include "ct/run_state.hpp"
#include "vzlvs/base/shell.hpp"
#include "vzlvs/config/ctid.hpp"
#include "vzlvs/config/validate.hpp"

namespace vzlvs {
namespace {

std::string seconds_text(std::chrono::milliseconds d) {
    if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
    std::ostringstream out;
    out.precision(3);
    out << static_cast<double>(d.count()) / 1000.0 << " s";
    return out.str();
}

// Not sigabbrev_np(): glibc 2.32+, and OpenVZ 7 nodes have 2.17.
std::string signal_name(int sig) {
    static const std::pair<int, const char*> names[] = {
        {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
        {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"},
        {SIGSEGV, "SIGSEGV"}, {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
        {SIGUSR1, "SIGUSR1"}, {SIGUSR2, "SIGUSR2"}, {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"},
    };
    for (const auto& [n, name] : names)
        if (n == sig) return name;
    return "signal " + std::to_string(sig);
}

void require_ctid(const std::string& ctid, const char* action) {
    std::string why = check_ctid(ctid);
    if (!why.empty()) {
        throw UsageError(std::string("cannot ") + action + " container: " + why);
    }
}

void require_ip(const std::string& ip, const std::string& ctid, const char* action) {
    std::string why = validate::ipv4(ip);
    if (!why.empty()) {
        throw UsageError(std::string("cannot ") + action + " on container " + ctid + ": " + why);
    }
}

void require_features(const std::string& features, const std::string& ctid) {
    // name:on|off[,name:on|off…]: anything else vzctl rejects with exit 21 after taking the lock.
    bool ok = !features.empty();
    std::istringstream in(features);
    std::string item;
    while (ok && std::getline(in, item, ',')) {
        auto colon = item.find(':');
        std::string name = item.substr(0, colon);
        std::string mode = colon == std::string::npos ? "" : item.substr(colon + 1);
        ok = !name.empty() && (mode == "on" || mode == "off");
        for (unsigned char c : name) ok = ok && (std::islower(c) || std::isdigit(c));
    }
    if (!ok || features.back() == ',') {
        throw UsageError("cannot set features on container " + ctid + ": \"" + features +
                         "\" is not a feature list; write name:on|off[,name:on|off], e.g. "
                         "ipip:on");
    }
}

}  // namespace

std::optional<std::string> Vzctl::unusable() const {
    if (::access(setup_.path.c_str(), X_OK) == 0) return std::nullopt;
    return setup_.path + " is not an executable";
}

std::optional<std::string> Vzctl::hook_ct() const {
    const char* veid = std::getenv("VEID");
    if (!veid) return std::nullopt;
    return std::string(veid);
}

RunResult Vzctl::call(std::vector<std::string> argv, bool mutating,
                      std::chrono::milliseconds timeout) {
    const std::string ctid = argv.size() > 2 ? argv[2] : "?";
    RunOptions opts;
    opts.timeout = timeout;
    const int attempts = std::max(1, setup_.retry.attempts);
    auto delay = setup_.retry.first_delay;
    std::chrono::milliseconds waited{0};
    for (int attempt = 1;; ++attempt) {
        RunResult r;
        try {
            r = runner_.run(argv, opts);
        } catch (const ProgramNotFound& e) {
            throw ProgramNotFound(std::string(e.what()) +
                                  "; vzlvs drives OpenVZ through vzctl: install vzctl or set "
                                  "its path with `vzctl =` in the [node] section");
        }
        if (r.timed_out) {
            throw Error(describe_argv(argv) + " did not finish within " + seconds_text(timeout) +
                        " and was killed; the container may be half-way through the change: "
                        "check `vzctl status " +
                        ctid + "` and /var/log/vzctl.log");
        }
        if (r.signal != 0) {
            throw Error(describe_argv(argv) + " was killed by " + signal_name(r.signal) +
                        "; check /var/log/vzctl.log and the system log");
        }
        if (r.exit_code == 0) return r;
        const std::string& said = r.err.empty() ? r.out : r.err;
        if (mutating && r.exit_code == static_cast<int>(VzctlCode::locked)) {
            if (attempt < attempts) {
                std::this_thread::sleep_for(delay);
                waited += delay;
                delay *= 2;
                continue;
            }
            throw BusyError(describe_argv(argv) + " failed: container " + ctid +
                            " is locked by another vzctl (exit 9) and was still locked after " +
                            std::to_string(attempts) + " attempts over " + seconds_text(waited) +
                            "; retry later (the holder is named in LOCKDIR/" + ctid +
                            ".lck, /vz/lock by default). vzctl said: " + vzctl_complaint(said));
        }
        throw VzctlError(argv, r.exit_code, said);
    }
}

CtStatus Vzctl::status(const std::string& ctid) {
    require_ctid(ctid, "query the status of");
    // Without a vzctl to run, nothing vzlvs would go on to do can work: say so here, as the
    // status call does, even where the kernel could answer.
    if (::access(setup_.path.c_str(), X_OK) != 0) return status_from_vzctl(ctid);
    const auto running = recorded_running(vz_id(ctid));
    if (!running) return status_from_vzctl(ctid);
    // vzctl's own rule for "exist": both the config and VE_PRIVATE are there (vzctl 4
    // src/vzctl-actions.c show_status; libvzctl 7 vzctl2_get_env_status alike).
    const CtConfig c = config(ctid);
    std::error_code ec;
    CtStatus st;
    st.ctid = ctid;
    st.exists = c.exists && !c.ve_private.empty() && std::filesystem::exists(c.ve_private, ec);
    st.running = *running;
    return st;
}

std::optional<bool> Vzctl::recorded_running(const std::string& id) {
    if (!veinfo_ || !cache_reads_) veinfo_ = read_veinfo(setup_.runtime_root);
    if (!*veinfo_) return std::nullopt;
    return (*veinfo_)->count(id) > 0;
}

CtStatus Vzctl::status_from_vzctl(const std::string& ctid) {
    RunResult r = call({setup_.path, "status", ctid}, false, setup_.timeouts.status);
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        if (auto st = parse_status_line(line)) return *st;
    }
    std::string shown = r.out;
    while (!shown.empty() && std::isspace(static_cast<unsigned char>(shown.back()))) {
        shown.pop_back();
    }
    throw Error(describe_argv({setup_.path, "status", ctid}) +
                " printed no status line vzlvs understands (expected `CTID " + ctid +
                " exist|deleted mounted|unmounted running|down`): \"" + shown + "\"; is " +
                setup_.path + " really OpenVZ's vzctl?");
}

std::string Vzctl::vz_id(const std::string& ctid) {
    if (check_legacy_ctid(ctid).empty()) return ctid;
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(names_dir() / ctid, ec);
    if (ec) return ctid;
    const std::string file = target.filename().string();
    const std::string id = file.size() > 5 && file.substr(file.size() - 5) == ".conf"
                               ? file.substr(0, file.size() - 5)
                               : "";
    return check_legacy_ctid(id).empty() ? id : ctid;
}

CtConfig Vzctl::config(const std::string& ctid) {
    return read_config(vz_id(ctid), ConfRules::vzctl4);
}

CtConfig Vzctl::read_config(const std::string& id, ConfRules rules) {
    if (!cache_reads_)
        return read_ct_config(setup_.conf_dir, id, setup_.conf_dir.parent_path() / "vz.conf",
                              rules);
    auto it = configs_.find(id);
    if (it == configs_.end())
        it = configs_
                 .emplace(id, read_ct_config(setup_.conf_dir, id,
                                             setup_.conf_dir.parent_path() / "vz.conf", rules))
                 .first;
    return it->second;
}

std::vector<std::string> Vzctl::containers() {
    // vzctl 4 knows a CT by its <ctid>.conf in VE_CONFDIR (vzctl's env.c, ve_exist()).
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(setup_.conf_dir, ec)) {
        if (e.path().extension() != ".conf") continue;
        const std::string id = e.path().stem().string();
        if (check_legacy_ctid(id).empty()) out.push_back(id);
    }
    return out;
}

std::filesystem::path Vzctl::action_script(const std::string& ctid, const std::string& action) {
    require_ctid(ctid, "find the action scripts of");
    return setup_.conf_dir / (vz_id(ctid) + "." + action);
}

std::vector<std::string> Vzctl::argv(const CtChange& c) const {
    using K = CtChange::Kind;
    switch (c.kind) {
        case K::set_features:
            require_ctid(c.ctid, "set features on");
            require_features(c.arg, c.ctid);
            return {setup_.path, "set", c.ctid, "--features", c.arg, "--save"};
        case K::set_features_restart:
            require_ctid(c.ctid, "set features on");
            require_features(c.arg, c.ctid);
            // --setmode restart needs --save (vzctl 7 exit 20 otherwise).
            return {setup_.path, "set",       c.ctid,    "--features",
                    c.arg,       "--setmode", "restart", "--save"};
        case K::ipadd:
            require_ctid(c.ctid, "add an IP address to");
            require_ip(c.arg, c.ctid, "add an IP address");
            return {setup_.path, "set", c.ctid, "--ipadd", c.arg, "--save"};
        case K::ipdel:
            require_ctid(c.ctid, "delete an IP address from");
            require_ip(c.arg, c.ctid, "delete an IP address");
            return {setup_.path, "set", c.ctid, "--ipdel", c.arg, "--save"};
        case K::start:
            require_ctid(c.ctid, "start");
            return {setup_.path, "start", c.ctid};
        case K::restart:
            require_ctid(c.ctid, "restart");
            return {setup_.path, "restart", c.ctid};
    }
    throw Error("unknown container change");
}

RunResult Vzctl::run(const CtChange& c) {
    const bool set = c.kind == CtChange::Kind::set_features || c.kind == CtChange::Kind::ipadd ||
                     c.kind == CtChange::Kind::ipdel;  // set_features_restart: a lifecycle
    forget_reads();
    return call(argv(c), true, set ? setup_.timeouts.set : setup_.timeouts.lifecycle);
}

RunResult Vzctl::exec(const std::string& ctid, const std::vector<std::string>& argv,
                      const std::optional<std::string>& input) {
    require_ctid(ctid, "run a command in");
    if (argv.empty()) {
        throw UsageError("cannot run a command in container " + ctid + ": the command is empty");
    }
    std::vector<std::string> full{setup_.path, "exec2", ctid};
    for (const auto& word : argv) full.push_back(shell_quote(word));
    // A lone "-" as the command makes vzctl read a script from stdin instead.
    if (full[3] == "-") full[3] = "'-'";
    RunOptions opts;
    opts.timeout = setup_.timeouts.exec;
    opts.input = input;
    opts.max_output = setup_.exec_output_max;
    opts.ends_with_vzlvs = true;  // a command in a CT may hang: it must not outlive vzlvs
    try {
        return runner_.run(full, opts);
    } catch (const ProgramNotFound& e) {
        throw ProgramNotFound(std::string(e.what()) +
                              "; vzlvs drives OpenVZ through vzctl: install vzctl or set its "
                              "path with `vzctl =` in the [node] section");
    }
}

}  // namespace vzlvs
