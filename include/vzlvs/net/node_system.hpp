// The node's own kernel and init, as the node steps read and change them: sysctls of the
// node's namespace, the ipip module, whether systemd runs. One seam, so that bootstrap's
// steps run on a fake in the fast tests (tests/fakes/fake_node_system.hpp).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vzlvs {

class NodeSystem {
  public:
    virtual ~NodeSystem() = default;
    // The value without its trailing newline; nullopt when there is no such key (no such
    // device). Other failures throw Error.
    virtual std::optional<std::string> sysctl(const std::string& key) = 0;
    virtual void set_sysctl(const std::string& key, const std::string& value) = 0;
    // Every device with an IPv4 conf directory, "all" and "default" included.
    virtual std::vector<std::string> ipv4_conf_devices() = 0;
    virtual bool has_ipip() = 0;       // built in or loaded
    virtual bool loads_modules() = 0;  // the kernel can load modules at all
    virtual bool runs_systemd() = 0;
};

// /proc/sys (net/sysctl.hpp), /sys/module and /proc/modules, /run/systemd/system.
std::unique_ptr<NodeSystem> make_node_system();

}  // namespace vzlvs
