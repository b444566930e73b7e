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

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/error.hpp"

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
};

// autodetect: nft when a netdev egress chain passes `nft -c` (one probe), else tc. Throws Error
// when the chosen backend cannot work on this kernel, saying why.
std::unique_ptr<ArpGuard> make_arp_guard(ProcessRunner& runner,
                                         ArpGuardBackend backend = ArpGuardBackend::autodetect);

// True when nft exists and the kernel accepts a netdev egress chain (Linux >= 5.16 with
// CONFIG_NETFILTER_EGRESS). Changes nothing (check-only transaction).
bool nft_netdev_egress_available(ProcessRunner& runner);

GuardReport describe_guard(const GuardState& state, const std::vector<std::string>& uplinks,
                           const std::vector<std::string>& vips);

const char* to_string(ArpGuardBackend b);

// One host interface as vzctl's vzgetnetdev sees it.
struct UplinkCandidate {
    std::string name;
    bool up = false;
    bool loopback = false;
    bool slave = false;            // IFF_SLAVE: a bond member; the bond itself is the uplink
    bool noarp = false;            // venet0 is NOARP
    bool has_global_addr = false;  // an IPv4/IPv6 address whose scope is not link/host
};

// vzgetnetdev's rule: UP, not loopback/slave/NOARP, a non-link-scope address, not veth*.
// Order is kept. `[node] uplinks` in the config overrides this and skips it entirely.
std::vector<std::string> select_uplinks(const std::vector<UplinkCandidate>& links);

// Pure pieces, exposed so unit tests can pin the rendered commands and the parsers.
namespace arpguard_detail {

constexpr const char* kTable = "vzlvs";
constexpr const char* kSet = "vips";
constexpr int kPriority = -500;

// Throws UsageError unless name is an interface name that is also safe inside an nft chain
// name and a tc argv: 1..15 of [A-Za-z0-9_.-], not "." or "..".
void check_uplink_name(const std::string& name);
// Strict dotted quad (inet_pton) and not 0.0.0.0; returns it canonical. Throws UsageError.
std::string check_vip(const std::string& vip);

// nft -j list table netdev vzlvs → state. Empty input (no table) → empty state.
GuardState parse_nft_table(const std::string& json);
// The `nft -f -` script that brings `have` to cover uplinks × vips; "" when nothing differs.
std::string render_nft_ensure(const GuardState& have, const std::vector<std::string>& uplinks,
                              const std::vector<std::string>& vips, GuardChanges* changes);
std::string render_nft_remove_vip(const std::string& vip);
std::string render_nft_remove_all();
// A table/chain that never becomes live: `nft -c -f -` of this proves netdev egress support.
std::string render_nft_probe();

// tc: qdisc flavour. clsact (Linux >= 4.5) leaves the root qdisc alone; prio replaces it.
enum class TcFlavor { clsact, prio };
TcFlavor tc_flavor_for_kernel(const std::string& release);  // "2.6.32-042stab..." → prio

struct TcFilter {
    std::string parent;  // "ffff:fff3", "1:", "ffff:", ...
    unsigned pref = 0;
    std::string handle;                                                       // "800::800"
    std::vector<std::pair<unsigned, std::pair<unsigned, unsigned>>> matches;  // off → (val,mask)
    bool drop = false;                                                        // gact drop
    std::string vip;       // decoded sender IP (egress) or target IP (ingress); "" if not ours
    bool egress = false;   // decoded as a sender-IP match
    bool ingress = false;  // decoded as an op=request + target-IP match
};
constexpr unsigned kTcPref = 49152;  // a pref no distro default uses; marks our filters
// Parses `tc filter show dev DEV parent P` text (JSON repeats the "match" key, so it is useless).
std::vector<TcFilter> parse_tc_filters(const std::string& text, const std::string& parent);
std::string tc_egress_parent(TcFlavor f);   // "ffff:fff3" | "1:"
std::string tc_ingress_parent(TcFlavor f);  // "ffff:fff2" | "ffff:"
std::vector<std::string> render_tc_qdisc(TcFlavor f, const std::string& dev, bool egress);
std::vector<std::string> render_tc_egress_filter(TcFlavor f, const std::string& dev,
                                                 const std::string& vip);
std::vector<std::string> render_tc_ingress_filter(TcFlavor f, const std::string& dev,
                                                  const std::string& vip);
std::vector<std::string> render_tc_delete(const std::string& dev, const TcFilter& filter);

// Backend factories and probes behind make_arp_guard().
std::unique_ptr<ArpGuard> make_nft_guard(ProcessRunner& runner);
std::unique_ptr<ArpGuard> make_tc_guard(ProcessRunner& runner, TcFlavor flavor);
TcFlavor detect_tc_flavor();  // from uname(2)
// Adds and deletes a throwaway shared gact action; false (with *why) when act_gact is missing.
bool tc_drop_available(ProcessRunner& runner, std::string* why);

}  // namespace arpguard_detail

}  // namespace vzlvs
