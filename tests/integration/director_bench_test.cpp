// Benchmark, disabled by default (docs/director-api.md has the command and figures):
// registering 500 backends over one kept-alive connection vs a fresh handle per call.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <set>

#include "director/director.hpp"
#include "director/gorb.hpp"
#include "support/director_server.hpp"

namespace vzlvs {
namespace {

constexpr int kBackends = 500;

BackendSpec bench_backend(const std::string& service, int i) {
    BackendSpec b;
    b.service_id = service;
    b.id = backend_id("bench", std::to_string(i), service);
    b.host = "127.0.0.2";
    b.port = 80;
    b.pulse = {"tcp", "5s", "/", 200};
    return b;
}

std::size_t connections(test::DirectorServer& srv) {
    std::set<int> ports;
    for (const auto& r : srv.requests()) ports.insert(r["remote_port"].get<int>());
    return ports.size();
}

TEST(DirectorBench, DISABLED_Register500Backends) {
    test::DirectorServer srv;
    DirectorSettings s;
    s.url = srv.url();
    const auto level = spdlog::get_level();
    spdlog::set_level(spdlog::level::warn);
    using clock = std::chrono::steady_clock;
    auto ms = [](clock::duration d) {
        return std::chrono::duration<double, std::milli>(d).count();
    };

    auto shared = make_gorb_director(s);
    shared->ensure_service({"bench-a", "127.0.0.100", 80, "tcp", "wrr"});
    shared->ensure_service({"bench-b", "127.0.0.100", 81, "tcp", "wrr"});

    srv.clear_requests();
    auto t0 = clock::now();
    for (int i = 0; i < kBackends; ++i) shared->ensure_backend(bench_backend("bench-a", i));
    const double reused = ms(clock::now() - t0);
    const auto reused_conns = connections(srv);

    srv.clear_requests();
    t0 = clock::now();
    for (int i = 0; i < kBackends; ++i)
        make_gorb_director(s)->ensure_backend(bench_backend("bench-b", i));
    const double fresh = ms(clock::now() - t0);
    const auto fresh_conns = connections(srv);
    spdlog::set_level(level);

    std::printf(
        "register %d backends: one reused handle %.0f ms (%zu connection), "
        "fresh handle per call %.0f ms (%zu connections)\n",
        kBackends, reused, reused_conns, fresh, fresh_conns);
    EXPECT_EQ(reused_conns, 1u);
    EXPECT_EQ(fresh_conns, static_cast<std::size_t>(kBackends));
}

}  // namespace
}  // namespace vzlvs
