#include "net/desired_sysctls.hpp"

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

std::vector<SysctlRow> node_rp_filter_sysctls(const std::string& venet, bool set_all_rp_filter) {
    std::vector<SysctlRow> rows{
        {"net.ipv4.conf." + venet + ".rp_filter", "0",
         "containers answer LVS-TUN clients from the VIP; those replies enter the node on " +
             venet + ", where strict reverse-path filtering would drop them"}};
    if (set_all_rp_filter)
        rows.push_back({"net.ipv4.conf.all.rp_filter", "0",
                        "the kernel uses max(all, dev): `all_rp_filter = set` in vzlvs.conf"});
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
