// MapAgent::adopt: a previous run's binding, found complete in the kernel at
// start, taken into the cache (issue 13 item 13; the choices are listed in
// hmip/map/map_agent.h under "Restart").
#include <algorithm>
#include <string>

#include "hmip/map/binding_rules.h"
#include "hmip/map/map_agent.h"
#include "roles.h"

namespace hmip::map {

AdoptVerdict MapAgent::adopt(TimePoint now, const LeftoverBinding& lb) {
  service(now);
  const BindingKey& key = lb.key;
  if (bindings_.count(key) != 0 || pending_.count(key) != 0) return AdoptVerdict::already_bound;
  // The address's prefix names the role: a HomePrefix, a home binding
  // (the roles' prefixes never overlap).
  const BindingRole role = prefix_of(BindingRole::home, key.rcoa) ? BindingRole::home : BindingRole::map;
  const auto prefix = prefix_of(role, key.rcoa);
  bool from_neighbour = false;
  const bool coa_ok = prefix && coa_refusal(role, key.rcoa, lb.lcoa, true, from_neighbour).empty();
  std::uint16_t units = 0;
  AdoptVerdict v = AdoptVerdict::adopted;
  if (!prefix || roles::is_own_address(cfg_, key.rcoa)) {
    v = AdoptVerdict::outside_prefixes;
  } else if (lb.map_address != own_address(role)) {
    v = AdoptVerdict::other_map_address;
  } else if (!coa_ok) {
    v = AdoptVerdict::lcoa_not_allowed;
  } else if (!cfg_.insecure.enabled && !ike_.holder(key.rcoa)) {
    // Secure mode: the daemon adopts after charon's SA list is in. An RCoA
    // no identity holds any more (its IKE SA went while mapd was down; the
    // pool may lease it to another node) must not keep its old tunnel.
    v = AdoptVerdict::no_holder;
  } else if (!cfg_.insecure.enabled && role == BindingRole::home && !held_by_owner(key.rcoa)) {
    // Secure mode: only the identity a HomeAddress line names may hold a
    // home address (a reload may have given it to another since).
    v = AdoptVerdict::not_owner;
  } else {
    const auto want = static_cast<std::uint16_t>(
        std::chrono::duration_cast<std::chrono::seconds>(kAdoptedLifetime).count() / wire::kMhLifetimeUnitSeconds);
    units = granted_lifetime_units(want, roles::limits_of(cfg_, role, *prefix));
    if (units == 0) v = AdoptVerdict::lifetime_capped;
  }
  if (!is_adopted(v)) {
    ++counters_.adoption_refused;
    log(LogLevel::notice, "not adopting the previous run's binding of " + std::string(roles::address_word(role)) +
                              " " + key.rcoa.str() + " to " +
                              lb.lcoa.str() + ": " + std::string(to_string(v)) + "; removing it");
    actions_.emplace_back(RemoveBinding{key, RemoveReason::not_adopted});
    return v;
  }

  Binding& b = bindings_[key];
  index_binding(key);
  b.lcoa = lb.lcoa;
  b.created = now;
  b.registered = now;
  b.expires = now + core::seconds(std::int64_t{units} * wire::kMhLifetimeUnitSeconds);
  b.sequence = 0;  // unknown: the first BU may carry any (adopted)
  b.lifetime_units = units;
  b.prefix = *prefix;
  b.from_neighbour = from_neighbour;
  b.adopted = true;
  b.role = role;
  b.home_flag = role == BindingRole::home;
  // The L flag the kernel's proxy entries show (a home binding only; the
  // node's next BU sets it again). Kept, so that a re-install, a reload and
  // carrier-up go on proxying and announcing the link-local address.
  b.link_local = role == BindingRole::home && lb.link_local_proxy && !interface_of(role, *prefix).empty();
  // Counted against the caps like any binding (MaxBindings counts it by
  // bindings_): its owner is the TrustedPrefix of its LCoA, or in secure
  // mode the identity holding the RCoA (charon's SA list is in).
  b.owner = owner_of(key.rcoa, lb.lcoa);
  load_owner(b.owner);
  // The BRR is due now: it goes at the next call that services timers
  // (the daemon opens its Mobility Header socket before adopting), through
  // on_binding_timer as a near-expiry one, then every BrrInterval.
  b.next_brr = now;
  schedule(key, b, now);
  ++counters_.bindings_adopted;
  log(LogLevel::info, "adopted the previous run's binding of " + std::string(roles::address_word(role)) + " " +
                          key.rcoa.str() + " to " + lb.lcoa.str() +
                          " for " + std::to_string(std::uint32_t{units} * wire::kMhLifetimeUnitSeconds) +
                          " s: asking its node to re-register (BRR)");

  const bool mtu_differs = cfg_.tunnel_mtu != 0 && cfg_.tunnel_mtu != lb.tunnel_mtu;
  // A link-local proxy entry the binding cannot have (the map role, or no
  // home Interface now) goes with a re-install too.
  const bool link_local_differs = lb.link_local_proxy != b.link_local;
  if (lb.proxy_interface != interface_of(role, b.prefix) || mtu_differs || link_local_differs) {
    v = AdoptVerdict::adopted_reinstall;
    ++counters_.adopted_reinstalled;
    Pending& p = add_pending(key, reinstall_request(b), InstallReason::adopt);
    send_install(key, p);
  }
  return v;
}

}  // namespace hmip::map
