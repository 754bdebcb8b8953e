// MapAgent's frame: construction, the timer service (expiry, BRR, DAD
// success), installs and their results, DAD results, carrier changes,
// poll_action / poll_timeout. The rest lives with what it handles:
//   binding_update.cpp  BU processing (RFC 6275 §9.5.1, §10.3)
//   home_registration.cpp  what only the home agent role does
//   invalid_mh.cpp      undecodable MHs, Binding Errors
//   map_reload.cpp      reload()
//   map_state.cpp       state() views
#include "hmip/map/map_agent.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "roles.h"

namespace hmip::map {

MapAgent::MapAgent(MapdConfig cfg, std::uint64_t rng_seed)
    : cfg_(std::move(cfg)),
      rng_(rng_seed),
      // The refusal limiter's hash key comes from the seed (random in the
      // daemon), not from rng_, so that it draws no jitter value.
      refusal_limiter_(kRefusalBaLimits, core::HashKey{rng_seed ^ 0x2545f4914f6cdd1dULL, ~rng_seed * 0x9e3779b97f4a7c15ULL}) {}

void MapAgent::log(LogLevel level, std::string text) { actions_.emplace_back(LogEvent{level, std::move(text)}); }

void MapAgent::log_limited(RateLimitedLog& rl, TimePoint now, LogLevel level, std::string text) {
  if (rl.last && now - *rl.last < kLogInterval) {
    ++rl.suppressed;
    return;
  }
  if (rl.suppressed != 0) text += " (" + std::to_string(rl.suppressed) + " similar suppressed)";
  rl.last = now;
  rl.suppressed = 0;
  log(level, std::move(text));
}

std::optional<std::uint16_t> MapAgent::prefix_of(BindingRole role, const Ip6Addr& addr) const {
  return roles::prefix_of(cfg_, role, addr);
}

const std::string& MapAgent::interface_of(BindingRole role, std::uint16_t prefix) const {
  return roles::interface_of(cfg_, role, prefix);
}

const Ip6Addr& MapAgent::own_address(BindingRole role) const { return roles::own_address(cfg_, role); }

// ---------------------------------------------------------------------------
// Timers

void MapAgent::service(TimePoint now) {
  while (const auto e = timers_.pop_due(now)) {
    switch (e->kind) {
      case TimerQueue::Kind::binding: on_binding_timer(now, e->key); break;
      case TimerQueue::Kind::dad: on_dad_timer(now, e->key); break;
      case TimerQueue::Kind::txn: on_txn_timer(now, e->key.rcoa); break;
    }
  }
}

void MapAgent::handle_timeout(TimePoint now) { service(now); }

std::optional<TimePoint> MapAgent::poll_timeout() const { return timers_.earliest(); }

std::optional<Action> MapAgent::poll_action() {
  if (actions_.empty()) return std::nullopt;
  Action a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

// The binding's next deadline: its next BRR or its expiry.
void MapAgent::schedule(const BindingKey& key, Binding& b, TimePoint now) {
  (void)now;
  const TimePoint next = b.next_brr ? std::min(*b.next_brr, b.expires) : b.expires;
  timers_.set(key, TimerQueue::Kind::binding, b.timer, next);
  b.timer = next;
}

void MapAgent::on_binding_timer(TimePoint now, const BindingKey& key) {
  const auto it = bindings_.find(key);
  if (it == bindings_.end()) return;
  Binding& b = it->second;
  b.timer.reset();  // popped
  if (now >= b.expires) {
    ++counters_.expired;
    if (b.adopted) ++counters_.adopted_expired;
    log(LogLevel::info, "binding of " + std::string(roles::address_word(b.role)) + " " + key.rcoa.str() + " to " + b.lcoa.str() + " expired" +
                            (b.adopted ? " (adopted at start; its node never re-registered)" : ""));
    remove_binding(key, RemoveReason::expired);
    return;
  }
  if (b.next_brr && *b.next_brr <= now) {
    // RFC 6275 §9.5.5: ask the MN to refresh; retried until expiry. A BID
    // binding's BRR carries its BID (RFC 5648 §6.4) and goes to its own
    // care-of address (transiently routed unless it is the top-ranked).
    actions_.emplace_back(SendBrr{own_address(b.role), key.rcoa, b.lcoa, key.bid, top_of(key.rcoa) != key});
    ++counters_.brr_sent;
    if (b.adopted) ++counters_.brr_adopted_sent;
    ++b.brr_sent;
    const TimePoint again = now + cfg_.brr_interval;
    b.next_brr = cfg_.brr_interval > Duration::zero() && again < b.expires ? std::optional(again) : std::nullopt;
  }
  schedule(key, b, now);
}

void MapAgent::on_dad_timer(TimePoint now, const BindingKey& key) {
  (void)now;
  if (const Address* a = address_of(key.rcoa); key.bid == 0 && a != nullptr && a->dad_deadline) {
    ++counters_.dad_succeeded;
    end_address_dad(key.rcoa, std::nullopt);  // Multiple CoA: the address's BIDs
    return;
  }
  const auto it = pending_.find(key);
  if (it == pending_.end()) return;
  end_dad(it->second);  // popped; the daemon stops listening at the same deadline
  ++counters_.dad_succeeded;
  send_install(key, it->second);
}

// ---------------------------------------------------------------------------
// Installs and commits

void MapAgent::send_install(const BindingKey& key, Pending& p) {
  p.install_sent = true;
  const std::string& iface = interface_of(p.req.role, p.req.prefix);
  actions_.emplace_back(InstallBinding{key, p.reason, own_address(p.req.role), p.req.lcoa, iface, cfg_.tunnel_mtu,
                                       p.req.role, p.req.link_local && !iface.empty(), p.req.rank});
}

void MapAgent::commit(TimePoint now, const BindingKey& key, const Request& req) {
  auto [it, created] = bindings_.try_emplace(key);
  Binding& b = it->second;
  const bool moved = !created && b.lcoa != req.lcoa;
  // The address's first binding: its proxy entry is new (an unsolicited NA).
  const bool first = created && !top_of(key.rcoa);
  // Whether the address's last sequence number is unknown (none bound, or
  // adopted: any number was let in), so that this one is taken whatever it is.
  const auto b0 = bindings_.find(BindingKey{key.rcoa, 0});
  const bool any_sequence = first || b.adopted || (b0 != bindings_.end() && b0->second.adopted);
  if (created) index_binding(key);
  if (created) {
    b.created = now;
    ++counters_.bindings_created;
    if (req.role == BindingRole::home) ++counters_.home_bindings_created;
    if (key.bid != 0) ++counters_.mcoa_bids_registered;
  } else if (moved) {
    ++counters_.bindings_moved;
  } else {
    ++counters_.bindings_refreshed;
  }
  // Counted against its owner now (a node moved to another TrustedPrefix is
  // counted there; a move is never refused for it, map_caps.cpp).
  if (created || b.owner != req.owner) {
    if (!created) unload_owner(b.owner);
    load_owner(req.owner);
    b.owner = req.owner;
  }
  if (b.adopted) {
    ++counters_.adopted_reregistered;
    b.adopted = false;
  }
  b.lcoa = req.lcoa;
  b.registered = now;
  b.expires = now + core::seconds(std::int64_t{req.lifetime_units} * wire::kMhLifetimeUnitSeconds);
  b.sequence = req.sequence;
  b.lifetime_units = req.lifetime_units;
  b.prefix = req.prefix;
  b.from_neighbour = req.from_neighbour;
  b.home_flag = req.home_flag;
  const bool link_local_added = req.link_local && !b.link_local;
  b.role = req.role;
  b.link_local = req.link_local;
  b.brr_sent = 0;
  b.rank = req.rank;
  b.stamp = req.stamp;
  b.bid_pri = req.bid_pri;
  b.next_brr.reset();
  if (cfg_.brr_lead > Duration::zero() && b.expires - cfg_.brr_lead > now) b.next_brr = b.expires - cfg_.brr_lead;
  schedule(key, b, now);
  // Never backwards: a BID of an older BU may commit after a newer BU of
  // the address was accepted (a withdrawn BU's move, a deregistration of
  // other BIDs meanwhile).
  note_sequence(key.rcoa, req.sequence, any_sequence);
  if (key.bid != 0 && !created) ++counters_.mcoa_bids_refreshed;
  if (req.txn) {
    // A BID of a Multiple CoA BU: its BA waits for the other BIDs.
    log(created || moved ? LogLevel::info : LogLevel::debug,
        std::string(created ? "bound" : moved ? "moved" : "refreshed") + " " +
            std::string(roles::address_word(req.role)) + " " + key.rcoa.str() + " BID " + std::to_string(key.bid) +
            " to " + req.lcoa.str() + " (rank " + std::to_string(req.rank) + ", seq " +
            std::to_string(req.sequence) + ")");
    finish_bid(*req.txn, key.bid, wire::ba_status::kAccepted, true);
    if (first) announce(key, req.role, req.prefix, false);
    return;
  }
  // A regular binding replacing BID bindings (RFC 5648 §6.2): it is
  // installed, they go (make-before-break).
  if (key.bid == 0 && has_bid_bindings(key.rcoa)) {
    ++counters_.mcoa_regular_replaced;
    const std::vector<std::uint16_t> bids = address_of(key.rcoa)->bids;
    for (const std::uint16_t bid : bids)
      if (bid != 0) remove_binding(BindingKey{key.rcoa, bid}, RemoveReason::replaced);
    log(LogLevel::info, std::string(roles::address_word(req.role)) + " " + key.rcoa.str() +
                            ": a regular binding replaced its " + std::to_string(bids.size() - 1) + " BID binding(s)");
  }
  ++counters_.bu_accepted;
  if (req.role == BindingRole::home) ++counters_.home_bu_accepted;
  send_ba(key, req.src, req.lcoa, wire::ba_status::kAccepted, req.sequence, req.lifetime_units, false);
  // Not when it replaced BID bindings: the address's proxy entry stays.
  if (first || moved || link_local_added) announce(key, req.role, req.prefix, req.link_local);
  log(created || moved ? LogLevel::info : LogLevel::debug,
      std::string(created ? "bound" : moved ? "moved" : "refreshed") + " " +
          std::string(roles::address_word(req.role)) + " " + key.rcoa.str() + " to " +
          req.lcoa.str() + " for " + std::to_string(std::uint32_t{req.lifetime_units} * wire::kMhLifetimeUnitSeconds) +
          " s (seq " + std::to_string(req.sequence) + (req.from_neighbour ? ", neighbouring domain)" : ")"));
}

std::uint8_t MapAgent::removal_status(RemoveReason why) noexcept {
  switch (why) {
    case RemoveReason::expired:
    case RemoveReason::reload_failed: return wire::ba_status::kInsufficientResources;
    case RemoveReason::prefix_removed: return wire::ba_status::kNotHomeSubnet;
    case RemoveReason::owner_changed:
    case RemoveReason::not_adopted: return wire::ba_status::kAdministrativelyProhibited;
    case RemoveReason::deregistered:
    case RemoveReason::stale:
    case RemoveReason::replaced: break;
  }
  return wire::ba_status::kReasonUnspecified;
}

void MapAgent::remove_binding(const BindingKey& key, RemoveReason why) {
  const auto it = bindings_.find(key);
  if (it != bindings_.end()) {
    timers_.set(key, TimerQueue::Kind::binding, it->second.timer, std::nullopt);
    unload_owner(it->second.owner);
    bindings_.erase(it);
    unindex_binding(key);
  }
  // A move or rank change pending for it goes too; its BU, still in flight,
  // learns why once the kernel has been told (issue 15 review, P1: a BID
  // left undone kept its address absorbing every BU).
  std::optional<Request> cancelled;
  if (const auto pit = pending_.find(key); pit != pending_.end()) cancelled = drop_pending(pit);
  actions_.emplace_back(RemoveBinding{key, why});
  if (cancelled) abort_bid(key, *cancelled, removal_status(why));
}

void MapAgent::send_ba(const BindingKey& key, const Ip6Addr& src, const Ip6Addr& lcoa, std::uint8_t status,
                       std::uint16_t sequence, std::uint16_t lifetime_units, bool transient,
                       const std::vector<wire::BindingIdentifierOption>* bids) {
  SendBa a;
  if (bids != nullptr)
    for (const auto& b : *bids) a.ba.options.emplace_back(b);
  a.src = src;
  a.rcoa = key.rcoa;
  a.lcoa = lcoa;
  a.ba.status = status;
  a.ba.sequence = sequence;
  a.ba.lifetime = lifetime_units;
  a.transient_route = transient;
  actions_.emplace_back(std::move(a));
  ++counters_.ba_sent;
}

void MapAgent::handle_dataplane_result(TimePoint now, const BindingKey& key, bool ok, std::string_view error) {
  service(now);
  const auto it = pending_.find(key);
  if (it == pending_.end() || !it->second.install_sent) {
    ++counters_.dataplane_unmatched;
    if (ok && bindings_.count(key) == 0) {
      log(LogLevel::debug, "install of RCoA " + key.rcoa.str() + " no longer wanted: removing it");
      actions_.emplace_back(RemoveBinding{key, RemoveReason::stale});
    }
    return;
  }
  const Pending p = it->second;
  (void)drop_pending(it);  // its BID is ended below (commit, refuse_req)
  // Re-installs (reload, adopt) change the kernel only: no BU to answer.
  const bool reinstall = p.reason == InstallReason::reload || p.reason == InstallReason::adopt;
  if (ok) {
    if (!reinstall) commit(now, key, p.req);
    // A reload changed what this install carried (map_reload.cpp): again,
    // in place, with what the binding is now.
    if (const auto bit = bindings_.find(key);
        p.reinstall_after && bit != bindings_.end() && pending_.count(key) == 0) {
      Binding& b = bit->second;
      if (key.bid != 0) b.rank = rank_of(key, b.stamp, b.bid_pri);
      send_install(key, add_pending(key, reinstall_request(b), InstallReason::reload));
    }
    return;
  }
  ++counters_.dataplane_failures;
  log(LogLevel::error, "kernel install (" + std::string(to_string(p.reason)) + ") of RCoA " + key.rcoa.str() +
                           " to " + p.req.lcoa.str() + " failed: " + std::string(error));
  if (reinstall) {
    if (p.reason == InstallReason::reload) ++counters_.removed_by_reload;
    remove_binding(key, p.reason == InstallReason::reload ? RemoveReason::reload_failed : RemoveReason::not_adopted);
    return;
  }
  refuse_req(key, p.req, wire::ba_status::kInsufficientResources);
}

// ---------------------------------------------------------------------------
// DAD and links

void MapAgent::handle_dad_result(TimePoint now, const Ip6Addr& rcoa, bool duplicate) {
  service(now);
  if (const Address* a = address_of(rcoa); a != nullptr && a->dad_deadline) {
    // Multiple CoA: the DAD the address's BIDs share.
    if (duplicate) {
      ++counters_.dad_duplicate;
      log(LogLevel::notice, rcoa.str() + " is in use on its link: its Binding IDs are refused (status 134)");
    } else {
      ++counters_.dad_succeeded;
      actions_.emplace_back(StopDad{rcoa});
    }
    end_address_dad(rcoa, duplicate ? std::optional<std::uint8_t>(wire::ba_status::kDuplicateAddressDetectionFailed)
                                     : std::nullopt);
    return;
  }
  const auto found = dad_key(rcoa);
  if (!found) {
    ++counters_.dad_unmatched;
    if (duplicate)
      log(LogLevel::warning, rcoa.str() + " reported in use on its link, but no DAD runs for it");
    return;
  }
  const BindingKey key = *found;
  const auto it = pending_.find(key);
  if (!duplicate && key.rcoa != rcoa) return;  // the link-local address is free: the home address decides
  if (!duplicate) {
    cancel_dad(key, it->second);  // the daemon may stop listening
    ++counters_.dad_succeeded;
    send_install(key, it->second);
    return;
  }
  ++counters_.dad_duplicate;
  const Request req = finish_dad(it, rcoa);
  log(LogLevel::notice, std::string(roles::address_word(req.role)) + " " + key.rcoa.str() +
                            (key.rcoa != rcoa ? " (its link-local address " + rcoa.str() + ")" : std::string()) +
                            " is in use on its link: refused (status 134)");
  refuse_req(key, req, wire::ba_status::kDuplicateAddressDetectionFailed);
}

// The daemon has stopped the DAD of `reported` (a duplicate, or its group
// could not be joined): the registration ends; a DAD of the other address
// (a home address and its link-local one) is stopped.
MapAgent::Request MapAgent::finish_dad(PendingMap::iterator it, const Ip6Addr& reported) {
  Pending& p = it->second;
  timers_.set(it->first, TimerQueue::Kind::dad, p.dad_deadline, std::nullopt);
  end_dad(p);
  if (p.dad_link_local) {
    const Ip6Addr ll = wire::link_local_of(it->first.rcoa);
    actions_.emplace_back(StopDad{reported == ll ? it->first.rcoa : ll});
  }
  return drop_pending(it);  // the caller ends its BID (refuse_req)
}

void MapAgent::handle_dad_failed(TimePoint now, const Ip6Addr& rcoa, std::string_view why) {
  service(now);
  if (const Address* a = address_of(rcoa); a != nullptr && a->dad_deadline) {
    ++counters_.dad_join_failed;
    log_limited(log_cap_, now, LogLevel::warning,
                "refused the Binding IDs of new " + rcoa.str() + ": status 130, DAD cannot run (" + std::string(why) +
                    ")");
    end_address_dad(rcoa, wire::ba_status::kInsufficientResources);
    return;
  }
  const auto found = dad_key(rcoa);
  if (!found) {
    ++counters_.dad_unmatched;
    return;
  }
  const BindingKey key = *found;
  const auto it = pending_.find(key);
  ++counters_.dad_join_failed;
  const Request req = finish_dad(it, rcoa);
  log_limited(log_cap_, now, LogLevel::warning,
              "refused new " + std::string(roles::address_word(req.role)) + " " + key.rcoa.str() +
                  ": status 130, DAD cannot run (" + std::string(why) + ")");
  refuse_req(key, req, wire::ba_status::kInsufficientResources);
}

void MapAgent::handle_link_carrier(TimePoint now, const std::string& interface, bool up) {
  service(now);
  auto [it, inserted] = carrier_.try_emplace(interface, up);
  const bool was_up = !inserted && it->second;
  it->second = up;
  if (!up || was_up) return;
  // The addresses proxied on `interface` (RCoAs, home addresses and the
  // link-local addresses of home bindings with L), sorted (a stable order).
  std::vector<Ip6Addr> rcoas;
  for (const auto& [key, b] : bindings_) {
    if (interface_of(b.role, b.prefix) != interface) continue;
    rcoas.push_back(key.rcoa);
    if (b.role == BindingRole::home && b.link_local) rcoas.push_back(wire::link_local_of(key.rcoa));
  }
  if (rcoas.empty()) return;
  std::sort(rcoas.begin(), rcoas.end());
  rcoas.erase(std::unique(rcoas.begin(), rcoas.end()), rcoas.end());
  ++counters_.proxies_refreshed;
  log(LogLevel::info, "carrier back on " + interface + ": re-adding proxy ND entries, announcing " +
                          std::to_string(rcoas.size()) + " address(es)");
  // Proxy entries first, so an NS provoked by the NA is answered.
  actions_.emplace_back(RefreshProxies{interface});
  // Neighbours may still hold entries for the RCoAs from before the outage
  // (or from another node that answered meanwhile): override them.
  for (const Ip6Addr& rcoa : rcoas) actions_.emplace_back(SendUnsolicitedNa{rcoa, interface});
}

}  // namespace hmip::map
