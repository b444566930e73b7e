// The director API dialects, one row each: `[director] api = WORD` picks the row. A dialect
// lives in its own folder and depends on nothing here but the Director seam.
#include "director/gorb/gorb.hpp"
#include "vzlvs/director/director.hpp"

namespace vzlvs {

const std::vector<DirectorDialect>& director_dialects() {
    static const std::vector<DirectorDialect> dialects = {
        // gorb's REST API (docs/director-api.md)
        {"gorb", [](const DirectorConfig& d) { return make_gorb_director(d); }},
    };
    return dialects;
}

}  // namespace vzlvs
