// Pure rules of the MAP's binding processing (RFC 6275 §9.5.1, §10.3.1 as
// RFC 5380 §6.2 applies them to a MAP): sequence numbers modulo 2^16 and the
// lifetime a binding is granted. No state; used by MapAgent and its tests.
#pragma once

#include <cstdint>

namespace hmip::map {

/// True if sequence number `a` is greater than `b` modulo 2^16 (RFC 6275
/// §9.5.1, the "less than" of RFC 1982 serial arithmetic with a window of
/// 2^15): 0 is greater than 65535; for a distance of exactly 2^15 (e.g. 32768
/// vs 0, and 0 vs 32768) RFC 1982 leaves the order undefined and this says
/// "not greater" both ways, so such a BU is refused with status 135.
[[nodiscard]] constexpr bool sequence_greater(std::uint16_t a, std::uint16_t b) noexcept {
  const auto d = static_cast<std::uint16_t>(a - b);
  return d != 0 && d < 0x8000U;
}

/// The lifetime limits the MAP applies to a local binding (seconds; a value
/// of 0xffffffff is "infinite" for the prefix lifetimes).
struct LifetimeLimits {
  std::uint32_t max_binding_lifetime = 0;       ///< MapdConfig::max_binding_lifetime
  std::uint32_t rcoa_prefix_valid_lifetime = 0;  ///< RcoaPrefixConfig::valid_lifetime
  std::uint32_t advertised_valid_lifetime = 0;   ///< MapdConfig::advertised_valid_lifetime
};

/// The lifetime granted for a BU requesting `requested_units` (4-second
/// units, > 0): min(requested, max binding lifetime, RCoA prefix valid
/// lifetime, advertised valid lifetime), rounded DOWN to whole 4-second
/// units, so that the BA's Lifetime field (RFC 6275 §6.1.8, units of 4 s) is
/// exactly the time the binding lives and never exceeds a cap. A cap below
/// 4 s leaves no whole unit: 0 is returned, meaning "cannot be granted" (a
/// BA with Lifetime 0 would mean deregistration): the caller refuses the BU
/// instead of granting 4 s beyond the cap (mapd.conf accepts a ValidLifetime
/// or AdvertisedValidLifetime from 1 s; under 4 s every BU is refused, 129).
[[nodiscard]] std::uint16_t granted_lifetime_units(std::uint16_t requested_units, const LifetimeLimits& lim) noexcept;

}  // namespace hmip::map
