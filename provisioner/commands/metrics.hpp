// Metrics for Prometheus, in node_exporter's textfile format (docs/metrics.md): written
// atomically (temp file + rename, 0644) by watch after each pass and by `check --metrics-file`,
// into a file node_exporter's textfile collector reads.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "vzlvs/config/config.hpp"
#include "vzlvs/steps/report.hpp"
#include "vzlvs/world/seams.hpp"

namespace vzlvs {

class Metrics {
  public:
    // The leak window's histogram buckets, in seconds: the route lives well under a
    // millisecond when watch's netlink event is prompt, seconds when only a pass finds it.
    static const std::vector<double>& leak_buckets();

    // What a run found: each configured backend's registration, weight and probe, the run's
    // outcome counts, and -- when nothing failed -- the converge time. watch also adds the
    // repairs (changed outcomes) to the counters.
    void record_run(const Config& cfg, const Report& report, bool count_repairs,
                    std::chrono::system_clock::time_point at);
    // One leaked route's life as watch saw it: from the netlink event to its deletion. Called
    // from watch's sweeper thread.
    void record_leak(std::chrono::duration<double> window);
    void set_guard_backend(const std::string& backend) {
        std::lock_guard<std::mutex> l(mu_);  // watch's sweeper renders meanwhile
        guard_ = backend;
    }

    std::string render() const;

  private:
    struct Backend {
        std::string service, ct, id;
        bool registered = false;
        int weight = 0;
        int probe = -1;  // -1: not probed by this run
    };
    mutable std::mutex mu_;
    std::vector<Backend> backends_;
    std::map<std::string, unsigned long long> repairs_;  // step name → count
    std::map<std::string, int> outcomes_;                // status → count, last run
    std::vector<unsigned long long> leak_counts_ =
        std::vector<unsigned long long>(leak_buckets().size());
    unsigned long long leak_total_ = 0;
    double leak_sum_ = 0;
    double last_converge_ = 0;  // Unix time; 0: never
    std::string guard_;
};

// The ARP guard backend's name ("nft", "tc"), "" when there is none to be had.
std::string guard_backend_of(Seams& seams);

// Writes text to path atomically, 0644 (node_exporter runs as its own user).
void write_metrics_file(const std::filesystem::path& path, const std::string& text);

}  // namespace vzlvs
