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

#include <sys/types.h>

#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "vzlvs/ct/ct_net.hpp"

namespace vzlvs {

// The node's sysctls that in-CT fields read (ct_node_sysctls), by key, as the node sees them.
using NodeSysctls = std::map<std::string, std::string>;
NodeSysctls read_node_sysctls();  // from the calling thread's namespace: the node's

class HostCtNet : public CtNet {
  public:
    HostCtNet(ContainerManager& containers, CtNet& fallback)
        : containers_(containers), fallback_(fallback) {}
    ~HostCtNet() override;  // waits for a read-ahead still running
    CtNetState observe(const std::string& ctid, const std::vector<std::string>& vips) override;
    // Reads on threads of their own (read_ct_nets_from_host) while the caller goes on; an
    // observe() of a CT not read yet waits for it.
    void read_ahead(const std::vector<std::string>& ctids) override;
    void forget(const std::string& ctid) override;
    CtNetState apply(const std::string& ctid, const std::vector<std::string>& vips) override {
        forget(ctid);
        return fallback_.apply(ctid, vips);
    }
    CtNetState remove(const std::string& ctid, const std::vector<std::string>& vips) override {
        forget(ctid);
        return fallback_.remove(ctid, vips);
    }
    std::string describe(const std::string& action, const std::string& ctid,
                         const std::vector<std::string>& vips) const override {
        return fallback_.describe(action, ctid, vips);
    }

  private:
    // What was read ahead of CT ctid through its init `pid`, once that read is done; nullopt
    // when there is nothing to use (not read ahead, forgotten, failed, or another init now).
    std::optional<CtNetState> take_ahead(const std::string& ctid, pid_t pid);

    ContainerManager& containers_;
    CtNet& fallback_;
    const NodeSysctls& node_sysctls();  // read once, in the caller's (the node's) namespace
    std::optional<NodeSysctls> node_sysctls_;
    struct Ahead {
        pid_t pid;
        bool done = false;
        std::optional<CtNetState> state;
    };
    std::mutex mutex_;  // ahead_ is shared with the reading threads
    std::condition_variable read_;
    std::map<std::string, Ahead> ahead_;
    std::thread reader_;  // the read-ahead, while it runs
};

// The state of the network namespace at netns_path and the root at root_path (a CT's
// /proc/PID/ns/net and /proc/PID/root); nullopt when the persisted file cannot be judged
// from here (behind a link, not a plain file). `node`: the node's own sysctls the fields
// read (the kernel keeps them for the initial namespace only), read beforehand.
std::optional<CtNetState> read_ct_net_from_host(const std::string& netns_path,
                                                const std::string& root_path,
                                                const NodeSysctls& node = read_node_sysctls());

// The same for many CTs at once, each through its process's /proc/PID (in_each_netns: as
// many at a time as the node has cores): done(i, the state or what the read threw) on the
// reading thread as each one ends.
struct HostCtNetRead {
    std::optional<CtNetState> state;
    std::exception_ptr failure;
};
void read_ct_nets_from_host(const std::vector<pid_t>& pids, const NodeSysctls& node,
                            const std::function<void(std::size_t, HostCtNetRead)>& done);

}  // namespace vzlvs
