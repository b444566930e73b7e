#include "vzlvs/steps/node_steps.hpp"

#include <filesystem>
#include <memory>
#include <sstream>

#include "vzlvs/base/addr.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/net/desired_sysctls.hpp"
#include "vzlvs/net/sysctl.hpp"
#include "vzlvs/net/tunnel_probe.hpp"
#include "vzlvs/steps/guard_step.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBlockId = "lvs-tun";

// Where this distribution loads modules from at boot (docs/commands/bootstrap.md).
struct Autoload {
    fs::path path;
    std::string header, body;
    mode_t mode;
};

Autoload autoload_for(Ctx& ctx) {
    const Config& cfg = ctx.cfg;
    ModulesPersist how = cfg.node.modules_persist;
    if (how == ModulesPersist::autodetect)
        how = ctx.seams.node_system().runs_systemd() || !fs::exists(cfg.node.sysconfig_modules_dir)
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

fs::path rp_filter_file(const Config& cfg) { return cfg.node.sysctl_dir / "60-vzlvs.conf"; }

std::optional<int> to_int(const std::optional<std::string>& v) {
    if (!v || v->empty() || v->size() > 3) return std::nullopt;
    for (char c : *v)
        if (c < '0' || c > '9') return std::nullopt;
    return std::stoi(*v);
}

// The rp_filter rows for this node, read once per run: the kernel's values now, and what an
// earlier bootstrap pinned (the rows of its block in the sysctl.d file).
std::vector<SysctlRow> rp_rows(Ctx& ctx) {
    const Config& cfg = ctx.cfg;
    NodeSystem& sys = ctx.seams.node_system();
    RpFilterNow now;
    now.all = to_int(sys.sysctl("net.ipv4.conf.all.rp_filter")).value_or(0);
    for (const auto& dev : sys.ipv4_conf_devices()) {
        if (dev == "all") continue;
        if (auto v = to_int(sys.sysctl(ipv4_conf_key(dev, "rp_filter")))) now.devs[dev] = *v;
    }
    const std::string prefix = "net.ipv4.conf.", suffix = ".rp_filter = ";
    auto text = read_file(rp_filter_file(cfg));
    auto block = text ? find_block(*text, kBlockId) : std::nullopt;
    std::istringstream in(block.value_or(""));
    for (std::string line; std::getline(in, line);) {
        const auto at = line.find(suffix);
        if (line.rfind(prefix, 0) != 0 || at == std::string::npos) continue;
        const std::string dev = line.substr(prefix.size(), at - prefix.size());
        auto v = to_int(line.substr(at + suffix.size()));
        if (v && dev != "all" && dev != cfg.node.venet) now.pinned_before[dev] = *v;
    }
    return node_rp_filter_sysctls(cfg.node.venet, cfg.node.all_rp_filter, now);
}

Step file_block_step(const std::string& name, const fs::path& path, const std::string& body,
                     mode_t mode, const std::string& header, const std::string& why) {
    return {"node", name, "vzlvs bootstrap",
            [path, body, why]() {
                auto text = read_file(path);
                auto block = text ? find_block(*text, kBlockId) : std::nullopt;
                bool ok = block && *block == body;
                return Observation::holds_if(
                    ok, ok ? path.string() : path.string() + (text ? " differs" : " missing"),
                    "write " + path.string() + " (" + why + ")");
            },
            [path, body, mode, header]() {
                fs::create_directories(path.parent_path());
                ensure_block_in_file(path, kBlockId, body, mode, header);
                return Applied::changed("wrote " + path.string());
            }};
}

// Also says which OpenVZ vzlvs found, and how it knows (ct/detect.hpp).
Step vzctl_step(Ctx& ctx) {
    return {"node", "vzctl", "install vzctl, or set vzctl = PATH in [node]", [&ctx]() {
                const fs::path& vzctl = ctx.cfg.node.vzctl;
                try {
                    const ContainerManager& m = ctx.seams.containers();
                    if (auto why = m.unusable()) return Observation::fails(*why);
                    return Observation::holds(vzctl.string() + ": " + m.flavour());
                } catch (const Error& e) {
                    return Observation::fails(e.what());
                }
            }};
}

Step venet_step(Ctx& ctx) {
    return {"node", "venet device",
            "start OpenVZ networking (service vz start), or set venet = NAME in [node]", [&ctx]() {
                const std::string& venet = ctx.cfg.node.venet;
                auto l = ctx.seams.netlink().link(venet);
                return Observation::holds_if(
                    l && l->up, !l ? "no device " + venet : venet + (l->up ? " up" : " down"));
            }};
}

Step ipip_step(Ctx& ctx) {
    Step s{"node", "ipip module",
           "a kernel with ipip (CONFIG_NET_IPIP) is required for LVS-TUN real servers", [&ctx]() {
               bool loaded = ctx.seams.node_system().has_ipip();
               return Observation::holds_if(loaded, loaded ? "loaded" : "not loaded",
                                            "modprobe ipip");
           }};
    s.apply = [&ctx]() {
        NodeSystem& sys = ctx.seams.node_system();
        if (!sys.loads_modules())
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
        if (!r.ok() || !sys.has_ipip()) {
            std::string why = r.err.empty() ? "exit " + std::to_string(r.exit_code) : r.err;
            while (!why.empty() && why.back() == '\n') why.pop_back();
            throw Error("ipip not supported by this kernel (modprobe ipip: " + why + ")");
        }
        return Applied::changed("loaded");
    };
    return s;
}

// The node's rp_filter rows. `all` is special: the kernel uses max(all, venet), and lowering
// `all` touches every interface, so vzlvs pins the others first (all_rp_filter = pin).
Step rp_filter_step(Ctx& ctx, std::shared_ptr<const std::vector<SysctlRow>> rows) {
    const Config& cfg = ctx.cfg;
    const std::string venet = cfg.node.venet;
    const std::string all_key = "net.ipv4.conf.all.rp_filter";
    NodeSystem& sys = ctx.seams.node_system();
    Step s{"node", "rp_filter on " + venet, "vzlvs bootstrap",
           [&cfg, &sys, venet, all_key, rows]() {
               auto all = sys.sysctl(all_key);
               auto dev = sys.sysctl(ipv4_conf_key(venet, "rp_filter"));
               std::vector<std::string> differ;
               for (const auto& row : *rows)
                   if (sys.sysctl(row.key).value_or("?") != row.value)
                       differ.push_back(row.key + "=" + row.value);
               const bool ok = all && *all == "0" && differ.empty();
               Observation o = Observation::holds_if(
                   ok,
                   "all=" + all.value_or("?") + " " + venet + "=" + dev.value_or("?") +
                       " (effective: the max)",
                   "set " + join(differ, ", ") +
                       (rows->size() > 2 ? " (each device pinned to its effective value, then "
                                           "all lowered: the others stay as protected)"
                                         : ""));
               if (all && *all != "0" && cfg.node.all_rp_filter == AllRpFilter::refuse)
                   o.fix = all_key + " is not 0 and the kernel uses max(all, " + venet +
                           "): set it to 0 yourself (it affects every interface), or let vzlvs "
                           "pin every interface and lower it with all_rp_filter = pin in [node]";
               return o;
           }};
    s.apply = [&cfg, &sys, all_key, rows]() {
        // In table order: the pins hold before all drops, so no device is unprotected.
        for (const auto& row : *rows) sys.set_sysctl(row.key, row.value);
        auto all = sys.sysctl(all_key);
        if (all && *all != "0")
            throw Error(all_key + " is " + *all + ": vzlvs set " + cfg.node.venet +
                        " to 0 but does not change `all` with all_rp_filter = refuse");
        return Applied::changed("set " + std::to_string(rows->size()) + " value(s)");
    };
    return s;
}

Step forwarding_step(Ctx& ctx) {
    const SysctlRow row = node_forwarding_sysctl();
    return {"node", "IPv4 forwarding",
            "sysctl -w " + row.key + "=" + row.value + " (the vz service normally sets it)",
            [&ctx, row]() {
                auto v = ctx.seams.node_system().sysctl(row.key);
                return Observation::holds_if(v && *v == row.value, "ip_forward=" + v.value_or("?"));
            }};
}

// The ARP settings that matter on a venet node are the uplinks': venet and tunl0 are NOARP.
Step proxy_arp_step(Ctx& ctx) {
    return {"node", "proxy_arp on uplinks",
            "sysctl -w net.ipv4.conf.all.proxy_arp=0 and net.ipv4.conf.DEV.proxy_arp=0 "
            "(vzctl's per-IP proxy entries do not need it)",
            [&ctx]() {
                std::vector<std::string> on;
                NodeSystem& sys = ctx.seams.node_system();
                auto all = sys.sysctl("net.ipv4.conf.all.proxy_arp");
                if (all && *all != "0") on.push_back("all");
                for (const auto& dev : uplinks(ctx)) {
                    auto v = sys.sysctl(ipv4_conf_key(dev, "proxy_arp"));
                    if (v && *v != "0") on.push_back(dev);
                }
                // Proxy ARP answers for any address routed out of another interface: a VIP
                // whose route leaked would be claimed even without vzctl's proxy entry.
                if (on.empty()) return Observation::holds("off");
                return Observation::warn("on for " + join(on));
            }};
}

// A VIP that is the network or broadcast address of an uplink's subnet is one the LAN will not
// treat as a host's (a broadcast is answered by everyone, a network address by no one); it is
// legal in a wider subnet elsewhere, so it is a warning.
Step vip_addresses_step(Ctx& ctx) {
    return {"node", "VIPs are host IPs",
            "use a VIP that is neither the network nor the broadcast address of the LAN", [&ctx]() {
                std::vector<std::string> odd;
                for (const auto& dev : uplinks(ctx))
                    for (const auto& cidr : ctx.seams.netlink().addresses(dev)) {
                        const auto net = parse_ipv4_prefix(cidr);
                        if (!net || net->len >= 31) continue;  // /31 and /32 have neither
                        const uint32_t mask = net->len ? ~0u << (32 - net->len) : 0;
                        const uint32_t first = net->addr & mask, last = first | ~mask;
                        const std::string subnet =
                            format_ipv4(first) + "/" + std::to_string(net->len);
                        for (const auto& vip : ctx.cfg.all_vips()) {
                            const uint32_t v = *parse_ipv4(vip);
                            if (v == first)
                                odd.push_back(vip + " is the network address of " + dev + "'s " +
                                              subnet);
                            if (v == last)
                                odd.push_back(vip + " is the broadcast address of " + dev + "'s " +
                                              subnet);
                        }
                    }
                if (odd.empty())
                    return Observation::holds("none is a network or broadcast address there");
                return Observation::warn(join(odd, "; "));
            }};
}

// Removes vzlvs's block from path; the file goes when nothing else is left in it.
Step remove_file_block_step(const std::string& name, const fs::path& path,
                            const std::string& header) {
    return {"node", name, "",
            [path]() {
                auto text = read_file(path);
                const bool has = text && find_block(*text, kBlockId);
                return Observation::holds_if(!has,
                                             has ? path.string() + " has vzlvs's block" : "none",
                                             "remove vzlvs's block from " + path.string());
            },
            [path, header]() {
                remove_block_from_file(path, kBlockId, header);
                return Applied::changed("removed vzlvs's block from " + path.string());
            }};
}

}  // namespace

std::vector<Step> node_undo_steps(Ctx& ctx) {
    const Config& cfg = ctx.cfg;
    std::vector<Step> steps{
        remove_file_block_step("ipip not loaded at boot by vzlvs",
                               cfg.node.modules_load_dir / "vzlvs.conf", ""),
        remove_file_block_step("ipip not loaded at boot by vzlvs (sysconfig)",
                               cfg.node.sysconfig_modules_dir / "ipip.modules", "#!/bin/sh\n"),
        remove_file_block_step("rp_filter not persisted by vzlvs", rp_filter_file(cfg), "")};
    steps.push_back({"node", "no ARP guard", "",
                     [&ctx]() {
                         const GuardState& g = ctx.seams.guard_state();
                         const bool none = g.vips.empty() && g.devices.empty();
                         return Observation::holds_if(
                             none,
                             none ? "none" : std::to_string(g.vips.size()) + " VIP(s) guarded",
                             "remove the ARP guard");
                     },
                     [&ctx]() {
                         ctx.seams.guard().remove_all();
                         return Applied::changed("removed the ARP guard");
                     }});
    return steps;
}

std::vector<Step> node_steps(Ctx& ctx) {
    const Config& cfg = ctx.cfg;
    std::vector<Step> steps{vzctl_step(ctx), venet_step(ctx), ipip_step(ctx)};
    Autoload al = autoload_for(ctx);
    if (!al.path.empty())
        steps.push_back(file_block_step("ipip loaded at boot", al.path, al.body, al.mode, al.header,
                                        "loads ipip at every boot"));
    auto rows = std::make_shared<const std::vector<SysctlRow>>(rp_rows(ctx));
    steps.push_back(rp_filter_step(ctx, rows));
    steps.push_back(file_block_step("rp_filter persisted", rp_filter_file(cfg),
                                    render_sysctl_file("", *rows), 0644, "",
                                    "applied at every boot"));
    steps.push_back(forwarding_step(ctx));
    steps.push_back(arp_guard_step(ctx, cfg.all_vips()));
    steps.push_back(proxy_arp_step(ctx));
    steps.push_back(vip_addresses_step(ctx));
    return steps;
}

}  // namespace vzlvs
