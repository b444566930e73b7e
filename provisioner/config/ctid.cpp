#include "vzlvs/config/ctid.hpp"

namespace vzlvs {

namespace {

// Byte tests, not <cctype>: a signed char above 0x7f must not reach isdigit().
bool digit(char c) { return c >= '0' && c <= '9'; }
bool alnum(char c) { return digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool all_digits(const std::string& s) {
    for (char c : s)
        if (!digit(c)) return false;
    return !s.empty();
}

std::string quote(const std::string& v) { return "\"" + v + "\""; }

}  // namespace

std::string check_legacy_ctid(const std::string& v) {
    const char* range = "2..2147483647 without leading zeros";
    if (!all_digits(v))
        return quote(v) + " is not a CT ID: OpenVZ legacy CT IDs are numbers (" + range + ")";
    if (v.size() > 1 && v[0] == '0')
        return quote(v) + " has a leading zero: write CT IDs as vzctl does (" + range + ")";
    if (v.size() > 10 || std::stoull(v) > 2147483647ULL)
        return quote(v) + " is too large: OpenVZ CT IDs are " + range;
    if (v == "0" || v == "1")
        return "CT ID " + v + " is reserved by OpenVZ for the host; use " + range;
    return "";
}

std::string check_ctid(const std::string& v) {
    if (all_digits(v)) return check_legacy_ctid(v);
    bool name = !v.empty() && v.size() <= 64 && alnum(v[0]);
    for (char c : v) name = name && (alnum(c) || c == '-');
    if (name) return "";
    return quote(v) +
           " is not a CT ID: use a legacy numeric ID (2..2147483647) or an OpenVZ 7 name of "
           "1 to 64 letters, digits and '-', starting with a letter or digit";
}

}  // namespace vzlvs
