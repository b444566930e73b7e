// `vzlvs watch`: the mount hook's worker made permanent (docs/commands/watch.md).
//
// One thread, one loop. Between periodic passes it waits on a route/neighbour netlink
// subscription (watch_routes_and_neighbours) and sweeps every VIP route on venet and every
// proxy entry for a VIP as soon as a route appears; the wait ends at the next pass's deadline
// or at once on SIGTERM/SIGINT (a self-pipe is the subscription's wake fd). The pass runs the
// same steps as provision: the ARP guard, then for each running, provisioned container the
// host cleanup, tunl0/VIP/rp_filter inside it and its registration with the director.
#include "commands/watch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "steps/flow_internal.hpp"
#include "config/validate.hpp"
#include "base/lock.hpp"
#include "base/embedded.hpp"

namespace vzlvs {

namespace {

using namespace flow;
using clock = std::chrono::steady_clock;

// A pass does not wait long for a CT another vzlvs works on: it retries at the next pass.
constexpr std::chrono::milliseconds kLockWait{1000};

// ---- stopping -------------------------------------------------------------------------------

volatile sig_atomic_t g_signal = 0;
int g_wake_write = -1;

extern "C" void on_stop_signal(int sig) {
    const int saved = errno;
    g_signal = sig;
    if (g_wake_write >= 0) {
        const ssize_t n = ::write(g_wake_write, "x", 1);
        (void)n;  // full pipe: it is readable already
    }
    errno = saved;
}

// SIGTERM/SIGINT write to a pipe whose read end wakes every wait of the loop at once.
// Handlers (not a blocked mask + signalfd) so that child processes start with default
// dispositions and nothing depends on which thread the signal is delivered to.
class StopSignals {
  public:
    StopSignals() {
        int fds[2];
        if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
            throw Error(std::string("cannot create the stop pipe: ") + std::strerror(errno));
        read_ = fds[0];
        write_ = fds[1];
        g_signal = 0;
        g_wake_write = write_;
        struct sigaction sa {};
        sa.sa_handler = on_stop_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        ::sigaction(SIGTERM, &sa, &old_term_);
        ::sigaction(SIGINT, &sa, &old_int_);
    }
    ~StopSignals() {
        ::sigaction(SIGTERM, &old_term_, nullptr);
        ::sigaction(SIGINT, &old_int_, nullptr);
        g_wake_write = -1;
        ::close(read_);
        ::close(write_);
    }
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    int fd() const { return read_; }
    bool requested() const { return g_signal != 0; }
    const char* name() const { return g_signal == SIGINT ? "SIGINT" : "SIGTERM"; }

    // Waits until `until` or a stop signal, whichever is first. For when the netlink
    // subscription itself failed: the loop must still honour its deadline and signals.
    void wait_until(clock::time_point until) const {
        while (!requested()) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - clock::now());
            if (left.count() <= 0) return;
            pollfd p{read_, POLLIN, 0};
            const int rc =
                ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
            if (rc < 0 && errno != EINTR)
                throw Error(std::string("cannot wait for the next pass (poll): ") +
                            std::strerror(errno));
        }
    }

  private:
    int read_ = -1, write_ = -1;
    struct sigaction old_term_ {
    }, old_int_{};
};

// ---- logging --------------------------------------------------------------------------------

// The line format is stable (tests and operators grep for it):
//   repaired: <scope>: <step>: <detail>
//   failed: <scope>: <step>: <detail>[; fix: <fix>]
//   recovered: <scope>: <step>: <detail>
void log_repair(const std::string& scope, const std::string& step, const std::string& detail) {
    spdlog::info("repaired: {}: {}: {}", scope, step, detail);
}

// ---- the event-driven sweep -----------------------------------------------------------------

struct OwnedVip {
    std::string vip;
    std::string scope;  // "ct 101": the container whose service has this VIP
};

std::vector<OwnedVip> owned_vips(const Config& cfg) {
    std::vector<OwnedVip> out;
    for (const auto& [_, ct] : cfg.containers)
        for (const auto& vip : cfg.vips_of(ct)) out.push_back({vip, "ct " + ct.ctid});
    return out;
}

// Deletes every route to a VIP on venet and every proxy entry for a VIP, whoever added them.
// Step names match ct_host_cleanup_steps(), so a repair reads the same from either path.
void sweep(Netlink& nl, const std::string& venet, const std::vector<OwnedVip>& vips) {
    const std::string route_step = "no VIP route on " + venet;
    const std::string proxy_step = "no proxy-ARP entry for VIP";
    for (const auto& [vip, scope] : vips) {
        const VipLeaks leaks = find_leaks(nl, venet, vip);
        for (const auto& r : leaks.routes) {
            try {
                nl.delete_route(r);
                log_repair(scope, route_step, "deleted " + r.str());
            } catch (const std::exception& e) {
                spdlog::warn("failed: {}: {}: cannot delete {}: {}", scope, route_step, r.str(),
                             e.what());
            }
        }
        for (const auto& p : leaks.proxies) {
            try {
                nl.delete_proxy_neighbour(p);
                log_repair(scope, proxy_step, "deleted proxy " + p.ip + " dev " + p.dev);
            } catch (const std::exception& e) {
                spdlog::warn("failed: {}: {}: cannot delete proxy {} dev {}: {}", scope, proxy_step,
                             p.ip, p.dev, e.what());
            }
        }
    }
}

// ---- the periodic pass ----------------------------------------------------------------------

class Watcher {
  public:
    Watcher(const Config& cfg, const FlowOptions& opts, const StopSignals& stop)
        : cfg_(cfg), opts_(opts), stop_(stop) {}

    void pass() {
        ++passes_;
        Seams seams(cfg_);  // fresh each pass: no connection or cache outlives a failure
        Ctx ctx{cfg_, opts_, seams};
        Report report;
        StepRunner runner(report, false);
        runner.run(arp_guard_step(ctx, all_vips(cfg_)));
        for (const auto& [ctid, ct] : cfg_.containers) {
            if (stop_.requested()) break;
            auto v = std::make_shared<CtView>(ctx, ct);
            try {
                pass_ct(ctx, runner, v);
            } catch (const std::exception& e) {
                runner.note({v->scope(), "watch pass", Status::failed, e.what(), ""});
            }
        }
        log_outcomes(report);
    }

  private:
    void pass_ct(Ctx& ctx, StepRunner& runner, const std::shared_ptr<CtView>& v) {
        const CtStatus& st = v->status();
        if (!st.exists || !st.running) {
            spdlog::debug(
                "{}: {}: skipped this pass", v->scope(),
                st.exists ? "not running (the mount hook acts at its start)" : "no such container");
            return;
        }
        // Only what provision set up is kept up: a CT not (or no longer) provisioned is left
        // alone, so watch never undoes a deprovision or jumps ahead of a provision.
        const CtConfig conf = v->conf();
        for (const auto& vip : v->vips) {
            if (!conf.has_ip(vip)) {
                spdlog::debug("{}: VIP {} not in IP_ADDRESS (not provisioned): skipped", v->scope(),
                              vip);
                return;
            }
        }
        std::optional<CtLock> lock;
        try {
            lock.emplace(cfg_.node.state_dir, v->ct.ctid, kLockWait);
        } catch (const BusyError& e) {
            spdlog::debug("{}: busy, retried at the next pass: {}", v->scope(), e.what());
            return;
        }
        for (const auto& s : ct_host_cleanup_steps(ctx, v)) runner.run(s);
        if (!runner.run(ct_inside_step(ctx, v))) return;  // never register what cannot serve
        for (const auto& s : register_steps(ctx, v, true)) runner.run(s);
    }

    void log_outcomes(const Report& report) {
        int repaired = 0, failed = 0;
        for (const auto& o : report.outcomes()) {
            const std::string key = o.scope + "\t" + o.name;
            switch (o.status) {
                case Status::changed:
                    ++repaired;
                    failing_.erase(key);
                    log_repair(o.scope, o.name, o.detail);
                    break;
                case Status::pending:
                    spdlog::info("pending: {}: {}: {}{}", o.scope, o.name, o.detail,
                                 o.fix.empty() ? "" : "; fix: " + o.fix);
                    break;
                case Status::failed: {
                    ++failed;
                    // A lasting failure is logged once at warning level, then only when it
                    // changes: the journal must not fill up at every pass.
                    auto it = failing_.find(key);
                    const bool repeat = it != failing_.end() && it->second == o.detail;
                    spdlog::log(repeat ? spdlog::level::debug : spdlog::level::warn,
                                "failed: {}: {}: {}{}", o.scope, o.name, o.detail,
                                o.fix.empty() ? "" : "; fix: " + o.fix);
                    failing_[key] = o.detail;
                    break;
                }
                default:
                    if (failing_.erase(key))
                        spdlog::info("recovered: {}: {}: {}", o.scope, o.name, o.detail);
                    break;
            }
        }
        spdlog::debug("pass {} done: {} repaired, {} failed", passes_, repaired, failed);
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

std::string render_watch_unit(const std::string& vzlvs, const std::string& config) {
    for (const std::string* p : {&vzlvs, &config}) {
        const bool ok = !p->empty() && p->front() == '/' &&
                        p->find_first_not_of(
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789/._+@-") == std::string::npos;
        if (!ok)
            throw UsageError("cannot write " + *p +
                             " into a systemd unit: use an absolute path of letters, digits "
                             "and / . _ + @ - only");
    }
    return render_template("templates/vzlvs-watch.service", {{"VZLVS", vzlvs}, {"CONFIG", config}});
}

int run_watch(const Config& cfg, const FlowOptions& opts, const WatchOptions& wopts) {
    if (opts.dry_run)
        throw UsageError(
            "watch changes what drifts as it happens; for a read-only look use "
            "`vzlvs check`");
    const std::vector<OwnedVip> vips = owned_vips(cfg);
    if (vips.empty())
        throw UsageError("nothing to watch: " + cfg.source.string() +
                         " has no [container] section with a service");
    if (wopts.interval.count() <= 0) throw UsageError("--interval must be positive");

    StopSignals stop;
    Watcher watcher(cfg, opts, stop);
    spdlog::info(
        "watching {} VIP(s) of {} container(s): leaked routes are removed as they "
        "appear, a full pass runs every {}",
        vips.size(), cfg.containers.size(), validate::format_duration(wopts.interval));

    bool subscribed_logged = false;
    std::unique_ptr<Netlink> nl;  // kept while it works; remade after an error
    auto on_event = [&]() {
        if (!subscribed_logged) {
            // Only now is the subscription live: from here on nothing is missed.
            spdlog::info("subscribed to route and neighbour events");
            subscribed_logged = true;
        }
        if (!nl) nl = make_netlink();
        sweep(*nl, cfg.node.venet, vips);
        return false;  // never done: only the deadline or a signal ends the wait
    };

    auto next_pass = clock::now();
    while (!stop.requested()) {
        if (clock::now() >= next_pass) {
            watcher.pass();
            next_pass = clock::now() + wopts.interval;
            continue;  // re-check the signal before waiting
        }
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(next_pass - clock::now());
        try {
            // A new subscription per interval: its initial dump also catches what appeared
            // during the pass, and an overrun inside it is resolved by a re-dump.
            watch_routes_and_neighbours("", left, on_event, stop.fd());
        } catch (const std::exception& e) {
            nl.reset();
            spdlog::error("route watch failed: {}; leaked routes are removed at the next pass",
                          e.what());
            stop.wait_until(next_pass);
        }
    }
    spdlog::info("stopped ({})", stop.name());
    return 0;
}

}  // namespace vzlvs
