// The vzctl driver: validated argv, vzctl exit codes turned into typed errors, exit 9 retried.
// Behaviour relied on is in docs/openvz.md.
#include "ct/vzctl.hpp"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <sstream>
#include <thread>

#include "ct/run_state.hpp"
#include "vzlvs/base/shell.hpp"
#include "vzlvs/config/ctid.hpp"
#include "vzlvs/config/validate.hpp"

namespace vzlvs {
namespace {

std::vector<std::string> split_words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> words;
    std::string w;
    while (in >> w) words.push_back(w);
    return words;
}

// The first few non-empty lines: vzctl's real complaint is usually the first line, sometimes
// preceded by a "Locked by:" or similar line that explains it.
std::string first_lines(const std::string& text, int max_lines = 3) {
    std::istringstream in(text);
    std::string line, out;
    int n = 0;
    while (n < max_lines && std::getline(in, line)) {
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
            line.pop_back();
        }
        if (line.empty()) continue;
        if (!out.empty()) out += " / ";
        out += line;
        ++n;
    }
    return out.empty() ? "(vzctl printed nothing)" : out;
}

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

std::string vzctl_error_text(const std::vector<std::string>& argv, int code,
                             const std::string& stderr_text) {
    return describe_argv(argv) + " failed (exit " + std::to_string(code) + ": " +
           describe_vzctl_code(code) + "): " + first_lines(stderr_text);
}

}  // namespace

std::optional<CtStatus> parse_status_line(const std::string& line) {
    auto words = split_words(line);
    if (words.size() != 5 && words.size() != 6) return std::nullopt;
    if (words[0] != "CTID" && words[0] != "VEID") return std::nullopt;
    CtStatus st;
    st.ctid = words[1];
    if (words[2] == "exist") {
        st.exists = true;
    } else if (words[2] != "deleted") {
        return std::nullopt;
    }
    if (words[3] == "mounted") {
        st.mounted = true;
    } else if (words[3] != "unmounted") {
        return std::nullopt;
    }
    const std::string& state = words[4];
    if (state == "running") {
        st.running = true;
    } else if (state == "paused") {
        st.paused = true;
    } else if (state == "suspended") {
        st.suspended = true;
    } else if (state != "down") {
        return std::nullopt;
    }
    if (words.size() == 6) {
        // 4.x appends "suspended" to a stopped CT that has a dump file.
        if (words[5] != "suspended") return std::nullopt;
        st.suspended = true;
    }
    return st;
}

std::string describe_vzctl_code(int code) {
    switch (code) {
        case 0:
            return "success";
        case 3:
            return "system error inside vzctl (see its message and /var/log/vzctl.log)";
        case 5:
            return "not an OpenVZ kernel, or /dev/vzctl cannot be opened (boot the OpenVZ "
                   "kernel and load the vzdev module)";
        case 8:
            return "the command run by vzctl exec failed";
        case 9:
            return "container locked by another vzctl (LOCKDIR/<CTID>.lck, /vz/lock by "
                   "default); retry later";
        case 10:
            return "vz.conf or the container config cannot be read (check /etc/vz/vz.conf and "
                   "/etc/vz/conf/<CTID>.conf)";
        case 14:
            return "no such container (no <CTID>.conf in /etc/vz/conf)";
        case 20:
            return "vzctl rejected the command syntax (a vzlvs bug: please report it)";
        case 21:
            return "vzctl rejected a parameter value (see its message: e.g. an unknown feature "
                   "or a bad CT ID)";
        case 22:
            return "VE_ROOT is not set (set it in /etc/vz/vz.conf or the container config)";
        case 23:
            return "VE_PRIVATE is not set (set it in /etc/vz/vz.conf or the container config)";
        case 31:
            return "container is not running";
        case 32:
            return "container is already running, or the change is not allowed while it runs";
        case 33:
            return "unable to stop the container (see /var/log/vzctl.log)";
        case 34:
            return "cannot add the container's IP address or host route (vps-net_add failed; "
                   "check `ip route` for a conflicting route on the node)";
        case 40:
            return "container is not mounted";
        case 43:
            return "container private area (VE_PRIVATE) does not exist";
        case 46:
            return "not enough disk space";
        case 47:
            return "bad OS template";
        case 48:
            return "cannot create the container private area";
        case 49:
            return "cannot create the container mount point (VE_ROOT)";
        case 50:
            return "cannot mount the container private area";
        case 51:
            return "cannot unmount the container private area (something still uses it)";
        case 78:
            return "IP address already in use by another container on this node (the venet IP "
                   "table is global): remove it there first";
        case 79:
            return "an action script (premount/mount/start/stop/umount) failed; see the "
                   "script's message above and fix or remove the script";
        case 89:
            return "IP address not available";
        case 100:
            return "cannot read the container's IP addresses";
        case 105:
            return "container start disabled (DISABLED=yes in its config)";
        case 133:
            return "waiting for the container to boot failed or timed out";
        case 139:
            return "cannot save the container config (check space and permissions in "
                   "/etc/vz/conf)";
        default:
            return "vzctl exit code " + std::to_string(code);
    }
}

VzctlError::VzctlError(std::vector<std::string> argv, int code, std::string stderr_text)
    : Error(vzctl_error_text(argv, code, stderr_text)),
      argv_(std::move(argv)),
      code_(code),
      stderr_(std::move(stderr_text)) {}

Vzctl::Vzctl(ProcessRunner& runner, std::string path, VzctlRetry retry,
             std::filesystem::path conf_dir)
    : runner_(runner), path_(std::move(path)), retry_(retry), conf_dir_(std::move(conf_dir)) {}

RunResult Vzctl::call(std::vector<std::string> argv, bool mutating,
                      std::chrono::milliseconds timeout) {
    const std::string ctid = argv.size() > 2 ? argv[2] : "?";
    RunOptions opts;
    opts.timeout = timeout;
    const int attempts = std::max(1, retry_.attempts);
    auto delay = retry_.first_delay;
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
                            ".lck, /vz/lock by default). vzctl said: " + first_lines(said));
        }
        throw VzctlError(argv, r.exit_code, said);
    }
}

CtStatus Vzctl::status(const std::string& ctid) {
    require_ctid(ctid, "query the status of");
    // Without a vzctl to run, nothing vzlvs would go on to do can work: say so here, as the
    // status call does, even where the kernel could answer.
    if (::access(path_.c_str(), X_OK) != 0) return status_from_vzctl(ctid);
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
    if (!veinfo_ || !cache_reads_) veinfo_ = read_veinfo(runtime_root);
    if (!*veinfo_) return std::nullopt;
    return (*veinfo_)->count(id) > 0;
}

CtStatus Vzctl::status_from_vzctl(const std::string& ctid) {
    RunResult r = call({path_, "status", ctid}, false, timeouts.status);
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        if (auto st = parse_status_line(line)) return *st;
    }
    std::string shown = r.out;
    while (!shown.empty() && std::isspace(static_cast<unsigned char>(shown.back()))) {
        shown.pop_back();
    }
    throw Error(describe_argv({path_, "status", ctid}) +
                " printed no status line vzlvs understands (expected `CTID " + ctid +
                " exist|deleted mounted|unmounted running|down`): \"" + shown + "\"; is " + path_ +
                " really OpenVZ's vzctl?");
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
        return read_ct_config(conf_dir_, id, conf_dir_.parent_path() / "vz.conf", rules);
    auto it = configs_.find(id);
    if (it == configs_.end())
        it = configs_
                 .emplace(id,
                          read_ct_config(conf_dir_, id, conf_dir_.parent_path() / "vz.conf", rules))
                 .first;
    return it->second;
}

std::vector<std::string> Vzctl::containers() {
    // vzctl 4 knows a CT by its <ctid>.conf in VE_CONFDIR (vzctl's env.c, ve_exist()).
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(conf_dir_, ec)) {
        if (e.path().extension() != ".conf") continue;
        const std::string id = e.path().stem().string();
        if (check_legacy_ctid(id).empty()) out.push_back(id);
    }
    return out;
}

std::filesystem::path Vzctl::action_script(const std::string& ctid, const std::string& action) {
    require_ctid(ctid, "find the action scripts of");
    return conf_dir_ / (vz_id(ctid) + "." + action);
}

std::vector<std::string> Vzctl::argv(const CtChange& c) const {
    using K = CtChange::Kind;
    switch (c.kind) {
        case K::set_features:
            require_ctid(c.ctid, "set features on");
            require_features(c.arg, c.ctid);
            return {path_, "set", c.ctid, "--features", c.arg, "--save"};
        case K::set_features_restart:
            require_ctid(c.ctid, "set features on");
            require_features(c.arg, c.ctid);
            // --setmode restart needs --save (vzctl 7 exit 20 otherwise).
            return {path_, "set", c.ctid, "--features", c.arg, "--setmode", "restart", "--save"};
        case K::ipadd:
            require_ctid(c.ctid, "add an IP address to");
            require_ip(c.arg, c.ctid, "add an IP address");
            return {path_, "set", c.ctid, "--ipadd", c.arg, "--save"};
        case K::ipdel:
            require_ctid(c.ctid, "delete an IP address from");
            require_ip(c.arg, c.ctid, "delete an IP address");
            return {path_, "set", c.ctid, "--ipdel", c.arg, "--save"};
        case K::start:
            require_ctid(c.ctid, "start");
            return {path_, "start", c.ctid};
        case K::stop:
            require_ctid(c.ctid, "stop");
            return {path_, "stop", c.ctid};
        case K::restart:
            require_ctid(c.ctid, "restart");
            return {path_, "restart", c.ctid};
    }
    throw Error("unknown container change");
}

RunResult Vzctl::run(const CtChange& c) {
    const bool set = c.kind == CtChange::Kind::set_features || c.kind == CtChange::Kind::ipadd ||
                     c.kind == CtChange::Kind::ipdel;  // set_features_restart: a lifecycle
    forget_reads();
    return call(argv(c), true, set ? timeouts.set : timeouts.lifecycle);
}

RunResult Vzctl::exec(const std::string& ctid, const std::vector<std::string>& argv,
                      const std::optional<std::string>& input) {
    require_ctid(ctid, "run a command in");
    if (argv.empty()) {
        throw UsageError("cannot run a command in container " + ctid + ": the command is empty");
    }
    std::vector<std::string> full{path_, "exec2", ctid};
    for (const auto& word : argv) full.push_back(shell_quote(word));
    // A lone "-" as the command makes vzctl read a script from stdin instead.
    if (full[3] == "-") full[3] = "'-'";
    RunOptions opts;
    opts.timeout = timeouts.exec;
    opts.input = input;
    opts.max_output = exec_output_max;
    try {
        return runner_.run(full, opts);
    } catch (const ProgramNotFound& e) {
        throw ProgramNotFound(std::string(e.what()) +
                              "; vzlvs drives OpenVZ through vzctl: install vzctl or set its "
                              "path with `vzctl =` in the [node] section");
    }
}

}  // namespace vzlvs
