#include "vzlvs/ct/ct_net.hpp"

#include <algorithm>
#include <map>
#include <sstream>

#include "ct/ct_fields.hpp"
#include "vzlvs/base/embedded.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/net/desired_sysctls.hpp"

namespace vzlvs {

namespace {

// The rows' parsers by key (ct/ct_fields.cpp).
const std::map<std::string, const CtField*>& parsers() {
    static const std::map<std::string, const CtField*> by_key = [] {
        std::map<std::string, const CtField*> m;
        for (const auto& row : ct_fields()) m[row.key] = &row;
        return m;
    }();
    return by_key;
}

}  // namespace

const char* to_string(CtNetState::Persist p) {
    switch (p) {
        case CtNetState::Persist::ok:
            return "ok";
        case CtNetState::Persist::missing:
            return "missing";
        case CtNetState::Persist::differs:
            return "differs";
    }
    return "?";
}

bool CtNetState::has_addr(const std::string& vip) const {
    return std::find(addrs.begin(), addrs.end(), vip + "/32") != addrs.end();
}

std::string CtNetState::problems(const std::vector<std::string>& vips, bool check_kind) const {
    std::vector<std::string> p;
    const CtWanted wanted{vips, check_kind};
    for (const auto& row : ct_fields())
        if (row.problems) row.problems(*this, wanted, p);
    return join(p, "; ");
}

std::string CtNetState::summary() const {
    if (!tunl0) return "no tunl0";
    std::string s = "tunl0 " + kind + (up ? " up" : " down");
    for (const auto& a : addrs) s += ", " + a;
    s += ", rp_filter all=" + sysctl_text(*this, "net.ipv4.conf.all.rp_filter") +
         " tunl0=" + sysctl_text(*this, "net.ipv4.conf.tunl0.rp_filter");
    return s;
}

CtNetState parse_ct_net_output(const std::string& out) {
    if (out.size() > kCtNetOutputMax)
        throw Error("in-CT state: " + std::to_string(out.size()) + " bytes of output, more than " +
                    std::to_string(kCtNetOutputMax) + ": refused");
    CtNetState st;
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        auto f = parsers().find(line.substr(0, eq));
        if (f != parsers().end()) f->second->parse(st, line.substr(eq + 1));
    }
    return st;
}

std::string ct_persist_text() {
    std::string t = "# Written by vzlvs: this container is an LVS-TUN real server.\n";
    for (const auto& r : ct_sysctls()) t += "# " + r.why + "\n" + r.key + " = " + r.value + "\n";
    return t;
}

CtNetState::Persist persist_state(const std::optional<std::string>& file_text) {
    if (!file_text) return CtNetState::Persist::missing;
    auto bare = [](std::string s) {
        while (!s.empty() && s.back() == '\n') s.pop_back();
        return s;
    };
    return bare(*file_text) == bare(ct_persist_text()) ? CtNetState::Persist::ok
                                                       : CtNetState::Persist::differs;
}

std::string ct_net_script() {
    std::string rows;
    for (const auto& r : ct_sysctls()) {
        // The rows travel inside '…' in the script, one per line, split on blanks.
        const std::string line = r.key + " " + r.value + " " + r.why;
        if (line.find_first_of("'\n") != std::string::npos ||
            r.key.find(' ') != std::string::npos || r.value.find(' ') != std::string::npos)
            throw Error("desired sysctl row cannot be rendered into ct-net.sh: " + line);
        rows += (rows.empty() ? "" : "\n") + line;
    }
    std::string persist = ct_persist_text();
    persist.pop_back();  // printf '%s\n' in the script gives it back
    if (persist.find('\'') != std::string::npos)
        throw Error("the in-CT sysctl file cannot be rendered into ct-net.sh: it has a quote");
    return render_template("templates/ct-net.sh", {{"SYSCTLS", rows},
                                                   {"PERSIST_TEXT", persist},
                                                   {"PERSIST_FILE", kCtPersistFile},
                                                   {"OBSERVE", ct_observe_script()}});
}

CtNetState ExecCtNet::run(const std::string& action, const std::string& ctid,
                          const std::vector<std::string>& vips) {
    // The script travels as an argument, not on stdin: it then reaches the CT whatever a
    // vzctl does with its standard input (the driver quotes it for exec2's `bash -c`).
    std::vector<std::string> argv{"sh", "-c", ct_net_script(), "vzlvs-ct-net", action};
    argv.insert(argv.end(), vips.begin(), vips.end());
    RunResult r = containers_.exec(ctid, argv);
    if (r.timed_out)
        throw TimedOut("in CT " + ctid + ": ct-net " + action + " timed out",
                       "find what keeps CT " + ctid +
                           " from answering (a hung sh or ip in it, a FIFO where a file belongs), "
                           "then run vzlvs check " +
                           ctid + " again");
    if (r.truncated)
        throw Error("in CT " + ctid + ": ct-net " + action + " printed more than " +
                    std::to_string(kCtNetOutputMax) +
                    " bytes and was stopped: refused (the script prints under 4 KiB; is "
                    "something in the container replacing sh or ip?)");
    if (r.exit_code == 3) throw Error("in CT " + ctid + ": " + printable(r.err));
    if (!r.ok()) {
        std::string why = r.err.empty() ? r.out : r.err;
        while (!why.empty() && why.back() == '\n') why.pop_back();
        throw Error("in CT " + ctid + ": ct-net " + action + " failed (exit " +
                    std::to_string(r.exit_code) + "): " + printable(why));
    }
    CtNetState st;
    try {
        st = parse_ct_net_output(r.out);
    } catch (const Error& e) {
        throw Error("in CT " + ctid + ": " + e.what());
    }
    if (r.out.find("tunl0=") == std::string::npos || r.out.find("persist=") == std::string::npos)
        throw Error("in CT " + ctid + ": ct-net " + action +
                    " printed no state (is /bin/sh there? vzctl exec2 output: " +
                    printable(r.out.empty() ? r.err : r.out) + ")");
    return st;
}

CtNetState ExecCtNet::observe(const std::string& ctid, const std::vector<std::string>& vips) {
    return run("observe", ctid, vips);
}
CtNetState ExecCtNet::apply(const std::string& ctid, const std::vector<std::string>& vips) {
    return run("apply", ctid, vips);
}
CtNetState ExecCtNet::remove(const std::string& ctid, const std::vector<std::string>& vips) {
    return run("remove", ctid, vips);
}

std::string ExecCtNet::describe(const std::string& action, const std::string& ctid,
                                const std::vector<std::string>& vips) const {
    return "vzctl exec2 " + ctid + " sh -c <ct-net.sh> vzlvs-ct-net " + action +
           (vips.empty() ? "" : " " + join(vips, " "));
}

std::string ct_start_block(const std::vector<std::string>& vips) {
    std::string args = "apply";
    for (const auto& v : vips) args += " " + v;  // validated IPv4 literals: nothing to quote
    // A failing CTID.start aborts the container's start (vzctl exit 79): the block reports and
    // carries on; the mount hook's worker verifies and repairs once the CT runs.
    return "# LVS-TUN real-server setup, run by vzctl inside the CT at every start.\n"
           "(\nset -- " +
           args + "\n" + ct_net_script() +
           "\n) >/dev/null || echo \"vzlvs: in-container setup failed; the vzlvs mount hook "
           "will retry once the container runs\" >&2\n";
}

}  // namespace vzlvs
