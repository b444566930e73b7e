// The vzctl 7 driver (OpenVZ 7: vzctl 7 on libvzctl 7, branch vz7-u22) of the
// container-manager seam. It runs vzctl as the vzctl 4 driver does (same argv, exit codes,
// exec2 quoting, lock retries) and differs where OpenVZ 7 does (docs/openvz.md):
// - CTs may be named: /etc/vz/names/NAME links to the CT's config, whose VEID= is its ID;
// - action scripts live in $VE_PRIVATE/scripts/ (layout 4 and later), not /etc/vz/conf;
// - configs are read with libvzctl 7's rules (the last KEY= wins);
// - `set --features` on a running CT exits 32 and applies nothing, yet saves with --save:
//   run() reports that as the saved change it is, after reading the config back.
#pragma once

#include "ct/vzctl.hpp"

namespace vzlvs {

class Vzctl7 : public Vzctl {
  public:
    using Vzctl::Vzctl;

    std::string flavour() const override { return with_origin("vzctl 7 (OpenVZ 7)"); }
    bool features_need_restart_mode() const override { return true; }
    std::string vz_id(const std::string& ctid) override;
    CtConfig config(const std::string& ctid) override;
    std::vector<std::string> containers() override;
    std::filesystem::path action_script(const std::string& ctid,
                                        const std::string& action) override;
    RunResult run(const CtChange& change) override;
    // The CT's init, from its pid file (ct/run_state.hpp ct_init_pid).
    std::optional<pid_t> ct_process(const std::string& ctid) override;

  protected:
    // The CT's ve cgroup state (ct/run_state.hpp).
    std::optional<bool> recorded_running(const std::string& id) override;

  private:
    CtConfig config_of_id(const std::string& id);  // id: already resolved by vz_id()
    std::string resolve_id(const std::string& ctid);
};

// The CT layout version vzctl 7 reads from the `$VE_PRIVATE/.ve.layout` symlink (libvzctl
// lib/vz.c vzctl2_env_layout_version): its target, a number; 0 when there is none.
int ve_layout(const std::filesystem::path& ve_private);

}  // namespace vzlvs
