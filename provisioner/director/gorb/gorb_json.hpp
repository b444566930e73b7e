// The gorb dialect's JSON and URL helpers, shared by the client (gorb.cpp) and the reply
// comparison (gorb_diff.cpp). Private to director/.
#pragma once

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <type_traits>

#include "vzlvs/director/director.hpp"

namespace vzlvs::gorb {

using nlohmann::json;

// obj[key] as T; nullopt when absent, null or of another type.
template <typename T>
inline std::optional<T> field(const json& obj, const char* key) {
    if (!obj.is_object()) return std::nullopt;
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::nullopt;
    if constexpr (std::is_integral_v<T>) {
        // nlohmann converts 1e30 to an integer with undefined behaviour (it showed as
        // -9223372036854775808): a float must be whole and in range, or it is no value.
        if (it->is_number_float()) {
            const double d = it->get<double>();
            // max() + 1 is exact as a double; max() itself is not.
            const double above = 2.0 * (static_cast<double>(std::numeric_limits<T>::max() / 2) + 1);
            if (!(d >= static_cast<double>(std::numeric_limits<T>::min()) && d < above) ||
                d != std::floor(d))
                return std::nullopt;
            return static_cast<T>(d);
        }
    }
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        return std::nullopt;
    }
}

inline std::string service_path(const std::string& id) { return "/service/" + id; }
inline std::string backend_path(const BackendSpec& b) {
    return "/service/" + b.service_id + "/" + b.id;
}

inline std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// gorb treats "ipip" as a synonym of "tunnel".
inline std::string forwarding_method(const std::string& m) {
    const std::string l = lower(m);
    return l == "ipip" ? "tunnel" : l;
}

inline json pulse_json(const PulseSpec& p) {
    json j = {{"type", lower(p.type)}, {"interval", p.interval}};
    if (lower(p.type) == "http") j["args"] = {{"path", p.path}, {"expect", p.expect}};
    return j;
}

}  // namespace vzlvs::gorb
