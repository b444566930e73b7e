// vzctl runs mount scripts synchronously and adds the CT's IPs (route, proxy ARP, ARP
// announcement) only after they return, so the hook does the one thing that must precede
// that — the ARP guard — and hands the rest to a detached worker: wait on netlink for the
// VIP route and proxy entries and delete them as they appear, then, once the CT runs, the
// shared repair recipe (sweep, inside, register).
#include "vzlvs/commands/hook.hpp"

#include <fcntl.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include "commands/log_lines.hpp"
#include "commands/syslog.hpp"
#include "vzlvs/base/daemon.hpp"
#include "vzlvs/base/lock.hpp"
#include "vzlvs/base/state_dir.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/steps/director_steps.hpp"
#include "vzlvs/steps/guard_step.hpp"
#include "vzlvs/steps/leaks.hpp"
#include "vzlvs/steps/preflight.hpp"
#include "vzlvs/steps/repair.hpp"

namespace vzlvs {

namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr seconds kRouteWatch{120};        // vzctl adds IPs within seconds of the mount scripts
constexpr milliseconds kProxyGrace{1500};  // after the routes: see worker()
constexpr seconds kRunningWait{300};       // a CT with a slow CTID.start, or a busy node
constexpr seconds kLockWait{300};
constexpr int kSettleRounds = 6;  // of the services' check interval each

void log_to_state_dir(const Config& cfg) {
    ensure_private_dir(cfg.node.state_dir);
    const fs::path log = cfg.node.state_dir / "hook.log";
    // Made here, 0600 and never through a link, before spdlog opens it by name: the private
    // state_dir keeps anyone else from swapping it in between.
    ::close(open_private_file(log, O_WRONLY | O_APPEND));
    auto logger = spdlog::basic_logger_mt("vzlvs-hook", log.string());
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e [%P] %l: %v");
    logger->flush_on(spdlog::level::info);
    also_log_to_syslog(*logger);
    spdlog::set_default_logger(logger);
}

// A refused start goes to vzctl's stderr and to the node's log: at boot nobody reads the
// former. (Only here: the syslog connection must not be open when the worker is forked,
// whose fds are closed under it.)
template <typename... Args>
void refuse_start(spdlog::format_string_t<Args...> fmt, Args&&... args) {
    also_log_to_syslog(*spdlog::default_logger());
    spdlog::error(fmt, std::forward<Args>(args)...);
}

// What the hook itself has to say before it knows its config: to vzctl's output (stderr) and
// to the node's log, since at boot nobody reads the former.
void tell_node(int priority, const std::string& message) {
    std::fprintf(stderr, "vzlvs: %s\n", message.c_str());
    syslog_once(priority, message);
}

std::string hook_ct_name() {
    const char* veid = std::getenv("VEID");
    return veid ? printable(veid) : "?";
}

void log_report(const std::string& what, const Report& r) {
    spdlog::log(r.failed() ? spdlog::level::warn : spdlog::level::info, "{}:\n{}", what,
                r.table(false));
}

Swept sweep(Ctx& ctx, const CtView& v) {
    Swept s = sweep_leaks(ctx.seams.netlink(), ctx.cfg.node.venet, owned_vips(v));
    log_swept(s);
    return s;
}

bool wait_running(Ctx& ctx, const std::string& ctid) {
    // vzctl offers no event for "running"; status is cheap and the wait is bounded.
    auto deadline = std::chrono::steady_clock::now() + kRunningWait;
    milliseconds delay{100};
    while (std::chrono::steady_clock::now() < deadline) {
        CtStatus st = ctx.seams.containers().status(ctid);
        if (st.running) return true;
        if (!st.exists) return false;
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, milliseconds(2000));
    }
    return false;
}

// A director whose health checks may undo a fresh registration (Director::revisits_registration)
// is looked at again after a registration that changed or failed: once per check interval,
// under the lock each time, until it keeps the backend up at its weight without being told.
void settle_registration(Ctx& ctx, const std::shared_ptr<CtView>& v) {
    seconds every{5};
    for (const auto& name : v->ct.services)
        every = std::min(every, seconds(ctx.cfg.services.at(name).check_interval.count()));
    for (int round = 1; round <= kSettleRounds; ++round) {
        std::this_thread::sleep_for(every + milliseconds(250));
        CtLock lock(ctx.cfg.node.state_dir, v->ct.ctid, kLockWait);
        v->changed();
        if (!v->status().running || !still_provisioned(*v)) return;
        Report report;
        StepRunner runner(report, false);
        runner.run_all(register_steps(ctx, v, true));
        const bool settled = !report.failed() && report.count(Status::changed) == 0;
        log_report("CT " + v->ct.ctid + " registration, round " + std::to_string(round) +
                       (settled ? ": settled" : ""),
                   report);
        if (settled) return;
    }
}

void worker(const Config& cfg, const FlowOptions& opts, const ContainerConfig& ct) {
    Seams seams(cfg);
    Ctx ctx{cfg, opts, seams};
    auto v = std::make_shared<CtView>(ctx, ct);

    // The hook swept stale entries before vzctl went on, so every route found now is the
    // one vzctl adds for this start: once each VIP's has been deleted, the watch is over.
    // Only the VIPs in IP_ADDRESS get a route at this start (a restart vzctl 7 makes to apply
    // the feature comes before provision adds the VIP).
    std::size_t expected = 0;
    const CtConfig conf = v->conf();
    for (const auto& vip : v->vips) expected += conf.has_ip(vip);
    std::set<std::string> seen, proxied;
    const std::vector<OwnedVip> vips = owned_vips(*v);
    bool done = expected == 0 || watch_net_events("", kRouteWatch, [&](const NetEvents& events) {
                    Swept s = sweep_notified_leaks(seams.netlink(), cfg.node.venet, vips, events);
                    log_swept(s);
                    seen.insert(s.routed.begin(), s.routed.end());
                    proxied.insert(s.proxied.begin(), s.proxied.end());
                    return seen.size() >= expected;
                });
    spdlog::info("CT {}: {}", ct.ctid,
                 done ? "VIP routes removed as vzctl added them"
                      : "no VIP route appeared within the watch; swept what there was");
    // vzctl 7's vz-net_add adds each proxy entry after the route (vzctl 4: before), and the
    // kernel sends no event for proxy entries: look a little longer for them.
    for (auto until = std::chrono::steady_clock::now() + kProxyGrace;
         done && proxied.size() < expected && std::chrono::steady_clock::now() < until;) {
        std::this_thread::sleep_for(milliseconds(20));
        Swept s = sweep(ctx, *v);
        proxied.insert(s.proxied.begin(), s.proxied.end());
    }

    if (!wait_running(ctx, ct.ctid)) {
        spdlog::warn("CT {} is not running; nothing more to do until its next start", ct.ctid);
        return;
    }
    Report report;
    {
        CtLock lock(cfg.node.state_dir, ct.ctid, kLockWait);
        StepRunner runner(report, false);
        // The mount hook guarded the VIPs already; a deprovision may have run since.
        switch (repair_if_provisioned(ctx, runner, v, false)) {
            case Repair::not_running:
                spdlog::warn("CT {} stopped again; nothing more to do until its next start",
                             ct.ctid);
                return;
            case Repair::not_provisioned:
                spdlog::info("CT {} was deprovisioned meanwhile: left alone", ct.ctid);
                return;
            case Repair::done:
                break;
        }
    }
    log_report("CT " + ct.ctid + " after start", report);
    const bool registered_now =
        std::any_of(report.outcomes().begin(), report.outcomes().end(),
                    [](const Outcome& o) { return o.registration && o.status != Status::ok; });
    Director* director = seams.director();
    if (registered_now && director && director->revisits_registration())
        settle_registration(ctx, v);
}

// Workers hold a shared flock on state_dir/workers/CTID.lock for their whole life, taken by
// the hook before it returns: once vzctl has run the hook, `flock FILE true` (exclusive)
// waits for every worker of that CT without polling. Shared, so two quick starts never wait
// for each other.
int worker_lock_fd(const Config& cfg, const std::string& ctid) {
    int fd =
        open_private_file(state_subdir(cfg.node.state_dir, "workers") / (ctid + ".lock"), O_RDWR);
    ::flock(fd, LOCK_SH);
    return fd;
}

void spawn_worker(const Config& cfg, const FlowOptions& opts, const ContainerConfig& ct) {
    int lock = worker_lock_fd(cfg, ct.ctid);
    run_detached(lock, [&]() {
        int rc = 0;
        try {
            log_to_state_dir(cfg);
            worker(cfg, opts, ct);
        } catch (const std::exception& e) {
            spdlog::error("CT {}: hook worker failed: {}", ct.ctid, e.what());
            rc = 1;
        }
        spdlog::shutdown();
        return rc;
    });
    if (lock >= 0) ::close(lock);  // the worker's copy keeps the lock
}

}  // namespace

int run_hook(const Config& cfg, const FlowOptions& opts, const std::string& action) {
    Seams seams(cfg);
    const auto veid = seams.containers().hook_ct();
    if (!veid) return 0;
    const ContainerConfig* ct = cfg.container(*veid);
    // vzctl 7 gives the CT's ID, which the config may name by its CT name.
    for (auto it = cfg.containers.begin(); !ct && it != cfg.containers.end(); ++it)
        if (seams.containers().vz_id(it->first) == *veid) ct = &it->second;
    if (!ct) return 0;  // not ours: say nothing, change nothing

    Ctx ctx{cfg, opts, seams};
    Report report;
    StepRunner runner(report, opts.dry_run);
    auto v = std::make_shared<CtView>(ctx, *ct);
    if (action == "mount") {
        try {
            refuse_vips_of_the_node(ctx);
        } catch (const UsageError& e) {
            refuse_start("CT {}: refusing the start: {}", ct->ctid, e.what());
            return 1;
        }
        // Must hold before this script returns: vzctl announces the VIP right after.
        if (!runner.run(arp_guard_step(ctx, v->vips))) {
            refuse_start(
                "CT {}: cannot guard its VIPs, refusing the start (the node would announce "
                "them on the LAN):\n{}",
                ct->ctid, report.table(false));
            return 1;
        }
        if (opts.dry_run) return 0;
        // The VIPs are guarded: from here on, nothing of vzlvs's own (a full state_dir, a
        // netlink error) may cost the container its start.
        try {
            // vzctl is waiting for us: anything of the VIPs' on the node now is stale.
            sweep_leaks(seams.netlink(), cfg.node.venet, owned_vips(*v));
            spawn_worker(cfg, opts, *ct);
        } catch (const std::exception& e) {
            tell_node(LOG_ERR, "CT " + ct->ctid +
                                   ": its VIPs are guarded, but the start's cleanup could not "
                                   "run (" +
                                   e.what() +
                                   "): the VIP route stays on the node until `vzlvs watch` or "
                                   "`vzlvs provision " +
                                   ct->ctid + "` removes it");
        }
        return 0;
    }
    // umount: the CT has stopped; stop the director sending it new connections.
    try {
        log_to_state_dir(cfg);
        runner.run_all(drain_steps(ctx, v));
        log_report("CT " + ct->ctid + " stopped", report);
    } catch (const std::exception& e) {
        spdlog::warn("CT {}: drain at umount failed: {}", ct->ctid, e.what());
    }
    return 0;  // a failing umount script would abort vzctl's stop
}

std::optional<Config> load_hook_config(const fs::path& config, const fs::path& last_good) {
    std::string why;
    try {
        std::vector<ConfigProblem> warnings;
        Config cfg = load_config(config, UnknownKeys::warn, &warnings);
        for (const auto& w : warnings) tell_node(LOG_WARNING, w.str());
        return cfg;
    } catch (const std::exception& e) {
        why = e.what();
    }
    const std::string fix = "fix " + config.string() + " (`vzlvs -c " + config.string() +
                            " config` lists every problem)";
    if (!last_good.empty()) {
        try {
            Config cfg = load_config(last_good, UnknownKeys::warn);
            tell_node(LOG_ERR, "CT " + hook_ct_name() + ": " + config.string() +
                                   " does not load, so the hook uses " + last_good.string() +
                                   ", the configuration the last provision or bootstrap "
                                   "validated; " +
                                   fix + ". The problems:\n" + why);
            return cfg;
        } catch (const std::exception& e) {
            why += "\n" + last_good.string() + ": " + e.what();
        }
    }
    tell_node(LOG_ERR, "CT " + hook_ct_name() +
                           " starts without vzlvs: no configuration loads, so vzlvs cannot tell "
                           "its VIPs (the ARP guard that provision installed still holds until "
                           "the node reboots); " +
                           fix + ", then run `vzlvs provision`. The problems:\n" + why);
    return std::nullopt;
}

int run_hook_command(const fs::path& config, const fs::path& last_good, const FlowOptions& opts,
                     const std::string& action) {
    std::optional<Config> cfg = load_hook_config(config, last_good);
    if (!cfg) return 0;
    return run_hook(*cfg, opts, action);
}

}  // namespace vzlvs
