#include "vzlvs/config/validate.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "vzlvs/base/addr.hpp"
#include "vzlvs/base/strings.hpp"

namespace vzlvs::validate {
namespace {

std::string quote(const std::string& v) { return "\"" + v + "\""; }

bool all_digits(const std::string& v) {
    return !v.empty() &&
           std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool printable_no_space(const std::string& v) {
    return std::all_of(v.begin(), v.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string host_part(const std::string& host) {
    if (host.empty()) return "has no host";
    if (host.front() == '[') {
        if (host.back() != ']') return "has an IPv6 host without the closing ]";
        in6_addr a6{};
        std::string inner = host.substr(1, host.size() - 2);
        if (inet_pton(AF_INET6, inner.c_str(), &a6) != 1) {
            return "has " + quote(inner) + " in brackets, which is not an IPv6 address";
        }
        return "";
    }
    bool ok = std::all_of(host.begin(), host.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_';
    });
    if (!ok || host.front() == '.' || host.front() == '-' || host.find("..") != std::string::npos) {
        return "has host " + quote(host) +
               ", which is neither a DNS name (letters, digits, '-', '.') nor an IPv4 address";
    }
    return "";
}

}  // namespace

std::string name_token(const std::string& v) {
    const char* allowed =
        "; allowed: 1 to 63 of A-Z a-z 0-9 . _ -, starting with a letter or digit (the name "
        "ends up in backend IDs and URLs)";
    if (v.empty()) return std::string("is empty") + allowed;
    if (v.size() > 63)
        return quote(v) + " is " + std::to_string(v.size()) + " characters" + allowed;
    if (std::isalnum(static_cast<unsigned char>(v[0])) == 0) {
        return quote(v) + " does not start with a letter or digit" + allowed;
    }
    for (unsigned char c : v) {
        if (std::isalnum(c) == 0 && c != '.' && c != '_' && c != '-') {
            const std::string what = c > 0x20 && c < 0x7f    ? quote(std::string(1, c))
                                     : c == ' ' || c == '\t' ? "a blank"
                                     : c >= 0x80             ? "a non-ASCII character"
                                                             : "a control character";
            return quote(v) + " contains " + what + allowed;
        }
    }
    return "";
}

std::string absolute_path(const std::string& v) {
    if (v.empty() || v[0] != '/') {
        return quote(v) + " is not an absolute path; write it starting with /";
    }
    if (v.size() > 4095) return "path is longer than 4095 characters (PATH_MAX)";
    for (unsigned char c : v) {
        if (c < 0x20 || c == 0x7f) return quote(v) + " contains a control character";
    }
    std::size_t pos = 0;
    while (pos <= v.size()) {
        std::size_t slash = v.find('/', pos);
        std::string part =
            v.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        if (part == "..") {
            return quote(v) + " contains a \"..\" component; write the path without it";
        }
        if (slash == std::string::npos) break;
        pos = slash + 1;
    }
    return "";
}

std::string interface_name(const std::string& v) {
    if (is_interface_name(v)) return "";
    const std::string allowed = std::string("; allowed: ") + kInterfaceNameRule;
    if (v.empty()) return "interface name is empty" + allowed;
    if (v.size() > 15)
        return quote(v) + " is " + std::to_string(v.size()) +
               " characters; Linux interface names are at most 15" + allowed;
    return quote(v) + " is not a valid interface name" + allowed;
}

std::string ipv4(const std::string& v) {
    if (!parse_ipv4(v)) {
        return quote(v) +
               " is not a dotted IPv4 address; write four decimal numbers 0-255 without leading "
               "zeros, e.g. 192.0.2.10";
    }
    return "";
}

std::string unicast_ipv4(const std::string& v) {
    const auto a = parse_ipv4(v);
    if (!a) return ipv4(v);
    const unsigned o[4] = {*a >> 24, (*a >> 16) & 0xff, (*a >> 8) & 0xff, *a & 0xff};
    const char* allowed = "; use a unicast address such as 192.0.2.10";
    if (o[0] == 0 && o[1] == 0 && o[2] == 0 && o[3] == 0) {
        return v + " is the unspecified address" + allowed;
    }
    if (o[0] == 127) return v + " is a loopback address (127.0.0.0/8)" + allowed;
    if (o[0] == 169 && o[1] == 254)
        return v + " is a link-local address (169.254.0.0/16), never routed" + allowed;
    if (o[0] >= 240 && !(o[0] == 255 && o[1] == 255 && o[2] == 255 && o[3] == 255))
        return v + " is in the reserved 240.0.0.0/4" + allowed;
    if (o[0] >= 224 && o[0] <= 239) return v + " is a multicast address (224.0.0.0/4)" + allowed;
    if (o[0] == 255 && o[1] == 255 && o[2] == 255 && o[3] == 255) {
        return v + " is the broadcast address" + allowed;
    }
    return "";
}

std::string integer(const std::string& v, long lo, long hi, long* out) {
    std::string range = std::to_string(lo) + " to " + std::to_string(hi);
    if (!all_digits(v)) return quote(v) + " is not a whole number; allowed: " + range;
    // "080": octal to some readers, decimal to others; neither is what the user should rely on.
    if (v.size() > 1 && v[0] == '0')
        return v + " has a leading zero; write it without (allowed: " + range + ")";
    if (v.size() > 10 || std::stol(v) < lo || std::stol(v) > hi) {
        return v + " is out of range; allowed: " + range;
    }
    *out = std::stol(v);
    return "";
}

std::string duration(const std::string& v, std::chrono::milliseconds* out) {
    const std::string allowed =
        "; write <n>ms, <n>s, <n>m, <n>h or a bare number of seconds, e.g. 500ms, 5s, 2m";
    std::size_t digits = 0;
    while (digits < v.size() && std::isdigit(static_cast<unsigned char>(v[digits])) != 0) {
        ++digits;
    }
    std::string number = v.substr(0, digits), unit = v.substr(digits);
    long long scale = 0;
    if (unit.empty() || unit == "s") scale = 1000;
    if (unit == "ms") scale = 1;
    if (unit == "m") scale = 60 * 1000;
    if (unit == "h") scale = 3600 * 1000;
    if (number.empty() || scale == 0) return quote(v) + " is not a duration" + allowed;
    if (number.size() > 9) return quote(v) + " is too long; the longest accepted is 24h";
    long long ms = std::stoll(number) * scale;
    if (ms <= 0) return quote(v) + " is not positive" + allowed;
    if (ms > 24LL * 3600 * 1000) return quote(v) + " is too long; the longest accepted is 24h";
    *out = std::chrono::milliseconds(ms);
    return "";
}

std::string etcd_prefix(const std::string& v) {
    const char* form = "; expected /NAME[/NAME...] of A-Za-z0-9._- (e.g. /vzlvs), no trailing /";
    if (v.size() < 2 || v.size() > 64 || v[0] != '/' || v.back() == '/' ||
        v.find("//") != std::string::npos ||
        v.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-/") !=
            std::string::npos)
        return quote(v) + " is not a key prefix" + form;
    for (const char* dots : {"/./", "/../"})
        if ((v + "/").find(dots) != std::string::npos)
            return quote(v) + " has a . or .. part" + form;
    return "";
}

std::string director_url(const std::string& v, std::string* normalized) {
    const char* form = "; expected http[s]://HOST[:PORT][/PATH], e.g. http://192.0.2.1:4672";
    std::string rest;
    if (v.rfind("http://", 0) == 0) {
        rest = v.substr(7);
    } else if (v.rfind("https://", 0) == 0) {
        rest = v.substr(8);
    } else {
        return quote(v) + " does not start with http:// or https://" + form;
    }
    if (!printable_no_space(v)) return quote(v) + " contains a blank or control character" + form;
    if (v.find_first_of("?#") != std::string::npos) {
        return quote(v) +
               " has a query or fragment; only a path prefix is allowed, because the director "
               "API paths are appended to it" +
               form;
    }
    std::size_t slash = rest.find('/');
    std::string authority = rest.substr(0, slash);
    std::string path = slash == std::string::npos ? "" : rest.substr(slash);
    if (authority.find('@') != std::string::npos) {
        return "the URL carries user:password@; credentials in URLs end up in logs and process "
               "lists: put the token in token_file instead" +
               std::string(form);
    }
    std::string host = authority;
    std::size_t colon = authority.rfind(':');
    if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
        host = authority.substr(0, colon);
        long port = 0;
        std::string why = integer(authority.substr(colon + 1), 1, 65535, &port);
        if (!why.empty()) return quote(v) + " has a bad port: " + why;
    }
    std::string why = host_part(host);
    if (!why.empty()) return quote(v) + " " + why + form;
    std::string norm = v;
    while (!path.empty() && path.back() == '/') {
        path.pop_back();
        norm.pop_back();
    }
    *normalized = norm;
    return "";
}

std::string http_path(const std::string& v) {
    if (v.empty() || v[0] != '/') {
        return quote(v) + " does not start with /; write an absolute request path, e.g. /health";
    }
    if (!printable_no_space(v)) {
        return quote(v) +
               " contains a blank or control character; allowed: printable ASCII "
               "without spaces (percent-encode others)";
    }
    return "";
}

std::string one_of(const std::string& v, const std::vector<std::string>& allowed) {
    if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()) return "";
    return quote(v) + " is not allowed; allowed: " + join(allowed) + suggestion(v, allowed);
}

std::string suggestion(const std::string& given, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(given, c);
        // A one-letter name is "close" to everything short: demand real overlap.
        if (d < best_distance && d < std::max(given.size(), c.size())) {
            best = c;
            best_distance = d;
        }
    }
    return best.empty() || best == given ? "" : "; did you mean `" + best + "`?";
}

}  // namespace vzlvs::validate
