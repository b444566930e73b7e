// What one run knows about one container. Observations are cached for the run and dropped
// when a step changes the container (changed()): a converged run reads each CT's config once
// and its in-CT state once.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "vzlvs/world/ctx.hpp"

namespace vzlvs {

class CtView {
  public:
    CtView(Ctx& ctx, const ContainerConfig& ct);
    const ContainerConfig& ct;
    const std::vector<std::string> vips;
    std::string scope() const { return "ct " + ct.ctid; }
    const CtConfig& conf();      // the CT's config, read from its files
    const std::string& vz_id();  // the ID vzctl knows it by (a CT name resolved), cached
    const CtStatus& status();    // from the container manager
    // In-CT observation; requires running. One that timed out is not made again for this view
    // (one run, one watch pass): each later call throws the same TimedOut at once.
    const CtNetState& net();
    // A step changed the container: what it and the node showed may differ now.
    void changed();
    // Another process may have changed the container (read again under its lock): its own
    // reads and its config and state go. The node's tables and the in-CT state read ahead for
    // the run (CtNet::read_ahead) stay, since a step that finds them wrong looks again
    // (StepRunner::confirm_fresh calls changed()) and rereading them per CT costs N².
    void reread();
    void set_net(CtNetState s) { net_ = std::move(s); }

  private:
    void drop_own_reads();  // conf, status, in-CT state
    Ctx& ctx_;
    std::optional<CtConfig> conf_;
    std::optional<CtStatus> status_;
    std::optional<std::string> vz_id_;
    std::optional<CtNetState> net_;
    std::exception_ptr stuck_;  // the in-CT observation that timed out
};

}  // namespace vzlvs
