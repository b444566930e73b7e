// Netlink against real namespaces: objects are made with `ip` (as vzctl would) and read,
// changed and watched through vzlvs::Netlink.
#include "vzlvs/net/netlink.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <netlink/errno.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <thread>

#include "support/netns.hpp"

using namespace vzlvs;
using ::testing::HasSubstr;
using vzlvs::test::Netns;

namespace {

const std::string kVip = "192.0.2.10";

using NetlinkNs = vzlvs::test::NoNamespaceLeftBehind;

std::string routes_in(const Netns& ns, const std::string& ip) {
    return ns.ip_ok({"route", "show", "table", "all", ip});
}

template <typename F>
NetlinkError netlink_error(F&& f) {
    try {
        f();
    } catch (const NetlinkError& e) {
        return e;
    }
    throw std::runtime_error("expected a NetlinkError");
}

}  // namespace

TEST_F(NetlinkNs, LinksAreReadInTheirOwnNamespace) {
    Netns ns;
    ns.add_veth("v0", "v1");
    ns.ip_ok({"link", "set", "v0", "mtu", "1400"});
    ns.ip_ok({"link", "add", "v2", "type", "veth", "peer", "name", "v3"});  // left down
    auto nl = make_netlink(ns.path());

    auto v0 = nl->link("v0");
    ASSERT_TRUE(v0);
    EXPECT_EQ(v0->name, "v0");
    EXPECT_EQ(v0->kind, "veth");
    EXPECT_EQ(v0->arptype, ARPHRD_ETHER);
    EXPECT_TRUE(v0->up);
    EXPECT_FALSE(v0->noarp);
    EXPECT_FALSE(v0->loopback);
    EXPECT_EQ(v0->mtu, 1400u);
    EXPECT_GT(v0->index, 0);

    auto lo = nl->link("lo");
    ASSERT_TRUE(lo);
    EXPECT_TRUE(lo->loopback);
    EXPECT_EQ(lo->kind, "");

    EXPECT_FALSE(nl->link("nope"));
    EXPECT_FALSE(nl->link("v2")->up);

    // Only this namespace's five devices: the socket is not the test process's own.
    std::vector<std::string> names;
    for (const auto& l : nl->links()) names.push_back(l.name);
    EXPECT_THAT(names, ::testing::UnorderedElementsAre("lo", "v0", "v1", "v2", "v3"));
}

TEST_F(NetlinkNs, SetLinkUp) {
    Netns ns;
    ns.ip_ok({"link", "add", "v0", "type", "veth", "peer", "name", "v1"});
    auto nl = make_netlink(ns.path());
    ASSERT_FALSE(nl->link("v0")->up);
    nl->set_link_up("v0");
    EXPECT_TRUE(nl->link("v0")->up);
    EXPECT_THAT(ns.ip_ok({"link", "show", "v0"}), HasSubstr(",UP"));
}

TEST_F(NetlinkNs, MissingDeviceIsNamed) {
    Netns ns;
    auto nl = make_netlink(ns.path());
    for (auto* op :
         {+[](Netlink& n) { n.addresses("tunl0"); }, +[](Netlink& n) { n.set_link_up("tunl0"); },
          +[](Netlink& n) { n.add_address("tunl0", "192.0.2.10/32"); },
          +[](Netlink& n) { n.add_host_route("192.0.2.10", "tunl0", 254); },
          +[](Netlink& n) { n.add_proxy_neighbour("192.0.2.10", "tunl0"); }}) {
        NetlinkError e = netlink_error([&] { op(*nl); });
        EXPECT_THAT(e.what(),
                    HasSubstr("no network device named tunl0 in network namespace " + ns.path()));
        EXPECT_EQ(e.nl_error(), NLE_NODEV);
        std::printf("  error text: %s\n", e.what());
    }
}

TEST_F(NetlinkNs, TunlThatIsNotIpipShowsItsKind) {
    Netns ns;
    // No dummy driver in this kernel: a veth named tunl0 plays the impostor.
    ns.ip_ok({"link", "add", "tunl0", "type", "veth", "peer", "name", "tunl0p"});
    auto nl = make_netlink(ns.path());
    auto l = nl->link("tunl0");
    ASSERT_TRUE(l);
    EXPECT_EQ(l->kind, "veth");
    EXPECT_NE(l->arptype, static_cast<unsigned>(ARPHRD_TUNNEL));
}

TEST_F(NetlinkNs, CreatingIpipFailsClearlyWithoutKernelSupport) {
    Netns ns;
    auto nl = make_netlink(ns.path());
    try {
        bool created = nl->create_ipip_device("tunl1");
        // A kernel with ipip: then it must really be one.
        EXPECT_TRUE(created);
        auto l = nl->link("tunl1");
        ASSERT_TRUE(l);
        EXPECT_EQ(l->kind, "ipip");
        EXPECT_EQ(l->arptype, static_cast<unsigned>(ARPHRD_TUNNEL));
        EXPECT_FALSE(nl->create_ipip_device("tunl1"));
        std::printf("  this kernel has ipip: created tunl1\n");
    } catch (const NetlinkError& e) {
        EXPECT_THAT(e.what(), HasSubstr("ipip not supported by this kernel"));
        EXPECT_THAT(e.what(), HasSubstr("tunl1"));
        EXPECT_EQ(e.nl_error(), NLE_OPNOTSUPP);
        std::printf("  error text: %s\n", e.what());
    }
}

TEST_F(NetlinkNs, AddressesAddListDelete) {
    Netns ns;
    ns.add_veth("v0", "v1");
    ns.ip_ok({"addr", "add", "10.9.8.7/24", "dev", "v0"});
    auto nl = make_netlink(ns.path());
    EXPECT_THAT(nl->addresses("v0"), ::testing::ElementsAre("10.9.8.7/24"));

    nl->add_address("v0", kVip + "/32");
    nl->add_address("v0", kVip + "/32");  // already there: fine
    EXPECT_THAT(nl->addresses("v0"), ::testing::UnorderedElementsAre("10.9.8.7/24", kVip + "/32"));
    EXPECT_THAT(ns.ip_ok({"-4", "addr", "show", "dev", "v0"}), HasSubstr("inet " + kVip + "/32"));
    EXPECT_TRUE(nl->addresses("v1").empty());

    nl->delete_address("v0", kVip + "/32");
    nl->delete_address("v0", kVip + "/32");  // already gone: fine
    EXPECT_THAT(nl->addresses("v0"), ::testing::ElementsAre("10.9.8.7/24"));
    EXPECT_THROW(nl->add_address("v0", "300.1.1.1/32"), Error);
}

TEST_F(NetlinkNs, HostRoutesInAllTablesAreFoundAndDeleted) {
    Netns ns;
    ns.add_veth("v0", "v1");
    ns.ip_ok({"route", "add", kVip, "dev", "v0"});  // what vps-net_add does: proto boot
    ns.ip_ok({"route", "add", kVip, "dev", "v1", "table", "100"});
    ns.ip_ok({"route", "add", "192.0.2.0/24", "dev", "v0"});  // not a host route
    ns.ip_ok({"route", "add", "192.0.2.100", "dev", "v0"});   // another host
    auto nl = make_netlink(ns.path());

    auto routes = nl->host_routes(kVip);
    ASSERT_EQ(routes.size(), 2u);
    std::sort(routes.begin(), routes.end(),
              [](const RouteInfo& a, const RouteInfo& b) { return a.table < b.table; });
    EXPECT_EQ(routes[0].table, 100u);
    EXPECT_EQ(routes[0].dev, "v1");
    EXPECT_EQ(routes[1].table, static_cast<unsigned>(RT_TABLE_MAIN));
    EXPECT_EQ(routes[1].dst, kVip + "/32");
    EXPECT_EQ(routes[1].dev, "v0");
    EXPECT_EQ(routes[1].oif, nl->link("v0")->index);
    EXPECT_EQ(routes[1].protocol, RTPROT_BOOT);
    EXPECT_EQ(routes[1].scope, RT_SCOPE_LINK);
    EXPECT_EQ(routes[1].type, RTN_UNICAST);
    EXPECT_EQ(routes[1].str(), kVip + " dev v0 table main scope link proto boot");

    for (const auto& r : routes) nl->delete_route(r);
    EXPECT_EQ(routes_in(ns, kVip), "");
    EXPECT_TRUE(nl->host_routes(kVip).empty());
    nl->delete_route(routes[1]);  // already gone (vzctl got there first): fine
    // The neighbours are untouched.
    EXPECT_EQ(nl->host_routes("192.0.2.100").size(), 1u);
    EXPECT_THAT(ns.ip_ok({"route", "show", "192.0.2.0/24"}), HasSubstr("192.0.2.0/24 dev v0"));
}

TEST_F(NetlinkNs, DeleteThatTheKernelCannotMatchIsExplained) {
    Netns ns;
    ns.add_veth("v0", "v1");
    ns.ip_ok({"route", "add", kVip, "dev", "v0"});
    auto nl = make_netlink(ns.path());
    auto routes = nl->host_routes(kVip);
    ASSERT_EQ(routes.size(), 1u);
    RouteInfo wrong = routes[0];
    wrong.protocol = RTPROT_STATIC;  // what a fresh libnl template would say (pitfall 8)
    NetlinkError e = netlink_error([&] { nl->delete_route(wrong); });
    EXPECT_THAT(e.what(), HasSubstr("did not match"));
    std::printf("  error text: %s\n", e.what());
    EXPECT_EQ(nl->host_routes(kVip).size(), 1u);
}

TEST_F(NetlinkNs, AddHostRouteInAnotherTable) {
    Netns ns;
    ns.add_veth("v0", "v1");
    auto nl = make_netlink(ns.path());
    nl->add_host_route(kVip, "v0", 100);
    // `ip route` hides proto boot, its own default.
    EXPECT_THAT(ns.ip_ok({"route", "show", "table", "100"}),
                HasSubstr(kVip + " dev v0 scope link"));
    NetlinkError e = netlink_error([&] { nl->add_host_route(kVip, "v0", 100); });
    EXPECT_EQ(e.nl_error(), NLE_EXIST);
    EXPECT_THAT(e.what(), HasSubstr("already exists"));
    auto routes = nl->host_routes(kVip);
    ASSERT_EQ(routes.size(), 1u);
    EXPECT_EQ(routes[0].table, 100u);
    EXPECT_EQ(routes[0].protocol, RTPROT_BOOT);
    EXPECT_EQ(routes[0].scope, RT_SCOPE_LINK);
}

TEST_F(NetlinkNs, ProxyNeighboursFoundAndDeleted) {
    Netns ns;
    ns.add_veth("v0", "v1");
    ns.ip_ok({"neigh", "add", "proxy", kVip, "dev", "v0"});
    ns.ip_ok({"neigh", "add", "proxy", kVip, "dev", "v1"});
    ns.ip_ok({"neigh", "add", "proxy", "192.0.2.11", "dev", "v0"});
    // An ordinary ARP entry for the same IP is not a proxy entry.
    ns.ip_ok(
        {"neigh", "add", kVip, "lladdr", "02:00:00:00:00:01", "dev", "v0", "nud", "permanent"});
    auto nl = make_netlink(ns.path());

    auto found = nl->proxy_neighbours(kVip);
    ASSERT_EQ(found.size(), 2u);
    std::vector<std::string> devs;
    for (const auto& p : found) {
        EXPECT_EQ(p.ip, kVip);
        EXPECT_EQ(p.ifindex, nl->link(p.dev)->index);
        devs.push_back(p.dev);
    }
    EXPECT_THAT(devs, ::testing::UnorderedElementsAre("v0", "v1"));
    EXPECT_EQ(nl->proxy_neighbours("").size(), 3u);

    for (const auto& p : found) nl->delete_proxy_neighbour(p);
    nl->delete_proxy_neighbour(found[0]);  // already gone: fine
    EXPECT_TRUE(nl->proxy_neighbours(kVip).empty());
    EXPECT_THAT(ns.ip_ok({"neigh", "show", "proxy"}), ::testing::Not(HasSubstr(kVip + " ")));
    EXPECT_THAT(ns.ip_ok({"neigh", "show", "proxy"}), HasSubstr("192.0.2.11 dev v0"));
    EXPECT_THAT(ns.ip_ok({"neigh", "show", kVip}), HasSubstr("PERMANENT"));

    nl->add_proxy_neighbour(kVip, "v1");
    EXPECT_THAT(ns.ip_ok({"neigh", "show", "proxy"}), HasSubstr(kVip + " dev v1 proxy"));
}

TEST_F(NetlinkNs, InNetnsRunsThereAndRethrows) {
    Netns ns;
    ns.add_veth("inside0", "inside1");
    bool seen = false;
    in_netns(ns.path(), [&] { seen = make_netlink()->link("inside0").has_value(); });
    EXPECT_TRUE(seen);
    EXPECT_FALSE(make_netlink()->link("inside0").has_value());  // this thread never moved
    EXPECT_THROW(in_netns(ns.path(), [] { throw std::logic_error("boom"); }), std::logic_error);
    try {
        in_netns("/run/netns/vzt-does-not-exist", [] {});
        ADD_FAILURE() << "expected an Error";
    } catch (const Error& e) {
        EXPECT_THAT(e.what(), HasSubstr("/run/netns/vzt-does-not-exist"));
    }
}

TEST_F(NetlinkNs, InEachNetnsRunsEachItemInItsOwnNamespace) {
    // Five items over three namespaces and one that does not exist: each item sees its own
    // namespace's device (threads go from one namespace to the next), the missing one fails
    // alone, and this thread never moves.
    Netns a, b, c;
    a.add_veth("a0", "a1");
    b.add_veth("b0", "b1");
    c.add_veth("c0", "c1");
    const std::vector<std::string> paths = {a.path(), b.path(), "/run/netns/vzt-does-not-exist",
                                            c.path(), a.path()};
    const std::vector<std::string> devs = {"a0", "b0", "", "c0", "a0"};
    std::vector<std::string> seen(paths.size());
    std::vector<std::exception_ptr> failures(paths.size());
    in_each_netns(
        paths,
        [&](std::size_t i) {
            for (const auto& l : make_netlink()->links())
                if (l.name != "lo") seen[i] += l.name + " ";
        },
        [&](std::size_t i, std::exception_ptr e) { failures[i] = e; });
    for (std::size_t i = 0; i < paths.size(); ++i) {
        if (devs[i].empty()) {
            ASSERT_TRUE(failures[i]) << "item " << i;
            try {
                std::rethrow_exception(failures[i]);
            } catch (const Error& e) {
                EXPECT_THAT(e.what(), HasSubstr("/run/netns/vzt-does-not-exist"));
            }
            continue;
        }
        EXPECT_FALSE(failures[i]) << "item " << i;
        for (const std::string dev : {"a0", "b0", "c0"})
            EXPECT_EQ(seen[i].find(dev + " ") != std::string::npos, dev == devs[i])
                << "item " << i << " saw " << seen[i];
    }
    EXPECT_FALSE(make_netlink()->link("a0").has_value());
}
