// The config file: defaults, every key's good and bad values, how problems are reported,
// cross-section rules, render round-trip and the built-in example.
#include "vzlvs/config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>

#include "vzlvs/config/validate.hpp"

namespace vzlvs {
namespace {

using namespace std::chrono_literals;

const char* kMinimal =
    "[service web]\n"
    "vip = 192.0.2.10\n"
    "port = 80\n"
    "[container 101]\n"
    "services = web\n";

std::vector<ConfigProblem> problems_of(const std::string& text) {
    try {
        parse_config(text, "test.conf");
    } catch (const ConfigError& e) {
        return e.problems();
    }
    ADD_FAILURE() << "expected a ConfigError for:\n" << text;
    return {};
}

// The single problem of text, which must have exactly one.
ConfigProblem problem_of(const std::string& text) {
    auto problems = problems_of(text);
    EXPECT_EQ(problems.size(), 1U) << "for:\n" << text;
    if (problems.empty()) return {};
    if (problems.size() != 1) {
        for (const auto& p : problems) std::cerr << "  " << p.str() << "\n";
    }
    return problems.front();
}

std::string hostname() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return host;
}

class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/vzlvs-config-test.XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    std::filesystem::path write(const std::string& name, const std::string& text) const {
        std::ofstream(path_ / name, std::ios::binary) << text;
        return path_ / name;
    }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

TEST(ConfigDefaults, EmptyFileIsANodeWithNothingToServe) {
    Config c = parse_config("", "empty.conf");
    EXPECT_EQ(c.source, "empty.conf");
    EXPECT_EQ(c.node.name, hostname());
    EXPECT_EQ(c.node.vzctl, "/usr/sbin/vzctl");
    EXPECT_EQ(c.node.vz_conf_dir, "/etc/vz/conf");
    EXPECT_EQ(c.node.venet, "venet0");
    EXPECT_EQ(c.node.state_dir, "/var/lib/vzlvs");
    EXPECT_EQ(c.node.restart, RestartPolicy::never);
    EXPECT_TRUE(c.node.uplinks.empty());
    EXPECT_EQ(c.node.modules_persist, ModulesPersist::autodetect);
    EXPECT_EQ(c.node.all_rp_filter, AllRpFilter::pin);
    EXPECT_EQ(c.node.openvz, OpenvzRelease::autodetect);
    EXPECT_EQ(c.node.sysctl_dir, "/etc/sysctl.d");
    EXPECT_EQ(c.node.modules_load_dir, "/etc/modules-load.d");
    EXPECT_EQ(c.node.sysconfig_modules_dir, "/etc/sysconfig/modules");
    EXPECT_EQ(c.node.runtime_root, "/");
    EXPECT_EQ(c.director.url, "");
    EXPECT_EQ(c.director.api, "gorb");
    EXPECT_TRUE(c.director.token_file.empty());
    EXPECT_TRUE(c.director.ca_file.empty());
    EXPECT_EQ(c.director.timeout, 5s);
    EXPECT_EQ(c.director.retries, 3);
    EXPECT_EQ(c.director.drain, 10s);
    EXPECT_TRUE(c.services.empty());
    EXPECT_TRUE(c.containers.empty());
    EXPECT_EQ(c.global_vz_conf(), "/etc/vz/vz.conf");
}

TEST(ConfigDefaults, ServiceAndContainerDefaults) {
    Config c = parse_config(kMinimal, "min.conf");
    ASSERT_EQ(c.services.count("web"), 1U);
    const ServiceConfig& s = c.services.at("web");
    EXPECT_EQ(s.name, "web");
    EXPECT_EQ(s.vip, "192.0.2.10");
    EXPECT_EQ(s.port, 80);
    EXPECT_EQ(s.protocol, Protocol::tcp);
    EXPECT_EQ(s.scheduler, "wrr");
    EXPECT_EQ(s.check, CheckType::tcp);
    EXPECT_EQ(s.check_path, "/");
    EXPECT_EQ(s.check_expect, 200);
    EXPECT_EQ(s.check_interval, 5s);
    const ContainerConfig* ct = c.container("101");
    ASSERT_NE(ct, nullptr);
    EXPECT_EQ(ct->services, std::vector<std::string>{"web"});
    EXPECT_EQ(ct->weight, 1);
    EXPECT_EQ(ct->address, "");
    EXPECT_EQ(c.container("102"), nullptr);
}

TEST(ConfigValues, UdpProbePayloadIsKeptAsWrittenAndRoundTrips) {
    Config c = parse_config(
        "[service dns]\nvip = 192.0.2.53\nport = 53\nprotocol = udp\nprobe_payload = "
        "\\x00\\x01ab\n",
        "t");
    EXPECT_EQ(c.services.at("dns").probe_payload, "\\x00\\x01ab");
    EXPECT_EQ(parse_config(render_config(c), "t"), c);
    EXPECT_THROW(
        parse_config("[service web]\nvip = 192.0.2.10\nport = 80\nprobe_payload = x\n", "t"),
        ConfigError);
}

TEST(ConfigDefaults, UdpServiceDefaultsToNoCheck) {
    Config c = parse_config("[service dns]\nvip = 192.0.2.53\nport = 53\nprotocol = udp\n", "t");
    EXPECT_EQ(c.services.at("dns").check, CheckType::none);
}

// One key set to a good value, and what it must turn into.
struct Good {
    std::string section;
    std::string line;
    std::function<void(const Config&)> expect;
};

TEST(ConfigValues, GoodValuesAreStored) {
    std::vector<Good> cases = {
        {"[node]", "name = edge-1.example_net",
         [](const Config& c) { EXPECT_EQ(c.node.name, "edge-1.example_net"); }},
        {"[node]", "vzctl = /opt/vz/bin/vzctl",
         [](const Config& c) { EXPECT_EQ(c.node.vzctl, "/opt/vz/bin/vzctl"); }},
        {"[node]", "vz_conf_dir = /etc/sysconfig/vz-scripts/",
         [](const Config& c) {
             EXPECT_EQ(c.node.vz_conf_dir, "/etc/sysconfig/vz-scripts");
             EXPECT_EQ(c.global_vz_conf(), "/etc/sysconfig/vz.conf");
         }},
        {"[node]", "venet = venet1", [](const Config& c) { EXPECT_EQ(c.node.venet, "venet1"); }},
        {"[node]", "state_dir = /run/vzlvs",
         [](const Config& c) { EXPECT_EQ(c.node.state_dir, "/run/vzlvs"); }},
        {"[node]", "restart = auto",
         [](const Config& c) { EXPECT_EQ(c.node.restart, RestartPolicy::automatic); }},
        {"[node]", "probe = yes", [](const Config& c) { EXPECT_TRUE(c.node.probe); }},
        {"[node]", "probe_timeout = 500ms",
         [](const Config& c) { EXPECT_EQ(c.node.probe_timeout.count(), 500); }},
        {"[node]", "uplinks = eth0 bond0.12",
         [](const Config& c) {
             EXPECT_EQ(c.node.uplinks, (std::vector<std::string>{"eth0", "bond0.12"}));
         }},
        {"[node]", "modules_persist = modules-load.d",
         [](const Config& c) {
             EXPECT_EQ(c.node.modules_persist, ModulesPersist::modules_load_d);
         }},
        {"[node]", "modules_persist = sysconfig",
         [](const Config& c) { EXPECT_EQ(c.node.modules_persist, ModulesPersist::sysconfig); }},
        {"[node]", "modules_persist = none",
         [](const Config& c) { EXPECT_EQ(c.node.modules_persist, ModulesPersist::none); }},
        {"[node]", "all_rp_filter = set",
         [](const Config& c) { EXPECT_EQ(c.node.all_rp_filter, AllRpFilter::set); }},
        {"[node]", "all_rp_filter = refuse",
         [](const Config& c) { EXPECT_EQ(c.node.all_rp_filter, AllRpFilter::refuse); }},
        {"[node]", "openvz = 7",
         [](const Config& c) { EXPECT_EQ(c.node.openvz, OpenvzRelease::v7); }},
        {"[node]", "openvz = 4",
         [](const Config& c) { EXPECT_EQ(c.node.openvz, OpenvzRelease::v4); }},
        {"[node]", "sysctl_dir = /usr/lib/sysctl.d",
         [](const Config& c) { EXPECT_EQ(c.node.sysctl_dir, "/usr/lib/sysctl.d"); }},
        {"[node]", "modules_load_dir = /run/modules-load.d",
         [](const Config& c) { EXPECT_EQ(c.node.modules_load_dir, "/run/modules-load.d"); }},
        {"[node]", "sysconfig_modules_dir = /srv/sysconfig/modules",
         [](const Config& c) {
             EXPECT_EQ(c.node.sysconfig_modules_dir, "/srv/sysconfig/modules");
         }},
        {"[director]", "url = https://lb.example.com:8443/gorb/",
         [](const Config& c) { EXPECT_EQ(c.director.url, "https://lb.example.com:8443/gorb"); }},
        {"[director]", "url = http://[2001:db8::1]:4672",
         [](const Config& c) { EXPECT_EQ(c.director.url, "http://[2001:db8::1]:4672"); }},
        {"[director]", "api = gorb", [](const Config& c) { EXPECT_EQ(c.director.api, "gorb"); }},
        {"[director]", "token_file = /etc/vzlvs/token",
         [](const Config& c) { EXPECT_EQ(c.director.token_file, "/etc/vzlvs/token"); }},
        {"[director]", "ca_file = /etc/ssl/lb.pem",
         [](const Config& c) { EXPECT_EQ(c.director.ca_file, "/etc/ssl/lb.pem"); }},
        {"[director]", "timeout = 1500ms",
         [](const Config& c) { EXPECT_EQ(c.director.timeout, 1500ms); }},
        {"[director]", "timeout = 2m",
         [](const Config& c) { EXPECT_EQ(c.director.timeout, 2min); }},
        {"[director]", "timeout = 7", [](const Config& c) { EXPECT_EQ(c.director.timeout, 7s); }},
        {"[director]", "retries = 0", [](const Config& c) { EXPECT_EQ(c.director.retries, 0); }},
        {"[director]", "retries = 10", [](const Config& c) { EXPECT_EQ(c.director.retries, 10); }},
        {"[director]", "drain = 1h", [](const Config& c) { EXPECT_EQ(c.director.drain, 1h); }},
        {"[service web]", "port = 65535",
         [](const Config& c) { EXPECT_EQ(c.services.at("web").port, 65535); }},
        {"[service web]", "scheduler = sed",
         [](const Config& c) { EXPECT_EQ(c.services.at("web").scheduler, "sed"); }},
        {"[service web]", "check = http",
         [](const Config& c) { EXPECT_EQ(c.services.at("web").check, CheckType::http); }},
        {"[service web]", "check = none",
         [](const Config& c) { EXPECT_EQ(c.services.at("web").check, CheckType::none); }},
        {"[service web]", "check_path = /health?full=1",
         [](const Config& c) { EXPECT_EQ(c.services.at("web").check_path, "/health?full=1"); }},
        {"[service web]", "check_expect = 204",
         [](const Config& c) { EXPECT_EQ(c.services.at("web").check_expect, 204); }},
        {"[service web]", "check_interval = 2m",
         [](const Config& c) { EXPECT_EQ(c.services.at("web").check_interval, 120s); }},
        {"[container 101]", "weight = 65535",
         [](const Config& c) { EXPECT_EQ(c.container("101")->weight, 65535); }},
        {"[container 101]", "address = 198.51.100.101",
         [](const Config& c) { EXPECT_EQ(c.container("101")->address, "198.51.100.101"); }},
    };
    for (const auto& g : cases) {
        SCOPED_TRACE(g.section + " " + g.line);
        // The minimal config's sections come first; the case's key goes into its own section
        // or is appended to the one of the same name.
        std::string text = kMinimal;
        auto at = text.find(g.section + "\n");
        if (at == std::string::npos) {
            text += g.section + "\n" + g.line + "\n";
        } else {
            std::size_t end = at + g.section.size() + 1;
            text.insert(end, g.line + "\n");
            // The minimal config may already set this key: drop its line.
            std::string key = g.line.substr(0, g.line.find(' ') + 3);
            auto old = text.find("\n" + key, end + g.line.size());
            if (old != std::string::npos && old < text.find('[', end)) {
                text.erase(old + 1, text.find('\n', old + 1) - old);
            }
        }
        try {
            g.expect(parse_config(text, "good.conf"));
        } catch (const ConfigError& e) {
            ADD_FAILURE() << e.what();
        }
    }
}

// One key set to a bad value, and words the message must contain.
struct Bad {
    std::string section;  // as written, e.g. "[service web]"
    std::string key;
    std::string value;
    std::string expect;
};

TEST(ConfigValues, BadValuesAreRejectedWithFileLineSectionKeyAndWhatIsAllowed) {
    std::vector<Bad> cases = {
        {"[node]", "name", "-edge", "start with a letter or digit"},
        {"[node]", "name", "edge/1", "allowed: 1 to 63 of A-Z a-z 0-9 . _ -"},
        {"[node]", "name", std::string(64, 'n'), "is 64 characters"},
        {"[node]", "vzctl", "vzctl", "not an absolute path"},
        {"[node]", "vzctl", "/usr/sbin/", "a file is expected"},
        {"[node]", "vz_conf_dir", "/etc/vz/../conf", "\"..\" component"},
        {"[node]", "venet", "venet/0", "not a valid interface name"},
        {"[node]", "venet", "averyveryverylongname", "at most 15"},
        {"[node]", "venet", "..", "not . or .."},
        {"[node]", "state_dir", "var/lib/vzlvs", "not an absolute path"},
        {"[node]", "restart", "always", "allowed: never, auto"},
        {"[node]", "uplinks", "eth0 eth0", "listed twice"},
        {"[node]", "uplinks", "eth0 eth:1", "not a valid interface name"},
        {"[node]", "modules_persist", "systemd", "allowed: auto, modules-load.d, sysconfig, none"},
        {"[node]", "all_rp_filter", "yes", "allowed: refuse, pin, set"},
        {"[node]", "openvz", "6", "allowed: auto, 4, 7"},
        {"[node]", "probe", "true", "allowed: yes, no"},
        {"[node]", "probe_timeout", "50ms", "a probe waits 100ms to 60s"},
        {"[node]", "sysctl_dir", "sysctl.d", "not an absolute path"},
        {"[node]", "modules_load_dir", "modules-load.d", "not an absolute path"},
        {"[director]", "url", "ftp://lb", "does not start with http:// or https://"},
        {"[director]", "url", "http://", "has no host"},
        {"[director]", "url", "http://lb:0", "bad port"},
        {"[director]", "url", "http://lb:99999", "bad port"},
        {"[director]", "url", "http://lb/x?y=1", "query or fragment"},
        {"[director]", "url", "http://admin:secret@lb", "token_file"},
        {"[director]", "url", "http://l b", "blank"},
        {"[director]", "api", "keepalived", "allowed: gorb"},
        {"[director]", "token_file", "token", "not an absolute path"},
        {"[director]", "ca_file", "ca.pem", "not an absolute path"},
        {"[director]", "timeout", "5x", "write <n>ms, <n>s, <n>m, <n>h or a bare number"},
        {"[director]", "timeout", "0s", "not positive"},
        {"[director]", "timeout", "-1s", "not a duration"},
        {"[director]", "timeout", "25h", "the longest accepted is 24h"},
        {"[director]", "retries", "11", "allowed: 0 to 10"},
        {"[director]", "retries", "three", "not a whole number"},
        {"[director]", "drain", "soon", "not a duration"},
        {"[service web]", "vip", "192.0.2", "not a dotted IPv4 address"},
        {"[service web]", "vip", "192.0.2.010", "without leading zeros"},
        {"[service web]", "vip", "0.0.0.0", "unspecified"},
        {"[service web]", "vip", "127.0.0.1", "loopback"},
        {"[service web]", "vip", "239.1.1.1", "multicast"},
        {"[service web]", "vip", "255.255.255.255", "broadcast"},
        {"[service web]", "port", "0", "allowed: 1 to 65535"},
        {"[service web]", "port", "65536", "allowed: 1 to 65535"},
        {"[service web]", "port", "http", "not a whole number"},
        {"[service web]", "protocol", "sctp", "allowed: tcp, udp"},
        {"[service web]", "scheduler", "mh",
         "allowed: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq"},
        {"[service web]", "check", "ping", "allowed: tcp, http, none"},
        {"[service web]", "check_path", "health", "does not start with /"},
        {"[service web]", "check_path", "/a b", "blank"},
        {"[service web]", "check_expect", "99", "allowed: 100 to 599"},
        {"[service web]", "check_expect", "600", "allowed: 100 to 599"},
        {"[service web]", "check_interval", "500ms", "whole number of seconds"},
        {"[service web]", "check_interval", "0", "not positive"},
        {"[service web]", "probe_payload", "\\x4", "malformed escape"},
        {"[container 101]", "services", "", "list one or more [service NAME] names"},
        {"[container 101]", "services", "web web", "listed twice"},
        {"[container 101]", "services", "wbe",
         "no [service wbe] is defined (defined: web); did you mean `web`?"},
        {"[container 101]", "weight", "0", "allowed: 1 to 65535"},
        {"[container 101]", "weight", "65536", "allowed: 1 to 65535"},
        {"[container 101]", "address", "198.51.100", "not a dotted IPv4 address"},
    };
    for (const auto& b : cases) {
        SCOPED_TRACE(b.section + " " + b.key + " = " + b.value);
        std::string entry = b.key + " = " + b.value + "\n";
        std::string text = std::string(kMinimal) + "\n" + b.section + "\n# filler\n" + entry;
        int line = 9;  // 5 minimal lines, blank, header, comment
        if (b.section == "[service web]") {
            text = "[service web]\n" + entry + (b.key == "vip" ? "" : "vip = 192.0.2.10\n") +
                   (b.key == "port" ? "" : "port = 80\n") + "[container 101]\nservices = web\n";
            line = 2;
        } else if (b.section == "[container 101]") {
            text = "[service web]\nvip = 192.0.2.10\nport = 80\n[container 101]\n" + entry +
                   (b.key == "services" ? "" : "services = web\n");
            line = 5;
        }
        ConfigProblem p = problem_of(text);
        std::string section = b.section.substr(1, b.section.size() - 2);
        EXPECT_EQ(p.file, "test.conf");
        EXPECT_EQ(p.line, line);
        EXPECT_EQ(p.section, section);
        EXPECT_EQ(p.key, b.key);
        EXPECT_NE(p.message.find(b.expect), std::string::npos) << p.message;
        EXPECT_EQ(
            p.str().rfind(
                "test.conf:" + std::to_string(line) + ": [" + section + "] " + b.key + ": ", 0),
            0U)
            << p.str();
    }
}

TEST(ConfigValues, ContainerIdsAreOpenVzNumbersNamesOrUuids) {
    auto check = [](const std::string& id, const std::string& expect) {
        ConfigProblem p = problem_of("[container " + id + "]\nservices = x\n");
        EXPECT_EQ(p.line, 1);
        EXPECT_EQ(p.section, "container " + id);
        EXPECT_NE(p.message.find(expect), std::string::npos) << p.message;
    };
    check("web_1", "is not a CT ID: use a legacy numeric ID");
    check("-web", "is not a CT ID");
    check("0101", "leading zero");
    check("2147483648", "too large");
    check("0", "reserved by OpenVZ for the host");
    check("1", "reserved by OpenVZ for the host");
    Config c = parse_config(
        "[service web]\nvip = 192.0.2.1\nport = 80\n"
        "[container 2147483647]\nservices = web\n",
        "t");
    EXPECT_NE(c.container("2147483647"), nullptr);
    Config named = parse_config(
        "[service web]\nvip = 192.0.2.1\nport = 80\n"
        "[service db]\nvip = 192.0.2.2\nport = 5432\n"
        "[container web1]\nservices = web\n"
        "[container fbcdf284-5345-416b-a589-7b5fcaa87673]\nservices = db\n",
        "t");
    EXPECT_NE(named.container("web1"), nullptr) << "a CT name (vzctl --name)";
    EXPECT_NE(named.container("fbcdf284-5345-416b-a589-7b5fcaa87673"), nullptr) << "OpenVZ 7";
}

TEST(ConfigValues, ServiceNamesAreChecked) {
    ConfigProblem p = problem_of("[service web/1]\nvip = 192.0.2.1\nport = 80\n");
    EXPECT_EQ(p.section, "service web/1");
    EXPECT_NE(p.message.find("bad service name"), std::string::npos) << p.message;
}

TEST(ConfigValues, UdpServiceRejectsTcpAndHttpChecks) {
    for (std::string check : {"tcp", "http"}) {
        ConfigProblem p = problem_of(
            "[service dns]\nvip = 192.0.2.53\nport = 53\nprotocol = udp\n"
            "check = " +
            check + "\n");
        EXPECT_EQ(p.line, 5);
        EXPECT_EQ(p.key, "check");
        EXPECT_NE(p.message.find("use check = none"), std::string::npos) << p.message;
    }
}

TEST(ConfigValues, RequiredKeysAreReportedAtTheSectionHeader) {
    auto problems = problems_of("\n[service web]\nscheduler = rr\n[container 101]\nweight = 2\n");
    ASSERT_EQ(problems.size(), 3U);
    EXPECT_EQ(problems[0].str(),
              "test.conf:2: [service web] vip: required key is missing; add vip = <dotted IPv4>, "
              "e.g. 192.0.2.10");
    EXPECT_EQ(problems[1].key, "port");
    EXPECT_EQ(problems[2].line, 4);
    EXPECT_EQ(problems[2].key, "services");
}

TEST(ConfigValues, QuotesAreStrippedAndMustBalance) {
    Config c = parse_config("[node]\nname = \"edge-1\"\nuplinks = \"\"\n", "t");
    EXPECT_EQ(c.node.name, "edge-1");
    EXPECT_TRUE(c.node.uplinks.empty());
    ConfigProblem p = problem_of("[node]\nname = \"edge-1\n");
    EXPECT_EQ(p.key, "name");
    EXPECT_NE(p.message.find("starts with \" but does not end with one"), std::string::npos);
}

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
