#include "vzlvs/steps/ct_probe.hpp"

#include "vzlvs/base/strings.hpp"
#include "vzlvs/steps/director_steps.hpp"

namespace vzlvs {

ProbeResult probe_service(Ctx& ctx, CtView& v, const std::string& service) {
    const ServiceConfig& s = ctx.cfg.services.at(service);
    ProbeTarget t;
    t.ct_address = real_server_address(ctx, v);
    t.vip = s.vip;
    t.port = s.port;
    t.tcp = s.protocol == Protocol::tcp;
    const std::string payload = unescape_bytes(s.probe_payload).value_or("");  // validated
    t.payload.assign(payload.begin(), payload.end());
    t.timeout = ctx.cfg.node.probe_timeout;
    return ctx.seams.prober().probe(t);
}

Step ct_probe_step(Ctx& ctx, std::shared_ptr<CtView> v, const std::string& service) {
    return {v->scope(), "answers through the tunnel (" + service + ")",
            "see what the detail names; `vzlvs check " + v->ct.ctid +
                "` shows which part of the CT's tunnel setup does not hold",
            [&ctx, v, service]() {
                if (!v->status().running) return Observation::fails("CT stopped: nothing answers");
                ProbeResult r = probe_service(ctx, *v, service);
                return Observation::holds_if(r.ok, r.detail);
            }};
}

std::vector<Step> ct_probe_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    std::vector<Step> steps;
    for (const auto& name : v->ct.services) steps.push_back(ct_probe_step(ctx, v, name));
    return steps;
}

}  // namespace vzlvs
