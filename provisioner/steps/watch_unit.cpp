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

std::vector<Step> watch_unit_steps(Ctx& ctx) {
    const fs::path path = ctx.opts.unit_dir / "vzlvs-watch.service";
    const std::string unit =
        render_watch_unit(self_path(ctx.opts), fs::absolute(ctx.opts.config_path).string());
    Step file{"node", "watch unit", "vzlvs bootstrap --install-watch",
              [path, unit]() {
                  auto text = read_file(path);
                  bool ok = text && *text == unit;
                  return Observation::holds_if(ok,
                                               path.string() + (ok     ? ""
                                                                : text ? " differs"
                                                                       : " missing"),
                                               "write " + path.string());
              },
              [path, unit]() {
                  fs::create_directories(path.parent_path());
                  atomic_write(path, unit, 0644);
                  return Applied::changed("wrote " + path.string());
              }};

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
    return {file, service};
}

}  // namespace vzlvs
