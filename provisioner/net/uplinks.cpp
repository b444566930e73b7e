#include "vzlvs/net/uplinks.hpp"

namespace vzlvs {

std::vector<std::string> select_uplinks(const std::vector<UplinkCandidate>& links) {
    std::vector<std::string> out;
    for (const auto& l : links) {
        if (!l.up || l.loopback || l.slave || l.noarp || !l.has_global_addr) continue;
        if (l.name.rfind("veth", 0) == 0) continue;  // CT veth pairs are not the LAN
        out.push_back(l.name);
    }
    return out;
}

}  // namespace vzlvs
