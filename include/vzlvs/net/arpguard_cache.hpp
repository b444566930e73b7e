// An ArpGuard that reads the guard's state once and answers observe() from that copy until
// something changes: a watch pass or a run over N containers checks the guard once per CT,
// and each check was one `nft` (or N `tc`) process. ensure() and the removals go through and
// drop the copy; so does forget(), which the caller makes whenever anything else may have
// changed the node (Seams::forget_node_reads).
#pragma once

#include <optional>

#include "vzlvs/net/arpguard.hpp"

namespace vzlvs {

class CachingArpGuard : public ArpGuard {
  public:
    explicit CachingArpGuard(ArpGuard& inner) : in_(inner) { set_why(inner.why()); }

    void forget() { state_.reset(); }

    ArpGuardBackend backend() const override { return in_.backend(); }
    GuardState observe() override { return observed(); }
    // The copy itself, valid until the next change or forget(): a run asks once per CT, and
    // copying a guard of N VIPs for each of N CTs costs N².
    const GuardState& observed();
    GuardChanges ensure(const std::vector<std::string>& uplinks,
                        const std::vector<std::string>& vips) override;
    bool remove_vip(const std::string& vip) override;
    bool remove_all() override;

  private:
    ArpGuard& in_;
    std::optional<GuardState> state_;
};

}  // namespace vzlvs
