// libFuzzer target: the config parser must reject any text with a ConfigError, never crash,
// hang or read out of bounds (scripts/fuzz runs it on a sanitizer build).
#include <cstddef>
#include <cstdint>
#include <string>

#include "vzlvs/config/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        vzlvs::Config cfg = vzlvs::parse_config(text, "fuzz.conf");
        // What parses must render to a config that parses to the same thing.
        if (vzlvs::parse_config(vzlvs::render_config(cfg), "rendered.conf") != cfg)
            __builtin_trap();
    } catch (const vzlvs::UsageError&) {
    }
    return 0;
}
