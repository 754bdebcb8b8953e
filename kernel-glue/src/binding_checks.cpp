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

std::optional<wire::Error> check_mn_home_binding(const MnHomeKey& k, const MnHomeSettings& s) {
  if (!global_unicast(k.home_agent)) return bad("MN home binding: the home agent must be a global unicast address");
  if (!global_unicast(k.home_address)) return bad("MN home binding: the home address must be a global unicast address");
  if (k.home_agent == k.home_address) return bad("MN home binding: home agent and home address must differ");
  if (s.mode == MnHomeMode::at_home) {
    if (s.ifindex <= 0) return bad("MN home binding: at home, the home link's ifindex must be > 0");
    if (s.prefix_len == 0 || s.prefix_len > 128) return bad("MN home binding: the prefix length must be 1..128");
    return std::nullopt;
  }
  if (s.mode != MnHomeMode::away) return bad("MN home binding: unknown mode");
  if (!global_unicast(s.coa)) return bad("MN home binding: the care-of address must be a global unicast address");
  if (s.coa == k.home_agent || s.coa == k.home_address) {
    return bad("MN home binding: care-of address, home address and home agent must all differ");
  }
  if (s.via) {
    if (s.via->rcoa != s.coa) return bad("MN home binding: nested, the care-of address must be the via binding's RCoA");
    if (!s.more_coas.empty()) return bad("MN home binding: extra care-of addresses only in plain mode");
    return std::nullopt;
  }
  for (std::size_t i = 0; i < s.more_coas.size(); ++i) {
    const MnHomeCoa& c = s.more_coas[i];
    if (c.bid == 0) return bad("MN home binding: an extra care-of address needs a BID (1..65535)");
    if (!global_unicast(c.coa)) return bad("MN home binding: an extra care-of address must be a global unicast address");
    if (c.coa == s.coa || c.coa == k.home_agent || c.coa == k.home_address) {
      return bad("MN home binding: an extra care-of address must differ from the care-of address, home address and "
                 "home agent");
    }
    if (c.ifindex <= 0) return bad("MN home binding: an extra care-of address needs its ifindex (> 0)");
    for (std::size_t j = 0; j < i; ++j) {
      if (s.more_coas[j].bid == c.bid || s.more_coas[j].coa == c.coa) {
        return bad("MN home binding: extra care-of addresses need distinct BIDs and addresses");
      }
    }
  }
  if (s.ifindex <= 0) return bad("MN home binding: plain mode needs the care-of address's ifindex (> 0)");
  if (s.router.is_multicast() || s.router.is_loopback()) {
    return bad("MN home binding: the router must be unspecified (home agent on-link) or a unicast address");
  }
  return std::nullopt;
}

std::optional<wire::Error> check_map_flow_policies(const std::vector<MapFlowPolicy>& p) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    const MapFlowPolicy& f = p[i];
    auto refuse = [i](std::string_view rule) {
      return wire::Error{wire::Errc::invalid_field, i, rule};
    };
    if (f.bid == 0) return refuse("flow policy: the BID must be 1..65535");
    const bool sport = f.sport_lo != 0 || f.sport_hi != 0;
    const bool dport = f.dport_lo != 0 || f.dport_hi != 0;
    if (f.ip_proto == 0 && !sport && !dport && !f.dscp && !f.from && !f.to) {
      return refuse("flow policy: at least one match field is needed");
    }
    if ((sport && (f.sport_lo == 0 || f.sport_lo > f.sport_hi)) ||
        (dport && (f.dport_lo == 0 || f.dport_lo > f.dport_hi))) {
      return refuse("flow policy: a port range must be lo..hi with 1 <= lo <= hi");
    }
    constexpr std::uint8_t kTcp = 6, kUdp = 17, kDccp = 33, kSctp = 132;
    if ((sport || dport) && f.ip_proto != kTcp && f.ip_proto != kUdp && f.ip_proto != kDccp &&
        f.ip_proto != kSctp) {
      return refuse("flow policy: ports need protocol tcp, udp, dccp or sctp");
    }
    if (f.dscp && (*f.dscp == 0 || *f.dscp > 63)) {
      return refuse("flow policy: DSCP must be 1..63 (a rule cannot match DSCP 0)");
    }
    if ((f.from && f.from->len > 128) || (f.to && f.to->len > 128)) {
      return refuse("flow policy: a prefix length must be <= 128");
    }
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
