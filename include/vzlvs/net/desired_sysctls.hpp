// Desired kernel state as one table (after Seesaw's ncc/sysctl.go): every sysctl vzlvs sets
// or expects, with the reason, in one place. The node steps apply and check the node rows;
// the container rows are rendered into templates/ct-net.sh, which applies, reports and
// persists them inside each CT, and CtNetState::problems() checks them with one loop.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "vzlvs/config/config.hpp"

namespace vzlvs {

struct SysctlRow {
    std::string key;    // "net.ipv4.conf.all.rp_filter"
    std::string value;  // "0"
    std::string why;    // one line: what breaks without it
};

// Inside every LVS-TUN container (tunl0 is where the director's packets arrive).
std::vector<SysctlRow> ct_sysctls();

// The node's rp_filter as it is: conf.all, conf.default and every device's own value, and
// the values an earlier bootstrap pinned (its sysctl.d block), by device ("default" too).
struct RpFilterNow {
    int all = 0;
    std::map<std::string, int> devs;  // "default" and each device but all
    std::map<std::string, int> pinned_before;
};

// The node's rp_filter rows, in the order they must be applied. venet must be 0, and the
// kernel uses max(all, dev), so `all` must be 0 too. `mode` says what vzlvs may do about it:
// refuse: only venet (bootstrap fails while all != 0); set: lower all as well; pin (the
// default): first pin every other device, and `default` for devices born later, to its
// effective value max(all, dev), then lower all, so no device ends less protected than it
// was. Pins, once written, are kept as they were (RpFilterNow::pinned_before).
std::vector<SysctlRow> node_rp_filter_sysctls(const std::string& venet, AllRpFilter mode,
                                              const RpFilterNow& now);
// Expected on the node but left to the vz service: reported, never changed.
SysctlRow node_forwarding_sysctl();

// The rows as a sysctl.d file body: "# why\nkey = value\n" per row, after `header`.
std::string render_sysctl_file(const std::string& header, const std::vector<SysctlRow>& rows);

}  // namespace vzlvs
