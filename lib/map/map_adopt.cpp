// MapAgent::adopt: a previous run's binding, found complete in the kernel at
// start, taken into the cache (issue 13 item 13; the choices are listed in
// hmip/map/map_agent.h under "Restart").
#include <algorithm>
#include <string>

#include "hmip/map/binding_rules.h"
#include "hmip/map/map_agent.h"

namespace hmip::map {

AdoptVerdict MapAgent::adopt(TimePoint now, const LeftoverBinding& lb) {
  service(now);
  const BindingKey& key = lb.key;
  if (bindings_.count(key) != 0 || pending_.count(key) != 0) return AdoptVerdict::already_bound;
  const auto in_any = [](const auto& prefixes, const Ip6Addr& a) {
    return std::any_of(prefixes.begin(), prefixes.end(), [&](const Ip6Prefix& p) { return p.contains(a); });
  };
  const auto prefix = prefix_of(key.rcoa);
  const bool lcoa_in_rcoa_prefix = std::any_of(cfg_.rcoa_prefixes.begin(), cfg_.rcoa_prefixes.end(),
                                               [&](const RcoaPrefixConfig& p) { return p.prefix.contains(lb.lcoa); });
  const bool from_neighbour = !in_any(cfg_.lcoa_prefixes, lb.lcoa) && in_any(cfg_.neighbour_prefixes, lb.lcoa);
  std::uint16_t units = 0;
  AdoptVerdict v = AdoptVerdict::adopted;
  if (!prefix || key.rcoa == cfg_.map_address) {
    v = AdoptVerdict::outside_prefixes;
  } else if (lb.map_address != cfg_.map_address) {
    v = AdoptVerdict::other_map_address;
  } else if (lcoa_in_rcoa_prefix || (!in_any(cfg_.lcoa_prefixes, lb.lcoa) && !from_neighbour)) {
    v = AdoptVerdict::lcoa_not_allowed;
  } else if (!cfg_.insecure.enabled && !ike_.holder(key.rcoa)) {
    // Secure mode: the daemon adopts after charon's SA list is in. An RCoA
    // no identity holds any more (its IKE SA went while mapd was down; the
    // pool may lease it to another node) must not keep its old tunnel.
    v = AdoptVerdict::no_holder;
  } else {
    const auto& pc = cfg_.rcoa_prefixes[*prefix];
    const auto want = static_cast<std::uint16_t>(
        std::chrono::duration_cast<std::chrono::seconds>(kAdoptedLifetime).count() / wire::kMhLifetimeUnitSeconds);
    units = granted_lifetime_units(
        want, LifetimeLimits{cfg_.max_binding_lifetime, pc.valid_lifetime, cfg_.advertised_valid_lifetime});
    if (units == 0) v = AdoptVerdict::lifetime_capped;
  }
  if (!is_adopted(v)) {
    ++counters_.adoption_refused;
    log(LogLevel::notice, "not adopting the previous run's binding of RCoA " + key.rcoa.str() + " to " +
                              lb.lcoa.str() + ": " + std::string(to_string(v)) + "; removing it");
    actions_.emplace_back(RemoveBinding{key, RemoveReason::not_adopted});
    return v;
  }

  Binding& b = bindings_[key];
  b.lcoa = lb.lcoa;
  b.created = now;
  b.registered = now;
  b.expires = now + core::seconds(std::int64_t{units} * wire::kMhLifetimeUnitSeconds);
  b.sequence = 0;  // unknown: the first BU may carry any (adopted)
  b.lifetime_units = units;
  b.prefix = *prefix;
  b.from_neighbour = from_neighbour;
  b.adopted = true;
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
  log(LogLevel::info, "adopted the previous run's binding of RCoA " + key.rcoa.str() + " to " + lb.lcoa.str() +
                          " for " + std::to_string(std::uint32_t{units} * wire::kMhLifetimeUnitSeconds) +
                          " s: asking its node to re-register (BRR)");

  const bool mtu_differs = cfg_.tunnel_mtu != 0 && cfg_.tunnel_mtu != lb.tunnel_mtu;
  if (lb.proxy_interface != interface_of(b.prefix) || mtu_differs) {
    v = AdoptVerdict::adopted_reinstall;
    ++counters_.adopted_reinstalled;
    Pending& p = add_pending(key, Request{cfg_.map_address, b.lcoa, b.lcoa, 0, units, b.prefix, from_neighbour, false, b.owner},
                             InstallReason::adopt);
    send_install(key, p);
  }
  return v;
}

}  // namespace hmip::map
