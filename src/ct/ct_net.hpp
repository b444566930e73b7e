// In-container network state (tunl0, VIP/32, rp_filter, ARP sysctls, persistence), reached
// through `vzctl exec2` running templates/ct-net.sh: legacy OpenVZ offers no other way in.
#pragma once

#include <string>
#include <vector>

#include "ct/vzctl.hpp"

namespace vzlvs {

struct CtNetState {
    bool tunl0 = false;
    std::string kind;  // "ipip" on a real node
    bool up = false;
    std::string mtu;
    std::vector<std::string> addrs;  // "192.0.2.10/32"
    std::string rp_all, rp_dev, arp_ignore, arp_announce, fb_tunnels;
    std::string persist;             // ok | missing | differs
    std::vector<std::string> venet;  // addresses on the CT's venet0 ("192.0.2.10/32")
    std::string advmss;              // advmss of the CT's default route; "" when unset

    bool has_addr(const std::string& vip) const;
    // Empty when every VIP is served as LVS-TUN needs it; otherwise what is wrong, in words.
    // check_kind = false leaves out "tunl0 is not ipip" (reported by its own step, and
    // nothing vzlvs can change).
    std::string problems(const std::vector<std::string>& vips, bool check_kind = true) const;
    std::string summary() const;  // "tunl0 ipip up, 192.0.2.10/32, rp_filter all=0 tunl0=0"
};

CtNetState parse_ct_net_output(const std::string& out);

class CtNet {
  public:
    virtual ~CtNet() = default;
    virtual CtNetState observe(const std::string& ctid, const std::vector<std::string>& vips) = 0;
    virtual CtNetState apply(const std::string& ctid, const std::vector<std::string>& vips) = 0;
    virtual CtNetState remove(const std::string& ctid, const std::vector<std::string>& vips) = 0;
};

class VzctlCtNet : public CtNet {
  public:
    explicit VzctlCtNet(Vzctl& vzctl) : vzctl_(vzctl) {}
    CtNetState observe(const std::string& ctid, const std::vector<std::string>& vips) override;
    CtNetState apply(const std::string& ctid, const std::vector<std::string>& vips) override;
    CtNetState remove(const std::string& ctid, const std::vector<std::string>& vips) override;

  private:
    CtNetState run(const std::string& action, const std::string& ctid,
                   const std::vector<std::string>& vips);
    Vzctl& vzctl_;
};

// The CTID.start block: the same script, run by vzctl inside the CT at every start before
// init, so tunl0 and the VIPs are back before any service starts.
std::string ct_start_block(const std::vector<std::string>& vips);

}  // namespace vzlvs
