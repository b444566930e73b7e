#include "ct/ct_fields.hpp"

#include "vzlvs/base/strings.hpp"
#include "vzlvs/net/desired_sysctls.hpp"

namespace vzlvs {

namespace {

using Values = std::vector<std::string>;

unsigned number(const std::string& v, const char* what) {
    return static_cast<unsigned>(parse_unsigned(v, std::string("in-CT ") + what));
}

std::optional<unsigned> number_or_none(const std::string& v, const char* none, const char* what) {
    if (v == none) return std::nullopt;
    return number(v, what);
}

// The kernel keeps this one for the initial namespace only: whether CTs get a tunl0 at all.
constexpr const char* kFbTunnels = "net.core.fb_tunnels_only_for_init_net";

// A tunl0 row prints nothing when there is no tunl0 (the tunl0 row says so).
Values if_tunl0(CtHostView& v, const std::function<Values(const LinkInfo&)>& f) {
    return v.tunl0() ? f(*v.tunl0()) : Values{};
}

}  // namespace

std::string sysctl_text(const CtNetState& s, const std::string& key) {
    auto it = s.sysctls.find(key);
    return it == s.sysctls.end() ? "?" : it->second.value_or("-");
}

const std::vector<CtField>& ct_fields() {
    static const std::vector<CtField> rows = {
        {"tunl0",
         "if ip link show dev \"$DEV\" >/dev/null 2>&1; then TUNL0=present; else TUNL0=absent; fi\n"
         "echo \"tunl0=$TUNL0\"",
         [](CtHostView& v) { return Values{v.tunl0() ? "present" : "absent"}; },
         [](CtNetState& s, const std::string& v) { s.tunl0 = v == "present"; },
         [](const CtNetState& s, const CtWanted&, Values& p) {
             if (!s.tunl0) p.push_back("no tunl0 in the container (ipip feature not effective)");
         }},
        {"kind", "[ \"$TUNL0\" = present ] && echo \"kind=$(link_kind)\"",
         [](CtHostView& v) {
             return if_tunl0(v, [](const LinkInfo& l) {
                 // As the script's fallback: an iproute2 that names no kind, ARPHRD_TUNNEL.
                 return Values{!l.kind.empty() ? l.kind : l.arptype == 768 ? "ipip" : "unknown"};
             });
         },
         [](CtNetState& s, const std::string& v) { s.kind = v; },
         [](const CtNetState& s, const CtWanted& w, Values& p) {
             if (s.tunl0 && w.check_kind && s.kind != "ipip")
                 p.push_back("tunl0 is a '" + s.kind +
                             "' device, not ipip: ipip not supported by this kernel, the "
                             "container cannot decapsulate the director's packets");
         }},
        {"up",
         "if [ \"$TUNL0\" = present ]; then\n"
         "    if ip -o link show dev \"$DEV\" | grep -q '[<,]UP[,>]'; then echo up=1; "
         "else echo up=0; fi\n"
         "fi",
         [](CtHostView& v) {
             return if_tunl0(v, [](const LinkInfo& l) { return Values{l.up ? "1" : "0"}; });
         },
         [](CtNetState& s, const std::string& v) { s.up = v == "1"; },
         [](const CtNetState& s, const CtWanted&, Values& p) {
             if (s.tunl0 && !s.up) p.push_back("tunl0 is down");
         }},
        {"mtu",
         "[ \"$TUNL0\" = present ] && echo \"mtu=$(cat \"/sys/class/net/$DEV/mtu\" 2>/dev/null "
         "|| echo -)\"",
         [](CtHostView& v) {
             return if_tunl0(
                 v, [](const LinkInfo& l) { return Values{l.mtu ? std::to_string(l.mtu) : "-"}; });
         },
         [](CtNetState& s, const std::string& v) { s.mtu = number_or_none(v, "-", "tunl0 mtu"); }},
        {"addr",
         "[ \"$TUNL0\" = present ] && ip -o -4 addr show dev \"$DEV\" | awk '{print \"addr=\" $4}'",
         [](CtHostView& v) { return v.tunl0() ? v.addresses("tunl0") : Values{}; },
         [](CtNetState& s, const std::string& v) { s.addrs.push_back(v); },
         [](const CtNetState& s, const CtWanted& w, Values& p) {
             if (!s.tunl0) return;
             for (const auto& vip : w.vips)
                 if (!s.has_addr(vip)) p.push_back(vip + "/32 not on tunl0");
         }},
        {"sysctl",
         "echo \"$SYSCTLS\" | while read -r key value why; do\n"
         "    echo \"sysctl=$key $(cat \"$(sysctl_path \"$key\")\" 2>/dev/null || echo -)\"\n"
         "done",
         [](CtHostView& v) {
             Values out;
             for (const auto& row : ct_sysctls()) out.push_back(row.key + " " + v.sysctl(row.key));
             return out;
         },
         [](CtNetState& s, const std::string& v) {
             const auto sp = v.find(' ');
             if (sp == std::string::npos) throw Error("in-CT sysctl line without a value");
             const std::string value = v.substr(sp + 1);
             s.sysctls[v.substr(0, sp)] =
                 value == "-" ? std::nullopt : std::optional<std::string>(value);
         },
         [](const CtNetState& s, const CtWanted&, Values& p) {
             for (const auto& row : ct_sysctls()) {
                 const std::string have = sysctl_text(s, row.key);
                 if (have != row.value)
                     p.push_back(row.key + "=" + have + ", want " + row.value + " (" + row.why +
                                 ")");
             }
         }},
        {"fb_tunnels",
         "echo \"fb_tunnels=$(cat /proc/sys/net/core/fb_tunnels_only_for_init_net 2>/dev/null "
         "|| echo -)\"",
         [](CtHostView& v) { return Values{v.node_sysctl(kFbTunnels)}; },
         [](CtNetState& s, const std::string& v) {
             s.fb_tunnels = number_or_none(v, "-", "fb_tunnels_only_for_init_net");
         }},
        // What venet gives the CT (vzctl's in-CT add_ip puts every CT IP on venet0 or its
        // aliases).
        {"venet", "ip -o -4 addr show dev venet0 2>/dev/null | awk '{print \"venet=\" $4}'",
         [](CtHostView& v) { return v.addresses("venet0"); },
         [](CtNetState& s, const std::string& v) { s.venet.push_back(v); }},
        // The MSS the CT advertises on its default route, if set (IPIP costs 20 bytes of MTU).
        {"advmss",
         "echo \"advmss=$(ip -4 route show default 2>/dev/null | "
         "sed -n 's/.* advmss \\([0-9]*\\).*/\\1/p' | head -n 1)\"",
         [](CtHostView& v) {
             const auto mss = v.default_route_advmss();
             return Values{mss ? std::to_string(*mss) : ""};
         },
         [](CtNetState& s, const std::string& v) { s.advmss = number_or_none(v, "", "advmss"); }},
        {"persist",
         "if [ ! -f \"$PERSIST\" ]; then\n"
         "    echo \"persist=missing\"\n"
         "elif [ \"$(cat \"$PERSIST\")\" = \"$(persist_text)\" ]; then\n"
         "    echo \"persist=ok\"\n"
         "else\n"
         "    echo \"persist=differs\"\n"
         "fi",
         [](CtHostView& v) {
             const ReadBeneath& r = v.persisted();
             return Values{to_string(persist_state(r.result == ReadBeneath::Result::read
                                                       ? std::optional<std::string>(r.text)
                                                       : std::nullopt))};
         },
         [](CtNetState& s, const std::string& v) {
             if (v == "ok")
                 s.persist = CtNetState::Persist::ok;
             else if (v == "missing")
                 s.persist = CtNetState::Persist::missing;
             else if (v == "differs")
                 s.persist = CtNetState::Persist::differs;
             else
                 throw Error("in-CT persist: \"" + printable(v, 40) +
                             "\" is not ok|missing|differs");
         },
         [](const CtNetState& s, const CtWanted&, Values& p) {
             if (s.persist != CtNetState::Persist::ok)
                 p.push_back(std::string("in-container sysctl file ") + to_string(s.persist));
         }},
    };
    return rows;
}

const std::vector<std::string>& ct_node_sysctls() {
    static const std::vector<std::string> keys = {kFbTunnels};
    return keys;
}

std::string ct_observe_script() {
    std::string body;
    for (const auto& row : ct_fields()) {
        std::size_t at = 0;
        while (at < row.shell.size()) {
            const std::size_t end = std::min(row.shell.find('\n', at), row.shell.size());
            body += "    " + row.shell.substr(at, end - at) + "\n";
            at = end + 1;
        }
    }
    body.pop_back();  // the template's own line ends it
    return body;
}

CtNetState read_ct_fields(CtHostView& view) {
    CtNetState st;
    for (const auto& row : ct_fields())
        for (const auto& value : row.host(view)) row.parse(st, value);
    return st;
}

}  // namespace vzlvs
