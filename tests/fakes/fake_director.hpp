// A Director holding services and backends in memory; changes are recorded in Events as
// "director ...". `down` makes every call fail as an unreachable director does.
#pragma once

#include <map>

#include "fakes/events.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs::fakes {

class FakeDirector : public Director {
  public:
    explicit FakeDirector(Events& events) : events_(events) {}

    std::map<std::string, ServiceSpec> services;
    std::map<std::string, BackendSpec> backends;  // by backend id
    bool down = false;

    Change ensure_service(const ServiceSpec& s) override {
        reachable("PUT", s.id);
        if (services.count(s.id)) return Change::unchanged;
        events_.add("director add service " + s.id);
        services[s.id] = s;
        return Change::changed;
    }
    BackendDiff diff_service(const ServiceSpec& s) override {
        reachable("GET", s.id);
        return services.count(s.id) ? BackendDiff{DiffKind::ok, ""}
                                    : BackendDiff{DiffKind::service_missing, "no service " + s.id};
    }
    Change ensure_backend(const BackendSpec& b) override {
        reachable("PUT", b.id);
        auto it = backends.find(b.id);
        if (it != backends.end() && it->second.weight == b.weight && it->second.host == b.host)
            return Change::unchanged;
        events_.add("director put backend " + b.id + " weight " + std::to_string(b.weight));
        backends[b.id] = b;
        return Change::changed;
    }
    BackendDiff diff(const BackendSpec& b) override {
        reachable("GET", b.id);
        if (!services.count(b.service_id)) return {DiffKind::service_missing, ""};
        auto it = backends.find(b.id);
        if (it == backends.end()) return {DiffKind::missing, ""};
        if (it->second.weight != b.weight)
            return {DiffKind::weight_differs, "weight " + std::to_string(it->second.weight) +
                                                  ", want " + std::to_string(b.weight)};
        if (it->second.host != b.host) return {DiffKind::address_differs, it->second.host};
        return {DiffKind::ok, ""};
    }
    Change set_weight(const BackendSpec& b, int weight) override {
        reachable("PATCH", b.id);
        auto it = backends.find(b.id);
        if (it == backends.end() || it->second.weight == weight) return Change::unchanged;
        events_.add("director weight " + b.id + " " + std::to_string(weight));
        it->second.weight = weight;
        return Change::changed;
    }
    Change remove_backend(const BackendSpec& b) override {
        reachable("DELETE", b.id);
        if (!backends.erase(b.id)) return Change::unchanged;
        events_.add("director delete backend " + b.id);
        return Change::changed;
    }

  private:
    void reachable(const char* method, const std::string& id) {
        if (down)
            throw DirectorError(DirectorError::Reason::unreachable,
                                std::string("director: ") + method + " " + id + ": no response");
    }
    Events& events_;
};

}  // namespace vzlvs::fakes
