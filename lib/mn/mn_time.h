// Internal to lib/mn: lifetime arithmetic the binding update list and the
// home registration share.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "hmip/core/time.h"
#include "hmip/wire/mh.h"

namespace hmip::mn::detail {

/// Whole seconds from `now` to `end` (0 when past, 0xffffffff for
/// TimePoint::max(), "infinity"); at least 1 while `end` is in the future.
inline std::uint32_t seconds_left(core::TimePoint now, core::TimePoint end) {
  if (end == core::TimePoint::max()) return 0xffffffffU;
  if (end <= now) return 0;
  const auto s = std::chrono::duration_cast<core::seconds>(end - now).count();
  return s >= 0xffffffffLL ? 0xfffffffeU : static_cast<std::uint32_t>(std::max<long long>(s, 1));
}

/// A BU's Lifetime field (RFC 6275 §6.1.7: 4-second units, 16 bits) for
/// `seconds`: rounded down, so that the lifetime asked for never exceeds the
/// remaining lifetimes it was capped to (§11.7.1). A registration cannot ask
/// for less than one unit without meaning deregistration: under 4 s (the
/// care-of address is about to expire) it asks for one.
inline std::uint16_t lifetime_units(std::uint32_t seconds) {
  if (seconds == 0) return 0;
  const std::uint32_t units = std::max<std::uint32_t>(seconds / wire::kMhLifetimeUnitSeconds, 1);
  return static_cast<std::uint16_t>(std::min<std::uint32_t>(units, 0xffff));
}

}  // namespace hmip::mn::detail
