// In-container network state read from the host, with no process in the container, where
// the container manager names a process of the CT (OpenVZ 7: its init, ct/run_state.hpp):
// netlink and /proc/sys/net in that process's network namespace give tunl0, the addresses,
// the sysctls and the default route's advmss, and its root the persisted sysctl file, walked
// without following links (the root is the container's). The answer is what ct-net.sh's
// observe prints, field for field (tests/integration/ct_net_host_test.cpp compares them).
//
// Everything else goes to ct-net.sh through `vzctl exec` (the fallback): apply and remove,
// an observation of a CT with no known process (legacy OpenVZ: vzctl 4 records no init pid,
// and entering an OpenVZ 6 container takes vzctl's own ioctl), and one whose persisted file
// sits behind a link or is not a plain file (the script reads it as the CT sees it).
#pragma once

#include "ct/ct_net.hpp"

namespace vzlvs {

class HostCtNet : public CtNet {
  public:
    HostCtNet(ContainerManager& containers, CtNet& fallback)
        : containers_(containers), fallback_(fallback) {}
    CtNetState observe(const std::string& ctid, const std::vector<std::string>& vips) override;
    CtNetState apply(const std::string& ctid, const std::vector<std::string>& vips) override {
        return fallback_.apply(ctid, vips);
    }
    CtNetState remove(const std::string& ctid, const std::vector<std::string>& vips) override {
        return fallback_.remove(ctid, vips);
    }
    std::string describe(const std::string& action, const std::string& ctid,
                         const std::vector<std::string>& vips) const override {
        return fallback_.describe(action, ctid, vips);
    }

  private:
    ContainerManager& containers_;
    CtNet& fallback_;
    std::optional<std::string> fb_tunnels_;
};

// The state of the network namespace at netns_path and the root at root_path (a CT's
// /proc/PID/ns/net and /proc/PID/root); nullopt when the persisted file cannot be judged
// from here (behind a link, not a plain file). fb_tunnels, the node's, is not filled in.
std::optional<CtNetState> read_ct_net_from_host(const std::string& netns_path,
                                                const std::string& root_path);

}  // namespace vzlvs
