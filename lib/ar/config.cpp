#include "hmip/ar/config.h"

#include <algorithm>

namespace hmip::ar {

Duration effective_min_interval(const InterfaceConfig& c) {
  if (c.min_interval) return *c.min_interval;
  // RFC 4861 §6.2.1: default 0.33 * MaxRtrAdvInterval when Max >= 9 s,
  // otherwise Max (0.75 * Max here, keeping Min < Max and the jitter alive).
  if (c.max_interval >= core::seconds(9)) return Duration(c.max_interval.count() * 33 / 100);
  return Duration(c.max_interval.count() * 3 / 4);
}

std::uint16_t effective_default_lifetime(const InterfaceConfig& c) {
  if (c.default_lifetime) return *c.default_lifetime;
  // RFC 4861 §6.2.1: 3 * MaxRtrAdvInterval, in seconds, at most 9000; never
  // below 1 s for the sub-second mobility intervals of RFC 6275 §7.5.
  const auto secs = std::chrono::duration_cast<core::seconds>(c.max_interval * 3).count();
  return static_cast<std::uint16_t>(std::clamp<long long>(secs, 1, 9000));
}

}  // namespace hmip::ar
