// CachingNetlink (net/netlink_cache.hpp): each table is read once until a change, and the
// answers are the ones the table itself gives.
#include "vzlvs/net/netlink_cache.hpp"

#include <gtest/gtest.h>

#include "fakes/fake_netlink.hpp"

namespace vzlvs {
namespace {

// The fake, counting the reads that reach it.
class CountingNetlink : public fakes::FakeNetlink {
  public:
    using FakeNetlink::FakeNetlink;
    int reads = 0;
    std::vector<LinkInfo> links() override { return ++reads, FakeNetlink::links(); }
    std::vector<RouteInfo> all_host_routes() override {
        return ++reads, FakeNetlink::all_host_routes();
    }
    std::vector<ProxyNeigh> proxy_neighbours(const std::string& ip) override {
        return ++reads, FakeNetlink::proxy_neighbours(ip);
    }
    std::map<std::string, std::vector<std::string>> all_addresses() override {
        return ++reads, FakeNetlink::all_addresses();
    }
    std::vector<std::string> gateways() override { return ++reads, FakeNetlink::gateways(); }
};

TEST(CachingNetlink, ReadsEachTableOnceUntilAChange) {
    fakes::Events events;
    CountingNetlink fake(events);
    for (int i = 0; i < 100; ++i) fake.add_leak("192.0.2." + std::to_string(i), "venet0", "eth0");
    LinkInfo eth0;
    eth0.name = "eth0";
    fake.link_table.push_back(eth0);
    fake.addr_table["eth0"] = {"198.51.100.2/24"};
    CachingNetlink nl(fake);

    for (int i = 0; i < 100; ++i) {
        const std::string ip = "192.0.2." + std::to_string(i);
        ASSERT_EQ(nl.host_routes(ip).size(), 1u);
        ASSERT_EQ(nl.proxy_neighbours(ip).size(), 1u);
        ASSERT_TRUE(nl.link("eth0"));
        ASSERT_EQ(nl.addresses("eth0"), std::vector<std::string>{"198.51.100.2/24"});
    }
    EXPECT_FALSE(nl.link("nosuch"));
    EXPECT_TRUE(nl.host_routes("203.0.113.1").empty());
    EXPECT_EQ(fake.reads, 4) << "routes, proxies, links, addresses: one read each";

    // A write through it drops the copy: the next lookup sees the change.
    nl.delete_route(nl.host_routes("192.0.2.7").at(0));
    EXPECT_TRUE(nl.host_routes("192.0.2.7").empty());
    // So does forget(), for a change made elsewhere (vzctl).
    fake.add_leak("192.0.2.200", "venet0", "eth0");
    EXPECT_TRUE(nl.host_routes("192.0.2.200").empty()) << "still the copy";
    nl.forget();
    EXPECT_EQ(nl.host_routes("192.0.2.200").size(), 1u);
    EXPECT_EQ(nl.proxy_neighbours("192.0.2.200").size(), 1u);
}

}  // namespace
}  // namespace vzlvs
