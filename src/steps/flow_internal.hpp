// Step builders shared by the flows (private to provisioner/).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ct/ctconf.hpp"
#include "commands/flows.hpp"
#include "steps/step.hpp"

namespace vzlvs::flow {

struct Ctx {
    const Config& cfg;
    const FlowOptions& opts;
    Seams& seams;
};

// What one run knows about one container. Observations are cached for the run and dropped
// when a step changes the container, so a converged run costs one exec per container.
class CtView {
  public:
    CtView(Ctx& ctx, const ContainerConfig& ct);
    const ContainerConfig& ct;
    const std::vector<std::string> vips;
    std::string scope() const { return "ct " + ct.ctid; }
    CtConfig conf();           // <ctid>.conf read directly (never cached: cheap, no process)
    const CtStatus& status();  // vzctl status
    const CtNetState& net();   // in-CT observation (vzctl exec); requires running
    void changed() {
        status_.reset();
        net_.reset();
    }
    void set_net(CtNetState s) { net_ = std::move(s); }

  private:
    Ctx& ctx_;
    std::optional<CtStatus> status_;
    std::optional<CtNetState> net_;
};

std::vector<std::string> all_vips(const Config& cfg);
std::vector<std::string> uplinks(Ctx& ctx);

// Node (bootstrap / check).
std::vector<Step> node_steps(Ctx& ctx);
Step arp_guard_step(Ctx& ctx, const std::vector<std::string>& vips);
// bootstrap --install-watch: the systemd unit for `vzlvs watch`, enabled and started.
std::vector<Step> watch_unit_steps(Ctx& ctx);

// Containers.
std::vector<Step> ct_preflight_steps(Ctx& ctx, std::shared_ptr<CtView> v);
std::vector<Step> ct_provision_steps(Ctx& ctx, std::shared_ptr<CtView> v);
std::vector<Step> ct_deprovision_steps(Ctx& ctx, std::shared_ptr<CtView> v);
std::vector<Step> ct_host_cleanup_steps(Ctx& ctx, std::shared_ptr<CtView> v);

// What vzctl leaves on the node for a VIP: its routes on venet (any table) and its proxy-ARP
// entries (any device). One definition for provision, the hook worker and watch.
struct VipLeaks {
    std::vector<RouteInfo> routes;
    std::vector<ProxyNeigh> proxies;
};
VipLeaks find_leaks(Netlink& nl, const std::string& venet, const std::string& vip);
Step ct_inside_step(Ctx& ctx, std::shared_ptr<CtView> v);
// tunl0 must be an ipip device; on a kernel without ipip a stand-in device says so here
// without blocking the steps that do not depend on it.
Step ct_kind_step(Ctx& ctx, std::shared_ptr<CtView> v);

// Checks only (check_steps.cpp).
Step ct_running_step(Ctx& ctx, std::shared_ptr<CtView> v);
Step ct_venet_vip_step(Ctx& ctx, std::shared_ptr<CtView> v);
Step ct_mss_step(Ctx& ctx, std::shared_ptr<CtView> v);

// Director. `vzlvs drain` and `deregister` hold a backend out (a marker under state_dir) until
// `vzlvs register`, so provision, the mount hook and watch do not put it straight back.
std::filesystem::path operator_hold_path(Ctx& ctx, const std::string& ctid);
void set_operator_hold(Ctx& ctx, const std::string& ctid, bool hold);
std::vector<Step> register_steps(Ctx& ctx, std::shared_ptr<CtView> v, bool require_verified);
std::vector<Step> drain_steps(Ctx& ctx, std::shared_ptr<CtView> v);
std::vector<Step> deregister_steps(Ctx& ctx, std::shared_ptr<CtView> v);

// Hook scripts vzlvs owns a block in.
std::string hook_block(Ctx& ctx, const std::string& action);
std::string self_path(const FlowOptions& opts);

// `check`: the same steps with apply removed, so what does not hold is a failure with its fix.
Step check_only(Step s);

}  // namespace vzlvs::flow
