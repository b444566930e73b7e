// Dialect-independent parts of director registration: IDs, errors, drain.
#include "director/director.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

namespace vzlvs {

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

}  // namespace

DirectorError::DirectorError(std::string method, std::string path, long status,
                             std::string director_message, const std::string& context)
    : Error(error_text(method, path, status, director_message, context)),
      method_(std::move(method)),
      path_(std::move(path)),
      status_(status),
      director_message_(std::move(director_message)) {}

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
    std::string id = node + "-" + ctid + "-" + service;
    validate_director_id("backend ID", id);
    return id;
}

Change drain_and_remove(Director& director, const BackendSpec& spec,
                        std::chrono::milliseconds drain, const DrainWait& wait) {
    try {
        director.set_weight(spec, 0);
    } catch (const DirectorError& e) {
        if (e.status() != 404) throw;
        spdlog::info("director: backend {} is not registered: nothing to drain", spec.id);
        return Change::unchanged;
    }
    if (drain.count() > 0) {
        spdlog::info("director: draining backend {} for {} ms", spec.id, drain.count());
        if (wait)
            wait(drain);
        else
            std::this_thread::sleep_for(drain);
    }
    director.remove_backend(spec);
    return Change::changed;
}

}  // namespace vzlvs
