// What a director should serve, as the etcd layout says at one revision: every service and the
// backends registered in it. Read whole (after a start, a lost watch, each burst of changes) so
// that a director never acts on half a picture.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "vzlvs/director/etcd.hpp"
#include "vzlvs/director/etcd_layout.hpp"

namespace vzlvs {

struct FleetService {
    StoredService service;
    std::map<std::string, StoredBackend> backends;  // by backend ID
};

struct Fleet {
    int64_t revision = 0;
    std::map<std::string, FleetService> services;  // by service ID
    // Entries that could not be used, each "KEY: why": logged, never fatal (anyone who may
    // write the prefix could put them there).
    std::vector<std::string> ignored;

    // The weight a director applies: 0 while draining.
    static int weight_of(const StoredBackend& b) { return b.state == "draining" ? 0 : b.weight; }
};

// One range read of services/ and backends/ at one revision.
Fleet read_fleet(EtcdClient& etcd, const EtcdKeys& keys);

// The same from key/value pairs, for tests and the fuzzer.
Fleet fleet_of(const std::vector<EtcdKv>& kvs, const EtcdKeys& keys, int64_t revision);

}  // namespace vzlvs
