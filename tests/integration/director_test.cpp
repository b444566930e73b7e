// vzlvs' gorb dialect against a real test-director process on loopback: registration,
// drain, repair of what the director holds.
#include "vzlvs/director/director.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>
#include <set>
#include <sstream>

#include "director/gorb/gorb.hpp"
#include "integration/gorb_test_support.hpp"
#include "support/director_server.hpp"

namespace vzlvs {
namespace {

using nlohmann::json;
using test::DirectorServer;
using test::DirectorServerOptions;
using test::ScratchDir;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace gorb_test;

TEST_F(DirectorTest, RegistersDrainsAndDeregisters) {
    EXPECT_EQ(director->ensure_service(web()), Change::changed);
    EXPECT_EQ(director->ensure_backend(ct101()), Change::changed);

    const json b = backend_on(srv, ct101());
    EXPECT_EQ(b["options"]["host"], "127.0.0.2");
    EXPECT_EQ(b["options"]["method"], "tunnel");
    EXPECT_EQ(b["options"]["weight"], 1 * kGorbWeightScale);
    EXPECT_EQ(b["options"]["pulse"]["type"], "http");
    EXPECT_EQ(b["options"]["pulse"]["args"]["path"], "/health");
    EXPECT_EQ(director->diff(ct101()).kind, DiffKind::ok);

    json during_drain;
    std::chrono::milliseconds waited{0};
    const auto change = drain_and_remove(*director, ct101(), std::chrono::seconds(7),
                                         [&](std::chrono::milliseconds d) {
                                             waited = d;
                                             during_drain = backend_on(srv, ct101());
                                         });
    EXPECT_EQ(change, "drained for 7000 ms and removed");
    EXPECT_EQ(waited, std::chrono::seconds(7));
    EXPECT_EQ(during_drain["options"]["weight"], 0);  // drained, still registered
    EXPECT_TRUE(backend_on(srv, ct101()).is_null());
    EXPECT_EQ(director->diff(ct101()).kind, DiffKind::missing);

    // A second drain finds nothing and does not wait.
    waited = std::chrono::milliseconds(0);
    EXPECT_EQ(drain_and_remove(*director, ct101(), std::chrono::seconds(7),
                               [&](std::chrono::milliseconds d) { waited = d; }),
              std::nullopt);
    EXPECT_EQ(waited.count(), 0);
    EXPECT_EQ(director->remove_backend(ct101()), Change::unchanged);
}

TEST_F(DirectorTest, ReRegistrationIsIdempotent) {
    director->ensure_service(web());
    director->ensure_backend(ct101());
    srv.clear_requests();
    EXPECT_EQ(director->ensure_service(web()), Change::unchanged);
    EXPECT_EQ(director->ensure_backend(ct101()), Change::unchanged);
    const json log = srv.requests();
    EXPECT_EQ(count(log, "PUT") + count(log, "PATCH") + count(log, "DELETE"), 0u) << log.dump();
}

TEST_F(DirectorTest, DirectorRestartLosingStateIsRepaired) {
    director->ensure_service(web());
    director->ensure_backend(ct101());
    srv.restart();  // same port, empty state; the client's kept-alive connection is dead
    EXPECT_EQ(director->diff(ct101()).kind, DiffKind::service_missing);
    EXPECT_EQ(director->ensure_service(web()), Change::changed);
    EXPECT_EQ(director->ensure_backend(ct101()), Change::changed);
    EXPECT_EQ(director->diff(ct101()).kind, DiffKind::ok);
}

TEST(DirectorState, StateFileSurvivesRestart) {
    ScratchDir dir;
    DirectorServerOptions o;
    o.args = {"--state-file", dir.path() + "/state.json"};
    DirectorServer srv(o);
    auto director = make_gorb_director(settings_for(srv));
    director->ensure_service(web());
    director->ensure_backend(ct101());
    srv.restart();
    EXPECT_EQ(director->diff(ct101()).kind, DiffKind::ok);
    EXPECT_EQ(director->ensure_backend(ct101()), Change::unchanged);
}

TEST_F(DirectorTest, ManualWeightChangeIsFixed) {
    director->ensure_service(web());
    director->ensure_backend(ct101());
    const auto path = "/service/web/" + ct101().id;
    ASSERT_EQ(srv.call("PATCH", path, R"({"weight": 700})"), 200);

    const auto d = director->diff(ct101());
    EXPECT_EQ(d.kind, DiffKind::weight_differs);
    EXPECT_THAT(d.detail, HasSubstr("weight 700, want 100"));
    srv.clear_requests();
    EXPECT_EQ(director->ensure_backend(ct101()), Change::changed);
    EXPECT_EQ(count(srv.requests(), "PATCH"), 1u);
    EXPECT_EQ(backend_on(srv, ct101())["options"]["weight"], 100);
    EXPECT_EQ(director->ensure_backend(ct101()), Change::unchanged);
}

TEST_F(DirectorTest, ChangedAddressOrHealthCheckIsRecreated) {
    director->ensure_service(web());
    director->ensure_backend(ct101());
    auto moved = ct101();
    moved.host = "127.0.0.3";
    EXPECT_EQ(director->diff(moved).kind, DiffKind::address_differs);
    EXPECT_EQ(director->ensure_backend(moved), Change::changed);
    EXPECT_EQ(backend_on(srv, moved)["options"]["host"], "127.0.0.3");

    moved.pulse = {"tcp", "10s", "/", 200};
    EXPECT_EQ(director->diff(moved).kind, DiffKind::pulse_differs);
    EXPECT_EQ(director->ensure_backend(moved), Change::changed);
    EXPECT_EQ(director->diff(moved).kind, DiffKind::ok);
}

TEST_F(DirectorTest, WrongMethodIsReportedAndRecreated) {
    director->ensure_service(web());
    auto nat = ct101();
    nat.method = "nat";
    director->ensure_backend(nat);
    const auto d = director->diff(ct101());
    EXPECT_EQ(d.kind, DiffKind::wrong_method);
    EXPECT_THAT(d.detail, HasSubstr("has method nat, want tunnel"));
    EXPECT_EQ(director->ensure_backend(ct101()), Change::changed);
    EXPECT_EQ(backend_on(srv, ct101())["options"]["method"], "tunnel");
}

TEST_F(DirectorTest, BackendIdUnderAnotherServiceIsAServiceMismatch) {
    director->ensure_service(web());
    director->ensure_service({"api", "127.0.0.100", 8080, "tcp", "wrr"});
    auto elsewhere = ct101();
    elsewhere.service_id = "api";
    director->ensure_backend(elsewhere);
    EXPECT_EQ(director->diff(ct101()).kind, DiffKind::service_mismatch);
}

TEST_F(DirectorTest, WeightReducedByHealthChecksIsNotDrift) {
    director->ensure_service(web());
    director->ensure_backend(ct101());
    srv.pulse(ct101().id, 1, 0.0);  // gorb: Down → weight 0, stash 100
    auto d = director->diff(ct101());
    EXPECT_EQ(d.kind, DiffKind::down);
    EXPECT_THAT(d.detail, HasSubstr("down by the director's health checks (status down"));
    srv.clear_requests();
    EXPECT_THROW(director->ensure_backend(ct101()), GorbError);
    EXPECT_EQ(count(srv.requests(), "PATCH"), 0u) << "a PATCH while down is undone by gorb";

    srv.pulse(ct101().id, 0, 0.5);  // recovering: int32(100 × 0.5) = 50, not truncated to 0
    d = director->diff(ct101());
    EXPECT_EQ(d.kind, DiffKind::reduced_by_health);
    EXPECT_THAT(d.detail, HasSubstr("weight 50, want 100"));

    srv.clear_requests();
    EXPECT_EQ(director->ensure_backend(ct101()), Change::unchanged);
    EXPECT_EQ(count(srv.requests(), "PATCH"), 0u);
}

// Defect 9 (issue 9): the umount hook drains to 0; gorb then stashes 0 when its check fails
// and restores 0 × health = 0 when it passes. vzlvs must not call that "reduced by health".
TEST_F(DirectorTest, DrainedBackendThatGorbRestoredToZeroIsPutBackAtItsWeight) {
    director->ensure_service(web());
    director->ensure_backend(ct101());
    ASSERT_EQ(director->set_weight(ct101(), 0), Change::changed);  // umount's drain
    srv.pulse(ct101().id, 1, 0.0);                                 // down: stash 0
    EXPECT_EQ(director->diff(ct101()).kind, DiffKind::down);
    srv.pulse(ct101().id, 0, 0.4);  // up again, still recovering: int32(0 × 0.4) = 0
    EXPECT_EQ(backend_on(srv, ct101())["options"]["weight"], 0);
    const auto d = director->diff(ct101());
    EXPECT_EQ(d.kind, DiffKind::weight_differs) << d.detail;
    EXPECT_EQ(director->ensure_backend(ct101()), Change::changed);
    srv.pulse(ct101().id, 0, 1.0);  // the stash is gone: the weight now sticks
    EXPECT_EQ(backend_on(srv, ct101())["options"]["weight"], 100);
    EXPECT_EQ(director->diff(ct101()).kind, DiffKind::ok);
}

TEST_F(DirectorTest, ExistingServiceWithOtherVipIsAMismatchError) {
    ASSERT_EQ(srv.call("PUT", "/service/web", R"({"host":"127.0.0.9","port":80})"), 200);
    EXPECT_EQ(director->diff_service(web()).kind, DiffKind::service_mismatch);
    try {
        director->ensure_service(web());
        FAIL() << "mismatch accepted";
    } catch (const GorbError& e) {
        EXPECT_EQ(e.method(), "GET");
        EXPECT_EQ(e.path(), "/service/web");
        EXPECT_THAT(e.what(), HasSubstr("address 127.0.0.9:80, want 127.0.0.100:80"));
        EXPECT_THAT(e.what(), HasSubstr("service web exists on the director with other settings"));
    }
}

TEST_F(DirectorTest, BackendWithoutServiceFailsClearly) {
    const auto msg = error_of([&] { director->ensure_backend(ct101()); });
    // The registration's PUT says it: no GET of the service (with all its backends) first.
    EXPECT_THAT(msg, HasSubstr("PUT /service/web/node1-101-web: HTTP 404"));
    EXPECT_THAT(msg, HasSubstr("service web is not registered: register the service first"));
}

}  // namespace
}  // namespace vzlvs
