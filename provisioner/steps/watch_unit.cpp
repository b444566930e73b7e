#include "vzlvs/steps/watch_unit.hpp"

#include <filesystem>

#include "vzlvs/base/embedded.hpp"
#include "vzlvs/base/files.hpp"

namespace vzlvs {

namespace fs = std::filesystem;

std::string render_watch_unit(const std::string& vzlvs, const std::string& config) {
    for (const std::string* p : {&vzlvs, &config}) {
        const bool ok = !p->empty() && p->front() == '/' &&
                        p->find_first_not_of(
                            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                            "0123456789/._+@-") == std::string::npos;
        if (!ok)
            throw UsageError("cannot write " + *p +
                             " into a systemd unit: use an absolute path of letters, digits "
                             "and / . _ + @ - only");
    }
    return render_template("templates/vzlvs-watch.service", {{"VZLVS", vzlvs}, {"CONFIG", config}});
}

namespace {

constexpr const char* kUnitName = "vzlvs-watch.service";

// The two files vzlvs may write in unit_dir: a unit of its own, or a drop-in for the packaged one.
fs::path own_unit(const fs::path& unit_dir) { return unit_dir / kUnitName; }
fs::path config_dropin(const fs::path& unit_dir) {
    return unit_dir / (std::string(kUnitName) + ".d") / "vzlvs-config.conf";
}

// The template's first line: how a unit file vzlvs wrote is told from an operator's own.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

Step unit_file_step(const UnitFile& f, const std::string& ours) {
    const bool remove = !f.text;
    return {"node", remove ? "no watch unit in " + f.path.parent_path().string() : "watch unit",
            "vzlvs bootstrap --install-watch",
            [f, ours]() {
                auto now = read_file(f.path);
                if (!f.text) {
                    const bool leftover = now && first_line(*now) == ours;
                    return Observation::holds_if(
                        !leftover, leftover ? f.path.string() + " was written by vzlvs" : "none",
                        "remove " + f.path.string());
                }
                const bool ok = now && *now == *f.text;
                return Observation::holds_if(ok,
                                             f.path.string() + (ok    ? ""
                                                                : now ? " differs"
                                                                      : " missing"),
                                             "write " + f.path.string());
            },
            [f]() {
                if (!f.text) {
                    std::filesystem::remove(f.path);
                    return Applied::changed("removed " + f.path.string());
                }
                fs::create_directories(f.path.parent_path());
                atomic_write(f.path, *f.text, 0644);
                return Applied::changed("wrote " + f.path.string());
            }};
}

}  // namespace

std::filesystem::path packaged_unit_path(const std::string& vzlvs) {
    const fs::path sbin = fs::path(vzlvs).parent_path();
    return sbin.parent_path() / "lib/systemd/system" / kUnitName;
}

std::vector<UnitFile> watch_unit_files(const std::string& vzlvs, const std::string& config,
                                       const fs::path& unit_dir,
                                       const std::optional<std::string>& packaged_unit) {
    const std::string unit = render_watch_unit(vzlvs, config);
    const fs::path own = own_unit(unit_dir);
    const fs::path dropin = config_dropin(unit_dir);
    if (!packaged_unit) return {{own, unit}};
    if (*packaged_unit == unit) return {{own, std::nullopt}, {dropin, std::nullopt}};
    return {{own, std::nullopt},
            {dropin, "# " + first_line(unit).substr(2) +
                         "\n# Written by vzlvs bootstrap --install-watch: this node's "
                         "configuration file.\n[Service]\nExecStart=\nExecStart=" +
                         vzlvs + " -c " + config + " watch\n"}};
}

std::vector<Step> watch_unit_steps(Ctx& ctx) {
    const std::string self = self_path(ctx.opts);
    const std::string config = fs::absolute(ctx.opts.config_path).string();
    const std::string ours = first_line(render_watch_unit(self, config));
    std::vector<Step> steps;
    for (const auto& f :
         watch_unit_files(self, config, ctx.opts.unit_dir, read_file(packaged_unit_path(self))))
        steps.push_back(unit_file_step(f, ours));

    const std::vector<std::vector<std::string>> enable{
        {"systemctl", "daemon-reload"}, {"systemctl", "enable", "--now", "vzlvs-watch.service"}};
    Step service{"node", "watch service", describe_argv(enable.back()),
                 [&ctx]() {
                     if (!ctx.seams.node_system().runs_systemd())
                         return Observation::warn(
                             "systemd is not running here: start `vzlvs watch` from your init "
                             "system");
                     auto& run = ctx.seams.runner();
                     bool ok = run.run({"systemctl", "is-enabled", "vzlvs-watch.service"}).ok() &&
                               run.run({"systemctl", "is-active", "vzlvs-watch.service"}).ok();
                     return Observation::holds_if(
                         ok, ok ? "enabled, active" : "not enabled and running",
                         "systemctl daemon-reload; systemctl enable --now vzlvs-watch.service");
                 },
                 [&ctx, enable]() {
                     for (const auto& argv : enable) {
                         RunResult r = ctx.seams.runner().run(argv);
                         if (!r.ok()) throw Error(describe_argv(argv) + " failed: " + r.err);
                     }
                     return Applied::changed("enabled and started");
                 }};
    steps.push_back(service);
    return steps;
}

std::vector<Step> watch_unit_undo_steps(Ctx& ctx) {
    const std::string self = self_path(ctx.opts);
    const std::string config = fs::absolute(ctx.opts.config_path).string();
    const std::string ours = first_line(render_watch_unit(self, config));
    Step service{
        "node", "watch service stopped", "",
        [&ctx]() {
            if (!ctx.seams.node_system().runs_systemd())
                return Observation::skip("systemd is not running here");
            auto& run = ctx.seams.runner();
            const bool on = run.run({"systemctl", "is-enabled", "vzlvs-watch.service"}).ok() ||
                            run.run({"systemctl", "is-active", "vzlvs-watch.service"}).ok();
            return Observation::holds_if(!on, on ? "enabled or running" : "disabled, stopped",
                                         "systemctl disable --now vzlvs-watch.service");
        },
        [&ctx]() {
            const std::vector<std::string> argv{"systemctl", "disable", "--now",
                                                "vzlvs-watch.service"};
            RunResult r = ctx.seams.runner().run(argv);
            if (!r.ok()) throw Error(describe_argv(argv) + " failed: " + r.err);
            return Applied::changed("disabled and stopped");
        }};
    std::vector<Step> steps{service};
    // Only files vzlvs wrote (its first line): an operator's own override stays.
    for (const auto& path : {own_unit(ctx.opts.unit_dir), config_dropin(ctx.opts.unit_dir)})
        steps.push_back(unit_file_step({path, std::nullopt}, ours));
    return steps;
}

}  // namespace vzlvs
