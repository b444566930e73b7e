#include "steps/hook_scripts.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "base/embedded.hpp"
#include "base/files.hpp"
#include "base/shell.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

namespace {

constexpr const char* kBlockId = "lvs-tun";

// The start script is fed to the CT's shell; the others are executed on the node.
bool exec_by_host(const std::string& action) { return action != "start"; }

}  // namespace

std::string hook_block(Ctx& ctx, const std::string& action) {
    return render_template("hooks/" + action + ".block",
                           {{"VZLVS", shell_quote(self_path(ctx.opts))},
                            {"CONFIG", shell_quote(fs::absolute(ctx.opts.config_path).string())}});
}

Step hook_script_step(Ctx& ctx, std::shared_ptr<CtView> v, const std::string& action,
                      std::string body, const std::string& why) {
    const fs::path path = ctx.seams.containers().action_script(v->ct.ctid, action);
    const bool host = exec_by_host(action);
    Step s{v->scope(), "hook " + path.filename().string(), "vzlvs provision " + v->ct.ctid};
    s.observe = [path, body, host, why]() {
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
                return Observation::holds_if(!has, has ? "vzlvs block present" : "no vzlvs block",
                                             "remove the vzlvs block from " + path.string());
            },
            [path, header]() {
                remove_block_from_file(path, kBlockId, header);
                return Applied::changed("removed the vzlvs block from " + path.string());
            }};
}

}  // namespace vzlvs
