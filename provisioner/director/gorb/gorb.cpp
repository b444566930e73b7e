// The gorb dialect (github.com/kobolog/gorb, see docs/director-api.md): PUT creates and answers
// 409 when the object exists, backend IDs are global, GET reports the current weight.
#include "director/gorb/gorb.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "director/gorb/gorb_json.hpp"
#include "vzlvs/base/strings.hpp"

namespace vzlvs {

using gorb::backend_path;
using gorb::field;
using gorb::forwarding_method;
using gorb::lower;
using gorb::pulse_json;
using gorb::service_path;
using nlohmann::json;

namespace {

std::string error_text(const std::string& method, const std::string& path, long status,
                       const std::string& message, const std::string& context) {
    std::string s = "director: ";
    if (!context.empty()) s += context + ": ";
    s += method + " " + path + ": ";
    s += status == 0 ? std::string("no response") : "HTTP " + std::to_string(status);
    if (!message.empty()) s += ": " + message;
    return s;
}

DirectorError::Reason reason_of(long status) {
    if (status == 0) return DirectorError::Reason::unreachable;
    return status == 404 ? DirectorError::Reason::not_found : DirectorError::Reason::refused;
}

class GorbDirector final : public Director {
  public:
    explicit GorbDirector(HttpSettings s) : http_(std::move(s)) {}

    BackendDiff diff_service(const ServiceSpec& spec) override {
        validate_director_id("service ID", spec.id);
        const auto got = service(spec.id, "service " + spec.id);
        if (!got) return {DiffKind::service_missing, "service " + spec.id + " is not registered"};
        return gorb_service_diff(*got, spec);
    }

    Change ensure_service(const ServiceSpec& spec) override {
        auto d = diff_service(spec);
        if (d.kind == DiffKind::service_missing) {
            const std::string path = service_path(spec.id);
            const auto r = send("PUT", path, gorb_service_body(spec), "create service " + spec.id);
            if (r.status == 200) {
                spdlog::info("director: created service {} ({}:{}/{} {})", spec.id, spec.host,
                             spec.port, spec.protocol, spec.scheduler);
                services_.erase(spec.id);  // read again when next asked
                return Change::changed;
            }
            if (r.status != 409) fail("PUT", path, r, "create service " + spec.id);
            d = diff_service(spec);  // created concurrently by someone else: compare theirs
            if (d.kind == DiffKind::service_missing)
                throw GorbError("PUT", path, 409, error_message(r),
                                "create service " + spec.id +
                                    ": refused as existing, yet a GET finds no such service "
                                    "(HTTP 404): another client is creating and deleting it");
        }
        if (d.kind == DiffKind::ok) return Change::unchanged;
        throw GorbError("GET", service_path(spec.id), 200, d.detail,
                        "service " + spec.id +
                            " exists on the director with other settings; vzlvs does not "
                            "change an existing service: fix the director or the config");
    }

    BackendDiff diff(const BackendSpec& spec) override {
        validate(spec);
        const std::string ctx = "backend " + spec.id;
        const auto got = fetch(backend_path(spec), ctx);
        if (!got) return missing_backend(spec, ctx);
        return registered_diff(*got, spec, ctx);
    }

    Change ensure_backend(const BackendSpec& spec) override {
        validate(spec);
        const std::string ctx = "backend " + spec.id;
        const auto got = fetch(backend_path(spec), ctx);
        // Not registered: the PUT itself says whether the service is there (404), so a
        // registration costs two requests however many backends the service has.
        const auto d =
            got ? registered_diff(*got, spec, ctx)
                : BackendDiff{DiffKind::missing, "backend " + spec.id + " is not registered"};
        switch (d.kind) {
            case DiffKind::ok:
                return Change::unchanged;
            case DiffKind::reduced_by_health:
                // The director lowered it on purpose and restores it as checks pass.
                spdlog::info("director: {}", d.detail);
                return Change::unchanged;
            case DiffKind::down:
                // A PATCH now would be overwritten with the stash when the check passes.
                throw GorbError(
                    "GET", backend_path(spec), 200, d.detail,
                    "backend " + spec.id + ": its weight is set once the director's check passes");
            case DiffKind::service_missing:
                throw GorbError("GET", service_path(spec.service_id), 404, d.detail,
                                "backend " + spec.id + ": register the service first");
            case DiffKind::missing:
                create(spec);
                return Change::changed;
            case DiffKind::weight_differs:
                spdlog::info("director: fixing {}", d.detail);
                patch_weight(spec, gorb_weight(spec.weight));
                return Change::changed;
            default:
                // Address, method, health check and owning service cannot be PATCHed in gorb.
                spdlog::info("director: re-creating: {}", d.detail);
                remove_backend(spec);
                create(spec);
                return Change::changed;
        }
    }

    Change set_weight(const BackendSpec& spec, int weight) override {
        validate(spec);
        const long long want = gorb_weight(weight);
        const std::string ctx = "set weight of backend " + spec.id;
        const auto got = fetch(backend_path(spec), ctx);
        if (!got) throw GorbError("GET", backend_path(spec), 404, "backend is not registered", ctx);
        const auto cur = field<long long>(got->value("options", json::object()), "weight");
        const auto status = field<long long>(got->value("metrics", json::object()), "status");
        if (cur && *cur == want && status.value_or(0) == 0) return Change::unchanged;
        patch_weight(spec, want);
        return Change::changed;
    }

    // gorb gives a backend back only the weight it stashed when its health check failed, and
    // the umount hook had drained it to 0 (core/runtime.go): a registration made before the
    // first passing check is undone by it.
    bool revisits_registration() const override { return true; }

    Change remove_backend(const BackendSpec& spec) override {
        validate(spec);
        const std::string path = backend_path(spec);
        const auto r = send("DELETE", path, {}, "remove backend " + spec.id);
        if (r.status == 404) return Change::unchanged;
        if (r.status != 200) fail("DELETE", path, r, "remove backend " + spec.id);
        member(spec, false);
        spdlog::info("director: removed backend {} from service {}", spec.id, spec.service_id);
        return Change::changed;
    }

  private:
    static void validate(const BackendSpec& b) {
        validate_director_id("service ID", b.service_id);
        validate_director_id("backend ID", b.id);
    }

    HttpResponse send(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& context) {
        try {
            return http_.request(method, path, body);
        } catch (const HttpError& e) {
            const std::string tries =
                e.attempts() > 1 ? " (after " + std::to_string(e.attempts()) + " attempts)" : "";
            throw GorbError(method, path, 0, e.detail() + tries, context);
        }
    }

    // The director's {"error": "..."} text, or a printable excerpt of whatever came instead.
    static std::string error_message(const HttpResponse& r) {
        const json j = json::parse(r.body, nullptr, false);
        if (auto e = field<std::string>(j, "error")) return *e;
        if (r.body.empty()) return "(empty body)";
        std::string excerpt = r.body.substr(0, 200);
        for (auto& c : excerpt)
            if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
        return "unexpected reply: " + excerpt + (r.body.size() > 200 ? "..." : "");
    }

    [[noreturn]] static void fail(const std::string& method, const std::string& path,
                                  const HttpResponse& r, const std::string& context) {
        throw GorbError(method, path, r.status, error_message(r), context);
    }

    // Whether the service is there, asked afresh: the director may have lost it since.
    BackendDiff missing_backend(const BackendSpec& spec, const std::string& ctx) {
        if (!fetch(service_path(spec.service_id), ctx)) {
            services_.erase(spec.service_id);
            return {DiffKind::service_missing, "service " + spec.service_id + " is not registered"};
        }
        return {DiffKind::missing, "backend " + spec.id + " is not registered"};
    }
    BackendDiff registered_diff(const json& got, const BackendSpec& spec, const std::string& ctx) {
        return gorb_backend_diff(got, spec, [&] { return service(spec.service_id, ctx); });
    }

    // A service's member list, for a backend whose reply does not name its service, kept for
    // this handle's life (one run): a service's GET lists every backend, so asking it per
    // backend made checking N of them cost N². What this handle adds or removes is applied
    // to the copy; a 404 is never kept.
    std::optional<json> service(const std::string& id, const std::string& context) {
        if (auto it = services_.find(id); it != services_.end()) return it->second;
        auto got = fetch(service_path(id), context);
        if (got) services_[id] = *got;
        return got;
    }
    // in: just created, so it was in no list (the GET before found no such backend).
    void member(const BackendSpec& spec, bool in) {
        auto it = services_.find(spec.service_id);
        if (it == services_.end()) return;
        json& list = it->second["backends"];
        if (!list.is_array()) list = json::array();
        if (in) {
            list.push_back(spec.id);
            return;
        }
        for (auto b = list.begin(); b != list.end();)
            b = b->is_string() && b->get<std::string>() == spec.id ? list.erase(b) : b + 1;
    }

    // GET as a JSON object; nullopt on 404.
    std::optional<json> fetch(const std::string& path, const std::string& context) {
        const auto r = send("GET", path, {}, context);
        if (r.status == 404) return std::nullopt;
        if (r.status != 200) fail("GET", path, r, context);
        json j = json::parse(r.body, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            throw GorbError(
                "GET", path, r.status,
                "malformed reply: not a JSON object (" + std::to_string(r.body.size()) + " bytes)",
                context);
        return j;
    }

    void create(const BackendSpec& spec) {
        const std::string path = backend_path(spec);
        const std::string ctx = "register backend " + spec.id;
        const auto r = send("PUT", path, gorb_backend_body(spec), ctx);
        if (r.status == 409) {
            // Someone registered it between our GET and PUT: accept it only if it matches.
            const auto d = diff(spec);
            if (d.kind == DiffKind::ok || d.kind == DiffKind::reduced_by_health) return;
            if (d.kind == DiffKind::missing || d.kind == DiffKind::service_missing)
                throw GorbError("PUT", path, 409, error_message(r),
                                ctx +
                                    ": refused as existing, yet a GET finds no such "
                                    "backend (HTTP 404): another client is creating and "
                                    "deleting it");
            throw GorbError("PUT", path, 409, error_message(r), ctx + ": " + d.detail);
        }
        if (r.status == 404) {
            services_.erase(spec.service_id);
            throw GorbError("PUT", path, 404, error_message(r),
                            ctx + ": service " + spec.service_id +
                                " is not registered: register the service first");
        }
        if (r.status != 200) fail("PUT", path, r, ctx);
        member(spec, true);
        // gorb turns a weight <= 0 into 100 on create: a backend registered drained needs a PATCH.
        if (spec.weight <= 0) patch_weight(spec, 0);
        spdlog::info("director: registered backend {} ({}:{} weight {} {}) in service {}", spec.id,
                     spec.host, spec.port, gorb_weight(spec.weight), spec.method, spec.service_id);
    }

    void patch_weight(const BackendSpec& spec, long long weight) {
        const std::string path = backend_path(spec);
        const std::string ctx = "set weight of backend " + spec.id;
        const auto r = send("PATCH", path, json{{"weight", weight}}.dump(), ctx);
        if (r.status != 200) fail("PATCH", path, r, ctx);
        spdlog::info("director: backend {} weight set to {}", spec.id, weight);
    }

    HttpClient http_;
    std::map<std::string, json> services_;
};

}  // namespace

int gorb_weight(int configured) {
    if (configured < 0 || configured > std::numeric_limits<int32_t>::max() / kGorbWeightScale)
        throw UsageError("backend weight " + std::to_string(configured) + " is out of range 0.." +
                         std::to_string(std::numeric_limits<int32_t>::max() / kGorbWeightScale) +
                         " (it is multiplied by " + std::to_string(kGorbWeightScale) +
                         " for gorb)");
    return configured * kGorbWeightScale;
}

std::string gorb_service_body(const ServiceSpec& s) {
    return json{{"host", s.host},
                {"port", s.port},
                {"protocol", lower(s.protocol)},
                {"method", s.scheduler}}
        .dump();
}

std::string gorb_backend_body(const BackendSpec& b) {
    return json{{"host", b.host},
                {"port", b.port},
                {"weight", gorb_weight(b.weight)},
                {"method", forwarding_method(b.method)},
                {"pulse", pulse_json(b.pulse)}}
        .dump();
}

GorbError::GorbError(std::string method, std::string path, long status,
                     std::string director_message, const std::string& context)
    : DirectorError(reason_of(status), error_text(method, path, status, director_message, context)),
      method_(std::move(method)),
      path_(std::move(path)),
      status_(status),
      director_message_(std::move(director_message)) {}

HttpSettings gorb_http_settings(const DirectorConfig& d) {
    HttpSettings h;
    h.base_url = d.url;
    h.token_file = d.token_file.string();
    h.ca_file = d.ca_file.string();
    h.timeout = d.timeout;
    h.retries = d.retries;
    return h;
}

std::unique_ptr<Director> make_gorb_director(HttpSettings settings) {
    return std::make_unique<GorbDirector>(std::move(settings));
}

std::unique_ptr<Director> make_gorb_director(const DirectorConfig& d) {
    return make_gorb_director(gorb_http_settings(d));
}

}  // namespace vzlvs
