// libFuzzer target: what ct-net.sh prints comes from a container whose root may be hostile.
// Parsing it, and every message built from it, must fail only with vzlvs::Error.
#include <cstddef>
#include <cstdint>
#include <string>

#include "vzlvs/ct/ct_net.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string out(reinterpret_cast<const char*>(data), size);
    try {
        const vzlvs::CtNetState s = vzlvs::parse_ct_net_output(out);
        (void)s.problems({"192.0.2.10", "192.0.2.53"});
        (void)s.summary();
    } catch (const vzlvs::Error&) {
    }
    return 0;
}
