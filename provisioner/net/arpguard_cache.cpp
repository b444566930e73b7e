#include "vzlvs/net/arpguard_cache.hpp"

namespace vzlvs {

const GuardState& CachingArpGuard::observed() {
    if (!state_) state_ = in_.observe();
    return *state_;
}

GuardChanges CachingArpGuard::ensure(const std::vector<std::string>& uplinks,
                                     const std::vector<std::string>& vips) {
    forget();  // ensure() reads afresh itself; so must the next observe()
    return in_.ensure(uplinks, vips);
}

bool CachingArpGuard::remove_vip(const std::string& vip) {
    forget();
    return in_.remove_vip(vip);
}

bool CachingArpGuard::remove_all() {
    forget();
    return in_.remove_all();
}

}  // namespace vzlvs
