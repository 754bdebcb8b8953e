// Input checks shared by every Dataplane implementation, so the recording
// fake refuses exactly what NetlinkDataplane refuses.
#pragma once

#include <optional>

#include "hmip/kglue/dataplane.h"
#include "hmip/wire/error.h"

namespace hmip::kglue {

/// A MAP binding must name a global unicast RCoA, MAP address and LCoA
/// (RFC 5380 §6.1: the LCoA and RCoA are on-link/regional global addresses;
/// the MAP address is where the tunnel ends), three different addresses,
/// and a non-negative proxy ifindex. Error code invalid_field, offset 0,
/// rule naming the field.
std::optional<wire::Error> check_map_binding(const MapBindingKey& k, const MapBindingSettings& s);

/// An MN binding: global unicast MAP address, RCoA and LCoA, all different;
/// ifindex > 0; router unspecified (MAP on-link) or unicast.
std::optional<wire::Error> check_mn_binding(const MnBindingKey& k, const MnBindingSettings& s);

/// A refused-BA route: global unicast, different addresses.
std::optional<wire::Error> check_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa);

}  // namespace hmip::kglue
