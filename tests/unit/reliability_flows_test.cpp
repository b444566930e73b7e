// Issue 9's defects that live in flow logic, on the fakes: each test fails on the code before
// its fix. The namespace versions are in tests/integration/reliability_test.cpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "fakes/fake_node.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/commands/run.hpp"
#include "vzlvs/steps/repair.hpp"

namespace vzlvs {
namespace {

namespace fs = std::filesystem;
using fakes::failures;
using fakes::FakeNode;
using testing::HasSubstr;

// What the hook worker (guard = false) or a watch pass (true) does for one CT on its own.
Repair repair_on_its_own(FakeNode& n, const std::string& ctid, bool guard) {
    FlowOptions o;
    Seams seams = n.seams();
    Ctx ctx{n.config(), o, seams};
    auto v = std::make_shared<CtView>(ctx, *n.config().container(ctid));
    Report report;
    StepRunner runner(report, false);
    return repair_if_provisioned(ctx, runner, v, guard);
}

std::string usage_error(FakeNode& n, const std::string& command) {
    try {
        n.run(command);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

// Defect 1: a VIP that is the node's own address or gateway would make the ARP guard cut the
// node off the LAN.
TEST(ReliabilityFlows, VipThatIsANodeAddressOrGatewayIsRefusedBeforeAnyChange) {
    for (const bool gateway : {false, true}) {
        SCOPED_TRACE(gateway ? "gateway" : "address");
        FakeNode n("restart = auto");
        if (gateway)
            n.netlink.gateway_table = {"192.0.2.10"};
        else
            n.netlink.addr_table["eth0"] = {"192.0.2.10/24"};
        for (const char* command : {"bootstrap", "provision", "check"}) {
            const std::string why = usage_error(n, command);
            EXPECT_THAT(why, HasSubstr(gateway ? "VIP 192.0.2.10 (service web) is the gateway"
                                               : "VIP 192.0.2.10 (service web) is an address of "
                                                 "this node, on eth0"))
                << command;
        }
        EXPECT_TRUE(n.events.log.empty()) << n.events.log.front();
    }
}

// Defect 2: a VIP that is the container's only address.
TEST(ReliabilityFlows, ContainerWhoseOnlyAddressIsAVipIsRefused) {
    FakeNode n("restart = auto");
    n.containers.cts["101"].ips = {"192.0.2.10"};
    Report r = n.run("provision");
    EXPECT_EQ(r.exit_code(), Exit::failed);
    EXPECT_THAT(failures(r), HasSubstr("[ct 101] an address of its own: every address in its "
                                       "IP_ADDRESS is a VIP (192.0.2.10)"));
    EXPECT_TRUE(n.events.log.empty()) << "refused before any change: " << n.events.log.front();

    Report d = n.run("deprovision", {"101"});
    EXPECT_THAT(failures(d), HasSubstr("[ct 101] an address of its own"));
    EXPECT_TRUE(n.containers.config("101").has_ip("192.0.2.10")) << "its only address was taken";
}

// Defect 6: CTID.start (and mount, umount) linked to one common file.
TEST(ReliabilityFlows, ActionScriptsSharedByContainersAreRefused) {
    for (const char* action : {"mount", "umount", "start"}) {
        for (const bool hard : {false, true}) {
            SCOPED_TRACE(std::string(action) + (hard ? " hard link" : " symlink"));
            FakeNode n("restart = auto");
            const fs::path common = n.dir() / ("common." + std::string(action));
            std::ofstream(common) << "#!/bin/sh\n# the operator's common script\n";
            fs::permissions(common, fs::perms(0755));
            for (const char* ctid : {"101", "102"}) {
                const fs::path p = n.containers.action_script(ctid, action);
                hard ? fs::create_hard_link(common, p) : fs::create_symlink(common, p);
            }
            Report r = n.run("provision");
            EXPECT_EQ(r.exit_code(), Exit::failed);
            EXPECT_THAT(failures(r), HasSubstr("refused, it is shared with other containers"));
            EXPECT_EQ(*read_file(common), "#!/bin/sh\n# the operator's common script\n");
            EXPECT_FALSE(n.events.any("vzctl set 101 --ipadd")) << "no VIP without its hooks";
        }
    }
}

// Defect 5: a hook worker or a watch pass that began before a deprovision must not undo it.
// Both act through repair_if_provisioned() under the CT's lock; here it runs right after the
// deprovision released that lock, as the waiting worker or pass does.
TEST(ReliabilityFlows, DeprovisionIsNotUndoneByAWorkerOrPassThatWaitedForTheLock) {
    for (const bool guard : {false, true}) {
        SCOPED_TRACE(guard ? "watch pass" : "hook worker");
        FakeNode n("restart = auto");
        ASSERT_EQ(failures(n.run("provision")), "");
        ASSERT_EQ(failures(n.run("deprovision", {"101"})), "");
        n.events.log.clear();

        EXPECT_EQ(repair_on_its_own(n, "101", guard), Repair::not_provisioned);
        EXPECT_TRUE(n.events.log.empty()) << n.events.log.front();
        EXPECT_EQ(n.director.backends.count("fake-101-web"), 0u);
        EXPECT_EQ(n.guard.state.vips.count("192.0.2.10"), 0u);
    }
}

// Defect 8: vzlvs killed while vzctl restarts a CT (restart = auto) left it stopped, and the
// next provision did not start it. A restart is recorded before vzctl runs.
TEST(ReliabilityFlows, ARestartThatDidNotFinishIsCompletedByTheNextRun) {
    FakeNode n("restart = auto");
    n.containers.before_run = [&](const CtChange& c) {
        if (c.kind != CtChange::Kind::restart || c.ctid != "101") return;
        n.containers.cts["101"].running = false;  // vzctl got as far as the stop
        throw Error("vzctl was killed");
    };
    Report first = n.run("provision");
    EXPECT_THAT(failures(first), HasSubstr("[ct 101] ipip effective"));
    ASSERT_FALSE(n.containers.cts["101"].running);

    n.containers.before_run = nullptr;
    n.events.log.clear();
    Report next = n.run("provision");
    EXPECT_EQ(failures(next), "");
    EXPECT_EQ(n.events.first("vzctl start 101"), 0) << "started first, before anything else";
    EXPECT_TRUE(n.containers.cts["101"].running);
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 1u);
    EXPECT_FALSE(fs::exists(n.dir() / "state" / "restarting" / "101"));

    Report again = n.run("provision");
    EXPECT_EQ(again.count(Status::changed), 0) << "the marker is gone with the restart";
}

// Defect 7: what a container prints is bounded, parsed with clear errors, and shown without
// control sequences.
TEST(ReliabilityFlows, ContainerOutputIsSanitisedInEveryReport) {
    FakeNode n("restart = auto");
    ASSERT_EQ(failures(n.run("provision")), "");
    n.containers.cts["101"].inside.kind = "ipip\x1b]0;owned\x07\x1b[2J";
    Report r = n.run("check");
    const std::string text = r.table(false) + r.json("check").dump();
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    EXPECT_EQ(text.find('\x07'), std::string::npos);
    EXPECT_THAT(r.table(false), HasSubstr("ipip?]0;owned??[2J"));
}

// Issue 27, N7: bootstrap guards every VIP of the config at once, so a VIP that is another
// tenant's address is refused before anything is changed; the CT that serves it may hold it.
TEST(ReliabilityFlows, BootstrapRefusesAVipThatIsAnotherContainersAddress) {
    FakeNode n("restart = auto");
    ASSERT_EQ(failures(n.run("provision")), "");  // 101 now holds its VIP: that is allowed
    EXPECT_EQ(failures(n.run("bootstrap")), "");
    n.containers.cts["103"].ips = {"192.0.2.53"};  // dns's VIP, as a tenant's own address
    const std::size_t before = n.events.log.size();
    EXPECT_THAT(usage_error(n, "bootstrap"),
                HasSubstr("VIP 192.0.2.53 (service dns) is in the IP_ADDRESS of CT 103, which no "
                          "[container] section serves it from"));
    EXPECT_EQ(n.events.log.size(), before) << n.events.log.back();
}

// Issue 27, N5: two sections for one OpenVZ 7 CT (by its name and by its ID) are refused
// before anything is changed, whatever the command.
TEST(ReliabilityFlows, TwoSectionsForOneContainerAreRefused) {
    FakeNode n("\n[service web2]\nvip = 192.0.2.11\nport = 80\n[container 101]\nservices = web2\n",
               true);
    for (const char* command : {"provision", "check", "bootstrap"}) {
        EXPECT_THAT(usage_error(n, command),
                    HasSubstr("[container 101] and [container web1] are one container, 101"))
            << command;
    }
    EXPECT_TRUE(n.events.log.empty()) << n.events.log.front();
}

// Issue 27, N1: a deprovision that fails after the backend left the director (here vzctl's
// --ipdel) is not reversed by watch or the hook worker: the backend stays out and the VIP off
// tunl0 until deprovision is run again or the operator takes the CT back; check says so.
TEST(ReliabilityFlows, AHalfDoneDeprovisionIsNotReversedBehindTheOperatorsBack) {
    FakeNode n("restart = auto");
    ASSERT_EQ(failures(n.run("provision")), "");
    n.containers.before_run = [](const CtChange& c) {
        if (c.kind == CtChange::Kind::ipdel) throw Error("vzctl set 101 --ipdel failed (exit 3)");
    };
    EXPECT_THAT(failures(n.run("deprovision", {"101"})), HasSubstr("--ipdel failed"));
    ASSERT_EQ(n.director.backends.count("fake-101-web"), 0u);
    ASSERT_FALSE(n.containers.cts["101"].inside.has_addr("192.0.2.10"));
    n.containers.before_run = nullptr;

    for (const bool guard : {false, true}) {
        SCOPED_TRACE(guard ? "watch pass" : "hook worker");
        EXPECT_EQ(repair_on_its_own(n, "101", guard), Repair::not_provisioned);
    }
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 0u);
    EXPECT_FALSE(n.containers.cts["101"].inside.has_addr("192.0.2.10"));
    EXPECT_THAT(failures(n.run("register", {"102"})), "") << "another CT is not held";

    Report check = n.run("check", {"101"});
    const Outcome* half = fakes::find(check, "ct 101", "no deprovision half done");
    ASSERT_NE(half, nullptr);
    EXPECT_EQ(half->status, Status::failed);
    EXPECT_THAT(half->fix, HasSubstr("vzlvs deprovision 101 finishes it"));

    // The operator takes it back: provision clears the mark and registers it again.
    EXPECT_EQ(failures(n.run("provision", {"101"})), "");
    EXPECT_EQ(n.director.backends.count("fake-101-web"), 1u);
    check = n.run("check", {"101"});
    EXPECT_EQ(fakes::find(check, "ct 101", "no deprovision half done")->status, Status::ok);
}

// Issue 27, N2: a CT whose in-CT read times out is read once per run, not once per step (each
// read waits out its timeout), and its steps name the timeout's own fix.
TEST(ReliabilityFlows, AStuckContainerIsReadOncePerRun) {
    FakeNode n("restart = auto");
    ASSERT_EQ(failures(n.run("provision")), "");
    n.ct_net.stuck = {"101"};
    n.ct_net.observed.clear();
    Report check = n.run("check");
    EXPECT_EQ(n.ct_net.observed["101"], 1);
    EXPECT_EQ(n.ct_net.observed["102"], 1);
    const Outcome* inside = fakes::find(check, "ct 101", "tunl0 + VIP + rp_filter in CT");
    ASSERT_NE(inside, nullptr);
    EXPECT_EQ(inside->status, Status::failed);
    EXPECT_EQ(inside->fix, "find what hangs");
    n.ct_net.observed.clear();
    n.run("provision");
    EXPECT_EQ(n.ct_net.observed["101"], 1);
}

}  // namespace
}  // namespace vzlvs
