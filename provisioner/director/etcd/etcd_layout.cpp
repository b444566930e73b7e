#include "vzlvs/director/etcd_layout.hpp"

#include <nlohmann/json.hpp>

#include "vzlvs/base/addr.hpp"
#include "vzlvs/base/error.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs {

using nlohmann::json;

namespace {

// A value larger than this is not a registration: refused before it is parsed.
constexpr std::size_t kMaxValue = 4096;

json object_of(const std::string& key, const std::string& value) {
    if (value.size() > kMaxValue)
        throw Error("etcd " + key + ": value of " + std::to_string(value.size()) +
                    " bytes, more than " + std::to_string(kMaxValue));
    json j = json::parse(value, nullptr, false);
    if (!j.is_object()) throw Error("etcd " + key + ": not a JSON object");
    return j;
}

std::string text(const std::string& key, const json& j, const char* name, bool required = true,
                 const std::string& fallback = {}) {
    if (!j.contains(name)) {
        if (required) throw Error("etcd " + key + ": no \"" + name + "\"");
        return fallback;
    }
    if (!j.at(name).is_string()) throw Error("etcd " + key + ": \"" + name + "\" is not a string");
    std::string s = j.at(name).get<std::string>();
    if (s.size() > 256) throw Error("etcd " + key + ": \"" + name + "\" is too long");
    return s;
}

long integer(const std::string& key, const json& j, const char* name, long lo, long hi,
             bool required = true, long fallback = 0) {
    if (!j.contains(name)) {
        if (required) throw Error("etcd " + key + ": no \"" + name + "\"");
        return fallback;
    }
    const json& v = j.at(name);
    if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
        throw Error("etcd " + key + ": \"" + name + "\" is not an integer in " +
                    std::to_string(lo) + ".." + std::to_string(hi));
    return static_cast<long>(v.get<long long>());
}

std::string one_of(const std::string& key, const std::string& name, const std::string& v,
                   std::initializer_list<const char*> allowed) {
    for (const char* a : allowed)
        if (v == a) return v;
    throw Error("etcd " + key + ": \"" + name + "\" is \"" + v + "\"");
}

std::string ipv4(const std::string& key, const char* name, const std::string& v) {
    if (!parse_ipv4(v)) throw Error("etcd " + key + ": \"" + name + "\" is not an IPv4 address");
    return v;
}

}  // namespace

bool operator==(const StoredService& a, const StoredService& b) {
    return a.vip == b.vip && a.port == b.port && a.protocol == b.protocol &&
           a.scheduler == b.scheduler && a.method == b.method;
}

bool operator==(const StoredCheck& a, const StoredCheck& b) {
    return a.type == b.type && a.path == b.path && a.expect == b.expect &&
           a.interval_s == b.interval_s;
}

bool StoredBackend::same_as(const StoredBackend& o) const {
    return host == o.host && port == o.port && weight == o.weight && method == o.method &&
           node == o.node && ct == o.ct && state == o.state && check == o.check;
}

EtcdKeys::Parsed EtcdKeys::parse(const std::string& key) const {
    Parsed p;
    if (key.compare(0, root().size(), root()) != 0) return p;
    std::vector<std::string> parts;
    std::string cur;
    for (char c : key.substr(root().size())) {
        if (c == '/') {
            parts.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    parts.push_back(cur);
    for (std::size_t i = 1; i < parts.size(); ++i)
        if (!is_valid_director_id(parts[i])) return p;
    if (parts[0] == "services" && parts.size() == 2) {
        p.kind = Parsed::Kind::service;
        p.service = parts[1];
    } else if (parts[0] == "backends" && parts.size() == 3) {
        p.kind = Parsed::Kind::backend;
        p.service = parts[1];
        p.backend = parts[2];
    } else if (parts[0] == "directors" && parts.size() == 2) {
        p.kind = Parsed::Kind::director;
        p.director = parts[1];
    } else if (parts[0] == "applied" && parts.size() == 4) {
        p.kind = Parsed::Kind::applied;
        p.director = parts[1];
        p.service = parts[2];
        p.backend = parts[3];
    }
    return p;
}

std::string to_json(const StoredService& s) {
    return json{{"vip", s.vip},
                {"port", s.port},
                {"protocol", s.protocol},
                {"scheduler", s.scheduler},
                {"method", s.method}}
        .dump();
}

std::string to_json(const StoredBackend& b) {
    json j = {{"host", b.host},
              {"port", b.port},
              {"weight", b.weight},
              {"method", b.method},
              {"node", b.node},
              {"ct", b.ct},
              {"state", b.state},
              {"check",
               {{"type", b.check.type},
                {"path", b.check.path},
                {"expect", b.check.expect},
                {"interval", b.check.interval_s}}}};
    j["probe"] = b.probe_ok ? json{{"ok", *b.probe_ok}, {"at", b.probe_at}} : json(nullptr);
    return j.dump();
}

std::string to_json(const StoredDirector& d) {
    return json{{"name", d.name}, {"apply", d.apply}}.dump();
}

std::string applied_json(int weight) { return json{{"weight", weight}}.dump(); }

StoredService parse_service(const std::string& key, const std::string& value) {
    const json j = object_of(key, value);
    StoredService s;
    s.vip = ipv4(key, "vip", text(key, j, "vip"));
    s.port = static_cast<uint16_t>(integer(key, j, "port", 1, 65535));
    s.protocol = one_of(key, "protocol", text(key, j, "protocol"), {"tcp", "udp"});
    s.scheduler = text(key, j, "scheduler");
    if (s.scheduler.empty() || s.scheduler.size() > 16 ||
        s.scheduler.find_first_not_of("abcdefghijklmnopqrstuvwxyz") != std::string::npos)
        throw Error("etcd " + key + ": \"scheduler\" is not an IPVS scheduler name");
    s.method = one_of(key, "method", text(key, j, "method", false, "tunnel"), {"tunnel", "dr"});
    return s;
}

StoredBackend parse_backend(const std::string& key, const std::string& value) {
    const json j = object_of(key, value);
    StoredBackend b;
    b.host = ipv4(key, "host", text(key, j, "host"));
    b.port = static_cast<uint16_t>(integer(key, j, "port", 1, 65535));
    b.weight = static_cast<int>(integer(key, j, "weight", 0, 65535));
    b.method = one_of(key, "method", text(key, j, "method", false, "tunnel"), {"tunnel", "dr"});
    b.node = text(key, j, "node", false);
    b.ct = text(key, j, "ct", false);
    b.state = one_of(key, "state", text(key, j, "state", false, "active"), {"active", "draining"});
    if (j.contains("check") && j.at("check").is_object()) {
        const json& c = j.at("check");
        b.check.type =
            one_of(key, "check.type", text(key, c, "type", false, "tcp"), {"tcp", "http", "none"});
        b.check.path = text(key, c, "path", false, "/");
        if (b.check.path.empty() || b.check.path[0] != '/' ||
            b.check.path.find_first_of(" \t\r\n\"\\{}#!") != std::string::npos)
            throw Error("etcd " + key + ": \"check.path\" is not a plain URL path");
        b.check.expect = static_cast<int>(integer(key, c, "expect", 100, 599, false, 200));
        b.check.interval_s = static_cast<int>(integer(key, c, "interval", 1, 3600, false, 5));
    }
    if (j.contains("probe") && j.at("probe").is_object()) {
        const json& p = j.at("probe");
        if (p.contains("ok") && p.at("ok").is_boolean()) b.probe_ok = p.at("ok").get<bool>();
        if (p.contains("at") && p.at("at").is_number_integer()) b.probe_at = p.at("at");
    }
    return b;
}

StoredDirector parse_director(const std::string& key, const std::string& value) {
    const json j = object_of(key, value);
    return {text(key, j, "name", false), text(key, j, "apply", false)};
}

int parse_applied(const std::string& key, const std::string& value) {
    return static_cast<int>(integer(key, object_of(key, value), "weight", 0, 65535));
}

}  // namespace vzlvs
