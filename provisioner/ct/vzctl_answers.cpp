// What vzctl's answers mean: its status line, its exit codes, and the error text made of
// them (the driver itself is vzctl.cpp). Behaviour relied on is in docs/openvz.md.
#include <cctype>
#include <sstream>

#include "ct/vzctl.hpp"
#include "vzlvs/base/shell.hpp"

namespace vzlvs {
namespace {

std::vector<std::string> split_words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> words;
    std::string w;
    while (in >> w) words.push_back(w);
    return words;
}

std::string vzctl_error_text(const std::vector<std::string>& argv, int code,
                             const std::string& stderr_text) {
    return describe_argv(argv) + " failed (exit " + std::to_string(code) + ": " +
           describe_vzctl_code(code) + "): " + vzctl_complaint(stderr_text);
}

}  // namespace

std::string vzctl_complaint(const std::string& text) {
    const int max_lines = 3;
    std::istringstream in(text);
    std::string line, out;
    int n = 0;
    while (n < max_lines && std::getline(in, line)) {
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
            line.pop_back();
        }
        if (line.empty()) continue;
        if (!out.empty()) out += " / ";
        out += line;
        ++n;
    }
    return out.empty() ? "(vzctl printed nothing)" : out;
}

std::optional<CtStatus> parse_status_line(const std::string& line) {
    auto words = split_words(line);
    if (words.size() != 5 && words.size() != 6) return std::nullopt;
    if (words[0] != "CTID" && words[0] != "VEID") return std::nullopt;
    CtStatus st;
    st.ctid = words[1];
    if (words[2] == "exist") {
        st.exists = true;
    } else if (words[2] != "deleted") {
        return std::nullopt;
    }
    if (words[3] == "mounted") {
        st.mounted = true;
    } else if (words[3] != "unmounted") {
        return std::nullopt;
    }
    const std::string& state = words[4];
    if (state == "running") {
        st.running = true;
    } else if (state == "paused") {
        st.paused = true;
    } else if (state == "suspended") {
        st.suspended = true;
    } else if (state != "down") {
        return std::nullopt;
    }
    if (words.size() == 6) {
        // 4.x appends "suspended" to a stopped CT that has a dump file.
        if (words[5] != "suspended") return std::nullopt;
        st.suspended = true;
    }
    return st;
}

std::string describe_vzctl_code(int code) {
    switch (code) {
        case 0:
            return "success";
        case 3:
            return "system error inside vzctl (see its message and /var/log/vzctl.log)";
        case 5:
            return "not an OpenVZ kernel, or /dev/vzctl cannot be opened (boot the OpenVZ "
                   "kernel and load the vzdev module)";
        case 8:
            return "the command run by vzctl exec failed";
        case 9:
            return "container locked by another vzctl (LOCKDIR/<CTID>.lck, /vz/lock by "
                   "default); retry later";
        case 10:
            return "vz.conf or the container config cannot be read (check /etc/vz/vz.conf and "
                   "/etc/vz/conf/<CTID>.conf)";
        case 14:
            return "no such container (no <CTID>.conf in /etc/vz/conf)";
        case 20:
            return "vzctl rejected the command syntax (a vzlvs bug: please report it)";
        case 21:
            return "vzctl rejected a parameter value (see its message: e.g. an unknown feature "
                   "or a bad CT ID)";
        case 22:
            return "VE_ROOT is not set (set it in /etc/vz/vz.conf or the container config)";
        case 23:
            return "VE_PRIVATE is not set (set it in /etc/vz/vz.conf or the container config)";
        case 31:
            return "container is not running";
        case 32:
            return "container is already running, or the change is not allowed while it runs";
        case 33:
            return "unable to stop the container (see /var/log/vzctl.log)";
        case 34:
            return "cannot add the container's IP address or host route (vps-net_add failed; "
                   "check `ip route` for a conflicting route on the node)";
        case 40:
            return "container is not mounted";
        case 43:
            return "container private area (VE_PRIVATE) does not exist";
        case 46:
            return "not enough disk space";
        case 47:
            return "bad OS template";
        case 48:
            return "cannot create the container private area";
        case 49:
            return "cannot create the container mount point (VE_ROOT)";
        case 50:
            return "cannot mount the container private area";
        case 51:
            return "cannot unmount the container private area (something still uses it)";
        case 78:
            return "IP address already in use by another container on this node (the venet IP "
                   "table is global): remove it there first";
        case 79:
            return "an action script (premount/mount/start/stop/umount) failed; see the "
                   "script's message above and fix or remove the script";
        case 89:
            return "IP address not available";
        case 100:
            return "cannot read the container's IP addresses";
        case 105:
            return "container start disabled (DISABLED=yes in its config)";
        case 133:
            return "waiting for the container to boot failed or timed out";
        case 139:
            return "cannot save the container config (check space and permissions in "
                   "/etc/vz/conf)";
        default:
            return "vzctl exit code " + std::to_string(code);
    }
}

VzctlError::VzctlError(std::vector<std::string> argv, int code, std::string stderr_text)
    : Error(vzctl_error_text(argv, code, stderr_text)),
      argv_(std::move(argv)),
      code_(code),
      stderr_(std::move(stderr_text)) {}

}  // namespace vzlvs
