#include "cli/version.hpp"

#include <curl/curl.h>
#include <netlink/version.h>
#include <spdlog/version.h>

#include <boost/version.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#ifndef VZLVS_GIT_REVISION
#define VZLVS_GIT_REVISION "unknown"
#endif

namespace vzlvs {

std::string version_text() {
    std::ostringstream out;
    out << "vzlvs " << VZLVS_VERSION << " (git " << VZLVS_GIT_REVISION << ")\n";
    // Linked statically or not, the library reports itself where it can: libcurl at run time.
    const curl_version_info_data* curl = curl_version_info(CURLVERSION_NOW);
    out << "  libnl " << LIBNL_VERSION << "\n";
    out << "  libcurl " << (curl && curl->version ? curl->version : LIBCURL_VERSION) << "\n";
    if (curl && curl->ssl_version) out << "  ssl " << curl->ssl_version << "\n";
    out << "  boost " << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000 << "."
        << BOOST_VERSION % 100 << "\n";
    out << "  spdlog " << SPDLOG_VER_MAJOR << "." << SPDLOG_VER_MINOR << "." << SPDLOG_VER_PATCH
        << "\n";
    out << "  nlohmann-json " << NLOHMANN_JSON_VERSION_MAJOR << "." << NLOHMANN_JSON_VERSION_MINOR
        << "." << NLOHMANN_JSON_VERSION_PATCH << "\n";
    return out.str();
}

}  // namespace vzlvs
