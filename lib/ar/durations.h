// Internal to lib/ar: durations as the 32-bit fields of Router
// Advertisement options and as log text.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>

#include "hmip/core/time.h"

namespace hmip::ar::detail {

/// Seconds, rounded up, clamped to 32 bits (lifetime fields).
inline std::uint32_t ceil_secs(std::chrono::nanoseconds d) {
  if (d.count() <= 0) return 0;
  const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return static_cast<std::uint32_t>(std::min<std::chrono::seconds::rep>(s, std::numeric_limits<std::uint32_t>::max()));
}

/// Milliseconds clamped to 32 bits (Advertisement Interval field).
inline std::uint32_t ms32(core::Duration d) {
  return static_cast<std::uint32_t>(
      std::clamp<core::Duration::rep>(d.count(), 0, std::numeric_limits<std::uint32_t>::max()));
}

/// "1500 ms".
inline std::string ms_str(core::Duration d) { return std::to_string(d.count()) + " ms"; }

}  // namespace hmip::ar::detail
