// CT config reader with vzctl's own line rules (vzctl 4.x src/lib/util.c parse_line and
// subst_VEID; libvzctl 7 lib/common.c parse_line, lib/config.c, lib/util.c subst_VEID), so
// vzlvs sees what vzctl sees without spawning it.
#include "vzlvs/ct/ctconf.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vzlvs/base/error.hpp"
#include "vzlvs/config/ctid.hpp"

namespace vzlvs {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// vzctl drops each backslash and keeps the character after it literally.
std::string unescape(const std::string& s) {
    std::string out;
    bool escaped = false;
    for (char c : s) {
        if (c == '\\' && !escaped) {
            escaped = true;
            continue;
        }
        out += c;
        escaped = false;
    }
    return out;
}

// One line as vzctl 4.x's parse_line sees it; false for blank, comment, '='-less and
// unmatched-quote lines (vzctl warns about the last two and ignores them).
bool parse_line(const std::string& raw, std::string& key, std::string& value) {
    std::string line = unescape(raw);
    size_t start = 0;
    while (start < line.size() && is_space(line[start])) ++start;
    if (start == line.size() || line[start] == '#') return false;
    size_t end = line.size();
    while (end > start && is_space(line[end - 1])) --end;
    size_t eq = line.find('=', start);
    if (eq == std::string::npos || eq >= end) return false;
    key = line.substr(start, eq - start);
    size_t vstart = eq + 1;
    if (vstart >= end || line[vstart] != '"') {
        value = line.substr(vstart, end - vstart);
        return true;
    }
    // Quoted: the value runs to the last '"' on the line, so inner quotes are kept.
    size_t close = line.rfind('"', end - 1);
    if (close == vstart) return false;
    value = line.substr(vstart + 1, close - vstart - 1);
    return true;
}

// libvzctl 7's uncommentstr: a `#` that starts a word outside quotes ends the line.
std::string uncomment7(const std::string& s) {
    bool in_single = false, in_double = false, word_start = true;
    for (size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (in_single && c != '\'') continue;
        if (in_double && c != '"') continue;
        if (c == '\'') {
            in_single = !in_single;
            word_start = false;
        } else if (c == '"') {
            in_double = !in_double;
            word_start = false;
        } else if (c == '#') {
            if (word_start) return s.substr(0, i);
        } else {
            word_start = is_space(c);
        }
    }
    return s;
}

// One line as libvzctl 7's parse_line sees it: unescaped and uncommented, a quote ending
// the line dropped, the value everything after '=' but one opening quote.
bool parse_line7(const std::string& raw, std::string& key, std::string& value) {
    std::string line = uncomment7(unescape(raw));
    size_t start = 0;
    while (start < line.size() && is_space(line[start])) ++start;
    if (start == line.size() || line[start] == '#') return false;
    size_t end = line.size();
    while (end > start && is_space(line[end - 1])) --end;
    if (line[end - 1] == '"' || line[end - 1] == '\'') --end;
    size_t eq = line.find('=', start);
    if (eq == std::string::npos || eq >= end) return false;
    if (eq - start >= 4096) return false;  // ltoken's size
    key = line.substr(start, eq - start);
    size_t vstart = eq + 1;
    if (vstart < end && (line[vstart] == '"' || line[vstart] == '\'')) ++vstart;
    value = vstart < end ? line.substr(vstart, end - vstart) : "";
    return true;
}

// VE_ROOT/VE_PRIVATE only: trailing '/' dropped (vzctl 4 only), then the first $VEID (or else
// ${VEID}) replaced.
std::string subst_veid(std::string v, const std::string& ctid, ConfRules rules) {
    if (rules == ConfRules::vzctl4)
        while (v.size() > 1 && v.back() == '/') v.pop_back();
    for (const char* token : {"$VEID", "${VEID}"}) {
        auto pos = v.find(token);
        if (pos != std::string::npos) return v.replace(pos, std::strlen(token), ctid);
    }
    return v;
}

std::vector<std::string> split_any(const std::string& s, const char* separators) {
    std::vector<std::string> words;
    std::string cur;
    for (char c : s) {
        if (std::strchr(separators, c)) {
            if (!cur.empty()) words.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.empty()) words.push_back(cur);
    return words;
}

std::string strip_mask(const std::string& ip) { return ip.substr(0, ip.find('/')); }

struct ParsedFile {
    bool exists = false;
    std::map<std::string, std::string> values;
    std::vector<std::string> ip_lines;
};

ParsedFile read_file(const std::filesystem::path& path, const char* what, ConfRules rules) {
    ParsedFile f;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        if (ec && ec != std::errc::no_such_file_or_directory) {
            throw Error("cannot read " + std::string(what) + " " + path.string() + ": " +
                        ec.message());
        }
        return f;
    }
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw Error("cannot read " + std::string(what) + " " + path.string() +
                    ": it is not a regular file; move it away or replace it with the config");
    }
    std::ifstream in(path);
    if (!in) {
        throw Error("cannot read " + std::string(what) + " " + path.string() + ": " +
                    std::strerror(errno) + " (vzlvs must run as root to read OpenVZ configs)");
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        throw Error("cannot read " + std::string(what) + " " + path.string() + ": read error");
    }
    f.exists = true;
    f.values = parse_vz_conf_text(text.str(), &f.ip_lines, rules);
    return f;
}

}  // namespace

std::map<std::string, std::string> parse_vz_conf_text(const std::string& text,
                                                      std::vector<std::string>* ip_lines,
                                                      ConfRules rules) {
    std::map<std::string, std::string> values;
    std::istringstream in(text);
    std::string line, key, value;
    while (std::getline(in, line)) {
        if (rules == ConfRules::vzctl7) {
            if (!parse_line7(line, key, value)) continue;
            values[key] = value;  // add_conf_data updates: the last line wins
            continue;
        }
        if (!parse_line(line, key, value)) continue;
        if (key == "IP_ADDRESS" && ip_lines) ip_lines->push_back(value);
        values.emplace(key, value);  // emplace keeps the first: vzctl warns and ignores repeats
    }
    if (rules == ConfRules::vzctl7 && ip_lines) {
        ip_lines->clear();
        if (auto it = values.find("IP_ADDRESS"); it != values.end())
            ip_lines->push_back(it->second);
    }
    return values;
}

bool CtConfig::has_ip(const std::string& ip) const {
    const std::string want = strip_mask(ip);
    for (const auto& entry : ip_address) {
        if (strip_mask(entry) == want) return true;
    }
    return false;
}

std::map<std::string, bool> parse_feature_list(const std::string& list) {
    std::map<std::string, bool> features;
    for (const auto& item : split_any(list, " \t,")) {
        auto colon = item.find(':');
        if (colon == std::string::npos) continue;  // vzctl skips what it cannot parse
        std::string mode = item.substr(colon + 1);
        if (mode != "on" && mode != "off") continue;
        features[item.substr(0, colon)] = mode == "on";
    }
    return features;
}

bool CtConfig::feature_on(const std::string& name) const {
    auto it = features.find(name);
    return it != features.end() && it->second;
}

std::string CtConfig::features_with(const std::string& name, bool on) const {
    std::string out;
    for (const auto& [f, v] : features)
        if (f != name) out += f + (v ? ":on," : ":off,");
    return out + name + (on ? ":on" : ":off");
}

std::vector<std::string> CtConfig::ips() const {
    std::vector<std::string> out;
    for (const auto& entry : ip_address) out.push_back(strip_mask(entry));
    return out;
}

CtConfig read_ct_config(const std::filesystem::path& conf_dir, const std::string& ctid,
                        const std::filesystem::path& global_conf, ConfRules rules) {
    // The ID becomes a file name: refuse anything that could leave conf_dir.
    std::string why = check_ctid(ctid);
    if (!why.empty()) throw UsageError("cannot read the config of container: " + why);

    ParsedFile global = read_file(global_conf, "the global OpenVZ config", rules);
    ParsedFile ct = read_file(conf_dir / (ctid + ".conf"), "the container config", rules);
    if (rules == ConfRules::vzctl7) {
        // lib/config.c local_param_filter: these never come from the global config.
        for (const char* local : {"NETFILTER", "VEID", "UUID"}) global.values.erase(local);
    }

    CtConfig cfg;
    cfg.exists = ct.exists;
    cfg.raw = ct.values;
    for (const auto& kv : global.values) cfg.raw.emplace(kv);  // the CT file wins

    const auto& ip_lines = ct.ip_lines.empty() ? global.ip_lines : ct.ip_lines;
    for (const auto& line : ip_lines) {
        for (auto& word : split_any(line, " \t")) cfg.ip_address.push_back(word);
    }
    if (auto it = cfg.raw.find("FEATURES"); it != cfg.raw.end())
        cfg.features = parse_feature_list(it->second);
    if (auto it = cfg.raw.find("VE_ROOT"); it != cfg.raw.end()) {
        cfg.ve_root = subst_veid(it->second, ctid, rules);
    }
    if (auto it = cfg.raw.find("VE_PRIVATE"); it != cfg.raw.end()) {
        cfg.ve_private = subst_veid(it->second, ctid, rules);
    }
    return cfg;
}

}  // namespace vzlvs
