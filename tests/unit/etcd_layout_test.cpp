// The etcd layout's pure parts: base64 as etcd's gateway speaks it, the key names, stored
// values (a store anyone with write access may fill), what a director makes of a fleet, the
// keepalived text, and the [director] api = etcd / [director_host] configuration.
#include "vzlvs/director/etcd_layout.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vzlvs/config/config.hpp"
#include "vzlvs/director/etcd.hpp"
#include "vzlvs/director_host/fleet.hpp"
#include "vzlvs/director_host/keepalived.hpp"

namespace vzlvs {
namespace {

using ::testing::HasSubstr;

TEST(EtcdBase64, RoundTripsEveryLengthAndRefusesWhatIsNotBase64) {
    EXPECT_EQ(base64_encode("/a/x"), "L2EveA==");  // as etcd printed it
    EXPECT_EQ(base64_decode("aGVsbG8="), "hello");
    std::string bytes;
    for (int n = 0; n < 40; ++n) {
        EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes) << n;
        bytes += static_cast<char>(n * 37);
    }
    for (const char* bad : {"abc", "a=bc", "ab=c", "@@@@", "YQ==YQ=="})
        EXPECT_THROW(base64_decode(bad), Error) << bad;
}

TEST(EtcdKeys, PrefixEndAndParsing) {
    EXPECT_EQ(etcd_prefix_end("/vzlvs/v1/"), "/vzlvs/v10");
    EXPECT_EQ(etcd_prefix_end(std::string("a\xff", 2)), "b");
    const EtcdKeys k;
    EXPECT_EQ(k.backend("web", "n-101-web"), "/vzlvs/v1/backends/web/n-101-web");
    auto p = k.parse("/vzlvs/v1/applied/dir1/web/n-101-web");
    EXPECT_EQ(p.kind, EtcdKeys::Parsed::Kind::applied);
    EXPECT_EQ(p.director, "dir1");
    EXPECT_EQ(p.backend, "n-101-web");
    EXPECT_EQ(k.parse("/vzlvs/v1/backends/web/a/b").kind, EtcdKeys::Parsed::Kind::none);
    EXPECT_EQ(k.parse("/vzlvs/v1/backends/web/..").kind, EtcdKeys::Parsed::Kind::none);
    EXPECT_EQ(k.parse("/vzlvs/v2/services/web").kind, EtcdKeys::Parsed::Kind::none);
    EXPECT_EQ(k.parse("/other/v1/services/web").kind, EtcdKeys::Parsed::Kind::none);
}

TEST(EtcdValues, RoundTripAndRefuseHostileValues) {
    StoredBackend b;
    b.host = "10.0.0.1";
    b.port = 80;
    b.weight = 7;
    b.node = "n";
    b.ct = "101";
    b.check.type = "http";
    b.check.path = "/health";
    b.probe_ok = true;
    b.probe_at = 1700000000;
    const std::string text = to_json(b);
    EXPECT_THAT(text, HasSubstr("\"probe\":{\"at\":1700000000,\"ok\":true}"));
    const StoredBackend back = parse_backend("k", text);
    EXPECT_TRUE(back.same_as(b));
    EXPECT_EQ(back.probe_at, b.probe_at);
    const std::string key = "/vzlvs/v1/backends/web/x";
    for (const char* bad : {
             "[]",
             "{}",
             "{\"host\":\"10.0.0.1\",\"port\":0,\"weight\":1}",
             "{\"host\":\"evil\\n}\",\"port\":80,\"weight\":1}",
             "{\"host\":\"10.0.0.1\",\"port\":80,\"weight\":-1}",
             "{\"host\":\"10.0.0.1\",\"port\":80,\"weight\":1,\"state\":\"gone\"}",
             "{\"host\":\"10.0.0.1\",\"port\":80,\"weight\":1,\"check\":{\"path\":\"/ }\\ninclude "
             "/x\"}}",
         })
        EXPECT_THROW(parse_backend(key, bad), Error) << bad;
    EXPECT_THROW(parse_backend(key, std::string(5000, ' ')), Error);
    EXPECT_THROW(parse_service("k",
                               "{\"vip\":\"1.2.3.4\",\"port\":80,\"protocol\":\"tcp\","
                               "\"scheduler\":\"wrr; include\"}"),
                 Error);
    EXPECT_EQ(parse_applied("k", applied_json(5)), 5);
}

EtcdKv kv(const std::string& key, const std::string& value) { return {key, value, 1, 1, 0}; }

TEST(Fleet, KeepsWhatKeepalivedCanTakeAndSaysWhatItIgnored) {
    const EtcdKeys k;
    const std::string svc =
        "{\"vip\":\"192.0.2.10\",\"port\":80,\"protocol\":\"tcp\","
        "\"scheduler\":\"wrr\",\"method\":\"tunnel\"}";
    auto be = [](const std::string& host, const std::string& state = "active") {
        return "{\"host\":\"" + host + "\",\"port\":80,\"weight\":3,\"state\":\"" + state + "\"}";
    };
    const Fleet f = fleet_of(
        {
            kv(k.backend("web", "a-1-web"), be("10.0.0.1")),  // before its service
            kv(k.service("web"), svc),
            kv(k.service("web2"), svc),                       // same VIP:port/protocol
            kv(k.backend("web", "b-1-web"), be("10.0.0.1")),  // same real server
            kv(k.backend("web", "c-1-web"), be("10.0.0.3", "draining")),
            kv(k.backend("nosuch", "d-1-nosuch"), be("10.0.0.4")),
            kv(k.backend("web", "e-1-web"), "not json"),
            kv(k.applied("dir1", "web", "a-1-web"), applied_json(3)),
        },
        k, 42);
    EXPECT_EQ(f.revision, 42);
    ASSERT_EQ(f.services.size(), 1u);
    const auto& web = f.services.at("web");
    EXPECT_EQ(web.backends.size(), 2u);
    EXPECT_EQ(Fleet::weight_of(web.backends.at("c-1-web")), 0);
    EXPECT_EQ(f.ignored.size(), 4u);
    const std::string text = render_keepalived(f);
    EXPECT_THAT(text, HasSubstr("virtual_server 192.0.2.10 80 {"));
    EXPECT_THAT(text, HasSubstr("real_server 10.0.0.1 80 {\n        weight 3\n        TCP_CHECK"));
    EXPECT_THAT(text,
                HasSubstr("# c-1-web (draining)\n    real_server 10.0.0.3 80 {\n        weight 0"));
}

TEST(EtcdConfig, EachDialectReadsItsOwnKeys) {
    const Config c = parse_config(
        "[node]\nname = n\n[director]\napi = etcd\n"
        "endpoints = http://10.0.0.1:2379, https://10.0.0.2:2379/\nprefix = /lvs/prod\n"
        "lease_ttl = 15s\n[director_host]\nsettle = 1s\n",
        "t.conf");
    EXPECT_EQ(c.director.endpoints,
              (std::vector<std::string>{"http://10.0.0.1:2379", "https://10.0.0.2:2379"}));
    EXPECT_EQ(c.director.prefix, "/lvs/prod");
    EXPECT_EQ(c.director.lease_ttl, std::chrono::seconds(15));
    EXPECT_TRUE(c.director.configured());
    EXPECT_TRUE(c.director_host.present);
    EXPECT_EQ(c.director_host.name, "n");
    EXPECT_EQ(parse_config(render_config(c), "t.conf"), c) << render_config(c);

    auto problem = [](const std::string& text) {
        try {
            parse_config("[node]\nname = n\n" + text, "t.conf");
        } catch (const ConfigError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    EXPECT_THAT(problem("[director]\napi = etcd\nurl = http://x:1\n"),
                HasSubstr("api = etcd reads endpoints, not url"));
    EXPECT_THAT(problem("[director]\nurl = http://x:1\nendpoints = http://x:2379\n"),
                HasSubstr("only api = etcd reads endpoints"));
    EXPECT_THAT(problem("[director]\napi = etcd\n"), HasSubstr("api = etcd needs endpoints"));
    EXPECT_THAT(problem("[director]\napi = etcd\nendpoints = http://x:2379\nlease_ttl = 1s\n"),
                HasSubstr("whole seconds from 2s to 1h"));
    EXPECT_THAT(problem("[director]\napi = etcd\nendpoints = http://x:2379\nprefix = vzlvs/\n"),
                HasSubstr("is not a key prefix"));
    EXPECT_THAT(problem("[director]\napi = etcd\nendpoints = http://x:2379\nuser = root\n"),
                HasSubstr("needs password_file"));
    EXPECT_THAT(problem("[director_host]\napply = lvs\n"), HasSubstr("keepalived"));
}

}  // namespace
}  // namespace vzlvs
