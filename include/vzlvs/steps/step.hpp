// One unit of convergence: observe the piece, decide whether it holds, make it hold, verify.
// Every command is an ordered list of these; `check` runs only the observe half.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "vzlvs/steps/report.hpp"

namespace vzlvs {

enum class Verdict {
    holds,  // as desired
    fails,  // not as desired: apply() makes it hold (or, check-only, a failure with its fix)
    warn,   // holds, but something nearby deserves attention: reported as a warning
    skip,   // not applicable now (a stopped CT): reported as skipped
};

struct Observation {
    Verdict verdict = Verdict::fails;
    std::string detail{};  // what was seen ("tunl0 up, 192.0.2.10/32")
    std::string plan{};    // fails: what apply() would do ("vzctl set 101 --ipadd ...")
    std::string fix{};     // fails/warn: when the fix depends on what was seen, overrides Step::fix

    static Observation holds(std::string detail) { return {Verdict::holds, std::move(detail)}; }
    static Observation fails(std::string detail, std::string plan = "") {
        return {Verdict::fails, std::move(detail), std::move(plan)};
    }
    static Observation warn(std::string detail, std::string fix = "") {
        return {Verdict::warn, std::move(detail), "", std::move(fix)};
    }
    static Observation skip(std::string why) { return {Verdict::skip, std::move(why)}; }
    // holds(detail) when ok, else fails(detail, plan): the common observation.
    static Observation holds_if(bool ok, std::string detail, std::string plan = "") {
        return ok ? holds(std::move(detail)) : fails(std::move(detail), std::move(plan));
    }
    bool holding() const { return verdict != Verdict::fails; }
};

struct Applied {
    Status status = Status::changed;  // or pending, when the change takes effect later
    std::string detail{};
    std::string fix{};  // pending: what the user runs to finish it

    static Applied changed(std::string detail) { return {Status::changed, std::move(detail)}; }
    static Applied pending(std::string detail, std::string fix = "") {
        return {Status::pending, std::move(detail), std::move(fix)};
    }
};

struct Step {
    std::string scope;
    std::string name;
    std::string fix{};  // shown when the step fails
    std::function<Observation()> observe{};
    std::function<Applied()> apply{};  // empty: check-only (a failed observation is a failure)
    bool verify = true;         // re-observe after apply; false when apply's effect is delayed
    bool registration = false;  // registers a backend: its outcome says so (Outcome::registration)
};

// `check`: the same step with apply removed, so what does not hold is a failure with its fix.
Step check_only(Step s);

class StepRunner {
  public:
    StepRunner(Report& report, bool dry_run) : report_(report), dry_run_(dry_run) {}
    // Runs one step and records its outcome. Returns false when it failed.
    bool run(const Step& step);
    // Runs every step; false when any failed.
    bool run_all(const std::vector<Step>& steps);
    // Runs steps in order and stops at the first failure: for steps that depend on the
    // ones before them (no --ipadd without the guard, no registration without the VIP).
    bool run_until_failure(const std::vector<Step>& steps);
    // Records an outcome that is not a step (e.g. "container lock: busy").
    void note(Outcome o) { report_.add(std::move(o)); }
    bool dry_run() const { return dry_run_; }
    void mark_busy() { report_.mark_busy(); }
    // Called after every apply, whatever its outcome: reads a run caches
    // (Seams::cache_node_reads) are stale once anything may have changed.
    void after_apply(std::function<void()> f) { after_apply_ = std::move(f); }
    // Called when a step does not hold, before anything is changed or reported: drops reads
    // that may be older than another process's change, and the step is looked at again. A
    // watch pass reads the node once for every CT; a CT's own hook may have repaired it since.
    void confirm_fresh(std::function<void()> f) { confirm_fresh_ = std::move(f); }

  private:
    Report& report_;
    bool dry_run_;
    std::function<void()> after_apply_;
    std::function<void()> confirm_fresh_;
};

}  // namespace vzlvs
