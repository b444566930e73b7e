// The audit trail: every change a command makes to the node, a container or the director goes
// to syslog (facility daemon, `vzlvs[PID]`) as one line, with the command that made it and
// who ran it, when it is made -- hooks and watch log their repairs there already.
#pragma once

#include <string>
#include <vector>

#include "vzlvs/steps/report.hpp"

namespace vzlvs {

// "vzlvs provision 101 (uid 0)": how the lines name the run.
std::string audit_command(const std::string& command, const std::vector<std::string>& ctids);

// One line for an outcome that changed something (changed, pending) or failed while
// changing it; "" for the ones that did not (ok, planned, skipped, warnings, failures of a
// read-only run are not changes).
std::string audit_line(const std::string& command_text, const Outcome& o);

// Makes report send audit_line() of each outcome to syslog as it is added; undone by the
// destructor.
class AuditTrail {
  public:
    AuditTrail(Report& report, std::string command_text);
    ~AuditTrail();
    AuditTrail(const AuditTrail&) = delete;
    AuditTrail& operator=(const AuditTrail&) = delete;

  private:
    Report& report_;
};

}  // namespace vzlvs
