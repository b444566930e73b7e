// What vzctl leaves on the node for a VIP — its routes on venet (any table) and its proxy-ARP
// entries (any device) — found and deleted in one place for provision, the hook worker and
// watch.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vzlvs/net/netlink.hpp"
#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

// The step names, also used by watch's and the hook's log lines.
std::string route_leak_step_name(const std::string& venet);
inline const char* kProxyLeakStepName = "no proxy-ARP entry for VIP";

struct VipLeaks {
    std::vector<RouteInfo> routes;
    std::vector<ProxyNeigh> proxies;
};
VipLeaks find_leaks(Netlink& nl, const std::string& venet, const std::string& vip);

// A VIP and the container (scope "ct 101") whose service it is.
struct OwnedVip {
    std::string vip;
    std::string scope;
};
std::vector<OwnedVip> owned_vips(const Config& cfg);
std::vector<OwnedVip> owned_vips(const CtView& v);

enum class LeakKind { routes, proxies, both };

struct Swept {
    std::vector<Outcome> outcomes;  // one per deletion (changed) or failed deletion (failed)
    std::set<std::string> routed;   // VIPs whose route was deleted
    std::set<std::string> proxied;  // VIPs with a proxy entry deleted
};
// Deletes the leaks of `kind` for every VIP. Never throws for one entry: a failure is its
// outcome, and the other entries are still deleted.
Swept sweep_leaks(Netlink& nl, const std::string& venet, const std::vector<OwnedVip>& vips,
                  LeakKind kind = LeakKind::both);

// What a batch of route/neighbour notifications (net/netlink.hpp watch_net_events) shows of
// these VIPs, deleted, with no table dump for an unrelated notification: a new route to a
// VIP on venet is deleted as notified, and then — the kernel sends nothing for proxy entries
// — that VIP's proxy entries are looked up; a notified proxy entry for a VIP is deleted. A
// resync sweeps every VIP, with one dump of each table.
Swept sweep_notified_leaks(Netlink& nl, const std::string& venet, const std::vector<OwnedVip>& vips,
                           const NetEvents& events);

// The two leak steps of one container: observe what is there, delete it.
std::vector<Step> ct_host_cleanup_steps(Ctx& ctx, std::shared_ptr<CtView> v);

}  // namespace vzlvs
