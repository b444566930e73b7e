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

namespace {

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or 0.
std::size_t utf8_length(const std::string& s, std::size_t i) {
    const auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = at(0);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the second byte's range
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0) lo = 0xa0;
        if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0) lo = 0x90;
        if (c == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (i + n > s.size() || at(1) < lo || at(1) > hi) return 0;
    for (std::size_t k = 2; k < n; ++k)
        if (at(k) < 0x80 || at(k) > 0xbf) return 0;
    return n;
}

}  // namespace

std::string printable(const std::string& text, std::size_t max, bool lines) {
    const std::string cut = text.substr(0, max);
    std::string out;
    for (std::size_t i = 0; i < cut.size();) {
        const unsigned char c = static_cast<unsigned char>(cut[i]);
        if (c >= 0x80) {
            // Whole characters only: a byte that starts none becomes '?', so whatever is shown
            // is valid UTF-8 (a JSON report carries it as it is).
            const std::size_t n = utf8_length(cut, i);
            out += n ? cut.substr(i, n) : "?";
            i += n ? n : 1;
            continue;
        }
        const bool keep = c == '\t' || (lines && c == '\n');
        out += (c < 0x20 && !keep) || c == 0x7f ? '?' : static_cast<char>(c);
        ++i;
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
