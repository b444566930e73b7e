// How a director applies the fleet: one implementation per `[director_host] apply` word
// (keepalived: an include file and a reload; ipvs: the kernel's table over netlink).
#pragma once

#include <string>

#include "vzlvs/director_host/fleet.hpp"

namespace vzlvs {

class Applier {
  public:
    virtual ~Applier() = default;
    // Makes this director serve the fleet. Returns whether anything changed; throws Error when
    // it cannot, and then nothing is acknowledged.
    virtual bool apply(const Fleet& fleet) = 0;
    // The [director_host] apply word, published in the director's entry.
    virtual std::string name() const = 0;
};

}  // namespace vzlvs
