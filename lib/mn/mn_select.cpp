// MobileNode: the selection applied (RFC 5380 §7.1, §8, §9): the LCoA per
// interface, the MAP to register with, new bindings and moves.
#include <algorithm>
#include <utility>

#include "hmip/mn/mobile_node.h"
#include "mn_time.h"

namespace hmip::mn {

using detail::seconds_left;

// The care-of address usable on `i` now: a global address inside a prefix a
// router heard since the last link change advertises, not DAD-failed, not
// tentative unless optimistic (RFC 4429 §3.1); `keep` (the LCoA in use)
// wins if it qualifies, then a non-deprecated address, then the first.
std::optional<Ip6Addr> MobileNode::lcoa_of(const Iface& i, const std::optional<Ip6Addr>& keep) const {
  const LinkState* l = link_of(i);
  if (!l || !i.up || !i.ra_seen) return std::nullopt;
  std::optional<Ip6Addr> best;
  bool best_deprecated = true;
  for (const auto& a : l->addresses) {
    if (a.dadfailed || (a.tentative && !a.optimistic)) continue;
    if (a.addr.is_link_local() || a.addr.is_multicast() || a.addr.is_loopback() || a.addr.is_unspecified()) continue;
    const bool advertised = std::any_of(i.prefixes.begin(), i.prefixes.end(),
                                        [&](const SeenPrefix& p) { return p.prefix.contains(a.addr); });
    if (!advertised) continue;
    if (keep && a.addr == *keep) return a.addr;
    if (!best || (best_deprecated && !a.deprecated)) {
      best = a.addr;
      best_deprecated = a.deprecated;
    }
  }
  return best;
}

std::vector<MapCandidate> MobileNode::candidates(TimePoint now, std::vector<std::size_t>& ifaces) const {
  std::vector<MapCandidate> out;
  ifaces.clear();
  for (std::size_t k = 0; k < ifaces_.size(); ++k) {
    const Iface& i = ifaces_[k];
    if (!i.up) continue;
    for (const auto& [addr, m] : i.maps) {
      MapCandidate c;
      c.address = addr;
      c.dist = m.opt.dist;
      c.pref = m.opt.pref;
      c.r_flag_mismatch = r_flag_mismatch(m.opt.r_flag);
      c.lifetime = m.opt.valid_lifetime == 0 ? 0 : seconds_left(now, m.expires);
      c.held_down = held_.count(addr) > 0;
      c.iface_order = k;
      out.push_back(c);
      ifaces.push_back(k);
    }
  }
  // A MAP advertised as failed anywhere is not used anywhere (§7.1 MUST).
  for (auto& c : out)
    if (std::any_of(out.begin(), out.end(), [&](const MapCandidate& o) { return o.address == c.address && o.lifetime == 0; }))
      c.held_down = true;
  return out;
}

// Whether `map` is advertised (lifetime > 0, R = 0) on an up interface; with
// `refresh_only` a Pref of 0 counts too.
bool MobileNode::advertised(const Ip6Addr& map, bool refresh_only, TimePoint now) const {
  std::vector<std::size_t> idx;
  const auto cands = candidates(now, idx);
  return std::any_of(cands.begin(), cands.end(), [&](const MapCandidate& c) {
    return c.address == map && c.lifetime > 0 && !c.r_flag_mismatch && !c.held_down && (c.pref > 0 || refresh_only);
  });
}

// The MAP option's remaining Valid Lifetime (RFC 5380 §5: also the RCoA's).
std::uint32_t MobileNode::advertised_lifetime(const Ip6Addr& map, TimePoint now) const {
  std::uint32_t best = 0;
  for (const auto& i : ifaces_)
    for (const auto& [addr, m] : i.maps)
      if (addr == map && m.opt.valid_lifetime > 0) best = std::max(best, seconds_left(now, m.expires));
  return best;
}

// Where to register with `map` from on interface `k`: it hears `map`
// (lifetime > 0, R flag suiting the mode, Pref > 0 unless
// `allow_refresh_only`) and has a usable LCoA (`keep` if it qualifies).
std::optional<MobileNode::Access> MobileNode::access_on(std::size_t k, const Ip6Addr& map, bool allow_refresh_only,
                                                        const std::optional<Ip6Addr>& keep) const {
  const Iface& i = ifaces_[k];
  const auto m = std::find_if(i.maps.begin(), i.maps.end(), [&](const auto& e) { return e.first == map; });
  if (m == i.maps.end() || m->second.opt.valid_lifetime == 0 || r_flag_mismatch(m->second.opt.r_flag)) return std::nullopt;
  if (m->second.opt.pref == 0 && !allow_refresh_only) return std::nullopt;
  const auto lcoa = lcoa_of(i, keep);
  if (!lcoa) return std::nullopt;
  Access a;
  a.iface = k;
  a.settings.lcoa = *lcoa;
  a.settings.ifindex = static_cast<int>(*i.ifindex);
  a.settings.router = m->second.router;
  for (const auto& p : i.prefixes)  // the router that advertised the LCoA's prefix
    if (p.prefix.contains(*lcoa)) a.settings.router = p.router;
  std::uint32_t mtu = link_of(i)->mtu;
  if (i.ra_mtu && *i.ra_mtu >= kIpv6MinMtu && (mtu == 0 || *i.ra_mtu < mtu)) mtu = *i.ra_mtu;
  a.settings.tunnel_mtu = mtu == 0 ? 0 : std::max(mtu - std::min(mtu, kTunnelOverhead), kIpv6MinMtu);
  return a;
}

// Where to register with `map` from: an up interface hearing it with a
// usable LCoA; the current binding's interface first, then config order.
std::optional<MobileNode::Access> MobileNode::access_for(const Ip6Addr& map, bool allow_refresh_only) const {
  const Binding* cur = nullptr;
  for (const auto& b : bul_)
    if (b.role == BindingRole::current) cur = &b;
  std::optional<Access> best;
  for (std::size_t k = 0; k < ifaces_.size(); ++k) {
    const bool is_cur_iface = cur && cur->iface == ifaces_[k].name;
    const auto a = access_on(k, map, allow_refresh_only,
                             is_cur_iface ? std::optional<Ip6Addr>(cur->settings.lcoa) : std::nullopt);
    if (!a) continue;
    if (!best || is_cur_iface) best = a;
    if (is_cur_iface) break;
  }
  return best;
}

// A usable LCoA anywhere (for the BU to the previous MAP when the MN moved
// where no MAP is advertised).
std::optional<MobileNode::Access> MobileNode::any_access() const {
  for (std::size_t k = 0; k < ifaces_.size(); ++k) {
    const Iface& i = ifaces_[k];
    const auto lcoa = lcoa_of(i, std::nullopt);
    if (!lcoa) continue;
    Access a;
    a.iface = k;
    a.settings.lcoa = *lcoa;
    a.settings.ifindex = static_cast<int>(*i.ifindex);
    for (const auto& p : i.prefixes)
      if (p.prefix.contains(*lcoa)) a.settings.router = p.router;
    const std::uint32_t mtu = link_of(i)->mtu;
    a.settings.tunnel_mtu = mtu == 0 ? 0 : std::max(mtu - std::min(mtu, kTunnelOverhead), kIpv6MinMtu);
    return a;
  }
  return std::nullopt;
}

MobileNode::Binding* MobileNode::current() {
  for (auto& b : bul_)
    if (b.role == BindingRole::current) return &b;
  return nullptr;
}

void MobileNode::no_map(const std::string& why) {
  status_ = "no HMIPv6: " + why;
  if (no_map_logged_) return;
  no_map_logged_ = true;
  ++counters_.no_map_events;
  log(LogLevel::warning, "no usable MAP (" + why + "): not using HMIPv6 until a MAP is advertised");
}

void MobileNode::reconcile(TimePoint now) {
  if (stopping_) return;
  std::vector<std::size_t> idx;
  const auto cands = candidates(now, idx);
  Binding* cur = current();
  const std::optional<Ip6Addr> cur_map = cur ? std::optional<Ip6Addr>(cur->key.map_address) : std::nullopt;
  const auto sel = select_map(cands, cfg_.selection, cur_map);
  const bool any_ra = std::any_of(ifaces_.begin(), ifaces_.end(), [](const Iface& i) { return i.up && i.ra_seen; });

  // On the home link no MAP binding is needed (RFC 6275 §11.5.5: the home
  // address is used natively): the current one lapses as after a move where
  // no MAP is advertised (previous: a short BU, never refreshed).
  // Hmipv6 off (plain Mobile IPv6 mode): no MAP binding either; the home
  // registration (mn_home.cpp) registers the LCoA.
  if (at_home() || (home_ && !home_->cfg.hmipv6)) {
    if (cur) demote(static_cast<std::size_t>(cur - bul_.data()), any_access(), now);
    no_map_logged_ = false;
    status_ = at_home() ? "at home: home address " + home_->cfg.address.str() + " used natively"
                        : "plain Mobile IPv6 (Hmipv6 off): the LCoA is registered with the home agent";
    return;
  }

  if (!sel) {
    if (cur && advertised(cur->key.map_address, true, now)) {  // §7.1: Pref 0 = refresh only
      if (cur->mcoa) update_mcoa(*cur, now);
      else if (const auto a = access_for(cur->key.map_address, true)) update_current(*cur, *a, now);
      status_ = "MAP " + cur->key.map_address.str() + " kept with preference 0 (refresh only)";
      return;
    }
    if (!any_ra) {  // after a link change, before the first RA: nothing is known yet
      if (!cur) status_ = "waiting for a Router Advertisement";
      return;
    }
    if (cur) demote(static_cast<std::size_t>(cur - bul_.data()), any_access(), now);
    const bool r_only = !cands.empty() && std::all_of(cands.begin(), cands.end(), [](const MapCandidate& c) {
      return c.r_flag_mismatch;
    });
    no_map(cands.empty() ? "no MAP option advertised"
           : r_only      ? (secure() ? "only MAPs with R = 0 advertised (secure mode needs a MAP that allocates RCoAs)"
                                     : "only MAPs with R = 1 advertised")
                         : "every advertised MAP has preference 0, "
                                                                        "lifetime 0 or is held down");
    return;
  }

  const Ip6Addr map = cands[*sel].address;
  no_map_logged_ = false;
  if (cur && cur->key.map_address == map) {
    if (cur->mcoa) update_mcoa(*cur, now);
    else if (const auto a = access_for(map, true)) update_current(*cur, *a, now);
    status_ = (cur->registered ? "registered with MAP " : "registering with MAP ") + map.str();
    return;
  }
  const auto a = access_for(map, false);
  if (!a) {
    status_ = "MAP " + map.str() + " chosen, waiting for a care-of address";
    return;
  }
  if (cur) {
    ++counters_.inter_map_moves;
    log(LogLevel::notice, "moving from MAP " + cur->key.map_address.str() + " to MAP " + map.str());
    demote(static_cast<std::size_t>(cur - bul_.data()), a, now);
  }
  if (mcoa_for(map, now)) create_mcoa(map, mcoa_accesses(map, nullptr), now);
  else create_current(map, *a, now);
  status_ = (current() != nullptr ? "registering with MAP " : "securing signalling with MAP (IKEv2) ") + map.str();
}

// The current binding seen from `a` now: a new LCoA is an intra-MAP move
// (RFC 5380 §6.1: only the MAP is told, the RCoA stays); a new router or MTU
// only updates the kernel state.
void MobileNode::update_current(Binding& b, const Access& a, TimePoint now) {
  BindingSettings s = a.settings;
  s.primary = b.settings.primary;
  if (s == b.settings) return;
  const bool moved = s.lcoa != b.settings.lcoa;
  b.settings = s;
  b.iface = ifaces_[a.iface].name;
  actions_.emplace_back(InstallBinding{b.key, b.settings});
  if (!moved) return;
  ++counters_.intra_map_moves;
  log(LogLevel::notice, "new LCoA " + s.lcoa.str() + " on " + b.iface + " under MAP " + b.key.map_address.str() +
                            ": RCoA " + b.key.rcoa.str() + " kept");
  send_bu(b, current_lifetime(b, now),
          b.registered ? cfg_.initial_bindack_timeout : cfg_.initial_bindack_timeout_first_reg, now);
  reestablish(b.key.map_address, s.lcoa);
}

// A new binding with `map` (eager, §9): the RCoA from the MAP's /64 and the
// LCoA's interface identifier (or the random one chosen after status 134),
// installed (not primary) so it exists to send the BU from and receive the
// BA on, then the BU. A previous binding with the same RCoA is taken back.
void MobileNode::create_current(const Ip6Addr& map, const Access& a, TimePoint now) {
  std::optional<Ip6Addr> leased;
  if (secure()) {
    leased = secured_rcoa(map, a, now);
    if (!leased) return;  // handle_security_up() calls back here
  }
  const auto iid = iid_for_map_.find(map);
  const BindingKey key{map, leased ? *leased : form_rcoa(map, iid == iid_for_map_.end() ? a.settings.lcoa : iid->second)};
  // The entry of this MAP and RCoA whatever its BID: after a Multiple CoA
  // fallback the regular binding keeps its signalling member's kernel key
  // {map, rcoa, bid} (the BID is only a name on this side), and a return to
  // the MAP during the fallback hold-down takes that entry back, key and
  // all, instead of adding a second one for the same RCoA (review finding 6).
  auto it = std::find_if(bul_.begin(), bul_.end(), [&](const Binding& b) {
    return b.key.map_address == key.map_address && b.key.rcoa == key.rcoa;
  });
  if (it == bul_.end()) {
    Binding b;
    b.key = key;
    b.next_seq = rng_.u16();
    b.settings.primary = false;
    it = bul_.insert(bul_.end(), std::move(b));
  } else {
    log(LogLevel::info, "MAP " + map.str() + " again: binding for " + key.rcoa.str() + " taken back");
  }
  it->role = BindingRole::current;
  const bool primary = it->settings.primary;
  it->settings = a.settings;
  it->settings.primary = primary;
  it->iface = ifaces_[a.iface].name;
  actions_.emplace_back(InstallBinding{it->key, it->settings});
  log(LogLevel::info, "registering RCoA " + key.rcoa.str() + " with MAP " + map.str() + " from LCoA " +
                          a.settings.lcoa.str() + " on " + it->iface);
  send_bu(*it, current_lifetime(*it, now),
          it->registered ? cfg_.initial_bindack_timeout : cfg_.initial_bindack_timeout_first_reg, now);
}

// The current binding is no longer the one to use. Never accepted: removed.
// Otherwise `previous` (§8, §9): not primary; if the MN has a new LCoA, one
// BU to the previous MAP with it and PreviousMapLifetime so in-flight
// packets follow; never refreshed, removed when it expires.
void MobileNode::demote(std::size_t idx, const std::optional<Access>& a, TimePoint now) {
  Binding& b = bul_[idx];
  // Multiple CoA: only the signalling member follows the MN (one regular
  // BU to the previous MAP, which replaces every BID binding, RFC 5648).
  mcoa_collapse(b);
  if (!b.registered) {
    log(LogLevel::info, "dropping unregistered binding " + b.key.rcoa.str() + " at MAP " + b.key.map_address.str());
    remove_binding(idx);
    return;
  }
  b.role = BindingRole::previous;
  b.refresh_at.reset();
  b.pending.reset();
  b.settings.primary = false;
  const bool new_lcoa = a && a->settings.lcoa != b.settings.lcoa;
  if (new_lcoa) {
    b.settings = a->settings;
    b.settings.primary = false;
    b.iface = ifaces_[a->iface].name;
  }
  actions_.emplace_back(InstallBinding{b.key, b.settings});
  if (!new_lcoa) return;
  log(LogLevel::info, "previous MAP " + b.key.map_address.str() + ": forwarding to new LCoA " +
                          b.settings.lcoa.str() + " for " + std::to_string(cfg_.previous_map_lifetime) + " s (RFC 5380 §8)");
  send_bu(b, std::max<std::uint32_t>(std::min(cfg_.previous_map_lifetime, lcoa_lifetime(b.settings.lcoa, now)), 1),
          cfg_.initial_bindack_timeout, now);
}

// The lifetime to ask for (RFC 6275 §11.7.1: at most the remaining valid
// lifetimes of the home address and the care-of address): BindingLifetime,
// at most the MAP option's remaining Valid Lifetime (the RCoA's validity,
// RFC 5380 §5) and the remaining valid lifetime of the prefix the LCoA is
// in (the LCoA's validity, RFC 4862 §5.5.3).
std::uint32_t MobileNode::current_lifetime(const Binding& b, TimePoint now) const {
  const std::uint32_t adv = advertised_lifetime(b.key.map_address, now);
  const std::uint32_t lt = adv == 0 ? cfg_.binding_lifetime : std::min(cfg_.binding_lifetime, adv);
  // A registration: never 0 (it would go out as 0 units, which the MAP
  // reads as a deregistration): one unit at least.
  return std::max<std::uint32_t>(std::min(lt, lcoa_lifetime(b.settings.lcoa, now)), 1);
}

// The remaining valid lifetime of `lcoa` as the routers of its interface
// advertise its prefix (the longest if several do); "infinite" if no router
// advertises it (then the LCoA imposes no limit the MN knows of).
std::uint32_t MobileNode::lcoa_lifetime(const Ip6Addr& lcoa, TimePoint now) const {
  std::optional<std::uint32_t> best;
  for (const auto& i : ifaces_)
    for (const auto& p : i.prefixes)
      if (p.prefix.contains(lcoa)) best = std::max(best.value_or(0), seconds_left(now, p.expires));
  return best.value_or(0xffffffffU);
}

}  // namespace hmip::mn
