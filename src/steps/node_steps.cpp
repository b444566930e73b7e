// Node steps (bootstrap, and the node half of check): ipip, its autoload, rp_filter on venet,
// forwarding, and the ARP guard that keeps the node from claiming any VIP.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "steps/flow_internal.hpp"
#include "config/validate.hpp"
#include "base/files.hpp"
#include "net/sysctl.hpp"
#include "commands/watch.hpp"

namespace vzlvs::flow {

namespace fs = std::filesystem;
using validate::join;

namespace {

constexpr const char* kBlockId = "lvs-tun";

// Where this distribution loads modules from at boot (docs/commands/bootstrap.md).
struct Autoload {
    fs::path path;
    std::string header, body;
    mode_t mode;
};

Autoload autoload_for(const Config& cfg) {
    ModulesPersist how = cfg.node.modules_persist;
    if (how == ModulesPersist::autodetect)
        how = fs::exists("/run/systemd/system") || !fs::exists(cfg.node.sysconfig_modules_dir)
                  ? ModulesPersist::modules_load_d
                  : ModulesPersist::sysconfig;
    if (how == ModulesPersist::sysconfig)
        // RHEL/CentOS 6 rc.sysinit runs every executable /etc/sysconfig/modules/*.modules.
        return {cfg.node.sysconfig_modules_dir / "ipip.modules", "#!/bin/sh\n",
                "/sbin/modprobe ipip >/dev/null 2>&1\n", 0755};
    if (how == ModulesPersist::modules_load_d)
        return {cfg.node.modules_load_dir / "vzlvs.conf", "", "ipip\n", 0644};
    return {};
}

std::string sysctl_body(const Config& cfg) {
    std::string b =
        "# Containers answer LVS-TUN clients from the VIP; those replies enter the node on\n"
        "# " +
        cfg.node.venet +
        ", where strict reverse-path filtering would drop them.\n"
        "net.ipv4.conf." +
        cfg.node.venet + ".rp_filter = 0\n";
    if (cfg.node.all_rp_filter == AllRpFilter::set)
        b += "# The kernel uses max(all, dev): `all_rp_filter = set` in vzlvs.conf.\n"
             "net.ipv4.conf.all.rp_filter = 0\n";
    return b;
}

fs::path sysctl_file(const Config& cfg) { return cfg.node.sysctl_dir / "60-vzlvs.conf"; }

Step file_block_step(const std::string& name, const fs::path& path, const std::string& body,
                     mode_t mode, const std::string& header, const std::string& why) {
    Step s;
    s.scope = "node";
    s.name = name;
    s.fix = "vzlvs bootstrap";
    s.observe = [path, body, why]() {
        auto text = read_file(path);
        auto block = text ? find_block(*text, kBlockId) : std::nullopt;
        bool ok = block && *block == body;
        return Observation{ok,
                           ok ? path.string() : path.string() + (text ? " differs" : " missing"),
                           "write " + path.string() + " (" + why + ")"};
    };
    s.apply = [path, body, mode, header]() {
        fs::create_directories(path.parent_path());
        ensure_block_in_file(path, kBlockId, body, mode, header);
        return Applied{Status::changed, "wrote " + path.string()};
    };
    return s;
}

}  // namespace

std::vector<std::string> all_vips(const Config& cfg) {
    std::vector<std::string> vips;
    for (const auto& [_, ct] : cfg.containers)
        for (const auto& v : cfg.vips_of(ct))
            if (std::find(vips.begin(), vips.end(), v) == vips.end()) vips.push_back(v);
    return vips;
}

std::vector<std::string> uplinks(Ctx& ctx) {
    if (!ctx.cfg.node.uplinks.empty()) return ctx.cfg.node.uplinks;
    std::vector<UplinkCandidate> c;
    for (const auto& l : ctx.seams.netlink().links()) {
        UplinkCandidate u;
        u.name = l.name;
        u.up = l.up;
        u.loopback = l.loopback;
        u.noarp = l.noarp;
        u.has_global_addr = !ctx.seams.netlink().addresses(l.name).empty();
        c.push_back(u);
    }
    auto out = select_uplinks(c);
    out.erase(std::remove(out.begin(), out.end(), ctx.cfg.node.venet), out.end());
    return out;
}

Step arp_guard_step(Ctx& ctx, const std::vector<std::string>& vips) {
    Step s;
    s.scope = "node";
    s.name = "ARP guard";
    s.fix = "vzlvs bootstrap (needs nftables with netdev egress, or tc with act_gact)";
    s.observe = [&ctx, vips]() {
        auto devs = uplinks(ctx);
        if (devs.empty()) return Observation{false, "no uplink found: set uplinks in [node]", ""};
        auto report = describe_guard(ctx.seams.guard().observe(), devs, vips);
        return Observation{
            report.ok(),
            report.ok() ? join(vips) + " never announced on " + join(devs) : report.str(),
            "drop ARP for " + join(vips) + " on " + join(devs) + " (" +
                to_string(ctx.seams.guard().backend()) + ")"};
    };
    s.apply = [&ctx, vips]() {
        auto changes = ctx.seams.guard().ensure(uplinks(ctx), vips);
        return Applied{Status::changed, changes.str()};
    };
    return s;
}

std::vector<Step> watch_unit_steps(Ctx& ctx) {
    const fs::path path = ctx.opts.unit_dir / "vzlvs-watch.service";
    const std::string unit =
        render_watch_unit(self_path(ctx.opts), fs::absolute(ctx.opts.config_path).string());
    std::vector<Step> steps;
    Step file;
    file.scope = "node";
    file.name = "watch unit";
    file.fix = "vzlvs bootstrap --install-watch";
    file.observe = [path, unit]() {
        auto text = read_file(path);
        bool ok = text && *text == unit;
        return Observation{ok,
                           path.string() + (ok     ? ""
                                            : text ? " differs"
                                                   : " missing"),
                           "write " + path.string()};
    };
    file.apply = [path, unit]() {
        fs::create_directories(path.parent_path());
        atomic_write(path, unit, 0644);
        return Applied{Status::changed, "wrote " + path.string()};
    };
    steps.push_back(file);

    Step service;
    service.scope = "node";
    service.name = "watch service";
    service.fix = "systemctl enable --now vzlvs-watch.service";
    service.observe = [&ctx]() {
        if (!fs::exists("/run/systemd/system")) {
            Observation o{true,
                          "systemd is not running here: start `vzlvs watch` from your init "
                          "system",
                          ""};
            o.warn = true;
            return o;
        }
        auto enabled = ctx.seams.runner().run({"systemctl", "is-enabled", "vzlvs-watch.service"});
        auto active = ctx.seams.runner().run({"systemctl", "is-active", "vzlvs-watch.service"});
        bool ok = enabled.ok() && active.ok();
        return Observation{ok, ok ? "enabled, active" : "not enabled and running",
                           "systemctl daemon-reload; systemctl enable --now vzlvs-watch.service"};
    };
    service.apply = [&ctx]() {
        for (std::vector<std::string> argv :
             {std::vector<std::string>{"systemctl", "daemon-reload"},
              std::vector<std::string>{"systemctl", "enable", "--now", "vzlvs-watch.service"}}) {
            RunResult r = ctx.seams.runner().run(argv);
            if (!r.ok()) throw Error(describe_argv(argv) + " failed: " + r.err);
        }
        return Applied{Status::changed, "enabled and started"};
    };
    steps.push_back(service);
    return steps;
}

std::vector<Step> node_steps(Ctx& ctx) {
    const Config& cfg = ctx.cfg;
    std::vector<Step> steps;

    Step vzctl;
    vzctl.scope = "node";
    vzctl.name = "vzctl";
    vzctl.fix = "install vzctl, or set vzctl = PATH in [node]";
    vzctl.observe = [&cfg]() {
        bool ok = ::access(cfg.node.vzctl.c_str(), X_OK) == 0;
        return Observation{ok, cfg.node.vzctl.string() + (ok ? "" : " is not an executable"), ""};
    };
    steps.push_back(vzctl);

    Step venet;
    venet.scope = "node";
    venet.name = "venet device";
    venet.fix = "start OpenVZ networking (service vz start), or set venet = NAME in [node]";
    venet.observe = [&ctx]() {
        auto l = ctx.seams.netlink().link(ctx.cfg.node.venet);
        return Observation{
            l && l->up,
            !l ? "no device " + ctx.cfg.node.venet : ctx.cfg.node.venet + (l->up ? " up" : " down"),
            ""};
    };
    steps.push_back(venet);

    Step ipip;
    ipip.scope = "node";
    ipip.name = "ipip module";
    ipip.fix = "a kernel with ipip (CONFIG_NET_IPIP) is required for LVS-TUN real servers";
    ipip.observe = []() {
        bool loaded = fs::exists("/sys/module/ipip");
        return Observation{loaded, loaded ? "loaded" : "not loaded", "modprobe ipip"};
    };
    ipip.apply = [&ctx]() {
        if (!fs::exists("/proc/modules"))
            throw Error(
                "ipip not supported by this kernel: it is not built in and the kernel "
                "cannot load modules");
        RunResult r;
        try {
            r = ctx.seams.runner().run({"modprobe", "ipip"});
        } catch (const ProgramNotFound& e) {
            throw Error(std::string("ipip is not loaded and modprobe is missing (install kmod): ") +
                        e.what());
        }
        if (!r.ok() || !fs::exists("/sys/module/ipip")) {
            std::string why = r.err.empty() ? "exit " + std::to_string(r.exit_code) : r.err;
            while (!why.empty() && why.back() == '\n') why.pop_back();
            throw Error("ipip not supported by this kernel (modprobe ipip: " + why + ")");
        }
        return Applied{Status::changed, "loaded"};
    };
    steps.push_back(ipip);

    Autoload al = autoload_for(cfg);
    if (!al.path.empty())
        steps.push_back(file_block_step("ipip loaded at boot", al.path, al.body, al.mode, al.header,
                                        "loads ipip at every boot"));

    Step rp;
    rp.scope = "node";
    rp.name = "rp_filter on " + cfg.node.venet;
    rp.fix = "vzlvs bootstrap";
    rp.observe = [&cfg]() {
        auto all = sysctl_read("net.ipv4.conf.all.rp_filter");
        auto dev = sysctl_read("net.ipv4.conf." + cfg.node.venet + ".rp_filter");
        bool ok = all && dev && *all == "0" && *dev == "0";
        Observation o{ok,
                      "all=" + all.value_or("?") + " " + cfg.node.venet + "=" + dev.value_or("?") +
                          " (effective: the max)",
                      "set " + cfg.node.venet + " to 0"};
        if (all && *all != "0" && cfg.node.all_rp_filter == AllRpFilter::refuse)
            o.fix = "net.ipv4.conf.all.rp_filter is not 0 and the kernel uses max(all, " +
                    cfg.node.venet +
                    "): set it to 0 yourself (it affects every interface), or allow vzlvs to "
                    "with all_rp_filter = set in [node]";
        return o;
    };
    rp.apply = [&cfg]() {
        sysctl_write("net.ipv4.conf." + cfg.node.venet + ".rp_filter", "0");
        auto all = sysctl_read("net.ipv4.conf.all.rp_filter");
        if (all && *all != "0") {
            if (cfg.node.all_rp_filter == AllRpFilter::refuse)
                throw Error("net.ipv4.conf.all.rp_filter is " + *all + ": vzlvs set " +
                            cfg.node.venet + " to 0 but does not change `all` unless allowed");
            sysctl_write("net.ipv4.conf.all.rp_filter", "0");
        }
        return Applied{Status::changed, "set"};
    };
    steps.push_back(rp);
    steps.push_back(file_block_step("rp_filter persisted", sysctl_file(cfg), sysctl_body(cfg), 0644,
                                    "", "applied at every boot"));

    Step fwd;
    fwd.scope = "node";
    fwd.name = "IPv4 forwarding";
    fwd.fix = "sysctl -w net.ipv4.ip_forward=1 (the vz service normally sets it)";
    fwd.observe = []() {
        auto v = sysctl_read("net.ipv4.ip_forward");
        return Observation{v && *v == "1", "ip_forward=" + v.value_or("?"), ""};
    };
    steps.push_back(fwd);

    steps.push_back(arp_guard_step(ctx, all_vips(cfg)));

    // The ARP settings that matter on a venet node are the uplinks': venet and tunl0 are NOARP.
    Step proxy_arp;
    proxy_arp.scope = "node";
    proxy_arp.name = "proxy_arp on uplinks";
    proxy_arp.fix =
        "sysctl -w net.ipv4.conf.all.proxy_arp=0 and net.ipv4.conf.DEV.proxy_arp=0 "
        "(vzctl's per-IP proxy entries do not need it)";
    proxy_arp.observe = [&ctx]() {
        std::vector<std::string> on;
        auto all = sysctl_read("net.ipv4.conf.all.proxy_arp");
        if (all && *all != "0") on.push_back("all");
        for (const auto& dev : uplinks(ctx)) {
            auto v = sysctl_read("net.ipv4.conf." + dev + ".proxy_arp");
            if (v && *v != "0") on.push_back(dev);
        }
        Observation o{true, on.empty() ? "off" : "on for " + join(on), ""};
        // Proxy ARP answers for any address routed out of another interface: a VIP whose
        // route leaked would be claimed even without vzctl's proxy entry.
        o.warn = !on.empty();
        return o;
    };
    steps.push_back(proxy_arp);
    return steps;
}

}  // namespace vzlvs::flow
