// MapAgent's caps (issue 13 item 14): how many bindings, pending
// registrations and running DADs mapd holds, in all and per node (the IKE
// identity holding the RCoA in secure mode, the TrustedPrefix of the
// care-of address in insecure testbed mode). Only a new RCoA is refused by
// a cap, with status 130 (insufficient resources, RFC 6275 §6.1.8); a
// refresh or move of an existing binding grows nothing and is never
// refused. The counts are kept as pending_ and bindings_ change, so a check
// costs a hash lookup, not a scan. map_agent.h lists the decisions.
#include <algorithm>
#include <string>
#include <utility>

#include "hmip/map/map_agent.h"
#include "roles.h"

namespace hmip::map {

std::string MapAgent::owner_of(const Ip6Addr& rcoa, const Ip6Addr& coa) const {
  if (!cfg_.insecure.enabled) return ike_.holder(rcoa).value_or(std::string());
  for (const auto& p : cfg_.insecure.trusted_prefixes)
    if (p.contains(coa)) return p.str();
  return {};
}

std::size_t MapAgent::owner_cap() const {
  if (!cfg_.insecure.enabled) return cfg_.max_bindings_per_identity;
  return cfg_.max_bindings_per_trusted_prefix.value_or(cfg_.max_bindings);
}

void MapAgent::load_owner(const std::string& owner) {
  if (!owner.empty()) ++owner_load_[owner];
}

void MapAgent::unload_owner(const std::string& owner) {
  if (owner.empty()) return;
  const auto it = owner_load_.find(owner);
  if (it == owner_load_.end()) return;  // never counted (nothing to free)
  if (--it->second == 0) owner_load_.erase(it);
}

MapAgent::Pending& MapAgent::add_pending(const BindingKey& key, const Request& req, InstallReason reason) {
  Pending& p = pending_[key];  // callers add only where none is pending
  p.req = req;
  p.reason = reason;
  if (reason == InstallReason::create) {
    p.owner = req.owner;
    ++creates_pending_;
    load_owner(p.owner);
  }
  return p;
}

MapAgent::Request MapAgent::drop_pending(PendingMap::iterator it) {
  cancel_dad(it->first, it->second);
  if (it->second.awaiting_dad) {
    // Multiple CoA: the last BID waiting for its address's DAD cancels it.
    const Ip6Addr addr = it->first.rcoa;
    Address& a = address_entry(addr);
    std::erase(a.dad_bids, it->first.bid);
    if (a.dad_bids.empty() && a.dad_deadline) {
      timers_.set(BindingKey{addr, 0}, TimerQueue::Kind::dad, a.dad_deadline, std::nullopt);
      a.dad_deadline.reset();
      --dad_running_;
      actions_.emplace_back(StopDad{addr});
    }
    it->second.awaiting_dad = false;
  }
  if (it->second.reason == InstallReason::create) {
    --creates_pending_;
    unload_owner(it->second.owner);
  }
  const Ip6Addr addr = it->first.rcoa;
  Request req = std::move(it->second.req);
  pending_.erase(it);
  release_address(addr);
  return req;
}

void MapAgent::erase_pending(PendingMap::iterator it, std::uint8_t status) {
  const BindingKey key = it->first;
  const Request req = drop_pending(it);
  abort_bid(key, req, status);
}

void MapAgent::start_dad(const BindingKey& key, Pending& p, TimePoint deadline) {
  p.dad_deadline = deadline;
  ++dad_running_;
  timers_.set(key, TimerQueue::Kind::dad, std::nullopt, deadline);
}

void MapAgent::end_dad(Pending& p) {
  if (!p.dad_deadline) return;
  p.dad_deadline.reset();
  --dad_running_;
}

void MapAgent::cancel_dad(const BindingKey& key, Pending& p) {
  if (!p.dad_deadline) return;
  timers_.set(key, TimerQueue::Kind::dad, p.dad_deadline, std::nullopt);
  end_dad(p);
  actions_.emplace_back(StopDad{key.rcoa});
  if (p.dad_link_local) actions_.emplace_back(StopDad{wire::link_local_of(key.rcoa)});
}

bool MapAgent::over_cap(TimePoint now, const BindingKey& key, const Request& req, bool needs_dad) {
  if (!cap_exceeded(now, key, req, needs_dad)) return false;
  refuse_bu(now, key, req.src, req.lcoa, req.sender, wire::ba_status::kInsufficientResources, req.sequence, req.role);
  return true;
}

bool MapAgent::cap_exceeded(TimePoint now, const BindingKey& key, const Request& req, bool needs_dad) {
  std::uint64_t* counter = nullptr;
  std::string why;
  const std::size_t held = bindings_.size() + creates_pending_;
  if (held >= cfg_.max_bindings) {
    counter = &counters_.cap_bindings;
    why = "MaxBindings " + std::to_string(cfg_.max_bindings) + " reached (" + std::to_string(held) +
          " bindings and new registrations)";
  } else if (const auto it = req.owner.empty() ? owner_load_.end() : owner_load_.find(req.owner);
             it != owner_load_.end() && it->second >= owner_cap()) {
    counter = &counters_.cap_identity;
    why = (cfg_.insecure.enabled ? "MaxBindingsPerTrustedPrefix " : "MaxBindingsPerIdentity ") +
          std::to_string(owner_cap()) + " reached by " + (cfg_.insecure.enabled ? "TrustedPrefix " : "identity ") +
          req.owner;
  } else if (creates_pending_ >= cfg_.max_pending_registrations) {
    counter = &counters_.cap_pending;
    why = "MaxPendingRegistrations " + std::to_string(cfg_.max_pending_registrations) + " reached";
  } else if (needs_dad && dad_running_ >= cfg_.max_concurrent_dad) {
    counter = &counters_.cap_dad;
    why = "MaxConcurrentDad " + std::to_string(cfg_.max_concurrent_dad) + " reached";
  } else {
    return false;
  }
  ++*counter;
  log_limited(log_cap_, now, LogLevel::warning,
              "refused new " + std::string(roles::address_word(req.role)) + " " + key.rcoa.str() +
                  (key.bid != 0 ? " BID " + std::to_string(key.bid) : std::string()) + " from " + req.lcoa.str() +
                  " (seq " + std::to_string(req.sequence) + "): status 130, " + why);
  return true;
}

// Charon leases RCoAs from RcoaPool; a new lease goes to an identity's new
// IKE SA from another address even while its other SAs hold theirs, so one
// identity could hold any number. The IKE SA that takes its identity over
// the per-identity cap is terminated (its lease goes back to the pool) and
// forgotten at once, so its RCoA is held by no one meanwhile. Only SAs that
// come up are judged: a resync or a reconnect terminates nothing.
void MapAgent::check_leases(TimePoint now, const ike::IkeSaView& sa) {
  if (cfg_.insecure.enabled) return;
  const std::size_t n = ike_.leases_of(sa.peer_identity());
  if (n <= cfg_.max_bindings_per_identity) return;
  ++counters_.cap_leases;
  log_limited(log_cap_, now, LogLevel::warning,
              "terminating IKE SA " + sa.uniqueid + " of " + sa.peer_identity() + " from " +
                  (sa.remote_host ? sa.remote_host->str() : std::string("?")) + ": it holds " + std::to_string(n) +
                  " RCoA leases, MaxBindingsPerIdentity is " + std::to_string(cfg_.max_bindings_per_identity));
  ike_.remove(sa.uniqueid);
  actions_.emplace_back(TerminateIke{sa.uniqueid});
}

CapUsage MapAgent::cap_usage() const {
  CapUsage u;
  u.bindings = bindings_.size() + creates_pending_;
  u.pending = creates_pending_;
  u.dad_running = dad_running_;
  u.owners = owner_load_.size();
  for (const auto& [owner, n] : owner_load_) u.max_owner = std::max(u.max_owner, n);
  return u;
}

}  // namespace hmip::map
