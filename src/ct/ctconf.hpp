// Reads OpenVZ CT config files directly, the way vzctl's own parser does (no process spawned).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vzlvs {

struct CtConfig {
    bool exists = false;                   // <ctid>.conf is present
    std::vector<std::string> ip_address;   // IP_ADDRESS words, masks kept ("10.0.0.6/24")
    std::map<std::string, bool> features;  // FEATURES "ipip:on" → {"ipip", true}
    std::string ve_root;                   // $VEID expanded, trailing '/' stripped
    std::string ve_private;
    std::map<std::string, std::string> raw;  // every KEY=value, first one wins (CT over global)

    // True if IP_ADDRESS has `ip` (mask ignored).
    bool has_ip(const std::string& ip) const;
    // IP_ADDRESS entries without masks, in order.
    std::vector<std::string> ips() const;
};

// Parses one file's text with vzctl's line rules: `#` comments, KEY=value or KEY="value"
// (value up to the last quote), first key wins, repeated IP_ADDRESS lines accumulate.
std::map<std::string, std::string> parse_vz_conf_text(const std::string& text,
                                                      std::vector<std::string>* ip_lines = nullptr);

// Reads <conf_dir>/<ctid>.conf over the global vz.conf (global_conf may not exist).
CtConfig read_ct_config(const std::filesystem::path& conf_dir, const std::string& ctid,
                        const std::filesystem::path& global_conf);

}  // namespace vzlvs
