#include "vzlvs/steps/step.hpp"

#include <exception>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

namespace {

// A step that throws while observing or applying still yields an outcome: the report must
// say which piece failed and how, never abort the whole run with a bare exception.
// `fix`: the error's own, when it has one.
template <typename F>
auto guarded(F&& f, std::string& error, Report& report, std::string* fix = nullptr)
    -> decltype(f()) {
    try {
        return f();
    } catch (const BusyError& e) {
        report.mark_busy();
        error = e.what();
    } catch (const Error& e) {
        error = e.what();
        if (fix) *fix = e.fix();
    } catch (const std::exception& e) {
        error = e.what();
    }
    return {};
}

}  // namespace

Step check_only(Step s) {
    s.apply = nullptr;
    return s;
}

bool StepRunner::run_all(const std::vector<Step>& steps) {
    bool ok = true;
    for (const auto& s : steps) ok = run(s) && ok;
    return ok;
}

bool StepRunner::run_until_failure(const std::vector<Step>& steps) {
    for (const auto& s : steps)
        if (!run(s)) return false;
    return true;
}

bool StepRunner::run(const Step& step) {
    Outcome out{step.scope, step.name, Status::ok, "", "", step.registration};
    std::string error, error_fix;
    Observation seen = guarded(step.observe, error, report_, &error_fix);
    if (confirm_fresh_ && (!error.empty() || !seen.holding())) {
        confirm_fresh_();
        error.clear();
        error_fix.clear();
        seen = guarded(step.observe, error, report_, &error_fix);
    }
    if (!error.empty()) {
        out.status = Status::failed;
        out.detail = "cannot observe: " + error;
        out.fix = error_fix.empty() ? step.fix : error_fix;
        report_.add(out);
        return false;
    }
    const std::string fix = seen.fix.empty() ? step.fix : seen.fix;
    if (seen.holding()) {
        out.detail = seen.detail;
        if (seen.verdict == Verdict::warn) {
            out.status = Status::warning;
            out.fix = fix;
        } else if (seen.verdict == Verdict::skip) {
            out.status = Status::skipped;
        }
        report_.add(out);
        return true;
    }
    if (!step.apply) {
        out.status = Status::failed;
        out.detail = seen.detail;
        out.fix = fix;
        report_.add(out);
        return false;
    }
    if (dry_run_) {
        out.status = Status::planned;
        out.detail = seen.plan.empty() ? seen.detail : seen.plan;
        report_.add(out);
        return true;
    }
    Applied done = guarded(step.apply, error, report_);
    if (after_apply_) after_apply_();
    if (!error.empty()) {
        out.status = Status::failed;
        out.detail = error;
        out.fix = fix;
        report_.add(out);
        return false;
    }
    if (step.verify && done.status == Status::changed) {
        Observation after = guarded(step.observe, error, report_);
        if (!error.empty() || !after.holding()) {
            out.status = Status::failed;
            out.detail =
                "changed, but it still does not hold: " + (error.empty() ? after.detail : error);
            out.fix = step.fix;
            report_.add(out);
            return false;
        }
    }
    out.status = done.status;
    out.detail = done.detail.empty() ? seen.plan : done.detail;
    if (done.status == Status::pending) out.fix = done.fix.empty() ? fix : done.fix;
    report_.add(out);
    return true;
}

}  // namespace vzlvs
