#include "steps/leaks.hpp"

#include "base/strings.hpp"

namespace vzlvs {

std::string route_leak_step_name(const std::string& venet) { return "no VIP route on " + venet; }

VipLeaks find_leaks(Netlink& nl, const std::string& venet, const std::string& vip) {
    VipLeaks l;
    for (auto& r : nl.host_routes(vip))
        if (r.dev == venet) l.routes.push_back(r);
    l.proxies = nl.proxy_neighbours(vip);
    return l;
}

std::vector<OwnedVip> owned_vips(const Config& cfg) {
    std::vector<OwnedVip> out;
    for (const auto& [_, ct] : cfg.containers)
        for (const auto& vip : cfg.vips_of(ct)) out.push_back({vip, "ct " + ct.ctid});
    return out;
}

std::vector<OwnedVip> owned_vips(const CtView& v) {
    std::vector<OwnedVip> out;
    for (const auto& vip : v.vips) out.push_back({vip, v.scope()});
    return out;
}

Swept sweep_leaks(Netlink& nl, const std::string& venet, const std::vector<OwnedVip>& vips,
                  LeakKind kind) {
    Swept s;
    const std::string route_step = route_leak_step_name(venet);
    for (const auto& [vip, scope] : vips) {
        const VipLeaks leaks = find_leaks(nl, venet, vip);
        if (kind != LeakKind::proxies) {
            for (const auto& r : leaks.routes) {
                try {
                    nl.delete_route(r);
                    s.outcomes.push_back(
                        {scope, route_step, Status::changed, "deleted " + r.str()});
                    s.routed.insert(vip);
                } catch (const std::exception& e) {
                    s.outcomes.push_back({scope, route_step, Status::failed,
                                          "cannot delete " + r.str() + ": " + e.what()});
                }
            }
        }
        if (kind != LeakKind::routes) {
            for (const auto& p : leaks.proxies) {
                const std::string what = "proxy " + p.ip + " dev " + p.dev;
                try {
                    nl.delete_proxy_neighbour(p);
                    s.outcomes.push_back(
                        {scope, kProxyLeakStepName, Status::changed, "deleted " + what});
                    s.proxied.insert(vip);
                } catch (const std::exception& e) {
                    s.outcomes.push_back({scope, kProxyLeakStepName, Status::failed,
                                          "cannot delete " + what + ": " + e.what()});
                }
            }
        }
    }
    return s;
}

namespace {

// Deletes what sweep_leaks finds; a failed deletion fails the step with its reason.
Applied delete_leaks(Ctx& ctx, const CtView& v, LeakKind kind, const char* noun) {
    Swept s = sweep_leaks(ctx.seams.netlink(), ctx.cfg.node.venet, owned_vips(v), kind);
    std::vector<std::string> failed;
    for (const auto& o : s.outcomes)
        if (o.status == Status::failed) failed.push_back(o.detail);
    if (!failed.empty()) throw Error(join(failed, "; "));
    return Applied::changed("deleted " + std::to_string(s.outcomes.size()) + " " + noun);
}

}  // namespace

std::vector<Step> ct_host_cleanup_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    const std::string venet = ctx.cfg.node.venet;
    const std::string fix = "vzlvs provision " + v->ct.ctid;
    Step route{v->scope(), route_leak_step_name(venet), fix,
               [&ctx, v, venet]() {
                   std::vector<std::string> d;
                   for (const auto& vip : v->vips)
                       for (const auto& r : find_leaks(ctx.seams.netlink(), venet, vip).routes)
                           d.push_back(r.str());
                   return Observation::holds_if(d.empty(), d.empty() ? "none" : join(d, "; "),
                                                "delete " + join(d, "; "));
               },
               [&ctx, v]() { return delete_leaks(ctx, *v, LeakKind::routes, "route(s)"); }};
    Step proxy{v->scope(), kProxyLeakStepName, fix,
               [&ctx, v, venet]() {
                   std::vector<std::string> d;
                   for (const auto& vip : v->vips)
                       for (const auto& p : find_leaks(ctx.seams.netlink(), venet, vip).proxies)
                           d.push_back(p.ip + " dev " + p.dev);
                   return Observation::holds_if(d.empty(), d.empty() ? "none" : join(d, "; "),
                                                "delete proxy " + join(d, "; "));
               },
               [&ctx, v]() { return delete_leaks(ctx, *v, LeakKind::proxies, "entr(y/ies)"); }};
    return {route, proxy};
}

}  // namespace vzlvs
