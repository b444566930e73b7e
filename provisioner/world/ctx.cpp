#include "vzlvs/world/ctx.hpp"

#include <system_error>

namespace vzlvs {

namespace {
constexpr const char* kPackagedPath = "/usr/sbin/vzlvs";
}  // namespace

std::string self_path(const FlowOptions& opts) {
    // The running binary does not move under a process: asked once, for every CT's hooks.
    static const std::string exe = [] {
        std::error_code ec;
        std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
        return ec ? std::string() : p.string();
    }();
    // A package runs its bundle (/opt/vzlvs/bin/vzlvs) through /usr/sbin/vzlvs: hooks and the
    // unit name the link, which every upgrade keeps, not where it happens to point.
    std::error_code eq;
    if (!exe.empty() && std::filesystem::equivalent(kPackagedPath, exe, eq)) return kPackagedPath;
    if (!exe.empty()) return exe;
    std::error_code ec;
    return std::filesystem::absolute(opts.self, ec).string();
}

}  // namespace vzlvs
