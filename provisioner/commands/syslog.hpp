// The node's log, for what runs unattended (the hooks vzctl runs, watch): messages go to
// syslog -- the journal on a systemd node -- as `vzlvs[PID]`, facility daemon, beside
// hook.log or stderr, so an operator finds them where keepalived's and vzctl's are.
#pragma once

#include <spdlog/logger.h>

namespace vzlvs {

// Adds a syslog sink (openlog "vzlvs", LOG_PID, LOG_DAEMON) to `logger`. Levels map to
// priorities (debug, which -v enables, to LOG_DEBUG); the message is the bare text.
void also_log_to_syslog(spdlog::logger& logger);

// True when stderr is the systemd journal's stream (systemd sets JOURNAL_STREAM to its
// device and inode, systemd.exec(5)): what goes to stderr is in the journal already, as
// vzlvs[PID] of facility daemon, and a syslog copy would show each line twice.
bool stderr_is_journal();

}  // namespace vzlvs
