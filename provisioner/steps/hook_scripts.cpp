#include "steps/hook_scripts.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "vzlvs/base/embedded.hpp"
#include "vzlvs/base/files.hpp"
#include "vzlvs/base/shell.hpp"
#include "vzlvs/steps/last_good.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBlockId = "lvs-tun";

// The start script is fed to the CT's shell; the others are executed on the node.
bool exec_by_host(const std::string& action) { return action != "start"; }

// Why vzlvs must not edit `path`, when it is shared with other containers: the operator's
// habit of linking every CT's script to one common file would make the blocks (each with its
// own CT's VIPs) overwrite each other, and deprovision of one CT remove another's. "" when
// the file is the CT's own (or missing).
std::string shared(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return "";
    if (S_ISLNK(st.st_mode)) {
        std::error_code ec;
        return path.string() + " is a symlink to " + fs::read_symlink(path, ec).string();
    }
    if (S_ISREG(st.st_mode) && st.st_nlink > 1)
        return path.string() + " has " + std::to_string(st.st_nlink) + " hard links";
    return "";
}

// Applies never edit a shared file, whatever the observation said.
void refuse_shared(const fs::path& path) {
    if (const std::string sh = shared(path); !sh.empty())
        throw Error(sh + ": refused, it is shared with other containers");
}

std::string unshare_fix(const fs::path& path) {
    return "give the container a file of its own: cp --remove-destination \"$(readlink -f " +
           path.string() + ")\" " + path.string() +
           " (vzlvs writes a block with this CT's VIPs; a file shared by several CTs would get "
           "each one's block in turn)";
}

}  // namespace

std::string hook_block(Ctx& ctx, const std::string& action) {
    return render_template("hooks/" + action + ".block",
                           {{"VZLVS", shell_quote(self_path(ctx.opts))},
                            {"CONFIG", shell_quote(fs::absolute(ctx.opts.config_path).string())},
                            {"LAST_GOOD", shell_quote(last_good_config_path(ctx.cfg).string())}});
}

Step hook_script_step(Ctx& ctx, std::shared_ptr<CtView> v, const std::string& action,
                      std::string body, const std::string& why) {
    const fs::path path = ctx.seams.containers().action_script(v->ct.ctid, action);
    const bool host = exec_by_host(action);
    Step s{v->scope(), "hook " + path.filename().string(), "vzlvs provision " + v->ct.ctid};
    s.observe = [path, body, host, why]() {
        if (const std::string sh = shared(path); !sh.empty()) {
            Observation o =
                Observation::fails(sh + ": refused, it is shared with other containers");
            o.fix = unshare_fix(path);
            return o;
        }
        auto text = read_file(path);
        auto block = text ? find_block(*text, kBlockId) : std::nullopt;
        struct stat st {};
        bool exec_ok = !host || (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IXUSR) &&
                                 text->rfind("#!", 0) == 0);
        const bool ok = block && *block == body && exec_ok;
        return Observation::holds_if(
            ok,
            ok               ? path.string() + " (" + why + ")"
            : !text          ? path.string() + " missing"
            : !block         ? path.string() + " has no vzlvs block"
            : *block != body ? path.string() + " has an outdated vzlvs block"
                             : path.string() + " is not executable with a #! line",
            "write the vzlvs block in " + path.string() + " (" + why + ")");
    };
    s.apply = [path, body, host]() {
        refuse_shared(path);
        fs::create_directories(path.parent_path());  // vzctl 7: $VE_PRIVATE/scripts
        // First in the script: a user's script may end in `exit 0` (the field report's does).
        ensure_block_in_file(path, kBlockId, body, host ? 0755 : 0644, host ? "#!/bin/sh\n" : "",
                             Placement::top);
        if (host) {
            struct stat st {};
            if (::stat(path.c_str(), &st) == 0 && !(st.st_mode & S_IXUSR))
                fs::permissions(
                    path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                    fs::perm_options::add);
        }
        return Applied::changed("wrote " + path.string());
    };
    return s;
}

Step remove_hook_step(Ctx& ctx, std::shared_ptr<CtView> v, const std::string& action) {
    const fs::path path = ctx.seams.containers().action_script(v->ct.ctid, action);
    const std::string header = exec_by_host(action) ? "#!/bin/sh\n" : "";
    return {v->scope(), "hook " + path.filename().string(), "",
            [path]() {
                auto text = read_file(path);
                bool has = text && find_block(*text, kBlockId);
                if (const std::string sh = shared(path); has && !sh.empty()) {
                    Observation o = Observation::fails(
                        sh +
                        ": its vzlvs block is left alone, the file is shared with other "
                        "containers");
                    o.fix = unshare_fix(path);
                    return o;
                }
                return Observation::holds_if(!has, has ? "vzlvs block present" : "no vzlvs block",
                                             "remove the vzlvs block from " + path.string());
            },
            [path, header]() {
                refuse_shared(path);
                remove_block_from_file(path, kBlockId, header);
                return Applied::changed("removed the vzlvs block from " + path.string());
            }};
}

}  // namespace vzlvs
