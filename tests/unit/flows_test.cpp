// The commands' ordering and failure rules, on fakes (tests/fakes/): fast, no root, no
// namespaces. The namespace tests (tests/integration/) prove the same against the real
// kernel and the OpenVZ stand-in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "ct/vzctl.hpp"
#include "fakes/fake_node.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/commands/run.hpp"

namespace vzlvs {
namespace {

using fakes::failures;
using fakes::FakeNode;
using fakes::find;
using testing::HasSubstr;

int count(const Report& r, Status s) { return r.count(s); }

class Flows : public testing::Test {
  protected:
    FakeNode n{"restart = auto"};
};

TEST_F(Flows, ProvisionFromScratchGuardsFirstAndConverges) {
    bool hooks_before_ipadd = true;
    n.containers.before_run = [&](const CtChange& c) {
        if (c.kind == CtChange::Kind::ipadd)
            hooks_before_ipadd =
                hooks_before_ipadd &&
                std::filesystem::exists(n.containers.action_script(c.ctid, "mount"));
    };
    Report r = n.run("provision");
    EXPECT_EQ(failures(r), "");
    EXPECT_EQ(r.exit_code(), Exit::ok);

    const int guard = n.events.first("guard ensure");
    ASSERT_GE(guard, 0);
    EXPECT_LT(guard, n.events.first("vzctl")) << "no vzctl change before the ARP guard";
    EXPECT_LT(n.events.first("vzctl set 101 --features ipip:on"),
              n.events.first("vzctl set 101 --ipadd 192.0.2.10"));
    EXPECT_LT(n.events.first("vzctl set 101 --ipadd"), n.events.first("vzctl restart 101"));
    EXPECT_TRUE(hooks_before_ipadd) << "the mount hook must exist before vzctl adds the VIP";

    for (const std::string vip : {"192.0.2.10", "192.0.2.53"}) {
        EXPECT_TRUE(n.netlink.host_routes(vip).empty()) << "the leaked route of " << vip;
        EXPECT_TRUE(n.netlink.proxy_neighbours(vip).empty()) << vip;
    }
    EXPECT_EQ(n.netlink.host_routes("198.51.100.101").size(), 1u) << "the CT's own route stays";
    EXPECT_TRUE(n.containers.cts["101"].inside.has_addr("192.0.2.10"));
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 1u);
    EXPECT_EQ(n.director.backends.count("fake-102-dns"), 1u);
    EXPECT_LT(n.events.first("ct-net apply 101"),
              n.events.first("director put backend fake-101-web"))
        << "registered only once the CT serves the VIP";
    EXPECT_TRUE(n.runner.calls.empty()) << "every seam is faked: no process may be spawned";
}

TEST_F(Flows, SecondProvisionChangesNothing) {
    ASSERT_EQ(failures(n.run("provision")), "");
    const size_t before = n.events.log.size();
    Report again = n.run("provision");
    EXPECT_EQ(failures(again), "");
    EXPECT_EQ(count(again, Status::changed), 0);
    EXPECT_EQ(count(again, Status::pending), 0);
    EXPECT_EQ(n.events.log.size(), before) << n.events.log.back();
}

TEST_F(Flows, DryRunChangesNothingAndPlansWhatTheDriverRuns) {
    Report r = n.run("provision", {}, true);
    EXPECT_TRUE(n.events.log.empty());
    const Outcome* ipadd = find(r, "ct 101", "VIP in IP_ADDRESS");
    ASSERT_NE(ipadd, nullptr);
    EXPECT_EQ(ipadd->status, Status::planned);
    EXPECT_EQ(ipadd->detail, n.containers.describe(CtChange::ipadd("101", "192.0.2.10")));
    EXPECT_EQ(ipadd->detail, "vzctl set 101 --ipadd 192.0.2.10 --save");
    EXPECT_FALSE(std::filesystem::exists(n.containers.action_script("101", "mount")));
}

TEST_F(Flows, RefusesEveryContainerBeforeAnyChangeWhenAVipIsHeldElsewhere) {
    n.containers.cts["103"].ips = {"192.0.2.53"};  // not configured, but holds dns's VIP
    Report r = n.run("provision");
    EXPECT_EQ(r.exit_code(), Exit::failed);
    const Outcome* held = find(r, "ct 102", "VIP held by no other CT");
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(held->detail, "VIP 192.0.2.53 is in the IP_ADDRESS of CT 103");
    EXPECT_TRUE(n.events.log.empty()) << "CT 101 fits, but nothing may change: " << n.events.log[0];
    EXPECT_FALSE(std::filesystem::exists(n.containers.action_script("101", "mount")));
}

TEST_F(Flows, NoContainerIsTouchedWhenTheGuardCannotBeInstalled) {
    n.guard.broken = true;
    Report r = n.run("provision");
    EXPECT_EQ(r.exit_code(), Exit::failed);
    EXPECT_FALSE(n.events.any("vzctl"));
}

TEST_F(Flows, FailureMidwayCleansUpTheLeakAndRegistersNothing) {
    n.containers.before_run = [](const CtChange& c) {
        if (c.kind == CtChange::Kind::restart && c.ctid == "101")
            throw VzctlError({"vzctl", "restart", "101"}, 79, "action script failed");
    };
    Report r = n.run("provision");
    EXPECT_EQ(r.exit_code(), Exit::failed);
    EXPECT_THAT(failures(r), HasSubstr("[ct 101] ipip effective"));
    EXPECT_TRUE(n.events.any("netlink delete route 192.0.2.10/32"))
        << "the route --ipadd left must be removed even though a later step failed";
    EXPECT_TRUE(n.netlink.host_routes("192.0.2.10").empty());
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 0u);
    EXPECT_EQ(n.director.backends.count("fake-102-dns"), 1u) << "the other container goes on";
}

TEST_F(Flows, DeprovisionDeregistersFirstThenUndoesEverything) {
    ASSERT_EQ(failures(n.run("provision")), "");
    n.events.log.clear();
    Report r = n.run("deprovision", {"101"});
    EXPECT_EQ(failures(r), "");
    ASSERT_GE(n.events.first("director delete backend fake-101-web"), 0);
    EXPECT_LT(n.events.first("director delete backend fake-101-web"),
              n.events.first("ct-net remove 101"));
    EXPECT_LT(n.events.first("ct-net remove 101"),
              n.events.first("vzctl set 101 --ipdel 192.0.2.10"));
    EXPECT_TRUE(n.events.any("guard remove 192.0.2.10"));
    EXPECT_FALSE(n.containers.config("101").has_ip("192.0.2.10"));
    auto mount = read_file(n.containers.action_script("101", "mount"));
    EXPECT_TRUE(!mount || mount->find("vzlvs") == std::string::npos);
    EXPECT_EQ(n.director.backends.count("fake-102-dns"), 1u) << "102 was not named";

    n.events.log.clear();
    Report again = n.run("deprovision", {"101"});
    EXPECT_EQ(count(again, Status::changed), 0);
    EXPECT_TRUE(n.events.log.empty());
}

TEST_F(Flows, CheckIsReadOnlyAndNamesTheDrift) {
    ASSERT_EQ(failures(n.run("provision")), "");
    n.containers.cts["101"].inside.addrs.clear();
    n.netlink.add_leak("192.0.2.53", "venet0", "eth0");
    n.events.log.clear();
    Report r = n.run("check", {}, /*dry_run=*/false);
    EXPECT_EQ(r.exit_code(), Exit::failed);
    EXPECT_THAT(failures(r),
                HasSubstr("[ct 101] tunl0 + VIP + rp_filter in CT: 192.0.2.10/32 not on tunl0"));
    EXPECT_THAT(failures(r), HasSubstr("[ct 102] no VIP route on venet0: 192.0.2.53"));
    EXPECT_TRUE(n.events.log.empty()) << "check changed: " << n.events.log[0];
}

// Issue 23: what cannot be looked at is skipped, not ok; the MSS is TCP's alone.
TEST_F(Flows, UnobservableStepsAreSkippedAndUdpHasNoMss) {
    ASSERT_EQ(failures(n.run("provision")), "");
    n.containers.cts["101"].running = false;
    Report r = n.run("check");
    for (const char* name : {"tunl0 is an ipip device", "MSS fits the tunnel",
                             "VIP on the CT side of venet", "ipip effective"}) {
        const Outcome* o = find(r, "ct 101", name);
        ASSERT_NE(o, nullptr) << name;
        EXPECT_EQ(o->status, Status::skipped) << name << ": " << o->detail;
        EXPECT_EQ(o->detail, "CT stopped") << name;
    }
    const Outcome* udp = find(r, "ct 102", "MSS fits the tunnel");
    ASSERT_NE(udp, nullptr);
    EXPECT_EQ(udp->status, Status::skipped);
    EXPECT_EQ(udp->detail, "no TCP service: MSS is TCP's");
}

TEST_F(Flows, DrainHoldsTheBackendOutUntilRegister) {
    ASSERT_EQ(failures(n.run("provision")), "");
    ASSERT_EQ(failures(n.run("drain", {"101"})), "");
    EXPECT_EQ(n.director.backends.at("fake-101-web").weight, 0);
    Report again = n.run("provision");
    const Outcome* held = find(again, "ct 101", "director");
    ASSERT_NE(held, nullptr);
    EXPECT_EQ(held->status, Status::warning);
    EXPECT_EQ(n.director.backends.at("fake-101-web").weight, 0) << "provision undid the drain";
    ASSERT_EQ(failures(n.run("register", {"101"})), "");
    EXPECT_EQ(n.director.backends.at("fake-101-web").weight, 10);
}

TEST_F(Flows, RegisterRepairsTheContainerAndRefusesOneThatCannotServe) {
    ASSERT_EQ(failures(n.run("provision")), "");
    n.director.backends.clear();
    n.containers.cts["101"].inside.tunl0 = false;  // as after a start without the ipip feature
    Report r = n.run("register", {"101"});
    EXPECT_EQ(r.exit_code(), Exit::failed);
    EXPECT_THAT(failures(r), HasSubstr("[ct 101] tunl0 + VIP + rp_filter in CT"));
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 0u);

    n.containers.cts["101"].inside.tunl0 = true;
    n.netlink.add_leak("192.0.2.10", "venet0", "eth0");
    ASSERT_EQ(failures(n.run("register", {"101"})), "");
    EXPECT_TRUE(n.netlink.host_routes("192.0.2.10").empty()) << "register sweeps the leak too";
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 1u);
}

TEST_F(Flows, DirectorDownLeavesTheContainerConfiguredForTheNextRun) {
    n.director.down = true;
    Report r = n.run("provision");
    EXPECT_EQ(r.exit_code(), Exit::failed);
    EXPECT_THAT(failures(r), HasSubstr("[ct 101] registered in web"));
    EXPECT_TRUE(n.containers.cts["101"].inside.has_addr("192.0.2.10"));
    n.director.down = false;
    EXPECT_EQ(failures(n.run("provision")), "");
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 1u);
}

// Issue 13's first floor: the preflight read every other CT's config for every configured CT
// and VIP. It now reads the node's configs once per run.
TEST_F(Flows, PreflightReadsEachContainersConfigOnce) {
    for (int i = 0; i < 300; ++i)
        n.containers.cts[std::to_string(1000 + i)].ips = {"198.51.101." + std::to_string(i % 250)};
    n.containers.config_reads = 0;
    n.run("provision", {}, true);
    const int node_cts = static_cast<int>(n.containers.cts.size());
    // Once each for the holders, plus a handful per configured CT for its own steps.
    EXPECT_LE(n.containers.config_reads, node_cts + 2 * 10) << "reads grow with CTs x CTs";
}

TEST_F(Flows, UnknownContainersAreAUsageErrorBeforeAnything) {
    EXPECT_THROW(n.run("provision", {"999"}), UsageError);
    EXPECT_THROW(n.run("frobnicate"), UsageError);
    EXPECT_TRUE(n.events.log.empty());
}

// The probe through the tunnel (issue 12): `vzlvs probe`, `check --probe`, `[node] probe = yes`.
TEST_F(Flows, ProbeReachesEachServiceOfTheContainerAtItsRealAddress) {
    n.run("provision");
    n.events.log.clear();
    Report r = n.run("probe", {"101"});
    EXPECT_EQ(failures(r), "");
    EXPECT_EQ(r.exit_code(), Exit::ok);
    EXPECT_EQ(n.events.log, (std::vector<std::string>{"probe 198.51.100.101 192.0.2.10:80"}));
    n.prober.broken = {"198.51.100.101 192.0.2.10:80"};
    n.options.probe_service = "web";
    r = n.run("probe", {"101"});
    EXPECT_EQ(r.exit_code(), Exit::failed);
    EXPECT_THAT(failures(r),
                HasSubstr("[ct 101] answers through the tunnel (web): fake: no answer"));
}

TEST_F(Flows, ProbeOfAServiceTheContainerDoesNotHaveIsAUsageError) {
    n.options.probe_service = "dns";
    EXPECT_THROW(n.run("probe", {"101"}), UsageError);
    EXPECT_TRUE(n.events.log.empty());
}

TEST_F(Flows, ProbeFailsForAStoppedContainer) {
    n.containers.cts["101"].running = false;
    Report r = n.run("probe", {"101"});
    EXPECT_THAT(failures(r), HasSubstr("CT stopped"));
    EXPECT_FALSE(n.events.any("probe "));
}

TEST_F(Flows, CheckProbesOnlyWhenAsked) {
    n.run("provision");
    n.events.log.clear();
    n.run("check");
    EXPECT_FALSE(n.events.any("probe "));
    n.options.probe = true;
    n.prober.broken = {"198.51.100.102 192.0.2.53:53"};
    Report r = n.run("check");
    EXPECT_TRUE(n.events.any("probe 198.51.100.101 192.0.2.10:80"));
    EXPECT_THAT(failures(r), HasSubstr("[ct 102] answers through the tunnel (dns)"));
    EXPECT_EQ(r.exit_code(), Exit::failed);
}

TEST(FlowsProbe, WithProbeYesABackendThatDoesNotAnswerIsNotRegistered) {
    FakeNode n{"restart = auto\nprobe = yes"};
    n.prober.broken = {"198.51.100.101 192.0.2.10:80"};
    Report r = n.run("provision");
    EXPECT_THAT(failures(r), HasSubstr("not registering: the probe through the tunnel failed"));
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 0u);
    EXPECT_EQ(n.director.backends.count("fake-102-dns"), 1u);
    // The CT itself is provisioned: the next run registers it once it answers.
    EXPECT_TRUE(n.containers.cts["101"].inside.has_addr("192.0.2.10"));
    n.prober.broken.clear();
    r = n.run("provision");
    EXPECT_EQ(failures(r), "");
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 1u);
    // check probes too when probe = yes.
    n.events.log.clear();
    n.run("check");
    EXPECT_TRUE(n.events.any("probe 198.51.100.101 192.0.2.10:80"));
}

}  // namespace
}  // namespace vzlvs
