#include "world/ctx.hpp"

#include <system_error>

namespace vzlvs {

std::string self_path(const FlowOptions& opts) {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) return p.string();
    return std::filesystem::absolute(opts.self, ec).string();
}

}  // namespace vzlvs
