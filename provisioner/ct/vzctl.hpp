// The vzctl 4.x driver (legacy OpenVZ) of the container-manager seam: typed calls and typed
// errors on top of a ProcessRunner. Behaviour it relies on: docs/openvz.md (vzctl 4.x sources).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vzlvs/base/error.hpp"
#include "vzlvs/base/process.hpp"
#include "vzlvs/ct/manager.hpp"

namespace vzlvs {

// Parses `CTID 101 exist mounted running` (vzctl 4.x, optionally ending in ` suspended`) and
// `VEID <id> exist|deleted mounted|unmounted running|paused|down|suspended` (OpenVZ 7).
// Anything else gives nullopt.
std::optional<CtStatus> parse_status_line(const std::string& line);

// vzctl exit codes vzlvs tells apart (vzctl include/vzerror.h).
enum class VzctlCode : int {
    exec_failed = 8,
    locked = 9,
    bad_config = 10,
    no_such_ct = 14,
    bad_param = 21,
    not_running = 31,
    already_running = 32,
    net_setup = 34,
    ip_in_use = 78,
    action_script = 79,
};

class VzctlError : public Error {
  public:
    VzctlError(std::vector<std::string> argv, int code, std::string stderr_text);
    int code() const { return code_; }
    const std::string& stderr_text() const { return stderr_; }
    const std::vector<std::string>& argv() const { return argv_; }

  private:
    std::vector<std::string> argv_;
    int code_;
    std::string stderr_;
};

// What a vzctl exit code means, in words a user can act on.
std::string describe_vzctl_code(int code);

// The first few non-empty lines of what vzctl printed, " / "-joined: its real complaint is
// usually the first line, sometimes after a "Locked by:" or similar line that explains it.
std::string vzctl_complaint(const std::string& text);

struct VzctlRetry {
    int attempts = 5;                            // for exit 9 (locked)
    std::chrono::milliseconds first_delay{200};  // doubles each time
};

// How long vzlvs lets one vzctl call run before killing it. vzctl itself has no timeouts for
// action scripts or exec, so these are the only bound.
struct VzctlTimeouts {
    std::chrono::milliseconds status{std::chrono::seconds(60)};
    std::chrono::milliseconds exec{std::chrono::seconds(60)};
    std::chrono::milliseconds set{std::chrono::minutes(5)};
    // start/stop/restart: a stop alone may take STOP_TIMEOUT (120 s) plus the action scripts.
    std::chrono::milliseconds lifecycle{std::chrono::minutes(15)};
};

// What a vzctl driver is made with ([node] and how the release was found), fixed for its life.
struct VzctlSetup {
    std::string path = "/usr/sbin/vzctl";
    std::filesystem::path conf_dir = "/etc/vz/conf";  // <ctid>.conf, action scripts; vz.conf beside
    std::filesystem::path runtime_root = "/";         // the kernel's and vzctl's run-time records
    std::string origin;  // how this driver was chosen ("set: openvz = 4 in [node]"), for flavour()
    VzctlRetry retry{};
    VzctlTimeouts timeouts{};
    // What exec keeps of a command's output: it comes from inside a container, whose root may
    // be hostile. More kills the command (RunResult::truncated).
    std::size_t exec_output_max = 64 * 1024;
};

class Vzctl : public ContainerManager {
  public:
    Vzctl(ProcessRunner& runner, VzctlSetup setup) : runner_(runner), setup_(std::move(setup)) {}

    std::string flavour() const override { return with_origin("vzctl 4 (legacy OpenVZ)"); }
    std::optional<std::string> unusable() const override;
    // vzctl exports VEID to every action script (vzctl 4 and 7 alike).
    std::optional<std::string> hook_ct() const override;
    // Every call validates ctid (check_ctid) and IPs (dotted IPv4) first: UsageError.
    // A non-zero vzctl exit is a VzctlError; exit 9 still present after retry.attempts is a
    // BusyError; a timeout or a signal is an Error. The mutating calls return vzctl's output
    // because vzctl reports some things only as warnings on exit 0 (e.g. "Unable to set
    // features on a running container", which is still saved).
    // A CT name: /etc/vz/names/NAME, a link to the CT's <ID>.conf (vzctl 4 src/lib/config.c
    // get_veid_by_name).
    std::string vz_id(const std::string& ctid) override;
    // From the kernel's record of running CTs when the node has it (ct/run_state.hpp), else
    // from `vzctl status`.
    CtStatus status(const std::string& ctid) override;
    void cache_reads() override { cache_reads_ = true; }
    void forget_reads() override {
        veinfo_.reset();
        configs_.clear();
        remembered_.clear();
    }
    CtConfig config(const std::string& ctid) override;
    std::vector<std::string> containers() override;
    std::filesystem::path action_script(const std::string& ctid,
                                        const std::string& action) override;
    std::vector<std::string> argv(const CtChange& change) const override;
    RunResult run(const CtChange& change) override;
    RunResult exec(const std::string& ctid, const std::vector<std::string>& argv) override {
        return exec(ctid, argv, std::nullopt);
    }

    // Runs argv inside the CT via `vzctl exec2`, each word shell-quoted because vzctl joins
    // the words with spaces and hands them to `bash -c`. Returns the command's own result
    // (also on a timeout: see RunResult::timed_out); never retries, never throws for a
    // non-zero status, since exec2 cannot tell vzctl's own codes from the command's.
    RunResult exec(const std::string& ctid, const std::vector<std::string>& argv,
                   const std::optional<std::string>& input);

    const VzctlSetup& setup() const { return setup_; }

  protected:
    // Whether CT `id` (vz_id resolved) runs, from the kernel's record; nullopt: none here.
    // vzctl 4: /proc/vz/veinfo.
    virtual std::optional<bool> recorded_running(const std::string& id);
    // `vzctl status`, parsed.
    CtStatus status_from_vzctl(const std::string& ctid);
    // CT `id`'s config by these rules; kept until forget_reads() when reads are cached.
    CtConfig read_config(const std::string& id, ConfRules rules);
    // read() once per key until forget_reads() when reads are cached (an ID a name resolves
    // to, where an action script lives), else every time.
    template <typename Read>
    std::string remember(const std::string& key, Read read) {
        if (!cache_reads_) return read();
        auto it = remembered_.find(key);
        if (it == remembered_.end()) it = remembered_.emplace(key, read()).first;
        return it->second;
    }
    // /etc/vz/names beside /etc/vz/conf: NAME → a link to the CT's config (both releases).
    std::filesystem::path names_dir() const { return setup_.conf_dir.parent_path() / "names"; }
    std::string with_origin(const std::string& what) const {
        return setup_.origin.empty() ? what : what + ", " + setup_.origin;
    }
    RunResult call(std::vector<std::string> argv, bool mutating,
                   std::chrono::milliseconds timeout);  // retries exit 9

  private:
    ProcessRunner& runner_;
    const VzctlSetup setup_;
    bool cache_reads_ = false;
    std::optional<std::optional<std::set<std::string>>> veinfo_;  // read, and maybe absent
    std::map<std::string, CtConfig> configs_;
    std::map<std::string, std::string> remembered_;
};

}  // namespace vzlvs
