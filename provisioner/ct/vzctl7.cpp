// vzctl 7 specifics on top of the vzctl 4 driver. Sources (libvzctl and vzctl, branch
// vz7-u22) are cited where each rule is used; docs/openvz.md has them side by side.
#include "ct/vzctl7.hpp"

#include <unistd.h>

#include <cctype>

#include "ct/run_state.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/config/ctid.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// An ID vzctl 7 takes as a CT ID rather than a name (lib/env.c get_cid_uuid_pair): a number,
// or a UUID, which libvzctl writes in lower case (lib/util.c get_normalized_uuid).
bool looks_like_uuid(const std::string& s) {
    if (s.size() != 36) return false;
    for (size_t i = 0; i < s.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (s[i] == '-')) return false;
        if (!dash && !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
    }
    return true;
}

}  // namespace

int ve_layout(const fs::path& ve_private) {
    std::error_code ec;
    const fs::path link = ve_private / ".ve.layout";
    if (!fs::is_symlink(fs::symlink_status(link, ec))) return 0;
    const std::string target = fs::read_symlink(link, ec).string();
    if (ec || target.empty() || target.size() > 3) return 0;
    for (char c : target)
        if (c < '0' || c > '9') return 0;
    return std::stoi(target);
}

std::string Vzctl7::vz_id(const std::string& ctid) {
    return remember("id\t" + ctid, [&] { return resolve_id(ctid); });
}

std::string Vzctl7::resolve_id(const std::string& ctid) {
    if (!check_legacy_ctid(ctid).empty() && looks_like_uuid(ctid)) return lower(ctid);
    std::error_code ec;
    // vzctl 7 tries the ID first, then /etc/vz/names/NAME (lib/vz.c vzctl2_get_envid_by_name).
    if (fs::exists(setup().conf_dir / (ctid + ".conf"), ec)) return ctid;
    const fs::path names = names_dir() / ctid;
    if (!fs::exists(names, ec)) return ctid;
    // The link's target is the CT's config: its NAME must be this name, its VEID the ID.
    const auto text = read_file(names);
    if (!text) return ctid;
    auto values = parse_vz_conf_text(text->substr(0, 1 << 20), nullptr, ConfRules::vzctl7);
    auto name = values.find("NAME");
    auto veid = values.find("VEID");
    if (name == values.end() || name->second != ctid || veid == values.end()) return ctid;
    const std::string id = looks_like_uuid(veid->second) ? lower(veid->second) : veid->second;
    if (!check_ctid(id).empty()) return ctid;
    return id;
}

CtConfig Vzctl7::config(const std::string& ctid) { return config_of_id(vz_id(ctid)); }

CtConfig Vzctl7::config_of_id(const std::string& id) { return read_config(id, ConfRules::vzctl7); }

std::vector<std::string> Vzctl7::containers() {
    // A CT is a <ctid>.conf in /etc/vz/conf, a link to $VE_PRIVATE/ve.conf (lib/env.c
    // vzctl2_env_register); its ID is a number or a UUID.
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(setup().conf_dir, ec)) {
        if (e.path().extension() != ".conf") continue;
        const std::string id = e.path().stem().string();
        if (check_legacy_ctid(id).empty() || looks_like_uuid(id)) out.push_back(id);
    }
    return out;
}

fs::path Vzctl7::action_script(const std::string& ctid, const std::string& action) {
    if (!check_ctid(ctid).empty())
        throw UsageError("cannot find the action scripts of container: " + check_ctid(ctid));
    // lib/util.c get_action_script_path: $VE_PRIVATE/scripts/ACTION for layout 4 and later
    // (and an unknown layout), /etc/vz/conf/CTID.ACTION for the old simfs layouts.
    const std::string id = vz_id(ctid);
    const CtConfig c = config_of_id(id);
    if (c.ve_private.empty())
        throw Error("container " + ctid + ": VE_PRIVATE is not set in " +
                    (setup().conf_dir / (id + ".conf")).string() +
                    " or vz.conf, so vzctl 7 has no place for its action scripts");
    const int layout = std::stoi(
        remember("layout\t" + id, [&] { return std::to_string(ve_layout(c.ve_private)); }));
    if (layout == 0 || layout >= 4) return fs::path(c.ve_private) / "scripts" / action;
    return setup().conf_dir / (id + "." + action);
}

std::optional<pid_t> Vzctl7::ct_process(const std::string& ctid) {
    return ct_init_pid(setup().runtime_root, vz_id(ctid));
}

std::optional<bool> Vzctl7::recorded_running(const std::string& id) {
    return ve_state_running(setup().runtime_root, id);
}

RunResult Vzctl7::run(const CtChange& change) {
    if (change.kind != CtChange::Kind::set_features) return Vzctl::run(change);
    try {
        return Vzctl::run(change);
    } catch (const VzctlError& e) {
        // lib/env.c check_setmode: "Unable to set features for the running Container", exit
        // 32; vzctl's ACTION_SET still saves with --save. Saved is what set_features means.
        if (e.code() != static_cast<int>(VzctlCode::already_running)) throw;
        const CtConfig c = config(change.ctid);
        for (const auto& [name, on] : parse_feature_list(change.arg)) {
            auto it = c.features.find(name);
            if (it == c.features.end() || it->second != on) throw;
        }
        RunResult saved;
        saved.exit_code = 0;
        saved.err = e.stderr_text();
        return saved;
    }
}

}  // namespace vzlvs
