// Known sections and keys: each key has one setter that checks the value and stores it.
// The key tables double as the lists shown in "unknown key" messages.
#include <unistd.h>

#include <climits>
#include <functional>
#include <set>

#include "config/internal.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/config/ctid.hpp"
#include "vzlvs/config/validate.hpp"

namespace vzlvs::config_detail {
namespace {

using Setter = std::function<std::string(const std::string&)>;
struct Key {
    std::string name;
    Setter set;
};

std::vector<std::string> split_list(const std::string& v) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : v) {
        if (c == ' ' || c == '\t' || c == ',') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

std::string directory(const std::string& v, std::filesystem::path* out) {
    std::string why = validate::absolute_path(v);
    if (!why.empty()) return why;
    std::string d = v;
    // A trailing slash would make parent_path() return the directory itself.
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    *out = d;
    return "";
}

std::string file_path(const std::string& v, std::filesystem::path* out) {
    std::string why = validate::absolute_path(v);
    if (!why.empty()) return why;
    if (v.back() == '/') return "\"" + v + "\" ends with /, but a file is expected here";
    *out = v;
    return "";
}

std::string optional_file(const std::string& v, std::filesystem::path* out) {
    if (v.empty()) {
        out->clear();
        return "";
    }
    return file_path(v, out);
}

template <typename Int>
Setter integer_into(Int* out, long lo, long hi) {
    return [out, lo, hi](const std::string& v) {
        long n = 0;
        std::string why = validate::integer(v, lo, hi, &n);
        if (why.empty()) *out = static_cast<Int>(n);
        return why;
    };
}

Setter duration_into(std::chrono::milliseconds* out) {
    return [out](const std::string& v) { return validate::duration(v, out); };
}

template <typename Enum>
Setter enum_into(Enum* out, std::vector<std::pair<std::string, Enum>> words) {
    return [out, words](const std::string& v) {
        std::vector<std::string> names;
        for (const auto& w : words) {
            if (w.first == v) {
                *out = w.second;
                return std::string();
            }
            names.push_back(w.first);
        }
        return validate::one_of(v, names);
    };
}

// Runs the setter of every entry; returns the keys that were written (valid or not).
std::set<std::string> apply(const RawSection& s, const std::string& form,
                            const std::vector<Key>& keys, Problems& problems) {
    std::set<std::string> seen;
    std::vector<std::string> names;
    for (const auto& k : keys) names.push_back(k.name);
    for (const auto& e : s.entries) {
        auto it =
            std::find_if(keys.begin(), keys.end(), [&](const Key& k) { return k.name == e.key; });
        if (it == keys.end()) {
            problems.unknown(e.line, s.label(), e.key,
                             "unknown key in " + form + "; allowed: " + join(names) +
                                 validate::suggestion(e.key, names));
            continue;
        }
        seen.insert(e.key);
        std::string why = it->set(e.value);
        if (why.empty()) continue;
        if (e.value.find(" #") != std::string::npos || e.value.find("\t#") != std::string::npos) {
            why +=
                " (# starts a comment only at the beginning of a line; inline comments "
                "start with ; after a blank)";
        }
        problems.add(e.line, s.label(), e.key, why);
    }
    return seen;
}

void node_section(const RawSection* s, NodeConfig& n, Problems& problems) {
    std::set<std::string> seen;
    if (s) {
        std::vector<Key> keys = {
            {"name",
             [&](const std::string& v) {
                 std::string why = validate::name_token(v);
                 if (why.empty()) n.name = v;
                 return why;
             }},
            {"vzctl", [&](const std::string& v) { return file_path(v, &n.vzctl); }},
            {"vz_conf_dir", [&](const std::string& v) { return directory(v, &n.vz_conf_dir); }},
            {"venet",
             [&](const std::string& v) {
                 std::string why = validate::interface_name(v);
                 if (why.empty()) n.venet = v;
                 return why;
             }},
            {"state_dir", [&](const std::string& v) { return directory(v, &n.state_dir); }},
            {"restart", enum_into(&n.restart, {{"never", RestartPolicy::never},
                                               {"auto", RestartPolicy::automatic}})},
            {"uplinks",
             [&](const std::string& v) {
                 std::vector<std::string> names = split_list(v);
                 for (std::size_t i = 0; i < names.size(); ++i) {
                     std::string why = validate::interface_name(names[i]);
                     if (!why.empty()) return why;
                     if (std::find(names.begin(), names.begin() + static_cast<long>(i), names[i]) !=
                         names.begin() + static_cast<long>(i)) {
                         return "\"" + names[i] + "\" is listed twice; name each uplink once";
                     }
                 }
                 n.uplinks = names;
                 return std::string();
             }},
            {"modules_persist",
             enum_into(&n.modules_persist, {{"auto", ModulesPersist::autodetect},
                                            {"modules-load.d", ModulesPersist::modules_load_d},
                                            {"sysconfig", ModulesPersist::sysconfig},
                                            {"none", ModulesPersist::none}})},
            {"all_rp_filter", enum_into(&n.all_rp_filter, {{"refuse", AllRpFilter::refuse},
                                                           {"pin", AllRpFilter::pin},
                                                           {"set", AllRpFilter::set}})},
            {"openvz", enum_into(&n.openvz, {{"auto", OpenvzRelease::autodetect},
                                             {"4", OpenvzRelease::v4},
                                             {"7", OpenvzRelease::v7}})},
            {"sysctl_dir", [&](const std::string& v) { return directory(v, &n.sysctl_dir); }},
            {"modules_load_dir",
             [&](const std::string& v) { return directory(v, &n.modules_load_dir); }},
            {"sysconfig_modules_dir",
             [&](const std::string& v) { return directory(v, &n.sysconfig_modules_dir); }},
            {"runtime_root", [&](const std::string& v) { return directory(v, &n.runtime_root); }},
            {"probe", enum_into(&n.probe, {{"yes", true}, {"no", false}})},
            {"probe_timeout",
             [&](const std::string& v) {
                 std::string why = validate::duration(v, &n.probe_timeout);
                 if (why.empty() &&
                     (n.probe_timeout.count() < 100 || n.probe_timeout.count() > 60000))
                     why = "\"" + v + "\" is out of range; a probe waits 100ms to 60s, e.g. 2s";
                 return why;
             }},
            {"metrics_file",
             [&](const std::string& v) { return optional_file(v, &n.metrics_file); }},
        };
        seen = apply(*s, "[node]", keys, problems);
    }
    if (seen.count("name")) return;
    char host[HOST_NAME_MAX + 1] = {};
    if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    std::string why = validate::name_token(host);
    if (why.empty()) {
        n.name = host;
        return;
    }
    problems.add(
        s ? s->line : 0, "node", "name",
        "not set, and the hostname cannot stand in for it: " + why + "; set name = in [node]");
}

void director_section(const RawSection& s, DirectorConfig& d, Problems& problems) {
    std::vector<Key> keys = {
        {"url",
         [&](const std::string& v) {
             if (v.empty()) {
                 d.url.clear();
                 return std::string();
             }
             return validate::director_url(v, &d.url);
         }},
        {"api",
         [&](const std::string& v) {
             std::string why = validate::one_of(v, {"gorb", "etcd"});
             if (why.empty()) d.api = v;
             return why;
         }},
        {"token_file", [&](const std::string& v) { return optional_file(v, &d.token_file); }},
        {"ca_file", [&](const std::string& v) { return optional_file(v, &d.ca_file); }},
        {"timeout", duration_into(&d.timeout)},
        {"retries", integer_into(&d.retries, 0, 10)},
        {"drain", duration_into(&d.drain)},
        {"endpoints",
         [&](const std::string& v) {
             d.endpoints.clear();
             for (const auto& e : split_list(v)) {
                 std::string url;
                 std::string why = validate::director_url(e, &url);
                 if (!why.empty()) return why;
                 d.endpoints.push_back(url);
             }
             return std::string();
         }},
        {"prefix",
         [&](const std::string& v) {
             std::string why = validate::etcd_prefix(v);
             if (why.empty()) d.prefix = v;
             return why;
         }},
        {"lease_ttl",
         [&](const std::string& v) {
             std::chrono::milliseconds ttl{};
             std::string why = validate::duration(v, &ttl);
             if (!why.empty()) return why;
             if (ttl < std::chrono::seconds(2) || ttl > std::chrono::hours(1) ||
                 ttl.count() % 1000 != 0)
                 return std::string(
                     "must be whole seconds from 2s to 1h (etcd leases count "
                     "seconds; watch renews at a third of it)");
             d.lease_ttl = std::chrono::duration_cast<std::chrono::seconds>(ttl);
             return std::string();
         }},
        {"cert_file", [&](const std::string& v) { return optional_file(v, &d.cert_file); }},
        {"key_file", [&](const std::string& v) { return optional_file(v, &d.key_file); }},
        {"user",
         [&](const std::string& v) {
             std::string why = v.empty() ? "" : validate::name_token(v);
             if (why.empty()) d.user = v;
             return why;
         }},
        {"password_file", [&](const std::string& v) { return optional_file(v, &d.password_file); }},
    };
    std::set<std::string> seen = apply(s, "[director]", keys, problems);
    // Each dialect's keys belong to it: a key of the other one is a mistake, not a no-op.
    if (d.api == "etcd") {
        if (!d.url.empty())
            problems.add(s.line, s.label(), "url",
                         "api = etcd reads endpoints, not url: write endpoints = " + d.url);
        if (!d.token_file.empty())
            problems.add(s.line, s.label(), "token_file",
                         "api = etcd authenticates with user and password_file");
        if (seen.count("api") && d.endpoints.empty())
            problems.add(s.line, s.label(), "endpoints",
                         "api = etcd needs endpoints = http://HOST:2379 [...]");
    } else {
        for (const char* k :
             {"endpoints", "prefix", "lease_ttl", "cert_file", "key_file", "user", "password_file"})
            if (seen.count(k))
                problems.add(s.line, s.label(), k,
                             std::string("only api = etcd reads ") + k + " (api is " + d.api + ")");
    }
    if (!d.user.empty() && d.password_file.empty())
        problems.add(s.line, s.label(), "password_file",
                     "user = " + d.user + " needs password_file (a file only root can read)");
    if (!d.key_file.empty() && d.cert_file.empty())
        problems.add(s.line, s.label(), "cert_file", "key_file is set without cert_file");
}

void director_host_section(const RawSection& s, DirectorHostConfig& h, const std::string& node_name,
                           Problems& problems) {
    h.present = true;
    h.name = node_name;  // the hostname unless [node] or this section names it
    std::vector<Key> keys = {
        {"name",
         [&](const std::string& v) {
             std::string why = validate::name_token(v);
             if (why.empty()) h.name = v;
             return why;
         }},
        {"apply",
         [&](const std::string& v) {
             std::string why = validate::one_of(v, {"keepalived", "ipvs"});
             if (why.empty()) h.apply = v;
             return why;
         }},
        {"keepalived_conf", [&](const std::string& v) { return file_path(v, &h.keepalived_conf); }},
        {"keepalived_pid_file",
         [&](const std::string& v) { return file_path(v, &h.keepalived_pid_file); }},
        {"settle", duration_into(&h.settle)},
        {"min_reload_interval", duration_into(&h.min_reload_interval)},
    };
    apply(s, "[director_host]", keys, problems);
}

void service_section(const RawSection& s, Config& cfg, Problems& problems) {
    std::string bad_name = validate::name_token(s.arg);
    if (!bad_name.empty()) {
        problems.add(s.line, s.label(), "", "bad service name: " + bad_name);
        return;
    }
    ServiceConfig svc;
    svc.name = s.arg;
    std::chrono::milliseconds interval = svc.check_interval;
    std::vector<Key> keys = {
        {"vip",
         [&](const std::string& v) {
             std::string why = validate::unicast_ipv4(v);
             if (why.empty()) svc.vip = v;
             return why;
         }},
        {"port", integer_into(&svc.port, 1, 65535)},
        {"protocol", enum_into(&svc.protocol, {{"tcp", Protocol::tcp}, {"udp", Protocol::udp}})},
        {"scheduler",
         [&](const std::string& v) {
             std::string why = validate::one_of(
                 v, {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq"});
             if (why.empty()) svc.scheduler = v;
             return why;
         }},
        {"check", enum_into(&svc.check, {{"tcp", CheckType::tcp},
                                         {"http", CheckType::http},
                                         {"none", CheckType::none}})},
        {"check_path",
         [&](const std::string& v) {
             std::string why = validate::http_path(v);
             if (why.empty()) svc.check_path = v;
             return why;
         }},
        {"check_expect", integer_into(&svc.check_expect, 100, 599)},
        {"check_interval",
         [&](const std::string& v) {
             std::string why = validate::duration(v, &interval);
             if (!why.empty()) return why;
             if (interval.count() % 1000 != 0) {
                 return "\"" + v +
                        "\" is not a whole number of seconds; check_interval is at least 1s and "
                        "counted in seconds, e.g. 2s";
             }
             return std::string();
         }},
        {"probe_payload",
         [&](const std::string& v) {
             const auto bytes = unescape_bytes(v);
             if (!bytes)
                 return std::string(
                     "has a malformed escape; write the datagram as text with \\n \\r \\t "
                     "\\\\ or \\xNN (two hex digits), e.g. \\x00\\x01");
             if (bytes->size() > 1400)
                 return std::string(
                     "is longer than 1400 bytes, more than one tunnelled packet holds");
             svc.probe_payload = v;
             return std::string();
         }},
    };
    std::set<std::string> seen = apply(s, "[service NAME]", keys, problems);
    svc.check_interval = std::chrono::duration_cast<std::chrono::seconds>(interval);
    for (const char* required : {"vip", "port"}) {
        if (seen.count(required)) continue;
        problems.add(s.line, s.label(), required,
                     std::string("required key is missing; add ") +
                         (std::string(required) == "vip" ? "vip = <dotted IPv4>, e.g. 192.0.2.10"
                                                         : "port = <1-65535>, e.g. 80"));
    }
    if (svc.protocol == Protocol::udp) {
        // A TCP connect or HTTP request says nothing about a UDP service, so none is the default.
        if (!seen.count("check")) {
            svc.check = CheckType::none;
        } else if (svc.check != CheckType::none) {
            problems.add(s.line_of("check"), s.label(), "check",
                         std::string(svc.check == CheckType::tcp ? "tcp" : "http") +
                             " checks connect over TCP and cannot probe a udp service; use "
                             "check = none");
        }
    }
    if (svc.protocol == Protocol::tcp && !svc.probe_payload.empty())
        problems.add(
            s.line_of("probe_payload"), s.label(), "probe_payload",
            "is for udp services: a tcp probe sends a SYN and needs no payload; remove it");
    cfg.services[svc.name] = svc;
}

void container_section(const RawSection& s, const RawConfig& raw, Config& cfg, Problems& problems) {
    std::string bad_id = check_ctid(s.arg);  // a CT name resolves on the node (ct/vzctl.hpp)
    if (!bad_id.empty()) {
        problems.add(s.line, s.label(), "", "bad container ID: " + bad_id);
        return;
    }
    ContainerConfig ct;
    ct.ctid = s.arg;
    std::vector<Key> keys = {
        {"services",
         [&](const std::string& v) {
             std::vector<std::string> names = split_list(v);
             if (names.empty()) {
                 return std::string(
                     "is empty; list one or more [service NAME] names, separated by spaces or "
                     "commas");
             }
             std::vector<std::string> why;
             for (std::size_t i = 0; i < names.size(); ++i) {
                 const std::string& name = names[i];
                 if (std::find(names.begin(), names.begin() + static_cast<long>(i), name) !=
                     names.begin() + static_cast<long>(i)) {
                     why.push_back("service `" + name + "` is listed twice");
                 } else if (!cfg.services.count(name) && !raw.find("service", name)) {
                     // Listed only for the message: building it per container made reading
                     // a file of many sections quadratic.
                     std::vector<std::string> defined;
                     for (const auto& kv : cfg.services) defined.push_back(kv.first);
                     why.push_back("no [service " + name + "] is defined (defined: " +
                                   (defined.empty() ? "none" : join(defined)) + ")" +
                                   validate::suggestion(name, defined));
                 }
             }
             ct.services = names;
             return join(why, "; ");
         }},
        {"weight", integer_into(&ct.weight, 1, 65535)},
        {"address",
         [&](const std::string& v) {
             if (v.empty()) {
                 ct.address.clear();
                 return std::string();
             }
             std::string why = validate::unicast_ipv4(v);
             if (why.empty()) ct.address = v;
             return why;
         }},
    };
    std::set<std::string> seen = apply(s, "[container CTID]", keys, problems);
    if (!seen.count("services")) {
        problems.add(s.line, s.label(), "services",
                     "required key is missing; add services = NAME [NAME...] naming the "
                     "[service NAME] sections this container serves");
    }
    cfg.containers[ct.ctid] = ct;
}

}  // namespace

void apply_sections(const RawConfig& raw, Config& cfg, Problems& problems) {
    node_section(raw.find("node", ""), cfg.node, problems);
    if (const RawSection* d = raw.find("director", ""))
        director_section(*d, cfg.director, problems);
    if (const RawSection* h = raw.find("director_host", ""))
        director_host_section(*h, cfg.director_host, cfg.node.name, problems);
    for (const auto& s : raw.sections) {
        if (s.kind == "service") service_section(s, cfg, problems);
    }
    // After all services, so a container may come before the services it names.
    for (const auto& s : raw.sections) {
        if (s.kind == "container") container_section(s, raw, cfg, problems);
    }
}

}  // namespace vzlvs::config_detail
