#include "vzlvs/steps/last_good.hpp"

#include "vzlvs/base/files.hpp"
#include "vzlvs/base/state_dir.hpp"

namespace vzlvs {

std::filesystem::path last_good_config_path(const Config& cfg) {
    return cfg.node.state_dir / "last-good.conf";
}

Step last_good_config_step(Ctx& ctx) {
    const std::filesystem::path path = last_good_config_path(ctx.cfg);
    const std::string text = "# Written by vzlvs from " + ctx.cfg.source.string() +
                             " when it last validated it: the hooks use this file while that "
                             "one does not load. Do not edit.\n" +
                             render_config(ctx.cfg);
    return {"node", "last validated config", "",
            [path, text]() {
                auto now = read_file(path);
                const bool ok = now && *now == text;
                return Observation::holds_if(
                    ok,
                    path.string() + (ok    ? ""
                                     : now ? " is older"
                                           : " missing"),
                    "write " + path.string() + " (what the hooks use if the config breaks)");
            },
            [path, text, &ctx]() {
                ensure_private_dir(ctx.cfg.node.state_dir);
                atomic_write(path, text, 0600);
                return Applied::changed("wrote " + path.string());
            }};
}

Step no_last_good_config_step(Ctx& ctx) {
    const std::filesystem::path path = last_good_config_path(ctx.cfg);
    return {"node", "no last validated config", "",
            [path]() {
                std::error_code ec;
                const bool there = std::filesystem::exists(path, ec);
                return Observation::holds_if(!there, there ? path.string() : "none",
                                             "remove " + path.string());
            },
            [path]() {
                std::filesystem::remove(path);
                return Applied::changed("removed " + path.string());
            }};
}

}  // namespace vzlvs
