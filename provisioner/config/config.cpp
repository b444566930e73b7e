// Entry points of the config: reading the file, running the stages, reporting problems.
#include "vzlvs/config/config.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <tuple>

#include "config/internal.hpp"

namespace vzlvs {
namespace {

constexpr std::size_t kMaxFileBytes = 1 << 20;

std::string join_problems(const std::vector<ConfigProblem>& problems) {
    if (problems.empty()) return "invalid configuration";
    std::string out;
    for (const auto& p : problems) out += (out.empty() ? "" : "\n") + p.str();
    return out;
}

ConfigError read_failure(const std::filesystem::path& path, const std::string& why) {
    ConfigProblem p;
    p.message = "cannot read config " + path.string() + ": " + why;
    return ConfigError({p});
}

}  // namespace

std::string ConfigProblem::str() const {
    std::string out;
    if (!file.empty()) out += file + (line > 0 ? ":" + std::to_string(line) : "") + ": ";
    if (!section.empty()) out += "[" + section + "] ";
    if (!key.empty()) out += key + ": ";
    return out + message;
}

ConfigError::ConfigError(std::vector<ConfigProblem> problems)
    : UsageError(join_problems(problems)), problems_(std::move(problems)) {}

const ContainerConfig* Config::container(const std::string& ctid) const {
    auto it = containers.find(ctid);
    return it == containers.end() ? nullptr : &it->second;
}

std::vector<std::string> Config::vips_of(const ContainerConfig& ct) const {
    std::vector<std::string> vips;
    for (const auto& name : ct.services) {
        auto it = services.find(name);
        if (it == services.end() || it->second.vip.empty()) continue;
        if (std::find(vips.begin(), vips.end(), it->second.vip) == vips.end()) {
            vips.push_back(it->second.vip);
        }
    }
    return vips;
}

std::vector<std::string> Config::all_vips() const {
    std::vector<std::string> vips;
    std::set<std::string> seen;
    for (const auto& [_, ct] : containers)
        for (const auto& v : vips_of(ct))
            if (seen.insert(v).second) vips.push_back(v);
    return vips;
}

bool Config::is_vip(const std::string& ip) const {
    if (!vip_set_) {
        const auto all = all_vips();
        vip_set_ = std::make_shared<const std::set<std::string>>(all.begin(), all.end());
    }
    return vip_set_->count(ip) > 0;
}

std::filesystem::path Config::global_vz_conf() const {
    std::filesystem::path dir = node.vz_conf_dir;
    // "/etc/vz/conf/" has an empty filename; its parent would be /etc/vz/conf itself.
    if (!dir.has_filename() && dir.has_relative_path()) dir = dir.parent_path();
    return dir.parent_path() / "vz.conf";
}

bool operator==(const NodeConfig& a, const NodeConfig& b) {
    return std::tie(a.name, a.vzctl, a.vz_conf_dir, a.venet, a.state_dir, a.restart, a.uplinks,
                    a.modules_persist, a.all_rp_filter, a.openvz, a.sysctl_dir, a.modules_load_dir,
                    a.sysconfig_modules_dir, a.runtime_root, a.probe, a.probe_timeout,
                    a.metrics_file) ==
           std::tie(b.name, b.vzctl, b.vz_conf_dir, b.venet, b.state_dir, b.restart, b.uplinks,
                    b.modules_persist, b.all_rp_filter, b.openvz, b.sysctl_dir, b.modules_load_dir,
                    b.sysconfig_modules_dir, b.runtime_root, b.probe, b.probe_timeout,
                    b.metrics_file);
}

bool operator==(const DirectorConfig& a, const DirectorConfig& b) {
    return std::tie(a.url, a.api, a.token_file, a.ca_file, a.timeout, a.retries, a.drain,
                    a.endpoints, a.prefix, a.lease_ttl, a.cert_file, a.key_file, a.user,
                    a.password_file) == std::tie(b.url, b.api, b.token_file, b.ca_file, b.timeout,
                                                 b.retries, b.drain, b.endpoints, b.prefix,
                                                 b.lease_ttl, b.cert_file, b.key_file, b.user,
                                                 b.password_file);
}

bool operator==(const DirectorHostConfig& a, const DirectorHostConfig& b) {
    return std::tie(a.present, a.name, a.apply, a.keepalived_conf, a.keepalived_pid_file, a.settle,
                    a.min_reload_interval) == std::tie(b.present, b.name, b.apply,
                                                       b.keepalived_conf, b.keepalived_pid_file,
                                                       b.settle, b.min_reload_interval);
}

bool operator==(const ServiceConfig& a, const ServiceConfig& b) {
    return std::tie(a.name, a.vip, a.port, a.protocol, a.scheduler, a.check, a.check_path,
                    a.check_expect, a.check_interval, a.probe_payload) ==
           std::tie(b.name, b.vip, b.port, b.protocol, b.scheduler, b.check, b.check_path,
                    b.check_expect, b.check_interval, b.probe_payload);
}

bool operator==(const ContainerConfig& a, const ContainerConfig& b) {
    return std::tie(a.ctid, a.services, a.weight, a.address) ==
           std::tie(b.ctid, b.services, b.weight, b.address);
}

bool operator==(const Config& a, const Config& b) {
    return a.node == b.node && a.director == b.director && a.director_host == b.director_host &&
           a.services == b.services && a.containers == b.containers;
}

Config parse_config(const std::string& text, const std::string& source_name, UnknownKeys unknown,
                    std::vector<ConfigProblem>* warnings) {
    config_detail::Problems problems(source_name, unknown);
    config_detail::RawConfig raw = config_detail::read_ini(text, problems);
    Config cfg;
    cfg.source = source_name;
    config_detail::apply_sections(raw, cfg, problems);
    config_detail::cross_check(raw, cfg, problems);
    if (!problems.empty()) throw ConfigError(problems.sorted());
    if (warnings) *warnings = problems.warnings();
    return cfg;
}

Config load_config(const std::filesystem::path& path, UnknownKeys unknown,
                   std::vector<ConfigProblem>* warnings) {
    // O_NONBLOCK: a FIFO (or a device) given as the config must not block the open; it is
    // refused below as not a regular file.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        throw read_failure(path, std::string(std::strerror(errno)) +
                                     " (`vzlvs config --example` prints a config to start from)");
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw read_failure(path, S_ISDIR(st.st_mode) ? std::strerror(EISDIR)
                                                     : "not a regular file (a FIFO or a device "
                                                       "cannot be a config file)");
    }
    std::string text;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            throw read_failure(path, std::strerror(err));
        }
        if (n == 0) break;
        text.append(buf, static_cast<std::size_t>(n));
        if (text.size() > kMaxFileBytes) {
            ::close(fd);
            throw read_failure(path,
                               "the file is larger than 1 MiB, the most accepted for a "
                               "config; is this the right file?");
        }
    }
    ::close(fd);
    return parse_config(text, path.string(), unknown, warnings);
}

namespace config_detail {

ConfigProblem Problems::make(int line, std::string section, std::string key,
                             std::string message) const {
    ConfigProblem p;
    p.file = file_;
    p.line = line;
    p.section = std::move(section);
    p.key = std::move(key);
    p.message = std::move(message);
    return p;
}

void Problems::add(int line, std::string section, std::string key, std::string message) {
    problems_.push_back(make(line, std::move(section), std::move(key), std::move(message)));
}

void Problems::unknown(int line, std::string section, std::string key, std::string message) {
    ConfigProblem p = make(line, std::move(section), std::move(key), std::move(message));
    if (unknown_ == UnknownKeys::warn) {
        p.message += " (ignored here; `vzlvs config` refuses it)";
        warnings_.push_back(std::move(p));
    } else {
        problems_.push_back(std::move(p));
    }
}

std::vector<ConfigProblem> Problems::sorted() const { return by_line(problems_); }

std::vector<ConfigProblem> Problems::warnings() const { return by_line(warnings_); }

std::vector<ConfigProblem> Problems::by_line(std::vector<ConfigProblem> out) {
    std::stable_sort(out.begin(), out.end(), [](const ConfigProblem& a, const ConfigProblem& b) {
        auto rank = [](int line) { return line > 0 ? line : 1 << 30; };
        return rank(a.line) < rank(b.line);
    });
    return out;
}

}  // namespace config_detail
std::string backend_id_text(const std::string& node, const std::string& ctid,
                            const std::string& service) {
    return node + "-" + ctid + "-" + service;
}

}  // namespace vzlvs
