// Lifetime granting for local bindings (hmip/map/binding_rules.h).
#include "hmip/map/binding_rules.h"

#include <algorithm>

#include "hmip/wire/mh.h"

namespace hmip::map {

std::uint16_t granted_lifetime_units(std::uint16_t requested_units, const LifetimeLimits& lim) noexcept {
  std::uint64_t secs = std::uint64_t{requested_units} * wire::kMhLifetimeUnitSeconds;
  secs = std::min<std::uint64_t>(secs, lim.max_binding_lifetime);
  secs = std::min<std::uint64_t>(secs, lim.rcoa_prefix_valid_lifetime);
  secs = std::min<std::uint64_t>(secs, lim.advertised_valid_lifetime);
  const std::uint64_t units = secs / wire::kMhLifetimeUnitSeconds;  // down: never above a cap
  return static_cast<std::uint16_t>(std::min<std::uint64_t>(units, 0xffff));
}

}  // namespace hmip::map
