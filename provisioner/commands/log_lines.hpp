// The one line format of hook.log and watch's log; operators and tests grep for it:
//   repaired|pending|failed|recovered: <scope>: <step>: <detail>[; fix: <fix>]
#pragma once

#include <string>

#include "vzlvs/steps/leaks.hpp"
#include "vzlvs/steps/report.hpp"

namespace vzlvs {

std::string log_line(const char* word, const Outcome& o);

// Each deletion sweep_leaks() made as `repaired:` (info), each it could not make as
// `failed:` (warning).
void log_swept(const Swept& swept);

}  // namespace vzlvs
