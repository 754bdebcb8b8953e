// Input checks shared by every Dataplane implementation, so the recording
// fake refuses exactly what NetlinkDataplane refuses.
#pragma once

#include <optional>
#include <vector>

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

/// A home registration: global unicast, different home agent and home
/// address. away: a global unicast care-of address other than both; with
/// `via`, coa == via->rcoa (the home tunnel starts at the RCoA); without,
/// ifindex > 0 and the router unspecified (home agent on-link) or unicast.
/// at_home: ifindex > 0, prefix_len 1..128.
std::optional<wire::Error> check_mn_home_binding(const MnHomeKey& k, const MnHomeSettings& s);

/// A nested home binding whose `via` MAP binding this Dataplane does not hold.
inline constexpr wire::Error kMnHomeViaMissing{wire::Errc::invalid_field, 0,
                                               "MN home binding: the MAP binding named by via is not installed"};
/// No table of the tag range left for a home binding.
inline constexpr wire::Error kMnHomeNoTable{wire::Errc::too_long, 0,
                                            "MN home binding: no free routing table left in the tag range"};

/// Multiple CoA flow policies (MapFlowPolicy): bid 1..65535; at least one
/// match field; port ranges lo <= hi with lo > 0, only with ip_proto tcp
/// (6), udp (17), dccp (33) or sctp (132): the kernel's rule code reads
/// ports only for those; dscp 1..63 (0 cannot be told from "any" by a
/// rule, dataplane.h); prefixes with length <= 128. Error invalid_field,
/// offset = the index of the first bad policy, rule naming the field.
std::optional<wire::Error> check_map_flow_policies(const std::vector<MapFlowPolicy>& p);

/// A refused-BA route: global unicast, different addresses.
std::optional<wire::Error> check_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa);

}  // namespace hmip::kglue
