// MapAgent: what only the home agent role does (RFC 6275 §10.3.1, §10.4.1):
// the care-of addresses a home registration may bind, the link-local
// address the L flag adds to DAD and proxy ND. The rest of a home
// registration runs through the MAP's machinery (binding_update.cpp,
// map_agent.cpp); map_agent.h lists the decisions.
#include <algorithm>
#include <string>

#include "hmip/map/map_agent.h"
#include "roles.h"

namespace hmip::map {

// RFC 6275 §9.5.1 requires a unicast routable care-of address; §10.3.1
// binds a home address to a care-of address away from home. A care-of
// address equal to the home address is a deregistration (handled before).
std::string MapAgent::home_coa_refusal(const Ip6Addr& home, const Ip6Addr& coa) const {
  (void)home;
  if (coa.is_multicast() || coa.is_link_local() || coa.is_loopback() || coa.is_unspecified())
    return "care-of address " + coa.str() + " is not a unicast routable address (RFC 6275 §9.5.1)";
  if (coa == cfg_.home_agent->address || coa == cfg_.map_address)
    return "care-of address " + coa.str() + " is mapd's own address";
  if (prefix_of(BindingRole::home, coa))
    return "care-of address " + coa.str() + " is on a home prefix: a node at home deregisters instead (RFC 6275 §11.5.4)";
  return {};
}

std::optional<BindingKey> MapAgent::dad_key(const Ip6Addr& addr) const {
  const BindingKey key{addr, 0};
  if (const auto it = pending_.find(key); it != pending_.end() && it->second.dad_deadline) return key;
  if (!addr.is_link_local() || !cfg_.home_agent) return std::nullopt;
  // The link-local address of a home registration with L: the home address
  // is one of the home prefixes with the same interface identifier.
  for (const auto& hp : cfg_.home_agent->prefixes) {
    BindingKey home{hp.prefix.addr, 0};
    std::copy(addr.b.begin() + 8, addr.b.end(), home.rcoa.b.begin() + 8);
    if (!hp.prefix.contains(home.rcoa)) continue;
    if (const auto it = pending_.find(home); it != pending_.end() && it->second.dad_deadline &&
                                             it->second.dad_link_local)
      return home;
  }
  return std::nullopt;
}

void MapAgent::announce(const BindingKey& key, BindingRole role, std::uint16_t prefix, bool link_local) {
  const std::string& iface = interface_of(role, prefix);
  if (iface.empty()) return;
  actions_.emplace_back(SendUnsolicitedNa{key.rcoa, iface});
  if (role == BindingRole::home && link_local) actions_.emplace_back(SendUnsolicitedNa{roles::link_local_of(key.rcoa), iface});
}

}  // namespace hmip::map
