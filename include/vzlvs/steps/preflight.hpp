// Preflight: what must hold before the node or a container is touched at all. A provision
// refuses every container before its first change when one of these fails.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vzlvs/steps/step.hpp"
#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

// Throws UsageError (exit 2) when a configured VIP is an address of this node, on any
// interface, or the gateway of one of its routes: the ARP guard for it would drop the node's
// own ARP and cut the node off the LAN (or from its gateway).
void refuse_vips_of_the_node(Ctx& ctx);

// Throws UsageError (exit 2) when two [container] sections name one CT (on OpenVZ 7 by its
// ID and by its name, say): they would take different locks and each undo the other.
void refuse_sections_of_one_ct(Ctx& ctx);

// Throws UsageError (exit 2) when a configured VIP is in the IP_ADDRESS of a CT that is not
// configured to serve it (another tenant's address): the ARP guard for it would drop that
// CT's ARP and cut it off the LAN. For the commands that guard every VIP of the config at
// once (bootstrap, watch); provision refuses per CT ("VIP held by no other CT").
void refuse_vips_of_other_cts(Ctx& ctx);

// bootstrap --undo removes the ARP guard: refused (UsageError, nothing changed) while a
// configured CT still has one of its VIPs in IP_ADDRESS.
void refuse_undo_while_provisioned(Ctx& ctx);

// The container exists on this node.
Step ct_exists_step(Ctx& ctx, std::shared_ptr<CtView> v);
// It keeps an address that is no VIP (`address`, or an IP_ADDRESS entry): the director
// tunnels to it, and neither provision nor deprovision may take a CT's only address.
Step ct_own_address_step(Ctx& ctx, std::shared_ptr<CtView> v);
// IP → the CTs of this node whose IP_ADDRESS has it. Read once per run, before any change:
// asking every other CT's config for every CT made a run grow with the square of the CTs.
using IpHolders = std::map<std::string, std::vector<std::string>>;
IpHolders read_ip_holders(Ctx& ctx);

// Provision's preflight: exists, "VIP held by no other CT" (from `holders`), an address of
// its own.
std::vector<Step> ct_preflight_steps(Ctx& ctx, std::shared_ptr<CtView> v,
                                     std::shared_ptr<const IpHolders> holders);

}  // namespace vzlvs
