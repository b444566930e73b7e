#include "vzlvs/net/desired_sysctls.hpp"

#include <algorithm>

namespace vzlvs {

std::vector<SysctlRow> ct_sysctls() {
    return {
        {"net.ipv4.conf.all.rp_filter", "0",
         "decapsulated packets keep the client as source, which is not routed via tunl0: "
         "strict reverse-path filtering drops them (the kernel uses max(all, tunl0))"},
        {"net.ipv4.conf.tunl0.rp_filter", "0", "the other half of max(all, tunl0)"},
        {"net.ipv4.conf.all.arp_ignore", "1",
         "never answer ARP for the VIP: on the LAN it belongs to the director"},
        {"net.ipv4.conf.all.arp_announce", "2", "never announce the VIP as an ARP sender"},
    };
}

std::vector<SysctlRow> node_rp_filter_sysctls(const std::string& venet, AllRpFilter mode,
                                              const RpFilterNow& now) {
    std::vector<SysctlRow> rows;
    const bool pin = mode == AllRpFilter::pin && (now.all != 0 || !now.pinned_before.empty());
    if (pin) {
        // Lowering all now: pin what is there. Lowered before: keep what was pinned then.
        std::map<std::string, int> pins = now.pinned_before;
        if (now.all != 0)
            for (const auto& [dev, v] : now.devs)
                if (dev != venet && !pins.count(dev)) pins[dev] = std::max(now.all, v);
        if (auto d = pins.find("default"); d != pins.end())
            rows.push_back({"net.ipv4.conf.default.rp_filter", std::to_string(d->second),
                            "devices created later keep the protection all gave them"});
        for (const auto& [dev, v] : pins)
            if (dev != "default")
                rows.push_back(
                    {"net.ipv4.conf." + dev + ".rp_filter", std::to_string(v),
                     "pinned to its effective value max(all, " + dev + ") before all is lowered"});
    }
    rows.push_back({"net.ipv4.conf." + venet + ".rp_filter", "0",
                    "containers answer LVS-TUN clients from the VIP; those replies enter the "
                    "node on " +
                        venet + ", where strict reverse-path filtering would drop them"});
    if (pin || mode == AllRpFilter::set)
        rows.push_back({"net.ipv4.conf.all.rp_filter", "0",
                        "the kernel uses max(all, " + venet + "): all must be 0 too" +
                            (pin ? std::string(" (every other device is pinned above)")
                                 : std::string(" (`all_rp_filter = set` in vzlvs.conf)"))});
    return rows;
}

SysctlRow node_forwarding_sysctl() {
    return {"net.ipv4.ip_forward", "1", "the node routes its containers' traffic"};
}

std::string render_sysctl_file(const std::string& header, const std::vector<SysctlRow>& rows) {
    std::string out = header;
    for (const auto& r : rows) out += "# " + r.why + "\n" + r.key + " = " + r.value + "\n";
    return out;
}

}  // namespace vzlvs
