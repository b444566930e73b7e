// The tc backend of the ARP guard, for kernels without nftables netdev egress (RHEL6 2.6.32):
// u32 filters with a gact drop action at the device's egress and ingress.
// The argv and the parsing of tc text are in arpguard_tc_text.cpp.
#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

#include "net/arpguard_detail.hpp"
#include "vzlvs/base/process.hpp"

namespace vzlvs {
namespace arpguard_detail {

TcFlavor probe_tc_flavor(ProcessRunner& runner) {
    // Asking the kernel, not its version: RHEL-style kernels backport, and a 3.10 with clsact
    // must get it (a prio root would reorder nothing but would stand in for the NIC's mq).
    RunOptions o;
    o.timeout = std::chrono::seconds(30);
    auto r = runner.run({"tc", "qdisc", "add", "dev", "lo", "clsact"}, o);
    if (r.ok()) {
        runner.run({"tc", "qdisc", "del", "dev", "lo", "clsact"}, o);
        return TcFlavor::clsact;
    }
    // lo already has one (someone's BPF): the kernel has it.
    if (r.err.find("Exclusivity") != std::string::npos || r.err.find("exists") != std::string::npos)
        return TcFlavor::clsact;
    return TcFlavor::prio;
}

namespace {

class TcArpGuard : public ArpGuard {
  public:
    TcArpGuard(ProcessRunner& runner, TcFlavor flavor) : runner_(runner), flavor_(flavor) {}

    ArpGuardBackend backend() const override { return ArpGuardBackend::tc; }

    GuardState observe() override {
        GuardState st;
        for (const auto& [dev, d] : ours()) {
            // A VIP is guarded on dev when every egress qdisc of ours and the ingress drop it.
            std::map<std::string, std::set<std::string>> eg;  // VIP → egress parents
            std::set<std::string> in;
            for (const auto& f : d.filters) {
                if (!f.drop || f.vip.empty()) {
                    st.damaged.insert(dev);
                    continue;
                }
                if (f.egress) eg[f.vip].insert(f.parent);
                if (f.ingress) in.insert(f.vip);
                st.vips.insert(f.vip);
            }
            for (const auto& [v, parents] : eg)
                if (in.count(v) && parents.size() == d.egress_parents.size())
                    st.devices[dev].insert(v);
        }
        return st;
    }

    GuardChanges ensure(const std::vector<std::string>& uplinks,
                        const std::vector<std::string>& vips) override {
        std::vector<std::string> want;
        for (const auto& v : vips) want.push_back(check_vip(v));
        for (const auto& d : uplinks) check_uplink_name(d);
        const auto qdiscs = list_qdiscs();
        auto have = ours(qdiscs);
        std::vector<std::string> fresh;  // uplinks without our filters yet: they must exist
        for (const auto& d : uplinks)
            if (!have.count(d)) fresh.push_back(d);
        require_devices(runner_, fresh);
        GuardChanges ch;
        std::vector<std::vector<std::string>> cmds;  // all planned before the first change
        std::set<std::string> seen;
        for (const auto& dev : uplinks) {
            if (!seen.insert(dev).second) continue;
            const auto& d = have[dev];
            std::vector<std::string> parents = d.egress_parents;
            if (parents.empty()) {
                if (flavor_ == TcFlavor::clsact) {
                    cmds.push_back(render_tc_qdisc(flavor_, dev, true));
                    parents.push_back(tc_egress_parent(flavor_));
                } else {
                    for (auto& c : plan_tc_prio_egress(dev, qdiscs, &parents)) cmds.push_back(c);
                }
            }
            if (flavor_ == TcFlavor::prio && !has_ingress(dev, qdiscs))
                cmds.push_back(render_tc_qdisc(flavor_, dev, false));
            bool touched = false;
            for (const auto& vip : want) {
                auto present = [&](bool egress, const std::string& parent) {
                    for (const auto& f : d.filters) {
                        if (f.drop && f.vip == vip && f.egress == egress &&
                            (!egress || f.parent == parent))
                            return true;
                    }
                    return false;
                };
                bool added = false;
                for (const auto& p : parents) {
                    if (present(true, p)) continue;
                    cmds.push_back(render_tc_egress_filter(flavor_, dev, vip, p));
                    added = true;
                }
                if (!present(false, "")) {
                    cmds.push_back(render_tc_ingress_filter(flavor_, dev, vip));
                    added = true;
                }
                if (added) {
                    touched = true;
                    ch.added_vips.push_back(vip);
                }
            }
            if (touched && d.filters.empty()) ch.added_devices.push_back(dev);
        }
        std::sort(ch.added_vips.begin(), ch.added_vips.end());
        ch.added_vips.erase(std::unique(ch.added_vips.begin(), ch.added_vips.end()),
                            ch.added_vips.end());
        for (const auto& c : cmds) must(c, "add an ARP drop filter");
        return ch;
    }

    bool remove_vip(const std::string& vip) override {
        std::string c = check_vip(vip);
        bool any = false;
        for (const auto& [dev, d] : ours()) {
            for (const auto& f : d.filters) {
                if (f.vip != c) continue;
                must(render_tc_delete(dev, f), "delete an ARP drop filter");
                any = true;
            }
        }
        return any;
    }

    bool remove_all() override {
        bool any = false;
        // Only our pref goes; the qdiscs may carry other filters, so they stay.
        for (const auto& [dev, d] : ours()) {
            std::set<std::string> parents;
            for (const auto& f : d.filters) parents.insert(f.parent);
            for (const auto& p : parents) {
                must({"tc", "filter", "del", "dev", dev, "parent", p, "protocol", "arp", "pref",
                      std::to_string(kTcPref)},
                     "delete the ARP drop filters");
                any = true;
            }
        }
        return any;
    }

  private:
    // One device as the guard sees it: where its filters hang and which of ours are there.
    struct Device {
        std::vector<std::string> egress_parents;
        std::vector<TcFilter> filters;
    };

    RunResult run(const std::vector<std::string>& argv) {
        RunOptions o;
        o.timeout = std::chrono::seconds(30);
        return runner_.run(argv, o);
    }

    void must(const std::vector<std::string>& argv, const std::string& what) {
        auto r = run(argv);
        if (r.ok()) return;
        std::string e = r.timed_out ? "timed out" : r.err;
        std::string hint;
        if (e.find("action module") != std::string::npos ||
            e.find("Unknown action") != std::string::npos) {
            hint = " (the kernel lacks act_gact, the tc drop action)";
        } else if (e.find("Exclusivity") != std::string::npos ||
                   e.find("File exists") != std::string::npos) {
            hint = " (the device already has a root/ingress qdisc vzlvs did not create)";
        }
        throw Error("ARP guard: could not " + what + ": " + describe_argv(argv) + ": " + e + hint);
    }

    static bool has_ingress(const std::string& dev, const std::vector<TcQdisc>& qdiscs) {
        for (const auto& q : qdiscs)
            if (q.dev == dev && q.kind == "ingress") return true;
        return false;
    }

    std::vector<TcQdisc> list_qdiscs() {
        auto r = run({"tc", "qdisc", "show"});
        if (!r.ok()) throw Error("cannot list qdiscs (tc qdisc show): " + r.err);
        return parse_tc_qdiscs(r.out);
    }

    std::map<std::string, Device> ours() { return ours(list_qdiscs()); }

    // Devices with a qdisc our filters hang on, and our filters there.
    std::map<std::string, Device> ours(const std::vector<TcQdisc>& qdiscs) {
        std::map<std::string, Device> out;
        std::set<std::string> devs;
        for (const auto& q : qdiscs) devs.insert(q.dev);
        for (const auto& dev : devs) {
            Device d;
            d.egress_parents = tc_egress_parents(flavor_, dev, qdiscs);
            if (d.egress_parents.empty()) continue;
            std::vector<std::string> asked = d.egress_parents;
            // prio flavour: the ingress qdisc may be absent, and with it its filters
            if (flavor_ == TcFlavor::clsact || has_ingress(dev, qdiscs))
                asked.push_back(tc_ingress_parent(flavor_));
            std::set<std::string> seen;
            for (const auto& parent : asked) {
                auto r = run({"tc", "filter", "show", "dev", dev, "parent", parent});
                if (!r.ok()) continue;
                for (auto& f : parse_tc_filters(r.out, parent)) {
                    if (f.pref != kTcPref) continue;
                    // A clsact dump lists the filters of both directions whatever parent is
                    // asked for, so the direction comes from what the filter matches.
                    if (flavor_ == TcFlavor::clsact && f.egress)
                        f.parent = tc_egress_parent(flavor_);
                    if (f.ingress) f.parent = tc_ingress_parent(flavor_);
                    if (seen.insert(f.parent + " " + f.handle).second) d.filters.push_back(f);
                }
            }
            out[dev] = std::move(d);
        }
        return out;
    }

    ProcessRunner& runner_;
    TcFlavor flavor_;
};

}  // namespace

std::unique_ptr<ArpGuard> make_tc_guard(ProcessRunner& runner, TcFlavor flavor) {
    return std::make_unique<TcArpGuard>(runner, flavor);
}

void require_tc_drop(ProcessRunner& runner) {
    // A shared action needs no device, so the probe touches no interface.
    const std::string index = "4026531839";
    RunOptions o;
    o.timeout = std::chrono::seconds(30);
    RunResult r;
    try {
        r = runner.run({"tc", "actions", "add", "action", "gact", "drop", "index", index}, o);
    } catch (const ProgramNotFound&) {
        throw Error("tc is not installed");
    }
    if (!r.ok()) throw Error("act_gact is not available: " + r.err);
    runner.run({"tc", "actions", "delete", "action", "gact", "index", index}, o);
}

}  // namespace arpguard_detail
}  // namespace vzlvs
