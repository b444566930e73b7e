// `vzlvs director`: the long-running director-side sync (docs/commands/director.md).
#pragma once

#include "vzlvs/config/config.hpp"

namespace vzlvs {

// Runs until SIGTERM or SIGINT, then revokes its lease (its applied entries go with it) and
// returns 0. Throws UsageError (exit 2) before doing anything for a config without
// `[director] api = etcd` or without a [director_host] section.
int run_director_host(const Config& cfg);

}  // namespace vzlvs
