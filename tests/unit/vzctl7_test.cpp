// The vzctl 7 driver and what differs from vzctl 4: the config parser's rules (libvzctl
// lib/common.c parse_line, lib/config.c), CT names, where action scripts live, the exit 32 of
// `set --features` on a running CT, and how vzlvs tells the two apart (`vzctl --version`).
#include "ct/vzctl7.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "fakes/fake_process_runner.hpp"
#include "vzlvs/base/error.hpp"
#include "vzlvs/ct/detect.hpp"

namespace fs = std::filesystem;
using namespace vzlvs;

namespace {

VzctlSetup conf_in(const std::filesystem::path& conf_dir) {
    VzctlSetup s;
    s.conf_dir = conf_dir;
    return s;
}

// An OpenVZ 7 /etc/vz (conf/, names/, vz.conf) and /vz/private in a temp dir.
class Node7 {
  public:
    Node7() {
        std::string pattern = (fs::temp_directory_path() / "vzlvs-vz7-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        root_ = pattern;
        fs::create_directories(conf_dir());
        fs::create_directories(root_ / "etc/vz/names");
        std::ofstream(root_ / "etc/vz/vz.conf")
            << "VE_ROOT=" << root_.string() << "/vz/root/$VEID\nVE_PRIVATE=" << root_.string()
            << "/vz/private/$VEID\n";
    }
    ~Node7() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    fs::path conf_dir() const { return root_ / "etc/vz/conf"; }
    fs::path priv(const std::string& id) const { return root_ / "vz/private" / id; }
    // As vzctl 7 registers a CT: ve.conf in the private area, /etc/vz/conf/ID.conf a link to
    // it, and /etc/vz/names/NAME a link to the same file when the CT has a name.
    void add(const std::string& id, const std::string& text, const std::string& name = "",
             int layout = 5) {
        fs::create_directories(priv(id));
        std::ofstream(priv(id) / "ve.conf")
            << text << (name.empty() ? "" : "NAME=\"" + name + "\"\n");
        fs::create_symlink(priv(id) / "ve.conf", conf_dir() / (id + ".conf"));
        if (!name.empty()) fs::create_symlink(priv(id) / "ve.conf", root_ / "etc/vz/names" / name);
        if (layout) fs::create_symlink(std::to_string(layout), priv(id) / ".ve.layout");
    }

  private:
    fs::path root_;
};

RunResult exited(int code, std::string out = "", std::string err = "") {
    RunResult r;
    r.exit_code = code;
    r.out = std::move(out);
    r.err = std::move(err);
    return r;
}

const char* kUuid = "fbcdf284-5345-416b-a589-7b5fcaa87673";

}  // namespace

TEST(CtConfParse7, TheLastKeyWinsAndIpAddressIsOneLine) {
    std::vector<std::string> ip_lines;
    auto v = parse_vz_conf_text(
        "HOSTNAME=\"first\"\n"
        "IP_ADDRESS=\"10.0.0.5\"\n"
        "HOSTNAME=\"second\"\n"
        "IP_ADDRESS=\"10.0.0.6/255.255.255.0 10.0.0.7 \"\n",
        &ip_lines, ConfRules::vzctl7);
    EXPECT_EQ(v["HOSTNAME"], "second");
    EXPECT_EQ(ip_lines, (std::vector<std::string>{"10.0.0.6/255.255.255.0 10.0.0.7 "}));
}

TEST(CtConfParse7, AHashWordStartsACommentOutsideQuotes) {
    auto v = parse_vz_conf_text(
        "ONBOOT=yes # boot it\n"
        "DESCRIPTION=\"a #1 server\"\n"
        "TAG=x#y\n",
        nullptr, ConfRules::vzctl7);
    EXPECT_EQ(v["ONBOOT"], "yes");
    EXPECT_EQ(v["DESCRIPTION"], "a #1 server");
    EXPECT_EQ(v["TAG"], "x#y");
    // vzctl 4 keeps the rest of a bare value.
    EXPECT_EQ(parse_vz_conf_text("ONBOOT=yes # boot it\n")["ONBOOT"], "yes # boot it");
}

TEST(CtConfParse7, SingleQuotesAndAMissingCloseQuoteAreTaken) {
    auto v = parse_vz_conf_text("A='one'\nB=\"open\nC=\n", nullptr, ConfRules::vzctl7);
    EXPECT_EQ(v["A"], "one");
    EXPECT_EQ(v["B"], "open");
    EXPECT_EQ(v["C"], "");
}

TEST(CtConfRead7, TheLinkedConfigIsReadWithIpsMasksAndTheLastFeatures) {
    Node7 node;
    node.add("101",
             "FEATURES=\"nfs:on\"\n"
             "IP_ADDRESS=\"10.0.0.6/255.255.255.0 \"\n"
             "FEATURES=\"nfs:on ipip:on \"\n");
    fakes::FakeProcessRunner runner;
    Vzctl7 vzctl(runner, conf_in(node.conf_dir()));
    CtConfig c = vzctl.config("101");
    EXPECT_TRUE(c.exists);
    EXPECT_EQ(c.ips(), (std::vector<std::string>{"10.0.0.6"}));
    EXPECT_TRUE(c.features.at("ipip"));
    EXPECT_EQ(c.ve_private, node.priv("101").string());
    EXPECT_TRUE(runner.calls.empty()) << "config() spawned a process";
}

TEST(Vzctl7Names, ANameResolvesThroughEtcVzNamesAndAUuidIsLowerCased) {
    Node7 node;
    node.add(kUuid, "VEID=\"" + std::string(kUuid) + "\"\nIP_ADDRESS=\"10.0.0.9 \"\n", "web1");
    fakes::FakeProcessRunner runner;
    Vzctl7 vzctl(runner, conf_in(node.conf_dir()));
    EXPECT_EQ(vzctl.vz_id("web1"), kUuid);
    EXPECT_EQ(vzctl.vz_id("FBCDF284-5345-416B-A589-7B5FCAA87673"), kUuid);
    EXPECT_EQ(vzctl.vz_id("101"), "101");
    EXPECT_EQ(vzctl.vz_id("nosuchname"), "nosuchname");
    EXPECT_EQ(vzctl.config("web1").ips(), (std::vector<std::string>{"10.0.0.9"}));
    EXPECT_EQ(vzctl.containers(), (std::vector<std::string>{kUuid}));
    EXPECT_EQ(vzctl.action_script("web1", "mount"), node.priv(kUuid) / "scripts" / "mount");
}

TEST(Vzctl7Names, ANamesFileWhoseNameDiffersIsNotThatCt) {
    Node7 node;
    node.add("102", "VEID=\"102\"\n", "db");
    fs::create_symlink(node.priv("102") / "ve.conf", node.conf_dir().parent_path() / "names/other");
    fakes::FakeProcessRunner runner;
    Vzctl7 vzctl(runner, conf_in(node.conf_dir()));
    EXPECT_EQ(vzctl.vz_id("db"), "102");
    EXPECT_EQ(vzctl.vz_id("other"), "other");
}

TEST(Vzctl7Scripts, OldSimfsLayoutsKeepTheirScriptsInEtcVzConf) {
    Node7 node;
    node.add("103", "", "", 3);
    node.add("104", "", "", 0);
    fakes::FakeProcessRunner runner;
    Vzctl7 vzctl(runner, conf_in(node.conf_dir()));
    EXPECT_EQ(vzctl.action_script("103", "umount"), node.conf_dir() / "103.umount");
    EXPECT_EQ(vzctl.action_script("104", "umount"), node.priv("104") / "scripts" / "umount");
    EXPECT_EQ(ve_layout(node.priv("103")), 3);
}

TEST(Vzctl7Set, FeaturesOnARunningCtExit32ButSavedIsReportedAsSaved) {
    Node7 node;
    node.add("101", "FEATURES=\"ipip:on \"\n");
    fakes::FakeProcessRunner runner;
    runner.answer = [](const std::vector<std::string>&) {
        return exited(32, "", "Unable to set features for the running Container\n");
    };
    Vzctl7 vzctl(runner, conf_in(node.conf_dir()));
    RunResult r = vzctl.run(CtChange::features("101", "ipip:on"));
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.err.find("running Container"), std::string::npos);
    // Not saved (the config says otherwise): the exit 32 stands.
    EXPECT_THROW(vzctl.run(CtChange::features("101", "ipip:off")), VzctlError);
    // Other changes keep vzctl's code.
    EXPECT_THROW(vzctl.run(CtChange::ipadd("101", "10.0.0.5")), VzctlError);
}

TEST(Vzctl7Set, FeaturesWithRestartIsOneCallWithSetmodeRestartAndSave) {
    fakes::FakeProcessRunner runner;
    Vzctl7 vzctl(runner, conf_in("/etc/vz/conf"));
    EXPECT_EQ(vzctl.describe(CtChange::features_with_restart("web1", "nfs:on,ipip:on")),
              "vzctl set web1 --features nfs:on,ipip:on --setmode restart --save");
}

TEST(Detect, VersionLinesOfBothVzctls) {
    EXPECT_EQ(parse_vzctl_version("vzctl version 4.11.1\n"), OpenvzRelease::v4);
    EXPECT_EQ(parse_vzctl_version("vzctl v.7.0.254\n"), OpenvzRelease::v7);
    EXPECT_EQ(parse_vzctl_version("prlctl version 7.0.0\n"), std::nullopt);
    EXPECT_EQ(parse_vzctl_version(""), std::nullopt);
}

TEST(Detect, AskedOnceThenCachedInStateDirUntilTheBinaryChanges) {
    Node7 node;
    const fs::path dir = node.conf_dir().parent_path();
    NodeConfig n;
    n.vzctl = dir / "vzctl";
    n.state_dir = dir / "state";
    fs::create_directories(n.state_dir);
    std::ofstream(n.vzctl) << "#!/bin/sh\n";
    fakes::FakeProcessRunner runner;
    runner.answer = [](const std::vector<std::string>&) { return exited(0, "vzctl v.7.0.254\n"); };
    EXPECT_EQ(detect_openvz(runner, n).release, OpenvzRelease::v7);
    auto again = detect_openvz(runner, n);
    EXPECT_EQ(again.release, OpenvzRelease::v7);
    EXPECT_NE(again.how.find("cached"), std::string::npos) << again.how;
    EXPECT_EQ(runner.calls.size(), 1u);
    std::ofstream(n.vzctl, std::ios::app) << "# upgraded\n";
    runner.answer = [](const std::vector<std::string>&) {
        return exited(0, "vzctl version 4.11.1\n");
    };
    EXPECT_EQ(detect_openvz(runner, n).release, OpenvzRelease::v4);
    EXPECT_EQ(runner.calls.size(), 2u);
    n.openvz = OpenvzRelease::v7;
    EXPECT_EQ(detect_openvz(runner, n).release, OpenvzRelease::v7);
    EXPECT_EQ(runner.calls.size(), 2u) << "a set release must not spawn vzctl";
}

TEST(Detect, AnUnknownVersionLineFallsBackToTheStatusLine) {
    NodeConfig n;
    n.vzctl = "/nonexistent/vzctl";
    fakes::FakeProcessRunner runner;
    runner.answer = [](const std::vector<std::string>& argv) {
        if (argv.at(1) == "--version") return exited(20, "", "Bad command: --version\n");
        return exited(0, "VEID 2147483647 deleted unmounted down\n");
    };
    auto d = detect_openvz(runner, n);
    EXPECT_EQ(d.release, OpenvzRelease::v7);
    EXPECT_NE(d.how.find("`vzctl status` printed"), std::string::npos) << d.how;
    ASSERT_EQ(runner.calls.size(), 2u);
    EXPECT_EQ(runner.calls[1],
              (std::vector<std::string>{"/nonexistent/vzctl", "status", "2147483647"}));
}

TEST(Detect, AnUnknownVzctlIsExplained) {
    NodeConfig n;
    n.vzctl = "/nonexistent/vzctl";
    fakes::FakeProcessRunner runner;
    runner.answer = [](const std::vector<std::string>&) { return exited(0, "hello\n"); };
    try {
        detect_openvz(runner, n);
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("set openvz = 4 or openvz = 7"), std::string::npos)
            << e.what();
    }
}
