#include "vzlvs/base/files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace vzlvs;

namespace {

// Each test gets its own directory so parallel ctest runs never share files.
class TempDir {
  public:
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "vzlvs-files-XXXXXX").string();
        if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }
    std::vector<std::string> entries() const {
        std::vector<std::string> out;
        for (const auto& e : fs::directory_iterator(path_)) out.push_back(e.path().filename());
        return out;
    }

  private:
    fs::path path_;
};

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) return 0;
    return st.st_mode & 07777;
}

// Texts chosen to hit every layout edge: empty, no final newline, CRLF, look-alike markers,
// another id's block, a shebang.
const std::vector<std::string> kTexts = {
    "",
    "\n",
    "\n\n",
    "x",
    "x\n",
    "x\r",
    "x\r\n",
    "a\r\nb\r\n",
    "a\r\nb",
    "#!/bin/bash\n",
    "#!/bin/bash",
    "#!/bin/bash\necho hi\n",
    "line1\nline2 without newline",
    "# BEGIN vzlvs ct1-extra\n# END vzlvs ct1-extra\n",
    "  # BEGIN vzlvs ct1\n",
    "# BEGIN vzlvs ct1 \n",
    "#BEGIN vzlvs ct1\n",
    "# begin vzlvs ct1\n",
    "# BEGIN vzlvs other\nkeep\n# END vzlvs other\n",
    "# BEGIN vzlvs other\nkeep\n# END vzlvs other",
    "head\n# BEGIN vzlvs other\n# END vzlvs other\ntail",
    std::string("bin\0ary\n", 8),
};

const std::vector<std::string> kBodies = {"", "one\n", "one", "one\ntwo\n", "a\r\nb\r\n"};

}  // namespace

TEST(Blocks, MarkersAreExact) {
    EXPECT_EQ(block_begin("ct1"), "# BEGIN vzlvs ct1");
    EXPECT_EQ(block_end("ct1"), "# END vzlvs ct1");
}

TEST(Blocks, RemoveUndoesUpsertByteForByte) {
    for (const auto& t : kTexts) {
        for (const auto& body : kBodies) {
            std::string with = upsert_block(t, "ct1", body);
            EXPECT_EQ(remove_block(with, "ct1"), t) << "text=[" << t << "] body=[" << body << "]";
            std::string expected = body;
            if (!expected.empty() && expected.back() != '\n') expected += '\n';
            EXPECT_EQ(find_block(with, "ct1"), expected) << "text=[" << t << "]";
            // Everything the user had is still a prefix: nothing moved or was rewritten.
            EXPECT_EQ(with.compare(0, t.size(), t), 0) << "text=[" << t << "]";
        }
    }
}

TEST(Blocks, TopPlacementRemovesByteForByteAndRunsBeforeTheUsersLines) {
    for (const auto& t : kTexts) {
        for (const auto& body : kBodies) {
            std::string with = upsert_block(t, "ct1", body, Placement::top);
            EXPECT_EQ(remove_block(with, "ct1"), t) << "text=[" << t << "] body=[" << body << "]";
            EXPECT_EQ(upsert_block(with, "ct1", body, Placement::top), with)
                << "text=[" << t << "]";
        }
    }
    // A script that ends in `exit 0`: the block must come before it, after the #! line.
    const std::string script = "#!/bin/bash\n. /etc/vz/start_script.sh &\nexit 0\n";
    EXPECT_EQ(upsert_block(script, "ct1", "run-me\n", Placement::top),
              "#!/bin/bash\n# BEGIN vzlvs ct1\nrun-me\n# END vzlvs ct1\n"
              ". /etc/vz/start_script.sh &\nexit 0\n");
    // Without a #! line the block goes first.
    EXPECT_EQ(upsert_block("exit 0\n", "ct1", "run-me\n", Placement::top),
              "# BEGIN vzlvs ct1\nrun-me\n# END vzlvs ct1\nexit 0\n");
}

TEST(Blocks, UpsertIsIdempotentAndReplacesInPlace) {
    for (const auto& t : kTexts) {
        std::string once = upsert_block(t, "ct1", "one\n");
        EXPECT_EQ(upsert_block(once, "ct1", "one\n"), once);
        std::string changed = upsert_block(once, "ct1", "two\nthree\n");
        EXPECT_EQ(upsert_block(t, "ct1", "two\nthree\n"), changed) << "text=[" << t << "]";
        EXPECT_EQ(remove_block(changed, "ct1"), t);
    }
}

TEST(Blocks, BlockInTheMiddleIsReplacedWithoutTouchingNeighbours) {
    std::string t = "before\n# BEGIN vzlvs ct1\nold\n# END vzlvs ct1\nafter\n";
    EXPECT_EQ(upsert_block(t, "ct1", "new"),
              "before\n# BEGIN vzlvs ct1\nnew\n# END vzlvs ct1\nafter\n");
    EXPECT_EQ(remove_block(t, "ct1"), "before\nafter\n");
    EXPECT_EQ(find_block(t, "ct1"), "old\n");
}

TEST(Blocks, CrlfMarkersAreRecognisedAndKept) {
    std::string t = "a\r\n# BEGIN vzlvs ct1\r\nold\r\n# END vzlvs ct1\r\nb\r\n";
    EXPECT_EQ(find_block(t, "ct1"), "old\r\n");
    EXPECT_EQ(upsert_block(t, "ct1", "new\n"),
              "a\r\n# BEGIN vzlvs ct1\r\nnew\n# END vzlvs ct1\r\nb\r\n");
    EXPECT_EQ(remove_block(t, "ct1"), "a\r\nb\r\n");
}

TEST(Blocks, LookAlikeLinesAreTheUsers) {
    for (const char* t : {"  # BEGIN vzlvs ct1\n", "# BEGIN vzlvs ct10\n# END vzlvs ct10\n",
                          "# BEGIN vzlvs ct1 \n", "x # END vzlvs ct1\n"}) {
        EXPECT_EQ(find_block(t, "ct1"), std::nullopt) << t;
        EXPECT_EQ(remove_block(t, "ct1"), t);
    }
}

TEST(Blocks, TwoIdsLiveSideBySide) {
    for (const auto& t : kTexts) {
        std::string a = upsert_block(t, "ct1", "one\n");
        std::string ab = upsert_block(a, "ct2", "two\n");
        EXPECT_EQ(find_block(ab, "ct1"), "one\n");
        EXPECT_EQ(find_block(ab, "ct2"), "two\n");
        EXPECT_EQ(remove_block(ab, "ct2"), a) << "text=[" << t << "]";
        // Removing in the other order also gets back to the user's text.
        EXPECT_EQ(remove_block(remove_block(ab, "ct1"), "ct2"), t) << "text=[" << t << "]";
    }
}

TEST(Blocks, CorruptBlocksAreRefusedWithTheLine) {
    struct Case {
        std::string text;
        std::size_t line;
    };
    const std::vector<Case> cases = {
        {"a\n# BEGIN vzlvs ct1\nbody\n", 2},
        {"a\nb\n# END vzlvs ct1\n", 3},
        {"# BEGIN vzlvs ct1\n# END vzlvs ct1\n# BEGIN vzlvs ct1\n# END vzlvs ct1\n", 3},
        {"# BEGIN vzlvs ct1\n# BEGIN vzlvs ct1\n# END vzlvs ct1\n", 2},
    };
    for (const auto& c : cases) {
        for (int op = 0; op < 3; ++op) {
            try {
                if (op == 0) find_block(c.text, "ct1");
                if (op == 1) upsert_block(c.text, "ct1", "x\n");
                if (op == 2) remove_block(c.text, "ct1");
                ADD_FAILURE() << "no CorruptBlock for [" << c.text << "] op " << op;
            } catch (const CorruptBlock& e) {
                EXPECT_EQ(e.line(), c.line) << e.what();
                EXPECT_NE(std::string(e.what()).find("line " + std::to_string(c.line)),
                          std::string::npos)
                    << e.what();
            }
        }
    }
    // Another id's corrupt block is not ours to judge.
    EXPECT_EQ(find_block("# BEGIN vzlvs other\n", "ct1"), std::nullopt);
}

TEST(Blocks, BodyWithOwnMarkerIsRejected) {
    EXPECT_THROW(upsert_block("", "ct1", "# END vzlvs ct1\n"), Error);
    EXPECT_THROW(upsert_block("", "", "x"), Error);
    EXPECT_THROW(upsert_block("", "a\nb", "x"), Error);
}

TEST(Files, ReadAbsentIsNullopt) {
    TempDir d;
    EXPECT_EQ(read_file(d.path() / "nope"), std::nullopt);
}

TEST(Files, ReadOfAFifoOrADirectoryIsRefusedAtOnce) {
    TempDir d;
    const fs::path fifo = d.path() / "101.mount";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // On a thread, so that a read that waits for a writer fails the test instead of hanging
    // it: the writer the test then opens releases it.
    auto read = std::async(std::launch::async, [&] { return read_file(fifo); });
    if (read.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        const int w = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
        if (w >= 0) ::close(w);
        read.wait();
        FAIL() << "read_file waited on a FIFO";
    }
    try {
        read.get();
        ADD_FAILURE() << "a FIFO was read";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(fifo.string() + ": it is a FIFO"), std::string::npos)
            << e.what();
    }
    EXPECT_THROW(read_file(d.path()), Error);
}

// Issue 27: a write into a read-only directory says it cannot create the file, not that it
// cannot remove a stale temp file that is not there. Root only: a read-only tmpfs in a mount
// namespace of a child's own.
TEST(Files, AWriteIntoAReadOnlyDirectoryNamesWhatFailed) {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a read-only tmpfs needs root";
    TempDir d;
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(fds[0]);
        std::string said = "setup failed";
        if (::unshare(CLONE_NEWNS) == 0 &&
            ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
            ::mount("tmpfs", d.path().c_str(), "tmpfs", MS_RDONLY, nullptr) == 0) {
            try {
                atomic_write(d.path() / "60-vzlvs.conf", "x\n", 0644);
                said = "written";
            } catch (const Error& e) {
                said = e.what();
            }
        }
        (void)!::write(fds[1], said.data(), said.size());
        ::_exit(0);
    }
    ::close(fds[1]);
    std::string said;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) said.append(buf, n);
    ::close(fds[0]);
    ::waitpid(child, nullptr, 0);
    EXPECT_NE(said.find("cannot create " + (d.path() / "60-vzlvs.conf.vzlvs-tmp").string()),
              std::string::npos)
        << said;
    EXPECT_NE(said.find("Read-only file system"), std::string::npos) << said;
    EXPECT_EQ(said.find("stale"), std::string::npos) << said;
}

TEST(Files, AtomicWriteSetsModeAndLeavesNoTemp) {
    TempDir d;
    fs::path p = d.path() / "conf";
    atomic_write(p, "hello\n", 0640);
    EXPECT_EQ(read_file(p), "hello\n");
    EXPECT_EQ(mode_of(p), 0640u);
    atomic_write(p, std::string("bin\0ary", 7), 0755);
    EXPECT_EQ(read_file(p), std::string("bin\0ary", 7));
    EXPECT_EQ(mode_of(p), 0755u);
    EXPECT_EQ(d.entries(), std::vector<std::string>{"conf"});
}

TEST(Files, AtomicWriteIgnoresUmask) {
    TempDir d;
    mode_t old = ::umask(077);
    atomic_write(d.path() / "f", "x", 0644);
    ::umask(old);
    EXPECT_EQ(mode_of(d.path() / "f"), 0644u);
}

TEST(Files, AtomicWriteFailureRemovesTemp) {
    TempDir d;
    fs::create_directory(d.path() / "adir");
    try {
        atomic_write(d.path() / "adir", "x", 0644);
        ADD_FAILURE() << "writing over a directory should fail";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("adir"), std::string::npos) << e.what();
    }
    EXPECT_EQ(d.entries(), std::vector<std::string>{"adir"});
    EXPECT_THROW(atomic_write(d.path() / "missing" / "f", "x", 0644), Error);
}

TEST(Files, AtomicWriteReplacesStaleTemp) {
    TempDir d;
    atomic_write(d.path() / "f.vzlvs-tmp", "stale", 0600);
    atomic_write(d.path() / "f", "fresh", 0600);
    EXPECT_EQ(read_file(d.path() / "f"), "fresh");
    EXPECT_EQ(d.entries(), std::vector<std::string>{"f"});
}

TEST(Files, AtomicWriteThroughSymlinkKeepsTheLink) {
    TempDir d;
    atomic_write(d.path() / "real", "old", 0600);
    fs::create_symlink("real", d.path() / "link");
    atomic_write(d.path() / "link", "new", 0600);
    EXPECT_TRUE(fs::is_symlink(d.path() / "link"));
    EXPECT_EQ(read_file(d.path() / "real"), "new");
}

TEST(Files, NewHookGetsHeaderAndModeAndIsDeletedWhenEmptied) {
    TempDir d;
    fs::path hook = d.path() / "101.mount";
    EXPECT_TRUE(ensure_block_in_file(hook, "lvs", "echo up\n", 0755, "#!/bin/bash\n"));
    EXPECT_EQ(read_file(hook), "#!/bin/bash\n# BEGIN vzlvs lvs\necho up\n# END vzlvs lvs\n");
    EXPECT_EQ(mode_of(hook), 0755u);
    EXPECT_FALSE(ensure_block_in_file(hook, "lvs", "echo up\n", 0755, "#!/bin/bash\n"));
    EXPECT_TRUE(remove_block_from_file(hook, "lvs", "#!/bin/bash\n"));
    EXPECT_FALSE(fs::exists(hook));
    EXPECT_FALSE(remove_block_from_file(hook, "lvs", "#!/bin/bash\n"));
    EXPECT_TRUE(d.entries().empty());
}

TEST(Files, ExistingFileKeepsItsModeHeaderAndUserLines) {
    TempDir d;
    fs::path hook = d.path() / "101.mount";
    const std::string user = "#!/bin/sh\n# mine\nmount --bind /a /b";
    atomic_write(hook, user, 0700);
    EXPECT_TRUE(ensure_block_in_file(hook, "lvs", "echo up\n", 0755, "#!/bin/bash\n"));
    EXPECT_EQ(mode_of(hook), 0700u);
    EXPECT_EQ(read_file(hook)->compare(0, user.size(), user), 0);
    EXPECT_TRUE(ensure_block_in_file(hook, "lvs", "echo changed\n", 0755, "#!/bin/bash\n"));
    EXPECT_EQ(find_block(*read_file(hook), "lvs"), "echo changed\n");
    EXPECT_TRUE(remove_block_from_file(hook, "lvs", "#!/bin/bash\n"));
    EXPECT_EQ(read_file(hook), user);
    EXPECT_EQ(mode_of(hook), 0700u);
}

TEST(Files, FileWithoutHeaderIsDeletedOnlyWhenEmpty) {
    TempDir d;
    fs::path conf = d.path() / "sysctl.conf";
    EXPECT_TRUE(ensure_block_in_file(conf, "rp", "net.ipv4.conf.all.rp_filter = 0\n", 0644));
    EXPECT_EQ(mode_of(conf), 0644u);
    EXPECT_TRUE(remove_block_from_file(conf, "rp"));
    EXPECT_FALSE(fs::exists(conf));

    // A user's bare shebang is not vzlvs's header when none was given: the file stays.
    atomic_write(conf, "#!/bin/bash\n", 0644);
    EXPECT_TRUE(ensure_block_in_file(conf, "rp", "x\n", 0644));
    EXPECT_TRUE(remove_block_from_file(conf, "rp"));
    EXPECT_EQ(read_file(conf), "#!/bin/bash\n");
}

TEST(Files, CorruptBlockNamesFileAndLine) {
    TempDir d;
    fs::path conf = d.path() / "x.conf";
    atomic_write(conf, "a\n# BEGIN vzlvs rp\nb\n", 0644);
    for (int op = 0; op < 2; ++op) {
        try {
            if (op == 0) ensure_block_in_file(conf, "rp", "x\n", 0644);
            if (op == 1) remove_block_from_file(conf, "rp");
            ADD_FAILURE() << "expected CorruptBlock";
        } catch (const CorruptBlock& e) {
            std::string what = e.what();
            EXPECT_NE(what.find(conf.string()), std::string::npos) << what;
            EXPECT_NE(what.find("line 2"), std::string::npos) << what;
            EXPECT_EQ(e.line(), 2u);
        }
    }
    EXPECT_EQ(read_file(conf), "a\n# BEGIN vzlvs rp\nb\n");
}

// ---- read_beneath: a file inside a root vzlvs does not trust --------------------------------

TEST(ReadBeneath, ReadsAPlainFileAndSaysMissing) {
    TempDir d;
    fs::create_directories(d.path() / "etc/sysctl.d");
    std::ofstream(d.path() / "etc/sysctl.d/f.conf") << "a = 1\n";
    const ReadBeneath r = read_beneath(d.path(), "/etc/sysctl.d/f.conf", 100);
    EXPECT_EQ(r.result, ReadBeneath::Result::read);
    EXPECT_EQ(r.text, "a = 1\n");
    EXPECT_EQ(read_beneath(d.path(), "etc/sysctl.d/none", 100).result,
              ReadBeneath::Result::missing);
    EXPECT_EQ(read_beneath(d.path(), "nodir/sysctl.d/f.conf", 100).result,
              ReadBeneath::Result::missing);
}

TEST(ReadBeneath, RefusesLinksDotDotFifosBigFilesAndTheWrongFilesystem) {
    TempDir d;
    fs::create_directories(d.path() / "root/etc");
    fs::create_directories(d.path() / "outside");
    std::ofstream(d.path() / "outside/secret") << "host\n";
    const fs::path root = d.path() / "root";
    auto refused = [&](const fs::path& rel, std::size_t max = 100,
                       std::optional<long> magic = std::nullopt) {
        const ReadBeneath r = read_beneath(root, rel, max, magic);
        EXPECT_TRUE(r.text.empty() || r.result != ReadBeneath::Result::read);
        return r.result == ReadBeneath::Result::refused && !r.why.empty();
    };
    fs::create_symlink(d.path() / "outside/secret", root / "etc/link");
    EXPECT_TRUE(refused("etc/link")) << "a link to a file";
    fs::create_symlink(d.path() / "outside", root / "etc/dirlink");
    EXPECT_TRUE(refused("etc/dirlink/secret")) << "a link to a directory";
    EXPECT_TRUE(refused("etc/../../outside/secret")) << "..";
    ASSERT_EQ(::mkfifo((root / "etc/fifo").c_str(), 0600), 0);
    EXPECT_TRUE(refused("etc/fifo")) << "a FIFO, without blocking";
    std::ofstream(root / "etc/big") << std::string(101, 'x');
    EXPECT_TRUE(refused("etc/big")) << "more than max";
    std::ofstream(root / "etc/small") << "x";
    EXPECT_TRUE(refused("etc/small", 100, 0x9fa0 /* PROC_SUPER_MAGIC */)) << "not on procfs";
    EXPECT_EQ(read_beneath("/", "proc/sys/kernel/ostype", 100, 0x9fa0).text, "Linux\n");
}
