// The ARP guard: the node must never claim a VIP on the LAN.
//
// vzctl's vps-net_add announces every CT IP with `arpsend -U` on a raw packet socket and adds a
// proxy-ARP entry for it on every uplink. For an LVS-TUN backend the IP is the director's VIP,
// so both hijack the VIP (see docs/arp-guard.md). Packet sockets bypass the arp-family OUTPUT
// hook (arptables, `nft ... arp`), so the guard drops at the device itself:
//   nft backend: `table netdev vzlvs`, per uplink an egress chain dropping ARP whose sender IP is
//                a VIP and an ingress chain dropping who-has for a VIP; the VIPs live in one
//                named set, so adding one is a single element change.
//   tc backend:  u32 filters with `action drop` on clsact (or prio/ingress qdiscs on kernels
//                without clsact), for kernels without netdev egress (RHEL6 2.6.32).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

class ProcessRunner;

enum class ArpGuardBackend { autodetect, nft, tc };

// What is in place now. Addresses are canonical dotted quads.
struct GuardState {
    std::set<std::string> vips;  // VIPs the guard holds (nft: the `vips` set; tc: union)
    // Uplink → VIPs dropped in both directions on it (nft: every complete uplink maps to `vips`).
    std::map<std::string, std::set<std::string>> devices;
    // Uplinks where some vzlvs chain or rule exists but not as vzlvs renders it (someone flushed
    // or edited it); ensure() rewrites them.
    std::set<std::string> damaged;

    bool empty() const { return vips.empty() && devices.empty() && damaged.empty(); }
    bool operator==(const GuardState& o) const {
        return vips == o.vips && devices == o.devices && damaged == o.damaged;
    }
    bool operator!=(const GuardState& o) const { return !(*this == o); }
};

// What ensure() changed; empty() means it ran no command that modifies anything.
struct GuardChanges {
    std::vector<std::string> added_vips;
    std::vector<std::string> added_devices;
    std::vector<std::string> repaired_devices;
    bool empty() const {
        return added_vips.empty() && added_devices.empty() && repaired_devices.empty();
    }
    std::string str() const;  // "added VIPs 10.0.0.5; guarded uplinks eth0" or "no change"
};

// For `check`: each (uplink, VIP) pair the configuration wants, guarded or not.
struct GuardReport {
    std::vector<std::string> guarded;  // "VIP on DEV"
    std::vector<std::string> missing;  // "VIP on DEV: <why>"
    bool ok() const { return missing.empty(); }
    std::string str() const;  // one line per pair, missing first
};

class ArpGuard {
  public:
    virtual ~ArpGuard() = default;
    virtual ArpGuardBackend backend() const = 0;
    // Why this backend and its form on this node, for `check` ("tc: ..."); set by
    // make_arp_guard.
    const std::string& why() const { return why_; }
    void set_why(std::string why) { why_ = std::move(why); }
    virtual GuardState observe() = 0;
    // Adds what is missing (VIPs, uplinks, damaged rules) in one step; never removes. Throws
    // UsageError for an invalid uplink name or VIP and Error for a missing uplink, before any
    // change.
    virtual GuardChanges ensure(const std::vector<std::string>& uplinks,
                                const std::vector<std::string>& vips) = 0;
    // Stops guarding vip on every uplink. Returns false when it was not guarded.
    virtual bool remove_vip(const std::string& vip) = 0;
    // Removes everything vzlvs added. Returns false when there was nothing.
    virtual bool remove_all() = 0;

  private:
    std::string why_;
};

// autodetect: nft when a netdev egress chain passes `nft -c` (one probe), else tc once tc has
// shown it can drop (a gact add/delete). Throws Error when neither can work here, saying why.
// With a cache file (state_dir/arpguard-backend) the choice is probed once per boot: the
// kernel's abilities do not change until the next one (delete the file to probe again).
std::unique_ptr<ArpGuard> make_arp_guard(ProcessRunner& runner,
                                         ArpGuardBackend backend = ArpGuardBackend::autodetect,
                                         const std::filesystem::path& cache = {});

// True when nft exists and the kernel accepts a netdev egress chain (Linux >= 5.16 with
// CONFIG_NETFILTER_EGRESS). Changes nothing (check-only transaction).
bool nft_netdev_egress_available(ProcessRunner& runner);

GuardReport describe_guard(const GuardState& state, const std::vector<std::string>& uplinks,
                           const std::vector<std::string>& vips);

const char* to_string(ArpGuardBackend b);

}  // namespace vzlvs
