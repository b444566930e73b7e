// vzlvs command line: parses arguments, loads and validates the configuration, and hands
// over to one flow. Exit codes: 0 ok, 1 failed, 2 usage/config error, 3 busy (docs/cli.md).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/version.hpp"
#include "vzlvs/base/error.hpp"
#include "vzlvs/base/signals.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/commands/director_host.hpp"
#include "vzlvs/commands/hook.hpp"
#include "vzlvs/commands/run.hpp"
#include "vzlvs/commands/watch.hpp"
#include "vzlvs/config/config.hpp"
#include "vzlvs/config/validate.hpp"

using namespace vzlvs;

namespace {

struct Args {
    std::string config = "/etc/vzlvs/vzlvs.conf";
    bool dry_run = false;
    bool json = false;
    int verbose = 0;
    bool quiet = false;
    std::vector<std::string> ctids;
    std::string hook_action;
    std::string last_good;
    bool features_off = false;
    bool example = false;
    std::string interval = "30s";
    bool install_watch = false;
    bool undo = false;
    bool all = false;
    bool probe = false;
    std::string probe_ctid;
    std::string probe_service;
    int lock_wait = 30;
    std::string unit_dir = "/etc/systemd/system";
    std::string metrics_file;
};

// The first word of the command line that is neither an option nor an option's value: what
// the user meant as the command.
std::string first_word(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-c" || arg == "--config" || arg == "--lock-wait") {
            ++i;
            continue;
        }
        if (!arg.empty() && arg[0] != '-') return arg;
    }
    return "";
}

void setup_logging(const Args& a) {
    auto logger = spdlog::stderr_color_mt("vzlvs");
    logger->set_pattern("vzlvs: %^%l%$: %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(a.quiet          ? spdlog::level::err
                      : a.verbose >= 2 ? spdlog::level::trace
                      : a.verbose == 1 ? spdlog::level::debug
                                       : spdlog::level::info);
}

int print_report(const Report& report, const std::string& command, const Args& a) {
    if (a.json)
        // A byte that is not UTF-8 and reached a detail unfiltered becomes U+FFFD: one
        // tenant's bytes must never cost the node its whole report.
        std::cout << report.json(command).dump(2, ' ', false,
                                               nlohmann::json::error_handler_t::replace)
                  << "\n";
    else if (!a.quiet || report.failed())
        std::cout << report.table(isatty(STDOUT_FILENO) != 0);
    return static_cast<int>(report.exit_code());
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    CLI::App app{
        "vzlvs: turns OpenVZ containers into LVS (IPVS) tunnel-mode real servers and registers\n"
        "them with the director. Every command converges: it reads the current state, changes\n"
        "only what differs, and reports ok / changed / failed for each step."};
    app.set_version_flag("--version", [] { return version_text(); });
    app.add_option("-c,--config", a.config, "configuration file")->capture_default_str();
    app.add_flag("--dry-run", a.dry_run, "print the plan; change nothing");
    app.add_flag("--json", a.json, "machine-readable output (docs/json-output.md)");
    app.add_flag("-v,--verbose", a.verbose, "more log output (repeat for more)");
    app.add_flag("-q,--quiet", a.quiet, "only errors");
    app.add_option("--lock-wait", a.lock_wait,
                   "seconds to wait for a container's lock held by another vzlvs (then exit 3)")
        ->capture_default_str()
        ->check(CLI::Range(0, 3600));
    app.require_subcommand(1);
    // Global options are accepted after the command too (`vzlvs check --json`).
    app.fallthrough();

    auto* bootstrap =
        app.add_subcommand("bootstrap", "one-shot node setup (ipip, rp_filter, checks)");
    bootstrap->add_flag("--install-watch", a.install_watch,
                        "also install and start the vzlvs-watch systemd service");
    bootstrap->add_option("--unit-dir", a.unit_dir, "where the unit goes")->capture_default_str();
    bootstrap
        ->add_flag("--undo", a.undo,
                   "take back what bootstrap persisted, the ARP guard and the watch unit "
                   "(once no container is provisioned)")
        ->excludes("--install-watch");
    auto* provision = app.add_subcommand("provision", "make containers LVS-TUN real servers");
    provision->add_option("CTID", a.ctids, "containers (default: every configured one)");
    auto* deprovision = app.add_subcommand("deprovision", "undo provision for containers");
    auto* dep_ctids = deprovision->add_option("CTID", a.ctids, "containers");
    auto* dep_all =
        deprovision->add_flag("--all", a.all, "every configured container (before uninstalling)");
    dep_ctids->excludes(dep_all);
    deprovision->add_flag("--features-off", a.features_off, "also turn the ipip feature off");
    auto* check = app.add_subcommand("check", "verify the node and containers (read-only)");
    check->add_option("CTID", a.ctids, "containers (default: every configured one)");
    check->add_flag("--probe", a.probe,
                    "also reach each service through the tunnel, as the director does");
    check->add_option("--metrics-file", a.metrics_file,
                      "also write the result as Prometheus metrics (node_exporter textfile)");
    auto* probe = app.add_subcommand(
        "probe", "reach a container's service through the tunnel, as the director does (exit 0/1)");
    probe->add_option("CTID", a.probe_ctid, "the container")->required();
    probe->add_option("SERVICE", a.probe_service, "the service (default: each of the CT's)");
    auto* hook = app.add_subcommand("hook", "run by vzctl's CTID.mount / CTID.umount scripts");
    hook->add_option("ACTION", a.hook_action, "mount or umount")
        ->required()
        ->check(CLI::IsMember({"mount", "umount"}));
    hook->add_option("--last-good", a.last_good,
                     "the configuration to use when -c does not load (provision writes it)");
    auto* reg = app.add_subcommand("register", "register containers' backends with the director");
    reg->add_option("CTID", a.ctids, "containers")->required();
    auto* drain = app.add_subcommand("drain", "set containers' backends to weight 0");
    drain->add_option("CTID", a.ctids, "containers")->required();
    auto* dereg = app.add_subcommand("deregister", "drain, then remove containers' backends");
    dereg->add_option("CTID", a.ctids, "containers")->required();
    auto* config = app.add_subcommand("config", "print the effective configuration");
    config->add_flag("--example", a.example, "print the built-in example configuration instead");
    auto* watch = app.add_subcommand("watch", "keep the node and containers converged (daemon)");
    watch->add_option("--interval", a.interval, "time between full passes (ms, s, m, h)")
        ->capture_default_str();
    auto* director = app.add_subcommand(
        "director", "on an LVS director: apply the backends in etcd to keepalived (daemon)");
    auto* version = app.add_subcommand("version", "print the version");

    try {
        app.parse(argc, argv);
        if (*deprovision && a.ctids.empty() && !a.all)
            throw CLI::ValidationError("deprovision",
                                       "name the containers (CTID...) or give --all");
    } catch (const CLI::ParseError& e) {
        if (app.get_subcommands().empty())
            if (const std::string word = first_word(argc, argv); !word.empty()) {
                std::vector<std::string> names;
                for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
                std::cerr << "vzlvs: unknown command `" << word << "`"
                          << validate::suggestion(word, names) << " (commands: " << join(names)
                          << "; vzlvs --help)\n";
                return static_cast<int>(Exit::usage);
            }
        int rc = app.exit(e);
        return rc == 0 ? 0 : static_cast<int>(Exit::usage);
    }
    setup_logging(a);

    try {
        if (*version) {
            std::cout << version_text();
            return 0;
        }
        if (*config && a.example) {
            std::cout << example_config();
            return 0;
        }
        if (*config) {
            std::cout << render_config(load_config(a.config));
            return 0;
        }
        // Everything past this point asks vzctl, netlink or the ARP guard, all root's: say so
        // rather than let the first of them fail with its own words.
        if (::geteuid() != 0)
            throw UsageError("vzlvs " + app.get_subcommands().front()->get_name() +
                             " must run as root (it drives vzctl, netlink and the ARP guard); "
                             "`vzlvs config` and `vzlvs version` do not need it");
        FlowOptions opts;
        opts.dry_run = a.dry_run;
        opts.features_off = a.features_off;
        opts.config_path = a.config;
        opts.self = argv[0];
        opts.install_watch = a.install_watch;
        opts.undo = a.undo;
        opts.probe = a.probe;
        opts.probe_service = a.probe_service;
        opts.lock_wait = std::chrono::seconds(a.lock_wait);
        opts.unit_dir = a.unit_dir;
        // A hook never lets vzlvs's own config stop a container (it falls back, or lets it be).
        if (*hook) return run_hook_command(a.config, a.last_good, opts, a.hook_action);
        // Validated as a whole before anything touches the system. watch, which runs
        // unattended, warns about keys it does not know; everything else refuses them.
        std::vector<ConfigProblem> warnings;
        Config cfg = load_config(
            a.config, *watch || *director ? UnknownKeys::warn : UnknownKeys::refuse, &warnings);
        for (const auto& w : warnings) spdlog::warn("{}", w.str());
        if (*watch) return run_watch(cfg, opts, parse_watch_options(a.interval));
        if (*director) return run_director_host(cfg);

        if (*probe) a.ctids = {a.probe_ctid};
        end_children_with_vzlvs_on_signals();
        std::string name = app.get_subcommands().front()->get_name();
        if (a.all)
            for (const auto& [ctid, _] : cfg.containers) a.ctids.push_back(ctid);
        if (a.metrics_file.empty())
            return print_report(run_command(cfg, opts, name, a.ctids), name, a);
        Seams seams(cfg);
        Report report = run_command(cfg, opts, name, a.ctids, seams);
        write_check_metrics(cfg, report, seams, a.metrics_file);
        return print_report(report, name, a);
    } catch (const Error& e) {
        spdlog::error("{}", e.what());
        return static_cast<int>(e.exit());
    } catch (const std::exception& e) {
        spdlog::error("internal error: {}", e.what());
        return static_cast<int>(Exit::failed);
    }
    (void)bootstrap, (void)provision, (void)deprovision, (void)check, (void)reg, (void)drain,
        (void)dereg, (void)probe;
}
