// The provisioning flow where vzctl 7 differs (FakeContainers::openvz7: a feature reaches a
// running CT only through `--setmode restart`; CT 101 configured by its name, web1). The
// namespace tests run the same flows against the stand-in's OpenVZ 7 mode.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "fakes/fake_node.hpp"
#include "vzlvs/commands/run.hpp"

namespace vzlvs {
namespace {

using fakes::failures;
using fakes::FakeNode;
using fakes::find;
using testing::HasSubstr;

int mutating(const fakes::Events& e) {
    int n = 0;
    for (const auto& line : e.log) n += line.rfind("vzctl ", 0) == 0;
    return n;
}

TEST(Flows7, FirstProvisionOfARunningCtConvergesInOneRunWithOneRestart) {
    FakeNode n{"restart = auto", true};
    n.containers.cts["101"].features["nfs"] = true;
    Report r = n.run("provision");
    EXPECT_EQ(failures(r), "");
    EXPECT_EQ(r.count(Status::pending), 0);
    EXPECT_GE(n.events.first("vzctl set web1 --features nfs:on,ipip:on --setmode restart --save"),
              0)
        << "the CT's other features are passed along: vzctl 7 replaces the list";
    EXPECT_EQ(n.events.first("vzctl restart"), -1) << "one restart, by --setmode restart";
    EXPECT_LT(n.events.first("vzctl set web1 --features"),
              n.events.first("vzctl set web1 --ipadd 192.0.2.10 --save"))
        << "the feature is never combined with another parameter";
    EXPECT_TRUE(n.containers.cts["101"].features["nfs"]);
    EXPECT_TRUE(n.containers.cts["101"].inside.has_addr("192.0.2.10"));
    EXPECT_TRUE(n.netlink.host_routes("192.0.2.10").empty());
    EXPECT_EQ(n.director.backends.count("fake-web1-web"), 1u);
    EXPECT_TRUE(std::filesystem::exists(n.dir() / "101" / "scripts" / "mount"))
        << "hooks in $VE_PRIVATE/scripts, named by the CT's ID";

    const int before = mutating(n.events);
    Report again = n.run("provision");
    EXPECT_EQ(failures(again), "");
    EXPECT_EQ(again.count(Status::changed), 0);
    EXPECT_EQ(mutating(n.events), before) << "a second provision runs no mutating vzctl";
}

TEST(Flows7, TheHooksAreInPlaceBeforeVzctlRestartsTheCt) {
    FakeNode n{"restart = auto", true};
    bool hooks_first = false;
    n.containers.before_run = [&](const CtChange& c) {
        if (c.kind == CtChange::Kind::set_features_restart)
            hooks_first = std::filesystem::exists(n.containers.action_script(c.ctid, "mount"));
    };
    ASSERT_EQ(failures(n.run("provision")), "");
    EXPECT_TRUE(hooks_first);
}

TEST(Flows7, RestartNeverSavesTheFeatureAndNamesTheCommand) {
    FakeNode n{"", true};
    Report r = n.run("provision");
    const Outcome* f = find(r, "ct web1", "ipip feature");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->status, Status::pending);
    EXPECT_THAT(f->detail + " " + f->fix, HasSubstr("vzctl restart web1"));
    EXPECT_GE(n.events.first("vzctl set web1 --features ipip:on --save"), 0);
    EXPECT_EQ(n.events.first("--setmode"), -1) << "restart = never: vzlvs restarts nothing";
    EXPECT_TRUE(n.containers.cts["101"].features["ipip"]) << "saved for the next start";
}

TEST(Flows7, AHookGivenTheCtsIdFindsTheCtConfiguredByName) {
    FakeNode n{"restart = auto", true};
    ASSERT_EQ(failures(n.run("provision")), "");
    auto seams = n.seams();
    EXPECT_EQ(seams.containers().vz_id("web1"), "101");
    Report check = n.run("check");
    for (const char* name :
         {"hook mount", "hook umount", "ipip feature", "VIP held by no other CT"}) {
        const Outcome* o = find(check, "ct web1", name);
        ASSERT_NE(o, nullptr) << name;
        EXPECT_EQ(o->status, Status::ok) << name << ": " << o->detail;
    }
}

TEST(Flows7, DryRunPlansTheRestartingFeatureCall) {
    FakeNode n{"restart = auto", true};
    Report r = n.run("provision", {}, true);
    EXPECT_TRUE(n.events.log.empty());
    const Outcome* f = find(r, "ct web1", "ipip feature");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->detail, "vzctl set web1 --features ipip:on --setmode restart --save");
    const Outcome* restart = find(r, "ct web1", "ipip effective");
    ASSERT_NE(restart, nullptr);
    EXPECT_EQ(restart->status, Status::skipped) << "one restart, not two: " << restart->detail;
}

}  // namespace
}  // namespace vzlvs
