// Internal to lib/ar: a Router Advertisement split over several when it
// would not fit the link MTU (RFC 4861 §6.2.3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hmip/wire/nd.h"

namespace hmip::ar::detail {

struct SplitRa {
  std::vector<wire::RouterAdvertisement> parts;  ///< one when it all fits
  std::vector<std::uint8_t> unencodable;         ///< types of the options left out: they cannot be encoded
};

/// `ra` as RAs of at most `limit` bytes of ICMPv6 each (limit: the link MTU
/// minus the IPv6 header): every part carries the Source LLA, MTU and
/// Advertisement Interval options and as many of the others, in order, as
/// fit. An option bigger than the limit still goes out, alone in its part.
SplitRa split_ra(wire::RouterAdvertisement ra, std::size_t limit);

}  // namespace hmip::ar::detail
