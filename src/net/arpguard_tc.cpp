// The tc backend of the ARP guard, for kernels without nftables netdev egress (RHEL6 2.6.32):
// u32 filters with a gact drop action at the device's egress and ingress.
//
// ARP payload offsets (Ethernet/IPv4, from the network header, which is where u32 starts for
// `protocol arp`): htype 0, ptype 2, hlen 4, plen 5, op 6, sha 8, spa 14, tha 18, tpa 24.
// iproute2 accepts `match u32` only at offsets that are multiples of 4, so the sender IP at 14
// is matched as two u16 halves (tc prints them back as words at 12 and 16).
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "base/process.hpp"
#include "net/arpguard_detail.hpp"

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

std::vector<std::string> filter_head(TcFlavor f, const std::string& dev, bool egress) {
    check_uplink_name(dev);
    return {"tc",
            "filter",
            "add",
            "dev",
            dev,
            "parent",
            egress ? tc_egress_parent(f) : tc_ingress_parent(f),
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

TcFlavor tc_flavor_for_kernel(const std::string& release) {
    unsigned major = 0, minor = 0;
    if (std::sscanf(release.c_str(), "%u.%u", &major, &minor) != 2) return TcFlavor::prio;
    return (major > 4 || (major == 4 && minor >= 5)) ? TcFlavor::clsact : TcFlavor::prio;
}

TcFlavor detect_tc_flavor() {
    utsname u{};
    uname(&u);
    return tc_flavor_for_kernel(u.release);
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
                                                 const std::string& vip) {
    unsigned w = vip_word(vip);
    auto a = filter_head(f, dev, true);
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
    auto a = filter_head(f, dev, false);
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
        for (const auto& [dev, filters] : ours()) {
            std::set<std::string> eg, in;
            for (const auto& f : filters) {
                if (!f.drop || f.vip.empty()) {
                    st.damaged.insert(dev);
                    continue;
                }
                (f.egress ? eg : in).insert(f.vip);
                st.vips.insert(f.vip);
            }
            for (const auto& v : eg) {
                if (in.count(v)) st.devices[dev].insert(v);
            }
        }
        return st;
    }

    GuardChanges ensure(const std::vector<std::string>& uplinks,
                        const std::vector<std::string>& vips) override {
        std::vector<std::string> want;
        for (const auto& v : vips) want.push_back(check_vip(v));
        for (const auto& d : uplinks) check_uplink_name(d);
        auto have = ours();
        std::vector<std::string> fresh;  // uplinks without our filters yet: they must exist
        for (const auto& d : uplinks)
            if (!have.count(d)) fresh.push_back(d);
        require_devices(runner_, fresh);
        auto qdiscs = qdisc_devices();
        GuardChanges ch;
        std::vector<std::vector<std::string>> cmds;
        std::set<std::string> seen;
        for (const auto& dev : uplinks) {
            if (!seen.insert(dev).second) continue;
            const auto& filters = have[dev];
            bool touched = false;
            if (!qdiscs.count(dev)) {
                cmds.push_back(render_tc_qdisc(flavor_, dev, true));
                if (flavor_ == TcFlavor::prio) cmds.push_back(render_tc_qdisc(flavor_, dev, false));
            }
            for (const auto& vip : want) {
                auto present = [&](bool egress) {
                    for (const auto& f : filters) {
                        if (f.drop && f.vip == vip && f.egress == egress) return true;
                    }
                    return false;
                };
                if (!present(true)) cmds.push_back(render_tc_egress_filter(flavor_, dev, vip));
                if (!present(false)) cmds.push_back(render_tc_ingress_filter(flavor_, dev, vip));
                if (!present(true) || !present(false)) {
                    touched = true;
                    ch.added_vips.push_back(vip);
                }
            }
            if (touched && filters.empty()) ch.added_devices.push_back(dev);
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
        for (const auto& [dev, filters] : ours()) {
            for (const auto& f : filters) {
                if (f.vip != c) continue;
                must(render_tc_delete(dev, f), "delete an ARP drop filter");
                any = true;
            }
        }
        return any;
    }

    bool remove_all() override {
        bool any = false;
        // Only our pref goes; the qdisc may carry other filters, so it stays.
        for (const auto& [dev, filters] : ours()) {
            std::set<std::string> parents;
            for (const auto& f : filters) parents.insert(f.parent);
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

    // Devices with the qdisc our filters hang on.
    std::set<std::string> qdisc_devices() {
        auto r = run({"tc", "qdisc", "show"});
        if (!r.ok()) throw Error("cannot list qdiscs (tc qdisc show): " + r.err);
        std::set<std::string> devs;
        std::istringstream in(r.out);
        for (std::string line; std::getline(in, line);) {
            // "qdisc clsact ffff: dev eth0 parent ffff:fff1"
            std::istringstream w(line);
            std::string q, kind, handle, devkw, dev;
            w >> q >> kind >> handle >> devkw >> dev;
            bool want =
                flavor_ == TcFlavor::clsact ? kind == "clsact" : (kind == "prio" && handle == "1:");
            if (devkw == "dev" && want) devs.insert(dev);
        }
        return devs;
    }

    std::map<std::string, std::vector<TcFilter>> ours() {
        std::map<std::string, std::vector<TcFilter>> out;
        std::set<std::string> seen;
        for (const auto& dev : qdisc_devices()) {
            for (const auto& parent : {tc_egress_parent(flavor_), tc_ingress_parent(flavor_)}) {
                auto r = run({"tc", "filter", "show", "dev", dev, "parent", parent});
                if (!r.ok()) continue;  // prio flavour: the ingress qdisc may be absent
                for (auto& f : parse_tc_filters(r.out, parent)) {
                    if (f.pref != kTcPref) continue;
                    // A clsact dump lists the filters of both directions whatever parent is
                    // asked for, so the direction comes from what the filter matches.
                    if (f.egress) f.parent = tc_egress_parent(flavor_);
                    if (f.ingress) f.parent = tc_ingress_parent(flavor_);
                    if (seen.insert(dev + " " + f.parent + " " + f.handle).second) {
                        out[dev].push_back(f);
                    }
                }
            }
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
