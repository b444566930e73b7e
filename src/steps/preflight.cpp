#include "steps/preflight.hpp"

#include "base/strings.hpp"

namespace vzlvs {

namespace {

// The owner of a VIP elsewhere on this node, read from the other CTs' configs.
std::string other_holder(Ctx& ctx, const std::string& ctid, const std::string& vip) {
    ContainerManager& cm = ctx.seams.containers();
    for (const auto& other : cm.containers())
        if (other != ctid && cm.config(other).has_ip(vip)) return other;
    return "";
}

}  // namespace

std::vector<Step> ct_preflight_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    Step exists{v->scope(), "container exists",
                "create container " + v->ct.ctid + " or remove [container " + v->ct.ctid +
                    "] from " + ctx.cfg.source.string(),
                [v]() {
                    const auto& st = v->status();
                    return Observation::holds_if(
                        st.exists, st.exists ? (st.running ? "running" : "stopped")
                                             : "no such container on this node (vzctl status: "
                                               "deleted)");
                }};
    Step unique{v->scope(), "VIP held by no other CT",
                "a node's venet IP table is global: only one container per node can hold a VIP "
                "(vzctl would fail with exit 78); move one of the containers to another node",
                [&ctx, v]() {
                    for (const auto& vip : v->vips) {
                        std::string other = other_holder(ctx, v->ct.ctid, vip);
                        if (!other.empty())
                            return Observation::fails("VIP " + vip +
                                                      " is in the IP_ADDRESS of CT " + other);
                    }
                    return Observation::holds(join(v->vips));
                }};
    return {exists, unique};
}

}  // namespace vzlvs
