// Per-container steps of provision / deprovision / check, in the order they must run:
// nothing that makes vzctl add the VIP (--ipadd, a restart) happens before the ARP guard and
// the mount hook are in place, so the node never announces the VIP (docs/commands/provision.md).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "steps/flow_internal.hpp"
#include "config/validate.hpp"
#include "base/files.hpp"
#include "base/embedded.hpp"

namespace vzlvs::flow {

namespace fs = std::filesystem;
using validate::join;

CtView::CtView(Ctx& ctx, const ContainerConfig& c) : ct(c), vips(ctx.cfg.vips_of(c)), ctx_(ctx) {}

CtConfig CtView::conf() {
    return read_ct_config(ctx_.cfg.node.vz_conf_dir, ct.ctid, ctx_.cfg.global_vz_conf());
}

const CtStatus& CtView::status() {
    if (!status_) status_ = ctx_.seams.vzctl().status(ct.ctid);
    return *status_;
}

const CtNetState& CtView::net() {
    if (!net_) net_ = ctx_.seams.ct_net().observe(ct.ctid, vips);
    return *net_;
}

namespace {

fs::path script_path(Ctx& ctx, const std::string& ctid, const std::string& action) {
    return ctx.cfg.node.vz_conf_dir / (ctid + "." + action);
}

// The owner of a VIP elsewhere on this node, read from the other CTs' config files.
std::string other_holder(Ctx& ctx, const std::string& ctid, const std::string& vip) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(ctx.cfg.node.vz_conf_dir, ec)) {
        const std::string name = e.path().filename().string();
        if (e.path().extension() != ".conf") continue;
        const std::string other = name.substr(0, name.size() - 5);
        if (other == ctid || other.empty() || !std::all_of(other.begin(), other.end(), ::isdigit))
            continue;
        if (read_ct_config(ctx.cfg.node.vz_conf_dir, other, ctx.cfg.global_vz_conf()).has_ip(vip))
            return other;
    }
    return "";
}

constexpr const char* kBlockId = "lvs-tun";

// A hook script block: present, current, and the file runnable the way vzctl runs it
// (execve: executable, with a #! line), else vzctl fails the start with exit 79.
Step hook_script_step(Ctx& ctx, std::shared_ptr<CtView> v, const std::string& action,
                      std::string body, const std::string& why) {
    const fs::path path = script_path(ctx, v->ct.ctid, action);
    const bool exec_by_host = action != "start";  // CTID.start is fed to bash inside the CT
    Step s;
    s.scope = v->scope();
    s.name = "hook " + path.filename().string();
    s.fix = "vzlvs provision " + v->ct.ctid;
    s.observe = [path, body, exec_by_host, why]() {
        Observation o;
        auto text = read_file(path);
        auto block = text ? find_block(*text, kBlockId) : std::nullopt;
        struct stat st {};
        bool exec_ok = !exec_by_host || (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IXUSR) &&
                                         text->rfind("#!", 0) == 0);
        o.holds = block && *block == body && exec_ok;
        o.detail = o.holds          ? path.string() + " (" + why + ")"
                   : !text          ? path.string() + " missing"
                   : !block         ? path.string() + " has no vzlvs block"
                   : *block != body ? path.string() + " has an outdated vzlvs block"
                                    : path.string() + " is not executable with a #! line";
        o.plan = "write the vzlvs block in " + path.string() + " (" + why + ")";
        return o;
    };
    s.apply = [path, body, exec_by_host]() {
        // First in the script: a user's script may end in `exit 0` (the field report's does).
        ensure_block_in_file(path, kBlockId, body, exec_by_host ? 0755 : 0644,
                             exec_by_host ? "#!/bin/sh\n" : "", Placement::top);
        if (exec_by_host) {
            struct stat st {};
            if (::stat(path.c_str(), &st) == 0 && !(st.st_mode & S_IXUSR))
                fs::permissions(
                    path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
        }
        return Applied{Status::changed, "wrote " + path.string()};
    };
    return s;
}

Step remove_hook_step(Ctx& ctx, std::shared_ptr<CtView> v, const std::string& action) {
    const fs::path path = script_path(ctx, v->ct.ctid, action);
    const std::string header = action == "start" ? "" : "#!/bin/sh\n";
    Step s;
    s.scope = v->scope();
    s.name = "hook " + path.filename().string();
    s.observe = [path]() {
        auto text = read_file(path);
        bool has = text && find_block(*text, kBlockId);
        return Observation{!has, has ? "vzlvs block present" : "no vzlvs block",
                           "remove the vzlvs block from " + path.string()};
    };
    s.apply = [path, header]() {
        remove_block_from_file(path, kBlockId, header);
        return Applied{Status::changed, "removed the vzlvs block from " + path.string()};
    };
    return s;
}

}  // namespace

std::string self_path(const FlowOptions& opts) {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) return p.string();
    return fs::absolute(opts.self, ec).string();
}

std::string hook_block(Ctx& ctx, const std::string& action) {
    return render_template("hooks/" + action + ".block",
                           {{"VZLVS", shell_quote(self_path(ctx.opts))},
                            {"CONFIG", shell_quote(fs::absolute(ctx.opts.config_path).string())}});
}

std::vector<Step> ct_preflight_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    std::vector<Step> steps;
    Step exists;
    exists.scope = v->scope();
    exists.name = "container exists";
    exists.fix = "create container " + v->ct.ctid + " or remove [container " + v->ct.ctid +
                 "] from " + ctx.cfg.source.string();
    exists.observe = [v]() {
        const auto& st = v->status();
        return Observation{st.exists,
                           st.exists ? (st.running ? "running" : "stopped")
                                     : "no such container on this node (vzctl status: deleted)",
                           ""};
    };
    steps.push_back(exists);

    Step unique;
    unique.scope = v->scope();
    unique.name = "VIP held by no other CT";
    unique.fix =
        "a node's venet IP table is global: only one container per node can hold a VIP "
        "(vzctl would fail with exit 78); move one of the containers to another node";
    unique.observe = [&ctx, v]() {
        for (const auto& vip : v->vips) {
            std::string other = other_holder(ctx, v->ct.ctid, vip);
            if (!other.empty())
                return Observation{false, "VIP " + vip + " is in the IP_ADDRESS of CT " + other,
                                   ""};
        }
        return Observation{true, join(v->vips), ""};
    };
    steps.push_back(unique);
    return steps;
}

VipLeaks find_leaks(Netlink& nl, const std::string& venet, const std::string& vip) {
    VipLeaks l;
    for (auto& r : nl.host_routes(vip))
        if (r.dev == venet) l.routes.push_back(r);
    l.proxies = nl.proxy_neighbours(vip);
    return l;
}

std::vector<Step> ct_host_cleanup_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    std::vector<Step> steps;
    const std::string venet = ctx.cfg.node.venet;
    Step route;
    route.scope = v->scope();
    route.name = "no VIP route on " + venet;
    route.fix = "vzlvs provision " + v->ct.ctid;
    auto leaked_routes = [&ctx, v, venet]() {
        std::vector<RouteInfo> out;
        for (const auto& vip : v->vips)
            for (auto& r : find_leaks(ctx.seams.netlink(), venet, vip).routes) out.push_back(r);
        return out;
    };
    route.observe = [leaked_routes]() {
        auto rs = leaked_routes();
        std::vector<std::string> d;
        for (const auto& r : rs) d.push_back(r.str());
        return Observation{rs.empty(), rs.empty() ? "none" : join(d, "; "),
                           "delete " + join(d, "; ")};
    };
    route.apply = [&ctx, leaked_routes]() {
        auto rs = leaked_routes();
        for (const auto& r : rs) ctx.seams.netlink().delete_route(r);
        return Applied{Status::changed, "deleted " + std::to_string(rs.size()) + " route(s)"};
    };
    steps.push_back(route);

    Step proxy;
    proxy.scope = v->scope();
    proxy.name = "no proxy-ARP entry for VIP";
    proxy.fix = "vzlvs provision " + v->ct.ctid;
    auto leaked_proxies = [&ctx, v, venet]() {
        std::vector<ProxyNeigh> out;
        for (const auto& vip : v->vips)
            for (auto& p : find_leaks(ctx.seams.netlink(), venet, vip).proxies) out.push_back(p);
        return out;
    };
    proxy.observe = [leaked_proxies]() {
        auto ps = leaked_proxies();
        std::vector<std::string> d;
        for (const auto& p : ps) d.push_back(p.ip + " dev " + p.dev);
        return Observation{ps.empty(), ps.empty() ? "none" : join(d, "; "),
                           "delete proxy " + join(d, "; ")};
    };
    proxy.apply = [&ctx, leaked_proxies]() {
        auto ps = leaked_proxies();
        for (const auto& p : ps) ctx.seams.netlink().delete_proxy_neighbour(p);
        return Applied{Status::changed, "deleted " + std::to_string(ps.size()) + " entr(y/ies)"};
    };
    steps.push_back(proxy);
    return steps;
}

Step ct_inside_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    Step s;
    s.scope = v->scope();
    s.name = "tunl0 + VIP + rp_filter in CT";
    s.fix = "vzlvs provision " + v->ct.ctid;
    s.observe = [v]() {
        if (!v->status().running)
            return Observation{true, "CT stopped: applied by CTID.start at its next start", ""};
        const auto& n = v->net();
        // The device kind is reported by its own step: here only what vzlvs can change.
        const std::string p = n.problems(v->vips, false);
        return Observation{p.empty(), p.empty() ? n.summary() : p,
                           "vzctl exec2 " + v->ct.ctid + " sh -c <ct-net.sh> vzlvs-ct-net apply " +
                               join(v->vips, " ")};
    };
    s.apply = [&ctx, v]() {
        v->set_net(ctx.seams.ct_net().apply(v->ct.ctid, v->vips));
        return Applied{Status::changed, v->net().summary()};
    };
    return s;
}

std::vector<Step> ct_provision_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    std::vector<Step> steps;
    const std::string ctid = v->ct.ctid;

    Step feature;
    feature.scope = v->scope();
    feature.name = "ipip feature";
    feature.fix = "vzlvs provision " + ctid;
    feature.observe = [v, ctid]() {
        auto c = v->conf();
        auto it = c.features.find("ipip");
        bool on = it != c.features.end() && it->second;
        return Observation{on, on ? "FEATURES has ipip:on" : "ipip not in FEATURES",
                           "vzctl set " + ctid + " --features ipip:on --save"};
    };
    feature.apply = [&ctx, v, ctid]() {
        ctx.seams.vzctl().set_features(ctid, "ipip:on");
        bool running = v->status().running;
        v->changed();
        // The feature mask reaches the kernel only when the CT is created (vzctl.md §3).
        if (!running) return Applied{Status::changed, "saved; takes effect at the next start"};
        if (ctx.cfg.node.restart == RestartPolicy::automatic)
            return Applied{Status::changed, "saved; vzlvs restarts the container below"};
        return Applied{Status::pending, "saved; takes effect when the container restarts",
                       "vzctl restart " + ctid + " (or set restart = auto in [node])"};
    };
    steps.push_back(feature);

    steps.push_back(hook_script_step(ctx, v, "mount", hook_block(ctx, "mount"),
                                     "guards the VIP and removes its route at every start"));
    steps.push_back(hook_script_step(ctx, v, "umount", hook_block(ctx, "umount"),
                                     "drains the backend when the container stops"));
    steps.push_back(hook_script_step(ctx, v, "start", ct_start_block(v->vips),
                                     "tunl0 and the VIP inside the CT at every start"));

    Step ipadd;
    ipadd.scope = v->scope();
    ipadd.name = "VIP in IP_ADDRESS";
    ipadd.fix = "vzlvs provision " + ctid +
                " (venet drops replies whose source is not one of the CT's addresses)";
    ipadd.observe = [v, ctid]() {
        auto c = v->conf();
        std::vector<std::string> missing;
        for (const auto& vip : v->vips)
            if (!c.has_ip(vip)) missing.push_back(vip);
        return Observation{
            missing.empty(), missing.empty() ? join(v->vips) : "missing " + join(missing),
            "vzctl set " + ctid + " --ipadd " + join(missing, " --ipadd ") + " --save"};
    };
    ipadd.apply = [&ctx, v, ctid]() {
        auto c = v->conf();
        // Re-adding an IP already in IP_ADDRESS makes vzctl delete and re-add it: skip those.
        for (const auto& vip : v->vips)
            if (!c.has_ip(vip)) ctx.seams.vzctl().ipadd(ctid, vip);
        v->changed();
        return Applied{Status::changed, "added " + join(v->vips)};
    };
    steps.push_back(ipadd);

    Step restart;
    restart.scope = v->scope();
    restart.name = "ipip effective";
    restart.fix = "vzctl restart " + ctid +
                  " (the ipip feature takes effect at start), or set "
                  "restart = auto in [node]";
    restart.verify = false;
    restart.observe = [v, ctid]() {
        if (!v->status().running) return Observation{true, "CT stopped", ""};
        bool has = v->net().tunl0;
        const std::string& fb = v->net().fb_tunnels;
        std::string why =
            "no tunl0: the CT runs without ipip (the director's IPIP packets are "
            "answered with \"ICMP protocol 4 unreachable\")";
        if (!fb.empty() && fb != "-" && fb != "0")
            why += "; net.core.fb_tunnels_only_for_init_net=" + fb +
                   " keeps the kernel from creating tunl0 in containers: vzlvs creates an "
                   "`ipip external` device named tunl0 instead when it applies the settings";
        return Observation{has, has ? "tunl0 present" : why, "vzctl restart " + ctid};
    };
    restart.apply = [&ctx, v, ctid]() {
        if (ctx.cfg.node.restart != RestartPolicy::automatic)
            return Applied{Status::pending, "restart needed (restart = never)"};
        ctx.seams.vzctl().restart(ctid);
        v->changed();
        return Applied{Status::changed, "restarted " + ctid};
    };
    steps.push_back(restart);

    for (auto& s : ct_host_cleanup_steps(ctx, v)) steps.push_back(s);
    steps.push_back(ct_inside_step(ctx, v));

    return steps;
}

Step ct_kind_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    (void)ctx;
    Step kind;
    kind.scope = v->scope();
    kind.name = "tunl0 is an ipip device";
    kind.fix = "the node's kernel needs ipip (modprobe ipip; vzlvs bootstrap)";
    kind.observe = [v]() {
        if (!v->status().running || !v->net().tunl0)
            return Observation{true, "not observable now", ""};
        bool ipip = v->net().kind == "ipip";
        return Observation{ipip,
                           ipip ? "ipip"
                                : "tunl0 is a '" + v->net().kind +
                                      "' device: ipip not supported by this kernel, the CT "
                                      "cannot decapsulate the director's packets",
                           ""};
    };
    return kind;
}

std::vector<Step> ct_deprovision_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    std::vector<Step> steps;
    const std::string ctid = v->ct.ctid;

    Step inside;
    inside.scope = v->scope();
    inside.name = "VIP off tunl0, sysctl file removed";
    inside.verify = false;
    inside.observe = [v]() {
        if (!v->status().running)
            return Observation{false,
                               "CT stopped: its /etc/sysctl.d/zz-vzlvs.conf cannot be reached",
                               "remove the VIP and the sysctl file inside the CT"};
        const auto& n = v->net();
        bool any = n.persist != "missing";
        for (const auto& vip : v->vips) any = any || n.has_addr(vip);
        return Observation{!any, n.summary(), "remove " + join(v->vips) + " from tunl0"};
    };
    inside.fix = "vzctl start " + ctid + " && vzlvs deprovision " + ctid +
                 " (the file only sets rp_filter 0 and ARP hardening: harmless meanwhile)";
    inside.apply = [&ctx, v]() {
        // legacy OpenVZ offers no way into a stopped CT but a mount; the file is harmless.
        if (!v->status().running) return Applied{Status::pending, "left inside the stopped CT"};
        v->set_net(ctx.seams.ct_net().remove(v->ct.ctid, v->vips));
        return Applied{Status::changed, v->net().summary()};
    };
    steps.push_back(inside);
    steps.push_back(remove_hook_step(ctx, v, "start"));

    Step ipdel;
    ipdel.scope = v->scope();
    ipdel.name = "VIP not in IP_ADDRESS";
    ipdel.observe = [v, ctid]() {
        auto c = v->conf();
        std::vector<std::string> present;
        for (const auto& vip : v->vips)
            if (c.has_ip(vip)) present.push_back(vip);
        return Observation{
            present.empty(), present.empty() ? "none" : join(present),
            "vzctl set " + ctid + " --ipdel " + join(present, " --ipdel ") + " --save"};
    };
    ipdel.apply = [&ctx, v, ctid]() {
        auto c = v->conf();
        for (const auto& vip : v->vips)
            if (c.has_ip(vip)) ctx.seams.vzctl().ipdel(ctid, vip);
        v->changed();
        return Applied{Status::changed, "deleted " + join(v->vips)};
    };
    steps.push_back(ipdel);
    for (auto& s : ct_host_cleanup_steps(ctx, v)) steps.push_back(s);

    Step unguard;
    unguard.scope = v->scope();
    unguard.name = "ARP guard released";
    unguard.observe = [&ctx, v]() {
        auto st = ctx.seams.guard().observe();
        std::vector<std::string> held;
        for (const auto& vip : v->vips)
            if (st.vips.count(vip)) held.push_back(vip);
        return Observation{held.empty(), held.empty() ? "not guarded" : "guarding " + join(held),
                           "stop guarding " + join(held)};
    };
    unguard.apply = [&ctx, v]() {
        for (const auto& vip : v->vips) ctx.seams.guard().remove_vip(vip);
        return Applied{Status::changed, "released " + join(v->vips)};
    };
    steps.push_back(unguard);
    steps.push_back(remove_hook_step(ctx, v, "mount"));
    steps.push_back(remove_hook_step(ctx, v, "umount"));

    if (ctx.opts.features_off) {
        Step off;
        off.scope = v->scope();
        off.name = "ipip feature off";
        off.verify = false;
        off.observe = [v, ctid]() {
            auto c = v->conf();
            auto it = c.features.find("ipip");
            bool on = it != c.features.end() && it->second;
            return Observation{!on, on ? "ipip:on" : "off",
                               "vzctl set " + ctid + " --features ipip:off --save"};
        };
        off.apply = [&ctx, ctid]() {
            ctx.seams.vzctl().set_features(ctid, "ipip:off");
            return Applied{Status::changed, "saved; takes effect at the next start"};
        };
        steps.push_back(off);
    }
    return steps;
}

}  // namespace vzlvs::flow
