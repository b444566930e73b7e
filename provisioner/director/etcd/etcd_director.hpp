// The etcd dialect of the director seam (docs/director-api.md): services and backends put in
// the etcd layout (vzlvs/director/etcd_layout.hpp), backends on the node's lease, and each
// director's acknowledgement read back from its `applied` entries.
#pragma once

#include <memory>

#include "vzlvs/config/config.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs {

std::unique_ptr<Director> make_etcd_director(const Config&);

}  // namespace vzlvs
