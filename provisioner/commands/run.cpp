#include "vzlvs/commands/run.hpp"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <optional>

#include "commands/audit.hpp"
#include "commands/recipes.hpp"
#include "vzlvs/base/probe_cache.hpp"
#include "vzlvs/base/state_dir.hpp"
#include "vzlvs/base/strings.hpp"
#include "vzlvs/steps/preflight.hpp"

namespace vzlvs {

namespace {

struct Command {
    const char* name;
    void (*recipe)(Ctx&, StepRunner&, const Selection&);
    bool all_by_default;  // no CTID given: every configured container
    bool read_only;       // never changes anything, whatever the flags say
};

// One row per step command.
constexpr Command kCommands[] = {
    {"bootstrap", bootstrap, false, false},       {"provision", provision, true, false},
    {"deprovision", deprovision, false, false},   {"check", check, true, true},
    {"register", register_cts, false, false},     {"drain", drain_cts, false, false},
    {"deregister", deregister_cts, false, false}, {"probe", probe_cts, false, true},
};

const Command* find_command(const std::string& name) {
    auto it = std::find_if(std::begin(kCommands), std::end(kCommands),
                           [&](const Command& c) { return name == c.name; });
    return it == std::end(kCommands) ? nullptr : it;
}

Selection select(const Config& cfg, const std::vector<std::string>& ctids, bool all_by_default) {
    Selection out;
    if (ctids.empty() && all_by_default) {
        for (const auto& [_, ct] : cfg.containers) out.push_back(&ct);
        return out;
    }
    std::vector<std::string> unknown;
    for (const auto& id : ctids) {
        const ContainerConfig* ct = cfg.container(id);
        if (!ct)
            unknown.push_back(id);
        else
            out.push_back(ct);
    }
    if (!unknown.empty())
        throw UsageError("container(s) " + join(unknown) + " not in " + cfg.source.string() +
                         ": vzlvs manages only containers with a [container CTID] section");
    return out;
}

}  // namespace

void refuse_unusable_settings(const Config& cfg, const FlowOptions& opts, Seams& seams) {
    // Whatever can make a later step refuse is tried now, so that exit 2 keeps meaning
    // "nothing was changed": the state directory, the director's URL, token and CA file.
    if (!opts.dry_run || std::filesystem::exists(cfg.node.state_dir))
        ensure_private_dir(cfg.node.state_dir);
    seams.director();
}

void read_ahead(Ctx& ctx, const Selection& cts) {
    std::vector<std::string> ctids;
    for (const ContainerConfig* ct : cts) ctids.push_back(ct->ctid);
    ctx.seams.ct_net().read_ahead(ctids);
}

std::unique_ptr<CtLock> lock_ct(Ctx& ctx, StepRunner& r, const std::string& ctid) {
    try {
        return std::make_unique<CtLock>(ctx.cfg.node.state_dir, ctid, ctx.opts.lock_wait,
                                        !r.dry_run());
    } catch (const BusyError& e) {
        r.note({"ct " + ctid, "container lock", Status::failed, e.what(), "retry later"});
        r.mark_busy();
        return nullptr;
    }
}

Report run_command(const Config& cfg, const FlowOptions& opts, const std::string& command,
                   const std::vector<std::string>& ctids) {
    Seams seams(cfg);
    return run_command(cfg, opts, command, ctids, seams);
}

Report run_command(const Config& cfg, const FlowOptions& opts, const std::string& command,
                   const std::vector<std::string>& ctids, Seams& seams) {
    const Command* c = find_command(command);
    if (!c) throw UsageError("unknown command " + command);
    const Selection cts = select(cfg, ctids, c->all_by_default);
    if (!c->read_only) refuse_unusable_settings(cfg, opts, seams);
    Report report;
    std::optional<NoProbeCacheWrites> writes_nothing;
    if (opts.dry_run || c->read_only) writes_nothing.emplace();
    seams.cache_node_reads();
    Ctx ctx{cfg, opts, seams};
    refuse_vips_of_the_node(ctx);
    refuse_sections_of_one_ct(ctx);
    StepRunner runner(report, opts.dry_run || c->read_only);
    runner.after_apply([&seams] { seams.forget_node_reads(); });
    std::optional<AuditTrail> audit;
    if (!writes_nothing) audit.emplace(report, audit_command(command, ctids));
    c->recipe(ctx, runner, cts);
    audit.reset();
    return report;
}

}  // namespace vzlvs
