// `vzlvs watch`: the mount hook's worker made permanent (docs/commands/watch.md).
//
// Two threads. The periodic passes run on the main one (a pass reads the CTs' in-CT state
// ahead on threads of its own, CtNet::read_ahead); between them it waits for the next pass's
// deadline, SIGTERM/SIGINT (stop) or SIGHUP (reload; an edited config file is also read again
// before the next pass). From the first pass on, a sweeper thread waits on a route/neighbour
// netlink subscription (watch_net_events) and deletes a VIP's route on venet, and its proxy
// entries, as soon as the route is notified, whatever a pass is waiting on; a notification of
// anything else costs a lookup in the VIP set, no dump (tables are dumped only after
// subscribing and after an overrun). The pass takes each running
// container's lock and, if it is still provisioned, guards its VIPs and runs the shared repair
// recipe (steps/repair.hpp).
#include "vzlvs/commands/watch.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "commands/log_lines.hpp"
#include "commands/metrics.hpp"
#include "commands/syslog.hpp"
#include "vzlvs/base/lock.hpp"
#include "vzlvs/base/signals.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/commands/run.hpp"
#include "vzlvs/config/validate.hpp"
#include "vzlvs/steps/leaks.hpp"
#include "vzlvs/steps/preflight.hpp"
#include "vzlvs/steps/repair.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

namespace {

using clock = std::chrono::steady_clock;

// A pass does not wait long for a CT another vzlvs works on: it retries at the next pass.
constexpr std::chrono::milliseconds kLockWait{1000};

// ---- the periodic pass ----------------------------------------------------------------------

class Watcher {
  public:
    Watcher(const Config& cfg, const FlowOptions& opts, const StopSignals& stop)
        : cfg_(cfg), opts_(opts), stop_(stop) {}

    void pass(Metrics& metrics) {
        ++passes_;
        const auto started = clock::now();
        Seams seams(cfg_);         // fresh each pass: no connection or cache outlives a failure
        seams.cache_node_reads();  // one dump of each table per pass, not per CT
        Ctx ctx{cfg_, opts_, seams};
        Report report;
        StepRunner runner(report, false);
        runner.after_apply([&seams] { seams.forget_node_reads(); });
        std::vector<std::string> ctids;
        for (const auto& [ctid, ct] : cfg_.containers) ctids.push_back(ctid);
        seams.ct_net().read_ahead(ctids);  // like the tables: confirmed under the lock if wrong
        for (const auto& [ctid, ct] : cfg_.containers) {
            if (stop_.requested()) break;
            auto v = std::make_shared<CtView>(ctx, ct);
            try {
                pass_ct(ctx, runner, v);
            } catch (const std::exception& e) {
                runner.note({v->scope(), "watch pass", Status::failed, e.what(), ""});
            }
        }
        log_outcomes(report, clock::now() - started);
        metrics.record_run(cfg_, report, true, std::chrono::system_clock::now());
        metrics.set_guard_backend(guard_backend_of(seams));
    }

  private:
    void pass_ct(Ctx& ctx, StepRunner& runner, const std::shared_ptr<CtView>& v) {
        if (!v->status().running) {
            spdlog::debug("{}: not running (the mount hook acts at its start): skipped this pass",
                          v->scope());
            return;
        }
        std::optional<CtLock> lock;
        try {
            lock.emplace(cfg_.node.state_dir, v->ct.ctid, kLockWait);
        } catch (const BusyError& e) {
            spdlog::debug("{}: busy, retried at the next pass: {}", v->scope(), e.what());
            return;
        }
        // The node's tables were read once for the pass; a step that finds them wrong reads
        // them again before it changes anything (this CT's hook may have acted since).
        runner.confirm_fresh([v] { v->changed(); });
        // Only what provision set up is kept up, decided under the lock: watch never undoes
        // a deprovision, nor jumps ahead of a provision, nor guards a VIP no CT holds.
        if (repair_if_provisioned(ctx, runner, v, true) == Repair::not_provisioned)
            spdlog::debug("{}: not provisioned (a VIP not in IP_ADDRESS): skipped", v->scope());
    }

    void log_outcomes(const Report& report, clock::duration took) {
        int repaired = 0, failed = 0;
        for (const auto& o : report.outcomes()) {
            const std::string key = o.scope + "\t" + o.name;
            switch (o.status) {
                case Status::changed:
                    ++repaired;
                    failing_.erase(key);
                    spdlog::info("{}", log_line("repaired", o));
                    break;
                case Status::pending:
                    spdlog::info("{}", log_line("pending", o));
                    break;
                case Status::failed: {
                    ++failed;
                    // A lasting failure is logged once at warning level, then only when it
                    // changes: the journal must not fill up at every pass.
                    auto it = failing_.find(key);
                    const bool repeat = it != failing_.end() && it->second == o.detail;
                    spdlog::log(repeat ? spdlog::level::debug : spdlog::level::warn, "{}",
                                log_line("failed", o));
                    failing_[key] = o.detail;
                    break;
                }
                default:
                    if (failing_.erase(key))  // Without the fix: the step holds again.
                        spdlog::info("{}",
                                     log_line("recovered", {o.scope, o.name, o.status, o.detail}));
                    break;
            }
        }
        spdlog::debug("pass {} done in {} ms: {} repaired, {} failed", passes_,
                      std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), repaired,
                      failed);
    }

    const Config& cfg_;
    const FlowOptions& opts_;
    const StopSignals& stop_;
    std::map<std::string, std::string> failing_;  // scope\tstep → detail last logged
    unsigned passes_ = 0;
};

}  // namespace

WatchOptions parse_watch_options(const std::string& interval) {
    WatchOptions w;
    const std::string why = validate::duration(interval, &w.interval);
    if (!why.empty()) throw UsageError("--interval: " + why);
    return w;
}

namespace {

// What the node and the config must satisfy before watch acts on it: at its start and at
// every reload (a config that fails here is not taken).
void refuse_unwatchable(const Config& cfg, const FlowOptions& opts) {
    if (owned_vips(cfg).empty())
        throw UsageError("nothing to watch: " + cfg.source.string() +
                         " has no [container] section with a service");
    Seams seams(cfg);
    refuse_unusable_settings(cfg, opts, seams);
    Ctx ctx{cfg, opts, seams};
    refuse_vips_of_the_node(ctx);
    refuse_sections_of_one_ct(ctx);
    refuse_vips_of_other_cts(ctx);
}

// However the loop ends, a thread of watch's ends with it: one that threw must not leave a
// joinable thread behind (std::terminate).
struct Joined {
    std::thread& t;
    StopSignals& stop;
    ~Joined() {
        if (!t.joinable()) return;
        stop.request();
        t.join();
    }
};

// The config file as it is on disk now, to notice an edit without reading it at every wake.
struct FileStamp {
    long long mtime_ns = -1, size = -1;
    unsigned long long inode = 0;
    bool operator==(const FileStamp& o) const {
        return mtime_ns == o.mtime_ns && size == o.size && inode == o.inode;
    }
};
FileStamp stamp_of(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return {static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec,
            static_cast<long long>(st.st_size), static_cast<unsigned long long>(st.st_ino)};
}

}  // namespace

int run_watch(const Config& cfg, const FlowOptions& opts, const WatchOptions& wopts) {
    if (opts.dry_run)
        throw UsageError(
            "watch changes what drifts as it happens; for a read-only look use "
            "`vzlvs check`");
    if (wopts.interval.count() <= 0) throw UsageError("--interval must be positive");
    refuse_unwatchable(cfg, opts);
    if (!stderr_is_journal()) also_log_to_syslog(*spdlog::default_logger());
    StopSignals stop;
    // The configuration watch acts on: the file's, read again when it changes or on SIGHUP,
    // so that watch never reverts what a provision made with the current file. One that does
    // not load, or does not fit the node, is not taken: watch goes on with the one it has.
    Config current = cfg;
    FileStamp stamp = stamp_of(current.source);
    // What the sweeper thread removes leaks of: made whole from a config and replaced whole at
    // a reload, never changed in place, so that the sweeper takes it per event without a copy.
    struct SweepTarget {
        std::string venet;
        std::vector<OwnedVip> vips;
        std::filesystem::path metrics_file;
    };
    auto target_of = [](const Config& c) {
        return std::make_shared<const SweepTarget>(
            SweepTarget{c.node.venet, owned_vips(c), c.node.metrics_file});
    };
    Metrics metrics;  // kept across reloads: the counters are watch's since it started
    auto write_metrics = [&metrics](const std::filesystem::path& file) {
        if (file.empty()) return;
        try {
            write_metrics_file(file, metrics.render());
        } catch (const std::exception& e) {
            spdlog::warn("metrics not written: {}", e.what());
        }
    };
    std::shared_ptr<const SweepTarget> target = target_of(current);
    std::mutex target_mutex;  // guards the pointers only
    // The configuration the renewer thread renews the registrations of.
    std::shared_ptr<const Config> renewing = std::make_shared<const Config>(current);
    auto watcher = std::make_unique<Watcher>(current, opts, stop);
    spdlog::info(
        "watching {} VIP(s) of {} container(s): leaked routes are removed as they "
        "appear, a full pass runs every {}",
        target->vips.size(), current.containers.size(), format_duration(wopts.interval));
    auto next_pass = clock::now();
    auto reload = [&](const char* why) {
        stamp = stamp_of(current.source);
        try {
            std::vector<ConfigProblem> warnings;
            Config fresh = load_config(current.source, UnknownKeys::warn, &warnings);
            for (const auto& w : warnings) spdlog::warn("{}", w.str());
            if (fresh == current) return;
            refuse_unwatchable(fresh, opts);
            current = std::move(fresh);
        } catch (const std::exception& e) {
            spdlog::error("{} {}: not taken, watch goes on with the configuration it has: {}", why,
                          current.source.string(), e.what());
            return;
        }
        auto fresh_target = target_of(current);
        const std::size_t vip_count = fresh_target->vips.size();
        {
            std::lock_guard<std::mutex> l(target_mutex);
            target = std::move(fresh_target);
            renewing = std::make_shared<const Config>(current);
        }
        watcher = std::make_unique<Watcher>(current, opts, stop);
        next_pass = clock::now();  // a pass with what the file says now, at once
        spdlog::info("configuration reloaded ({} {}): {} VIP(s) of {} container(s)", why,
                     current.source.string(), vip_count, current.containers.size());
    };

    // The leak sweep, from the first pass on, on a thread of its own: a pass that waits on a
    // container (a command stuck inside it) never holds up the deletion of a leaked route.
    std::thread sweeper;
    Joined joined{sweeper, stop};
    auto start_sweeper = [&] {
        sweeper = std::thread([&] {
            bool subscribed_logged = false;
            std::unique_ptr<Netlink> nl;  // kept while it works; remade after an error
            auto on_event = [&](const NetEvents& events) {
                if (!subscribed_logged) {
                    // Only now is the subscription live: from here on nothing is missed.
                    spdlog::info("subscribed to route and neighbour events");
                    subscribed_logged = true;
                }
                if (!nl) nl = make_netlink();
                std::shared_ptr<const SweepTarget> now;
                {
                    std::lock_guard<std::mutex> l(target_mutex);
                    now = target;
                }
                const auto seen = clock::now();
                Swept swept = sweep_notified_leaks(*nl, now->venet, now->vips, events);
                // The window as watch sees it: from reading the event to the deletion.
                for (std::size_t i = 0; i < swept.routed.size(); ++i)
                    metrics.record_leak(clock::now() - seen);
                // Written before the log says so: whoever reads the line finds the file done.
                if (!swept.routed.empty()) write_metrics(now->metrics_file);
                log_swept(swept);
                return false;  // never done: only the deadline or a stop ends the wait
            };
            while (!stop.requested()) {
                try {
                    // A new subscription per interval: its initial dump catches anything an
                    // error made it miss, and an overrun inside it is resolved by a re-dump.
                    watch_net_events("", wopts.interval, on_event, stop.fd());
                } catch (const std::exception& e) {
                    nl.reset();
                    spdlog::error(
                        "route watch failed: {}; leaked routes are removed at the next pass",
                        e.what());
                    stop.wait_until(clock::now() + wopts.interval);
                }
            }
        });
    };

    // The registrations' lease (api = etcd), renewed on a thread of its own: a pass stuck on a
    // container must not let every backend of the node expire. A lease found expired is
    // replaced, and a pass at once puts the backends on the new one.
    std::thread renewer;
    Joined renewer_joined{renewer, stop};
    auto start_renewer = [&] {
        renewer = std::thread([&] {
            std::unique_ptr<Director> director;
            std::shared_ptr<const Config> made_for;
            auto every = std::chrono::milliseconds(1000);
            std::string failing;  // logged once until it changes or renewal works again
            while (!stop.requested()) {
                std::shared_ptr<const Config> now;
                {
                    std::lock_guard<std::mutex> l(target_mutex);
                    now = renewing;
                }
                try {
                    if (now != made_for) {
                        director = make_director(*now);
                        made_for = now;
                    }
                    if (director && director->renew_every().count() > 0) {
                        every = director->renew_every();
                        if (!director->renew()) stop.nudge();  // registrations to make again
                        if (!failing.empty()) spdlog::info("registrations renewed again");
                        failing.clear();
                    } else {
                        every = std::chrono::milliseconds(1000);
                    }
                } catch (const std::exception& e) {
                    director.reset();
                    made_for.reset();
                    if (e.what() != failing)
                        spdlog::error("registrations not renewed: {}; retried every {} ms",
                                      e.what(), every.count());
                    failing = e.what();
                }
                // Not wait_until: a reload or a nudge the main loop has not taken yet would
                // end that wait at once, and turn renewal into a busy loop.
                pollfd p{stop.fd(), POLLIN, 0};
                ::poll(&p, 1, static_cast<int>(every.count()));
            }
        });
    };
    start_renewer();

    while (!stop.requested()) {
        if (stop.take_nudge()) next_pass = clock::now();
        if (stop.take_reload()) reload("SIGHUP:");
        if (clock::now() >= next_pass) {
            if (!(stamp_of(current.source) == stamp)) reload("changed:");
            watcher->pass(metrics);
            write_metrics(current.node.metrics_file);
            next_pass = clock::now() + wopts.interval;
            if (!sweeper.joinable()) start_sweeper();
            continue;  // re-check the signals before waiting
        }
        stop.wait_until(next_pass);
    }
    spdlog::info("stopped ({})", stop.name());
    return 0;
}

}  // namespace vzlvs
