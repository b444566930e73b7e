#include "vzlvs/steps/director_steps.hpp"

#include <algorithm>
#include <filesystem>

#include "vzlvs/base/files.hpp"
#include "vzlvs/base/state_dir.hpp"
#include "vzlvs/steps/ct_probe.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

namespace {

struct Backend {
    ServiceSpec service;
    BackendSpec backend;
};

// The service and the backend the container is registered as in it.
Backend backend_for(Ctx& ctx, CtView& v, const std::string& service) {
    const ServiceConfig& s = ctx.cfg.services.at(service);
    Backend b;
    b.service = {s.name, s.vip, s.port, s.protocol == Protocol::udp ? "udp" : "tcp", s.scheduler};
    b.backend.service_id = s.name;
    b.backend.id = backend_id(ctx.cfg.node.name, v.ct.ctid, s.name);
    b.backend.host = real_server_address(ctx, v);
    b.backend.port = s.port;
    b.backend.weight = v.ct.weight;
    b.backend.pulse.type = to_string(s.check);
    b.backend.pulse.interval = std::to_string(s.check_interval.count()) + "s";
    b.backend.pulse.path = s.check_path;
    b.backend.pulse.expect = s.check_expect;
    b.backend.node = ctx.cfg.node.name;
    b.backend.ct = v.ct.ctid;
    return b;
}

Step held_out(Ctx& ctx, std::shared_ptr<CtView> v) {
    return {v->scope(), "director", "vzlvs register " + v->ct.ctid + " puts it back", [&ctx, v]() {
                return Observation::warn("held out by `vzlvs drain` or `vzlvs deregister` (" +
                                         operator_hold_path(ctx, v->ct.ctid).string() + ")");
            }};
}

fs::path deprovision_marker(Ctx& ctx, const std::string& ctid) {
    return ctx.cfg.node.state_dir / "deprovisioning" / ctid;
}

std::string deprovision_fix(const std::string& ctid) {
    return "vzlvs deprovision " + ctid + " finishes it; vzlvs provision " + ctid +
           " takes the container back";
}

Step no_director(std::shared_ptr<CtView> v) {
    return {v->scope(), "director", "",
            []() { return Observation::holds("no director configured: nothing to register"); }};
}

}  // namespace

std::string real_server_address(Ctx& ctx, CtView& v) {
    if (!v.ct.address.empty()) return v.ct.address;
    for (const auto& ip : v.conf().ips())
        if (!ctx.cfg.is_vip(ip)) return ip;
    throw Error("CT " + v.ct.ctid +
                " has no venet address besides its VIPs: set address = IP in [container " +
                v.ct.ctid + "]");
}

fs::path operator_hold_path(Ctx& ctx, const std::string& ctid) {
    return ctx.cfg.node.state_dir / "held-out" / ctid;
}

void set_operator_hold(Ctx& ctx, const std::string& ctid, bool hold) {
    const fs::path p = operator_hold_path(ctx, ctid);
    if (hold) {
        state_subdir(ctx.cfg.node.state_dir, "held-out");
        atomic_write(
            p,
            "held out of the director by the operator; `vzlvs register " + ctid + "` clears this\n",
            0600);
    } else {
        std::error_code ec;
        fs::remove(p, ec);
    }
}

bool deprovision_unfinished(Ctx& ctx, const std::string& ctid) {
    return fs::exists(deprovision_marker(ctx, ctid));
}

void set_deprovision_unfinished(Ctx& ctx, const std::string& ctid, bool unfinished) {
    const fs::path p = deprovision_marker(ctx, ctid);
    if (unfinished) {
        state_subdir(ctx.cfg.node.state_dir, "deprovisioning");
        atomic_write(p, "a deprovision began and has not finished: " + deprovision_fix(ctid) + "\n",
                     0600);
    } else {
        std::error_code ec;
        fs::remove(p, ec);
    }
}

Step deprovision_finished_step(Ctx& ctx, std::shared_ptr<CtView> v) {
    return {v->scope(), "no deprovision half done", deprovision_fix(v->ct.ctid), [&ctx, v]() {
                const bool half = deprovision_unfinished(ctx, v->ct.ctid);
                return Observation::holds_if(
                    !half, half ? "a deprovision began and did not finish (" +
                                      deprovision_marker(ctx, v->ct.ctid).string() +
                                      "): the backend is held out and nothing repairs the CT"
                                : "none");
            }};
}

std::vector<Step> registration_lease_steps(Ctx& ctx) {
    Director* d = ctx.seams.director();
    if (!d || d->renew_every().count() == 0) return {};
    return {{"node", "registrations kept alive",
             "systemctl enable --now vzlvs-watch (watch renews the lease; without it every "
             "backend of this node leaves the directors after lease_ttl)",
             [d]() {
                 const auto state = d->keepalive_state();
                 if (!state) return Observation::holds("they do not expire");
                 return Observation::holds_if(state->kind == DiffKind::ok, state->detail);
             }}};
}

std::vector<Step> register_steps(Ctx& ctx, std::shared_ptr<CtView> v, bool require_verified) {
    if (!ctx.seams.director()) return {no_director(v)};
    if (deprovision_unfinished(ctx, v->ct.ctid))
        return {{v->scope(), "director", deprovision_fix(v->ct.ctid), [&ctx, v]() {
                     return Observation::warn("held out: a deprovision began and did not finish (" +
                                              deprovision_marker(ctx, v->ct.ctid).string() + ")");
                 }}};
    // An operator's drain must survive provision, the mount hook and watch.
    if (fs::exists(operator_hold_path(ctx, v->ct.ctid))) return {held_out(ctx, v)};
    std::vector<Step> steps;
    for (const auto& name : v->ct.services) {
        Step s{v->scope(), "registered in " + name,
               "vzlvs register " + v->ct.ctid +
                   " (the director may be down; the mount hook and the next provision retry)"};
        s.registration = true;
        // Directors that converge from a store apply it after the write: check shows where.
        s.verify = !ctx.seams.director()->applies_later();
        s.observe = [&ctx, v, name]() {
            if (!v->status().running)
                // The umount hook drained it; the mount hook registers it again at start.
                return Observation::skip("CT stopped: registered by the mount hook when it starts");
            const Backend b = backend_for(ctx, *v, name);
            Director& d = *ctx.seams.director();
            auto sd = d.diff_service(b.service);
            if (sd.kind != DiffKind::ok && sd.kind != DiffKind::service_missing)
                return Observation::fails(sd.detail);
            auto bd = sd.kind == DiffKind::service_missing ? BackendDiff{DiffKind::missing, ""}
                                                           : d.diff(b.backend);
            bool ok = bd.kind == DiffKind::ok || bd.kind == DiffKind::reduced_by_health;
            return Observation::holds_if(
                ok,
                ok ? b.backend.id + " -> " + b.backend.host + " (" +
                         (bd.detail.empty() ? to_string(bd.kind) : bd.detail) + ")"
                   : std::string(to_string(bd.kind)) + (bd.detail.empty() ? "" : ": " + bd.detail),
                "register " + b.backend.id + " (" + b.backend.host + ":" +
                    std::to_string(b.backend.port) + ", tunnel)");
        };
        // Observe has already skipped a stopped container.
        s.apply = [&ctx, v, name, require_verified]() {
            if (require_verified) {
                // A non-ipip tunl0 is reported by its own step (ct_kind_step); anything vzlvs
                // itself should have fixed blocks registration.
                std::string p = v->net().problems(v->vips, false);
                if (!p.empty())
                    throw Error("not registering: the container does not serve the VIP yet (" + p +
                                ")");
            }
            std::string probed;
            Backend b = backend_for(ctx, *v, name);
            if (ctx.cfg.node.probe) {
                // `[node] probe = yes`: the director sends clients only where they are answered.
                ProbeResult pr = probe_service(ctx, *v, name);
                if (!pr.ok)
                    throw Error("not registering: the probe through the tunnel failed (" +
                                pr.detail + ")");
                probed = " (probed: " + pr.detail + ")";
                b.backend.probe_ok = true;
            }
            Director& d = *ctx.seams.director();
            d.ensure_service(b.service);
            d.ensure_backend(b.backend);
            return Applied::changed(b.backend.id + " -> " + b.backend.host + probed +
                                    (d.applies_later() ? " (stored; the directors apply it)" : ""));
        };
        steps.push_back(s);
    }
    return steps;
}

std::vector<Step> drain_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    if (!ctx.seams.director()) return {no_director(v)};
    std::vector<Step> steps;
    for (const auto& name : v->ct.services) {
        Step s{v->scope(), "drained in " + name, ""};
        s.observe = [&ctx, v, name]() {
            BackendSpec zero = backend_for(ctx, *v, name).backend;
            zero.weight = 0;
            auto d = ctx.seams.director()->diff(zero);
            bool ok = d.kind == DiffKind::ok || d.kind == DiffKind::missing ||
                      d.kind == DiffKind::service_missing;
            return Observation::holds_if(ok, ok ? "weight 0" : d.detail,
                                         "set weight 0 on " + zero.id);
        };
        s.apply = [&ctx, v, name]() {
            ctx.seams.director()->set_weight(backend_for(ctx, *v, name).backend, 0);
            return Applied::changed("weight 0");
        };
        s.verify = !ctx.seams.director()->applies_later();
        steps.push_back(s);
    }
    return steps;
}

std::vector<Step> deregister_steps(Ctx& ctx, std::shared_ptr<CtView> v) {
    if (!ctx.seams.director()) return {no_director(v)};
    std::vector<Step> steps;
    for (const auto& name : v->ct.services) {
        Step s{v->scope(), "deregistered from " + name, "vzlvs deregister " + v->ct.ctid};
        s.observe = [&ctx, v, name]() {
            const BackendSpec b = backend_for(ctx, *v, name).backend;
            auto d = ctx.seams.director()->diff(b);
            bool gone = d.kind == DiffKind::missing || d.kind == DiffKind::service_missing;
            return Observation::holds_if(gone, gone ? "not registered" : b.id + " registered",
                                         "drain " + b.id + " (weight 0, wait " +
                                             std::to_string(ctx.cfg.director.drain.count()) +
                                             " ms), then delete it");
        };
        s.apply = [&ctx, v, name]() {
            const auto how = drain_and_remove(
                *ctx.seams.director(), backend_for(ctx, *v, name).backend, ctx.cfg.director.drain);
            return Applied::changed(how ? *how : "not registered");
        };
        steps.push_back(s);
    }
    return steps;
}

}  // namespace vzlvs
