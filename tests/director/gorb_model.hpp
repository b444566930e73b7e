// gorb's service/backend model (kobolog/gorb core/context.go, core/options.go, pulse/*):
// validation, 409 on existing objects, global backend IDs, weight <= 0 → 100 on create,
// current (pulse-reduced) weight reported by GET. Independent of HTTP so main.cpp stays thin.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace testdirector {

struct Reply {
    int status = 200;
    nlohmann::json body;  // null: empty body (gorb answers 200 with nothing)
};

// One change applied to the data plane, for the optional ipvsadm hook.
struct IpvsChange {
    enum Kind { add_service, del_service, add_dest, edit_dest, del_dest };
    Kind kind = add_service;
    std::string protocol, vip;
    int vport = 0;
    std::string scheduler;
    std::string rip;
    int rport = 0;
    std::string method;
    long long weight = 0;
};

class GorbModel {
  public:
    // Called under the model lock for each data-plane change; a thrown std::exception becomes
    // gorb's 500 "error while calling into IPVS".
    std::function<void(const IpvsChange&)> on_change;

    Reply list_services();
    Reply get_service(const std::string& vs);
    Reply put_service(const std::string& vs, const std::string& body);
    Reply delete_service(const std::string& vs);
    Reply get_backend(const std::string& vs, const std::string& rs);
    Reply put_backend(const std::string& vs, const std::string& rs, const std::string& body);
    Reply patch_backend(const std::string& vs, const std::string& rs, const std::string& body);
    Reply delete_backend(const std::string& vs, const std::string& rs);

    // Simulates a pulse result exactly as gorb's runtime loop does (core/runtime.go, run()):
    // the first Down stashes the *current* weight (0 if it was drained) and sets 0; an Up with
    // a stash sets weight = int32(stash × health) and drops the stash once that equals it; an
    // Up without a stash changes nothing. The stash lives apart from the backend (a local map
    // keyed by the IDs in gorb), so it survives a DELETE and re-create; PATCH never touches it.
    Reply pulse(const std::string& rs, int status, double health);

    nlohmann::json dump() const;
    void load(const nlohmann::json& state);

  private:
    struct Service {
        nlohmann::json options;
        std::vector<std::string> backends;  // insertion order
    };
    struct Backend {
        std::string service;
        nlohmann::json options;  // options["weight"] is the current weight
        int status = 0;          // 0 Up, 1 Down, 2 Removed
        double health = 1.0;
        std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
    };

    void apply(const IpvsChange& c);
    IpvsChange dest_change(IpvsChange::Kind kind, const Backend& b) const;

    mutable std::mutex mu_;
    std::map<std::string, Service> services_;
    std::map<std::string, Backend> backends_;  // global: keyed by rsID alone, like gorb
    std::map<std::string, long long> stash_;   // rsID → weight to restore (gorb's run())
};

// gorb util.ParseInterval: "5s", "1m", "2h" with s/sec/seconds/m/min/minutes/h/hours.
bool parse_interval(const std::string& s, long long& seconds);

}  // namespace testdirector
