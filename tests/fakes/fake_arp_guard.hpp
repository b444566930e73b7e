// An ArpGuard that holds its state in memory; ensure/remove are recorded in Events.
#pragma once

#include "fakes/events.hpp"
#include "vzlvs/net/arpguard.hpp"

namespace vzlvs::fakes {

class FakeArpGuard : public ArpGuard {
  public:
    explicit FakeArpGuard(Events& events) : events_(events) {}

    GuardState state;
    bool broken = false;  // ensure() throws, as on a kernel with neither nft egress nor gact

    ArpGuardBackend backend() const override { return ArpGuardBackend::nft; }
    GuardState observe() override { return state; }
    GuardChanges ensure(const std::vector<std::string>& uplinks,
                        const std::vector<std::string>& vips) override {
        if (broken) throw Error("fake guard: no backend works here");
        GuardChanges c;
        for (const auto& vip : vips)
            if (state.vips.insert(vip).second) c.added_vips.push_back(vip);
        for (const auto& dev : uplinks) {
            if (!state.devices.count(dev)) c.added_devices.push_back(dev);
            state.devices[dev] = state.vips;
        }
        events_.add("guard ensure " + c.str());
        return c;
    }
    bool remove_vip(const std::string& vip) override {
        events_.add("guard remove " + vip);
        bool had = state.vips.erase(vip) > 0;
        for (auto& [_, v] : state.devices) v.erase(vip);
        return had;
    }
    bool remove_all() override {
        events_.add("guard remove all");
        bool had = !state.empty();
        state = {};
        return had;
    }

  private:
    Events& events_;
};

}  // namespace vzlvs::fakes
