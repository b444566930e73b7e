#include "vzlvs/director_host/fleet.hpp"

#include <map>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

Fleet fleet_of(const std::vector<EtcdKv>& kvs, const EtcdKeys& keys, int64_t revision) {
    Fleet f;
    f.revision = revision;
    std::vector<std::pair<EtcdKeys::Parsed, const EtcdKv*>> backends;
    for (const auto& kv : kvs) {
        const auto p = keys.parse(kv.key);
        try {
            if (p.kind == EtcdKeys::Parsed::Kind::service)
                f.services[p.service].service = parse_service(kv.key, kv.value);
            else if (p.kind == EtcdKeys::Parsed::Kind::backend)
                backends.emplace_back(p, &kv);
        } catch (const Error& e) {
            f.ignored.push_back(e.what());
        }
    }
    // keepalived refuses a whole file that defines one virtual server twice: the first
    // service (in key order) keeps VIP:port/protocol.
    std::map<std::string, std::string> address_of;
    for (auto it = f.services.begin(); it != f.services.end();) {
        const StoredService& s = it->second.service;
        const std::string addr = s.vip + ":" + std::to_string(s.port) + "/" + s.protocol;
        const auto [first, fresh] = address_of.emplace(addr, it->first);
        if (fresh) {
            ++it;
            continue;
        }
        f.ignored.push_back("etcd " + keys.service(it->first) + ": " + addr + " is service " +
                            first->second + "'s already");
        it = f.services.erase(it);
    }
    // After every service: a backend's key may sort before its service's.
    std::map<std::string, std::string> real_server_of;  // "SERVICE\tHOST:PORT" -> backend ID
    for (const auto& [p, kv] : backends) {
        const auto s = f.services.find(p.service);
        if (s == f.services.end()) {
            f.ignored.push_back("etcd " + kv->key + ": no service " + p.service);
            continue;
        }
        try {
            StoredBackend b = parse_backend(kv->key, kv->value);
            if (b.method != s->second.service.method) {
                f.ignored.push_back("etcd " + kv->key + ": method " + b.method + ", service " +
                                    p.service + " is " + s->second.service.method);
                continue;
            }
            // Nor may one virtual server hold one real server twice (looked up, not searched:
            // a service of 10,000 backends would cost 10,000² comparisons).
            const std::string rs = b.host + ":" + std::to_string(b.port);
            const auto [holder, fresh] = real_server_of.emplace(p.service + "\t" + rs, p.backend);
            if (!fresh) {
                f.ignored.push_back("etcd " + kv->key + ": " + rs + " is backend " +
                                    holder->second + "'s already");
                continue;
            }
            s->second.backends[p.backend] = std::move(b);
        } catch (const Error& e) {
            f.ignored.push_back(e.what());
        }
    }
    return f;
}

Fleet read_fleet(EtcdClient& etcd, const EtcdKeys& keys) {
    // Services and backends at one revision; not the directors' applied entries, which
    // outnumber the backends.
    const auto r = etcd.get_prefixes({keys.services(), keys.backends()});
    return fleet_of(r.kvs, keys, r.revision);
}

}  // namespace vzlvs
