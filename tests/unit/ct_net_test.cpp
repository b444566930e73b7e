// The in-CT state parser: its input comes from a container whose root may be hostile.
#include "vzlvs/ct/ct_net.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vzlvs/net/desired_sysctls.hpp"

namespace vzlvs {
namespace {

using testing::HasSubstr;

std::string error_of(const std::string& out) {
    try {
        parse_ct_net_output(out);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

TEST(CtNetParse, ReadsEveryFieldTyped) {
    CtNetState s = parse_ct_net_output(
        "tunl0=present\nkind=ipip\nup=1\nmtu=1480\naddr=192.0.2.10/32\n"
        "sysctl=net.ipv4.conf.all.rp_filter 0\nfb_tunnels=1\npersist=differs\n"
        "venet=192.0.2.10/32\nadvmss=1400\nunknown=ignored\n");
    EXPECT_TRUE(s.tunl0);
    EXPECT_EQ(s.kind, "ipip");
    EXPECT_TRUE(s.up);
    EXPECT_EQ(s.mtu, 1480u);
    EXPECT_TRUE(s.has_addr("192.0.2.10"));
    EXPECT_EQ(s.sysctls.at("net.ipv4.conf.all.rp_filter"), "0");
    EXPECT_EQ(s.fb_tunnels, 1u);
    EXPECT_EQ(s.persist, CtNetState::Persist::differs);
    EXPECT_EQ(s.advmss, 1400u);
}

TEST(CtNetParse, BadNumbersAndWordsAreClearErrors) {
    EXPECT_THAT(error_of("advmss=99999999999999999999999\n"),
                HasSubstr("in-CT advmss: \"99999999999999999999999\" is not a number"));
    EXPECT_THAT(error_of("mtu=12ab\n"), HasSubstr("in-CT tunl0 mtu"));
    EXPECT_THAT(error_of("persist=\x1b[31mok\n"),
                HasSubstr("\"?[31mok\" is not ok|missing|differs"));
    EXPECT_THAT(error_of(std::string(kCtNetOutputMax + 1, 'x')), HasSubstr("refused"));
}

TEST(CtNetParse, ProblemsComeFromTheDesiredSysctlTable) {
    CtNetState s = parse_ct_net_output(
        "tunl0=present\nkind=ipip\nup=1\naddr=192.0.2.10/32\n"
        "persist=ok\n");
    for (const auto& row : ct_sysctls()) s.sysctls[row.key] = row.value;
    EXPECT_EQ(s.problems({"192.0.2.10"}), "");
    s.sysctls["net.ipv4.conf.all.arp_ignore"] = "0";
    EXPECT_THAT(s.problems({"192.0.2.10"}), HasSubstr("net.ipv4.conf.all.arp_ignore=0, want 1"));
}

TEST(CtNetScript, CarriesEveryDesiredSysctl) {
    const std::string script = ct_net_script();
    for (const auto& row : ct_sysctls()) EXPECT_THAT(script, HasSubstr(row.key + " " + row.value));
    EXPECT_EQ(script.find("{{"), std::string::npos);
}

TEST(CtNetScript, WritesThePersistedTextTheHostJudges) {
    std::string text = ct_persist_text();
    for (const auto& row : ct_sysctls()) EXPECT_THAT(text, HasSubstr(row.key + " = " + row.value));
    text.pop_back();
    EXPECT_THAT(ct_net_script(), HasSubstr("PERSIST_TEXT='" + text + "'"));
    EXPECT_THAT(ct_net_script(), HasSubstr(std::string("PERSIST=") + kCtPersistFile));
    // As the script's $(cat FILE) compares: trailing newlines do not count, the rest does.
    EXPECT_EQ(persist_state(std::nullopt), CtNetState::Persist::missing);
    EXPECT_EQ(persist_state(ct_persist_text()), CtNetState::Persist::ok);
    EXPECT_EQ(persist_state(text), CtNetState::Persist::ok);
    EXPECT_EQ(persist_state(ct_persist_text() + "\n\n"), CtNetState::Persist::ok);
    EXPECT_EQ(persist_state(ct_persist_text() + "x\n"), CtNetState::Persist::differs);
    EXPECT_EQ(persist_state(""), CtNetState::Persist::differs);
}

}  // namespace
}  // namespace vzlvs
