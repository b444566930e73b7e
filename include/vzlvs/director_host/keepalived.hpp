// `apply = keepalived`: the fleet as keepalived virtual_server blocks in one include file that
// vzlvs owns (the operator's keepalived.conf includes it and stays theirs), and a reload only
// when the text changed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "vzlvs/director_host/applier.hpp"
#include "vzlvs/director_host/fleet.hpp"

namespace vzlvs {

// The include file's text: one virtual_server per service, one real_server per backend, the
// same text for the same fleet (no revision or time in it, so that nothing else reloads).
std::string render_keepalived(const Fleet& fleet);

class KeepalivedApply final : public Applier {
  public:
    KeepalivedApply(std::filesystem::path conf, std::filesystem::path pid_file,
                    std::chrono::milliseconds min_reload_interval);

    // Writes the text (atomically) when it differs from the file's, then has keepalived
    // reload it, no sooner than min_reload_interval after the last reload (the wait is
    // injectable for tests). Returns whether keepalived was asked to reload; throws Error when
    // the file cannot be written or keepalived cannot be signalled (not running: the file is
    // in place for its start, but nothing was applied).
    bool apply_text(const std::string& text,
                    const std::function<void(std::chrono::milliseconds)>& wait = {});
    // The fleet rendered (render_keepalived) and applied as above.
    bool apply(const Fleet& fleet) override { return apply_text(render_keepalived(fleet)); }
    std::string name() const override { return "keepalived"; }
    // Whether the file holds this text (written, and reloaded or about to be).
    bool holds(const std::string& text) const;
    unsigned reloads() const { return reloads_; }

  private:
    // keepalived's pid from its pid file, checked to be a running keepalived.
    pid_t keepalived_pid() const;

    std::filesystem::path conf_, pid_file_;
    std::chrono::milliseconds min_interval_;
    std::optional<std::chrono::steady_clock::time_point> last_reload_;
    bool reload_owed_ = false;  // written, but the reload failed: owed at the next apply
    unsigned reloads_ = 0;
};

}  // namespace vzlvs
