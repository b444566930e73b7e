#include "vzlvs/commands/director_host.hpp"

#include <spdlog/spdlog.h>

#include <memory>

#include "commands/syslog.hpp"
#include "vzlvs/base/signals.hpp"
#include "vzlvs/director/etcd.hpp"
#include "vzlvs/director_host/ipvs_apply.hpp"
#include "vzlvs/director_host/keepalived.hpp"
#include "vzlvs/director_host/sync.hpp"

namespace vzlvs {

int run_director_host(const Config& cfg) {
    if (cfg.director.api != "etcd" || cfg.director.endpoints.empty())
        throw UsageError(
            "vzlvs director converges from etcd: set api = etcd and endpoints = "
            "in [director] of " +
            cfg.source.string());
    if (!cfg.director_host.present)
        throw UsageError(cfg.source.string() +
                         " has no [director_host] section: it says how this director applies "
                         "the fleet (apply = keepalived, keepalived_conf = ...)");
    EtcdClient etcd(etcd_settings(cfg.director));
    // One applier per [director_host] apply word.
    std::unique_ptr<Ipvs> ipvs;
    std::unique_ptr<Applier> apply;
    if (cfg.director_host.apply == "ipvs") {
        ipvs = make_ipvs();
        apply = std::make_unique<IpvsApply>(*ipvs, cfg.node.state_dir / "ipvs-services");
    } else {
        apply = std::make_unique<KeepalivedApply>(cfg.director_host.keepalived_conf,
                                                  cfg.director_host.keepalived_pid_file,
                                                  cfg.director_host.min_reload_interval);
    }
    DirectorSync sync(cfg, etcd, *apply);
    if (!stderr_is_journal()) also_log_to_syslog(*spdlog::default_logger());
    StopSignals stop;
    spdlog::info("director {}: converging {} from etcd {} (prefix {})", sync.name(),
                 cfg.director_host.apply == "ipvs" ? std::string("IPVS")
                                                   : cfg.director_host.keepalived_conf.string(),
                 cfg.director.endpoints.front(), cfg.director.prefix);
    sync.run([&stop] { return stop.requested(); });
    try {
        sync.revoke();
    } catch (const std::exception& e) {
        spdlog::warn("director {}: lease not revoked ({}); it expires on its own", sync.name(),
                     e.what());
    }
    spdlog::info("stopped ({}); keepalived keeps what was applied", stop.name());
    return 0;
}

}  // namespace vzlvs
