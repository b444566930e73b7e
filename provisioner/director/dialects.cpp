// The director API dialects, one row each: `[director] api = WORD` picks the row. A dialect
// lives in its own folder and depends on nothing here but the Director seam.
#include "director/etcd/etcd_director.hpp"
#include "director/gorb/gorb.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs {

const std::vector<DirectorDialect>& director_dialects() {
    static const std::vector<DirectorDialect> dialects = {
        // gorb's REST API (docs/director-api.md)
        {"gorb", [](const Config& c) { return make_gorb_director(c.director); }},
        // etcd v3 through its JSON gateway: a store every director converges from
        {"etcd", [](const Config& c) { return make_etcd_director(c); }},
    };
    return dialects;
}

}  // namespace vzlvs
