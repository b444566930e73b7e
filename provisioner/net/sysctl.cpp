#include "vzlvs/net/sysctl.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "vzlvs/base/error.hpp"

namespace vzlvs {
namespace {

const std::filesystem::path kProcSys = "/proc/sys";

// Families whose fourth component is a device name (which may itself contain dots).
constexpr std::array<const char*, 4> kPerDevice = {"net.ipv4.conf.", "net.ipv6.conf.",
                                                   "net.ipv4.neigh.", "net.ipv6.neigh."};

std::string dots_to_slashes(std::string s) {
    std::replace(s.begin(), s.end(), '.', '/');
    return s;
}

}  // namespace

std::filesystem::path sysctl_path(const std::string& key) {
    if (key.empty() || key.front() == '.' || key.front() == '/' ||
        key.find("..") != std::string::npos) {
        throw Error("'" + key +
                    "' is not a sysctl key (expected e.g. net.ipv4.conf.all.rp_filter)");
    }
    if (key.find('/') != std::string::npos) return kProcSys / key;
    for (const char* prefix : kPerDevice) {
        const std::string p = prefix;
        if (key.compare(0, p.size(), p) != 0) continue;
        std::string rest = key.substr(p.size());
        std::size_t last = rest.rfind('.');
        if (last == std::string::npos || last == 0 || last + 1 == rest.size()) {
            throw Error("'" + key + "' is not a sysctl key: expected " + p + "<device>.<setting>");
        }
        return kProcSys / dots_to_slashes(p.substr(0, p.size() - 1)) / rest.substr(0, last) /
               rest.substr(last + 1);
    }
    return kProcSys / dots_to_slashes(key);
}

std::string ipv4_conf_key(const std::string& dev, const std::string& leaf) {
    return "net.ipv4.conf." + dev + "." + leaf;
}

std::optional<std::string> sysctl_read(const std::string& key) {
    const auto path = sysctl_path(key);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
        throw Error("cannot read sysctl " + key + " (" + path.string() +
                    "): " + std::strerror(errno));
    }
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            throw Error("cannot read sysctl " + key + " (" + path.string() +
                        "): " + std::strerror(err));
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

void sysctl_write(const std::string& key, const std::string& value) {
    const auto path = sysctl_path(key);
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        std::string hint;
        if (err == ENOENT) {
            hint =
                "; the key does not exist here: is the device present in this network "
                "namespace?";
        } else if (err == EACCES || err == EROFS) {
            hint =
                "; /proc/sys is read-only here (inside a container it may need to be "
                "set from the host, or the container needs the right to change it)";
        }
        throw Error("cannot set sysctl " + key + " = " + value + " (" + path.string() +
                    "): " + std::strerror(err) + hint);
    }
    // One write() call: /proc/sys parses each write separately.
    const std::string line = value + "\n";
    ssize_t n;
    do {
        n = ::write(fd, line.data(), line.size());
    } while (n < 0 && errno == EINTR);
    int err = errno;
    ::close(fd);
    if (n < 0) {
        throw Error("cannot set sysctl " + key + " = " + value + " (" + path.string() + "): " +
                    std::strerror(err) + (err == EINVAL ? "; the kernel rejected the value" : ""));
    }
}

std::optional<int> effective_rp_filter(const std::string& dev) {
    auto all = sysctl_read(ipv4_conf_key("all", "rp_filter"));
    auto own = sysctl_read(ipv4_conf_key(dev, "rp_filter"));
    if (!all || !own) return std::nullopt;
    try {
        return std::max(std::stoi(*all), std::stoi(*own));
    } catch (const std::exception&) {
        throw Error("unexpected rp_filter values in /proc/sys: all='" + *all + "', " + dev + "='" +
                    *own + "'");
    }
}

}  // namespace vzlvs
