// `apply = ipvs`: the fleet straight into the kernel's IPVS table, for a director without
// keepalived. Only what vzlvs owns is touched: the virtual services of the fleet, and those it
// made before (listed in STATE_DIR/ipvs-services, so that a service that left the fleet is
// removed even after a restart). An operator's other services stay as they are.
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "vzlvs/director_host/applier.hpp"
#include "vzlvs/net/ipvs.hpp"

namespace vzlvs {

// One change to the IPVS table, in the order they are made.
struct IpvsChange {
    enum class Op { add_service, edit_service, del_service, add_dest, edit_dest, del_dest } op;
    IpvsService service;
    IpvsDest dest;
    std::string describe() const;
};

// What turns `current` into the fleet's table, touching only services in `owned` or the
// fleet's. Pure, for the fast tests.
std::vector<IpvsChange> ipvs_changes(const std::vector<IpvsEntry>& current, const Fleet& fleet,
                                     const std::set<std::string>& owned);

// The table the fleet wants (services with at least one backend).
std::vector<IpvsEntry> ipvs_wanted(const Fleet& fleet);

class IpvsApply final : public Applier {
  public:
    IpvsApply(Ipvs& ipvs, std::filesystem::path owned_file);
    bool apply(const Fleet& fleet) override;
    std::string name() const override { return "ipvs"; }

  private:
    Ipvs& ipvs_;
    std::filesystem::path owned_file_;
};

}  // namespace vzlvs
