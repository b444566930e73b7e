// The ARP guard's backends in pieces: the nft and tc renderings and parsers, the probes.
// For the backends themselves and their unit tests; everything else uses net/arpguard.hpp.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vzlvs/net/arpguard.hpp"

namespace vzlvs {

// Pure pieces, exposed so unit tests can pin the rendered commands and the parsers.
namespace arpguard_detail {

constexpr const char* kTable = "vzlvs";
constexpr const char* kSet = "vips";
constexpr int kPriority = -500;

// Throws UsageError unless name is an interface name (base/addr.hpp is_interface_name, safe
// inside an nft chain name and a tc argv).
void check_uplink_name(const std::string& name);
// A dotted quad (base/addr.hpp parse_ipv4) and not 0.0.0.0; returns it canonical. Throws
// UsageError.
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

// tc: qdisc flavour. clsact (Linux >= 4.5, and whatever kernel has it backported) leaves the
// device's queueing alone; prio takes the place of a default qdisc: the root one, or on a
// multiqueue device each default child of its mq root, so the queues stay as they were.
enum class TcFlavor { clsact, prio };

// One line of `tc qdisc show`: "qdisc prio fa01: dev eth0 parent 1:1 bands 3 ...".
struct TcQdisc {
    std::string kind, handle, dev;
    std::string parent;  // "root", "ingress" (ffff:fff1), or the parent class as tc prints it
};
std::vector<TcQdisc> parse_tc_qdiscs(const std::string& text);
// The prio a queue of an mq root gets has this handle major plus the queue's number.
constexpr unsigned kMqChildMajor = 0xfa00;
// Where dev's egress filters hang now: "1:" for a root prio of ours, each mq child prio of
// ours, or ffff:fff3 for clsact. Empty when the device has none yet.
std::vector<std::string> tc_egress_parents(TcFlavor f, const std::string& dev,
                                           const std::vector<TcQdisc>& qdiscs);
// The prio flavour's qdisc commands for a device without our egress qdiscs, and the parents
// its filters then take. On an mq root: one prio per queue whose qdisc is the default
// pfifo_fast (a prio of three pfifo bands with pfifo_fast's priomap queues the same way);
// throws Error, before any change, for a queue with any other qdisc (one someone chose, or a
// default fq_codel). Otherwise a root prio, which a custom root qdisc refuses (tc says so).
std::vector<std::vector<std::string>> plan_tc_prio_egress(const std::string& dev,
                                                          const std::vector<TcQdisc>& qdiscs,
                                                          std::vector<std::string>* parents);

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
                                                 const std::string& vip,
                                                 const std::string& parent = "");
std::vector<std::string> render_tc_ingress_filter(TcFlavor f, const std::string& dev,
                                                  const std::string& vip);
std::vector<std::string> render_tc_delete(const std::string& dev, const TcFilter& filter);

// Backend factories and probes behind make_arp_guard().
std::unique_ptr<ArpGuard> make_nft_guard(ProcessRunner& runner);
std::unique_ptr<ArpGuard> make_tc_guard(ProcessRunner& runner, TcFlavor flavor);
// clsact when the kernel takes it (a clsact added to and deleted from lo), else prio.
TcFlavor probe_tc_flavor(ProcessRunner& runner);
// Adds and deletes a throwaway shared gact action; throws Error saying why when tc cannot
// drop (no tc, no act_gact).
void require_tc_drop(ProcessRunner& runner);
// Throws Error naming every device of devs that does not exist (`ip -o link show`, through
// runner so that it sees the namespace the guard acts in): a typo in `[node] uplinks` would
// leave the real uplink open. Called by ensure() before its first change.
void require_devices(ProcessRunner& runner, const std::vector<std::string>& devs);

}  // namespace arpguard_detail

}  // namespace vzlvs
