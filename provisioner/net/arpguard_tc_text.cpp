// The tc backend of the ARP guard, its pure half: the argv it runs and the text tc prints,
// parsed (the backend itself is in arpguard_tc.cpp).
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
#include "vzlvs/base/addr.hpp"
#include "vzlvs/base/process.hpp"

namespace vzlvs {
namespace arpguard_detail {

namespace {

std::string hex(unsigned v, int width) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%0*x", width, v);
    return buf;
}

unsigned vip_word(const std::string& vip) { return *parse_ipv4(check_vip(vip)); }

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
        f.vip = format_ipv4(((m[12].first & 0xffff) << 16) | (m[16].first >> 16));
    } else if (f.matches.size() == 3 && has(0, kEthIpv4, 0xffffffff) &&
               has(4, 0x00000001, 0x0000ffff) && m.count(24) && m[24].second == 0xffffffff) {
        f.ingress = true;
        f.vip = format_ipv4(m[24].first);
    }
}

}  // namespace

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

// The major of "1:" or "1:3" (hex; "" before the colon is 0); nullopt when malformed.
std::optional<unsigned> major_of(const std::string& handle) {
    const auto colon = handle.find(':');
    if (colon == std::string::npos) return std::nullopt;
    if (colon == 0) return 0u;
    unsigned n = 0;
    if (std::sscanf(handle.substr(0, colon).c_str(), "%x", &n) != 1) return std::nullopt;
    return n;
}

// "1:3" → 3; nullopt when the class is not a minor of the given major handle ("1:"). tc
// prints a class of major 0 without it: the queues of a default mq root (handle 0:) are
// ":1", ":2"... (iproute2 print_tc_classid, every version).
std::optional<unsigned> child_of(const std::string& parent, const std::string& major) {
    const auto want = major_of(major), have = major_of(parent);
    if (!want || !have || *want != *have) return std::nullopt;
    unsigned n = 0;
    if (std::sscanf(parent.c_str() + parent.find(':') + 1, "%x", &n) != 1 || n == 0)
        return std::nullopt;
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
    // The kernel's own mq root has handle 0:, and a class of a qdisc with handle 0 cannot be
    // named ("Failed to find specified qdisc"): it becomes an mq with handle 1:, which gives
    // every queue the default qdisc again (what they have: checked below), then the prios.
    const bool unnamed = major_of(root->handle) == 0u;
    if (unnamed)
        cmds.push_back({"tc", "qdisc", "replace", "dev", dev, "root", "handle", "1:", "mq"});
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
        char parent[16];
        std::snprintf(parent, sizeof parent, "1:%x", *n);
        cmds.push_back({"tc", "qdisc", "add", "dev", dev, "parent", unnamed ? parent : q.parent,
                        "handle", h, "prio"});
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

}  // namespace arpguard_detail
}  // namespace vzlvs
