// Writing a Config back as INI: the effective config (`vzlvs config`) and the built-in example.
#include <algorithm>
#include <sstream>

#include "vzlvs/base/strings.hpp"
#include "vzlvs/config/config.hpp"
#include "vzlvs/config/validate.hpp"

namespace vzlvs {
namespace {

const char* restart_name(RestartPolicy r) { return r == RestartPolicy::never ? "never" : "auto"; }

const char* modules_name(ModulesPersist m) {
    switch (m) {
        case ModulesPersist::autodetect:
            return "auto";
        case ModulesPersist::modules_load_d:
            return "modules-load.d";
        case ModulesPersist::sysconfig:
            return "sysconfig";
        case ModulesPersist::none:
            return "none";
    }
    return "auto";
}

void optional_path(std::ostream& out, const char* key, const std::filesystem::path& p,
                   const char* when_unset) {
    if (p.empty()) {
        out << "# " << key << ": not set, " << when_unset << "\n";
    } else {
        out << key << " = " << p.string() << "\n";
    }
}

}  // namespace

const char* to_string(CheckType c) {
    switch (c) {
        case CheckType::tcp:
            return "tcp";
        case CheckType::http:
            return "http";
        case CheckType::none:
            return "none";
    }
    return "tcp";
}

std::string render_config(const Config& cfg) {
    std::ostringstream out;
    out << "# vzlvs effective configuration: every default is filled in.\n";
    if (!cfg.source.empty())
        out << "# Read from " << printable(cfg.source.string(), std::string::npos) << ".\n";
    out << "# The director token is never shown; token_file names where it is read from.\n";

    const NodeConfig& n = cfg.node;
    out << "\n[node]\n"
        << "name = " << n.name << "\n"
        << "vzctl = " << n.vzctl.string() << "\n"
        << "vz_conf_dir = " << n.vz_conf_dir.string() << "\n"
        << "venet = " << n.venet << "\n"
        << "state_dir = " << n.state_dir.string() << "\n"
        << "restart = " << restart_name(n.restart) << "\n";
    if (n.uplinks.empty()) out << "# uplinks: empty, so every UP link but venet and loopback\n";
    out << "uplinks =" << (n.uplinks.empty() ? "" : " ") << join(n.uplinks, " ") << "\n"
        << "modules_persist = " << modules_name(n.modules_persist) << "\n"
        << "all_rp_filter = "
        << (n.all_rp_filter == AllRpFilter::refuse ? "refuse"
            : n.all_rp_filter == AllRpFilter::pin  ? "pin"
                                                   : "set")
        << "\n"
        << "openvz = "
        << (n.openvz == OpenvzRelease::v4   ? "4"
            : n.openvz == OpenvzRelease::v7 ? "7"
                                            : "auto")
        << "\n"
        << "sysctl_dir = " << n.sysctl_dir.string() << "\n"
        << "modules_load_dir = " << n.modules_load_dir.string() << "\n"
        << "sysconfig_modules_dir = " << n.sysconfig_modules_dir.string() << "\n"
        << "runtime_root = " << n.runtime_root.string() << "\n"
        << "probe = " << (n.probe ? "yes" : "no") << "\n"
        << "probe_timeout = " << format_duration(n.probe_timeout) << "\n";
    optional_path(out, "metrics_file", n.metrics_file, "so watch writes no metrics");

    const DirectorConfig& d = cfg.director;
    out << "\n[director]\n";
    out << "api = " << d.api << "\n";
    if (d.api == "etcd") {
        out << "endpoints = " << join(d.endpoints, " ") << "\n"
            << "prefix = " << d.prefix << "\n"
            << "lease_ttl = " << d.lease_ttl.count() << "s\n";
        optional_path(out, "cert_file", d.cert_file, "so no client certificate is sent");
        optional_path(out, "key_file", d.key_file, "so the key is in cert_file, if any");
        if (d.user.empty())
            out << "# user: not set, so etcd is used without authentication\n";
        else
            out << "user = " << d.user << "\n";
        optional_path(out, "password_file", d.password_file, "so no password is sent");
    } else {
        if (d.url.empty()) {
            out << "# url: not set, so no director is configured and nothing is registered\n";
        } else {
            out << "url = " << d.url << "\n";
        }
        optional_path(out, "token_file", d.token_file, "so no token is sent");
    }
    optional_path(out, "ca_file", d.ca_file, "so the system CAs are trusted");
    out << "timeout = " << format_duration(d.timeout) << "\n"
        << "retries = " << d.retries << "\n"
        << "drain = " << format_duration(d.drain) << "\n";

    if (const DirectorHostConfig& h = cfg.director_host; h.present) {
        out << "\n[director_host]\n"
            << "name = " << h.name << "\n"
            << "apply = " << h.apply << "\n"
            << "keepalived_conf = " << h.keepalived_conf.string() << "\n"
            << "keepalived_pid_file = " << h.keepalived_pid_file.string() << "\n"
            << "settle = " << format_duration(h.settle) << "\n"
            << "min_reload_interval = " << format_duration(h.min_reload_interval) << "\n";
    }

    for (const auto& [name, s] : cfg.services) {
        out << "\n[service " << name << "]\n"
            << "vip = " << s.vip << "\n"
            << "port = " << s.port << "\n"
            << "protocol = " << (s.protocol == Protocol::tcp ? "tcp" : "udp") << "\n"
            << "scheduler = " << s.scheduler << "\n"
            << "check = " << to_string(s.check) << "\n"
            << "check_path = " << s.check_path << "\n"
            << "check_expect = " << s.check_expect << "\n"
            << "check_interval = "
            << format_duration(
                   std::chrono::duration_cast<std::chrono::milliseconds>(s.check_interval))
            << "\n";
        out << "probe_payload =" << (s.probe_payload.empty() ? "" : " ") << s.probe_payload << "\n";
    }

    std::vector<const ContainerConfig*> cts;
    for (const auto& kv : cfg.containers) cts.push_back(&kv.second);
    // Numeric order (the map's string order would put 1000 before 101).
    std::sort(cts.begin(), cts.end(), [](const ContainerConfig* a, const ContainerConfig* b) {
        return std::make_pair(a->ctid.size(), a->ctid) < std::make_pair(b->ctid.size(), b->ctid);
    });
    for (const ContainerConfig* ct : cts) {
        out << "\n[container " << ct->ctid << "]\n"
            << "services = " << join(ct->services, " ") << "\n"
            << "weight = " << ct->weight << "\n";
        if (ct->address.empty()) {
            out << "# address: not set, so the first venet IP that is not a VIP\n";
        } else {
            out << "address = " << ct->address << "\n";
        }
    }
    return out.str();
}

std::string example_config() {
    return R"(# vzlvs example: one OpenVZ node with two containers behind an LVS-TUN director.
# Every key is explained in docs/configuration.md. Addresses are documentation ranges.

[node]
# Ends up in backend IDs and URLs: letters, digits, . _ - only.
name = demo-node
vzctl = /usr/sbin/vzctl
# restart = never: a container that needs a restart to pick up changes is only reported.
restart = never

[director]
# A gorb-compatible director; the demo runs test-director here.
url = http://127.0.0.1:4672
api = gorb
# How long a leaving backend is held at weight 0 before it is deleted.
drain = 10s

[service web]
vip = 192.0.2.10
port = 80
protocol = tcp
scheduler = wrr
check = http
check_path = /
check_expect = 200
check_interval = 5s

[service dns]
vip = 192.0.2.53
port = 53
protocol = udp
; TCP and HTTP checks cannot probe UDP.
check = none

# One container per VIP on a node: the venet IP table is global.
[container 101]
services = web
weight = 10
; address = 198.51.100.101   ; optional, else its first venet IP that is not a VIP

[container 102]
services = dns
)";
}

}  // namespace vzlvs
