// The nftables backend of the ARP guard: `table netdev vzlvs`, driven through the nft binary
// (argv only, scripts on stdin), read back with `nft -j`.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "net/arpguard_detail.hpp"
#include "vzlvs/base/process.hpp"

namespace vzlvs {
namespace arpguard_detail {

namespace {

using json = nlohmann::json;

const char* const kEgressPrefix = "egress_";
const char* const kIngressPrefix = "ingress_";

std::string egress_chain(const std::string& dev) { return kEgressPrefix + dev; }
std::string ingress_chain(const std::string& dev) { return kIngressPrefix + dev; }

// The rule bodies, once as nft syntax and once as the JSON expressions `nft -j` prints for them
// (counters zeroed before comparing), so observe() recognises exactly what ensure() writes.
const char* const kEgressRule = "arp saddr ip @vips counter drop";
const char* const kIngressRule = "arp operation request arp daddr ip @vips counter drop";

json match(const std::string& field, const json& right) {
    return {{"match",
             {{"op", "=="},
              {"left", {{"payload", {{"protocol", "arp"}, {"field", field}}}}},
              {"right", right}}}};
}
json counter() { return {{"counter", {{"packets", 0}, {"bytes", 0}}}}; }
json drop() { return {{"drop", nullptr}}; }

const json& egress_expr() {
    static const json e = json::array({match("saddr ip", "@vips"), counter(), drop()});
    return e;
}
const json& ingress_expr() {
    static const json e =
        json::array({match("operation", "request"), match("daddr ip", "@vips"), counter(), drop()});
    return e;
}

json zero_counters(json expr) {
    for (auto& e : expr) {
        if (e.is_object() && e.contains("counter")) e = counter();
    }
    return expr;
}

struct ChainSeen {
    bool hook_ok = false;
    std::vector<json> rules;
};

std::string chain_decl(const std::string& name, const std::string& hook, const std::string& dev) {
    return "add chain netdev " + std::string(kTable) + " " + name + " { type filter hook " + hook +
           " device \"" + dev + "\" priority " + std::to_string(kPriority) + "; policy accept; }\n";
}

std::vector<std::string> unique_valid_uplinks(const std::vector<std::string>& uplinks) {
    std::vector<std::string> out;
    for (const auto& d : uplinks) {
        check_uplink_name(d);
        if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(d);
    }
    return out;
}

}  // namespace

GuardState parse_nft_table(const std::string& text) {
    GuardState st;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) return st;
    json doc;
    try {
        doc = json::parse(text);
    } catch (const json::exception& e) {
        throw Error(std::string("cannot parse `nft -j list table netdev vzlvs` output: ") +
                    e.what());
    }
    std::map<std::string, ChainSeen> chains;
    for (const auto& item : doc.value("nftables", json::array())) {
        if (item.contains("set")) {
            const auto& s = item["set"];
            if (s.value("name", "") != kSet) continue;
            for (const auto& el : s.value("elem", json::array())) {
                if (el.is_string()) st.vips.insert(el.get<std::string>());
            }
        } else if (item.contains("chain")) {
            const auto& c = item["chain"];
            std::string name = c.value("name", "");
            std::string hook = c.value("hook", "");
            bool ok = c.value("type", "") == "filter" && c.value("prio", 0) == kPriority &&
                      c.value("policy", "accept") == "accept" &&
                      ((name.rfind(kEgressPrefix, 0) == 0 && hook == "egress") ||
                       (name.rfind(kIngressPrefix, 0) == 0 && hook == "ingress"));
            // nft 1.0.6 does not print the device of a netdev chain; newer ones do ("dev"),
            // and then it must match the device the name was made from.
            if (ok && c.contains("dev")) {
                std::string dev = name.substr(name.find('_') + 1);
                ok = c["dev"].is_string() ? c["dev"] == dev : c["dev"] == json::array({dev});
            }
            chains[name].hook_ok = ok;
        } else if (item.contains("rule")) {
            const auto& r = item["rule"];
            chains[r.value("chain", "")].rules.push_back(
                zero_counters(r.value("expr", json::array())));
        }
    }
    std::set<std::string> devs;
    for (const auto& [name, seen] : chains) {
        for (const char* p : {kEgressPrefix, kIngressPrefix}) {
            if (name.rfind(p, 0) == 0) devs.insert(name.substr(std::string(p).size()));
        }
    }
    for (const auto& dev : devs) {
        auto complete = [&](const std::string& name, const json& expr) {
            auto it = chains.find(name);
            return it != chains.end() && it->second.hook_ok && it->second.rules.size() == 1 &&
                   it->second.rules.front() == expr;
        };
        if (complete(egress_chain(dev), egress_expr()) &&
            complete(ingress_chain(dev), ingress_expr())) {
            st.devices[dev] = st.vips;
        } else {
            st.damaged.insert(dev);
        }
    }
    return st;
}

std::string render_nft_ensure(const GuardState& have, const std::vector<std::string>& uplinks,
                              const std::vector<std::string>& vips, GuardChanges* changes) {
    GuardChanges ch;
    std::vector<std::string> want_vips;
    for (const auto& v : vips) {
        std::string c = check_vip(v);
        if (!have.vips.count(c) &&
            std::find(ch.added_vips.begin(), ch.added_vips.end(), c) == ch.added_vips.end()) {
            ch.added_vips.push_back(c);
        }
    }
    std::ostringstream s;
    for (const auto& dev : unique_valid_uplinks(uplinks)) {
        if (have.damaged.count(dev)) {
            ch.repaired_devices.push_back(dev);
        } else if (!have.devices.count(dev)) {
            ch.added_devices.push_back(dev);
        }
    }
    if (changes) *changes = ch;
    if (ch.empty()) return "";

    // `add` of an existing table or set is a no-op, so the script holds whatever state it meets.
    s << "add table netdev " << kTable << "\n";
    s << "add set netdev " << kTable << " " << kSet << " { type ipv4_addr; }\n";
    if (!ch.added_vips.empty()) {
        s << "add element netdev " << kTable << " " << kSet << " { ";
        for (size_t i = 0; i < ch.added_vips.size(); ++i) {
            s << (i ? ", " : "") << ch.added_vips[i];
        }
        s << " }\n";
    }
    for (const auto& dev : ch.repaired_devices) {
        // Add-then-delete gives a clean slate whether or not the chain exists, in the same
        // transaction, so nothing is unguarded in between.
        for (const auto& name : {egress_chain(dev), ingress_chain(dev)}) {
            s << "add chain netdev " << kTable << " " << name << "\n";
            s << "delete chain netdev " << kTable << " " << name << "\n";
        }
    }
    std::vector<std::string> build = ch.repaired_devices;
    build.insert(build.end(), ch.added_devices.begin(), ch.added_devices.end());
    for (const auto& dev : build) {
        s << chain_decl(egress_chain(dev), "egress", dev);
        s << "add rule netdev " << kTable << " " << egress_chain(dev) << " " << kEgressRule << "\n";
        s << chain_decl(ingress_chain(dev), "ingress", dev);
        s << "add rule netdev " << kTable << " " << ingress_chain(dev) << " " << kIngressRule
          << "\n";
    }
    return s.str();
}

std::string render_nft_remove_vip(const std::string& vip) {
    return "delete element netdev " + std::string(kTable) + " " + kSet + " { " + check_vip(vip) +
           " }\n";
}

std::string render_nft_remove_all() { return "delete table netdev " + std::string(kTable) + "\n"; }

std::string render_nft_probe() {
    // "lo" exists in every namespace; the table name cannot clash with the real one, and `-c`
    // makes the kernel validate the batch and then abort it.
    return "add table netdev vzlvs_probe\n"
           "add chain netdev vzlvs_probe egress_lo { type filter hook egress device \"lo\" "
           "priority 0; policy accept; }\n";
}

namespace {

class NftArpGuard : public ArpGuard {
  public:
    explicit NftArpGuard(ProcessRunner& runner) : runner_(runner) {}

    ArpGuardBackend backend() const override { return ArpGuardBackend::nft; }

    GuardState observe() override {
        auto r = run({"nft", "-j", "list", "table", "netdev", kTable}, std::nullopt);
        if (!r.ok()) {
            if (r.err.find("No such file or directory") != std::string::npos) return {};
            throw Error("cannot read the ARP guard (nft -j list table netdev vzlvs): " +
                        explain(r));
        }
        return parse_nft_table(r.out);
    }

    GuardChanges ensure(const std::vector<std::string>& uplinks,
                        const std::vector<std::string>& vips) override {
        GuardState have = observe();
        GuardChanges ch;
        std::string script = render_nft_ensure(have, uplinks, vips, &ch);
        if (script.empty()) return ch;
        std::vector<std::string> fresh = ch.added_devices;
        fresh.insert(fresh.end(), ch.repaired_devices.begin(), ch.repaired_devices.end());
        // A netdev chain is bound to one device. Kernels before 6.16 refuse a chain for a
        // device that does not exist (ENOENT), newer ones keep it dormant until it appears.
        require_devices(runner_, fresh);
        apply(script, "guard " + ch.str());
        return ch;
    }

    bool remove_vip(const std::string& vip) override {
        std::string c = check_vip(vip);
        if (!observe().vips.count(c)) return false;
        apply(render_nft_remove_vip(c), "stop guarding " + c);
        return true;
    }

    bool remove_all() override {
        auto r = run({"nft", "list", "table", "netdev", kTable}, std::nullopt);
        if (!r.ok()) return false;
        apply(render_nft_remove_all(), "remove table netdev vzlvs");
        return true;
    }

  private:
    RunResult run(const std::vector<std::string>& argv, std::optional<std::string> input) {
        RunOptions o;
        o.timeout = std::chrono::seconds(30);
        o.input = std::move(input);
        return runner_.run(argv, o);
    }

    static std::string explain(const RunResult& r) {
        if (r.timed_out) return "timed out";
        if (r.signal) return "killed by signal " + std::to_string(r.signal);
        std::string e = r.err.empty() ? r.out : r.err;
        while (!e.empty() && (e.back() == '\n' || e.back() == ' ')) e.pop_back();
        return "exit " + std::to_string(r.exit_code) + ": " + e;
    }

    void apply(const std::string& script, const std::string& what) {
        auto r = run({"nft", "-f", "-"}, script);
        if (!r.ok()) {
            throw Error("ARP guard: could not " + what +
                        " (nft -f -, one transaction, so nothing "
                        "changed): " +
                        explain(r));
        }
    }

    ProcessRunner& runner_;
};

}  // namespace

std::unique_ptr<ArpGuard> make_nft_guard(ProcessRunner& runner) {
    return std::make_unique<NftArpGuard>(runner);
}

}  // namespace arpguard_detail

bool nft_netdev_egress_available(ProcessRunner& runner) {
    RunOptions o;
    o.timeout = std::chrono::seconds(30);
    o.input = arpguard_detail::render_nft_probe();
    try {
        return runner.run({"nft", "-c", "-f", "-"}, o).ok();
    } catch (const ProgramNotFound&) {
        return false;
    }
}

}  // namespace vzlvs
