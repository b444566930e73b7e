// Dialect-independent parts of director registration: IDs, drain, the choice of dialect.
#include "vzlvs/director/director.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace vzlvs {

const char* to_string(DiffKind kind) {
    switch (kind) {
        case DiffKind::ok:
            return "ok";
        case DiffKind::missing:
            return "missing";
        case DiffKind::weight_differs:
            return "weight differs";
        case DiffKind::wrong_method:
            return "wrong method";
        case DiffKind::address_differs:
            return "address differs";
        case DiffKind::pulse_differs:
            return "health check differs";
        case DiffKind::reduced_by_health:
            return "reduced by health checks";
        case DiffKind::down:
            return "down by health checks";
        case DiffKind::service_missing:
            return "service missing";
        case DiffKind::service_mismatch:
            return "service mismatch";
        case DiffKind::not_applied:
            return "not applied";
        case DiffKind::lease_differs:
            return "on another lease";
    }
    return "unknown";
}

bool is_valid_director_id(const std::string& id) {
    if (id.empty() || id.size() > 128 || id == "." || id == "..") return false;
    return std::all_of(id.begin(), id.end(), [](unsigned char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

void validate_director_id(const std::string& what, const std::string& id) {
    if (is_valid_director_id(id)) return;
    std::string shown = id.size() > 140 ? id.substr(0, 140) + "..." : id;
    throw UsageError(what + " '" + shown + "' is not a valid director ID: use 1 to 128 of " +
                     "A-Z a-z 0-9 . _ - (it becomes part of a URL path)");
}

std::string backend_id(const std::string& node, const std::string& ctid,
                       const std::string& service) {
    std::string id = backend_id_text(node, ctid, service);
    validate_director_id("backend ID", id);
    return id;
}

std::string Director::wait_drained(const BackendSpec& spec, std::chrono::milliseconds drain,
                                   const std::function<void(std::chrono::milliseconds)>& wait) {
    if (drain.count() <= 0) return "drained";
    spdlog::info("director: draining backend {} for {} ms", spec.id, drain.count());
    wait(drain);
    return "drained for " + std::to_string(drain.count()) + " ms";
}

std::optional<std::string> drain_and_remove(Director& director, const BackendSpec& spec,
                                            std::chrono::milliseconds drain,
                                            const DrainWait& wait) {
    try {
        director.set_weight(spec, 0);
    } catch (const DirectorError& e) {
        if (e.reason() != DirectorError::Reason::not_found) throw;
        spdlog::info("director: backend {} is not registered: nothing to drain", spec.id);
        return std::nullopt;
    }
    const DrainWait sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
    std::string how = director.wait_drained(spec, drain, wait ? wait : sleep);
    director.remove_backend(spec);
    return how + " and removed";
}

std::unique_ptr<Director> make_director(const Config& config,
                                        const std::vector<DirectorDialect>& dialects) {
    const DirectorConfig& cfg = config.director;
    if (!cfg.configured()) return nullptr;
    for (const auto& d : dialects)
        if (d.api == cfg.api) return d.make(config);
    std::string known;
    for (const auto& d : dialects) known += (known.empty() ? "" : ", ") + d.api;
    throw UsageError("[director] api = " + cfg.api + ": no such dialect (vzlvs speaks " + known +
                     ")");
}

}  // namespace vzlvs
