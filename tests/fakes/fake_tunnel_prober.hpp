// A TunnelProber that answers from a table: every probe is recorded in Events ("probe
// CT_ADDRESS VIP:PORT"); a target not in `broken` is answered.
#pragma once

#include <set>
#include <string>

#include "fakes/events.hpp"
#include "vzlvs/net/tunnel_probe.hpp"

namespace vzlvs::fakes {

class FakeTunnelProber : public TunnelProber {
  public:
    explicit FakeTunnelProber(Events& events) : events_(events) {}

    std::set<std::string> broken;  // "CT_ADDRESS VIP:PORT" that get no answer

    ProbeResult probe(const ProbeTarget& t) override {
        const std::string key = t.ct_address + " " + t.vip + ":" + std::to_string(t.port);
        events_.add("probe " + key + (t.payload.empty() ? "" : " payload"));
        if (broken.count(key)) return {false, "fake: no answer from " + key};
        return {true, "fake: answered by " + key};
    }

  private:
    Events& events_;
};

}  // namespace vzlvs::fakes
