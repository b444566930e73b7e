// The config file: syntax, how problems are reported, cross-section rules, render
// round-trip, the built-in example, loading from a file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>

#include "unit/config_test_support.hpp"
#include "vzlvs/config/config.hpp"
#include "vzlvs/config/validate.hpp"

namespace vzlvs {
namespace {

using namespace std::chrono_literals;
using namespace config_test;

TEST(ConfigSyntax, SemicolonAfterABlankIsACommentHashIsNot) {
    Config c = parse_config("; comment\n# comment\n[node] ; node\nname = edge-1 ; the node\n", "t");
    EXPECT_EQ(c.node.name, "edge-1");
    ConfigProblem p = problem_of("[node]\nname = edge-1 # the node\n");
    EXPECT_EQ(p.line, 2);
    EXPECT_NE(p.message.find("# starts a comment only at the beginning of a line"),
              std::string::npos)
        << p.message;
}

TEST(ConfigSyntax, IndentedLinesAreNotJoinedToTheKeyAbove) {
    // inih would append "eth1" to uplinks as a second value; here it is a line of its own.
    ConfigProblem p = problem_of("[node]\nuplinks = eth0\n    eth1\n");
    EXPECT_EQ(p.line, 3);
    EXPECT_EQ(p.section, "node");
    EXPECT_NE(p.message.find("expected `key = value`, got `eth1`"), std::string::npos);
    // Indented keys are fine.
    EXPECT_EQ(parse_config("[node]\n  name = edge-2\n", "t").node.name, "edge-2");
}

TEST(ConfigSyntax, CrLfLineEndsAndByteOrderMarkAreAccepted) {
    Config c = parse_config("\xEF\xBB\xBF[node]\r\nname = edge-3\r\n", "t");
    EXPECT_EQ(c.node.name, "edge-3");
}

TEST(ConfigSyntax, KeysOutsideSectionsDuplicatesAndBrokenHeaders) {
    auto problems = problems_of(
        "name = early\n"      // 1: outside any section
        "[node]\n"            // 2
        "name = a\n"          // 3
        "name = b\n"          // 4: duplicate key
        "[node]\n"            // 5: duplicate section
        "name = c\n"          // 6: ignored with its section
        "[service web\n"      // 7: no ]
        "[director] extra\n"  // 8: text after ]
        "[service]\n"         // 9: no name
        "[node x]\n"          // 10: node takes no name
        "= value\n");         // 11: under an ignored header: not reported again
    ASSERT_EQ(problems.size(), 7U);
    EXPECT_EQ(problems[0].line, 1);
    EXPECT_EQ(problems[0].key, "name");
    EXPECT_NE(problems[0].message.find("key outside any section"), std::string::npos);
    EXPECT_EQ(problems[1].line, 4);
    EXPECT_NE(problems[1].message.find("duplicate key; it is already set at line 3"),
              std::string::npos);
    EXPECT_EQ(problems[2].line, 5);
    EXPECT_NE(problems[2].message.find("already defined at line 2"), std::string::npos);
    EXPECT_EQ(problems[3].line, 7);
    EXPECT_NE(problems[3].message.find("no closing `]`"), std::string::npos);
    EXPECT_EQ(problems[4].line, 8);
    EXPECT_NE(problems[4].message.find("after `]`"), std::string::npos);
    EXPECT_EQ(problems[5].line, 9);
    EXPECT_NE(problems[5].message.find("write [service NAME]"), std::string::npos);
    EXPECT_EQ(problems[6].line, 10);
    EXPECT_NE(problems[6].message.find("takes no name"), std::string::npos);
}

TEST(ConfigSyntax, UnknownSectionAndKeyGetASuggestion) {
    ConfigProblem s = problem_of("[servce web]\nvip = 192.0.2.1\n");
    EXPECT_EQ(s.line, 1);
    EXPECT_EQ(s.section, "servce web");
    EXPECT_NE(s.message.find("unknown section"), std::string::npos);
    EXPECT_NE(s.message.find("did you mean `service`?"), std::string::npos) << s.message;

    ConfigProblem k = problem_of("[service web]\nvip = 192.0.2.1\nprot = 80\nport = 80\n");
    EXPECT_EQ(k.str(),
              "test.conf:3: [service web] prot: unknown key in [service NAME]; allowed: vip, "
              "port, protocol, scheduler, check, check_path, check_expect, check_interval, "
              "probe_payload; did "
              "you mean `port`?");

    ConfigProblem far = problem_of("[node]\ncolour = blue\n");
    EXPECT_EQ(far.message.find("did you mean"), std::string::npos) << far.message;
}

TEST(ConfigSyntax, LongLineIsRejectedNotCut) {
    std::string path199 = "/" + std::string(199 - 9, 'p');  // "vzctl = " + path = 199
    std::string ok = "[node]\nvzctl = " + path199 + "\nvenet = bad/name\n";
    // 199 characters are accepted whole, and the line after keeps its number.
    ConfigProblem after = problem_of(ok);
    EXPECT_EQ(after.line, 3);
    EXPECT_EQ(after.key, "venet");
    std::string good = "[node]\nvzctl = " + path199 + "\n";
    EXPECT_EQ(parse_config(good, "t").node.vzctl.string(), path199);

    std::string long_line = "[node]\nvzctl = " + path199 + "x\nvenet = eth0\n";
    ConfigProblem p = problem_of(long_line);
    EXPECT_EQ(p.str(),
              "test.conf:2: [node] vzctl: line is 200 characters; the longest accepted is 199");
}

TEST(ConfigSyntax, ControlCharactersAreRejected) {
    ConfigProblem p = problem_of(std::string("[node]\nname = a\x01z\n"));
    EXPECT_EQ(p.line, 2);
    EXPECT_NE(p.message.find("control character 0x01 at column 9"), std::string::npos) << p.message;
}

TEST(ConfigErrors, AllProblemsAreReportedOneLineEach) {
    std::string text =
        "[node]\n"
        "restart = sometimes\n"
        "[director]\n"
        "retries = 99\n"
        "[service web]\n"
        "vip = 192.0.2.10\n"
        "port = 80\n"
        "[container 101]\n"
        "services = web\n"
        "weight = heavy\n";
    try {
        parse_config(text, "/etc/vzlvs/vzlvs.conf");
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 3U);
        EXPECT_EQ(e.exit(), Exit::usage);
        std::string what = e.what();
        EXPECT_EQ(what,
                  "/etc/vzlvs/vzlvs.conf:2: [node] restart: \"sometimes\" is not allowed; "
                  "allowed: never, auto\n"
                  "/etc/vzlvs/vzlvs.conf:4: [director] retries: 99 is out of range; allowed: 0 "
                  "to 10\n"
                  "/etc/vzlvs/vzlvs.conf:10: [container 101] weight: \"heavy\" is not a whole "
                  "number; allowed: 1 to 65535");
    }
}

TEST(ConfigCrossChecks, TwoContainersSharingAVipIsAnError) {
    ConfigProblem p = problem_of(
        "[service web]\nvip = 192.0.2.10\nport = 80\n"
        "[service web-tls]\nvip = 192.0.2.10\nport = 443\n"
        "[container 101]\nservices = web\n"
        "[container 102]\nservices = web-tls\n");
    EXPECT_EQ(p.str(),
              "test.conf:10: [container 102] services: VIP 192.0.2.10 is needed by containers 101 "
              "and 102: in venet mode the node's venet IP table is global, so only one container "
              "per node can hold an IP (vzctl fails with exit 78, 'Address already in use'). Put "
              "these containers on different nodes.");
}

TEST(ConfigCrossChecks, OneContainerMayServeSeveralPortsOfOneVip) {
    Config c = parse_config(
        "[service web]\nvip = 192.0.2.10\nport = 80\n"
        "[service web-tls]\nvip = 192.0.2.10\nport = 443\n"
        "[service dns]\nvip = 192.0.2.53\nport = 53\nprotocol = udp\n"
        "[container 101]\nservices = web-tls, dns web\n",
        "t");
    EXPECT_EQ(c.vips_of(*c.container("101")),
              (std::vector<std::string>{"192.0.2.10", "192.0.2.53"}));
}

TEST(ConfigCrossChecks, SameVipPortProtocolTwiceIsAnError) {
    ConfigProblem p = problem_of(
        "[service a]\nvip = 192.0.2.10\nport = 80\n"
        "[service b]\nvip = 192.0.2.10\nport = 80\n");
    EXPECT_EQ(p.line, 5);
    EXPECT_EQ(p.section, "service b");
    EXPECT_EQ(p.key, "vip");
    EXPECT_NE(p.message.find("(192.0.2.10:80/tcp) as service a (line 1)"), std::string::npos)
        << p.message;
    // The same VIP and port over udp is another virtual service.
    EXPECT_NO_THROW(
        parse_config("[service a]\nvip = 192.0.2.10\nport = 53\n"
                     "[service b]\nvip = 192.0.2.10\nport = 53\nprotocol = udp\n",
                     "t"));
}

TEST(ConfigCrossChecks, ContainerAddressMustNotBeAVipOrShared) {
    ConfigProblem vip = problem_of(std::string(kMinimal) + "address = 192.0.2.10\n");
    EXPECT_EQ(vip.line, 6);
    EXPECT_EQ(vip.key, "address");
    EXPECT_NE(vip.message.find("is the VIP of service web"), std::string::npos);

    ConfigProblem shared = problem_of(
        "[service a]\nvip = 192.0.2.10\nport = 80\n[service b]\nvip = 192.0.2.11\nport = 80\n"
        "[container 101]\nservices = a\naddress = 198.51.100.7\n"
        "[container 102]\nservices = b\naddress = 198.51.100.7\n");
    EXPECT_EQ(shared.line, 12);
    EXPECT_NE(shared.message.find("also the address of container 101"), std::string::npos);
}

// Issue 27, N4: '-' may be in every part of <node>-<ctid>-<service>, so two pairs can spell one
// backend ID; within a node that is refused with both pairs named.
TEST(ConfigCrossChecks, TwoPairsThatSpellOneBackendIdAreRefused) {
    const ConfigProblem p = problem_of(
        "[node]\nname = n\nopenvz = 7\n"
        "[service db-main]\nvip = 192.0.2.10\nport = 80\n"
        "[service main]\nvip = 192.0.2.11\nport = 80\n"
        "[container shop]\nservices = db-main\n"
        "[container shop-db]\nservices = main\n");
    EXPECT_EQ(p.section, "container shop-db");
    EXPECT_EQ(p.key, "services");
    EXPECT_THAT(p.message,
                testing::HasSubstr("CT shop-db, service main and CT shop, service db-main are "
                                   "both backend n-shop-db-main at the director"));
}

TEST(ConfigCrossChecks, UnusedServiceIsAllowed) {
    EXPECT_NO_THROW(parse_config("[service spare]\nvip = 192.0.2.99\nport = 8080\n", "t"));
}

TEST(ConfigRender, EveryValueSurvivesARoundTrip) {
    Config c = parse_config(
        "[node]\nname = edge-9\nvzctl = /opt/vzctl\nvz_conf_dir = /srv/vz/conf\nvenet = venet1\n"
        "state_dir = /srv/state\nrestart = auto\nuplinks = eth0, eth1\n"
        "modules_persist = sysconfig\nall_rp_filter = set\nsysctl_dir = /run/sysctl.d\n"
        "[director]\nurl = https://lb.example.net/api/\ntoken_file = /etc/vzlvs/token\n"
        "ca_file = /etc/vzlvs/ca.pem\ntimeout = 2500ms\nretries = 0\ndrain = 90s\n"
        "[service b]\nvip = 203.0.113.5\nport = 8443\nscheduler = lc\ncheck = http\n"
        "check_path = /ready\ncheck_expect = 204\ncheck_interval = 2m\n"
        "[service a]\nvip = 203.0.113.6\nport = 5353\nprotocol = udp\n"
        "[container 1000]\nservices = b\nweight = 5\naddress = 198.51.100.10\n"
        "[container 101]\nservices = a\n",
        "full.conf");
    std::string text = render_config(c);
    Config back = parse_config(text, "full.conf");
    EXPECT_TRUE(back == c) << text;
    EXPECT_NE(text.find("token_file = /etc/vzlvs/token\n"), std::string::npos);
    EXPECT_NE(text.find("timeout = 2500ms\n"), std::string::npos);
    EXPECT_NE(text.find("drain = 90s\n"), std::string::npos);
    EXPECT_NE(text.find("check_interval = 2m\n"), std::string::npos);
    // Sections in order node, director, services by name, containers by number.
    auto at = [&](const std::string& s) { return text.find(s); };
    EXPECT_LT(at("[node]"), at("[director]"));
    EXPECT_LT(at("[director]"), at("[service a]"));
    EXPECT_LT(at("[service a]"), at("[service b]"));
    EXPECT_LT(at("[service b]"), at("[container 101]"));
    EXPECT_LT(at("[container 101]"), at("[container 1000]"));
}

TEST(ConfigRender, DefaultsAreWrittenOutAndReadBack) {
    Config c = parse_config(kMinimal, "min.conf");
    std::string text = render_config(c);
    EXPECT_NE(text.find("scheduler = wrr\n"), std::string::npos) << text;
    EXPECT_NE(text.find("state_dir = /var/lib/vzlvs\n"), std::string::npos);
    EXPECT_NE(text.find("# url: not set"), std::string::npos);
    EXPECT_NE(text.find("# address: not set"), std::string::npos);
    Config back = parse_config(text, "min.conf");
    EXPECT_TRUE(back == c) << text;
    back.containers.at("101").weight = 2;
    EXPECT_TRUE(back != c);
}

TEST(ConfigExample, ValidatesAndIsTheDocumentedDemo) {
    Config c = parse_config(example_config(), "example");
    EXPECT_EQ(c.node.name, "demo-node");
    EXPECT_EQ(c.node.vzctl, "/usr/sbin/vzctl");
    ASSERT_EQ(c.services.size(), 2U);
    const ServiceConfig& web = c.services.at("web");
    EXPECT_EQ(web.vip, "192.0.2.10");
    EXPECT_EQ(web.port, 80);
    EXPECT_EQ(web.protocol, Protocol::tcp);
    EXPECT_EQ(web.scheduler, "wrr");
    EXPECT_EQ(web.check, CheckType::http);
    EXPECT_EQ(web.check_path, "/");
    EXPECT_EQ(web.check_expect, 200);
    EXPECT_EQ(web.check_interval, 5s);
    const ServiceConfig& dns = c.services.at("dns");
    EXPECT_EQ(dns.vip, "192.0.2.53");
    EXPECT_EQ(dns.port, 53);
    EXPECT_EQ(dns.protocol, Protocol::udp);
    EXPECT_EQ(dns.check, CheckType::none);
    ASSERT_EQ(c.containers.size(), 2U);
    EXPECT_EQ(c.container("101")->services, std::vector<std::string>{"web"});
    EXPECT_EQ(c.container("101")->weight, 10);
    EXPECT_EQ(c.container("102")->services, std::vector<std::string>{"dns"});
    EXPECT_TRUE(parse_config(render_config(c), "example") == c);
}

TEST(ConfigExample, IsQuotedVerbatimInTheDocumentation) {
    std::ifstream doc(std::string(VZLVS_SOURCE_DIR) + "/docs/configuration.md");
    ASSERT_TRUE(doc.good()) << "docs/configuration.md is missing";
    std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("```ini\n" + example_config() + "```"), std::string::npos)
        << "update the annotated example in docs/configuration.md to example_config()";
}

TEST(ConfigLoad, ReadsAFileAndNamesItInProblems) {
    TempDir dir;
    auto good = dir.write("good.conf", kMinimal);
    Config c = load_config(good);
    EXPECT_EQ(c.source, good);
    EXPECT_EQ(c.services.at("web").port, 80);

    auto bad = dir.write("bad.conf", "[node]\nrestart = maybe\n");
    try {
        load_config(bad);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(bad.string() + ":2: [node] restart: ", 0), 0U)
            << e.what();
    }
}

TEST(ConfigLoad, MissingFileAndDirectoryAreExplained) {
    TempDir dir;
    auto missing = dir.path() / "nope.conf";
    try {
        load_config(missing);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(
                      "cannot read config " + missing.string() + ": No such file or directory", 0),
                  0U)
            << e.what();
        EXPECT_EQ(e.exit(), Exit::usage);
    }
    try {
        load_config(dir.path());
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot read config " + dir.path().string() + ": Is a directory");
    }
}

// Issue 9: a FIFO given as the config blocked vzlvs forever in open(2).
TEST(ConfigLoad, FifoIsRefusedWithoutBlocking) {
    TempDir dir;
    const auto fifo = dir.path() / "vzlvs.conf";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    try {
        load_config(fifo);
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_THAT(e.what(), testing::HasSubstr("not a regular file"));
    }
}

// Issue 9: names are ASCII; a non-ASCII letter was reported as "a blank".
TEST(ConfigValues, NonAsciiNameIsNamedAsSuch) {
    EXPECT_THAT(validate::name_token("caf\xc3\xa9"), testing::HasSubstr("a non-ASCII character"));
    EXPECT_THAT(validate::name_token("a b"), testing::HasSubstr("a blank"));
    EXPECT_THAT(validate::name_token("a\x01"), testing::HasSubstr("a control character"));
}

TEST(ConfigVips, IsVipAnswersAllVips) {
    Config c = parse_config(
        "[node]\nname = n\n[service a]\nvip = 192.0.2.10\nport = 80\n"
        "[service b]\nvip = 192.0.2.11\nport = 80\n[service unused]\nvip = 192.0.2.99\n"
        "port = 80\n[container 101]\nservices = a\n[container 102]\nservices = b\n",
        "v.conf");
    EXPECT_EQ(c.all_vips(), (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
    EXPECT_TRUE(c.is_vip("192.0.2.10"));
    EXPECT_TRUE(c.is_vip("192.0.2.11"));
    EXPECT_FALSE(c.is_vip("192.0.2.99")) << "no container serves it";
    EXPECT_FALSE(c.is_vip("10.0.0.1"));
}

}  // namespace
}  // namespace vzlvs

namespace vzlvs::config_test {
namespace {

// Issue 23: the hooks and watch take a config with keys and sections this version does not
// know (a config written for a newer vzlvs), warned about; everything else refuses it.
TEST(ConfigUnknownKeys, WarnModeSkipsThemAndSaysWhere) {
    const std::string text = std::string("[node]\nfuture_key = 1\n[future]\nx = 1\n") + kMinimal;
    EXPECT_EQ(problems_of(text).size(), 2U);

    std::vector<ConfigProblem> warnings;
    Config cfg = parse_config(text, "test.conf", UnknownKeys::warn, &warnings);
    EXPECT_EQ(cfg, parse_config(kMinimal, "test.conf"));
    ASSERT_EQ(warnings.size(), 2U);
    EXPECT_EQ(warnings[0].str(),
              "test.conf:2: [node] future_key: unknown key in [node]; allowed: " +
                  warnings[0].message.substr(warnings[0].message.find("allowed: ") + 9));
    EXPECT_THAT(warnings[0].message,
                ::testing::HasSubstr("(ignored here; `vzlvs config` refuses it)"));
    EXPECT_EQ(warnings[1].line, 3);
    EXPECT_THAT(warnings[1].message, ::testing::StartsWith("unknown section"));
}

TEST(ConfigUnknownKeys, WarnModeStillRefusesEveryOtherProblem) {
    const std::string text = std::string("[node]\nfuture_key = 1\n") + kMinimal + "weight = abc\n";
    std::vector<ConfigProblem> warnings;
    EXPECT_THROW(parse_config(text, "test.conf", UnknownKeys::warn, &warnings), ConfigError);
}

}  // namespace
}  // namespace vzlvs::config_test

namespace vzlvs::config_test {
namespace {

// Issue 23: a CT name is vzctl 7's; with openvz = 4 it is refused when the config is read.
TEST(ConfigCtNames, ANameIsRefusedWithOpenvz4AndTakenOtherwise) {
    const std::string body =
        "[service web]\nvip = 192.0.2.10\nport = 80\n"
        "[container 20x]\nservices = web\n";
    ConfigProblem p = problem_of("[node]\nopenvz = 4\n" + body);
    EXPECT_EQ(p.section, "container 20x");
    EXPECT_THAT(p.message, ::testing::HasSubstr("with openvz = 4 in [node] a container is named "
                                                "by its numeric CTID"));
    EXPECT_NO_THROW(parse_config("[node]\nopenvz = 7\n" + body, "test.conf"));
    EXPECT_NO_THROW(parse_config(body, "test.conf"));  // auto: the node decides (vzctl.hpp)
}

}  // namespace
}  // namespace vzlvs::config_test
