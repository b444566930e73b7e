#include "vzlvs/net/node_system.hpp"

#include <filesystem>

#include "vzlvs/net/sysctl.hpp"
#include "vzlvs/net/tunnel_probe.hpp"

namespace vzlvs {

namespace {

namespace fs = std::filesystem;

class ProcNodeSystem final : public NodeSystem {
  public:
    std::optional<std::string> sysctl(const std::string& key) override { return sysctl_read(key); }
    void set_sysctl(const std::string& key, const std::string& value) override {
        sysctl_write(key, value);
    }
    std::vector<std::string> ipv4_conf_devices() override {
        std::vector<std::string> out;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator("/proc/sys/net/ipv4/conf", ec))
            out.push_back(e.path().filename().string());
        return out;
    }
    bool has_ipip() override { return kernel_has_ipip(); }
    bool loads_modules() override { return fs::exists("/proc/modules"); }
    bool runs_systemd() override { return fs::exists("/run/systemd/system"); }
};

}  // namespace

std::unique_ptr<NodeSystem> make_node_system() { return std::make_unique<ProcNodeSystem>(); }

}  // namespace vzlvs
