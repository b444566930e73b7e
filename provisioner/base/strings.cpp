#include "vzlvs/base/strings.hpp"

#include <cctype>

#include "vzlvs/base/error.hpp"

namespace vzlvs {

std::string join(const std::vector<std::string>& items, const std::string& sep) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : sep) + item;
    return out;
}

std::string format_duration(std::chrono::milliseconds d) {
    long long ms = d.count();
    if (ms > 0 && ms % (3600 * 1000) == 0) return std::to_string(ms / (3600 * 1000)) + "h";
    if (ms > 0 && ms % (60 * 1000) == 0) return std::to_string(ms / (60 * 1000)) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

std::string printable(const std::string& text, std::size_t max, bool lines) {
    std::string out;
    for (unsigned char c : text.substr(0, max)) {
        const bool keep = c == '\t' || (lines && c == '\n');
        out += (c < 0x20 && !keep) || c == 0x7f ? '?' : static_cast<char>(c);
    }
    if (text.size() > max) out += "…";
    return out;
}

unsigned long parse_unsigned(const std::string& text, const std::string& what, unsigned long max) {
    bool digits = !text.empty() && text.size() <= 20;
    unsigned long long v = 0;
    for (char c : text) {
        if (c < '0' || c > '9' || !digits) {
            digits = false;
            break;
        }
        v = v * 10 + static_cast<unsigned>(c - '0');
        if (v > max) digits = false;
    }
    if (!digits)
        throw Error(what + ": \"" + printable(text, 40) + "\" is not a number from 0 to " +
                    std::to_string(max));
    return static_cast<unsigned long>(v);
}

std::string trim(const std::string& s, const char* blanks) {
    const auto b = s.find_first_not_of(blanks);
    if (b == std::string::npos) return "";
    return s.substr(b, s.find_last_not_of(blanks) - b + 1);
}

std::optional<std::string> unescape_bytes(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c != '\\') {
            out.push_back(c);
            continue;
        }
        if (++i == text.size()) return std::nullopt;
        switch (text[i]) {
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case '\\':
                out.push_back('\\');
                break;
            case 'x': {
                if (i + 2 >= text.size()) return std::nullopt;
                const char h = text[i + 1], l = text[i + 2];
                if (!std::isxdigit(static_cast<unsigned char>(h)) ||
                    !std::isxdigit(static_cast<unsigned char>(l)))
                    return std::nullopt;
                out.push_back(static_cast<char>(std::stoi(std::string{h, l}, nullptr, 16)));
                i += 2;
                break;
            }
            default:
                return std::nullopt;
        }
    }
    return out;
}

}  // namespace vzlvs
