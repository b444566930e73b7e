// Value checks for the config file. Each check returns an empty string when the value is
// acceptable, otherwise one sentence saying what was given and what is allowed: the caller
// adds file, line, section and key. Kept free of INI details so other parsers can reuse them.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace vzlvs::validate {

// The longest config line inih can hold without cutting it (INI_MAX_LINE 200 minus the NUL).
constexpr std::size_t kMaxLine = 199;

// Names that end up in backend IDs, URL paths and file names: [A-Za-z0-9][A-Za-z0-9._-]{0,62}.
std::string name_token(const std::string& v);
// Absolute, no ".." component, no control characters.
std::string absolute_path(const std::string& v);
// A Linux interface name as the kernel accepts it (dev_valid_name).
std::string interface_name(const std::string& v);
// Strict dotted quad: four decimal octets, no leading zeros, nothing else.
std::string ipv4(const std::string& v);
// ipv4() plus: usable as a service or container address (not 0.0.0.0, loopback, multicast,
// broadcast).
std::string unicast_ipv4(const std::string& v);
// Decimal integer in [lo, hi]; *out receives it.
std::string integer(const std::string& v, long lo, long hi, long* out);
// <n>ms, <n>s, <n>m, <n>h or bare seconds; positive and at most 24h.
std::string duration(const std::string& v, std::chrono::milliseconds* out);
// http:// or https:// with a host, optional port and path prefix; *normalized drops trailing '/'.
std::string director_url(const std::string& v, std::string* normalized);
// An etcd key prefix: /SEGMENT[/SEGMENT...] of A-Za-z0-9._-, at most 64 characters.
std::string etcd_prefix(const std::string& v);
// An absolute HTTP request path for health checks.
std::string http_path(const std::string& v);
// v must be one of allowed (exact match); the message lists them and suggests the nearest.
std::string one_of(const std::string& v, const std::vector<std::string>& allowed);

// "; did you mean `x`?" when one candidate is close to given, else "".
std::string suggestion(const std::string& given, const std::vector<std::string>& candidates);
}  // namespace vzlvs::validate
