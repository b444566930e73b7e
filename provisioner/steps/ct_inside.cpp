#include "vzlvs/steps/ct_inside.hpp"

namespace vzlvs {

Step ct_inside_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    Step s{v->scope(), "tunl0 + VIP + rp_filter in CT", "vzlvs provision " + v->ct.ctid};
    s.observe = [&ctx, v]() {
        if (!v->status().running)
            return Observation::holds("CT stopped: applied by CTID.start at its next start");
        const auto& n = v->net();
        // The device kind is reported by its own step: here only what vzlvs can change.
        const std::string p = n.problems(v->vips, false);
        return Observation::holds_if(p.empty(), p.empty() ? n.summary() : p,
                                     ctx.seams.ct_net().describe("apply", v->ct.ctid, v->vips));
    };
    s.apply = [&ctx, v]() {
        v->set_net(ctx.seams.ct_net().apply(v->ct.ctid, v->vips));
        return Applied::changed(v->net().summary());
    };
    return s;
}

Step ct_kind_step(std::shared_ptr<CtView> v) {
    return {v->scope(), "tunl0 is an ipip device",
            "the node's kernel needs ipip (modprobe ipip; vzlvs bootstrap)", [v]() {
                if (!v->status().running) return Observation::skip("CT stopped");
                if (!v->net().tunl0) return Observation::skip("no tunl0 to look at");
                const std::string& kind = v->net().kind;
                return Observation::holds_if(
                    kind == "ipip", kind == "ipip"
                                        ? "ipip"
                                        : "tunl0 is a '" + kind +
                                              "' device: ipip not supported by this kernel, the "
                                              "CT cannot decapsulate the director's packets");
            }};
}

}  // namespace vzlvs
