// MapAgent's views for hmipctl: state(), binding().
#include <algorithm>
#include <unordered_map>

#include "hmip/map/map_agent.h"
#include "roles.h"

namespace hmip::map {

namespace {

Duration clamp_since(TimePoint from, TimePoint to) {
  return to > from ? std::chrono::duration_cast<Duration>(to - from) : Duration::zero();
}

}  // namespace

BindingView MapAgent::view(const BindingKey& key, const Binding& b, TimePoint now) const {
  BindingView v;
  v.key = key;
  v.lcoa = b.lcoa;
  v.sequence = b.sequence;
  v.lifetime_units = b.lifetime_units;
  v.remaining = clamp_since(now, b.expires);
  v.since_registered = clamp_since(b.registered, now);
  v.age = clamp_since(b.created, now);
  if (b.next_brr) v.next_brr_in = clamp_since(now, *b.next_brr);
  v.brr_sent = b.brr_sent;
  v.proxy_interface = interface_of(b.role, b.prefix);
  v.role = b.role;
  v.link_local_proxy = b.link_local && !v.proxy_interface.empty();
  v.from_neighbour = b.from_neighbour;
  v.home_flag = b.home_flag;
  v.install_pending = pending_.count(key) != 0;
  v.adopted = b.adopted;
  v.rank = b.rank;
  v.active = top_of(key.rcoa) == key;
  v.bid_pri = b.bid_pri;
  return v;
}

MapAgent::Request MapAgent::reinstall_request(const Binding& b) const {
  Request r;
  r.src = own_address(b.role);
  r.lcoa = b.lcoa;
  r.sender = b.lcoa;
  r.sequence = b.sequence;
  r.lifetime_units = b.lifetime_units;
  r.prefix = b.prefix;
  r.from_neighbour = b.from_neighbour;
  r.home_flag = b.home_flag;
  r.owner = b.owner;
  r.role = b.role;
  r.link_local = b.link_local;
  r.rank = b.rank;
  r.stamp = b.stamp;
  r.bid_pri = b.bid_pri;
  return r;
}

std::optional<BindingView> MapAgent::binding(const BindingKey& key, TimePoint now) const {
  const auto it = bindings_.find(key);
  if (it == bindings_.end()) return std::nullopt;
  return view(key, it->second, now);
}

MapState MapAgent::state(TimePoint now) const {
  MapState s;
  s.bindings.reserve(bindings_.size());
  // Bindings per BID, for the flow policies' view.
  std::unordered_map<std::uint16_t, std::size_t> per_bid;
  for (const auto& [key, b] : bindings_) {
    s.bindings.push_back(view(key, b, now));
    if (key.bid != 0 && !cfg_.flow_policies.empty()) ++per_bid[key.bid];
  }
  for (const auto& fp : cfg_.flow_policies) {
    const auto it = per_bid.find(fp.bid);
    s.flow_policies.push_back(FlowPolicyView{fp, it == per_bid.end() ? 0 : it->second});
  }
  std::sort(s.bindings.begin(), s.bindings.end(),
            [](const BindingView& x, const BindingView& y) { return BindingKeyLess{}(x.key, y.key); });
  for (const auto& [key, p] : pending_) {
    if (bindings_.count(key) != 0) continue;  // shown as the binding's install_pending
    PendingView v;
    v.key = key;
    v.role = p.req.role;
    v.lcoa = p.req.lcoa;
    v.sequence = p.req.sequence;
    v.dad_running = p.dad_deadline.has_value();
    if (p.dad_deadline) v.dad_remaining = clamp_since(now, *p.dad_deadline);
    s.pending.push_back(v);
  }
  std::sort(s.pending.begin(), s.pending.end(),
            [](const PendingView& x, const PendingView& y) { return BindingKeyLess{}(x.key, y.key); });
  s.counters = counters_;
  s.usage = cap_usage();
  return s;
}

bool MapAgent::source_limit_exempt(const Ip6Addr& home, const std::optional<Ip6Addr>& coa, const Ip6Addr& dst) const {
  if (!cfg_.insecure.enabled)
    for (const BindingRole r : {BindingRole::map, BindingRole::home})
      if (roles::serves(cfg_, r, dst) && prefix_of(r, home)) return true;
  if (!coa) return false;
  // Any binding of the address (its BIDs too) bound to `coa`.
  const Address* a = address_of(home);
  if (a == nullptr) return false;
  return std::any_of(a->bids.begin(), a->bids.end(), [&](std::uint16_t bid) {
    const auto it = bindings_.find(BindingKey{home, bid});
    return it != bindings_.end() && it->second.lcoa == *coa;
  });
}

}  // namespace hmip::map
