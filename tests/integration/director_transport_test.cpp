// vzlvs' gorb dialect against a real test-director process on loopback: how it speaks
// HTTP (retries, timeouts, bounded and malformed replies, one connection, TLS, the token).
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
#include "vzlvs/director/director.hpp"

namespace vzlvs {
namespace {

using nlohmann::json;
using test::DirectorServer;
using test::DirectorServerOptions;
using test::ScratchDir;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace gorb_test;

TEST_F(DirectorTest, ServerErrorsAreRetriedThenReported) {
    srv.fail("500");
    srv.clear_requests();
    try {
        director->ensure_service(web());
        FAIL() << "no error";
    } catch (const GorbError& e) {
        EXPECT_EQ(e.status(), 500);
        EXPECT_EQ(e.method(), "GET");
        EXPECT_EQ(e.path(), "/service/web");
        EXPECT_EQ(e.director_message(), "error while calling into IPVS: injected failure");
        EXPECT_THAT(e.what(), HasSubstr("GET /service/web: HTTP 500: error while calling into"));
    }
    EXPECT_EQ(srv.requests().size(), 4u);  // first attempt + retries = 3
}

TEST_F(DirectorTest, TransientServerErrorsAreRidden) {
    srv.fail("503", 2);
    EXPECT_EQ(director->ensure_service(web()), Change::changed);
    EXPECT_EQ(director->diff_service(web()).kind, DiffKind::ok);
}

TEST_F(DirectorTest, ClientErrorsAreNotRetried) {
    srv.fail("400");
    srv.clear_requests();
    const auto msg = error_of([&] { director->ensure_service(web()); });
    EXPECT_THAT(msg, HasSubstr("GET /service/web: HTTP 400: injected failure 400"));
    EXPECT_EQ(srv.requests().size(), 1u);

    srv.fail("none");
    srv.clear_requests();
    auto bad = web();
    bad.port = 0;
    const auto put = error_of([&] { director->ensure_service(bad); });
    EXPECT_THAT(put, HasSubstr("PUT /service/web: HTTP 400: endpoint information is missing"));
    EXPECT_EQ(count(srv.requests(), "PUT"), 1u);
}

TEST_F(DirectorTest, DirectorValidationErrorsAreShown) {
    director->ensure_service(web());
    auto b = ct101();
    b.pulse.type = "icmp";
    EXPECT_THAT(error_of([&] { director->ensure_backend(b); }),
                HasSubstr("HTTP 400: specified pulse type is unknown"));
    b = ct101();
    b.pulse.interval = "5 parsecs";
    EXPECT_THAT(error_of([&] { director->ensure_backend(b); }),
                HasSubstr("HTTP 400: unable to parse interval"));
}

TEST_F(DirectorTest, SlowDirectorTimesOut) {
    auto s = settings_for(srv);
    s.timeout = std::chrono::milliseconds(200);
    s.retries = 1;
    auto impatient = make_gorb_director(s);
    srv.fail("slow", -1, 3000);
    srv.clear_requests();
    const auto msg = error_of([&] { impatient->ensure_service(web()); });
    EXPECT_THAT(msg, HasSubstr("GET /service/web: no response: Timeout was reached"));
    EXPECT_THAT(msg, HasSubstr("after 2 attempts"));
    EXPECT_EQ(srv.requests().size(), 2u);
}

TEST_F(DirectorTest, MalformedReplyIsRejected) {
    srv.fail("malformed");
    srv.clear_requests();
    const auto msg = error_of([&] { director->diff(ct101()); });
    EXPECT_THAT(msg, HasSubstr("GET /service/web/node1-101-web: HTTP 200: malformed reply"));
    EXPECT_EQ(srv.requests().size(), 1u);
}

TEST_F(DirectorTest, TruncatedReplyIsRejected) {
    srv.fail("truncated");
    const auto msg = error_of([&] { director->diff(ct101()); });
    EXPECT_THAT(msg, HasSubstr("GET /service/web/node1-101-web: no response: truncated response"));
}

TEST_F(DirectorTest, HugeReplyIsRejected) {
    srv.fail("huge");
    srv.clear_requests();
    const auto msg = error_of([&] { director->diff(ct101()); });
    EXPECT_THAT(msg, HasSubstr("response larger than 1048576 bytes rejected"));
    EXPECT_EQ(srv.requests().size(), 1u);
    srv.fail("none");
    EXPECT_EQ(director->diff(ct101()).kind, DiffKind::service_missing);  // client still usable
}

TEST(DirectorRefused, ConnectionErrorsAreRetriedThenReported) {
    auto s = [] {
        DirectorServer srv;
        return settings_for(srv);
    }();  // the server is gone: its port refuses connections
    auto director = make_gorb_director(s);
    try {
        director->ensure_service(web());
        FAIL() << "no error";
    } catch (const GorbError& e) {
        EXPECT_EQ(e.status(), 0);
        EXPECT_THAT(e.what(), HasSubstr("GET /service/web: no response: Couldn't connect"));
        EXPECT_THAT(e.what(), HasSubstr("after 4 attempts"));
    }
}

TEST_F(DirectorTest, FiveHundredCallsUseOneConnection) {
    director->ensure_service(web());
    srv.clear_requests();
    const auto level = spdlog::get_level();
    spdlog::set_level(spdlog::level::warn);  // 500 "registered" lines say nothing new
    for (int i = 0; i < 500; ++i) {
        auto b = ct101();
        b.id = backend_id("node1", std::to_string(1000 + i), "web");
        director->ensure_backend(b);
    }
    spdlog::set_level(level);
    std::set<int> ports;
    const json log = srv.requests();
    for (const auto& r : log) ports.insert(r["remote_port"].get<int>());
    EXPECT_EQ(count(log, "PUT"), 500u);
    EXPECT_EQ(ports.size(), 1u);
}

TEST(DirectorTls, VerifiesAgainstThePinnedCa) {
    ScratchDir dir;
    test::TestCa ca(dir.path());
    DirectorServerOptions o;
    o.tls_cert = ca.server_cert;
    o.tls_key = ca.server_key;
    o.ca_file = ca.ca_cert;
    DirectorServer srv(o);
    ASSERT_EQ(srv.url().rfind("https://", 0), 0u);

    auto s = settings_for(srv);
    s.ca_file = ca.ca_cert;
    EXPECT_EQ(make_gorb_director(s)->ensure_service(web()), Change::changed);

    s.ca_file.clear();  // system CAs do not know our test CA
    srv.clear_requests();
    try {
        make_gorb_director(s)->ensure_service(web());
        FAIL() << "untrusted certificate accepted";
    } catch (const GorbError& e) {
        EXPECT_EQ(e.status(), 0);
        EXPECT_THAT(e.what(), HasSubstr("certificate"));
        EXPECT_THAT(e.what(), Not(HasSubstr("attempts")));  // not retried
    }
    EXPECT_EQ(srv.requests().size(), 0u);  // nothing got through
}

TEST(DirectorUrl, RejectsUnknownScheme) {
    HttpSettings s;
    s.base_url = "ftp://127.0.0.1:1";
    EXPECT_THROW(make_gorb_director(s), UsageError);
}

class DirectorTokenTest : public ::testing::Test {
  protected:
    const std::string token = "s3cr3t-T0ken-value";
    ScratchDir dir;
    DirectorServer srv{DirectorServerOptions{{"--token", token}, {}, {}, {}}};
    std::string token_file = dir.path() + "/token";
    std::ostringstream log;

    void SetUp() override {
        std::ofstream(token_file) << token << "\n";
        chmod(token_file.c_str(), 0600);
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
        auto logger = std::make_shared<spdlog::logger>("capture", sink);
        logger->set_level(spdlog::level::trace);
        previous_ = spdlog::default_logger();
        spdlog::set_default_logger(logger);
    }
    void TearDown() override {
        spdlog::set_default_logger(previous_);
        EXPECT_THAT(log.str(), Not(HasSubstr(token)));
    }

  private:
    std::shared_ptr<spdlog::logger> previous_;
};

TEST_F(DirectorTokenTest, SendsTheTokenAsBearer) {
    auto s = settings_for(srv);
    s.token_file = token_file;
    auto director = make_gorb_director(s);
    EXPECT_EQ(director->ensure_service(web()), Change::changed);
    EXPECT_EQ(director->ensure_backend(ct101()), Change::changed);
    const json log_entries = srv.requests();
    ASSERT_FALSE(log_entries.empty());
    for (const auto& r : log_entries) EXPECT_TRUE(r["authorization"].get<bool>()) << r.dump();
    EXPECT_THAT(log.str(), HasSubstr("registered backend node1-101-web"));

    srv.fail("500");
    EXPECT_THAT(error_of([&] { director->diff(ct101()); }), Not(HasSubstr(token)));
}

TEST_F(DirectorTokenTest, MissingOrWrongTokenIs401NotRetried) {
    auto s = settings_for(srv);
    srv.clear_requests();
    EXPECT_THAT(error_of([&] { make_gorb_director(s)->ensure_service(web()); }),
                HasSubstr("GET /service/web: HTTP 401: missing or invalid bearer token"));
    EXPECT_EQ(srv.requests().size(), 1u);

    std::ofstream(token_file) << "wrong-" << token << "\n";
    s.token_file = token_file;
    const auto msg = error_of([&] { make_gorb_director(s)->ensure_service(web()); });
    EXPECT_THAT(msg, HasSubstr("HTTP 401"));
    EXPECT_THAT(msg, Not(HasSubstr(token)));
}

TEST_F(DirectorTokenTest, GroupReadableTokenFileIsRefused) {
    chmod(token_file.c_str(), 0644);
    auto s = settings_for(srv);
    s.token_file = token_file;
    try {
        make_gorb_director(s);
        FAIL() << "0644 token file accepted";
    } catch (const UsageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("has mode 0644"));
        EXPECT_THAT(e.what(), HasSubstr("chmod 600 " + token_file));
        EXPECT_THAT(e.what(), Not(HasSubstr(token)));
    }
    EXPECT_EQ(srv.requests().size(), 0u);
}

TEST(DirectorIpvsadm, DryRunPrintsTheArgvItWouldRun) {
    DirectorServerOptions o;
    o.args = {"--ipvsadm", "/usr/sbin/ipvsadm", "--ipvsadm-dry-run"};
    DirectorServer srv(o);
    auto director = make_gorb_director(settings_for(srv));
    director->ensure_service(web());
    director->ensure_backend(ct101());
    drain_and_remove(*director, ct101(), std::chrono::milliseconds(0));
    const std::string p = "ipvsadm: /usr/sbin/ipvsadm ";
    EXPECT_TRUE(srv.wait_for_line(p + "-A -t 127.0.0.100:80 -s wrr"));
    EXPECT_TRUE(srv.wait_for_line(p + "-a -t 127.0.0.100:80 -r 127.0.0.2:80 -i -w 100"));
    EXPECT_TRUE(srv.wait_for_line(p + "-e -t 127.0.0.100:80 -r 127.0.0.2:80 -i -w 0"));
    EXPECT_TRUE(srv.wait_for_line(p + "-d -t 127.0.0.100:80 -r 127.0.0.2:80"));
}

}  // namespace
}  // namespace vzlvs
