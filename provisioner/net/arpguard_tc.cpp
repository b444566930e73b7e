// The tc backend of the ARP guard, for kernels without nftables netdev egress (RHEL6 2.6.32):
// u32 filters with a gact drop action at the device's egress and ingress.
//
// ARP payload offsets (Ethernet/IPv4, from the network header, which is where u32 starts for
// `protocol arp`): htype 0, ptype 2, hlen 4, plen 5, op 6, sha 8, spa 14, tha 18, tpa 24.
// iproute2 accepts `match u32` only at offsets that are multiples of 4, so the sender IP at 14
// is matched as two u16 halves (tc prints them back as words at 12 and 16).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

#include "net/arpguard_detail.hpp"
#include "vzlvs/base/process.hpp"

namespace vzlvs {
namespace arpguard_detail {

namespace {

std::string hex(unsigned v, int width) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%0*x", width, v);
    return buf;
}

unsigned vip_word(const std::string& vip) {
    unsigned a, b, c, d;
    std::sscanf(check_vip(vip).c_str(), "%u.%u.%u.%u", &a, &b, &c, &d);
    return (a << 24) | (b << 16) | (c << 8) | d;
}

std::string word_to_ip(unsigned w) {
    return std::to_string(w >> 24) + "." + std::to_string((w >> 16) & 0xff) + "." +
           std::to_string((w >> 8) & 0xff) + "." + std::to_string(w & 0xff);
}

const unsigned kEthIpv4 = 0x00010800;  // htype 1 (Ethernet), ptype 0x0800 (IPv4)

std::vector<std::string> filter_head(const std::string& dev, const std::string& parent) {
    check_uplink_name(dev);
    return {"tc",
            "filter",
            "add",
            "dev",
            dev,
            "parent",
            parent,
            "protocol",
            "arp",
            "pref",
            std::to_string(kTcPref),
            "u32",
            "match",
            "u32",
            hex(kEthIpv4, 8),
            "0xffffffff",
            "at",
            "0"};
}

void decode(TcFilter& f) {
    std::map<unsigned, std::pair<unsigned, unsigned>> m(f.matches.begin(), f.matches.end());
    auto has = [&](unsigned off, unsigned val, unsigned mask) {
        auto it = m.find(off);
        return it != m.end() && it->second.first == val && it->second.second == mask;
    };
    if (f.matches.size() == 3 && has(0, kEthIpv4, 0xffffffff) && m.count(12) && m.count(16) &&
        m[12].second == 0x0000ffff && m[16].second == 0xffff0000) {
        f.egress = true;
        f.vip = word_to_ip(((m[12].first & 0xffff) << 16) | (m[16].first >> 16));
    } else if (f.matches.size() == 3 && has(0, kEthIpv4, 0xffffffff) &&
               has(4, 0x00000001, 0x0000ffff) && m.count(24) && m[24].second == 0xffffffff) {
        f.ingress = true;
        f.vip = word_to_ip(m[24].first);
    }
}

}  // namespace

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

std::vector<TcQdisc> parse_tc_qdiscs(const std::string& text) {
    std::vector<TcQdisc> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        std::istringstream w(line);
        std::string q, kind, handle, devkw, dev, where;
        if (!(w >> q >> kind >> handle >> devkw >> dev >> where) || q != "qdisc" || devkw != "dev")
            continue;
        TcQdisc d{kind, handle, dev, where};
        if (where == "parent") {
            w >> d.parent;
            if (d.parent == "ffff:fff1") d.parent = "ingress";
        }
        out.push_back(d);
    }
    return out;
}

namespace {

// "1:3" → 3; nullopt when the class is not a minor of the given major handle ("1:").
std::optional<unsigned> child_of(const std::string& parent, const std::string& major) {
    auto colon = major.find(':');
    if (colon == std::string::npos || parent.rfind(major.substr(0, colon + 1), 0) != 0)
        return std::nullopt;
    unsigned n = 0;
    if (std::sscanf(parent.c_str() + colon + 1, "%x", &n) != 1 || n == 0) return std::nullopt;
    return n;
}

std::string mq_child_handle(unsigned queue) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%x:", kMqChildMajor + queue);
    return buf;
}

const TcQdisc* root_of(const std::string& dev, const std::vector<TcQdisc>& qdiscs) {
    for (const auto& q : qdiscs)
        if (q.dev == dev && q.parent == "root") return &q;
    return nullptr;
}

}  // namespace

std::vector<std::string> tc_egress_parents(TcFlavor f, const std::string& dev,
                                           const std::vector<TcQdisc>& qdiscs) {
    std::vector<std::string> out;
    const TcQdisc* root = root_of(dev, qdiscs);
    for (const auto& q : qdiscs) {
        if (q.dev != dev) continue;
        if (f == TcFlavor::clsact) {
            if (q.kind == "clsact") out.push_back(tc_egress_parent(f));
            continue;
        }
        if (q.kind != "prio") continue;
        if (q.parent == "root" && q.handle == "1:") out.push_back(q.handle);
        if (root && root->kind == "mq" && q.parent != "root") {
            auto n = child_of(q.parent, root->handle);
            if (n && q.handle == mq_child_handle(*n)) out.push_back(q.handle);
        }
    }
    return out;
}

std::vector<std::vector<std::string>> plan_tc_prio_egress(const std::string& dev,
                                                          const std::vector<TcQdisc>& qdiscs,
                                                          std::vector<std::string>* parents) {
    check_uplink_name(dev);
    std::vector<std::vector<std::string>> cmds;
    const TcQdisc* root = root_of(dev, qdiscs);
    if (!root || root->kind != "mq") {
        cmds.push_back(render_tc_qdisc(TcFlavor::prio, dev, true));
        parents->push_back("1:");
        return cmds;
    }
    for (const auto& q : qdiscs) {
        if (q.dev != dev || q.parent == "root" || q.parent == "ingress") continue;
        auto n = child_of(q.parent, root->handle);
        if (!n) continue;
        const std::string h = mq_child_handle(*n);
        if (q.kind == "prio" && q.handle == h) {
            parents->push_back(h);
            continue;
        }
        if (q.kind != "pfifo_fast" || q.handle != "0:")  // only pfifo_fast is what prio is
            throw Error("ARP guard: " + dev + "'s queue " + q.parent + " has " +
                        (q.handle == "0:" ? "the kernel's default " : "a chosen ") + q.kind +
                        " qdisc; without clsact vzlvs could filter there only by replacing it "
                        "with prio, which queues like pfifo_fast and nothing else, so nothing was "
                        "changed (docs/arp-guard.md)");
        if (*n + kMqChildMajor > 0xffff)
            throw Error("ARP guard: " + dev + " has more queues than vzlvs can give a handle");
        cmds.push_back({"tc", "qdisc", "add", "dev", dev, "parent", q.parent, "handle", h, "prio"});
        parents->push_back(h);
    }
    if (parents->empty())
        throw Error("ARP guard: " + dev + "'s mq root lists no queue to filter on");
    return cmds;
}

std::string tc_egress_parent(TcFlavor f) { return f == TcFlavor::clsact ? "ffff:fff3" : "1:"; }
std::string tc_ingress_parent(TcFlavor f) { return f == TcFlavor::clsact ? "ffff:fff2" : "ffff:"; }

std::vector<std::string> render_tc_qdisc(TcFlavor f, const std::string& dev, bool egress) {
    check_uplink_name(dev);
    if (f == TcFlavor::clsact) return {"tc", "qdisc", "add", "dev", dev, "clsact"};
    // Old kernels have no clsact: egress filters need a classful root (prio replaces the
    // default pfifo_fast; a custom root qdisc makes this fail, and the error says so).
    if (egress) return {"tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "prio"};
    return {"tc", "qdisc", "add", "dev", dev, "ingress"};
}

std::vector<std::string> render_tc_egress_filter(TcFlavor f, const std::string& dev,
                                                 const std::string& vip,
                                                 const std::string& parent) {
    unsigned w = vip_word(vip);
    auto a = filter_head(dev, parent.empty() ? tc_egress_parent(f) : parent);
    for (const auto& s :
         {std::string("match"), std::string("u16"), hex(w >> 16, 4), std::string("0xffff"),
          std::string("at"), std::string("14"), std::string("match"), std::string("u16"),
          hex(w & 0xffff, 4), std::string("0xffff"), std::string("at"), std::string("16"),
          std::string("action"), std::string("drop")}) {
        a.push_back(s);
    }
    return a;
}

std::vector<std::string> render_tc_ingress_filter(TcFlavor f, const std::string& dev,
                                                  const std::string& vip) {
    unsigned w = vip_word(vip);
    auto a = filter_head(dev, tc_ingress_parent(f));
    for (const auto& s :
         {std::string("match"), std::string("u16"), std::string("0x0001"), std::string("0xffff"),
          std::string("at"), std::string("6"), std::string("match"), std::string("u32"), hex(w, 8),
          std::string("0xffffffff"), std::string("at"), std::string("24"), std::string("action"),
          std::string("drop")}) {
        a.push_back(s);
    }
    return a;
}

std::vector<std::string> render_tc_delete(const std::string& dev, const TcFilter& filter) {
    check_uplink_name(dev);
    return {"tc",
            "filter",
            "del",
            "dev",
            dev,
            "parent",
            filter.parent,
            "protocol",
            "arp",
            "pref",
            std::to_string(filter.pref),
            "handle",
            filter.handle,
            "u32"};
}

std::vector<TcFilter> parse_tc_filters(const std::string& text, const std::string& parent) {
    std::vector<TcFilter> out;
    std::istringstream in(text);
    TcFilter* cur = nullptr;
    for (std::string line; std::getline(in, line);) {
        std::istringstream w(line);
        std::string tok;
        w >> tok;
        if (tok == "filter") {
            cur = nullptr;
            unsigned pref = 0;
            std::string fh;
            for (std::string t; w >> t;) {
                if (t == "pref") w >> pref;
                if (t == "fh") w >> fh;
            }
            // "fh 800:" is the hash table itself; a key node has "800::800".
            if (fh.find("::") != std::string::npos) {
                out.push_back(TcFilter{parent, pref, fh, {}, false, "", false, false});
                cur = &out.back();
            }
        } else if (tok == "match" && cur) {
            std::string vm, at;
            unsigned off = 0, val = 0, mask = 0;
            w >> vm >> at >> off;
            if (at == "at" && std::sscanf(vm.c_str(), "%x/%x", &val, &mask) == 2) {
                cur->matches.push_back({off, {val, mask}});
            }
        } else if (cur && line.find("gact action drop") != std::string::npos) {
            cur->drop = true;
        }
    }
    for (auto& f : out) decode(f);
    return out;
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
