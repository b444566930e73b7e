// ProcessRunner on Boost.Process: argv only, both pipes drained concurrently on a private
// io_context, the child in its own process group so a timeout can kill everything it started,
// and every child reaped here with waitpid (Boost's terminate() can leave zombies).
#include "vzlvs/base/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "vzlvs/base/shell.hpp"

namespace bp = boost::process;
namespace asio = boost::asio;

namespace vzlvs {
namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Writing stdin to a child that already exited raises SIGPIPE, which would kill the whole agent;
// ignoring it turns that into EPIPE on the write. Children get the default back before exec.
void ignore_sigpipe_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction old {};
        if (sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL) {
            signal(SIGPIPE, SIG_IGN);
        }
    });
}

// The process groups of the children that end with vzlvs, while they run: a fixed table of
// lock-free atomics, so that a signal handler can read it. 0 is a free slot.
constexpr std::size_t kEndingSlots = 64;
std::atomic<pid_t> g_ending[kEndingSlots];
// Set once they were killed: vzlvs is stopping, and starts no more of them.
std::atomic<bool> g_ended{false};
static_assert(std::atomic<pid_t>::is_always_lock_free, "a signal handler reads the table");

// Holds one slot for a running child; more than the table holds go unregistered (each still
// ends at its own timeout).
class EndingSlot {
  public:
    explicit EndingSlot(pid_t pgid) {
        for (auto& s : g_ending) {
            pid_t free = 0;
            if (s.compare_exchange_strong(free, pgid)) {
                slot_ = &s;
                return;
            }
        }
    }
    ~EndingSlot() {
        if (slot_) slot_->store(0);
    }
    EndingSlot(const EndingSlot&) = delete;
    EndingSlot& operator=(const EndingSlot&) = delete;

  private:
    std::atomic<pid_t>* slot_ = nullptr;
};

// Runs in the forked child: only async-signal-safe calls.
void prepare_child() {
    // Own group: a timeout kills grandchildren too, which may hold our pipes open.
    setpgid(0, 0);
    signal(SIGPIPE, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    // Descriptors the agent opened (lock files, sockets, other runs' pipes) must not leak into
    // the child: a leaked pipe end would keep another run's reader waiting. Marking them
    // close-on-exec (rather than closing) keeps Boost's exec-error pipe working.
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        long max = sysconf(_SC_OPEN_MAX);
        if (max < 0 || max > 65536) max = 65536;
        for (int fd = 3; fd < max; ++fd) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
}

std::string env_path(const RunOptions& opts) {
    auto it = opts.env.find("PATH");
    if (it != opts.env.end()) return it->second;
    if (!opts.clear_env) {
        if (const char* p = getenv("PATH")) return p;
    }
    return kDefaultPath;
}

// Resolves argv[0] the way execvp would, but explains a failure instead of returning ENOENT.
std::string resolve_program(const std::string& name, const RunOptions& opts) {
    if (name.empty()) {
        throw ProgramNotFound("cannot run a command with an empty program name (argv[0] is empty)");
    }
    auto check = [&](const std::string& path) -> int {
        struct stat st {};
        if (stat(path.c_str(), &st) != 0) return errno;
        if (S_ISDIR(st.st_mode)) return EISDIR;
        if (access(path.c_str(), X_OK) != 0) return errno;
        return 0;
    };
    if (name.find('/') != std::string::npos) {
        int err = check(name);
        if (err == 0) return name;
        throw ProgramNotFound("cannot run " + name + ": " + std::strerror(err) +
                              (err == EACCES ? " (make it executable: chmod +x)" : ""));
    }
    const std::string path = env_path(opts);
    std::string denied;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        start = end + 1;
        // An empty PATH entry would mean the current directory: never trust that.
        if (dir.empty()) continue;
        std::string candidate = dir + "/" + name;
        int err = check(candidate);
        if (err == 0) return candidate;
        if (err == EACCES && denied.empty()) denied = candidate;
    }
    if (!denied.empty()) {
        throw ProgramNotFound("cannot run " + name + ": " + denied +
                              ": Permission denied (make it executable: chmod +x)");
    }
    throw ProgramNotFound("cannot run " + name + ": not found in PATH (" + path +
                          "); install it or give its full path");
}

bp::environment build_env(const RunOptions& opts) {
    bp::environment env =
        opts.clear_env ? bp::environment() : bp::environment(boost::this_process::environment());
    for (const auto& [key, value] : opts.env) env[key] = value;
    return env;
}

int wait_blocking(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

void record_status(int status, RunResult& result) {
    if (status < 0) return;
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
}

class BoostProcessRunner : public ProcessRunner {
  public:
    RunResult run(const std::vector<std::string>& argv, const RunOptions& opts) override {
        if (argv.empty()) throw ProgramNotFound("cannot run an empty command (argv is empty)");
        if (opts.ends_with_vzlvs && g_ended)
            throw Error("not started, vzlvs is stopping: " + describe_argv(argv));
        const std::string exe = resolve_program(argv[0], opts);
        const std::vector<std::string> args(argv.begin() + 1, argv.end());

        asio::io_context ioc;
        bp::async_pipe out_pipe(ioc), err_pipe(ioc), in_pipe(ioc);
        RunResult result;
        std::error_code spawn_error;
        auto reap_failed = [](auto& exec, const std::error_code&) {
            // Boost leaves a child whose exec failed unreaped.
            if (exec.pid > 0) {
                kill(exec.pid, SIGKILL);
                wait_blocking(exec.pid);
            }
        };
        auto setup = [](auto&) { prepare_child(); };

        pid_t pid = -1;
        {
            bp::environment env = build_env(opts);
            bp::child child =
                opts.input ? bp::child(bp::exe = exe, bp::args = args, bp::std_out > out_pipe,
                                       bp::std_err > err_pipe, bp::std_in < in_pipe, env,
                                       bp::extend::on_exec_setup = setup,
                                       bp::extend::on_error = reap_failed, spawn_error)
                           : bp::child(bp::exe = exe, bp::args = args, bp::std_out > out_pipe,
                                       bp::std_err > err_pipe, bp::std_in < bp::null, env,
                                       bp::extend::on_exec_setup = setup,
                                       bp::extend::on_error = reap_failed, spawn_error);
            if (spawn_error || !child.valid()) {
                const int code = spawn_error.value();
                const std::string why = spawn_error ? spawn_error.message() : "unknown error";
                if (code == EAGAIN || code == ENOMEM || code == EMFILE || code == ENFILE) {
                    throw Error("cannot start " + describe_argv(argv) + ": " + why +
                                " (the system is out of processes or file descriptors)");
                }
                throw ProgramNotFound(
                    "cannot run " + exe + ": " + why +
                    (code == ENOEXEC ? " (a script needs a #! line and must be executable)" : ""));
            }
            pid = child.id();
            // We reap it ourselves; a detached child's destructor does not touch the pid.
            child.detach();
        }
        // Until it is reaped below, its pid pins its group id: a kill cannot hit another group.
        std::optional<EndingSlot> ending;
        if (opts.ends_with_vzlvs) {
            ending.emplace(pid);
            if (g_ended) kill(-pid, SIGKILL);  // the stop came while it was being started
        }

        // Both pipes are read to EOF at once: reading one while the child blocks writing the
        // other would deadlock.
        int pending = 2;
        const std::size_t max = std::max<std::size_t>(opts.max_output, 1);
        auto done = [&, max](const boost::system::error_code&, std::size_t) {
            --pending;
            if (!result.truncated && (result.out.size() >= max || result.err.size() >= max)) {
                // A full buffer ends the read, not the child: stop it before it blocks on
                // the pipe until the timeout.
                result.truncated = true;
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
            }
        };
        asio::async_read(out_pipe, asio::dynamic_buffer(result.out, max), done);
        asio::async_read(err_pipe, asio::dynamic_buffer(result.err, max), done);
        if (opts.input) {
            ++pending;
            asio::async_write(in_pipe, asio::buffer(*opts.input),
                              [&](const boost::system::error_code&, std::size_t) {
                                  // Closing gives the child EOF on stdin.
                                  boost::system::error_code ignored;
                                  in_pipe.close(ignored);
                                  --pending;
                              });
        }

        const auto deadline = std::chrono::steady_clock::now() + opts.timeout;
        while (pending > 0 && std::chrono::steady_clock::now() < deadline) {
            ioc.run_until(deadline);
            if (ioc.stopped()) break;
        }

        int status = -1;
        bool exited = false;
        if (pending == 0) {
            // The pipes are closed but the child may still be running (it closed its stdio).
            auto nap = std::chrono::milliseconds(1);
            while (true) {
                int st = 0;
                pid_t r = waitpid(pid, &st, WNOHANG);
                if (r == pid) {
                    status = st;
                    exited = true;
                    break;
                }
                if (r < 0 && errno != EINTR) break;
                auto now = std::chrono::steady_clock::now();
                if (now >= deadline) break;
                std::this_thread::sleep_for(
                    std::min<std::chrono::steady_clock::duration>(nap, deadline - now));
                nap = std::min(nap * 2, std::chrono::milliseconds(50));
            }
        }
        if (!exited) {
            result.timed_out = true;
            // The unreaped child pins the group id, so this cannot hit an unrelated group.
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            status = wait_blocking(pid);
            // Pick up what was already written before the kill.
            ioc.restart();
            ioc.poll();
        }
        record_status(status, result);
        boost::system::error_code ignored;
        out_pipe.close(ignored);
        err_pipe.close(ignored);
        in_pipe.close(ignored);
        return result;
    }
};

}  // namespace

void kill_children_ending_with_vzlvs() {
    g_ended = true;
    for (auto& s : g_ending) {
        const pid_t pgid = s.load();
        if (pgid > 0) kill(-pgid, SIGKILL);
    }
}

std::unique_ptr<ProcessRunner> make_process_runner() {
    ignore_sigpipe_once();
    return std::make_unique<BoostProcessRunner>();
}

std::string describe_argv(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& word : argv) {
        if (!out.empty()) out += ' ';
        out += shell_quote(word);
    }
    return out;
}

}  // namespace vzlvs
