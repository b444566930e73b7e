// Director pieces that need no server: IDs, weight scaling, request bodies, token files, errors.
#include "vzlvs/director/director.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "director/gorb/gorb.hpp"
#include "director/http/http_client.hpp"

namespace vzlvs {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(DirectorId, AcceptsTheUrlSafeAlphabet) {
    EXPECT_TRUE(is_valid_director_id("web"));
    EXPECT_TRUE(is_valid_director_id("node-1.example_2-101-web"));
    EXPECT_TRUE(is_valid_director_id(std::string(128, 'a')));
}

TEST(DirectorId, RejectsWhatWouldBreakTheUrlPath) {
    for (const std::string& bad : std::vector<std::string>{
             "", std::string(129, 'a'), "a/b", "a b", "..", ".", "a%2fb", "a?x", "a#b", "ü", "a\n"})
        EXPECT_FALSE(is_valid_director_id(bad)) << bad;
    try {
        validate_director_id("service ID", "we/b");
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("service ID 'we/b' is not a valid director ID"));
        EXPECT_THAT(e.what(), HasSubstr("1 to 128"));
    }
}

TEST(DirectorId, BackendIdIsNodeCtidService) {
    EXPECT_EQ(backend_id("node1", "101", "web"), "node1-101-web");
    EXPECT_THROW(backend_id("node 1", "101", "web"), UsageError);
    EXPECT_THROW(backend_id(std::string(121, 'n'), "101", "web"), UsageError);  // 129
}

TEST(GorbWeight, ScalesConfiguredWeights) {
    EXPECT_EQ(gorb_weight(0), 0);
    EXPECT_EQ(gorb_weight(1), kGorbWeightScale);
    EXPECT_EQ(gorb_weight(3), 3 * kGorbWeightScale);
    EXPECT_THROW(gorb_weight(-1), UsageError);
    EXPECT_THAT(
        [] {
            try {
                gorb_weight(2000000000);
            } catch (const UsageError& e) {
                return std::string(e.what());
            }
            return std::string();
        }(),
        HasSubstr("multiplied by 100"));
}

TEST(GorbBody, ServiceCarriesVipPortProtocolScheduler) {
    const json j = json::parse(gorb_service_body({"web", "127.0.0.100", 80, "TCP", "wlc"}));
    EXPECT_EQ(j,
              json::parse(R"({"host":"127.0.0.100","port":80,"protocol":"tcp","method":"wlc"})"));
}

TEST(GorbBody, BackendIsTunnelWithScaledWeightAndPulse) {
    BackendSpec b;
    b.service_id = "web";
    b.id = "node1-101-web";
    b.host = "127.0.0.2";
    b.port = 8080;
    b.weight = 2;
    b.pulse = {"http", "5s", "/health", 204};
    const json j = json::parse(gorb_backend_body(b));
    EXPECT_EQ(j["host"], "127.0.0.2");
    EXPECT_EQ(j["port"], 8080);
    EXPECT_EQ(j["weight"], 200);
    EXPECT_EQ(j["method"], "tunnel");
    EXPECT_EQ(
        j["pulse"],
        json::parse(R"({"type":"http","interval":"5s","args":{"path":"/health","expect":204}})"));
    EXPECT_FALSE(j.contains("vsid"));
}

TEST(GorbBody, NonHttpPulseHasNoArgsButKeepsTheInterval) {
    BackendSpec b;
    b.host = "127.0.0.2";
    b.port = 53;
    b.method = "IPIP";
    b.pulse = {"none", "30s", "/", 200};
    const json j = json::parse(gorb_backend_body(b));
    EXPECT_EQ(j["method"], "tunnel");
    EXPECT_EQ(j["pulse"], json::parse(R"({"type":"none","interval":"30s"})"));
}

TEST(DirectorErrorText, NamesMethodPathStatusAndDirectorText) {
    const GorbError e("PUT", "/service/web/n-1-web", 500, "error while calling into IPVS",
                      "register backend n-1-web");
    EXPECT_STREQ(e.what(),
                 "director: register backend n-1-web: PUT /service/web/n-1-web: HTTP 500: error "
                 "while calling into IPVS");
    const GorbError none("GET", "/service/web", 0, "Couldn't connect to server");
    EXPECT_STREQ(none.what(),
                 "director: GET /service/web: no response: Couldn't connect to server");
}

TEST(DiffKindText, IsReadable) {
    EXPECT_STREQ(to_string(DiffKind::reduced_by_health), "reduced by health checks");
    EXPECT_STREQ(to_string(DiffKind::weight_differs), "weight differs");
}

class TokenFile : public ::testing::Test {
  protected:
    std::string dir;
    std::string path;
    void SetUp() override {
        std::string tmpl = std::filesystem::temp_directory_path() / "vzlvs-token-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
        dir = tmpl;
        path = dir + "/token";
    }
    void TearDown() override { std::filesystem::remove_all(dir); }
    void write(const std::string& text, mode_t mode) {
        std::ofstream(path) << text;
        chmod(path.c_str(), mode);
    }
};

TEST_F(TokenFile, OwnerOnlyFileIsReadAndTrimmed) {
    write("  abc.DEF-123\n", 0600);
    EXPECT_EQ(read_token_file(path), "abc.DEF-123");
    write("abc", 0400);
    EXPECT_EQ(read_token_file(path), "abc");
}

TEST_F(TokenFile, GroupOrOtherReadableIsRefusedWithTheFix) {
    write("topsecret", 0640);
    try {
        read_token_file(path);
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_THAT(e.what(), HasSubstr("has mode 0640"));
        EXPECT_THAT(e.what(), HasSubstr("chmod 600 " + path));
        EXPECT_THAT(e.what(), Not(HasSubstr("topsecret")));
    }
}

TEST_F(TokenFile, EmptyMultiLineOrMissingIsRefused) {
    write("\n", 0600);
    EXPECT_THROW(read_token_file(path), UsageError);
    write("abc\nX-Injected: 1\n", 0600);
    EXPECT_THROW(read_token_file(path), UsageError);
    EXPECT_THROW(read_token_file(dir + "/absent"), UsageError);
}

TEST(RedactUrl, DropsUserinfo) {
    EXPECT_EQ(redact_url("https://user:pw@dir.example:4672/x"), "https://dir.example:4672/x");
    EXPECT_EQ(redact_url("http://127.0.0.1:4672"), "http://127.0.0.1:4672");
}

TEST(HttpClientSettings, RefusesUrlsThatAreNotHttp) {
    HttpSettings s;
    s.base_url = "127.0.0.1:4672";
    EXPECT_THROW(HttpClient{s}, UsageError);
    s.base_url = "file:///etc/passwd";
    EXPECT_THROW(HttpClient{s}, UsageError);
}

// A loopback port that refuses connections: bound (so nobody else gets it) but not listening.
class RefusingPort {
  public:
    RefusingPort() {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
    }
    ~RefusingPort() { close(fd_); }
    int port() const { return port_; }

  private:
    int fd_ = -1;
    int port_ = 0;
};

TEST(HttpClientRetry, BacksOffExponentiallyWithJitterThenNamesTheRequest) {
    RefusingPort refused;
    HttpSettings s;
    s.base_url = "http://127.0.0.1:" + std::to_string(refused.port());
    s.retries = 4;
    s.backoff = std::chrono::milliseconds(100);
    s.max_backoff = std::chrono::milliseconds(300);
    HttpClient http(s);
    std::vector<std::chrono::milliseconds> waits;
    http.set_sleeper([&](std::chrono::milliseconds d) { waits.push_back(d); });
    try {
        http.request("PUT", "/service/web", "{}");
        FAIL() << "refused port answered";
    } catch (const HttpError& e) {
        EXPECT_EQ(e.attempts(), 5);
        EXPECT_THAT(e.what(), HasSubstr("PUT /service/web: Couldn't connect to server"));
        EXPECT_THAT(e.what(), HasSubstr("(after 5 attempts)"));
    }
    ASSERT_EQ(waits.size(), 4u);
    const long long caps[] = {100, 200, 300, 300};  // doubled, capped at max_backoff
    for (std::size_t i = 0; i < waits.size(); ++i) {
        EXPECT_GE(waits[i].count(), caps[i] / 2) << i;
        EXPECT_LE(waits[i].count(), caps[i]) << i;
    }
}

}  // namespace
}  // namespace vzlvs
