// etcd v3 over its JSON gateway: every request is a POST of JSON, keys and values are base64,
// 64-bit numbers are strings, and an error is {"code": gRPC code, "message": ...} with the HTTP
// status the gateway maps the code to (5 → 404, 16 → 401, 14 → 503).
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "director/http/http_client.hpp"
#include "vzlvs/director/etcd.hpp"

namespace vzlvs {

using nlohmann::json;

namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// etcd's default --max-txn-ops: a txn with more operations is refused.
constexpr std::size_t kMaxTxnOps = 128;

int64_t number(const json& j, const char* name) {
    if (!j.is_object() || !j.contains(name)) return 0;  // proto3 leaves zero values out
    const json& v = j.at(name);
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        std::size_t used = 0;
        try {
            const long long n = std::stoll(s, &used);
            if (used == s.size()) return n;
        } catch (const std::exception&) {
        }
    }
    throw Error(std::string("etcd: field ") + name + " is not a number");
}

EtcdKv kv_of(const json& j) {
    EtcdKv kv;
    kv.key = base64_decode(j.value("key", ""));
    kv.value = base64_decode(j.value("value", ""));
    kv.create_revision = number(j, "create_revision");
    kv.mod_revision = number(j, "mod_revision");
    kv.lease = number(j, "lease");
    return kv;
}

json range_request(const std::string& key, const std::string& end = {}, bool keys_only = false) {
    json r = {{"key", base64_encode(key)}};
    if (!end.empty()) r["range_end"] = base64_encode(end);
    if (keys_only) r["keys_only"] = true;
    return r;
}

EtcdClient::Range range_of(const json& reply) {
    EtcdClient::Range r;
    r.revision = number(reply.value("header", json::object()), "revision");
    if (reply.contains("kvs"))
        for (const auto& kv : reply.at("kvs")) r.kvs.push_back(kv_of(kv));
    return r;
}

DirectorError::Reason reason_of(long status) {
    return status == 404 ? DirectorError::Reason::not_found : DirectorError::Reason::refused;
}

}  // namespace

std::string base64_encode(const std::string& in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8) |
                           static_cast<unsigned char>(in[i + 2]);
        out += {kB64[n >> 18], kB64[(n >> 12) & 63], kB64[(n >> 6) & 63], kB64[n & 63]};
    }
    if (i + 1 == in.size()) {
        const unsigned n = static_cast<unsigned char>(in[i]) << 16;
        out += {kB64[n >> 18], kB64[(n >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        const unsigned n = (static_cast<unsigned char>(in[i]) << 16) |
                           (static_cast<unsigned char>(in[i + 1]) << 8);
        out += {kB64[n >> 18], kB64[(n >> 12) & 63], kB64[(n >> 6) & 63], '='};
    }
    return out;
}

std::string base64_decode(const std::string& in) {
    if (in.size() % 4 != 0) throw Error("etcd: a key or value is not base64 (length)");
    std::string out;
    out.reserve(in.size() / 4 * 3);
    for (std::size_t i = 0; i < in.size(); i += 4) {
        unsigned n = 0;
        int pad = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const char c = in[i + k];
            unsigned v = 0;
            if (c == '=' && i + 4 == in.size() && k >= 2) {
                ++pad;
            } else if (pad > 0) {
                throw Error("etcd: a key or value is not base64 (padding)");
            } else {
                const char* p = c ? std::strchr(kB64, c) : nullptr;
                if (!p) throw Error("etcd: a key or value is not base64");
                v = static_cast<unsigned>(p - kB64);
            }
            n = (n << 6) | v;
        }
        out += static_cast<char>(n >> 16);
        if (pad < 2) out += static_cast<char>((n >> 8) & 0xff);
        if (pad < 1) out += static_cast<char>(n & 0xff);
    }
    return out;
}

std::string etcd_prefix_end(const std::string& prefix) {
    std::string end = prefix;
    while (!end.empty()) {
        if (static_cast<unsigned char>(end.back()) < 0xff) {
            end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');  // every key
}

EtcdSettings etcd_settings(const DirectorConfig& d) {
    EtcdSettings s;
    s.endpoints = d.endpoints;
    s.ca_file = d.ca_file.string();
    s.cert_file = d.cert_file.string();
    s.key_file = d.key_file.string();
    s.user = d.user;
    s.password_file = d.password_file.string();
    s.timeout = d.timeout;
    s.retries = std::min(d.retries, 1);  // the next endpoint is the better retry
    return s;
}

struct EtcdClient::Impl {
    std::vector<std::unique_ptr<HttpClient>> http;  // one per endpoint
    std::size_t current = 0;                        // the endpoint that answered last
    std::string password;
    bool authenticated = false;
    Counts counts;

    std::string endpoint(std::size_t i) const { return redact_url(http[i]->settings().base_url); }

    void authenticate(std::size_t i, const EtcdSettings& s) {
        const json body = {{"name", s.user}, {"password", password}};
        const HttpResponse r = http[i]->request("POST", "/v3/auth/authenticate", body.dump());
        json j = json::parse(r.body, nullptr, false);
        if (r.status != 200 || !j.is_object() || !j.contains("token") || !j.at("token").is_string())
            throw EtcdError(DirectorError::Reason::refused,
                            "etcd " + endpoint(i) + ": authentication as user " + s.user +
                                " refused (HTTP " + std::to_string(r.status) + ": " +
                                (j.is_object() ? j.value("message", "") : std::string()) + ")",
                            r.status, j.is_object() ? j.value("code", 0) : 0);
        for (auto& h : http) h->set_authorization(j.at("token").get<std::string>());
        authenticated = true;
    }

    // One request, sent to the endpoint that answered last and failing over to the others
    // when it gives no answer or answers that it cannot serve (no leader, no quorum).
    json call(const EtcdSettings& s, const std::string& path, const json& body, bool write) {
        (write ? counts.writes : counts.reads)++;
        const std::string text = body.dump();
        std::string tried;
        for (std::size_t n = 0; n < http.size(); ++n) {
            const std::size_t i = (current + n) % http.size();
            try {
                if (!s.user.empty() && !authenticated) authenticate(i, s);
                HttpResponse r = http[i]->request("POST", path, text);
                if (r.status == 401 && !s.user.empty()) {  // the token expired: once more
                    authenticate(i, s);
                    r = http[i]->request("POST", path, text);
                }
                json j = json::parse(r.body, nullptr, false);
                if (r.status == 503 || r.status == 0 || (r.status >= 500 && j.is_discarded())) {
                    tried += "; " + endpoint(i) + ": HTTP " + std::to_string(r.status) +
                             (j.is_object() ? " " + j.value("message", "") : std::string());
                    continue;
                }
                if (j.is_discarded() || !j.is_object())
                    throw EtcdError(DirectorError::Reason::refused,
                                    "etcd " + endpoint(i) + ": " + path + ": HTTP " +
                                        std::to_string(r.status) + ", not JSON",
                                    r.status);
                if (r.status != 200) {
                    const int code = j.value("code", 0);
                    throw EtcdError(reason_of(r.status),
                                    "etcd " + endpoint(i) + ": " + path + ": HTTP " +
                                        std::to_string(r.status) + ": " + j.value("message", ""),
                                    r.status, code);
                }
                if (i != current) spdlog::warn("etcd: failed over to {}{}", endpoint(i), tried);
                current = i;
                return j;
            } catch (const HttpError& e) {
                tried += "; " + endpoint(i) + ": " + e.detail();
            }
        }
        throw EtcdError(DirectorError::Reason::unreachable,
                        "etcd: " + path + ": no endpoint answered (" +
                            (tried.empty() ? std::string() : tried.substr(2)) + ")");
    }
};

EtcdClient::EtcdClient(EtcdSettings settings)
    : settings_(std::move(settings)), impl_(std::make_unique<Impl>()) {
    if (settings_.endpoints.empty()) throw UsageError("etcd: no endpoints configured");
    for (const auto& e : settings_.endpoints) {
        HttpSettings h;
        h.base_url = e;
        h.ca_file = settings_.ca_file;
        h.cert_file = settings_.cert_file;
        h.key_file = settings_.key_file;
        h.timeout = settings_.timeout;
        h.retries = settings_.retries;
        h.max_response = settings_.max_response;
        impl_->http.push_back(std::make_unique<HttpClient>(h));
    }
    if (!settings_.user.empty()) {
        if (settings_.password_file.empty())
            throw UsageError("[director] user = " + settings_.user + " needs password_file");
        impl_->password = read_secret_file("[director] password_file", settings_.password_file);
    }
}

EtcdClient::~EtcdClient() { std::fill(impl_->password.begin(), impl_->password.end(), '\0'); }

const EtcdClient::Counts& EtcdClient::counts() const { return impl_->counts; }

EtcdClient::Range EtcdClient::get(const std::string& key) {
    return range_of(impl_->call(settings_, "/v3/kv/range", range_request(key), false));
}

EtcdClient::Range EtcdClient::get_prefix(const std::string& prefix, bool keys_only) {
    return range_of(impl_->call(settings_, "/v3/kv/range",
                                range_request(prefix, etcd_prefix_end(prefix), keys_only), false));
}

EtcdClient::Range EtcdClient::get_prefixes(const std::vector<std::string>& prefixes) {
    json ops = json::array();
    for (const auto& p : prefixes)
        ops.push_back({{"request_range", range_request(p, etcd_prefix_end(p))}});
    const json reply = impl_->call(settings_, "/v3/kv/txn", {{"success", ops}}, false);
    Range all;
    all.revision = number(reply.value("header", json::object()), "revision");
    for (const auto& r : reply.value("responses", json::array())) {
        Range one = range_of(r.value("response_range", json::object()));
        for (auto& kv : one.kvs) all.kvs.push_back(std::move(kv));
    }
    return all;
}

std::vector<std::optional<EtcdKv>> EtcdClient::get_many(const std::vector<std::string>& keys,
                                                        int64_t* revision) {
    std::vector<std::optional<EtcdKv>> out;
    for (std::size_t at = 0; at < keys.size(); at += kMaxTxnOps) {
        json ops = json::array();
        for (std::size_t i = at; i < std::min(keys.size(), at + kMaxTxnOps); ++i)
            ops.push_back({{"request_range", range_request(keys[i])}});
        json body = {{"success", ops}};
        if (revision && *revision > 0)  // later chunks read at the first chunk's revision
            for (auto& op : body["success"]) op["request_range"]["revision"] = *revision;
        const json reply = impl_->call(settings_, "/v3/kv/txn", body, false);
        if (revision && at == 0)
            *revision = number(reply.value("header", json::object()), "revision");
        const json responses = reply.value("responses", json::array());
        for (std::size_t i = 0; i < ops.size(); ++i) {
            const Range r = i < responses.size()
                                ? range_of(responses[i].value("response_range", json::object()))
                                : Range{};
            out.push_back(r.kvs.empty() ? std::nullopt : std::optional<EtcdKv>(r.kvs.front()));
        }
    }
    return out;
}

void EtcdClient::put(const std::string& key, const std::string& value, int64_t lease) {
    json body = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
    if (lease) body["lease"] = std::to_string(lease);
    impl_->call(settings_, "/v3/kv/put", body, true);
}

void EtcdClient::put_many(const std::vector<std::pair<std::string, std::string>>& kvs,
                          int64_t lease) {
    for (std::size_t at = 0; at < kvs.size(); at += kMaxTxnOps) {
        json ops = json::array();
        for (std::size_t i = at; i < std::min(kvs.size(), at + kMaxTxnOps); ++i) {
            json put = {{"key", base64_encode(kvs[i].first)},
                        {"value", base64_encode(kvs[i].second)}};
            if (lease) put["lease"] = std::to_string(lease);
            ops.push_back({{"request_put", put}});
        }
        impl_->call(settings_, "/v3/kv/txn", {{"success", ops}}, true);
    }
}

void EtcdClient::del_many(const std::vector<std::string>& keys) {
    for (std::size_t at = 0; at < keys.size(); at += kMaxTxnOps) {
        json ops = json::array();
        for (std::size_t i = at; i < std::min(keys.size(), at + kMaxTxnOps); ++i)
            ops.push_back({{"request_delete_range", range_request(keys[i])}});
        impl_->call(settings_, "/v3/kv/txn", {{"success", ops}}, true);
    }
}

std::optional<EtcdKv> EtcdClient::put_if_absent(const std::string& key, const std::string& value,
                                                int64_t lease) {
    json put = {{"key", base64_encode(key)}, {"value", base64_encode(value)}};
    if (lease) put["lease"] = std::to_string(lease);
    const json body = {
        {"compare", {{{"target", "CREATE"}, {"key", base64_encode(key)}, {"create_revision", 0}}}},
        {"success", {{{"request_put", put}}}},
        {"failure", {{{"request_range", range_request(key)}}}},
    };
    const json reply = impl_->call(settings_, "/v3/kv/txn", body, true);
    if (reply.value("succeeded", false)) return std::nullopt;
    const json responses = reply.value("responses", json::array());
    if (responses.empty()) throw Error("etcd: txn on " + key + ": no response to its read");
    const Range r = range_of(responses[0].value("response_range", json::object()));
    if (r.kvs.empty()) throw Error("etcd: txn on " + key + ": present, yet the read found none");
    return r.kvs.front();
}

int64_t EtcdClient::del(const std::string& key) {
    return number(impl_->call(settings_, "/v3/kv/deleterange", range_request(key), true),
                  "deleted");
}

int64_t EtcdClient::del_prefix(const std::string& prefix) {
    return number(impl_->call(settings_, "/v3/kv/deleterange",
                              range_request(prefix, etcd_prefix_end(prefix)), true),
                  "deleted");
}

int64_t EtcdClient::lease_grant(std::chrono::seconds ttl) {
    const json r = impl_->call(settings_, "/v3/lease/grant", {{"TTL", ttl.count()}}, true);
    const int64_t id = number(r, "ID");
    if (id == 0) throw Error("etcd: lease grant returned no ID");
    return id;
}

int64_t EtcdClient::lease_keepalive(int64_t id) {
    // A streaming call in gRPC; the gateway answers one request with one {"result": ...}.
    const json r =
        impl_->call(settings_, "/v3/lease/keepalive", {{"ID", std::to_string(id)}}, true);
    return number(r.value("result", json::object()), "TTL");
}

int64_t EtcdClient::lease_time_to_live(int64_t id) {
    const json r =
        impl_->call(settings_, "/v3/lease/timetolive", {{"ID", std::to_string(id)}}, false);
    return number(r, "TTL");
}

void EtcdClient::lease_revoke(int64_t id) {
    try {
        // etcd 3.4's gateway path (3.5 also serves /v3/lease/revoke).
        impl_->call(settings_, "/v3/kv/lease/revoke", {{"ID", std::to_string(id)}}, true);
    } catch (const EtcdError& e) {
        if (e.code() != 5) throw;  // NotFound: already gone
    }
}

int64_t EtcdClient::watch_prefix(
    const std::string& prefix, int64_t start_revision, std::chrono::milliseconds duration,
    const std::function<bool(const std::vector<EtcdEvent>&, int64_t)>& on_events) {
    json create = range_request(prefix, etcd_prefix_end(prefix));
    if (start_revision > 0) create["start_revision"] = start_revision;
    const std::string body = json{{"create_request", create}}.dump();
    std::string line;
    int64_t last = 0;
    bool compacted = false;
    std::string refused;
    const std::size_t i = impl_->current;
    auto on_data = [&](const char* data, std::size_t n) {
        for (std::size_t k = 0; k < n; ++k) {
            if (data[k] != '\n') {
                line += data[k];
                if (line.size() > settings_.max_response) {
                    refused = "a watch message larger than " +
                              std::to_string(settings_.max_response) + " bytes";
                    return false;
                }
                continue;
            }
            const json j = json::parse(line, nullptr, false);
            line.clear();
            if (!j.is_object()) continue;
            if (j.contains("error")) {
                refused = j.at("error").value("message", j.at("error").dump());
                return false;
            }
            const json r = j.value("result", json::object());
            if (number(r, "compact_revision") > 0) {
                compacted = true;
                return false;
            }
            if (r.value("canceled", false)) {
                refused = "watch canceled: " + r.value("cancel_reason", std::string("no reason"));
                return false;
            }
            const int64_t rev = number(r.value("header", json::object()), "revision");
            std::vector<EtcdEvent> events;
            if (r.contains("events"))
                for (const auto& e : r.at("events"))
                    events.push_back({e.value("type", "") == "DELETE", kv_of(e.at("kv"))});
            if (events.empty()) continue;  // created, or a progress notice
            last = rev;
            if (!on_events(events, rev)) return false;
        }
        return true;
    };
    impl_->counts.reads++;
    try {
        const long status = impl_->http[i]->stream("/v3/watch", body, duration, on_data);
        if (status != 200 && status != 0 && refused.empty())
            refused = "HTTP " + std::to_string(status);
    } catch (const HttpError& e) {
        impl_->current = (i + 1) % impl_->http.size();  // the next watch tries the next one
        throw EtcdError(DirectorError::Reason::unreachable,
                        "etcd " + impl_->endpoint(i) + ": watch: " + e.detail());
    }
    if (compacted)
        throw EtcdError(
            DirectorError::Reason::refused,
            "etcd: watch from revision " + std::to_string(start_revision) + ": compacted", 0, 11);
    if (!refused.empty())
        throw EtcdError(DirectorError::Reason::refused,
                        "etcd " + impl_->endpoint(i) + ": watch: " + refused);
    return last;
}

}  // namespace vzlvs
