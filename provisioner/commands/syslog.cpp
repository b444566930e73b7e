#include "commands/syslog.hpp"

#include <spdlog/sinks/syslog_sink.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace vzlvs {

void also_log_to_syslog(spdlog::logger& logger) {
    auto sink = std::make_shared<spdlog::sinks::syslog_sink_mt>("vzlvs", LOG_PID, LOG_DAEMON, true);
    sink->set_pattern("%v");
    logger.sinks().push_back(std::move(sink));
}

void syslog_once(int priority, const std::string& message) {
    ::openlog("vzlvs", LOG_PID, LOG_DAEMON);
    ::syslog(priority, "%s", message.c_str());
    ::closelog();
}

bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    unsigned long long dev = 0, ino = 0;
    if (!stream || std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
    struct stat st {};
    return ::fstat(STDERR_FILENO, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

}  // namespace vzlvs
