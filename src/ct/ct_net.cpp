#include "ct/ct_net.hpp"

#include <algorithm>
#include <sstream>

#include "base/embedded.hpp"

namespace vzlvs {

namespace {

const char* kScript = "templates/ct-net.sh";

const std::string& script() { return embedded_files().at(kScript); }

}  // namespace

bool CtNetState::has_addr(const std::string& vip) const {
    return std::find(addrs.begin(), addrs.end(), vip + "/32") != addrs.end();
}

std::string CtNetState::problems(const std::vector<std::string>& vips, bool check_kind) const {
    std::vector<std::string> p;
    if (!tunl0) {
        p.push_back("no tunl0 in the container (ipip feature not effective)");
    } else {
        if (check_kind && kind != "ipip")
            p.push_back("tunl0 is a '" + kind +
                        "' device, not ipip: ipip not supported by this kernel, the container "
                        "cannot decapsulate the director's packets");
        if (!up) p.push_back("tunl0 is down");
        for (const auto& v : vips)
            if (!has_addr(v)) p.push_back(v + "/32 not on tunl0");
    }
    if (rp_all != "0" || rp_dev != "0")
        p.push_back("rp_filter all=" + rp_all + " tunl0=" + rp_dev +
                    " (the kernel uses the max: must both be 0)");
    if (arp_ignore != "1" || arp_announce != "2")
        p.push_back("ARP hardening arp_ignore=" + arp_ignore + " arp_announce=" + arp_announce +
                    " (want 1 and 2: the CT must never answer or announce the VIP)");
    if (persist != "ok") p.push_back("in-container sysctl file " + persist);
    std::string s;
    for (const auto& x : p) s += (s.empty() ? "" : "; ") + x;
    return s;
}

std::string CtNetState::summary() const {
    if (!tunl0) return "no tunl0";
    std::string s = "tunl0 " + kind + (up ? " up" : " down");
    for (const auto& a : addrs) s += ", " + a;
    s += ", rp_filter all=" + rp_all + " tunl0=" + rp_dev;
    return s;
}

CtNetState parse_ct_net_output(const std::string& out) {
    CtNetState st;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        std::string k = line.substr(0, eq), v = line.substr(eq + 1);
        if (k == "tunl0")
            st.tunl0 = v == "present";
        else if (k == "kind")
            st.kind = v;
        else if (k == "up")
            st.up = v == "1";
        else if (k == "mtu")
            st.mtu = v;
        else if (k == "addr")
            st.addrs.push_back(v);
        else if (k == "rp_all")
            st.rp_all = v;
        else if (k == "rp_dev")
            st.rp_dev = v;
        else if (k == "arp_ignore")
            st.arp_ignore = v;
        else if (k == "arp_announce")
            st.arp_announce = v;
        else if (k == "fb_tunnels")
            st.fb_tunnels = v;
        else if (k == "persist")
            st.persist = v;
        else if (k == "venet")
            st.venet.push_back(v);
        else if (k == "advmss")
            st.advmss = v;
    }
    return st;
}

CtNetState VzctlCtNet::run(const std::string& action, const std::string& ctid,
                           const std::vector<std::string>& vips) {
    // The script travels as an argument, not on stdin: it then reaches the CT whatever a
    // vzctl does with its standard input (Vzctl::exec quotes it for exec2's `bash -c`).
    std::vector<std::string> argv{"sh", "-c", script(), "vzlvs-ct-net", action};
    argv.insert(argv.end(), vips.begin(), vips.end());
    RunResult r = vzctl_.exec(ctid, argv);
    if (r.timed_out) throw Error("in CT " + ctid + ": ct-net " + action + " timed out");
    if (r.exit_code == 3) throw Error("in CT " + ctid + ": " + r.err);
    if (!r.ok()) {
        std::string why = r.err.empty() ? r.out : r.err;
        while (!why.empty() && why.back() == '\n') why.pop_back();
        throw Error("in CT " + ctid + ": ct-net " + action + " failed (exit " +
                    std::to_string(r.exit_code) + "): " + why);
    }
    CtNetState st = parse_ct_net_output(r.out);
    if (r.out.find("tunl0=") == std::string::npos || st.persist.empty())
        throw Error("in CT " + ctid + ": ct-net " + action +
                    " printed no state (is /bin/sh there? vzctl exec2 output: " +
                    (r.out.empty() ? r.err : r.out) + ")");
    return st;
}

CtNetState VzctlCtNet::observe(const std::string& ctid, const std::vector<std::string>& vips) {
    return run("observe", ctid, vips);
}
CtNetState VzctlCtNet::apply(const std::string& ctid, const std::vector<std::string>& vips) {
    return run("apply", ctid, vips);
}
CtNetState VzctlCtNet::remove(const std::string& ctid, const std::vector<std::string>& vips) {
    return run("remove", ctid, vips);
}

std::string ct_start_block(const std::vector<std::string>& vips) {
    std::string args = "apply";
    for (const auto& v : vips) args += " " + v;  // validated IPv4 literals: nothing to quote
    // A failing CTID.start aborts the container's start (vzctl exit 79): the block reports and
    // carries on; the mount hook's worker verifies and repairs once the CT runs.
    return "# LVS-TUN real-server setup, run by vzctl inside the CT at every start.\n"
           "(\nset -- " +
           args + "\n" + script() +
           "\n) >/dev/null || echo \"vzlvs: in-container setup failed; the vzlvs mount hook "
           "will retry once the container runs\" >&2\n";
}

}  // namespace vzlvs
