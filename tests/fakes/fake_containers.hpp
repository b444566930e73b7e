// A ContainerManager and a CtNet over containers held in memory, behaving as the vzctl
// drivers do where the flows depend on it: --ipadd on a running CT leaves a route and a proxy
// entry on the node (if a FakeNetlink is attached), the ipip feature reaches a CT only at its
// next start, action scripts are real files under a directory. With `openvz7`, it behaves as
// the vzctl 7 driver: CT names (`names`) resolve to IDs, and a feature reaches a running CT
// only through set_features_restart. Every change is recorded in Events as its describe()
// text ("vzctl set 101 --ipadd 192.0.2.10 --save").
#pragma once

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>

#include "fakes/events.hpp"
#include "fakes/fake_netlink.hpp"
#include "vzlvs/ct/ct_net.hpp"
#include "vzlvs/ct/manager.hpp"
#include "vzlvs/net/desired_sysctls.hpp"

namespace vzlvs::fakes {

struct FakeCt {
    bool exists = true;
    bool running = true;
    std::vector<std::string> ips;
    std::map<std::string, bool> features;
    bool ipip_active = false;  // the feature as the running CT got it at its last start
    CtNetState inside;         // what ct-net.sh would observe
};

class FakeContainers : public ContainerManager {
  public:
    FakeContainers(Events& events, std::filesystem::path script_dir)
        : events_(events), script_dir_(std::move(script_dir)) {}

    std::map<std::string, FakeCt> cts;
    FakeNetlink* node = nullptr;   // where --ipadd and a start leave their leaks
    std::string venet = "venet0";  // ... on these devices
    std::string uplink = "eth0";
    // Called before a change is applied: throw from it to make vzctl refuse.
    std::function<void(const CtChange&)> before_run;
    int config_reads = 0;  // config() calls, for tests of how much a run reads
    bool openvz7 = false;
    std::map<std::string, std::string> names;  // CT name → ID (openvz7)

    std::string flavour() const override { return openvz7 ? "fake vzctl 7" : "fake vzctl"; }
    bool features_need_restart_mode() const override { return openvz7; }
    std::string vz_id(const std::string& ctid) override {
        auto it = names.find(ctid);
        return openvz7 && it != names.end() ? it->second : ctid;
    }
    CtStatus status(const std::string& ctid) override {
        CtStatus st;
        st.ctid = ctid;
        auto it = cts.find(vz_id(ctid));
        if (it == cts.end() || !it->second.exists) return st;
        st.exists = true;
        st.running = st.mounted = it->second.running;
        return st;
    }
    CtConfig config(const std::string& ctid) override {
        ++config_reads;
        CtConfig c;
        auto it = cts.find(vz_id(ctid));
        if (it == cts.end()) return c;
        c.exists = it->second.exists;
        c.ip_address = it->second.ips;
        c.features = it->second.features;
        return c;
    }
    std::vector<std::string> containers() override {
        std::vector<std::string> out;
        for (const auto& [id, ct] : cts)
            if (ct.exists) out.push_back(id);
        return out;
    }
    std::filesystem::path action_script(const std::string& ctid,
                                        const std::string& action) override {
        return openvz7 ? script_dir_ / vz_id(ctid) / "scripts" / action
                       : script_dir_ / (ctid + "." + action);
    }
    std::vector<std::string> argv(const CtChange& c) const override {
        using K = CtChange::Kind;
        switch (c.kind) {
            case K::set_features:
                return {"/fake/vzctl", "set", c.ctid, "--features", c.arg, "--save"};
            case K::set_features_restart:
                return {"/fake/vzctl", "set",       c.ctid,    "--features",
                        c.arg,         "--setmode", "restart", "--save"};
            case K::ipadd:
                return {"/fake/vzctl", "set", c.ctid, "--ipadd", c.arg, "--save"};
            case K::ipdel:
                return {"/fake/vzctl", "set", c.ctid, "--ipdel", c.arg, "--save"};
            case K::start:
                return {"/fake/vzctl", "start", c.ctid};
            case K::restart:
                return {"/fake/vzctl", "restart", c.ctid};
        }
        return {};
    }
    RunResult run(const CtChange& c) override {
        if (before_run) before_run(c);
        events_.add(describe(c));
        FakeCt& ct = cts.at(vz_id(c.ctid));
        using K = CtChange::Kind;
        switch (c.kind) {
            case K::set_features:
            case K::set_features_restart: {
                if (openvz7) ct.features.clear();  // vzctl 7 saves the command's list
                for (const auto& [name, on] : parse_feature_list(c.arg)) ct.features[name] = on;
                if (c.kind == K::set_features_restart && ct.running) start(ct);
                break;
            }
            case K::ipadd:
                ct.ips.push_back(c.arg);
                if (ct.running) leak(c.arg);
                break;
            case K::ipdel:
                ct.ips.erase(std::remove(ct.ips.begin(), ct.ips.end(), c.arg), ct.ips.end());
                break;
            case K::start:
            case K::restart:
                start(ct);
                break;
        }
        RunResult ok;
        ok.exit_code = 0;
        return ok;
    }
    RunResult exec(const std::string& ctid, const std::vector<std::string>&) override {
        throw Error("FakeContainers::exec(" + ctid + "): use FakeCtNet for the inside");
    }

  private:
    void start(FakeCt& ct) {
        ct.running = true;
        ct.ipip_active = ct.features["ipip"];
        ct.inside = {};
        if (ct.ipip_active) {
            ct.inside.tunl0 = true;
            ct.inside.kind = "ipip";
        }
        for (const auto& ip : ct.ips) leak(ip);
    }
    void leak(const std::string& ip) {
        if (node) node->add_leak(ip, venet, uplink);
    }
    Events& events_;
    std::filesystem::path script_dir_;
};

// The inside of FakeContainers' CTs, as ct-net.sh would see and change it.
class FakeCtNet : public CtNet {
  public:
    FakeCtNet(Events& events, FakeContainers& cts) : events_(events), cts_(cts) {}

    // CTs whose in-CT reads time out, as one whose `ip` hangs does; each read is counted.
    std::set<std::string> stuck;
    std::map<std::string, int> observed;

    CtNetState observe(const std::string& ctid, const std::vector<std::string>&) override {
        ++observed[ctid];
        if (stuck.count(ctid))
            throw TimedOut("in CT " + ctid + ": ct-net observe timed out", "find what hangs");
        return running(ctid).inside;
    }
    CtNetState apply(const std::string& ctid, const std::vector<std::string>& vips) override {
        events_.add("ct-net apply " + ctid);
        FakeCt& ct = running(ctid);
        if (!ct.inside.tunl0) throw Error("in CT " + ctid + ": ipip not supported by this kernel");
        ct.inside.up = true;
        for (const auto& v : vips)
            if (!ct.inside.has_addr(v)) ct.inside.addrs.push_back(v + "/32");
        for (const auto& row : ct_sysctls()) ct.inside.sysctls[row.key] = row.value;
        ct.inside.persist = CtNetState::Persist::ok;
        return ct.inside;
    }
    CtNetState remove(const std::string& ctid, const std::vector<std::string>& vips) override {
        events_.add("ct-net remove " + ctid);
        FakeCt& ct = running(ctid);
        for (const auto& v : vips) {
            auto& a = ct.inside.addrs;
            a.erase(std::remove(a.begin(), a.end(), v + "/32"), a.end());
        }
        ct.inside.persist = CtNetState::Persist::missing;
        return ct.inside;
    }
    std::string describe(const std::string& action, const std::string& ctid,
                         const std::vector<std::string>&) const override {
        return "fake ct-net " + action + " " + ctid;
    }

  private:
    FakeCt& running(const std::string& ctid) {
        FakeCt& ct = cts_.cts.at(cts_.vz_id(ctid));
        if (!ct.running) throw Error("CT " + ctid + " is not running");
        return ct;
    }
    Events& events_;
    FakeContainers& cts_;
};

}  // namespace vzlvs::fakes
