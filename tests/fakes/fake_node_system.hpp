// The node's kernel and init in memory: sysctls as a map (a key absent is a device absent),
// the ipip module, systemd. Changes are recorded in Events as "sysctl KEY=VALUE".
#pragma once

#include <map>

#include "fakes/events.hpp"
#include "vzlvs/net/node_system.hpp"

namespace vzlvs::fakes {

class FakeNodeSystem : public NodeSystem {
  public:
    explicit FakeNodeSystem(Events& events) : events_(events) {}

    std::map<std::string, std::string> sysctls;
    bool ipip = true;
    bool modules = true;
    bool systemd = true;

    std::optional<std::string> sysctl(const std::string& key) override {
        auto it = sysctls.find(key);
        if (it == sysctls.end()) return std::nullopt;
        return it->second;
    }
    void set_sysctl(const std::string& key, const std::string& value) override {
        if (!sysctls.count(key)) throw Error("cannot write " + key + ": no such key");
        events_.add("sysctl " + key + "=" + value);
        sysctls[key] = value;
    }
    std::vector<std::string> ipv4_conf_devices() override {
        std::vector<std::string> devs;
        const std::string prefix = "net.ipv4.conf.", leaf = ".rp_filter";
        for (const auto& [key, value] : sysctls)
            if (key.rfind(prefix, 0) == 0 && key.size() > prefix.size() + leaf.size() &&
                key.compare(key.size() - leaf.size(), leaf.size(), leaf) == 0)
                devs.push_back(key.substr(prefix.size(), key.size() - prefix.size() - leaf.size()));
        return devs;
    }
    bool has_ipip() override { return ipip; }
    bool loads_modules() override { return modules; }
    bool runs_systemd() override { return systemd; }

  private:
    Events& events_;
};

}  // namespace vzlvs::fakes
