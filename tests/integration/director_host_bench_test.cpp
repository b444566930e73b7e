// Benchmark, disabled by default (docs/benchmarks.md has the command and figures): how long a
// director takes to converge after 100 of 1,000 nodes (10 backends each) lose their leases,
// and how many keepalived reloads that burst costs; with the default settle (500 ms) and,
// side by side as the baseline, with none (1 ms: every change applied as it comes).
// VZLVS_BENCH_NODES overrides the 1,000.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "support/etcd_cluster.hpp"
#include "support/keepalived_process.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/director/etcd.hpp"
#include "vzlvs/director/etcd_layout.hpp"
#include "vzlvs/director_host/keepalived.hpp"
#include "vzlvs/director_host/sync.hpp"

namespace vzlvs {
namespace {

using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

double s_since(clock::time_point t0) {
    return std::chrono::duration<double>(clock::now() - t0).count();
}

void burst(std::chrono::milliseconds settle, int nodes) {
    constexpr int kPerNode = 10;
    const int lost = nodes / 10;
    test::EtcdCluster etcd;
    test::ScratchDir dir;
    test::KeepalivedProcess k(dir.path());
    Config cfg;
    cfg.node.name = "dir1";
    cfg.director.api = "etcd";
    cfg.director.endpoints = etcd.endpoints();
    cfg.director.lease_ttl = 600s;
    cfg.director_host.present = true;
    cfg.director_host.name = "dir1";
    cfg.director_host.keepalived_conf = k.include_file();
    cfg.director_host.keepalived_pid_file = k.pid_file();
    cfg.director_host.settle = settle;
    cfg.director_host.min_reload_interval = 2s;
    EtcdClient nodes_client(etcd_settings(cfg.director));
    const EtcdKeys keys;
    nodes_client.put(keys.service("web"),
                     to_json(StoredService{"192.0.2.10", 80, "tcp", "wrr", "tunnel"}));
    std::vector<int64_t> leases;
    const auto fill = clock::now();
    for (int n = 0; n < nodes; ++n) {
        leases.push_back(nodes_client.lease_grant(600s));
        std::vector<std::pair<std::string, std::string>> puts;
        for (int b = 0; b < kPerNode; ++b) {
            const int i = n * kPerNode + b;
            StoredBackend be;
            be.host = "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                      "." + std::to_string(i % 256);
            be.port = 80;
            be.node = "node" + std::to_string(n);
            be.ct = std::to_string(100 + b);
            puts.emplace_back(keys.backend("web", be.node + "-" + be.ct + "-web"), to_json(be));
        }
        nodes_client.put_many(puts, leases.back());
    }
    std::printf("# %d nodes x %d backends stored in %.1f s\n", nodes, kPerNode, s_since(fill));

    EtcdClient client(etcd_settings(cfg.director));
    KeepalivedApply apply(k.include_file(), k.pid_file(), cfg.director_host.min_reload_interval);
    DirectorSync sync(cfg, client, apply);
    std::atomic<bool> stop{false};
    std::thread t([&] { sync.run([&] { return stop.load(); }); });
    EtcdClient probe(etcd_settings(cfg.director));
    auto applied = [&] { return probe.get_prefix(keys.applied_by("dir1"), true).kvs.size(); };
    const auto first = clock::now();
    while (applied() < static_cast<std::size_t>(nodes * kPerNode))
        std::this_thread::sleep_for(50ms);
    std::printf("# first convergence (a director's start): %.1f s\n", s_since(first));
    k.wait_reloads(1);
    const int before = k.reloads();

    // The lost nodes' leases end one after another over 2 s, as the leases of nodes dying at
    // different times expire (revoked here: to a director the same deletions, at set times).
    std::this_thread::sleep_for(cfg.director_host.min_reload_interval);  // past the start's reload
    const auto t0 = clock::now();
    for (int n = 0; n < lost; ++n) {
        nodes_client.lease_revoke(leases[n]);
        std::this_thread::sleep_for(2000ms / lost);
    }
    const double expired = s_since(t0);
    const std::size_t left = static_cast<std::size_t>((nodes - lost) * kPerNode);
    while (applied() > left) std::this_thread::sleep_for(20ms);
    const double converged = s_since(t0);
    // The reload that applied it has been asked for: let keepalived log it.
    k.wait_reloads(before + 1);
    std::printf(
        "settle %5lld ms: %d of %d nodes lost their leases (over %.2f s): converged "
        "%.2f s after the first, %d keepalived reload(s)\n",
        static_cast<long long>(settle.count()), lost, nodes, expired, converged,
        k.reloads() - before);
    stop = true;
    t.join();
}

TEST(DirectorHostBench, DISABLED_BurstOfLostLeases) {
    if (!test::etcd_installed() || !test::keepalived_installed()) GTEST_SKIP();
    spdlog::set_level(spdlog::level::warn);
    const char* env = std::getenv("VZLVS_BENCH_NODES");
    const int nodes = env ? std::atoi(env) : 1000;
    burst(1ms, nodes);
    burst(500ms, nodes);
}

}  // namespace
}  // namespace vzlvs
