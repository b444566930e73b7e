// The container-manager seam: everything vzlvs asks of OpenVZ, whatever its release. One
// driver per vzctl flavour implements it (ct/vzctl.hpp: vzctl 4.x, legacy OpenVZ;
// ct/vzctl7.hpp: vzctl 7, OpenVZ 7), chosen by ct/detect.hpp; the fake for fast tests is
// tests/fakes/fake_containers.hpp.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "vzlvs/base/process.hpp"
#include "vzlvs/ct/ctconf.hpp"

namespace vzlvs {

// exists and running are always filled. mounted, paused and suspended only when vzctl was
// asked (a node without the kernel records of ct/run_state.hpp): nothing decides on them.
struct CtStatus {
    std::string ctid;
    bool exists = false;  // `exist`: both <ctid>.conf and VE_PRIVATE are there
    bool mounted = false;
    bool running = false;
    bool paused = false;     // OpenVZ 7 only
    bool suspended = false;  // a stopped CT with a dump file (4.x), or OpenVZ 7's state word
};

// A change vzlvs makes to a container. The driver turns it into one argv (argv()), runs that
// argv (run()), and a plan or fix prints it (describe()): what is shown is what runs.
struct CtChange {
    // set_features saves the list; on a running CT it takes effect at the next start.
    // set_features_restart also restarts a running CT in the same call (`--setmode restart`).
    enum class Kind { set_features, set_features_restart, ipadd, ipdel, start, restart };
    Kind kind;
    std::string ctid;
    std::string arg;  // the feature list ("ipip:on") or the IP; empty otherwise

    static CtChange features(const std::string& ctid, const std::string& list) {
        return {Kind::set_features, ctid, list};
    }
    static CtChange features_with_restart(const std::string& ctid, const std::string& list) {
        return {Kind::set_features_restart, ctid, list};
    }
    static CtChange ipadd(const std::string& ctid, const std::string& ip) {
        return {Kind::ipadd, ctid, ip};
    }
    static CtChange ipdel(const std::string& ctid, const std::string& ip) {
        return {Kind::ipdel, ctid, ip};
    }
    static CtChange start(const std::string& ctid) { return {Kind::start, ctid, ""}; }
    static CtChange restart(const std::string& ctid) { return {Kind::restart, ctid, ""}; }
};

class ContainerManager {
  public:
    virtual ~ContainerManager() = default;

    // Which OpenVZ this driver speaks ("vzctl 4 (legacy OpenVZ)"), for check and messages.
    virtual std::string flavour() const = 0;
    // What keeps this driver from working at all ("/usr/sbin/vzctl is not an executable");
    // nullopt when nothing does.
    virtual std::optional<std::string> unusable() const { return std::nullopt; }
    // In an action script the container manager runs (CTID.mount, CTID.umount): the ID of the
    // CT it runs for, as vz_id() gives it; nullopt outside one.
    virtual std::optional<std::string> hook_ct() const { return std::nullopt; }

    // True where vzctl refuses a feature change on a running CT unless it restarts the CT in
    // the same call (vzctl 7: exit 32 and nothing applied); vzctl 4 saves it with a warning.
    virtual bool features_need_restart_mode() const { return false; }
    // The ID vzctl itself knows the CT by: the VEID its action scripts get and the name of its
    // config. The configured ID on vzctl 4; on vzctl 7 a CT name resolved to its ID.
    virtual std::string vz_id(const std::string& ctid) { return ctid; }

    virtual CtStatus status(const std::string& ctid) = 0;
    // A one-shot run may keep node-wide reads (the list of running CTs) until forget_reads(),
    // which every change it makes calls; off by default (the hook worker polls status).
    virtual void cache_reads() {}
    virtual void forget_reads() {}
    // A process of the running CT whose namespaces and root are the CT's, for reading its
    // state from the host (ct/ct_net_host.hpp); nullopt when the driver knows none.
    virtual std::optional<pid_t> ct_process(const std::string& ctid) {
        (void)ctid;
        return std::nullopt;
    }
    // The CT's config as vzctl reads it, from its files (no process).
    virtual CtConfig config(const std::string& ctid) = 0;
    // Every container with a config on this node.
    virtual std::vector<std::string> containers() = 0;
    // Where the action script `action` (mount, umount, start) of a CT lives.
    virtual std::filesystem::path action_script(const std::string& ctid,
                                                const std::string& action) = 0;

    // The argv run() executes for a change; validates it first (UsageError).
    virtual std::vector<std::string> argv(const CtChange& change) const = 0;
    // Runs a change. A refusal is a typed error (VzctlError, BusyError for a lock).
    virtual RunResult run(const CtChange& change) = 0;
    // Runs argv inside a running CT; returns the command's own result, never throws for its
    // exit status.
    virtual RunResult exec(const std::string& ctid, const std::vector<std::string>& argv) = 0;

    // argv(change) as a user would type it: "vzctl set 101 --ipadd 10.0.0.5 --save".
    std::string describe(const CtChange& change) const;
};

}  // namespace vzlvs
