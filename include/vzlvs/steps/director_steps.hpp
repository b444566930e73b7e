// Director steps: one per (container, service) backend. Registration happens only once the
// container is verified to serve the VIP (a backend the director sends traffic to but that
// cannot answer looks healthy to its checks: the article's "healthy but no traffic").
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

// The real-server address: configured, else the CT's first venet IP that is not a VIP.
std::string real_server_address(Ctx& ctx, CtView& v);

// `vzlvs drain` and `deregister` hold a backend out (a marker under state_dir) until
// `vzlvs register`, so provision, the mount hook and watch do not put it straight back.
std::filesystem::path operator_hold_path(Ctx& ctx, const std::string& ctid);
void set_operator_hold(Ctx& ctx, const std::string& ctid, bool hold);

// A deprovision that began (a marker under state_dir, set before the backend leaves the
// director) and did not finish. Until deprovision completes, or the operator takes the CT back
// with `vzlvs provision` or `vzlvs register`, nothing brings it back on its own: registration
// holds it out, and watch and the hook worker leave it alone (steps/repair.hpp).
bool deprovision_unfinished(Ctx& ctx, const std::string& ctid);
void set_deprovision_unfinished(Ctx& ctx, const std::string& ctid, bool unfinished);
// check: fails while such a marker is there, naming both ways out.
Step deprovision_finished_step(Ctx& ctx, std::shared_ptr<CtView> v);

// check: registrations that expire unless renewed (api = etcd: the node's lease, which only a
// running `vzlvs watch` keeps alive) are alive. None for a director whose do not expire.
std::vector<Step> registration_lease_steps(Ctx& ctx);

// require_verified: apply refuses while the CT does not serve the VIP (in-CT problems).
std::vector<Step> register_steps(Ctx& ctx, std::shared_ptr<CtView> v, bool require_verified);
std::vector<Step> drain_steps(Ctx& ctx, std::shared_ptr<CtView> v);
std::vector<Step> deregister_steps(Ctx& ctx, std::shared_ptr<CtView> v);

}  // namespace vzlvs
