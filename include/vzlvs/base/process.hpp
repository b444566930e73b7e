// The process-runner seam: argv vectors only, never a shell string.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

struct RunOptions {
    std::chrono::milliseconds timeout{std::chrono::seconds(60)};
    std::optional<std::string> input;        // fed to stdin; otherwise stdin is /dev/null
    bool clear_env = false;                  // start from an empty environment
    std::map<std::string, std::string> env;  // added to (or replacing) the environment
    // Bytes kept of stdout and of stderr each. A child that writes more is killed (its whole
    // process group) and RunResult::truncated is set: output is never an unbounded buffer.
    std::size_t max_output = 16 * 1024 * 1024;
    // The child's process group is killed when vzlvs is stopped by a signal
    // (kill_children_ending_with_vzlvs): for what may hang and must not outlive the run that
    // asked for it, a command inside a container. vzctl's own changes are left to finish.
    bool ends_with_vzlvs = false;
};

struct RunResult {
    int exit_code = -1;  // valid when !timed_out && signal == 0
    int signal = 0;      // the signal that killed the child, if any
    bool timed_out = false;
    bool truncated = false;  // killed for writing more than RunOptions::max_output
    std::string out;
    std::string err;
    bool ok() const { return !timed_out && !truncated && signal == 0 && exit_code == 0; }
};

// The program could not be started at all (missing, not executable).
class ProgramNotFound : public Error {
  public:
    using Error::Error;
};

class ProcessRunner {
  public:
    virtual ~ProcessRunner() = default;
    // argv[0] is a path or a name looked up in PATH. Throws ProgramNotFound when it
    // cannot be started; a non-zero exit, a signal or a timeout is reported in RunResult.
    virtual RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {}) = 0;
};

std::unique_ptr<ProcessRunner> make_process_runner();

// SIGKILL to the process group of every child running now with RunOptions::ends_with_vzlvs;
// from then on no such child is started (run() throws Error). Async-signal-safe: for the
// handlers of the signals that stop vzlvs (base/signals.hpp).
void kill_children_ending_with_vzlvs();

// "a b 'c d'" — for messages and logs only, never executed.
std::string describe_argv(const std::vector<std::string>& argv);

}  // namespace vzlvs
