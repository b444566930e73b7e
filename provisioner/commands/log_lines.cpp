#include "commands/log_lines.hpp"

#include <spdlog/spdlog.h>

namespace vzlvs {

std::string log_line(const char* word, const Outcome& o) {
    return std::string(word) + ": " + o.scope + ": " + o.name + ": " + o.detail +
           (o.fix.empty() ? "" : "; fix: " + o.fix);
}

void log_swept(const Swept& swept) {
    for (const auto& o : swept.outcomes) {
        if (o.status == Status::failed)
            spdlog::warn("{}", log_line("failed", o));
        else
            spdlog::info("{}", log_line("repaired", o));
    }
}

}  // namespace vzlvs
