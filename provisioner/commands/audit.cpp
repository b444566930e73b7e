#include "commands/audit.hpp"

#include <syslog.h>
#include <unistd.h>

#include "commands/syslog.hpp"
#include "vzlvs/base/strings.hpp"

namespace vzlvs {

std::string audit_command(const std::string& command, const std::vector<std::string>& ctids) {
    std::string text = "vzlvs " + command;
    for (const auto& id : ctids) text += " " + printable(id, 64);
    return text + " (uid " + std::to_string(::getuid()) + ")";
}

std::string audit_line(const std::string& command_text, const Outcome& o) {
    if (o.status != Status::changed && o.status != Status::pending && o.status != Status::failed)
        return "";
    return command_text + ": " + o.scope + ": " + o.name + ": " + to_string(o.status) + ": " +
           o.detail;
}

AuditTrail::AuditTrail(Report& report, std::string command_text) : report_(report) {
    report_.on_add([text = std::move(command_text)](const Outcome& o) {
        const std::string line = audit_line(text, o);
        if (!line.empty()) syslog_once(o.status == Status::failed ? LOG_WARNING : LOG_NOTICE, line);
    });
}

AuditTrail::~AuditTrail() { report_.on_add(nullptr); }

}  // namespace vzlvs
