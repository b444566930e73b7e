// The vzctl driver against a recording stand-in script (the real vzctl needs an OpenVZ kernel),
// plus exec quoting proven through a real bash (status lines and exit codes:
// vzctl_answers_test.cpp).
#include "ct/vzctl.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fakes/fake_process_runner.hpp"
#include "vzlvs/base/shell.hpp"

namespace fs = std::filesystem;
using namespace vzlvs;

namespace {

std::vector<std::string> split_nul(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == '\0') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    EXPECT_TRUE(cur.empty()) << "output did not end in NUL: " << s;
    return out;
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A vzctl stand-in that records each call's argv (NUL-separated, one file per call), exits with
// the next code from `codes` (one per line, consumed; 0 when none are left), prints `stdout` and
// `stderr` if present, sleeps `sleep` seconds if present, and runs exec2 like vzctl does: the
// words joined with spaces and handed to `bash -c`. The directory goes away with the object.
class RecordingVzctl {
  public:
    RecordingVzctl() {
        std::string pattern = (fs::temp_directory_path() / "vzlvs-vzctl-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        dir_ = pattern;
        fs::create_directory(dir_ / "calls");
        std::ofstream(script())
            << "#!/bin/bash\n"
               "d='" +
                   dir_.string() +
                   "'\n"
                   "n=$(ls \"$d/calls\" | wc -l)\n"
                   "printf '%s\\0' \"$@\" > \"$d/calls/$(printf %04d $n)\"\n"
                   "if [ \"$1\" = exec2 ]; then shift 2; exec /bin/bash -c \"$*\"; fi\n"
                   "code=0\n"
                   "if [ -s \"$d/codes\" ]; then\n"
                   "  code=$(head -n1 \"$d/codes\")\n"
                   "  tail -n +2 \"$d/codes\" > \"$d/codes.tmp\"\n"
                   "  mv \"$d/codes.tmp\" \"$d/codes\"\n"
                   "fi\n"
                   "[ -f \"$d/sleep\" ] && sleep \"$(cat \"$d/sleep\")\"\n"
                   "[ -f \"$d/stdout\" ] && cat \"$d/stdout\"\n"
                   "[ -f \"$d/stderr\" ] && cat \"$d/stderr\" >&2\n"
                   "exit \"$code\"\n";
        fs::permissions(script(), fs::perms::owner_all);
    }
    ~RecordingVzctl() {
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    std::string script() const { return (dir_ / "vzctl").string(); }
    void codes(const std::string& lines) { std::ofstream(dir_ / "codes") << lines; }
    void out(const std::string& text) { std::ofstream(dir_ / "stdout") << text; }
    void err(const std::string& text) { std::ofstream(dir_ / "stderr") << text; }
    void sleep(int seconds) { std::ofstream(dir_ / "sleep") << seconds; }
    std::vector<std::vector<std::string>> calls() const {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(dir_ / "calls")) files.push_back(e.path());
        std::sort(files.begin(), files.end());
        std::vector<std::vector<std::string>> out;
        for (const auto& f : files) out.push_back(split_nul(read_all(f)));
        return out;
    }

  private:
    fs::path dir_;
};

using Argv = std::vector<std::string>;

class VzctlDriver : public ::testing::Test {
  protected:
    std::unique_ptr<ProcessRunner> runner = make_process_runner();
    RecordingVzctl fake;
    VzctlSetup setup() const {
        VzctlSetup s;
        s.path = fake.script();
        s.retry = {3, std::chrono::milliseconds(1)};
        return s;
    }
    Vzctl vzctl{*runner, setup()};
};

}  // namespace

TEST(VzctlQuote, QuotesOnlyWhatTheShellWouldChange) {
    EXPECT_EQ(shell_quote("ip"), "ip");
    EXPECT_EQ(shell_quote("10.0.0.5/32"), "10.0.0.5/32");
    EXPECT_EQ(shell_quote(""), "''");
    EXPECT_EQ(shell_quote("a b"), "'a b'");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
    EXPECT_EQ(shell_quote("$HOME"), "'$HOME'");
    EXPECT_EQ(shell_quote("A=1"), "'A=1'");
    EXPECT_EQ(shell_quote("time"), "'time'");
}

namespace {
const std::vector<std::string> kHardWords = {
    "plain", "with space",  "it's", "\"double\"",  "$HOME",     "${PATH}",    "`id`",
    "$(id)", "line\nbreak", "",     "*",           "?",         "semi;colon", "a&b",
    "a|b",   "<in",         ">out", "back\\slash", "tab\there", "#hash",      "!bang",
    "~",     "~root",       "-",    "--",          "A=1",       "time",       "if",
    "{",     "}",           "'",    "''",          "\\'",       "ünïcode",    "trailing\\"};
}

TEST(VzctlQuote, RoundTripsThroughBash) {
    std::string joined = "printf '%s\\0'";
    for (const auto& w : kHardWords) joined += " " + shell_quote(w);
    auto r = make_process_runner()->run({"/bin/bash", "-c", joined});
    ASSERT_TRUE(r.ok()) << r.err;
    EXPECT_EQ(split_nul(r.out), kHardWords);
}

TEST_F(VzctlDriver, StatusRunsStatusAndParsesItsLine) {
    fake.out("CTID 101 exist mounted running\n");
    CtStatus st = vzctl.status("101");
    EXPECT_TRUE(st.running);
    EXPECT_TRUE(st.mounted);
    EXPECT_EQ(fake.calls(), (std::vector<Argv>{{"status", "101"}}));
}

TEST_F(VzctlDriver, StatusWithUnreadableOutputQuotesIt) {
    fake.out("Something else entirely\n");
    try {
        vzctl.status("101");
        FAIL() << "expected an error";
    } catch (const VzctlError&) {
        FAIL() << "exit 0 is not a vzctl error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("\"Something else entirely\""), std::string::npos)
            << e.what();
    }
}

TEST_F(VzctlDriver, StatusFailureIsAVzctlError) {
    fake.codes("5\n");
    fake.err("Unable to open /dev/vzctl: No such file or directory\n");
    try {
        vzctl.status("101");
        FAIL() << "expected VzctlError";
    } catch (const VzctlError& e) {
        EXPECT_EQ(e.code(), 5);
        EXPECT_NE(std::string(e.what()).find("/dev/vzctl"), std::string::npos);
    }
    EXPECT_EQ(fake.calls().size(), 1u);  // status takes no lock: nothing to retry
}

TEST_F(VzctlDriver, MutatingCallsBuildExactlyThisArgv) {
    vzctl.run(CtChange::features("101", "ipip:on"));
    vzctl.run(CtChange::ipadd("101", "10.0.0.5"));
    vzctl.run(CtChange::ipdel("101", "10.0.0.5"));
    vzctl.run(CtChange::start("101"));
    vzctl.run(CtChange::restart("101"));
    EXPECT_EQ(fake.calls(), (std::vector<Argv>{
                                {"set", "101", "--features", "ipip:on", "--save"},
                                {"set", "101", "--ipadd", "10.0.0.5", "--save"},
                                {"set", "101", "--ipdel", "10.0.0.5", "--save"},
                                {"start", "101"},
                                {"restart", "101"},
                            }));
}

TEST_F(VzctlDriver, WarningsOnSuccessReachTheCaller) {
    fake.err(
        "Unable to set features on a running container\n"
        "WARNING: Some of the parameters could not be applied to a running container.\n");
    fake.out("CT configuration saved to /etc/vz/conf/101.conf\n");
    RunResult r = vzctl.run(CtChange::features("101", "ipip:on"));
    EXPECT_NE(r.err.find("Unable to set features on a running container"), std::string::npos);
    EXPECT_NE(r.out.find("CT configuration saved"), std::string::npos);
}

TEST_F(VzctlDriver, RetriesWhileLockedThenSucceeds) {
    fake.codes("9\n9\n0\n");
    vzctl.run(CtChange::ipadd("101", "10.0.0.5"));
    EXPECT_EQ(fake.calls().size(), 3u);
}

TEST_F(VzctlDriver, StillLockedAfterTheAttemptsIsBusy) {
    fake.codes("9\n9\n9\n9\n");
    fake.err("Locked by: pid 4242, cmdline vzctl start 101\nContainer already locked\n");
    try {
        vzctl.run(CtChange::start("101"));
        FAIL() << "expected BusyError";
    } catch (const BusyError& e) {
        EXPECT_EQ(e.exit(), Exit::busy);
        std::string what = e.what();
        EXPECT_NE(what.find("retry later"), std::string::npos) << what;
        EXPECT_NE(what.find("container 101"), std::string::npos) << what;
        EXPECT_NE(what.find("pid 4242"), std::string::npos) << what;
    }
    EXPECT_EQ(fake.calls().size(), 3u);
}

TEST_F(VzctlDriver, ExitCodesBecomeTypedErrors) {
    struct Case {
        int code;
        const char* said;
        const char* meaning;
    };
    for (const Case& c : {
             Case{14, "Container config file does not exist", "no such container"},
             Case{31, "Unable to apply network parameters: container is not running",
                  "container is not running"},
             Case{78, "Unable to add IP 10.0.0.5: Address already in use",
                  "IP address already in use by another container"},
             Case{79, "Error executing mount script /etc/vz/conf/101.mount", "an action script"},
         }) {
        fake.codes(std::to_string(c.code) + "\n");
        fake.err(std::string(c.said) + "\n");
        try {
            vzctl.run(CtChange::ipadd("101", "10.0.0.5"));
            ADD_FAILURE() << "expected VzctlError for " << c.code;
        } catch (const VzctlError& e) {
            EXPECT_EQ(e.code(), c.code);
            EXPECT_EQ(e.argv(),
                      (Argv{fake.script(), "set", "101", "--ipadd", "10.0.0.5", "--save"}));
            std::string what = e.what();
            EXPECT_NE(what.find(fake.script() + " set 101 --ipadd 10.0.0.5 --save failed (exit " +
                                std::to_string(c.code) + ": "),
                      std::string::npos)
                << what;
            EXPECT_NE(what.find(c.meaning), std::string::npos) << what;
            EXPECT_NE(what.find(c.said), std::string::npos) << what;
        }
    }
    EXPECT_EQ(fake.calls().size(), 4u);  // none of these is retried
}

TEST_F(VzctlDriver, InvalidInputIsRejectedBeforeRunningVzctl) {
    for (const char* ctid :
         {"", "0", "1", "0101", "../101", "101;reboot", "-101", "101 102", "a_b"}) {
        EXPECT_THROW(vzctl.run(CtChange::start(ctid)), UsageError) << ctid;
        EXPECT_THROW(vzctl.exec(ctid, {"true"}), UsageError) << ctid;
    }
    for (const char* ip : {"", "10.0.0", "10.0.0.256", "10.0.0.5/24", "010.0.0.5", " 10.0.0.5",
                           "-1.2.3.4", "2001:db8::5"}) {
        EXPECT_THROW(vzctl.run(CtChange::ipadd("101", ip)), UsageError) << ip;
        EXPECT_THROW(vzctl.run(CtChange::ipdel("101", ip)), UsageError) << ip;
    }
    for (const char* f :
         {"", "ipip", "ipip:yes", "ipip:on,", "IPIP:on", "ipip:on sit:on", "--save"}) {
        EXPECT_THROW(vzctl.run(CtChange::features("101", f)), UsageError) << f;
    }
    EXPECT_THROW(vzctl.exec("101", {}), UsageError);
    EXPECT_TRUE(fake.calls().empty());
    // OpenVZ 7 names and several features are fine.
    vzctl.run(CtChange::start("web-1"));
    vzctl.run(CtChange::features("101", "ipip:on,sit:off"));
    EXPECT_EQ(fake.calls().size(), 2u);
}

TEST_F(VzctlDriver, InvalidInputMessagesSayWhatIsAllowed) {
    try {
        vzctl.run(CtChange::ipadd("101", "10.0.0.5/24"));
        FAIL();
    } catch (const UsageError& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("10.0.0.5/24"), std::string::npos) << what;
        EXPECT_NE(what.find("container 101"), std::string::npos) << what;
    }
}

TEST_F(VzctlDriver, ExecQuotesEachWordForTheContainerShell) {
    std::vector<std::string> argv{"printf", "%s\\0"};
    argv.insert(argv.end(), kHardWords.begin(), kHardWords.end());
    RunResult r = vzctl.exec("101", argv);
    ASSERT_TRUE(r.ok()) << r.err;
    EXPECT_EQ(split_nul(r.out), kHardWords);
    auto calls = fake.calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0][0], "exec2");
    EXPECT_EQ(calls[0][1], "101");
    EXPECT_EQ(calls[0][2], "printf");
    EXPECT_EQ(calls[0][5], "'with space'");
}

TEST_F(VzctlDriver, ExecReturnsTheCommandsStatusWithoutRetrying) {
    RunResult r = vzctl.exec("101", {"sh", "-c", "echo oops >&2; exit 9"});
    EXPECT_EQ(r.exit_code, 9);
    EXPECT_EQ(r.err, "oops\n");
    EXPECT_EQ(fake.calls().size(), 1u);
}

TEST_F(VzctlDriver, ExecFeedsInput) {
    RunResult r = vzctl.exec("101", {"sh", "-s", "--", "apply"}, std::string("echo \"got $1\"\n"));
    EXPECT_EQ(r.out, "got apply\n");
}

TEST_F(VzctlDriver, ExecOfALoneDashDoesNotReadAScript) {
    vzctl.exec("101", {"-"});
    auto calls = fake.calls();
    ASSERT_EQ(calls.size(), 1u);
    EXPECT_EQ(calls[0], (Argv{"exec2", "101", "'-'"}));
}

TEST_F(VzctlDriver, ATimeoutKillsVzctlAndExplains) {
    fake.sleep(30);
    VzctlSetup s = setup();
    s.timeouts.set = s.timeouts.exec = std::chrono::milliseconds(200);
    Vzctl quick(*runner, s);
    try {
        quick.run(CtChange::ipadd("101", "10.0.0.5"));
        FAIL() << "expected an error";
    } catch (const Error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("did not finish within 0.2 s"), std::string::npos) << what;
        EXPECT_NE(what.find("vzctl status 101"), std::string::npos) << what;
    }
    RunResult r = quick.exec("101", {"sleep", "30"});
    EXPECT_TRUE(r.timed_out);
}

TEST(VzctlMissing, MissingVzctlSaysHowToFixIt) {
    auto runner = make_process_runner();
    VzctlSetup missing;
    missing.path = "/nonexistent/sbin/vzctl";
    Vzctl vzctl(*runner, missing);
    try {
        vzctl.status("101");
        FAIL() << "expected ProgramNotFound";
    } catch (const ProgramNotFound& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("/nonexistent/sbin/vzctl"), std::string::npos) << what;
        EXPECT_NE(what.find("install vzctl"), std::string::npos) << what;
    }
}

TEST(VzctlSignals, AVzctlKilledByASignalIsNamedWithoutGlibc232) {
    fakes::FakeProcessRunner runner;
    runner.answer = [](const std::vector<std::string>&) {
        RunResult r;
        r.signal = SIGSEGV;
        return r;
    };
    Vzctl vzctl(runner, VzctlSetup{});
    try {
        vzctl.status("101");
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("was killed by SIGSEGV"), std::string::npos)
            << e.what();
    }
}
