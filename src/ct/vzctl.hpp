// The vzctl seam: typed calls and typed errors on top of a ProcessRunner.
// Behaviour it relies on is documented in docs/openvz.md (from vzctl 4.x sources).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "base/process.hpp"

namespace vzlvs {

struct CtStatus {
    std::string ctid;
    bool exists = false;  // `exist`: both <ctid>.conf and VE_PRIVATE are there
    bool mounted = false;
    bool running = false;
    bool paused = false;     // OpenVZ 7 only
    bool suspended = false;  // a stopped CT with a dump file (4.x), or OpenVZ 7's state word
};

// Parses `CTID 101 exist mounted running` (vzctl 4.x, optionally ending in ` suspended`) and
// `VEID <id> exist|deleted mounted|unmounted running|paused|down|suspended` (OpenVZ 7).
// Anything else gives nullopt.
std::optional<CtStatus> parse_status_line(const std::string& line);

// A CT ID vzlvs passes to vzctl: a legacy numeric ID (2..2147483647, no leading zero) or an
// OpenVZ 7 name/UUID of [A-Za-z0-9-], 1..64 characters, starting with a letter or digit.
// Returns "" when acceptable, else the reason.
std::string check_ctid(const std::string& ctid);

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

// Quotes one word for a POSIX shell ('…' with embedded quotes escaped).
std::string shell_quote(const std::string& word);

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

class Vzctl {
  public:
    Vzctl(ProcessRunner& runner, std::string path, VzctlRetry retry = {});

    // Every call validates ctid (check_ctid) and IPs (dotted IPv4) first: UsageError.
    // A non-zero vzctl exit is a VzctlError; exit 9 still present after retry.attempts is a
    // BusyError; a timeout or a signal is an Error. The mutating calls return vzctl's output
    // because vzctl reports some things only as warnings on exit 0 (e.g. "Unable to set
    // features on a running container", which is still saved).
    CtStatus status(const std::string& ctid);
    RunResult set_features(const std::string& ctid, const std::string& features);  // "ipip:on"
    RunResult ipadd(const std::string& ctid, const std::string& ip);  // --ipadd IP --save
    RunResult ipdel(const std::string& ctid, const std::string& ip);  // --ipdel IP --save
    RunResult start(const std::string& ctid);
    RunResult stop(const std::string& ctid);
    RunResult restart(const std::string& ctid);
    // Runs argv inside the CT via `vzctl exec2`, each word shell-quoted because vzctl joins
    // the words with spaces and hands them to `bash -c`. Returns the command's own result
    // (also on a timeout: see RunResult::timed_out); never retries, never throws for a
    // non-zero status, since exec2 cannot tell vzctl's own codes from the command's.
    RunResult exec(const std::string& ctid, const std::vector<std::string>& argv,
                   const std::optional<std::string>& input = std::nullopt);

    const std::string& path() const { return path_; }

    VzctlTimeouts timeouts;

  private:
    RunResult call(std::vector<std::string> args, bool mutating,
                   std::chrono::milliseconds timeout);  // retries exit 9
    ProcessRunner& runner_;
    std::string path_;
    VzctlRetry retry_;
};

}  // namespace vzlvs
