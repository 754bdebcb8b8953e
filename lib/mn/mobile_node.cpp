// MobileNode's frame: construction, links (movement hints), Router
// Advertisements (MAP options and prefixes per interface, RFC 5380 §7.1),
// expiry, poll_action / poll_timeout, service(). The rest lives with what it
// handles:
//   mn_select.cpp  MAP selection applied: new bindings, intra/inter-MAP moves
//   mn_bul.cpp     the binding update list: BUs, retransmission, BA/BRR/BE
//   mn_state.cpp   state() introspection
#include "hmip/mn/mobile_node.h"

#include <algorithm>
#include <utility>

namespace hmip::mn {

namespace {

TimePoint lifetime_end(TimePoint now, std::uint32_t seconds) {
  if (seconds == 0xffffffffU) return TimePoint::max();  // infinity (RFC 4861 §4.6.2)
  return now + core::seconds(seconds);
}

}  // namespace

MobileNode::MobileNode(MndConfig cfg, core::Rng rng) : cfg_(std::move(cfg)), rng_(rng) {
  for (const auto& name : cfg_.interfaces) {
    Iface i;
    i.name = name;
    ifaces_.push_back(std::move(i));
  }
  if (cfg_.home) {
    home_ = Home{};
    home_->cfg = *cfg_.home;
    home_->ha = cfg_.home->home_agent;
    home_->next_seq = rng_.u16();  // RFC 6275 §11.7.1: a random start
  }
}

void MobileNode::log(LogLevel level, std::string text) { actions_.emplace_back(LogEvent{level, std::move(text)}); }

std::optional<Action> MobileNode::poll_action() {
  if (actions_.empty()) return std::nullopt;
  Action a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

const LinkState* MobileNode::link_of(const Iface& i) const {
  if (!i.ifindex) return nullptr;
  const auto it = links_.find(*i.ifindex);
  return it == links_.end() ? nullptr : &it->second;
}

MobileNode::Iface* MobileNode::iface_by_index(unsigned ifindex) {
  for (auto& i : ifaces_)
    if (i.ifindex == ifindex) return &i;
  return nullptr;
}

// ---------------------------------------------------------------------------
// Links

// Forgets what the routers of `i` said, keeping the routers and prefixes
// aside to recognise a return to the same link (RFC 6059 §2: a link is
// identified by its routers and prefixes).
void MobileNode::forget_link(Iface& i) {
  if (i.ra_seen) {
    i.before_routers.clear();
    i.before_prefixes.clear();
    for (const auto& p : i.prefixes) {
      i.before_routers.insert(p.router);
      i.before_prefixes.emplace_back(p.prefix.addr, p.prefix.len);
    }
    std::sort(i.before_prefixes.begin(), i.before_prefixes.end(), [](const auto& x, const auto& y) {
      return x.second != y.second ? x.second < y.second : AddrLess{}(x.first, y.first);
    });
  }
  i.ra_seen = false;
  i.maps.clear();
  i.prefixes.clear();
  i.ra_mtu.reset();
  i.rs_remaining = 0;
  i.next_rs.reset();
}

// The link of `i` came up or is another one now: what its routers said no
// longer holds; solicit at once instead of waiting for a periodic RA.
void MobileNode::link_changed(Iface& i, TimePoint now) {
  forget_link(i);
  ++counters_.link_changes;
  log(LogLevel::info, "link " + i.name + " came up or changed: soliciting routers");
  if (cfg_.solicit_on_link_change) {
    i.rs_remaining = kMaxRtrSolicitations;
    i.next_rs = now;
  }
}

void MobileNode::bind_ifaces() {
  for (auto& i : ifaces_) {
    if (i.ifindex && links_.count(*i.ifindex) && links_.at(*i.ifindex).name == i.name) continue;
    i.ifindex.reset();
    for (const auto& [idx, l] : links_)
      if (l.name == i.name) i.ifindex = idx;
  }
}

void MobileNode::handle_link(TimePoint now, const LinkState& link) {
  service(now);
  for (auto it = links_.begin(); it != links_.end();) {  // a name moved to a new ifindex
    if (it->second.name == link.name && it->first != link.ifindex) it = links_.erase(it);
    else ++it;
  }
  links_[link.ifindex] = link;
  for (auto& i : ifaces_) {
    if (i.name != link.name) {
      if (i.ifindex == link.ifindex) {  // renamed away from a watched name
        forget_link(i);
        i.up = false;
        i.ifindex.reset();
      }
      continue;
    }
    const bool same_link = i.ifindex == link.ifindex;
    const bool was_up = i.up && same_link;
    i.ifindex = link.ifindex;
    i.up = link.up;
    if (stopping_) continue;
    if (link.up && !was_up) link_changed(i, now);
    else if (!link.up && was_up) forget_link(i);
  }
  bind_ifaces();
  service(now);
}

void MobileNode::handle_link_removed(TimePoint now, unsigned ifindex) {
  service(now);
  links_.erase(ifindex);
  if (Iface* i = iface_by_index(ifindex)) {
    forget_link(*i);
    i->up = false;
    i->ifindex.reset();
  }
  service(now);
}

// ---------------------------------------------------------------------------
// Router Advertisements

void MobileNode::handle_ra(TimePoint now, unsigned ifindex, const Ip6Addr& src, const wire::RouterAdvertisement& ra) {
  service(now);
  Iface* i = iface_by_index(ifindex);
  if (stopping_ || !i || !i->up || !src.is_link_local()) {
    ++counters_.ra_ignored;
    return;
  }
  ++counters_.ra_received;
  if (moved_without_link_change(*i, src, ra)) {
    forget_link(*i);
    ++counters_.router_changes;
    log(LogLevel::info, i->name + ": RA from a new router " + src.str() + " with new prefixes: moved");
  }
  if (!knows_router(*i, src)) {  // the router cap (issue 13 item 7)
    std::set<Ip6Addr, AddrLess> routers;
    for (const auto& p : i->prefixes) routers.insert(p.router);
    for (const auto& [a, m] : i->maps) routers.insert(m.advertisers.begin(), m.advertisers.end());
    if (routers.size() >= kMaxRoutersPerInterface) {
      if (counters_.ra_routers_refused++ == 0)
        log(LogLevel::warning, i->name + ": RA from " + src.str() + " ignored: " +
                                   std::to_string(kMaxRoutersPerInterface) +
                                   " routers known on this link already (counted as ra_routers_refused)");
      service(now);
      return;
    }
  }
  learn_ra(*i, src, ra, now);
  service(now);
}

// Movement without a link-layer signal (the access link switched under a
// carrier that stayed up): an RA from a router not heard since the last
// link change whose prefixes are all unknown here, while the routers heard
// before advertised some (RFC 6059 §2 identifies a link by its routers and
// prefixes). A second router on the same link advertises a known prefix or
// none at all, and is not taken for a move.
bool MobileNode::knows_router(const Iface& i, const Ip6Addr& router) {
  return std::any_of(i.prefixes.begin(), i.prefixes.end(), [&](const SeenPrefix& p) { return p.router == router; }) ||
         std::any_of(i.maps.begin(), i.maps.end(), [&](const auto& m) {
           const auto& adv = m.second.advertisers;
           return m.second.router == router || std::find(adv.begin(), adv.end(), router) != adv.end();
         });
}

bool MobileNode::moved_without_link_change(const Iface& i, const Ip6Addr& src,
                                           const wire::RouterAdvertisement& ra) const {
  if (!i.ra_seen || i.prefixes.empty()) return false;
  const bool known_router = std::any_of(i.prefixes.begin(), i.prefixes.end(), [&](const SeenPrefix& p) {
    return p.router == src;
  }) || std::any_of(i.maps.begin(), i.maps.end(), [&](const auto& m) { return m.second.router == src; });
  if (known_router) return false;
  bool any = false;
  for (const auto* pio : wire::options_of<wire::PrefixInfoOption>(ra.options)) {
    if (pio->valid_lifetime == 0) continue;
    any = true;
    const Ip6Prefix p = Ip6Prefix::of(pio->prefix, pio->prefix_length);
    if (std::any_of(i.prefixes.begin(), i.prefixes.end(), [&](const SeenPrefix& s) { return s.prefix == p; }))
      return false;
  }
  return any;
}

void MobileNode::learn_ra(Iface& i, const Ip6Addr& src, const wire::RouterAdvertisement& ra, TimePoint now) {
  // Prefixes (RFC 4861 §6.3.4): valid lifetime 0 removes.
  for (const auto* pio : wire::options_of<wire::PrefixInfoOption>(ra.options)) {
    const Ip6Prefix p = Ip6Prefix::of(pio->prefix, pio->prefix_length);
    auto it = std::find_if(i.prefixes.begin(), i.prefixes.end(),
                           [&](const SeenPrefix& s) { return s.prefix == p && s.router == src; });
    if (pio->valid_lifetime == 0) {
      if (it != i.prefixes.end()) i.prefixes.erase(it);
      continue;
    }
    if (it == i.prefixes.end()) {
      if (i.prefixes.size() >= kMaxPrefixesPerInterface) {
        if (counters_.prefixes_refused++ == 0)
          log(LogLevel::warning, i.name + ": prefix " + p.str() + " from " + src.str() + " not learned: " +
                                     std::to_string(kMaxPrefixesPerInterface) +
                                     " prefixes known on this link already (counted as prefixes_refused)");
        continue;
      }
      it = i.prefixes.insert(i.prefixes.end(), SeenPrefix{p, src, now});
    }
    it->expires = lifetime_end(now, pio->valid_lifetime);
  }
  if (const auto* mtu = wire::find_nd_option<wire::MtuOption>(ra.options)) i.ra_mtu = mtu->mtu;

  if (!i.ra_seen) {  // the first RA after a link change: a known link? (RFC 6059)
    i.ra_seen = true;
    i.rs_remaining = 0;
    i.next_rs.reset();
    std::vector<std::pair<Ip6Addr, std::uint8_t>> now_prefixes;
    for (const auto& p : i.prefixes)
      if (p.router == src) now_prefixes.emplace_back(p.prefix.addr, p.prefix.len);
    std::sort(now_prefixes.begin(), now_prefixes.end(), [](const auto& x, const auto& y) {
      return x.second != y.second ? x.second < y.second : AddrLess{}(x.first, y.first);
    });
    if (i.before_routers.count(src) && !now_prefixes.empty() && now_prefixes == i.before_prefixes) {
      ++counters_.known_link_returns;
      log(LogLevel::info, i.name + ": back on a known link (router " + src.str() + ", same prefixes)");
    }
  }

  // MAP options (RFC 5380 §7.1: stored, compared with later ones). What
  // this router advertised before and no longer does is dropped.
  std::vector<Ip6Addr> carried;
  for (const auto* opt : wire::options_of<wire::MapOption>(ra.options)) {
    ++counters_.map_options_received;
    carried.push_back(opt->address);
    if (r_flag_mismatch(opt->r_flag)) {
      ++counters_.map_r_flag_skipped;
      if (warned_r_flag_.insert(opt->address).second)
        log(LogLevel::warning,
            "MAP " + opt->address.str() + " on " + i.name +
                (opt->r_flag ? " has R = 1 (RCoA allocated through IKEv2, RFC 5380 §5): needs secure mode, skipped "
                               "in insecure testbed mode"
                             : " has R = 0: secure mode registers only with MAPs that allocate the RCoA through "
                               "IKEv2 (R = 1), skipped"));
    }
    auto it = std::find_if(i.maps.begin(), i.maps.end(), [&](const auto& m) { return m.first == opt->address; });
    if (opt->valid_lifetime == 0) {
      // RFC 5380 §7.1, §10: the MAP failed, but only its advertiser can say
      // so (issue 13 item 7): a router that advertised it here. Anyone
      // else's lifetime 0 is ignored, the MAP and its bindings are kept.
      const bool trusted = it != i.maps.end() && std::find(it->second.advertisers.begin(), it->second.advertisers.end(),
                                                           src) != it->second.advertisers.end();
      if (!trusted) {
        ++counters_.map_failures_untrusted;
        log(LogLevel::debug, i.name + ": MAP " + opt->address.str() + " with lifetime 0 from " + src.str() +
                                 ", which did not advertise it here: ignored");
        continue;
      }
    }
    if (it == i.maps.end()) {
      if (i.maps.size() >= kMaxMapsPerInterface) {
        if (counters_.maps_refused++ == 0)
          log(LogLevel::warning, i.name + ": MAP " + opt->address.str() + " from " + src.str() + " not learned: " +
                                     std::to_string(kMaxMapsPerInterface) +
                                     " MAPs known on this link already (counted as maps_refused)");
        continue;
      }
      it = i.maps.insert(i.maps.end(), {opt->address, SeenMap{}});
    }
    it->second.opt = *opt;
    it->second.router = src;
    it->second.received = now;
    auto& adv = it->second.advertisers;
    if (opt->valid_lifetime != 0 && std::find(adv.begin(), adv.end(), src) == adv.end()) adv.push_back(src);
    it->second.expires = opt->valid_lifetime == 0 ? now + kFailedMapMemory : lifetime_end(now, opt->valid_lifetime);
    if (opt->valid_lifetime == 0) map_failed(opt->address);
  }
  // A router that no longer carries a MAP no longer vouches for it.
  for (auto& [addr, m] : i.maps)
    if (std::find(carried.begin(), carried.end(), addr) == carried.end())
      std::erase(m.advertisers, src);
  i.maps.erase(std::remove_if(i.maps.begin(), i.maps.end(),
                              [&](const auto& m) {
                                return m.second.router == src &&
                                       std::find(carried.begin(), carried.end(), m.first) == carried.end();
                              }),
               i.maps.end());
}

// RFC 5380 §7.1, §10: Valid Lifetime 0 = the MAP failed; "any existing
// bindings with this MAP can be assumed to be lost".
void MobileNode::map_failed(const Ip6Addr& map) {
  bool had = false;
  for (std::size_t k = bul_.size(); k-- > 0;) {
    if (bul_[k].key.map_address != map) continue;
    had = true;
    remove_binding(k);
  }
  if (had) {
    ++counters_.map_failures;
    log(LogLevel::warning, "MAP " + map.str() + " failed (advertised with lifetime 0): its bindings are lost");
  }
}

// ---------------------------------------------------------------------------
// Time

void MobileNode::expire(TimePoint now) {
  for (auto& i : ifaces_) {
    i.prefixes.erase(std::remove_if(i.prefixes.begin(), i.prefixes.end(),
                                    [&](const SeenPrefix& p) { return p.expires <= now; }),
                     i.prefixes.end());
    i.maps.erase(std::remove_if(i.maps.begin(), i.maps.end(), [&](const auto& m) { return m.second.expires <= now; }),
                 i.maps.end());
  }
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->second.until <= now) {
      log(LogLevel::info, "MAP " + it->first.str() + " selectable again (hold-down over)");
      it = held_.erase(it);
    } else {
      ++it;
    }
  }
}

void MobileNode::service(TimePoint now) {
  expire(now);
  for (auto& i : ifaces_) {
    if (!i.next_rs || *i.next_rs > now || i.rs_remaining == 0 || !i.ifindex) continue;
    actions_.emplace_back(SendRs{*i.ifindex});
    ++counters_.rs_sent;
    --i.rs_remaining;
    if (i.rs_remaining > 0) i.next_rs = now + kRtrSolicitationInterval;
    else i.next_rs.reset();
  }
  service_bul(now);
  service_security(now);
  reconcile(now);
  service_home(now);
}

void MobileNode::handle_timeout(TimePoint now) { service(now); }

std::optional<TimePoint> MobileNode::poll_timeout() const {
  std::optional<TimePoint> t;
  auto consider = [&](const std::optional<TimePoint>& x) {
    if (x && *x != TimePoint::max() && (!t || *x < *t)) t = x;
  };
  for (const auto& i : ifaces_) {
    if (stopping_) break;  // only the deregistrations still count
    if (i.rs_remaining > 0) consider(i.next_rs);
    for (const auto& p : i.prefixes) consider(p.expires);
    for (const auto& m : i.maps) consider(m.second.expires);
  }
  if (!stopping_) {
    for (const auto& [a, h] : held_) consider(h.until);
    for (const auto& [a, s] : security_) consider(s.deadline);
  }
  for (const auto& b : bul_) {
    if (b.pending) consider(b.pending->sent + b.pending->timeout);
    else if (b.role == BindingRole::current) consider(b.refresh_at);
    consider(b.expires);
    // A refused BID may join again then (service_bul forgets it).
    if (!stopping_)
      for (const auto& [bid, until] : b.refused_bids) consider(until);
  }
  home_deadlines(t);
  return t;
}

// ---------------------------------------------------------------------------
// Reload, stop

void MobileNode::handle_reload(TimePoint now, MndConfig cfg) {
  service(now);
  std::vector<Iface> old = std::move(ifaces_);
  ifaces_.clear();
  for (const auto& name : cfg.interfaces) {
    auto it = std::find_if(old.begin(), old.end(), [&](const Iface& o) { return o.name == name; });
    if (it != old.end()) {
      ifaces_.push_back(std::move(*it));
      continue;
    }
    Iface i;
    i.name = name;
    ifaces_.push_back(std::move(i));
  }
  const bool policy_changed = cfg.selection != cfg_.selection;
  home_reload(cfg.home);
  mcoa_refused_.clear();  // MAPs that refused Multiple CoA are asked again
  cfg_ = std::move(cfg);
  log(LogLevel::notice, "configuration reloaded: " + std::to_string(ifaces_.size()) + " interface(s)" +
                            (policy_changed ? ", new MAP selection policy" : ""));
  bind_ifaces();
  for (auto& i : ifaces_) {
    const LinkState* l = link_of(i);
    const bool up = l && l->up;
    if (up && !i.up && !stopping_) link_changed(i, now);
    i.up = up;
  }
  // Multiple CoA: the members take their BIDs, priorities and flows from
  // the new configuration before anything is sent (mn_mcoa.cpp).
  for (auto& b : bul_) mcoa_reconfigure(b, now);
  home_mcoa_reconfigure(now);  // the same for the home registration (mn_home_mcoa.cpp)
  service(now);
}

void MobileNode::handle_stop(TimePoint now) {
  if (stopping_) return;
  service(now);
  stopping_ = true;
  for (auto& i : ifaces_) {
    i.rs_remaining = 0;
    i.next_rs.reset();
  }
  log(LogLevel::notice, "stopping");
  // The home binding first: its deregistration goes through the MAP
  // binding's tunnel, deregistered once it is answered (or given up).
  if (!home_stop(now)) stop_map_bindings(now);
  release_establishing(std::nullopt);
}

void MobileNode::stop_map_bindings(TimePoint now) {
  for (std::size_t k = bul_.size(); k-- > 0;) {
    Binding& b = bul_[k];
    if (cfg_.deregister_on_stop && b.role == BindingRole::current && (b.registered || b.pending)) {
      mcoa_collapse(b);  // a BU without BID option removes every BID (RFC 5648)
      b.role = BindingRole::deregistering;
      b.refresh_at.reset();
      send_bu(b, 0, cfg_.initial_bindack_timeout, now);
      continue;
    }
    remove_binding(k);
  }
}

}  // namespace hmip::mn
