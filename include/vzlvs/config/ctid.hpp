// What a container ID may be: the one home of that rule, for the config file, the container
// drivers (an ID becomes a file name and a vzctl argument) and the listing of a node's CTs.
#pragma once

#include <string>

namespace vzlvs {

// A legacy OpenVZ ID: decimal 2..2147483647, no leading zero (0 and 1 are the host's).
// Returns "" when acceptable, else the reason.
std::string check_legacy_ctid(const std::string& ctid);

// A legacy ID, or an OpenVZ 7 name/UUID: 1..64 of [A-Za-z0-9-], starting with a letter or
// digit. Safe as a file name and as one argv word. Returns "" when acceptable, else the reason.
std::string check_ctid(const std::string& ctid);

inline bool is_ctid(const std::string& ctid) { return check_ctid(ctid).empty(); }

}  // namespace vzlvs
