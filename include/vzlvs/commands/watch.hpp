// `vzlvs watch`: a long-running reconciler (docs/commands/watch.md). A netlink subscription
// removes a leaked VIP route (and the proxy entries with it) the moment it appears; a periodic
// pass restores the ARP guard, re-applies tunl0/VIP/rp_filter inside running containers and
// re-registers backends the director lost. Every repair is logged to stderr as
// `repaired: <scope>: <step>: <detail>`.
#pragma once

#include <chrono>
#include <string>

#include "vzlvs/world/ctx.hpp"

namespace vzlvs {

struct WatchOptions {
    std::chrono::milliseconds interval{std::chrono::seconds(30)};  // between periodic passes
};

// `--interval 30s` (the config file's duration syntax: ms, s, m, h, bare seconds). Throws
// UsageError for anything else.
WatchOptions parse_watch_options(const std::string& interval);

// Runs until SIGTERM or SIGINT, then returns 0. Throws UsageError (exit 2) before doing
// anything when the configuration gives it nothing to watch or --dry-run is set.
int run_watch(const Config& cfg, const FlowOptions& opts, const WatchOptions& wopts);

}  // namespace vzlvs
