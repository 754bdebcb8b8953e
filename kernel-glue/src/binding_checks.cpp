#include "hmip/kglue/binding_checks.h"

namespace hmip::kglue {
namespace {

bool global_unicast(const Ip6Addr& a) {
  return !a.is_unspecified() && !a.is_multicast() && !a.is_link_local() && !a.is_loopback();
}

wire::Error bad(std::string_view rule) { return wire::Error{wire::Errc::invalid_field, 0, rule}; }

}  // namespace

std::optional<wire::Error> check_map_binding(const MapBindingKey& k, const MapBindingSettings& s) {
  if (!global_unicast(k.rcoa)) return bad("MAP binding: the RCoA must be a global unicast address");
  if (!global_unicast(s.map_address)) return bad("MAP binding: the MAP address must be a global unicast address");
  if (!global_unicast(s.lcoa)) return bad("MAP binding: the LCoA must be a global unicast address");
  if (k.rcoa == s.lcoa || k.rcoa == s.map_address || s.lcoa == s.map_address) {
    return bad("MAP binding: RCoA, LCoA and MAP address must all differ");
  }
  if (s.proxy_ifindex < 0) return bad("MAP binding: proxy ifindex must be >= 0");
  return std::nullopt;
}

std::optional<wire::Error> check_mn_binding(const MnBindingKey& k, const MnBindingSettings& s) {
  if (!global_unicast(k.map_address)) return bad("MN binding: the MAP address must be a global unicast address");
  if (!global_unicast(k.rcoa)) return bad("MN binding: the RCoA must be a global unicast address");
  if (!global_unicast(s.lcoa)) return bad("MN binding: the LCoA must be a global unicast address");
  if (k.rcoa == s.lcoa || k.rcoa == k.map_address || s.lcoa == k.map_address) {
    return bad("MN binding: RCoA, LCoA and MAP address must all differ");
  }
  if (s.ifindex <= 0) return bad("MN binding: the LCoA's ifindex must be > 0");
  if (s.router.is_multicast() || s.router.is_loopback()) {
    return bad("MN binding: the router must be unspecified (MAP on-link) or a unicast address");
  }
  return std::nullopt;
}

std::optional<wire::Error> check_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa) {
  if (!global_unicast(map_address) || !global_unicast(rcoa) || !global_unicast(lcoa)) {
    return bad("BA route: MAP address, RCoA and LCoA must be global unicast addresses");
  }
  if (rcoa == lcoa || rcoa == map_address || lcoa == map_address) {
    return bad("BA route: RCoA, LCoA and MAP address must all differ");
  }
  return std::nullopt;
}

}  // namespace hmip::kglue
