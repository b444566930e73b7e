#include "gorb_model.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <set>

namespace testdirector {

using nlohmann::json;

namespace {

// gorb's error texts (core/context.go, core/options.go, pulse/options.go).
const char* kExists = "specified object already exists";
const char* kNotFound = "unable to locate specified object";
const char* kEndpoint = "endpoint information is missing";

Reply error(int status, const std::string& text) { return {status, json{{"error", text}}}; }

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// 4 or 6; 0 when not an IP literal (gorb would resolve a name; the test director does not).
int family(const std::string& host) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, host.c_str(), buf) == 1) return 4;
    if (inet_pton(AF_INET6, host.c_str(), buf) == 1) return 6;
    return 0;
}

bool parse_body(const std::string& body, json& out, Reply& err) {
    out = json::parse(body, nullptr, false);
    if (out.is_discarded() || !out.is_object()) {
        err = error(400, "invalid JSON body");
        return false;
    }
    return true;
}

// Go's encoding/json rejects a value of the wrong type for a typed field.
template <typename T>
bool get(const json& obj, const char* key, T& out, Reply& err) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return true;
    try {
        out = it->get<T>();
        return true;
    } catch (const json::exception&) {
        err = error(400, std::string("json: cannot unmarshal field ") + key);
        return false;
    }
}

const std::set<std::string> kSchedulers = {"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh",
                                           "sh", "sed", "nq", "fo",  "ovf",  "mh"};

}  // namespace

bool parse_interval(const std::string& s, long long& seconds) {
    std::size_t i = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == 0 || i > 12) return false;
    const long long n = std::stoll(s.substr(0, i));
    const std::string unit = s.substr(i);
    if (unit == "s" || unit == "sec" || unit == "seconds")
        seconds = n;
    else if (unit == "m" || unit == "min" || unit == "minutes")
        seconds = n * 60;
    else if (unit == "h" || unit == "hours")
        seconds = n * 3600;
    else
        return false;
    return true;
}

void GorbModel::apply(const IpvsChange& c) {
    if (on_change) on_change(c);
}

IpvsChange GorbModel::dest_change(IpvsChange::Kind kind, const Backend& b) const {
    const auto& svc = services_.at(b.service).options;
    IpvsChange c;
    c.kind = kind;
    c.protocol = svc["protocol"];
    c.vip = svc["host"];
    c.vport = svc["port"];
    c.rip = b.options["host"];
    c.rport = b.options["port"];
    c.method = b.options["method"];
    c.weight = b.options["weight"];
    return c;
}

Reply GorbModel::list_services() {
    std::lock_guard<std::mutex> lock(mu_);
    json ids = json::array();
    for (const auto& [id, svc] : services_) ids.push_back(id);
    return {200, ids};
}

Reply GorbModel::get_service(const std::string& vs) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = services_.find(vs);
    if (it == services_.end()) return error(404, kNotFound);
    double sum = 0;
    for (const auto& rs : it->second.backends) sum += backends_.at(rs).health;
    const auto n = it->second.backends.size();
    json backends = n ? json(it->second.backends) : json(nullptr);
    return {200, json{{"options", it->second.options},
                      {"health", n ? sum / static_cast<double>(n) : 1.0},
                      {"backends", backends}}};
}

Reply GorbModel::put_service(const std::string& vs, const std::string& body) {
    json in;
    Reply err;
    if (!parse_body(body, in, err)) return err;
    std::string host, protocol, method;
    long long port = 0;
    bool persistent = false;
    if (!get(in, "host", host, err) || !get(in, "port", port, err) ||
        !get(in, "protocol", protocol, err) || !get(in, "method", method, err) ||
        !get(in, "persistent", persistent, err))
        return err;
    if (port < 0 || port > 65535) return error(400, "json: port out of range");
    if (port == 0 || host.empty()) return error(400, kEndpoint);
    if (family(host) == 0) return error(400, "lookup " + host + ": no such host");
    protocol = lower(protocol.empty() ? "tcp" : protocol);
    if (protocol != "tcp" && protocol != "udp") return error(400, "specified protocol is unknown");
    if (method.empty()) method = "wrr";

    std::lock_guard<std::mutex> lock(mu_);
    if (services_.count(vs)) return error(409, kExists);
    if (!kSchedulers.count(method))
        return error(500, "error while calling into IPVS: unknown scheduler " + method);
    Service svc;
    svc.options = {{"host", host},
                   {"port", port},
                   {"protocol", protocol},
                   {"method", method},
                   {"persistent", persistent}};
    IpvsChange c;
    c.kind = IpvsChange::add_service;
    c.protocol = protocol;
    c.vip = host;
    c.vport = static_cast<int>(port);
    c.scheduler = method;
    try {
        apply(c);
    } catch (const std::exception& e) {
        return error(500, std::string("error while calling into IPVS: ") + e.what());
    }
    services_[vs] = std::move(svc);
    return {200, nullptr};
}

Reply GorbModel::delete_service(const std::string& vs) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = services_.find(vs);
    if (it == services_.end()) return error(404, kNotFound);
    const auto& o = it->second.options;
    try {
        IpvsChange c;
        c.kind = IpvsChange::del_service;
        c.protocol = o["protocol"];
        c.vip = o["host"];
        c.vport = o["port"];
        apply(c);
    } catch (const std::exception& e) {
        return error(500, std::string("error while calling into IPVS: ") + e.what());
    }
    for (const auto& rs : it->second.backends) backends_.erase(rs);
    services_.erase(it);
    return {200, nullptr};
}

Reply GorbModel::get_backend(const std::string&, const std::string& rs) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = backends_.find(rs);  // gorb ignores vsID here
    if (it == backends_.end()) return error(404, kNotFound);
    const auto& b = it->second;
    const auto uptime =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - b.since)
            .count();
    return {200,
            json{{"options", b.options},
                 {"metrics", {{"status", b.status}, {"health", b.health}, {"uptime", uptime}}}}};
}

Reply GorbModel::put_backend(const std::string& vs, const std::string& rs,
                             const std::string& body) {
    json in;
    Reply err;
    if (!parse_body(body, in, err)) return err;
    std::string host, method;
    long long port = 0, weight = 0;
    json pulse = json::object();
    if (!get(in, "host", host, err) || !get(in, "port", port, err) ||
        !get(in, "weight", weight, err) || !get(in, "method", method, err))
        return err;
    if (in.contains("pulse") && !in["pulse"].is_null()) {
        if (!in["pulse"].is_object()) return error(400, "json: cannot unmarshal field pulse");
        pulse = in["pulse"];
    }
    if (port < 0 || port > 65535) return error(400, "json: port out of range");
    if (host.empty() || port == 0) return error(400, kEndpoint);
    if (family(host) == 0) return error(400, "lookup " + host + ": no such host");
    if (weight <= 0) weight = 100;
    method = lower(method.empty() ? "nat" : method);
    if (method != "nat" && method != "tunnel" && method != "ipip" && method != "dr")
        return error(400, "specified forwarding method is unknown");

    std::string ptype, pinterval;
    if (!get(pulse, "type", ptype, err) || !get(pulse, "interval", pinterval, err)) return err;
    if (ptype.empty()) ptype = "tcp";
    if (pinterval.empty()) pinterval = "1m";
    ptype = lower(ptype);
    if (ptype != "tcp" && ptype != "http" && ptype != "none")
        return error(400, "specified pulse type is unknown");
    long long secs = 0;
    if (!parse_interval(pinterval, secs))
        return error(400, "unable to parse interval " + pinterval);
    if (secs <= 0) return error(400, "pulse interval must be positive");
    json popts = {{"type", ptype}, {"interval", pinterval}};
    if (pulse.contains("args") && pulse["args"].is_object()) popts["args"] = pulse["args"];

    std::lock_guard<std::mutex> lock(mu_);
    const auto svc = services_.find(vs);
    if (svc == services_.end()) return error(404, kNotFound);
    if (backends_.count(rs)) return error(409, kExists);
    if (family(host) != family(svc->second.options["host"]))
        return error(400, "incompatible address families");
    Backend b;
    b.service = vs;
    b.options = {
        {"host", host}, {"port", port}, {"weight", weight}, {"method", method}, {"pulse", popts}};
    try {
        apply(dest_change(IpvsChange::add_dest, b));
    } catch (const std::exception& e) {
        return error(500, std::string("error while calling into IPVS: ") + e.what());
    }
    backends_[rs] = std::move(b);
    svc->second.backends.push_back(rs);
    return {200, nullptr};
}

Reply GorbModel::patch_backend(const std::string&, const std::string& rs, const std::string& body) {
    json in;
    Reply err;
    if (!parse_body(body, in, err)) return err;
    long long weight = 0;
    if (!get(in, "weight", weight, err)) return err;  // the only field gorb reads here
    if (weight < 0) return error(400, "weight must not be negative");
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = backends_.find(rs);
    if (it == backends_.end()) return error(404, kNotFound);
    Backend next = it->second;
    next.options["weight"] = weight;
    try {
        apply(dest_change(IpvsChange::edit_dest, next));
    } catch (const std::exception& e) {
        return error(500, std::string("error while calling into IPVS: ") + e.what());
    }
    it->second = std::move(next);
    return {200, nullptr};
}

Reply GorbModel::delete_backend(const std::string&, const std::string& rs) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = backends_.find(rs);
    if (it == backends_.end()) return error(404, kNotFound);
    try {
        apply(dest_change(IpvsChange::del_dest, it->second));
    } catch (const std::exception& e) {
        return error(500, std::string("error while calling into IPVS: ") + e.what());
    }
    auto& list = services_.at(it->second.service).backends;
    list.erase(std::remove(list.begin(), list.end(), rs), list.end());
    backends_.erase(it);
    return {200, nullptr};
}

Reply GorbModel::pulse(const std::string& rs, int status, double health) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = backends_.find(rs);
    if (it == backends_.end()) return error(404, kNotFound);
    auto& b = it->second;
    b.status = status;
    b.health = health;
    b.since = std::chrono::steady_clock::now();
    const auto stashed = stash_.find(rs);
    if (status == 0) {
        if (stashed == stash_.end()) return {200, nullptr};
        const auto weight = static_cast<long long>(
            static_cast<int32_t>(static_cast<double>(stashed->second) * health));
        b.options["weight"] = weight;
        if (weight == stashed->second) stash_.erase(stashed);  // completely recovered
    } else if (stashed == stash_.end()) {
        stash_[rs] = b.options["weight"].get<long long>();
        b.options["weight"] = 0;
    }
    return {200, nullptr};
}

json GorbModel::dump() const {
    std::lock_guard<std::mutex> lock(mu_);
    json out = {{"services", json::object()}, {"backends", json::object()}};
    for (const auto& [id, s] : services_)
        out["services"][id] = {{"options", s.options}, {"backends", s.backends}};
    for (const auto& [id, b] : backends_)
        out["backends"][id] = {{"service", b.service}, {"options", b.options}};
    return out;
}

void GorbModel::load(const json& state) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, s] : state.at("services").items())
        services_[id] = {s.at("options"), s.at("backends").get<std::vector<std::string>>()};
    for (const auto& [id, b] : state.at("backends").items()) {
        Backend x;
        x.service = b.at("service");
        x.options = b.at("options");
        backends_[id] = std::move(x);
    }
}

}  // namespace testdirector
