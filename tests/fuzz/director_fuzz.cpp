// libFuzzer target: a director's replies, compared with what vzlvs wants. Input: a backend's
// GET reply, optionally followed by a NUL and the service's GET reply. Only GorbError
// (or UsageError) may come out.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "director/gorb/gorb.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string in(reinterpret_cast<const char*>(data), size);
    const auto nul = in.find('\0');
    const nlohmann::json backend = nlohmann::json::parse(in.substr(0, nul), nullptr, false);
    const nlohmann::json service = nul == std::string::npos
                                       ? nlohmann::json()
                                       : nlohmann::json::parse(in.substr(nul + 1), nullptr, false);
    vzlvs::BackendSpec b;
    b.service_id = "web";
    b.id = "node-101-web";
    b.host = "198.51.100.101";
    b.port = 80;
    b.weight = 10;
    const vzlvs::ServiceSpec s{"web", "192.0.2.10", 80, "tcp", "wrr"};
    try {
        if (backend.is_object())
            (void)vzlvs::gorb_backend_diff(backend, b, [&]() -> std::optional<nlohmann::json> {
                if (!service.is_object()) return std::nullopt;
                return service;
            });
        if (service.is_object()) (void)vzlvs::gorb_service_diff(service, s);
    } catch (const vzlvs::Error&) {
    }
    return 0;
}
