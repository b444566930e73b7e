// One unit of convergence: observe the piece, decide whether it holds, make it hold,
// verify. Every flow is an ordered list of these; `check` runs only the observe half.
#pragma once

#include <functional>
#include <string>

#include "steps/report.hpp"

namespace vzlvs {

struct Observation {
    bool holds = false;
    std::string detail;  // what was seen ("tunl0 up, 192.0.2.10/32")
    std::string plan;    // when !holds: what apply() would do ("vzctl set 101 --ipadd ...")
    bool warn = false;  // holds, but report it as a warning (detail says why, Step::fix what to do)
    std::string fix{};  // when the right fix depends on what was seen: overrides Step::fix
    bool skip = false;  // with holds: not applicable now (a stopped CT): reported as skipped
};

struct Applied {
    Status status = Status::changed;  // or pending, when the change takes effect later
    std::string detail;
    std::string fix{};  // for pending: what the user runs to finish it
};

struct Step {
    std::string scope;
    std::string name;
    std::function<Observation()> observe;
    std::function<Applied()> apply;  // empty: check-only (a failed observation is a failure)
    std::string fix;                 // shown when the step fails
    bool verify = true;              // re-observe after apply; false when apply's effect is delayed
};

class StepRunner {
  public:
    StepRunner(Report& report, bool dry_run) : report_(report), dry_run_(dry_run) {}
    // Runs one step and records its outcome. Returns false when it failed.
    bool run(const Step& step);
    // Records an outcome that is not a step (e.g. "director: not configured").
    void note(Outcome o) { report_.add(std::move(o)); }
    bool dry_run() const { return dry_run_; }
    void mark_busy() { report_.mark_busy(); }

  private:
    Report& report_;
    bool dry_run_;
};

}  // namespace vzlvs
