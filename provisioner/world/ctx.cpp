#include "vzlvs/world/ctx.hpp"

#include <system_error>

namespace vzlvs {

std::string self_path(const FlowOptions& opts) {
    // The running binary does not move under a process: asked once, for every CT's hooks.
    static const std::string exe = [] {
        std::error_code ec;
        std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
        return ec ? std::string() : p.string();
    }();
    if (!exe.empty()) return exe;
    std::error_code ec;
    return std::filesystem::absolute(opts.self, ec).string();
}

}  // namespace vzlvs
