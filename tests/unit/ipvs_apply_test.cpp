// apply = ipvs: what changes turn the kernel's table into the fleet's, touching only what
// vzlvs owns. The netlink door itself is exercised on a real IPVS in the VM test.
#include "vzlvs/director_host/ipvs_apply.hpp"

#include <gtest/gtest.h>

namespace vzlvs {
namespace {

Fleet fleet_with(std::vector<std::pair<std::string, int>> backends, std::string state = "active") {
    Fleet f;
    auto& web = f.services["web"];
    web.service = {"192.0.2.10", 80, "tcp", "wrr", "tunnel"};
    for (const auto& [host, weight] : backends) {
        StoredBackend b;
        b.host = host;
        b.port = 80;
        b.weight = weight;
        b.state = state;
        web.backends["n-" + host + "-web"] = b;
    }
    return f;
}

std::vector<std::string> described(const std::vector<IpvsChange>& changes) {
    std::vector<std::string> out;
    for (const auto& c : changes) out.push_back(c.describe());
    return out;
}

TEST(IpvsChanges, FromNothingThenNothingMoreThenWhatDiffers) {
    const Fleet f = fleet_with({{"10.0.0.1", 1}, {"10.0.0.2", 5}});
    EXPECT_EQ(described(ipvs_changes({}, f, {})),
              (std::vector<std::string>{
                  "add service 192.0.2.10:80/tcp wrr",
                  "add 10.0.0.1:80 tunnel weight 1 to 192.0.2.10:80/tcp",
                  "add 10.0.0.2:80 tunnel weight 5 to 192.0.2.10:80/tcp",
              }));
    const std::vector<IpvsEntry> applied = ipvs_wanted(f);
    EXPECT_TRUE(ipvs_changes(applied, f, {}).empty()) << "a converged table changes nothing";

    // 10.0.0.1 drains, 10.0.0.2 leaves, 10.0.0.3 comes; an operator's service stays.
    Fleet next = fleet_with({{"10.0.0.1", 1}, {"10.0.0.3", 1}});
    next.services["web"].backends["n-10.0.0.1-web"].state = "draining";
    std::vector<IpvsEntry> current = applied;
    current.push_back({{"198.51.100.9", 443, "tcp", "rr"}, {{"10.9.9.9", 443, 1, "nat"}}});
    EXPECT_EQ(described(ipvs_changes(current, next, {})),
              (std::vector<std::string>{
                  "set 10.0.0.1:80 of 192.0.2.10:80/tcp to tunnel weight 0",
                  "add 10.0.0.3:80 tunnel weight 1 to 192.0.2.10:80/tcp",
                  "delete 10.0.0.2:80 from 192.0.2.10:80/tcp",
              }));
}

TEST(IpvsChanges, AServiceVzlvsMadeGoesWhenTheFleetDropsItOthersStay) {
    std::vector<IpvsEntry> current = ipvs_wanted(fleet_with({{"10.0.0.1", 1}}));
    current.push_back({{"198.51.100.9", 443, "tcp", "rr"}, {}});
    Fleet empty;
    EXPECT_TRUE(ipvs_changes(current, empty, {}).empty()) << "not known as vzlvs's: left alone";
    EXPECT_EQ(described(ipvs_changes(current, empty, {"192.0.2.10:80/tcp"})),
              std::vector<std::string>{"delete service 192.0.2.10:80/tcp"});
    // A service of the fleet whose last backend left goes too.
    Fleet no_backends = fleet_with({});
    EXPECT_EQ(described(ipvs_changes(current, no_backends, {})),
              std::vector<std::string>{"delete service 192.0.2.10:80/tcp"});
}

}  // namespace
}  // namespace vzlvs
