// The backend-neutral parts of the ARP guard: validation, backend choice, `check` reporting.
#include "vzlvs/net/arpguard.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <chrono>
#include <set>
#include <sstream>

#include "net/arpguard_detail.hpp"
#include "vzlvs/base/addr.hpp"
#include "vzlvs/base/probe_cache.hpp"
#include "vzlvs/base/process.hpp"
#include "vzlvs/base/strings.hpp"

namespace vzlvs {

namespace {

std::string spaced(const std::vector<std::string>& v) { return join(v, " "); }

}  // namespace

const char* to_string(ArpGuardBackend b) {
    switch (b) {
        case ArpGuardBackend::autodetect:
            return "autodetect";
        case ArpGuardBackend::nft:
            return "nft";
        case ArpGuardBackend::tc:
            return "tc";
    }
    return "?";
}

std::string GuardChanges::str() const {
    if (empty()) return "no change";
    std::vector<std::string> parts;
    if (!added_vips.empty()) parts.push_back("added VIPs " + spaced(added_vips));
    if (!added_devices.empty()) parts.push_back("guarded uplinks " + spaced(added_devices));
    if (!repaired_devices.empty()) parts.push_back("repaired uplinks " + spaced(repaired_devices));
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "; ") + p;
    return out;
}

std::string GuardReport::str() const {
    std::string out;
    for (const auto& m : missing) out += "NOT guarded: " + m + "\n";
    for (const auto& g : guarded) out += "guarded: " + g + "\n";
    return out;
}

GuardReport describe_guard(const GuardState& state, const std::vector<std::string>& uplinks,
                           const std::vector<std::string>& vips) {
    GuardReport r;
    if (uplinks.empty() && !vips.empty()) {
        r.missing.push_back(
            "no uplink configured or detected, so no device drops the VIP announcements");
    }
    for (const auto& dev : uplinks) {
        auto d = state.devices.find(dev);
        for (const auto& vip : vips) {
            std::string pair = vip + " on " + dev;
            if (d != state.devices.end() && d->second.count(vip)) {
                r.guarded.push_back(pair);
            } else if (state.damaged.count(dev)) {
                r.missing.push_back(pair + ": the vzlvs rules on " + dev +
                                    " were altered; `vzlvs` will rewrite them");
            } else if (d == state.devices.end()) {
                r.missing.push_back(pair + ": no vzlvs ARP filter on " + dev +
                                    ", so vzctl's arpsend and proxy ARP reach the LAN");
            } else {
                r.missing.push_back(pair + ": the VIP is not in the guard's set");
            }
        }
    }
    return r;
}

namespace arpguard_detail {

void require_devices(ProcessRunner& runner, const std::vector<std::string>& devs) {
    if (devs.empty()) return;
    RunOptions o;
    o.timeout = std::chrono::seconds(30);
    auto r = runner.run({"ip", "-o", "link", "show"}, o);
    if (!r.ok())
        throw Error("cannot list network devices (ip -o link show): " +
                    (r.timed_out ? std::string("timed out") : r.err));
    std::set<std::string> present;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        // "2: eth0@if5: <...": the name runs to '@' (veth/vlan peers) or ':'.
        auto a = line.find(": ");
        if (a == std::string::npos) continue;
        auto b = line.find_first_of("@:", a + 2);
        present.insert(line.substr(a + 2, b - a - 2));
    }
    std::vector<std::string> missing;
    for (const auto& d : devs)
        if (!present.count(d)) missing.push_back(d);
    if (!missing.empty())
        throw Error("ARP guard: uplink " + join(missing, ", ") +
                    " does not exist here, so nothing was changed (the guard is bound to "
                    "existing devices). Fix `[node] uplinks` or bring the device up first");
}

void check_uplink_name(const std::string& name) {
    if (!is_interface_name(name))
        throw UsageError("uplink name '" + name + "' is not usable for the ARP guard: expected " +
                         kInterfaceNameRule);
}

std::string check_vip(const std::string& vip) {
    const auto a = parse_ipv4(vip);
    if (!a) throw UsageError("VIP '" + vip + "' is not a dotted-quad IPv4 address");
    if (*a == 0) throw UsageError("VIP 0.0.0.0 cannot be guarded");
    return format_ipv4(*a);
}

}  // namespace arpguard_detail

namespace {

std::unique_ptr<ArpGuard> with_why(std::unique_ptr<ArpGuard> g, std::string why) {
    g->set_why(std::move(why));
    return g;
}

const char* flavor_name(arpguard_detail::TcFlavor f) {
    return f == arpguard_detail::TcFlavor::clsact ? "clsact" : "prio";
}

std::unique_ptr<ArpGuard> tc_guard(ProcessRunner& runner, const std::string& because,
                                   arpguard_detail::TcFlavor f) {
    using namespace arpguard_detail;
    return with_why(
        make_tc_guard(runner, f),
        "tc" + because +
            (f == TcFlavor::clsact
                 ? "; u32 filters with gact drop on clsact (this kernel has it)"
                 : "; u32 filters with gact drop on prio qdiscs in place of the default "
                   "ones (per queue under an mq root) and the ingress qdisc (this "
                   "kernel has no clsact)"));
}

// autodetect, asking the kernel (nft -c of an egress chain; a gact add/delete; tc's clsact).
// *cached becomes what make_arp_guard keeps for the boot: backend, why, and tc's flavour.
std::unique_ptr<ArpGuard> probe_arp_guard(ProcessRunner& runner, std::vector<std::string>* cached) {
    using namespace arpguard_detail;
    if (nft_netdev_egress_available(runner)) {
        auto g = with_why(make_nft_guard(runner),
                          "nft: this kernel takes a netdev egress chain (Linux >= 5.16)");
        *cached = {"nft", g->why()};
        return g;
    }
    try {
        require_tc_drop(runner);
    } catch (const Error& e) {
        throw Error(
            "no way to filter ARP at the uplink: nftables netdev egress is not available "
            "(needs nft and Linux >= 5.16 with CONFIG_NETFILTER_EGRESS) and tc cannot drop (" +
            std::string(e.what()) +
            "). arptables or an nft arp-family table would NOT stop vzctl's arpsend, which writes "
            "on "
            "a raw packet socket; see docs/arp-guard.md");
    }
    const TcFlavor f = probe_tc_flavor(runner);
    auto g = tc_guard(runner,
                      ": no nftables netdev egress here (needs nft and Linux >= 5.16 with "
                      "CONFIG_NETFILTER_EGRESS)",
                      f);
    *cached = {"tc", g->why(), flavor_name(f)};
    return g;
}

}  // namespace

std::unique_ptr<ArpGuard> make_arp_guard(ProcessRunner& runner, ArpGuardBackend backend,
                                         const std::filesystem::path& cache) {
    using namespace arpguard_detail;
    if (backend == ArpGuardBackend::nft) return with_why(make_nft_guard(runner), "nft, as asked");
    if (backend == ArpGuardBackend::tc)
        return tc_guard(runner, ", as asked", probe_tc_flavor(runner));
    std::vector<std::string> entry;
    if (cache.empty()) return probe_arp_guard(runner, &entry);
    const std::string key = boot_identity();
    if (auto hit = read_probe_cache(cache, key); hit && hit->size() >= 2) {
        const std::string why =
            (*hit)[1] + " (probed at this boot; cached in " + cache.string() + ")";
        if ((*hit)[0] == "nft") return with_why(make_nft_guard(runner), why);
        // An entry without tc's flavour (written before it was probed) is probed again.
        for (TcFlavor f : {TcFlavor::clsact, TcFlavor::prio})
            if ((*hit)[0] == "tc" && hit->size() >= 3 && (*hit)[2] == flavor_name(f))
                return with_why(make_tc_guard(runner, f), why);
    }
    auto guard = probe_arp_guard(runner, &entry);
    write_probe_cache(cache, key, entry);
    return guard;
}

}  // namespace vzlvs
