// The node's log, for what runs unattended (the hooks vzctl runs, watch): messages go to
// syslog -- the journal on a systemd node -- as `vzlvs[PID]`, facility daemon, beside
// hook.log or stderr, so an operator finds them where keepalived's and vzctl's are.
#pragma once

#include <spdlog/logger.h>

#include <string>

namespace vzlvs {

// Adds a syslog sink (openlog "vzlvs", LOG_PID, LOG_DAEMON) to `logger`. Levels map to
// priorities (debug, which -v enables, to LOG_DEBUG); the message is the bare text.
void also_log_to_syslog(spdlog::logger& logger);

// One message to syslog now, the connection closed again at once: for the hook, whose
// detached worker closes every fd it inherits, so no syslog socket may be open at the fork.
void syslog_once(int priority, const std::string& message);

// True when stderr is the systemd journal's stream (systemd sets JOURNAL_STREAM to its
// device and inode, systemd.exec(5)): what goes to stderr is in the journal already, as
// vzlvs[PID] of facility daemon, and a syslog copy would show each line twice.
bool stderr_is_journal();

}  // namespace vzlvs
