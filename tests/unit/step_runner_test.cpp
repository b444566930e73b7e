// StepRunner: how one step's observation, apply and re-verification become one outcome.
#include <gtest/gtest.h>

#include "vzlvs/steps/step.hpp"

namespace vzlvs {
namespace {

struct Outcomes {
    Report report;
    bool ok = false;
    const Outcome& only() const { return report.outcomes().at(0); }
};

Outcomes run(const Step& s, bool dry_run = false) {
    Outcomes r;
    StepRunner runner(r.report, dry_run);
    r.ok = runner.run(s);
    return r;
}

Step step(std::function<Observation()> observe, std::function<Applied()> apply = {}) {
    return {"node", "thing", "the fix", std::move(observe), std::move(apply)};
}

TEST(StepRunner, HoldingStepIsOkAndNeverApplied) {
    bool applied = false;
    Outcomes r = run(step([] { return Observation::holds("fine"); },
                          [&] {
                              applied = true;
                              return Applied::changed("x");
                          }));
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(applied);
    EXPECT_EQ(r.only().status, Status::ok);
    EXPECT_EQ(r.only().detail, "fine");
}

// A stale read (a watch pass's copy of the node) that shows a fault is looked at again before
// anything changes: someone repaired it meanwhile, so nothing is applied.
TEST(StepRunner, ConfirmFreshLooksAgainBeforeChanging) {
    bool real = true;     // the node
    bool cached = false;  // the pass's old copy of it
    int applied = 0, refreshed = 0;
    Report report;
    StepRunner runner(report, false);
    runner.confirm_fresh([&] { ++refreshed, cached = real; });
    Step s = step([&] { return Observation::holds_if(cached, "fine", "fix it"); },
                  [&] {
                      ++applied, real = cached = true;
                      return Applied::changed("fixed");
                  });
    EXPECT_TRUE(runner.run(s));
    EXPECT_EQ(refreshed, 1);
    EXPECT_EQ(applied, 0);
    EXPECT_EQ(report.outcomes().at(0).status, Status::ok);

    // Still wrong after the fresh look: applied, once.
    real = cached = false;
    EXPECT_TRUE(runner.run(s));
    EXPECT_EQ(refreshed, 2);
    EXPECT_EQ(applied, 1);
    EXPECT_EQ(report.outcomes().at(1).status, Status::changed);
}

TEST(StepRunner, FailingStepIsAppliedAndVerified) {
    bool state = false;
    int observed = 0;
    Outcomes r = run(step(
        [&] {
            ++observed;
            return Observation::holds_if(state, state ? "on" : "off", "turn it on");
        },
        [&] {
            state = true;
            return Applied::changed("");
        }));
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(observed, 2) << "observed before and after apply";
    EXPECT_EQ(r.only().status, Status::changed);
    EXPECT_EQ(r.only().detail, "turn it on") << "an empty applied detail shows the plan";
}

TEST(StepRunner, ChangeThatDoesNotHoldFailsWithTheStepsFix) {
    Outcomes r = run(step([] { return Observation::fails("off", "turn it on"); },
                          [] { return Applied::changed("turned"); }));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.only().status, Status::failed);
    EXPECT_EQ(r.only().detail, "changed, but it still does not hold: off");
    EXPECT_EQ(r.only().fix, "the fix");
}

TEST(StepRunner, UnverifiedStepTrustsApply) {
    Step s = step([] { return Observation::fails("off"); }, [] { return Applied::changed("x"); });
    s.verify = false;
    EXPECT_EQ(run(s).only().status, Status::changed);
}

TEST(StepRunner, DryRunPlansAndChangesNothing) {
    bool applied = false;
    Outcomes r = run(step([] { return Observation::fails("off", "turn it on"); },
                          [&] {
                              applied = true;
                              return Applied::changed("x");
                          }),
                     true);
    EXPECT_TRUE(r.ok);
    EXPECT_FALSE(applied);
    EXPECT_EQ(r.only().status, Status::planned);
    EXPECT_EQ(r.only().detail, "turn it on");
}

TEST(StepRunner, CheckOnlyStepFailsWithTheObservationsFix) {
    Observation o = Observation::fails("off");
    o.fix = "a better fix";
    Outcomes r = run(check_only(step([o] { return o; }, [] { return Applied::changed("x"); })));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.only().status, Status::failed);
    EXPECT_EQ(r.only().fix, "a better fix");
}

TEST(StepRunner, WarnAndSkipHold) {
    Outcomes w = run(step([] { return Observation::warn("mtu", "clamp it"); }));
    EXPECT_TRUE(w.ok);
    EXPECT_EQ(w.only().status, Status::warning);
    EXPECT_EQ(w.only().fix, "clamp it");
    Outcomes s = run(step([] { return Observation::skip("stopped"); }));
    EXPECT_TRUE(s.ok);
    EXPECT_EQ(s.only().status, Status::skipped);
}

TEST(StepRunner, PendingCarriesItsFix) {
    Outcomes r = run(step([] { return Observation::fails("off"); },
                          [] { return Applied::pending("later", "restart it"); }));
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.only().status, Status::pending);
    EXPECT_EQ(r.only().fix, "restart it");
}

TEST(StepRunner, ThrowingObserveIsAFailureNotACrash) {
    Outcomes r = run(step([]() -> Observation { throw Error("no such device"); }));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.only().detail, "cannot observe: no such device");
    EXPECT_EQ(r.report.exit_code(), Exit::failed);
}

TEST(StepRunner, BusyApplyMakesTheRunExit3) {
    Outcomes r = run(step([] { return Observation::fails("off"); },
                          []() -> Applied { throw BusyError("locked by vzctl"); }));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.only().detail, "locked by vzctl");
    EXPECT_EQ(r.report.exit_code(), Exit::busy);
}

TEST(StepRunner, RunUntilFailureStopsAndRunAllGoesOn) {
    int ran = 0;
    auto counted = [&](bool ok) {
        return step([&ran, ok] {
            ++ran;
            return Observation::holds_if(ok, "");
        });
    };
    Report report;
    StepRunner runner(report, false);
    EXPECT_FALSE(runner.run_until_failure({counted(true), counted(false), counted(true)}));
    EXPECT_EQ(ran, 2);
    ran = 0;
    EXPECT_FALSE(runner.run_all({counted(true), counted(false), counted(true)}));
    EXPECT_EQ(ran, 3);
}

// Issue 27: an observation that could not be made (a read that timed out in a CT) shows the
// fix its error names, not the step's fix for a piece that does not hold; nothing is applied.
TEST(StepRunner, AnObservationThatThrowsShowsItsErrorsFixAndChangesNothing) {
    bool applied = false;
    auto apply = [&] {
        applied = true;
        return Applied::changed("x");
    };
    Outcomes r =
        run(step([]() -> Observation { throw Error("timed out", "find what hangs"); }, apply));
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(applied);
    EXPECT_EQ(r.only().status, Status::failed);
    EXPECT_EQ(r.only().detail, "cannot observe: timed out");
    EXPECT_EQ(r.only().fix, "find what hangs");
    r = run(step([]() -> Observation { throw Error("no answer"); }, apply));
    EXPECT_EQ(r.only().fix, "the fix") << "an error without a fix of its own: the step's";
}

}  // namespace
}  // namespace vzlvs
