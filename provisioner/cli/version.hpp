// What `vzlvs version` prints: this build and the libraries it carries, so a report from a
// node says exactly which code ran there.
#pragma once

#include <string>

namespace vzlvs {

// "vzlvs 0.x (git REV)\n" then one "  NAME VERSION" line per library: libnl, libcurl, the SSL
// library libcurl uses, Boost, spdlog, nlohmann-json.
std::string version_text();

}  // namespace vzlvs
