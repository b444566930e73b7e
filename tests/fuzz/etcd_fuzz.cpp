// libFuzzer target: what anyone with write access to the etcd prefix can put there, as a
// director reads it. Input: KEY NUL VALUE NUL KEY NUL VALUE ... The fleet is made, rendered for
// keepalived and planned for IPVS; only Error may come out of a parse, and the rendered text
// must hold nothing but vzlvs's own grammar (a value never becomes a keepalived line).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "vzlvs/director_host/fleet.hpp"
#include "vzlvs/director_host/ipvs_apply.hpp"
#include "vzlvs/director_host/keepalived.hpp"

namespace {

bool starts(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// Every line of the include file is one vzlvs writes: a comment, a block's head or end, or a
// known keyword with a value of digits, an address or a plain path.
bool ours(const std::string& line) {
    std::string t =
        line.substr(line.find_first_not_of(' ') == std::string::npos ? line.size()
                                                                     : line.find_first_not_of(' '));
    if (t.empty() || t[0] == '#' || t == "}") return true;
    for (const char* k : {"virtual_server ", "real_server ", "delay_loop ", "lb_algo ", "lb_kind ",
                          "protocol ", "weight ", "TCP_CHECK {", "HTTP_GET {", "url {", "path ",
                          "status_code ", "connect_timeout "})
        if (starts(t, k)) return t.find_first_of("\"\\!{") == std::string::npos || t.back() == '{';
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> parts;
    std::size_t at = 0;
    for (std::size_t nul; (nul = in.find('\0', at)) != std::string::npos; at = nul + 1)
        parts.push_back(in.substr(at, nul - at));
    parts.push_back(in.substr(at));
    std::vector<vzlvs::EtcdKv> kvs;
    for (std::size_t i = 0; i + 1 < parts.size(); i += 2)
        kvs.push_back({parts[i], parts[i + 1], 1, 1, 0});
    const vzlvs::EtcdKeys keys;
    const vzlvs::Fleet fleet = vzlvs::fleet_of(kvs, keys, 1);
    std::istringstream text(vzlvs::render_keepalived(fleet));
    for (std::string line; std::getline(text, line);)
        if (!ours(line)) std::abort();
    (void)vzlvs::ipvs_changes({}, fleet, {});
    return 0;
}
