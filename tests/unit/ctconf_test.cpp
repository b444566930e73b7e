// The CT config reader on temp files, rule by rule as vzctl's own parser applies them.
#include "vzlvs/ct/ctconf.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "vzlvs/base/error.hpp"

namespace fs = std::filesystem;
using namespace vzlvs;

namespace {

// /etc/vz-like layout in a temp dir: vz.conf and conf/<ctid>.conf; removed with the object.
class ConfTree {
  public:
    ConfTree() {
        std::string pattern = (fs::temp_directory_path() / "vzlvs-ctconf-XXXXXX").string();
        if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
        root_ = pattern;
        fs::create_directory(conf_dir());
    }
    ~ConfTree() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }
    fs::path conf_dir() const { return root_ / "conf"; }
    fs::path global() const { return root_ / "vz.conf"; }
    void write_global(const std::string& text) { std::ofstream(global()) << text; }
    void write_ct(const std::string& ctid, const std::string& text) {
        std::ofstream(conf_dir() / (ctid + ".conf")) << text;
    }
    CtConfig read(const std::string& ctid = "101") const {
        return read_ct_config(conf_dir(), ctid, global());
    }

  private:
    fs::path root_;
};

const char* kGlobal =
    "## Global parameters\n"
    "VIRTUOZZO=yes\n"
    "LOCKDIR=/vz/lock\n"
    "VE_ROOT=/vz/root/$VEID\n"
    "VE_PRIVATE=/vz/private/$VEID\n"
    "STOP_TIMEOUT=120\n";

}  // namespace

TEST(CtConfParse, SkipsLeadingWhitespaceCommentsAndBlankLines) {
    auto v = parse_vz_conf_text(
        "# a comment\n"
        "   # an indented comment\n"
        "\n"
        "   \t\n"
        "  \tONBOOT=\"yes\"\n"
        "not a setting\n");
    EXPECT_EQ(v.size(), 1u);
    EXPECT_EQ(v["ONBOOT"], "yes");
}

TEST(CtConfParse, QuotedAndBareValues) {
    auto v = parse_vz_conf_text(
        "A=plain\n"
        "B=\"quoted value\"\n"
        "C=\"\"\n"
        "D=\n"
        "E=\"a \"inner\" b\"\n"
        "F=\"trailing blanks\"   \n"
        "G=x=y\n"
        "H=\"crlf\"\r\n"
        "I=\"x\" # after the closing quote\n"
        "J=bare\"\n"
        "K=\"unmatched\n");
    EXPECT_EQ(v["A"], "plain");
    EXPECT_EQ(v["B"], "quoted value");
    EXPECT_EQ(v["C"], "");
    EXPECT_EQ(v["D"], "");
    // The value runs to the last quote on the line.
    EXPECT_EQ(v["E"], "a \"inner\" b");
    EXPECT_EQ(v["F"], "trailing blanks");
    EXPECT_EQ(v["G"], "x=y");
    EXPECT_EQ(v["H"], "crlf");
    EXPECT_EQ(v["I"], "x");
    EXPECT_EQ(v["J"], "bare\"");
    // vzctl rejects a line with an opening quote and no closing one.
    EXPECT_EQ(v.count("K"), 0u);
}

TEST(CtConfParse, NoShellExpansionAndBackslashesEscape) {
    auto v = parse_vz_conf_text(
        "A=\"$HOME\"\n"
        "B=`id`\n"
        "C=\"say \\\"hi\\\"\"\n");
    EXPECT_EQ(v["A"], "$HOME");
    EXPECT_EQ(v["B"], "`id`");
    // vzctl drops each backslash and keeps the character after it.
    EXPECT_EQ(v["C"], "say \"hi\"");
}

TEST(CtConfParse, FirstKeyWinsButIpLinesAccumulate) {
    std::vector<std::string> ip_lines;
    auto v = parse_vz_conf_text(
        "HOSTNAME=\"first\"\n"
        "IP_ADDRESS=\"10.0.0.5\"\n"
        "HOSTNAME=\"second\"\n"
        "IP_ADDRESS=\"10.0.0.6/24 10.0.0.7\"\n",
        &ip_lines);
    EXPECT_EQ(v["HOSTNAME"], "first");
    EXPECT_EQ(ip_lines, (std::vector<std::string>{"10.0.0.5", "10.0.0.6/24 10.0.0.7"}));
}

TEST(CtConfRead, MissingCtFileStillGivesGlobalDefaults) {
    ConfTree t;
    t.write_global(kGlobal);
    CtConfig c = t.read("101");
    EXPECT_FALSE(c.exists);
    EXPECT_EQ(c.ve_root, "/vz/root/101");
    EXPECT_EQ(c.ve_private, "/vz/private/101");
    EXPECT_TRUE(c.ip_address.empty());
}

TEST(CtConfRead, MissingGlobalFileIsFine) {
    ConfTree t;
    t.write_ct("101", "IP_ADDRESS=\"10.0.0.5\"\n");
    CtConfig c = t.read("101");
    EXPECT_TRUE(c.exists);
    EXPECT_EQ(c.ip_address, (std::vector<std::string>{"10.0.0.5"}));
    EXPECT_EQ(c.ve_root, "");
}

TEST(CtConfRead, CtFileOverridesGlobal) {
    ConfTree t;
    t.write_global(kGlobal);
    t.write_ct("101",
               "VE_ROOT=\"/srv/root/${VEID}/\"\n"
               "STOP_TIMEOUT=\"300\"\n");
    CtConfig c = t.read("101");
    EXPECT_EQ(c.ve_root, "/srv/root/101");
    EXPECT_EQ(c.ve_private, "/vz/private/101");
    EXPECT_EQ(c.raw.at("STOP_TIMEOUT"), "300");
    EXPECT_EQ(c.raw.at("LOCKDIR"), "/vz/lock");
}

TEST(CtConfRead, VeidIsExpandedOnlyInVeRootAndVePrivate) {
    ConfTree t;
    t.write_global("DUMPDIR=/vz/dump/$VEID\n");
    t.write_ct("202",
               "VE_ROOT=\"/vz/root/$VEID///\"\n"
               "VE_PRIVATE=\"/vz/private/${VEID}\"\n"
               "HOSTNAME=\"ct$VEID\"\n");
    CtConfig c = t.read("202");
    EXPECT_EQ(c.ve_root, "/vz/root/202");
    EXPECT_EQ(c.ve_private, "/vz/private/202");
    EXPECT_EQ(c.raw.at("HOSTNAME"), "ct$VEID");
    EXPECT_EQ(c.raw.at("DUMPDIR"), "/vz/dump/$VEID");
    // raw keeps the file's text; the expanded forms are in ve_root/ve_private.
    EXPECT_EQ(c.raw.at("VE_ROOT"), "/vz/root/$VEID///");
}

TEST(CtConfRead, IpAddressWordsAccumulateWithMasksKept) {
    ConfTree t;
    t.write_global(kGlobal);
    t.write_ct("101",
               "IP_ADDRESS=\"10.0.0.5 10.0.0.6/24\"\n"
               "IP_ADDRESS=\"10.0.0.7\t2001:db8::5\"\n");
    CtConfig c = t.read("101");
    EXPECT_EQ(c.ip_address,
              (std::vector<std::string>{"10.0.0.5", "10.0.0.6/24", "10.0.0.7", "2001:db8::5"}));
    EXPECT_EQ(c.ips(),
              (std::vector<std::string>{"10.0.0.5", "10.0.0.6", "10.0.0.7", "2001:db8::5"}));
    EXPECT_TRUE(c.has_ip("10.0.0.6"));
    EXPECT_TRUE(c.has_ip("10.0.0.6/32"));
    EXPECT_TRUE(c.has_ip("10.0.0.5"));
    EXPECT_FALSE(c.has_ip("10.0.0.50"));
    EXPECT_FALSE(c.has_ip("10.0.0.8"));
}

TEST(CtConfRead, FeaturesSplitOnSpaceTabAndComma) {
    ConfTree t;
    t.write_ct("101", "FEATURES=\"ipip:on sit:off,nfs:on\tppp:off bogus on:maybe\"\n");
    CtConfig c = t.read("101");
    EXPECT_EQ(c.features, (std::map<std::string, bool>{
                              {"ipip", true}, {"sit", false}, {"nfs", true}, {"ppp", false}}));
}

TEST(CtConfRead, FeaturesFromTheCtFileReplaceGlobalOnes) {
    ConfTree t;
    t.write_global("FEATURES=\"sit:on\"\n");
    t.write_ct("101", "FEATURES=\"ipip:on\"\n");
    EXPECT_EQ(t.read("101").features, (std::map<std::string, bool>{{"ipip", true}}));
    t.write_ct("101", "HOSTNAME=x\n");
    EXPECT_EQ(t.read("101").features, (std::map<std::string, bool>{{"sit", true}}));
}

TEST(CtConfRead, RefusesIdsThatAreNotCtIds) {
    ConfTree t;
    EXPECT_THROW(t.read("../../etc/passwd"), UsageError);
    EXPECT_THROW(t.read(""), UsageError);
}

TEST(CtConfRead, UnreadableFileIsExplained) {
    ConfTree t;
    // A directory where the file should be cannot be read as a config.
    fs::create_directory(t.conf_dir() / "101.conf");
    try {
        t.read("101");
        FAIL() << "expected an error";
    } catch (const Error& e) {
        std::string what = e.what();
        EXPECT_NE(what.find("101.conf"), std::string::npos) << what;
        EXPECT_NE(what.find("cannot read the container config"), std::string::npos) << what;
    }
}
