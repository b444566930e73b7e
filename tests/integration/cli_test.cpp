// The command line's own answers (issue 23, finding 9): an unknown command names the
// commands and the nearest one; a command that drives the node says it needs root instead
// of letting vzctl fail; deprovision wants CTIDs or --all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "vzlvs/base/process.hpp"

namespace vzlvs {
namespace {

using ::testing::HasSubstr;

RunResult vzlvs(std::vector<std::string> args, std::vector<std::string> prefix = {}) {
    prefix.push_back(VZLVS_BINARY);
    prefix.insert(prefix.end(), args.begin(), args.end());
    return make_process_runner()->run(prefix);
}

TEST(Cli, AnUnknownCommandNamesTheNearestOne) {
    RunResult r = vzlvs({"-c", "/nonexistent", "chekc"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("vzlvs: unknown command `chekc`; did you mean `check`?"));
    EXPECT_THAT(r.err, HasSubstr("(commands: bootstrap, provision, deprovision, check,"));
    r = vzlvs({"frobnicate"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("unknown command `frobnicate` (commands: "));
}

TEST(Cli, CommandsThatDriveTheNodeNeedRootAndSaySo) {
    char tmpl[] = "/tmp/vzlvs-cli-test.XXXXXX";
    const std::string config = std::string(::mkdtemp(tmpl)) + "/vzlvs.conf";
    std::ofstream(config) << "[service web]\nvip = 192.0.2.10\nport = 80\n"
                          << "[container 101]\nservices = web\n";
    ::chmod(tmpl, 0755);
    const std::vector<std::string> nobody{"setpriv", "--reuid=65534", "--regid=65534",
                                          "--clear-groups"};
    RunResult r = vzlvs({"-c", config, "check"}, nobody);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_THAT(r.err, HasSubstr("vzlvs check must run as root"));
    EXPECT_THAT(r.err, ::testing::Not(HasSubstr("vzctl:")));
    r = vzlvs({"-c", config, "config"}, nobody);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::remove(config.c_str());
    ::rmdir(tmpl);
}

TEST(Cli, DeprovisionWantsContainersOrAll) {
    RunResult r = vzlvs({"deprovision"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("name the containers (CTID...) or give --all"));
    r = vzlvs({"deprovision", "--all", "101"});
    EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace vzlvs
