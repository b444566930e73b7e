// The ARP guard's pure parts: rendered nft scripts and tc argv, parsers, uplink rule, reports.
#include "vzlvs/net/arpguard.hpp"

#include <gtest/gtest.h>

#include "net/arpguard_detail.hpp"
#include "vzlvs/net/uplinks.hpp"

namespace vzlvs {
namespace {

using namespace arpguard_detail;
using Argv = std::vector<std::string>;

// `nft -j list table netdev vzlvs` from nft 1.0.6 after ensure({"eth0"}, {"10.0.0.5"}).
const char* const kListed = R"({"nftables": [{"metainfo": {"version": "1.0.6",
 "release_name": "Lester Gooch #5", "json_schema_version": 1}},
 {"table": {"family": "netdev", "name": "vzlvs", "handle": 1}},
 {"set": {"family": "netdev", "name": "vips", "table": "vzlvs", "type": "ipv4_addr",
   "handle": 3, "elem": ["10.0.0.5"]}},
 {"chain": {"family": "netdev", "table": "vzlvs", "name": "egress_eth0", "handle": 1,
   "type": "filter", "hook": "egress", "prio": -500, "policy": "accept"}},
 {"chain": {"family": "netdev", "table": "vzlvs", "name": "ingress_eth0", "handle": 2,
   "type": "filter", "hook": "ingress", "prio": -500, "policy": "accept"}},
 {"rule": {"family": "netdev", "table": "vzlvs", "chain": "egress_eth0", "handle": 4,
   "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "arp",
   "field": "saddr ip"}}, "right": "@vips"}}, {"counter": {"packets": 3, "bytes": 126}},
   {"drop": null}]}},
 {"rule": {"family": "netdev", "table": "vzlvs", "chain": "ingress_eth0", "handle": 5,
   "expr": [{"match": {"op": "==", "left": {"payload": {"protocol": "arp",
   "field": "operation"}}, "right": "request"}}, {"match": {"op": "==", "left": {"payload":
   {"protocol": "arp", "field": "daddr ip"}}, "right": "@vips"}},
   {"counter": {"packets": 0, "bytes": 0}}, {"drop": null}]}}]})";

TEST(ArpGuardNft, ParsesWhatEnsureWrites) {
    auto st = parse_nft_table(kListed);
    EXPECT_EQ(st.vips, std::set<std::string>{"10.0.0.5"});
    ASSERT_EQ(st.devices.count("eth0"), 1u);
    EXPECT_EQ(st.devices.at("eth0"), std::set<std::string>{"10.0.0.5"});
    EXPECT_TRUE(st.damaged.empty());
    EXPECT_TRUE(parse_nft_table("").empty());
}

TEST(ArpGuardNft, AlteredRuleOrPriorityIsDamaged) {
    std::string flushed = kListed;
    auto at = flushed.find(R"( {"rule": {"family": "netdev", "table": "vzlvs", "chain": "egress)");
    auto end = flushed.find(R"( {"rule")", at + 5);
    flushed.erase(at, end - at);
    EXPECT_EQ(parse_nft_table(flushed).damaged, std::set<std::string>{"eth0"});

    std::string prio = kListed;
    prio.replace(prio.find("-500"), 4, "0");
    EXPECT_EQ(parse_nft_table(prio).damaged, std::set<std::string>{"eth0"});
    EXPECT_THROW(parse_nft_table("{not json"), Error);
}

TEST(ArpGuardNft, RendersOneTransactionForAFreshNode) {
    GuardChanges ch;
    auto s = render_nft_ensure({}, {"eth0", "bond0.100"}, {"10.0.0.5", "10.0.0.6"}, &ch);
    EXPECT_EQ(s,
              "add table netdev vzlvs\n"
              "add set netdev vzlvs vips { type ipv4_addr; }\n"
              "add element netdev vzlvs vips { 10.0.0.5, 10.0.0.6 }\n"
              "add chain netdev vzlvs egress_eth0 { type filter hook egress device \"eth0\" "
              "priority -500; policy accept; }\n"
              "add rule netdev vzlvs egress_eth0 arp saddr ip @vips counter drop\n"
              "add chain netdev vzlvs ingress_eth0 { type filter hook ingress device \"eth0\" "
              "priority -500; policy accept; }\n"
              "add rule netdev vzlvs ingress_eth0 arp operation request arp daddr ip @vips "
              "counter drop\n"
              "add chain netdev vzlvs egress_bond0.100 { type filter hook egress device "
              "\"bond0.100\" priority -500; policy accept; }\n"
              "add rule netdev vzlvs egress_bond0.100 arp saddr ip @vips counter drop\n"
              "add chain netdev vzlvs ingress_bond0.100 { type filter hook ingress device "
              "\"bond0.100\" priority -500; policy accept; }\n"
              "add rule netdev vzlvs ingress_bond0.100 arp operation request arp daddr ip @vips "
              "counter drop\n");
    EXPECT_EQ(ch.added_devices, (Argv{"eth0", "bond0.100"}));
}

TEST(ArpGuardNft, OnlyWhatDiffersIsRendered) {
    auto have = parse_nft_table(kListed);
    GuardChanges ch;
    EXPECT_EQ(render_nft_ensure(have, {"eth0"}, {"10.0.0.5"}, &ch), "");
    EXPECT_TRUE(ch.empty());
    EXPECT_EQ(ch.str(), "no change");

    auto s = render_nft_ensure(have, {"eth0"}, {"10.0.0.5", "10.0.0.7"}, &ch);
    EXPECT_NE(s.find("add element netdev vzlvs vips { 10.0.0.7 }\n"), std::string::npos) << s;
    EXPECT_EQ(s.find("add chain"), std::string::npos) << "a new VIP must not touch chains";

    have.damaged.insert("eth1");
    s = render_nft_ensure(have, {"eth1"}, {}, &ch);
    EXPECT_EQ(ch.repaired_devices, Argv{"eth1"});
    EXPECT_NE(s.find("add chain netdev vzlvs egress_eth1\ndelete chain netdev vzlvs egress_eth1\n"),
              std::string::npos)
        << s;
}

TEST(ArpGuardNft, RejectsValuesBeforeRendering) {
    GuardChanges ch;
    EXPECT_THROW(render_nft_ensure({}, {"eth0\"; flush ruleset"}, {"10.0.0.5"}, &ch), UsageError);
    EXPECT_THROW(render_nft_ensure({}, {"averyveryverylongname"}, {"10.0.0.5"}, &ch), UsageError);
    EXPECT_THROW(render_nft_ensure({}, {"eth0"}, {"10.0.0.05"}, &ch), UsageError);
    EXPECT_THROW(render_nft_ensure({}, {"eth0"}, {"10.0.0.5 }"}, &ch), UsageError);
    EXPECT_THROW(render_nft_ensure({}, {"eth0"}, {"0.0.0.0"}, &ch), UsageError);
    EXPECT_EQ(render_nft_remove_vip("10.0.0.5"), "delete element netdev vzlvs vips { 10.0.0.5 }\n");
    EXPECT_EQ(render_nft_remove_all(), "delete table netdev vzlvs\n");
}

TEST(ArpGuardTc, RendersFiltersWithSenderIpAsTwoAlignedHalves) {
    EXPECT_EQ(
        render_tc_egress_filter(TcFlavor::clsact, "eth0", "10.0.0.5"),
        (Argv{"tc",    "filter", "add",    "dev",    "eth0",   "parent", "ffff:fff3",  "protocol",
              "arp",   "pref",   "49152",  "u32",    "match",  "u32",    "0x00010800", "0xffffffff",
              "at",    "0",      "match",  "u16",    "0x0a00", "0xffff", "at",         "14",
              "match", "u16",    "0x0005", "0xffff", "at",     "16",     "action",     "drop"}));
    EXPECT_EQ(render_tc_ingress_filter(TcFlavor::prio, "eth0", "192.168.1.2"),
              (Argv{"tc",     "filter",   "add",        "dev",        "eth0",  "parent",
                    "ffff:",  "protocol", "arp",        "pref",       "49152", "u32",
                    "match",  "u32",      "0x00010800", "0xffffffff", "at",    "0",
                    "match",  "u16",      "0x0001",     "0xffff",     "at",    "6",
                    "match",  "u32",      "0xc0a80102", "0xffffffff", "at",    "24",
                    "action", "drop"}));
    EXPECT_EQ(render_tc_qdisc(TcFlavor::prio, "eth0", true),
              (Argv{"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "prio"}));
    EXPECT_EQ(render_tc_qdisc(TcFlavor::clsact, "eth0", false),
              (Argv{"tc", "qdisc", "add", "dev", "eth0", "clsact"}));
    EXPECT_THROW(render_tc_egress_filter(TcFlavor::clsact, "eth 0", "10.0.0.5"), UsageError);
}

// `tc qdisc show` (iproute2 6.1) of a two-queue device: its mq root and default children.
const char* kMqQdiscs =
    "qdisc noqueue 0: dev lo root refcnt 2 \n"
    "qdisc mq 1: dev eth0 root \n"
    "qdisc pfifo_fast 0: dev eth0 parent 1:2 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n"
    "qdisc pfifo_fast 0: dev eth0 parent 1:1 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n"
    "qdisc ingress ffff: dev eth0 parent ffff:fff1 ---------------- \n";

TEST(ArpGuardTc, ParsesQdiscs) {
    auto q = parse_tc_qdiscs(kMqQdiscs);
    ASSERT_EQ(q.size(), 5u);
    EXPECT_EQ(q[1].kind, "mq");
    EXPECT_EQ(q[1].handle, "1:");
    EXPECT_EQ(q[1].parent, "root");
    EXPECT_EQ(q[2].parent, "1:2");
    EXPECT_EQ(q[4].kind, "ingress");
    EXPECT_EQ(q[4].parent, "ingress");
}

TEST(ArpGuardTc, PrioOnMqTakesEachDefaultQueueAndKeepsTheRoot) {
    auto q = parse_tc_qdiscs(kMqQdiscs);
    EXPECT_TRUE(tc_egress_parents(TcFlavor::prio, "eth0", q).empty());
    std::vector<std::string> parents;
    auto cmds = plan_tc_prio_egress("eth0", q, &parents);
    EXPECT_EQ(
        cmds,
        (std::vector<Argv>{
            {"tc", "qdisc", "add", "dev", "eth0", "parent", "1:2", "handle", "fa02:", "prio"},
            {"tc", "qdisc", "add", "dev", "eth0", "parent", "1:1", "handle", "fa01:", "prio"}}));
    EXPECT_EQ(parents, (std::vector<std::string>{"fa02:", "fa01:"}));
    // Once made, those are where the egress filters hang, and nothing more is planned.
    q = parse_tc_qdiscs(std::string(kMqQdiscs) +
                        "qdisc prio fa01: dev eth0 parent 1:1 bands 3 priomap 1 2 2 2 1 2 0 0\n");
    EXPECT_EQ(tc_egress_parents(TcFlavor::prio, "eth0", q), (std::vector<std::string>{"fa01:"}));
    EXPECT_EQ(render_tc_egress_filter(TcFlavor::prio, "eth0", "10.0.0.5", "fa01:")[6], "fa01:");
}

TEST(ArpGuardTc, PrioRefusesAQueueDisciplineSomeoneChose) {
    auto q = parse_tc_qdiscs(
        "qdisc mq 0: dev eth0 root \n"
        "qdisc fq_codel 0: dev eth0 parent :1 limit 10240p flows 1024\n"
        "qdisc pfifo_fast 0: dev eth0 parent :2 bands 3 priomap 1 2 2 2 1 2 0 0\n");
    std::vector<std::string> parents;
    EXPECT_THROW(plan_tc_prio_egress("eth0", q, &parents), Error);
}

TEST(ArpGuardTc, PrioWithoutMqTakesTheRoot) {
    auto q = parse_tc_qdiscs("qdisc noqueue 0: dev eth0 root refcnt 2 \n");
    std::vector<std::string> parents;
    EXPECT_EQ(
        plan_tc_prio_egress("eth0", q, &parents),
        (std::vector<Argv>{{"tc", "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "prio"}}));
    EXPECT_EQ(parents, (std::vector<std::string>{"1:"}));
    q = parse_tc_qdiscs("qdisc prio 1: dev eth0 root refcnt 2 bands 3 priomap 1 2 2 2\n");
    EXPECT_EQ(tc_egress_parents(TcFlavor::prio, "eth0", q), (std::vector<std::string>{"1:"}));
    EXPECT_TRUE(tc_egress_parents(TcFlavor::clsact, "eth0", q).empty());
}

// `tc filter show dev eth0 parent ffff:fff3` (iproute2 6.1) with one egress and one ingress
// filter; the action lines are as Debian's kernel prints them with act_gact.
const char* const kTcShow =
    "filter protocol arp pref 49152 u32 chain 0 \n"
    "filter protocol arp pref 49152 u32 chain 0 fh 801: ht divisor 1 \n"
    "filter protocol arp pref 49152 u32 chain 0 fh 801::800 order 2048 key ht 801 bkt 0 "
    "terminal flowid ??? not_in_hw \n"
    "  match 00010800/ffffffff at 0\n"
    "  match 00000001/0000ffff at 4\n"
    "  match 0a000005/ffffffff at 24\n"
    "\taction order 1: gact action drop\n"
    "\t random type none pass val 0\n"
    "\t index 2 ref 1 bind 1 \n"
    "\n"
    "filter protocol arp pref 49152 u32 chain 0 fh 800: ht divisor 1 \n"
    "filter protocol arp pref 49152 u32 chain 0 fh 800::800 order 2048 key ht 800 bkt 0 "
    "terminal flowid ??? not_in_hw \n"
    "  match 00010800/ffffffff at 0\n"
    "  match 00000a00/0000ffff at 12\n"
    "  match 00050000/ffff0000 at 16\n"
    "\taction order 1: gact action drop\n"
    "\t random type none pass val 0\n"
    "\t index 1 ref 1 bind 1 \n"
    "filter protocol arp pref 7 u32 chain 0 fh 802::800 order 2048 key ht 802 bkt 0 "
    "flowid 1:1 not_in_hw \n"
    "  match 00000000/00000000 at 0\n";

TEST(ArpGuardTc, ParsesShowOutputIntoVipsAndDirections) {
    auto f = parse_tc_filters(kTcShow, "ffff:fff3");
    ASSERT_EQ(f.size(), 3u);
    EXPECT_EQ(f[0].handle, "801::800");
    EXPECT_TRUE(f[0].ingress);
    EXPECT_TRUE(f[0].drop);
    EXPECT_EQ(f[0].vip, "10.0.0.5");
    EXPECT_EQ(f[1].handle, "800::800");
    EXPECT_TRUE(f[1].egress);
    EXPECT_TRUE(f[1].drop);
    EXPECT_EQ(f[1].vip, "10.0.0.5");
    EXPECT_EQ(f[2].pref, 7u);
    EXPECT_EQ(f[2].vip, "");
    EXPECT_FALSE(f[2].drop);
    EXPECT_EQ(render_tc_delete("eth0", f[1]),
              (Argv{"tc", "filter", "del", "dev", "eth0", "parent", "ffff:fff3", "protocol", "arp",
                    "pref", "49152", "handle", "800::800", "u32"}));
}

// CentOS 7's iproute (4.11.0, also OpenVZ 7's; 3.10.0 before it prints the same lines), as
// its print code writes them -- tc/tc_filter.c print_filter, tc/f_u32.c u32_print_opt and
// print_raw, tc/m_action.c tc_print_action, tc/m_gact.c print_gact (CONFIG_GACT_PROB),
// tc/tc_qdisc.c print_qdisc, tc/q_prio.c (pfifo_fast), tc/q_ingress.c: no `chain`, no
// `not_in_hw` (both later), and a line of one blank after each action.
const char* const kTcShowIproute411 =
    "filter protocol arp pref 49152 u32 \n"
    "filter protocol arp pref 49152 u32 fh 801: ht divisor 1 \n"
    "filter protocol arp pref 49152 u32 fh 801::800 order 2048 key ht 801 bkt 0 terminal flowid "
    "??? \n"
    "  match 00010800/ffffffff at 0\n"
    "  match 00000001/0000ffff at 4\n"
    "  match 0a000005/ffffffff at 24\n"
    "\taction order 1: gact action drop\n"
    "\t random type none pass val 0\n"
    "\t index 2 ref 1 bind 1\n"
    " \n"
    "filter protocol arp pref 49152 u32 fh 800: ht divisor 1 \n"
    "filter protocol arp pref 49152 u32 fh 800::800 order 2048 key ht 800 bkt 0 terminal flowid "
    "??? \n"
    "  match 00010800/ffffffff at 0\n"
    "  match 00000a00/0000ffff at 12\n"
    "  match 00050000/ffff0000 at 16\n"
    "\taction order 1: gact action drop\n"
    "\t random type none pass val 0\n"
    "\t index 1 ref 1 bind 1\n"
    " \n"
    "filter protocol arp pref 7 u32 fh 802::800 order 2048 key ht 802 bkt 0 flowid 1:1 \n"
    "  match 00000000/00000000 at 0\n";

TEST(ArpGuardTc, ParsesCentos7IproutesFilterOutputAsDebians) {
    auto f = parse_tc_filters(kTcShowIproute411, "ffff:");
    auto debian = parse_tc_filters(kTcShow, "ffff:");
    ASSERT_EQ(f.size(), debian.size());
    for (std::size_t i = 0; i < f.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(f[i].handle, debian[i].handle);
        EXPECT_EQ(f[i].pref, debian[i].pref);
        EXPECT_EQ(f[i].matches, debian[i].matches);
        EXPECT_EQ(f[i].drop, debian[i].drop);
        EXPECT_EQ(f[i].vip, debian[i].vip);
        EXPECT_EQ(f[i].egress, debian[i].egress);
        EXPECT_EQ(f[i].ingress, debian[i].ingress);
    }
    EXPECT_TRUE(f[0].ingress && f[0].drop);
    EXPECT_TRUE(f[1].egress && f[1].drop);
}

// A two-queue NIC on CentOS 7 (a default mq root, handle 0:, its pfifo_fast children, and the
// ingress qdisc), as iproute 4.11 prints `tc qdisc show`.
TEST(ArpGuardTc, PlansPrioOnCentos7IproutesMqOutput) {
    auto q = parse_tc_qdiscs(
        "qdisc mq 0: dev eth0 root \n"
        "qdisc pfifo_fast 0: dev eth0 parent :2 bands 3 priomap  1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 "
        "1\n"
        "qdisc pfifo_fast 0: dev eth0 parent :1 bands 3 priomap  1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 "
        "1\n"
        "qdisc ingress ffff: dev eth0 parent ffff:fff1 ---------------- \n");
    ASSERT_EQ(q.size(), 4u);
    EXPECT_EQ(q[0].kind, "mq");
    EXPECT_EQ(q[1].parent, ":2");
    EXPECT_EQ(q[3].parent, "ingress");
    std::vector<std::string> parents;
    // A class of a qdisc with handle 0 cannot be named: the mq root gets handle 1: first (the
    // VM test found it; every queue then has the default qdisc again, as checked here).
    EXPECT_EQ(
        plan_tc_prio_egress("eth0", q, &parents),
        (std::vector<Argv>{
            {"tc", "qdisc", "replace", "dev", "eth0", "root", "handle", "1:", "mq"},
            {"tc", "qdisc", "add", "dev", "eth0", "parent", "1:2", "handle", "fa02:", "prio"},
            {"tc", "qdisc", "add", "dev", "eth0", "parent", "1:1", "handle", "fa01:", "prio"}}));
    EXPECT_EQ(parents, (std::vector<std::string>{"fa02:", "fa01:"}));
    // Once made, 4.11 prints them as it prints any prio: they are found again.
    q = parse_tc_qdiscs(
        "qdisc mq 1: dev eth0 root \n"
        "qdisc prio fa02: dev eth0 parent 1:2 bands 3 priomap  1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n"
        "qdisc prio fa01: dev eth0 parent 1:1 bands 3 priomap  1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n");
    EXPECT_EQ(tc_egress_parents(TcFlavor::prio, "eth0", q),
              (std::vector<std::string>{"fa02:", "fa01:"}));
}

TEST(ArpGuardUplinks, AppliesVzgetnetdevRule) {
    std::vector<UplinkCandidate> links = {
        {"lo", true, true, false, false, true},         {"eth0", true, false, false, false, true},
        {"eth1", true, false, true, false, true},       {"venet0", true, false, false, true, true},
        {"veth101.0", true, false, false, false, true}, {"eth2", false, false, false, false, true},
        {"eth3", true, false, false, false, false},     {"bond0", true, false, false, false, true},
    };
    EXPECT_EQ(select_uplinks(links), (Argv{"eth0", "bond0"}));
}

TEST(ArpGuardReport, NamesEveryMissingPair) {
    GuardState st;
    st.vips = {"10.0.0.5"};
    st.devices["eth0"] = {"10.0.0.5"};
    st.damaged = {"eth2"};
    auto r = describe_guard(st, {"eth0", "eth1", "eth2"}, {"10.0.0.5"});
    EXPECT_EQ(r.guarded, Argv{"10.0.0.5 on eth0"});
    ASSERT_EQ(r.missing.size(), 2u);
    EXPECT_NE(r.missing[0].find("10.0.0.5 on eth1: no vzlvs ARP filter"), std::string::npos);
    EXPECT_NE(r.missing[1].find("altered"), std::string::npos);
    EXPECT_FALSE(r.ok());
    EXPECT_FALSE(describe_guard({}, {}, {"10.0.0.5"}).ok());
}

}  // namespace
}  // namespace vzlvs
