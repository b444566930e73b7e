#include "ct/run_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "vzlvs/base/strings.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

namespace {

// A /proc, /sys or pid file: at most `max` bytes, nullopt when it cannot be opened. Not
// read_file(): procfs files have no size to trust, and a directory under a test root must not
// make vzlvs block on a FIFO.
std::optional<std::string> read_small(const fs::path& path, std::size_t max) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return std::nullopt;
    std::string out;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max) {
            ::close(fd);
            return std::nullopt;
        }
    }
    ::close(fd);
    return out;
}

fs::path under(const fs::path& root, const std::string& abs) { return root / abs.substr(1); }

bool all_digits(const std::string& s) {
    return !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos;
}

// 16 MiB: a line per running CT, well under 1 KiB each, for far more CTs than a node holds.
constexpr std::size_t kVeinfoMax = 16u << 20;

}  // namespace

std::optional<std::set<std::string>> parse_veinfo(const std::string& text) {
    std::set<std::string> running;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string veid, cls, nproc;
        if (!(words >> veid)) continue;  // a blank line
        if (!(words >> cls >> nproc) || !all_digits(veid) || !all_digits(nproc))
            return std::nullopt;
        if (veid != "0") running.insert(veid);
    }
    return running;
}

std::optional<std::set<std::string>> read_veinfo(const fs::path& root) {
    auto text = read_small(under(root, "/proc/vz/veinfo"), kVeinfoMax);
    if (!text) return std::nullopt;
    return parse_veinfo(*text);
}

std::optional<bool> ve_state_running(const fs::path& root, const std::string& id) {
    const fs::path ve = under(root, "/sys/fs/cgroup/ve");
    std::error_code ec;
    if (!fs::is_directory(ve, ec)) return std::nullopt;
    auto state = read_small(ve / id / "ve.state", 64);
    if (!state) return false;  // no cgroup: a stopped CT (cg_env_get_ve_state)
    return trim(*state) != "STOPPED";
}

std::string status_env_id(const std::string& status_text) {
    std::istringstream in(status_text);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("envID:", 0) == 0) return trim(line.substr(6));
    return "";
}

std::optional<pid_t> ct_init_pid(const fs::path& root, const std::string& id) {
    auto text = read_small(under(root, "/var/run/ve/" + id + ".init.pid"), 64);
    if (!text) return std::nullopt;
    const std::string pid = trim(*text);
    if (!all_digits(pid) || pid == "0") return std::nullopt;
    // The kernel has envID lines when our own status has one (OpenVZ's prints "envID: 0").
    static const bool openvz_kernel =
        !status_env_id(read_small("/proc/self/status", 64 * 1024).value_or("")).empty();
    if (openvz_kernel) {
        // The pid is the CT's (not reused by another since): its status names the CT.
        auto status = read_small("/proc/" + pid + "/status", 64 * 1024);
        if (!status || status_env_id(*status) != id) return std::nullopt;
    } else if (::access(("/proc/" + pid).c_str(), F_OK) != 0) {
        return std::nullopt;  // gone (a kernel without envID cannot tell whose it is)
    }
    return static_cast<pid_t>(std::stol(pid));
}

}  // namespace vzlvs
