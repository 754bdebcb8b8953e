// MapAgent: what only the home agent role does (RFC 6275 §10.3.1, §10.4.1):
// the care-of addresses a home registration may bind, the link-local
// address the L flag adds to DAD and proxy ND. The rest of a home
// registration runs through the MAP's machinery (binding_update.cpp,
// map_agent.cpp); map_agent.h lists the decisions.
#include <algorithm>
#include <string>
#include <variant>

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
  if (roles::is_own_address(cfg_, coa))
    return "care-of address " + coa.str() + " is mapd's own address";
  if (prefix_of(BindingRole::home, coa))
    return "care-of address " + coa.str() + " is on a home prefix: a node at home deregisters instead (RFC 6275 §11.5.4)";
  return {};
}

// Review item 1 of issue 14. RFC 6275 §11.5.5: a node back home sends its
// deregistration from its home address, without a HAO, care-of address =
// home address. Its source is then the home address, and the home prefix
// is (rightly) not TrustedPrefix: trusting it would let any node on the
// home link bind any home address anywhere. So exactly this BU skips the
// TrustedPrefix check: insecure mode, H without M to the HomeAgent
// Address, no HAO, a care-of address (an Alternate Care-of Address option
// included) equal to the source (so it can only deregister: CoA == home
// address), the source in a HomePrefix with an Interface and the packet
// received on that Interface. Everything after the protection check
// (flags, prefix, sequence number, 133 for no binding) still applies.
bool MapAgent::home_link_deregistration(const ReceivedMh& mh, BindingRole role, bool to_home,
                                        const Ip6Addr& coa) const {
  if (!cfg_.insecure.enabled || role != BindingRole::home || !to_home) return false;
  if (mh.lcoa || coa != mh.src || mh.interface.empty()) return false;
  const auto prefix = prefix_of(BindingRole::home, mh.src);
  return prefix && interface_of(BindingRole::home, *prefix) == mh.interface;
}

// Issue 15 review (security): a Binding Identifier option carries a
// care-of address of its own, so CoA == source no longer means the BU can
// only deregister: an on-link node could bind a victim's home address to
// its own address through one. With Multiple CoA processing the BIDs, the
// exemption holds only for lifetime 0 (a bulk BU without care-of address
// fields would otherwise refresh) with every option's field absent or the
// home address; a malformed option disqualifies it too.
bool MapAgent::only_deregisters(const wire::BindingUpdate& bu, const Ip6Addr& home) {
  if (bu.lifetime != 0) return false;
  return std::all_of(bu.options.begin(), bu.options.end(), [&](const wire::MobilityOption& o) {
    if (const auto* m = std::get_if<wire::MalformedMobilityOption>(&o))
      return m->type != wire::mh_opt::kBindingIdentifier;
    const auto* b = std::get_if<wire::BindingIdentifierOption>(&o);
    if (b == nullptr || std::holds_alternative<std::monostate>(b->care_of_address)) return true;
    const auto* a6 = std::get_if<Ip6Addr>(&b->care_of_address);
    return a6 != nullptr && *a6 == home;
  });
}

const HomeAddressOwner* MapAgent::home_owner(const Ip6Addr& home) const {
  return cfg_.home_agent ? cfg_.home_agent->owner_of(home) : nullptr;
}

// The holder's identity as charon reports it (IkeSaView::peer_identity():
// the EAP identity when EAP authenticated the node with one of its own,
// else the IKE identity), compared with the HomeAddress line's as written.
bool MapAgent::held_by_owner(const Ip6Addr& home) const {
  const HomeAddressOwner* o = home_owner(home);
  if (o == nullptr) return false;
  const auto holder = ike_.holder(home);
  return holder && *holder == o->identity;
}

std::string MapAgent::owner_text(const Ip6Addr& home) const {
  const HomeAddressOwner* o = home_owner(home);
  if (o == nullptr) return "and no HomeAddress line names it";
  return "its owner is " + o->identity + " (HomeAddress, line " + std::to_string(o->line) + ")";
}

std::optional<BindingKey> MapAgent::dad_key(const Ip6Addr& addr) const {
  const BindingKey key{addr, 0};
  if (const auto it = pending_.find(key); it != pending_.end() && it->second.dad_deadline) return key;
  if (!addr.is_link_local()) return std::nullopt;
  // The link-local address of a home registration with L: fe80::<its
  // interface identifier>, whatever the HomePrefix's length (review item 6
  // of issue 14: rebuilding the home address from a prefix only worked for
  // /64). One per link (link_local_holder); on two links at once the
  // lowest home address is matched (the daemon keys its DADs by address).
  std::optional<BindingKey> found;
  for (const auto& [k, p] : pending_)
    if (p.dad_deadline && p.dad_link_local && wire::link_local_of(k.rcoa) == addr && (!found || k.rcoa < found->rcoa))
      found = k;
  return found;
}

// RFC 6275 §10.4.1: with L the home agent defends fe80::<interface id> on
// the home link. Two home addresses with one interface identifier (on two
// HomePrefixes of one link) would share that proxy entry, and removing one
// binding would remove the other's.
std::optional<Ip6Addr> MapAgent::link_local_holder(const BindingKey& key, std::uint16_t prefix) const {
  const std::string& iface = interface_of(BindingRole::home, prefix);
  if (iface.empty()) return std::nullopt;  // no proxy without a link
  const Ip6Addr ll = wire::link_local_of(key.rcoa);
  const auto same = [&](const BindingKey& k, BindingRole role, std::uint16_t pfx, bool link_local) {
    return k != key && role == BindingRole::home && link_local && wire::link_local_of(k.rcoa) == ll &&
           interface_of(BindingRole::home, pfx) == iface;
  };
  for (const auto& [k, p] : pending_)
    if (same(k, p.req.role, p.req.prefix, p.req.link_local)) return k.rcoa;
  for (const auto& [k, b] : bindings_)
    if (same(k, b.role, b.prefix, b.link_local)) return k.rcoa;
  return std::nullopt;
}

void MapAgent::announce(const BindingKey& key, BindingRole role, std::uint16_t prefix, bool link_local) {
  const std::string& iface = interface_of(role, prefix);
  if (iface.empty()) return;
  actions_.emplace_back(SendUnsolicitedNa{key.rcoa, iface});
  if (role == BindingRole::home && link_local) actions_.emplace_back(SendUnsolicitedNa{wire::link_local_of(key.rcoa), iface});
}

}  // namespace hmip::map
