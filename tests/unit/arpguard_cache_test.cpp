// CachingArpGuard (net/arpguard_cache.hpp): the guard's state is read once until a change,
// and a change made through it, or announced with forget(), is seen at the next read.
#include "vzlvs/net/arpguard_cache.hpp"

#include <gtest/gtest.h>

#include "fakes/fake_arp_guard.hpp"

namespace vzlvs {
namespace {

class CountingGuard : public fakes::FakeArpGuard {
  public:
    using FakeArpGuard::FakeArpGuard;
    int reads = 0;
    GuardState observe() override { return ++reads, FakeArpGuard::observe(); }
};

TEST(CachingArpGuard, ReadsOnceUntilAChange) {
    fakes::Events ev;
    CountingGuard inner(ev);
    inner.set_why("nft: because");
    CachingArpGuard g(inner);
    EXPECT_EQ(g.why(), "nft: because");
    EXPECT_TRUE(g.observe().empty());
    EXPECT_TRUE(g.observe().empty());
    EXPECT_EQ(inner.reads, 1);

    g.ensure({"eth0"}, {"10.0.0.5"});
    EXPECT_EQ(g.observe().vips, std::set<std::string>{"10.0.0.5"});
    EXPECT_EQ(inner.reads, 2);

    g.remove_vip("10.0.0.5");
    EXPECT_TRUE(g.observe().vips.empty());
    EXPECT_EQ(inner.reads, 3);
}

TEST(CachingArpGuard, ForgetSeesAChangeMadeBehindIt) {
    fakes::Events ev;
    CountingGuard inner(ev);
    CachingArpGuard g(inner);
    EXPECT_TRUE(g.observe().empty());
    inner.state.vips.insert("10.0.0.6");  // someone else (a hook, nft -f) changed the node
    EXPECT_TRUE(g.observe().empty());     // the copy stands until told
    g.forget();
    EXPECT_EQ(g.observe().vips, std::set<std::string>{"10.0.0.6"});
    g.remove_all();
    EXPECT_TRUE(g.observe().empty());
}

}  // namespace
}  // namespace vzlvs
