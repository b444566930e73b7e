// The validated configuration (INI, see docs/configuration.md). Everything here has
// passed validation: code that receives a Config never re-checks syntax.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

enum class RestartPolicy { never, automatic };  // `restart = never|auto`
enum class Protocol { tcp, udp };
enum class CheckType { tcp, http, none };
const char* to_string(CheckType c);  // the config word: "tcp", "http", "none"
enum class ModulesPersist { autodetect, modules_load_d, sysconfig, none };
// What bootstrap does when conf.all.rp_filter != 0 (the kernel uses max(all, dev)): refuse;
// pin each interface to its effective value, then lower all (the default); or just lower all.
enum class AllRpFilter { refuse, pin, set };
enum class OpenvzRelease { autodetect, v4, v7 };  // `openvz = auto|4|7`

struct NodeConfig {
    std::string name;  // default: hostname
    std::filesystem::path vzctl = "/usr/sbin/vzctl";
    std::filesystem::path vz_conf_dir = "/etc/vz/conf";
    std::string venet = "venet0";
    std::filesystem::path state_dir = "/var/lib/vzlvs";
    RestartPolicy restart = RestartPolicy::never;
    std::vector<std::string> uplinks;  // empty: every UP non-venet, non-loopback link
    ModulesPersist modules_persist = ModulesPersist::autodetect;
    AllRpFilter all_rp_filter = AllRpFilter::pin;
    OpenvzRelease openvz = OpenvzRelease::autodetect;
    std::filesystem::path sysctl_dir = "/etc/sysctl.d";
    std::filesystem::path modules_load_dir = "/etc/modules-load.d";
    std::filesystem::path sysconfig_modules_dir = "/etc/sysconfig/modules";
    // Where the kernel's and vzctl's run-time records of CTs are (ct/run_state.hpp): /proc/vz,
    // /sys/fs/cgroup/ve and /var/run/ve under it. "/" on a node; a test node's directory.
    std::filesystem::path runtime_root = "/";
    // Before registering a backend, reach its service through the tunnel as the director
    // would (net/tunnel_probe.hpp); a CT that does not answer is not registered.
    bool probe = false;
    std::chrono::milliseconds probe_timeout{std::chrono::seconds(2)};
    // Where watch writes its metrics after each pass (node_exporter's textfile collector
    // reads the directory); empty: none (docs/metrics.md).
    std::filesystem::path metrics_file;
};

struct DirectorConfig {
    std::string url;  // api = gorb; empty: no director configured
    std::string api = "gorb";
    std::filesystem::path token_file;  // gorb; empty: no token
    std::filesystem::path ca_file;     // empty: system CAs
    std::chrono::milliseconds timeout{std::chrono::seconds(5)};
    int retries = 3;
    std::chrono::milliseconds drain{std::chrono::seconds(10)};  // weight 0 → DELETE
    // api = etcd (docs/director-api.md): the members tried in turn, where the layout lives,
    // how long a node's registrations outlive its last renewal, TLS client identity, auth.
    std::vector<std::string> endpoints;
    std::string prefix = "/vzlvs";
    std::chrono::seconds lease_ttl{10};
    std::filesystem::path cert_file, key_file;
    std::string user;
    std::filesystem::path password_file;

    bool configured() const { return api == "etcd" ? !endpoints.empty() : !url.empty(); }
};

// `vzlvs director` on an LVS director host: converge it from the etcd layout.
struct DirectorHostConfig {
    bool present = false;  // a [director_host] section is there
    std::string name;      // default: the hostname; its applied entries are under it
    std::string apply = "keepalived";
    std::filesystem::path keepalived_conf = "/etc/keepalived/conf.d/vzlvs.conf";
    std::filesystem::path keepalived_pid_file = "/run/keepalived.pid";
    // A burst of store changes becomes one render: wait this long after the last change...
    std::chrono::milliseconds settle{500};
    // ...and never reload keepalived more often than this.
    std::chrono::milliseconds min_reload_interval{std::chrono::seconds(2)};
};

struct ServiceConfig {
    std::string name;
    std::string vip;  // dotted IPv4
    uint16_t port = 0;
    Protocol protocol = Protocol::tcp;
    std::string scheduler = "wrr";
    CheckType check = CheckType::tcp;
    std::string check_path = "/";
    int check_expect = 200;
    std::chrono::seconds check_interval{5};
    std::string
        probe_payload;  // UDP probe's datagram, as written (base/strings.hpp unescape_bytes)
};

struct ContainerConfig {
    std::string ctid;                   // OpenVZ numeric ID, as written
    std::vector<std::string> services;  // names of [service] sections
    int weight = 1;
    std::string address;  // empty: first venet IP that is not a VIP
};

struct Config {
    std::filesystem::path source;  // the file it was read from
    NodeConfig node;
    DirectorConfig director;
    DirectorHostConfig director_host;
    std::map<std::string, ServiceConfig> services;      // by name
    std::map<std::string, ContainerConfig> containers;  // by CTID

    const ContainerConfig* container(const std::string& ctid) const;
    // VIPs a container must carry, one per distinct VIP of its services, in config order.
    std::vector<std::string> vips_of(const ContainerConfig& ct) const;
    // Every VIP of every container, each once, in config order.
    std::vector<std::string> all_vips() const;
    // ip is one of all_vips(). A run asks this per CT and address: the set is made at the
    // first call and kept (a Config is not changed once a run has it).
    bool is_vip(const std::string& ip) const;
    // The global vz.conf beside vz_conf_dir (/etc/vz/conf → /etc/vz/vz.conf).
    std::filesystem::path global_vz_conf() const;

  private:
    mutable std::shared_ptr<const std::set<std::string>> vip_set_;
};

// Same settings. Config::source (where it was read from) is provenance and not compared, so a
// config equals its own render_config() output read back.
bool operator==(const NodeConfig& a, const NodeConfig& b);
bool operator==(const DirectorConfig& a, const DirectorConfig& b);
bool operator==(const ServiceConfig& a, const ServiceConfig& b);
bool operator==(const ContainerConfig& a, const ContainerConfig& b);
bool operator==(const Config& a, const Config& b);
inline bool operator!=(const NodeConfig& a, const NodeConfig& b) { return !(a == b); }
inline bool operator!=(const DirectorConfig& a, const DirectorConfig& b) { return !(a == b); }
bool operator==(const DirectorHostConfig& a, const DirectorHostConfig& b);
inline bool operator!=(const ServiceConfig& a, const ServiceConfig& b) { return !(a == b); }
inline bool operator!=(const ContainerConfig& a, const ContainerConfig& b) { return !(a == b); }
inline bool operator!=(const Config& a, const Config& b) { return !(a == b); }

// One problem found in a config file: where it is and what is allowed instead.
struct ConfigProblem {
    std::string file;
    int line = 0;         // 0: not tied to a line (e.g. a missing required key)
    std::string section;  // e.g. "service web"
    std::string key;
    std::string message;
    std::string str() const;  // "FILE:LINE: [section] key: message"
};

// Every problem in the file, not just the first: the user fixes them in one go.
class ConfigError : public UsageError {
  public:
    explicit ConfigError(std::vector<ConfigProblem> problems);
    const std::vector<ConfigProblem>& problems() const { return problems_; }

  private:
    std::vector<ConfigProblem> problems_;
};

// What a key or section this version does not know is. `config`, `check` and the commands
// that change the node refuse it (a typo must not pass). The hooks and watch keep a node
// running under a config written for a newer vzlvs, or with a typo pushed fleet-wide: they
// warn, skip it and go on (docs/configuration.md, "Unknown keys").
enum class UnknownKeys { refuse, warn };

// Parses and validates the whole file; throws ConfigError listing every problem. Under
// UnknownKeys::warn, the unknown keys and sections go to *warnings instead.
Config load_config(const std::filesystem::path& path, UnknownKeys unknown = UnknownKeys::refuse,
                   std::vector<ConfigProblem>* warnings = nullptr);
Config parse_config(const std::string& text, const std::string& source_name,
                    UnknownKeys unknown = UnknownKeys::refuse,
                    std::vector<ConfigProblem>* warnings = nullptr);

// "<node>-<ctid>-<service>": how a backend is named at the director. One home for the form;
// the director layer checks the result is a valid ID (director/director.hpp backend_id).
// Unique within a node's config (the cross-checks refuse two pairs that spell one ID); across
// nodes, only when no node's name and CT IDs can spell another's (docs/director-api.md).
std::string backend_id_text(const std::string& node, const std::string& ctid,
                            const std::string& service);

// The effective configuration, every default filled in, as INI that load_config accepts.
std::string render_config(const Config& cfg);

// The built-in example (a two-container stand-in node) used by the demo and `config --example`.
std::string example_config();

}  // namespace vzlvs
