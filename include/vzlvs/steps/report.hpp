// What every command reports: one Outcome per step or check, printed as a table or JSON.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

enum class Status {
    ok,       // already as desired; nothing done
    changed,  // was different; vzlvs changed it and verified the result
    planned,  // --dry-run: would change
    pending,  // changed, but takes effect only later (e.g. ipip feature until the CT restarts)
    skipped,  // not applicable (no director configured, CT not running, ...)
    warning,  // holds, but something nearby deserves attention (e.g. MTU); never fails a run
    failed,   // could not be made to hold; `fix` says what to do
};

const char* to_string(Status s);

struct Outcome {
    std::string scope;  // "node" or "ct 101" (director outcomes belong to their container)
    std::string name;   // short step name: "ipip feature", "VIP route on venet0"
    Status status = Status::ok;
    std::string detail;         // what was seen or done
    std::string fix{};          // for failed/pending: what the user should run or change
    bool registration = false;  // a director registration (Step::registration)
};

class Report {
  public:
    void add(Outcome o);
    // Called with each outcome as it is added (sanitised): the audit trail hears of a change
    // when it is made, not when the run ends (commands/audit.hpp).
    void on_add(std::function<void(const Outcome&)> f) { on_add_ = std::move(f); }
    const std::vector<Outcome>& outcomes() const { return outcomes_; }
    int count(Status s) const;
    bool failed() const { return count(Status::failed) > 0; }
    // A step that failed only because another vzlvs or vzctl held a lock: retry later.
    void mark_busy() { busy_ = true; }
    Exit exit_code() const { return busy_ ? Exit::busy : failed() ? Exit::failed : Exit::ok; }

    // A readable table grouped by scope, with a summary line.
    std::string table(bool color = false) const;
    nlohmann::json json(const std::string& command) const;  // schema: docs/json-output.md

  private:
    std::vector<Outcome> outcomes_;
    bool busy_ = false;
    std::function<void(const Outcome&)> on_add_;
};

}  // namespace vzlvs
