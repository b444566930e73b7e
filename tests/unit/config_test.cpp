// The config file: defaults and every key's good and bad values.
#include "vzlvs/config/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>

#include "unit/config_test_support.hpp"
#include "vzlvs/config/validate.hpp"

namespace vzlvs {
namespace {

using namespace std::chrono_literals;
using namespace config_test;

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
        // Issue 27: a leading zero, a link-local and a reserved VIP.
        {"[service web]", "port", "080", "080 has a leading zero; write it without"},
        {"[service web]", "vip", "169.254.1.1", "link-local address (169.254.0.0/16)"},
        {"[service web]", "vip", "240.0.0.1", "reserved 240.0.0.0/4"},
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

}  // namespace
}  // namespace vzlvs
