// Benchmarks, disabled by default (docs/benchmarks.md has the commands and figures):
// - registering N backends into one service with one director handle (one kept-alive
//   connection), against one curl process per backend, which is what a per-CT shell script
//   does; N from VZLVS_BENCH_BACKENDS ("1000 2000 5000"; default 500), each N on a fresh
//   test director;
// - one kept-alive connection against a fresh handle per call.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "director/gorb/gorb.hpp"
#include "director/gorb/gorb_json.hpp"
#include "support/director_server.hpp"
#include "vzlvs/base/process.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs {
namespace {

using clock = std::chrono::steady_clock;

double ms_since(clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
}

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

class QuietLog {
  public:
    QuietLog() : level_(spdlog::get_level()) { spdlog::set_level(spdlog::level::warn); }
    ~QuietLog() { spdlog::set_level(level_); }

  private:
    spdlog::level::level_enum level_;
};

TEST(DirectorBench, DISABLED_RegisterNBackendsAgainstOneCurlEach) {
    const char* env = std::getenv("VZLVS_BENCH_BACKENDS");
    std::istringstream sizes(env && *env ? env : "500");
    auto runner = make_process_runner();
    QuietLog quiet;
    for (int n; sizes >> n;) {
        test::DirectorServer srv;
        HttpSettings s;
        s.base_url = srv.url();
        auto d = make_gorb_director(s);
        d->ensure_service({"bench-a", "127.0.0.100", 80, "tcp", "wrr"});
        d->ensure_service({"bench-b", "127.0.0.100", 81, "tcp", "wrr"});

        auto t0 = clock::now();
        for (int i = 0; i < n; ++i)
            ASSERT_EQ(d->ensure_backend(bench_backend("bench-a", i)), Change::changed);
        const double vzlvs_ms = ms_since(t0);

        t0 = clock::now();
        for (int i = 0; i < n; ++i) {
            const BackendSpec b = bench_backend("bench-b", i);
            const RunResult r = runner->run({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                                             "-X", "PUT", "--data-binary", gorb_backend_body(b),
                                             srv.url() + gorb::backend_path(b)});
            ASSERT_EQ(r.out, "200") << r.err;
        }
        const double curl_ms = ms_since(t0);
        std::printf(
            "register %d backends in one service: vzlvs, one handle %.0f ms (%.0f us each); "
            "one curl per backend %.0f ms (%.0f us each); %.1fx\n",
            n, vzlvs_ms, 1000 * vzlvs_ms / n, curl_ms, 1000 * curl_ms / n, curl_ms / vzlvs_ms);
        // Every one is there, and a second pass changes nothing.
        for (int i = 0; i < n; i += n / 10)
            EXPECT_EQ(d->ensure_backend(bench_backend("bench-a", i)), Change::unchanged);
    }
}

TEST(DirectorBench, DISABLED_Register500Backends) {
    constexpr int kBackends = 500;
    test::DirectorServer srv;
    HttpSettings s;
    s.base_url = srv.url();
    QuietLog quiet;

    auto shared = make_gorb_director(s);
    shared->ensure_service({"bench-a", "127.0.0.100", 80, "tcp", "wrr"});
    shared->ensure_service({"bench-b", "127.0.0.100", 81, "tcp", "wrr"});

    srv.clear_requests();
    auto t0 = clock::now();
    for (int i = 0; i < kBackends; ++i) shared->ensure_backend(bench_backend("bench-a", i));
    const double reused = ms_since(t0);
    const auto reused_conns = connections(srv);

    srv.clear_requests();
    t0 = clock::now();
    for (int i = 0; i < kBackends; ++i)
        make_gorb_director(s)->ensure_backend(bench_backend("bench-b", i));
    const double fresh = ms_since(t0);
    const auto fresh_conns = connections(srv);

    std::printf(
        "register %d backends: one reused handle %.0f ms (%zu connection), "
        "fresh handle per call %.0f ms (%zu connections)\n",
        kBackends, reused, reused_conns, fresh, fresh_conns);
    EXPECT_EQ(reused_conns, 1u);
    EXPECT_EQ(fresh_conns, static_cast<std::size_t>(kBackends));
}

}  // namespace
}  // namespace vzlvs
