#include "vzlvs/base/addr.hpp"

namespace vzlvs {

namespace {

// A decimal number without leading zeros, at most `max`.
std::optional<unsigned> decimal(std::string_view s, unsigned max) {
    if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > max) return std::nullopt;
    return v;
}

}  // namespace

std::optional<uint32_t> parse_ipv4(std::string_view text) {
    uint32_t value = 0;
    for (int i = 0; i < 4; ++i) {
        const std::size_t dot = text.find('.');
        if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
        const auto octet = decimal(text.substr(0, dot), 255);
        if (!octet) return std::nullopt;
        value = (value << 8) | *octet;
        text = i < 3 ? text.substr(dot + 1) : std::string_view();
    }
    return value;
}

std::string format_ipv4(uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." +
           std::to_string((a >> 8) & 0xff) + "." + std::to_string(a & 0xff);
}

std::optional<Ipv4Prefix> parse_ipv4_prefix(std::string_view text) {
    const std::size_t slash = text.find('/');
    const auto addr = parse_ipv4(text.substr(0, slash));
    if (!addr) return std::nullopt;
    if (slash == std::string_view::npos) return Ipv4Prefix{*addr, 32};
    const auto len = decimal(text.substr(slash + 1), 32);
    if (!len) return std::nullopt;
    return Ipv4Prefix{*addr, *len};
}

bool is_interface_name(std::string_view name) {
    if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
    for (char c : name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

}  // namespace vzlvs
