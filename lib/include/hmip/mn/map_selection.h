// MAP selection and RCoA formation for the mobile node (RFC 5380 §5, §6,
// §7.1, §9.1), as pure functions.
//
// Default policy (MapSelection::furthest, RFC 5380 §9.1): the MAP with the
// largest Dist among those with Pref > 0 and Valid Lifetime > 0; equal Dist
// is broken by the larger Pref (§5: "the mobile node SHOULD inspect this
// field as a tie-breaker for MAPs that have equal Dist values").
// MapSelection::highest_preference is §7.1's "SHOULD register with the MAP
// having the highest preference value", the smaller Dist breaking ties.
// Why the default is §9.1 and not §7.1's SHOULD: §9.1 is the algorithm the
// RFC itself proposes "as a default, where other optimised algorithms are
// not available", it is the one operators steer with Pref (lowering a MAP's
// Pref to 0 moves nodes away from it), and the furthest MAP spares a moving
// node re-registrations (§9.1's argument for fast nodes). Sites that rank
// MAPs purely by Pref set `MapSelection preference`.
//
// Remaining ties: the MAP currently in use wins (no switch between
// equivalent MAPs), then the interface earlier in the configuration, then
// the numerically smallest MAP address (deterministic).
// Never selected: Pref 0 (§7.1: refresh only), Valid Lifetime 0 (§7.1, §10:
// MAP failed), an R flag that does not suit the MN's mode (R = 1, RFC 5380
// §5: the RCoA is allocated through IKEv2, RFC 4877 §9, so only secure
// mode uses such a MAP; R = 0: only insecure testbed mode, which forms its
// RCoA itself; see MapCandidate::r_flag_mismatch), MAPs held down.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "hmip/mn/config.h"
#include "hmip/wire/addr.h"

namespace hmip::mn {

/// One MAP option as heard on one interface.
struct MapCandidate {
  Ip6Addr address;
  std::uint8_t dist = 1;
  std::uint8_t pref = 0;
  std::uint32_t lifetime = 0;  ///< remaining valid lifetime (seconds)
  /// The R flag rules the MAP out in the MN's mode: R = 1 in insecure
  /// testbed mode (no IKEv2 to obtain the RCoA), R = 0 in secure mode (RCoAs
  /// are tied to IKE identities through the MAP's pool).
  bool r_flag_mismatch = false;
  bool held_down = false;      ///< refused recently or failed: not selectable
  std::size_t iface_order = 0; ///< position of its interface in the configuration
};

/// Whether `c` may be chosen for a NEW binding (Pref > 0, lifetime > 0,
/// an R flag that suits the mode, not held down).
[[nodiscard]] bool selectable(const MapCandidate& c) noexcept;

/// The index in `candidates` of the MAP to register with under `policy`,
/// or nullopt if none is selectable. `current` is the MAP of the binding in
/// use, if any (it wins ties).
[[nodiscard]] std::optional<std::size_t> select_map(std::span<const MapCandidate> candidates, MapSelection policy,
                                                    const std::optional<Ip6Addr>& current);

/// The RCoA for `map` (RFC 5380 §6: the MAP's subnet prefix, the /64 of the
/// MAP's address, with an interface identifier): the high 64 bits of
/// `map_address`, the low 64 of `iid_source` (the LCoA, or a random
/// identifier after status 134).
[[nodiscard]] Ip6Addr form_rcoa(const Ip6Addr& map_address, const Ip6Addr& iid_source) noexcept;

/// Whether the low 64 bits of `a` are usable as an interface identifier:
/// not all zero (the Subnet-Router anycast, RFC 4291 §2.6.1) and not in
/// the reserved subnet anycast range fdff:ffff:ffff:ff80-ffff (RFC 5453).
[[nodiscard]] bool usable_iid(const Ip6Addr& a) noexcept;

}  // namespace hmip::mn
