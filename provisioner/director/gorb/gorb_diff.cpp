// How a gorb GET reply compares with what vzlvs wants (docs/director-api.md): pure, so that
// unit tests and the fuzzer (tests/fuzz/director_fuzz.cpp) reach it without HTTP.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "director/gorb/gorb.hpp"
#include "director/gorb/gorb_json.hpp"
#include "vzlvs/base/strings.hpp"

namespace vzlvs {

using gorb::backend_path;
using gorb::field;
using gorb::forwarding_method;
using gorb::lower;
using gorb::service_path;
using nlohmann::json;

namespace {

// gorb's util.ParseInterval units; nullopt when it is not one of them.
std::optional<long long> interval_seconds(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == 0 || i > 12) return std::nullopt;
    const long long n = std::stoll(s.substr(0, i));
    const std::string unit = lower(s.substr(i));
    if (unit == "s" || unit == "sec" || unit == "seconds") return n;
    if (unit == "m" || unit == "min" || unit == "minutes") return n * 60;
    if (unit == "h" || unit == "hours") return n * 3600;
    return std::nullopt;
}

bool same_interval(const std::string& a, const std::string& b) {
    const auto x = interval_seconds(a), y = interval_seconds(b);
    return x && y ? *x == *y : a == b;
}

std::string endpoint(const std::string& host, long long port) {
    return host + ":" + std::to_string(port);
}

// Reads a field with the expected JSON type; a wrong type is a malformed reply, not a crash.

std::string semicolons(const std::vector<std::string>& v) { return join(v, "; "); }

std::string status_name(long long s) {
    switch (s) {
        case 0:
            return "up";
        case 1:
            return "down";
        case 2:
            return "removed";
        default:
            return std::to_string(s);
    }
}

std::optional<std::string> pulse_difference(const json& got, const PulseSpec& want) {
    const auto type = lower(field<std::string>(got, "type").value_or(""));
    const auto interval = field<std::string>(got, "interval").value_or("");
    if (type != lower(want.type))
        return "type " + (type.empty() ? "(none)" : type) + ", want " + lower(want.type);
    if (!same_interval(interval, want.interval))
        return "interval " + interval + ", want " + want.interval;
    if (type == "http") {
        const json args = got.value("args", json::object());
        const auto path = field<std::string>(args, "path").value_or("");
        const auto expect = field<long long>(args, "expect").value_or(200);
        if (path != want.path) return "path " + path + ", want " + want.path;
        if (expect != want.expect)
            return "expected status " + std::to_string(expect) + ", want " +
                   std::to_string(want.expect);
    }
    return std::nullopt;
}

}  // namespace

BackendDiff gorb_service_diff(const json& reply, const ServiceSpec& spec) {
    const json& got = reply;
    const json opts = got.value("options", json::object());
    std::vector<std::string> wrong;
    const auto host = field<std::string>(opts, "host").value_or("");
    const auto port = field<long long>(opts, "port").value_or(0);
    const auto proto = lower(field<std::string>(opts, "protocol").value_or(""));
    const auto sched = field<std::string>(opts, "method").value_or("");
    if (host != spec.host || port != spec.port)
        wrong.push_back("address " + endpoint(host, port) + ", want " +
                        endpoint(spec.host, spec.port));
    if (proto != lower(spec.protocol))
        wrong.push_back("protocol " + proto + ", want " + lower(spec.protocol));
    if (sched != spec.scheduler) wrong.push_back("scheduler " + sched + ", want " + spec.scheduler);
    if (wrong.empty()) return {DiffKind::ok, "service " + spec.id + " ok"};
    return {DiffKind::service_mismatch, "service " + spec.id + ": " + semicolons(wrong)};
}

BackendDiff gorb_backend_diff(const json& reply, const BackendSpec& spec,
                              const std::function<std::optional<json>()>& fetch_service) {
    const json& got = reply;
    const std::string ctx = "backend " + spec.id;
    const json opts = got.value("options", json::object());
    const json metrics = got.value("metrics", json::object());

    // Backend IDs are global in gorb: the same ID may sit under another service.
    if (const auto vsid = field<std::string>(opts, "vsid")) {
        if (*vsid != spec.service_id)
            return {DiffKind::service_mismatch, "backend " + spec.id +
                                                    " is registered under service " + *vsid +
                                                    ", want " + spec.service_id};
    } else {
        const auto svc = fetch_service();
        if (!svc)
            return {DiffKind::service_missing, "service " + spec.service_id + " is not registered"};
        const auto members =
            field<std::vector<std::string>>(*svc, "backends").value_or(std::vector<std::string>{});
        if (std::find(members.begin(), members.end(), spec.id) == members.end())
            return {DiffKind::service_mismatch, "backend " + spec.id +
                                                    " is registered under another service, "
                                                    "not " +
                                                    spec.service_id};
    }

    const auto host = field<std::string>(opts, "host").value_or("");
    const auto port = field<long long>(opts, "port").value_or(0);
    if (host != spec.host || port != spec.port)
        return {DiffKind::address_differs, "backend " + spec.id + " has " + endpoint(host, port) +
                                               ", want " + endpoint(spec.host, spec.port)};
    const auto method = forwarding_method(field<std::string>(opts, "method").value_or(""));
    if (method != forwarding_method(spec.method))
        return {DiffKind::wrong_method, "backend " + spec.id + " has method " +
                                            (method.empty() ? "(none)" : method) + ", want " +
                                            forwarding_method(spec.method)};
    if (auto p = pulse_difference(opts.value("pulse", json::object()), spec.pulse))
        return {DiffKind::pulse_differs, "backend " + spec.id + " health check " + *p};

    const long long want = gorb_weight(spec.weight);
    const auto weight = field<long long>(opts, "weight");
    if (!weight)
        throw GorbError("GET", backend_path(spec), 200,
                        "malformed reply: options.weight missing or not a whole number in range",
                        ctx);
    if (*weight == want) return {DiffKind::ok, "backend " + spec.id + " ok"};
    const auto status = field<long long>(metrics, "status").value_or(0);
    const auto health = field<double>(metrics, "health").value_or(1.0);
    const std::string weights =
        "weight " + std::to_string(*weight) + ", want " + std::to_string(want) + " (configured " +
        std::to_string(spec.weight) + " x " + std::to_string(kGorbWeightScale) + ")";
    // gorb holds a failing backend at 0 and, on recovery, restores int32(stash × health)
    // where stash is the weight it had when the check failed: 0 for a backend drained at
    // umount (core/runtime.go). So 0 is never "reduced": a backend that is up at 0 stays
    // there until someone PATCHes it, and one that is down cannot be PATCHed usefully.
    if (status != 0)
        return {DiffKind::down, "backend " + spec.id + " " + weights +
                                    ": down by the director's health checks (status " +
                                    status_name(status) + ")"};
    if (*weight > 0 && *weight < want && health < 1.0)
        return {DiffKind::reduced_by_health,
                "backend " + spec.id + " " + weights + ": reduced by health checks (status " +
                    status_name(status) + ", health " + fmt::format("{:.2f}", health) + ")"};
    return {DiffKind::weight_differs, "backend " + spec.id + " " + weights};
}

}  // namespace vzlvs
