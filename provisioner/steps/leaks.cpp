#include "vzlvs/steps/leaks.hpp"

#include <map>
#include <optional>

#include "vzlvs/base/strings.hpp"
#include "vzlvs/net/netlink_cache.hpp"

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

namespace {

void delete_route(Netlink& nl, const std::string& venet, const std::string& vip,
                  const std::string& scope, const RouteInfo& r, Swept& s) {
    const std::string step = route_leak_step_name(venet);
    try {
        nl.delete_route(r);
        s.outcomes.push_back({scope, step, Status::changed, "deleted " + r.str()});
        s.routed.insert(vip);
    } catch (const std::exception& e) {
        s.outcomes.push_back(
            {scope, step, Status::failed, "cannot delete " + r.str() + ": " + e.what()});
    }
}

void delete_proxy(Netlink& nl, const std::string& vip, const std::string& scope,
                  const ProxyNeigh& p, Swept& s) {
    const std::string what =
        "proxy " + p.ip + " dev " + (p.dev.empty() ? std::to_string(p.ifindex) : p.dev);
    try {
        nl.delete_proxy_neighbour(p);
        s.outcomes.push_back({scope, kProxyLeakStepName, Status::changed, "deleted " + what});
        s.proxied.insert(vip);
    } catch (const std::exception& e) {
        s.outcomes.push_back(
            {scope, kProxyLeakStepName, Status::failed, "cannot delete " + what + ": " + e.what()});
    }
}

}  // namespace

Swept sweep_leaks(Netlink& nl, const std::string& venet, const std::vector<OwnedVip>& vips,
                  LeakKind kind) {
    Swept s;
    for (const auto& [vip, scope] : vips) {
        const VipLeaks leaks = find_leaks(nl, venet, vip);
        if (kind != LeakKind::proxies)
            for (const auto& r : leaks.routes) delete_route(nl, venet, vip, scope, r, s);
        if (kind != LeakKind::routes)
            for (const auto& p : leaks.proxies) delete_proxy(nl, vip, scope, p, s);
    }
    return s;
}

Swept sweep_notified_leaks(Netlink& nl, const std::string& venet, const std::vector<OwnedVip>& vips,
                           const NetEvents& events) {
    if (events.resync) {
        CachingNetlink once(nl);
        return sweep_leaks(once, venet, vips);
    }
    std::map<std::string, std::string> scope_of;  // VIP → its CT
    for (const auto& [vip, scope] : vips) scope_of.emplace(vip, scope);
    Swept s;
    std::optional<int> venet_index;
    std::set<std::string> routed_now;
    for (const auto& r : events.routes) {
        const auto it = scope_of.find(r.dst.substr(0, r.dst.find('/')));
        if (it == scope_of.end()) continue;  // not a VIP: the common case, and O(log VIPs)
        if (!venet_index) {
            const auto l = nl.link(venet);
            venet_index = l ? l->index : -1;
        }
        if (r.oif != *venet_index) continue;
        RouteInfo named = r;
        named.dev = venet;
        delete_route(nl, venet, it->first, it->second, named, s);
        routed_now.insert(it->first);
    }
    for (const auto& p : events.proxies)
        if (const auto it = scope_of.find(p.ip); it != scope_of.end())
            delete_proxy(nl, it->first, it->second, p, s);
    if (!routed_now.empty()) {
        CachingNetlink once(nl);  // one proxy dump for every VIP routed in this batch
        for (const auto& vip : routed_now)
            for (const auto& p : once.proxy_neighbours(vip))
                delete_proxy(once, vip, scope_of[vip], p, s);
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
