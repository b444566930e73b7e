// Reads OpenVZ CT config files directly, the way vzctl's own parser does (no process spawned).
// vzctl 4 and vzctl 7 parse the same files differently (docs/openvz.md, "Config files").
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vzlvs {

// Whose parser: vzctl 4.x (src/lib/util.c parse_line: first KEY= wins, IP_ADDRESS lines
// accumulate) or libvzctl 7 (lib/common.c parse_line, lib/config.c add_conf_data: the last
// KEY= wins, a `#` word starts a comment, VE_PRIVATE keeps a trailing '/').
enum class ConfRules { vzctl4, vzctl7 };

struct CtConfig {
    bool exists = false;                   // <ctid>.conf is present
    std::vector<std::string> ip_address;   // IP_ADDRESS words, masks kept ("10.0.0.6/24")
    std::map<std::string, bool> features;  // FEATURES "ipip:on" → {"ipip", true}
    std::string ve_root;                   // $VEID expanded, trailing '/' stripped
    std::string ve_private;
    std::map<std::string, std::string> raw;  // every KEY=value as vzctl takes it (CT over global)

    // True if IP_ADDRESS has `ip` (mask ignored).
    bool has_ip(const std::string& ip) const;
    // IP_ADDRESS entries without masks, in order.
    std::vector<std::string> ips() const;
    // FEATURES has `name:on`.
    bool feature_on(const std::string& name) const;
    // A --features list: the CT's features with `name` set. All of them, because vzctl 7
    // replaces FEATURES with the command's list (libvzctl lib/env_config.c: the saved value
    // is features_mask2str of the command's features), where vzctl 4 merges.
    std::string features_with(const std::string& name, bool on) const;
};

// A FEATURES value or a --features list ("ipip:on nfs:off", "ipip:on,sit:off"): space, tab and
// comma separate; items that are not name:on|off are skipped, as vzctl skips them.
std::map<std::string, bool> parse_feature_list(const std::string& list);

// Parses one file's text with vzctl's line rules. vzctl4: `#` comments, KEY=value or
// KEY="value" (value up to the last quote), first key wins, repeated IP_ADDRESS lines
// accumulate (in ip_lines). vzctl7: see ConfRules; ip_lines gets the one line that counts.
std::map<std::string, std::string> parse_vz_conf_text(const std::string& text,
                                                      std::vector<std::string>* ip_lines = nullptr,
                                                      ConfRules rules = ConfRules::vzctl4);

// Reads <conf_dir>/<ctid>.conf over the global vz.conf (global_conf may not exist).
CtConfig read_ct_config(const std::filesystem::path& conf_dir, const std::string& ctid,
                        const std::filesystem::path& global_conf,
                        ConfRules rules = ConfRules::vzctl4);

}  // namespace vzlvs
