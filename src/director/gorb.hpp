// The gorb dialect of the director seam (docs/director-api.md): gorb's REST API over one
// keep-alive libcurl handle.
#pragma once

#include <memory>
#include <string>

#include "director/director.hpp"

namespace vzlvs {

std::unique_ptr<Director> make_gorb_director(const DirectorSettings&);

// gorb's pulse recovery sets weight = int32(weight × health); a configured weight of 1 would
// drop to 0 after a single failed check. Configured weights are multiplied by this factor
// (IPVS weights are relative, so the balance is unchanged).
inline constexpr int kGorbWeightScale = 100;
int gorb_weight(int configured);  // throws UsageError when out of range

// The request bodies the gorb dialect sends (JSON text), exposed for unit tests.
std::string gorb_service_body(const ServiceSpec&);
std::string gorb_backend_body(const BackendSpec&);

}  // namespace vzlvs
