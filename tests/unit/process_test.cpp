// The process runner against real programs: /bin/sh, cat, env, sleep, scripts in a temp dir.
#include "vzlvs/base/process.hpp"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace vzlvs;

namespace {

// Removed in the destructor, so it goes away when an assertion fails too.
class TempDir {
  public:
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "vzlvs-process-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    fs::path write(const std::string& name, const std::string& text, bool executable) {
        fs::path p = path_ / name;
        std::ofstream(p) << text;
        fs::permissions(p, executable ? fs::perms::owner_all : fs::perms::owner_read);
        return p;
    }

  private:
    fs::path path_;
};

// Children of this test process that still exist (running or zombie).
std::vector<int> our_children() {
    std::vector<int> pids;
    const std::string me = std::to_string(getpid());
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        if (!std::getline(stat, line)) continue;
        // pid (comm) state ppid ...: comm may hold spaces, so parse after the last ')'.
        auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        std::string state, ppid;
        rest >> state >> ppid;
        if (ppid == me) pids.push_back(std::stoi(name));
    }
    return pids;
}

void expect_no_children() {
    EXPECT_TRUE(our_children().empty()) << "a child of the test process is left over";
    errno = 0;
    EXPECT_EQ(waitpid(-1, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
}

bool process_gone(int pid) {
    if (kill(pid, 0) != 0) return errno == ESRCH;
    // Killed but not yet reaped by its new parent counts as gone.
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    return close != std::string::npos && line.compare(close + 2, 1, "Z") == 0;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {}) {
    return make_process_runner()->run(argv, opts);
}

}  // namespace

TEST(Process, CapturesStdoutAndStderrSeparately) {
    auto r = run({"/bin/sh", "-c", "echo out; echo err >&2"});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "out\n");
    EXPECT_EQ(r.err, "err\n");
    EXPECT_FALSE(r.timed_out);
    EXPECT_EQ(r.signal, 0);
}

TEST(Process, ReportsExitCodes) {
    EXPECT_TRUE(run({"/bin/true"}).ok());
    auto r = run({"sh", "-c", "exit 7"});
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.exit_code, 7);
    EXPECT_EQ(run({"false"}).exit_code, 1);
}

TEST(Process, ArgumentsArePassedVerbatim) {
    // Words with spaces and shell syntax must arrive unsplit and unexpanded.
    auto r = run({"/usr/bin/printf", "[%s]", "a b", "$HOME", "*", "", "x;y"});
    EXPECT_EQ(r.out, "[a b][$HOME][*][][x;y]");
}

TEST(Process, ReportsTheKillingSignal) {
    auto r = run({"/bin/sh", "-c", "kill -TERM $$"});
    EXPECT_EQ(r.signal, SIGTERM);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.timed_out);
}

TEST(Process, FeedsInputToStdin) {
    RunOptions opts;
    opts.input = "hello\nworld\n";
    auto r = run({"cat"}, opts);
    EXPECT_EQ(r.out, "hello\nworld\n");
}

TEST(Process, StdinIsDevNullWithoutInput) {
    // cat would hang on an inherited terminal; /dev/null gives it EOF at once.
    auto r = run({"cat"});
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.out, "");
    auto link = run({"readlink", "/proc/self/fd/0"});
    EXPECT_EQ(link.out, "/dev/null\n");
}

TEST(Process, MissingProgramInPathIsExplained) {
    try {
        run({"vzlvs-no-such-program"});
        FAIL() << "expected ProgramNotFound";
    } catch (const ProgramNotFound& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("cannot run vzlvs-no-such-program"), std::string::npos) << what;
        EXPECT_NE(what.find("not found in PATH"), std::string::npos) << what;
    }
    expect_no_children();
}

TEST(Process, MissingPathIsExplained) {
    try {
        run({"/nonexistent/vzctl", "status", "101"});
        FAIL() << "expected ProgramNotFound";
    } catch (const ProgramNotFound& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("/nonexistent/vzctl"), std::string::npos) << what;
        EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
    }
}

TEST(Process, NonExecutableFileIsPermissionDenied) {
    // Even root cannot execute a file without any x bit, so this holds when run as root.
    TempDir dir;
    auto script = dir.write("noexec", "#!/bin/sh\necho hi\n", false);
    try {
        run({script.string()});
        FAIL() << "expected ProgramNotFound";
    } catch (const ProgramNotFound& e) {
        EXPECT_NE(std::string(e.what()).find("Permission denied"), std::string::npos) << e.what();
    }
    RunOptions opts;
    opts.env["PATH"] = dir.path().string();
    try {
        run({"noexec"}, opts);
        FAIL() << "expected ProgramNotFound";
    } catch (const ProgramNotFound& e) {
        EXPECT_NE(std::string(e.what()).find("Permission denied"), std::string::npos) << e.what();
    }
}

TEST(Process, ScriptWithoutShebangFailsToStartAndIsReaped) {
    TempDir dir;
    auto script = dir.write("noshebang", "echo hi\n", true);
    try {
        run({script.string()});
        FAIL() << "expected ProgramNotFound";
    } catch (const ProgramNotFound& e) {
        EXPECT_NE(std::string(e.what()).find("#!"), std::string::npos) << e.what();
    }
    expect_no_children();
}

TEST(Process, ResolvesNamesThroughTheGivenPath) {
    TempDir dir;
    dir.write("vzlvs-hello", "#!/bin/sh\necho \"hello $1\"\n", true);
    RunOptions opts;
    opts.env["PATH"] = dir.path().string() + ":/usr/bin:/bin";
    auto r = run({"vzlvs-hello", "there"}, opts);
    EXPECT_EQ(r.out, "hello there\n");
}

TEST(Process, TimeoutKillsTheChildAndLeavesNoZombie) {
    RunOptions opts;
    opts.timeout = std::chrono::milliseconds(200);
    auto r = run({"sleep", "30"}, opts);
    EXPECT_TRUE(r.timed_out);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.signal, SIGKILL);
    expect_no_children();
}

TEST(Process, TimeoutReturnsWhenAGrandchildHoldsStdoutOpen) {
    RunOptions opts;
    opts.timeout = std::chrono::milliseconds(300);
    // The shell exits at once; the backgrounded sleep inherits stdout and would keep a
    // naive reader waiting for 30 s.
    auto r = run({"/bin/sh", "-c", "sleep 30 & echo $!"}, opts);
    EXPECT_TRUE(r.timed_out);
    ASSERT_FALSE(r.out.empty());
    int grandchild = std::stoi(r.out);
    // Killed with the process group, so nothing the command started is left running.
    bool gone = false;
    for (int i = 0; i < 100 && !gone; ++i) {
        gone = process_gone(grandchild);
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(gone) << "grandchild " << grandchild << " survived the timeout";
    expect_no_children();
}

TEST(Process, ClearEnvStartsEmpty) {
    RunOptions opts;
    opts.clear_env = true;
    EXPECT_EQ(run({"/usr/bin/env"}, opts).out, "");
    opts.env = {{"A", "1"}, {"B", "two words"}};
    EXPECT_EQ(run({"/usr/bin/env"}, opts).out, "A=1\nB=two words\n");
}

TEST(Process, EnvEntriesAreAddedToTheInheritedEnvironment) {
    setenv("VZLVS_PROCESS_TEST_INHERITED", "yes", 1);
    RunOptions opts;
    opts.env["VZLVS_PROCESS_TEST_ADDED"] = "x";
    auto r = run({"/usr/bin/env"}, opts);
    unsetenv("VZLVS_PROCESS_TEST_INHERITED");
    EXPECT_NE(r.out.find("VZLVS_PROCESS_TEST_INHERITED=yes\n"), std::string::npos);
    EXPECT_NE(r.out.find("VZLVS_PROCESS_TEST_ADDED=x\n"), std::string::npos);
}

TEST(Process, CapturesAMebibyteOnBothPipesIntact) {
    std::string data;
    data.reserve(1 << 20);
    for (int i = 0; data.size() < (1u << 20); ++i) data += std::to_string(i) + '\n';
    data.resize(1 << 20);
    RunOptions opts;
    opts.input = data;
    // tee writes each chunk to stderr and stdout: a runner draining one pipe at a time
    // would deadlock once the other pipe's 64 KiB buffer fills.
    auto r = run({"/bin/sh", "-c", "tee /dev/stderr"}, opts);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.out.size(), data.size());
    EXPECT_TRUE(r.out == data);
    EXPECT_TRUE(r.err == data);
}

// Issue 9, defect 7: 200 MB from a container grew vzlvs (root) to 627 MB. The runner keeps
// at most max_output of each stream and stops a child that writes more, at once (not at the
// timeout).
TEST(Process, OutputBeyondTheBoundStopsTheChild) {
    RunOptions opts;
    opts.max_output = 64 * 1024;
    opts.timeout = std::chrono::seconds(30);
    auto r = run({"/bin/sh", "-c", "yes vzlvs; sleep 30"}, opts);
    EXPECT_TRUE(r.truncated);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(r.timed_out) << "stopped when the bound was reached, not at the timeout";
    EXPECT_LE(r.out.size(), opts.max_output);
}

TEST(Process, ChildDoesNotInheritOurDescriptors) {
    TempDir dir;
    std::ofstream keep(dir.path() / "held-open");
    auto r = run({"ls", "/proc/self/fd"});
    // ls itself opens one directory descriptor (3); anything beyond is a leak.
    std::istringstream fds(r.out);
    std::string fd;
    std::vector<std::string> leaked;
    while (fds >> fd) {
        if (fd != "0" && fd != "1" && fd != "2" && fd != "3") leaked.push_back(fd);
    }
    EXPECT_TRUE(leaked.empty()) << "leaked descriptors: " << r.out;
}

TEST(Process, ConcurrentRunsDoNotMixOutput) {
    auto runner = make_process_runner();
    std::vector<std::thread> threads;
    std::vector<int> failures(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                std::string word = "t" + std::to_string(t) + "-" + std::to_string(i);
                auto r = runner->run({"/bin/echo", word});
                if (r.out != word + "\n" || !r.ok()) ++failures[t];
            }
        });
    }
    for (auto& th : threads) th.join();
    for (int t = 0; t < 4; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;
    expect_no_children();
}

TEST(Process, DescribeArgvQuotesOnlyWhatNeedsIt) {
    EXPECT_EQ(describe_argv({"vzctl", "set", "101", "--ipadd", "10.0.0.5", "--save"}),
              "vzctl set 101 --ipadd 10.0.0.5 --save");
    EXPECT_EQ(describe_argv({"echo", "a b", "it's", "", "$x"}), "echo 'a b' 'it'\\''s' '' '$x'");
}
