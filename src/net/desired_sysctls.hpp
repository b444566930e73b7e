// Desired kernel state as one table (after Seesaw's ncc/sysctl.go): every sysctl vzlvs sets
// or expects, with the reason, in one place. The node steps apply and check the node rows;
// the container rows are rendered into templates/ct-net.sh, which applies, reports and
// persists them inside each CT, and CtNetState::problems() checks them with one loop.
#pragma once

#include <string>
#include <vector>

namespace vzlvs {

struct SysctlRow {
    std::string key;    // "net.ipv4.conf.all.rp_filter"
    std::string value;  // "0"
    std::string why;    // one line: what breaks without it
};

// Inside every LVS-TUN container (tunl0 is where the director's packets arrive).
std::vector<SysctlRow> ct_sysctls();

// On the node. `set_all_rp_filter`: `all_rp_filter = set` in [node] lets vzlvs lower `all`.
std::vector<SysctlRow> node_rp_filter_sysctls(const std::string& venet, bool set_all_rp_filter);
// Expected on the node but left to the vz service: reported, never changed.
SysctlRow node_forwarding_sysctl();

// The rows as a sysctl.d file body: "# why\nkey = value\n" per row, after `header`.
std::string render_sysctl_file(const std::string& header, const std::vector<SysctlRow>& rows);

}  // namespace vzlvs
