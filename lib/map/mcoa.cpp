// MapAgent: Multiple Care-of Addresses (RFC 5648 §6.2, with the seed
// draft-ietf-monami6-multiplecoa-13 §5-6 and RFC 6089's BID-PRI) for both
// roles: Binding Updates carrying Binding Identifier options, one BA per BU
// aggregating the outcome of each BID, the per-address index of BIDs, the
// ranks that pick the binding carrying an address's traffic, and the DAD a
// new address's BIDs share. map_agent.h ("Multiple CoA") lists the choices.
#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <variant>

#include "hmip/map/binding_rules.h"
#include "hmip/map/map_agent.h"
#include "hmip/wire/options.h"
#include "roles.h"

namespace hmip::map {

namespace {

// RFC 5648 §6.2: the care-of address field must hold a unicast routable address.
bool routable(const Ip6Addr& a) {
  return !a.is_link_local() && !a.is_multicast() && !a.is_loopback() && !a.is_unspecified();
}

std::string bid_text(std::uint16_t bid) { return "BID " + std::to_string(bid); }

}  // namespace

// ---------------------------------------------------------------------------
// The per-address index

const MapAgent::Address* MapAgent::address_of(const Ip6Addr& addr) const {
  const auto it = addresses_.find(BindingKey{addr, 0});
  return it == addresses_.end() ? nullptr : &it->second;
}

MapAgent::Address& MapAgent::address_entry(const Ip6Addr& addr) { return addresses_[BindingKey{addr, 0}]; }

void MapAgent::release_address(const Ip6Addr& addr) {
  const auto it = addresses_.find(BindingKey{addr, 0});
  if (it == addresses_.end()) return;
  const Address& a = it->second;
  if (a.bids.empty() && !a.txn && !a.dad_deadline && a.dad_bids.empty()) addresses_.erase(it);
}

void MapAgent::index_binding(const BindingKey& key) {
  auto& bids = address_entry(key.rcoa).bids;
  const auto at = std::lower_bound(bids.begin(), bids.end(), key.bid);
  if (at == bids.end() || *at != key.bid) bids.insert(at, key.bid);
}

void MapAgent::unindex_binding(const BindingKey& key) {
  const auto it = addresses_.find(BindingKey{key.rcoa, 0});
  if (it == addresses_.end()) return;
  auto& bids = it->second.bids;
  const auto at = std::lower_bound(bids.begin(), bids.end(), key.bid);
  if (at != bids.end() && *at == key.bid) bids.erase(at);
  release_address(key.rcoa);
}

bool MapAgent::has_bid_bindings(const Ip6Addr& addr) const {
  const Address* a = address_of(addr);
  return a != nullptr && !a->bids.empty() && a->bids.back() != 0;
}

std::optional<BindingKey> MapAgent::top_of(const Ip6Addr& addr) const {
  const Address* a = address_of(addr);
  if (a == nullptr) return std::nullopt;
  std::optional<BindingKey> top;
  std::uint64_t best = 0;
  for (const std::uint16_t bid : a->bids) {  // ascending: a tie keeps the lower BID
    const auto it = bindings_.find(BindingKey{addr, bid});
    if (it == bindings_.end()) continue;
    if (!top || it->second.rank > best) {
      top = it->first;
      best = it->second.rank;
    }
  }
  return top;
}

bool MapAgent::routed_to(const Ip6Addr& addr, const Ip6Addr& lcoa) const {
  const auto top = top_of(addr);
  return top && bindings_.at(*top).lcoa == lcoa;
}

// McoaSelection recent: the stamp alone (the newest wins). priority: the
// BID-PRI above it (RFC 6089: lower is preferred, 0 none = worst), the
// stamp breaking ties. A regular binding is above every BID binding while
// it replaces them, alone it has 0 (kglue's default).
std::uint64_t MapAgent::rank_of(const BindingKey& key, std::uint64_t stamp, std::uint8_t bid_pri) const {
  if (key.bid == 0) return has_bid_bindings(key.rcoa) ? kRegularRank : 0;
  constexpr std::uint64_t kStampMask = (std::uint64_t{1} << 48) - 1;
  if (cfg_.mcoa_selection == McoaSelection::recent) return stamp;
  const std::uint64_t pri = bid_pri == 0 ? 0 : 128U - (bid_pri & 0x7fU);
  return (pri << 48) | (stamp & kStampMask);
}

// ---------------------------------------------------------------------------
// The BU

void MapAgent::handle_mcoa_bu(TimePoint now, const wire::BindingUpdate& bu, const BuContext& c) {
  ++counters_.mcoa_bu_received;
  std::vector<wire::BindingIdentifierOption> opts;
  bool malformed = false;
  for (const auto& o : bu.options) {
    if (const auto* b = std::get_if<wire::BindingIdentifierOption>(&o)) opts.push_back(*b);
    if (const auto* m = std::get_if<wire::MalformedMobilityOption>(&o); m && m->type == wire::mh_opt::kBindingIdentifier)
      malformed = true;
  }
  if (opts.size() > 1) ++counters_.mcoa_bulk_bu;
  const std::string word(roles::address_word(c.role));
  const BindingKey key0{c.addr, 0};
  const auto whole = [&](std::uint8_t status, const std::string& why, std::uint16_t sequence) {
    log_limited(log_refused_, now, LogLevel::info,
                "refused Multiple CoA BU seq " + std::to_string(bu.sequence) + " for " + word + " " + c.addr.str() +
                    " from " + c.coa.str() + ": status " + std::to_string(status) + ", " + why);
    // The options go back with status 0: the BA's status is the outcome
    // (RFC 5648 §6.2), not whatever the BU carried in theirs.
    std::vector<wire::BindingIdentifierOption> echo = opts;
    for (auto& o : echo) o.status = 0;
    refuse_bu(now, key0, c.src, c.coa, c.sender, status, sequence, c.role, &echo);
  };

  // 1. MCOA MALFORMED (RFC 5648 §6.2) for the whole BU.
  if (malformed) return whole(wire::ba_status::kMcoaMalformed, "a malformed Binding Identifier option", bu.sequence);
  std::vector<std::uint16_t> sorted;  // duplicates found in O(k log k)
  sorted.reserve(opts.size());
  for (const auto& o : opts) {
    if (o.bid == 0) return whole(wire::ba_status::kMcoaMalformed, "BID 0 is reserved (RFC 5648 §5.1)", bu.sequence);
    if (const auto* a6 = std::get_if<Ip6Addr>(&o.care_of_address); a6 && !routable(*a6))
      return whole(wire::ba_status::kMcoaMalformed,
                   bid_text(o.bid) + ": care-of address " + a6->str() + " is not unicast routable", bu.sequence);
    sorted.push_back(o.bid);
  }
  std::sort(sorted.begin(), sorted.end());
  if (const auto dup = std::adjacent_find(sorted.begin(), sorted.end()); dup != sorted.end())
    return whole(wire::ba_status::kMcoaMalformed, bid_text(*dup) + " twice", bu.sequence);
  // 2. MultipleCoa off, BulkRegistration off.
  if (cfg_.multiple_coa == MultipleCoaMode::off)
    return whole(wire::ba_status::kMcoaProhibited, "MultipleCoa is off", bu.sequence);
  if (opts.size() > 1 && !cfg_.bulk_registration)
    return whole(wire::ba_status::kMcoaBulkRegistrationProhibited,
                 std::to_string(opts.size()) + " Binding Identifier options and BulkRegistration is off", bu.sequence);
  // 3. A regular binding (RFC 5648 has no O flag: the node deregisters it
  // first). An adopted one (the kernel keeps no BID) is replaced.
  const auto b0 = bindings_.find(key0);
  const bool adopted0 = b0 != bindings_.end() && b0->second.adopted;
  if ((b0 != bindings_.end() && !adopted0) || (b0 == bindings_.end() && pending_.count(key0) != 0))
    return whole(wire::ba_status::kMcoaNonMcoaBindingExists,
                 "a regular binding (without BID) exists: deregister it first (RFC 5648 §6.2)", bu.sequence);
  // 4. The sequence number is the address's, all BIDs share it.
  const Address* a = address_of(c.addr);
  const bool bound = a != nullptr && !a->bids.empty();
  if (adopted0) {
    ++counters_.bu_adopted_any_sequence;
  } else if (bound && !sequence_greater(bu.sequence, a->sequence)) {
    return whole(wire::ba_status::kSequenceNumberOutOfWindow,
                 "last accepted " + std::to_string(a->sequence) + " (per address, RFC 5648)", a->sequence);
  }
  const bool deregistration = bu.lifetime == 0;
  // A BU in flight (DAD or installs) for the address: a registration is
  // absorbed (the same BIDs: its sequence number is the one answered); a
  // deregistration goes ahead and withdraws it.
  std::optional<std::uint64_t> in_flight = a != nullptr ? a->txn : std::nullopt;
  if (!deregistration) {
    bool busy = in_flight.has_value() || (a != nullptr && a->dad_deadline);
    for (const auto& o : opts) busy = busy || pending_.count(BindingKey{c.addr, o.bid}) != 0;
    if (busy) {
      ++counters_.bu_absorbed;
      // A retransmission of the BU in flight (newer, and the same BU:
      // options, care-of address, lifetime) is the one answered: its
      // sequence number goes into the BA and the bindings. Anything else
      // keeps the first one's: the BA acknowledges what is bound.
      if (const auto tit = in_flight ? txns_.find(*in_flight) : txns_.end(); tit != txns_.end()) {
        Txn& t = tit->second;
        const bool same = t.lcoa == c.coa && t.asked_lifetime == bu.lifetime && t.role == c.role &&
                          t.bids.size() == opts.size() &&
                          std::equal(opts.begin(), opts.end(), t.bids.begin(),
                                     [](const auto& o, const BidOutcome& b) { return o == b.option; });
        if (same && sequence_greater(bu.sequence, t.sequence)) {
          t.sequence = bu.sequence;
          for (const auto& b : t.bids)
            if (const auto pit = pending_.find(BindingKey{c.addr, b.option.bid});
                pit != pending_.end() && pit->second.req.txn == in_flight)
              pit->second.req.sequence = bu.sequence;
        }
      }
      log(LogLevel::debug, "absorbed Multiple CoA BU seq " + std::to_string(bu.sequence) + " for " + word + " " +
                               c.addr.str() + ": a BU for it is in flight");
      return;
    }
  }
  std::uint16_t units = 0;
  if (!deregistration) {
    units = granted_lifetime_units(bu.lifetime, roles::limits_of(cfg_, c.role, c.prefix));
    if (units == 0)
      return whole(wire::ba_status::kAdministrativelyProhibited, "a lifetime cap is below 4 s (one unit)", bu.sequence);
  }

  const std::uint64_t id = next_txn_++;
  Txn& t = txns_[id];
  t.addr = c.addr;
  t.src = c.src;
  t.lcoa = c.coa;
  t.sender = c.sender;
  t.sequence = bu.sequence;
  t.lifetime_units = units;
  t.asked_lifetime = bu.lifetime;
  t.role = c.role;
  t.received = now;
  for (const auto& o : opts) t.bids.push_back(BidOutcome{o, 0, false, false});
  t.outstanding = t.bids.size();

  // 5-6. Each BID: what it asks for.
  enum class Kind : std::uint8_t { refused, dereg, refresh, rerank, move, create };
  struct Plan {
    Kind kind = Kind::refused;
    std::uint8_t status = 0;
    std::string why;
    Ip6Addr coa;
    bool from_neighbour = false;
    std::uint64_t stamp = 0;
    std::uint64_t rank = 0;
  };
  std::vector<Plan> plan(opts.size());
  for (std::size_t i = 0; i < opts.size(); ++i) {
    const auto& o = opts[i];
    Plan& p = plan[i];
    const auto bit = bindings_.find(BindingKey{c.addr, o.bid});
    const auto refuse_as = [&p](std::uint8_t st, std::string why) {
      p.kind = Kind::refused;
      p.status = st;
      p.why = std::move(why);
    };
    if (o.simultaneous_home_and_foreign) {
      refuse_as(wire::ba_status::kMcoaSimultaneousHomeAndForeignProhibited,
                "H (simultaneous home and foreign binding) is not served");
      continue;
    }
    if (std::holds_alternative<Ip4Addr>(o.care_of_address)) {
      refuse_as(wire::ba_status::kInvalidCareOfAddress, "an IPv4 care-of address (DSMIPv6 is not served)");
      continue;
    }
    if (deregistration) {
      p.kind = Kind::dereg;
      continue;
    }
    if (const auto* a6 = std::get_if<Ip6Addr>(&o.care_of_address)) {
      p.coa = *a6;
    } else if (opts.size() == 1) {
      p.coa = c.coa;
    } else if (bit != bindings_.end()) {
      p.coa = bit->second.lcoa;  // a refresh in a bulk BU
    } else {
      refuse_as(wire::ba_status::kMcoaUnknownCoa, "no care-of address in its option and no binding (RFC 5648 §6.2)");
      continue;
    }
    if (p.coa == c.addr) {
      p.kind = Kind::dereg;
      continue;
    }
    if (cfg_.insecure.enabled &&
        std::none_of(cfg_.insecure.trusted_prefixes.begin(), cfg_.insecure.trusted_prefixes.end(),
                     [&](const Ip6Prefix& tp) { return tp.contains(p.coa); })) {
      refuse_as(wire::ba_status::kAdministrativelyProhibited, "care-of address " + p.coa.str() + " outside TrustedPrefix");
      continue;
    }
    if (auto why = coa_refusal(c.role, c.addr, p.coa, bound, p.from_neighbour); !why.empty()) {
      refuse_as(wire::ba_status::kAdministrativelyProhibited, why);
      continue;
    }
    if (bit == bindings_.end())
      p.kind = Kind::create;
    else
      p.kind = bit->second.lcoa == p.coa ? Kind::refresh : Kind::move;
  }
  // MaxCareOfAddresses: the address's BID bindings once this BU is done
  // (those it deregisters no longer count), its new ones in option order.
  std::size_t bid_count = 0;
  if (a != nullptr) bid_count = a->bids.size() - (!a->bids.empty() && a->bids.front() == 0 ? 1 : 0);
  for (std::size_t i = 0; i < plan.size(); ++i)
    if (plan[i].kind == Kind::dereg && bindings_.count(BindingKey{c.addr, opts[i].bid}) != 0) --bid_count;
  for (Plan& p : plan) {
    if (p.kind != Kind::create) continue;
    if (bid_count >= cfg_.max_care_of_addresses) {
      ++counters_.cap_care_of_addresses;
      p.kind = Kind::refused;
      p.status = wire::ba_status::kInsufficientResources;
      p.why = "MaxCareOfAddresses " + std::to_string(cfg_.max_care_of_addresses) + " reached";
      continue;
    }
    ++bid_count;
  }

  // Recency: the bindings this BU creates or moves are the newest, in
  // option order, and the one on the BU's own care-of address (the node's
  // preferred interface) newest of all.
  std::optional<std::size_t> own;
  bool changes = false;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const Kind k = plan[i].kind;
    if (k == Kind::refused || k == Kind::dereg) continue;
    if (plan[i].coa == c.coa && !own) own = i;
    changes = changes || k == Kind::create || k == Kind::move;
  }
  for (std::size_t i = 0; i < plan.size(); ++i) {
    Plan& p = plan[i];
    if (p.kind == Kind::refused || p.kind == Kind::dereg) continue;
    const BindingKey key{c.addr, opts[i].bid};
    const auto bit = bindings_.find(key);
    if (changes && (p.kind == Kind::create || p.kind == Kind::move) && own != i) p.stamp = ++rank_clock_;
    if (p.stamp == 0 && bit != bindings_.end()) p.stamp = bit->second.stamp;
  }
  if (changes && own) plan[*own].stamp = ++rank_clock_;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    Plan& p = plan[i];
    if (p.kind == Kind::refused || p.kind == Kind::dereg) continue;
    const BindingKey key{c.addr, opts[i].bid};
    p.rank = rank_of(key, p.stamp, opts[i].bid_pri);
    if (p.kind == Kind::refresh && bindings_.at(key).rank != p.rank) p.kind = Kind::rerank;
  }

  // The outcomes: registrations first (make-before-break), then
  // deregistrations, refusals in place.
  const bool new_address = !bound;
  const bool dad = new_address && roles::needs_dad(cfg_, c.role, c.prefix);
  bool dad_started = false;
  const auto request = [&](std::size_t i) {
    const Plan& p = plan[i];
    Request req;
    req.src = c.src;
    req.lcoa = p.coa;
    req.sender = c.sender;
    req.sequence = bu.sequence;
    req.lifetime_units = units;
    req.prefix = c.prefix;
    req.from_neighbour = p.from_neighbour;
    req.home_flag = bu.home_registration;
    req.owner = owner_of(c.addr, p.coa);
    req.role = c.role;
    req.rank = p.rank;
    req.stamp = p.stamp;
    req.bid_pri = opts[i].bid_pri;
    req.txn = id;
    return req;
  };
  std::vector<std::size_t> immediate;  // refreshes, committed once every BID has its pending entry
  for (std::size_t i = 0; i < plan.size(); ++i) {
    Plan& p = plan[i];
    if (p.kind == Kind::refused || p.kind == Kind::dereg) continue;
    const BindingKey key{c.addr, opts[i].bid};
    const Request req = request(i);
    if (p.kind == Kind::refresh) {
      immediate.push_back(i);
      continue;
    }
    if (p.kind == Kind::move || p.kind == Kind::rerank) {
      if (p.kind == Kind::rerank) ++counters_.mcoa_rank_reinstalls;
      send_install(key, add_pending(key, req, p.kind == Kind::move ? InstallReason::move : InstallReason::rank));
      continue;
    }
    const bool starts_dad = dad && !dad_started;
    if (cap_exceeded(now, key, req, starts_dad)) {
      p.kind = Kind::refused;
      p.status = wire::ba_status::kInsufficientResources;
      p.why = "a cap is reached";
      continue;
    }
    Pending& pe = add_pending(key, req, InstallReason::create);
    if (!dad) {
      send_install(key, pe);
      continue;
    }
    pe.awaiting_dad = true;
    address_entry(c.addr).dad_bids.push_back(key.bid);
    if (!dad_started) {
      dad_started = true;
      start_address_dad(c.addr, c.role, c.prefix, now);
    }
  }
  // Deregistrations (RFC 5648 §6.2: each BID removed; unknown: 133). A
  // BID pending for an older BU in flight withdraws that BU (its BA would
  // carry an older sequence number than this one's; its other new BIDs go
  // with it, withdraw()).
  bool deregistered = false;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    Plan& p = plan[i];
    if (p.kind != Kind::dereg) continue;
    const BindingKey key{c.addr, opts[i].bid};
    const auto pit = pending_.find(key);
    const bool was_pending = pit != pending_.end();
    std::optional<std::uint64_t> older;
    if (was_pending) {
      if (pit->second.req.txn && *pit->second.req.txn != id) older = pit->second.req.txn;
      (void)drop_pending(pit);  // cancelled; its BU (never this one) is withdrawn just below
    }
    if (older) withdraw(*older);
    if (bindings_.count(key) != 0) {
      remove_binding(key, RemoveReason::deregistered);
    } else if (!was_pending) {
      p.kind = Kind::refused;
      p.status = wire::ba_status::kNotHomeAgentForThisMobileNode;
      p.why = "no binding with this BID";
      continue;
    }
    ++counters_.mcoa_bids_deregistered;
    ++counters_.deregistrations;
    if (c.role == BindingRole::home) ++counters_.home_deregistrations;
    log(LogLevel::info, "deregistered " + word + " " + c.addr.str() + " " + bid_text(opts[i].bid) + " (seq " +
                            std::to_string(bu.sequence) + ")");
    deregistered = true;
    finish_bid(id, opts[i].bid, wire::ba_status::kAccepted, false);
  }
  // RFC 6275 §9.5.1: the sequence number of an accepted BU is the last
  // accepted one; a BU whose every BID is refused is not accepted and
  // leaves it. Deregistrations take effect here, registrations when they
  // commit (and answer() once the BA goes).
  if (const auto* left = address_of(c.addr); deregistered && left != nullptr && !left->bids.empty())
    note_sequence(c.addr, bu.sequence, adopted0);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const Plan& p = plan[i];
    if (p.kind != Kind::refused) continue;
    ++counters_.bu_refused[p.status];
    if (c.role == BindingRole::home) ++counters_.home_bu_refused[p.status];
    log_limited(log_refused_, now, LogLevel::info,
                "refused " + bid_text(opts[i].bid) + " of BU seq " + std::to_string(bu.sequence) + " for " + word +
                    " " + c.addr.str() + ": status " + std::to_string(p.status) + ", " + p.why);
    finish_bid(id, opts[i].bid, p.status, false);
  }
  for (const std::size_t i : immediate) {
    const BindingKey key{c.addr, opts[i].bid};
    if (bindings_.count(key) == 0) continue;  // gone meanwhile (cannot happen: deregistrations name other BIDs)
    commit(now, key, request(i));
  }
  // Still waiting for DAD or installs: the address has a BU in flight, with
  // a backstop (kTxnMargin).
  if (const auto it = txns_.find(id); it != txns_.end()) {
    Txn& live = it->second;
    live.in_bu = false;
    live.deadline = now + 2 * roles::dad_timeout(cfg_, c.role) + kTxnMargin;
    timers_.set(key0, TimerQueue::Kind::txn, std::nullopt, live.deadline);
    address_entry(c.addr).txn = id;
  }
}

// ---------------------------------------------------------------------------
// Outcomes and the BA

void MapAgent::finish_bid(std::uint64_t txn, std::uint16_t bid, std::uint8_t status, bool registered) {
  const auto it = txns_.find(txn);
  if (it == txns_.end()) return;
  Txn& t = it->second;
  for (auto& b : t.bids) {
    if (b.option.bid != bid || b.done) continue;
    b.done = true;
    b.status = status;
    b.registered = registered;
    if (--t.outstanding == 0) answer(txn);
    return;
  }
}

// The Txn `txn` out of the table, its backstop timer and its address's
// in-flight mark with it (nullopt: already answered or withdrawn).
std::optional<MapAgent::Txn> MapAgent::take_txn(std::uint64_t txn) {
  const auto it = txns_.find(txn);
  if (it == txns_.end()) return std::nullopt;
  Txn t = std::move(it->second);
  txns_.erase(it);
  if (t.deadline) timers_.set(BindingKey{t.addr, 0}, TimerQueue::Kind::txn, t.deadline, std::nullopt);
  if (const auto ait = addresses_.find(BindingKey{t.addr, 0}); ait != addresses_.end() && ait->second.txn == txn)
    ait->second.txn.reset();
  return t;
}

void MapAgent::withdraw(std::uint64_t txn) {
  const auto taken = take_txn(txn);
  if (!taken) return;
  const Txn& t = *taken;
  // Its BIDs still pending (issue 15 review, P2: left alive they were
  // tracked by nothing, and committed after the node had deregistered all).
  for (const auto& b : t.bids) {
    if (b.done) continue;
    const BindingKey key{t.addr, b.option.bid};
    const auto pit = pending_.find(key);
    if (pit == pending_.end() || pit->second.req.txn != txn) continue;
    if (bindings_.count(key) == 0) {
      // New: cancelled (an install already sent is answered as unmatched
      // -> RemoveBinding stale; the last BID waiting for a DAD stops it).
      ++counters_.mcoa_bids_cancelled;
      log(LogLevel::debug, "cancelled " + bid_text(b.option.bid) + " of " + std::string(roles::address_word(t.role)) +
                               " " + t.addr.str() + " (its BU seq " + std::to_string(t.sequence) + " was withdrawn)");
      (void)drop_pending(pit);
    }
    // else a move or rank change: completes without a BA (finish_bid
    // ignores a withdrawn Txn; ids are never reused)
  }
  release_address(t.addr);
}

void MapAgent::on_txn_timer(TimePoint now, const Ip6Addr& addr) {
  const Address* a = address_of(addr);
  if (a == nullptr || !a->txn) return;
  const std::uint64_t id = *a->txn;
  const auto it = txns_.find(id);
  if (it == txns_.end() || !it->second.deadline || *it->second.deadline > now) return;
  it->second.deadline.reset();  // popped
  ++counters_.mcoa_txn_abandoned;
  log_limited(log_refused_, now, LogLevel::warning,
              "withdrew the Multiple CoA BU seq " + std::to_string(it->second.sequence) + " for " +
                  std::string(roles::address_word(it->second.role)) + " " + addr.str() + ": still in flight " +
                  std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now - it->second.received).count()) +
                  " s after its arrival (no BA; its node retransmits)");
  withdraw(id);
}

void MapAgent::note_sequence(const Ip6Addr& addr, std::uint16_t seq, bool any) {
  Address& a = address_entry(addr);
  if (any || sequence_greater(seq, a.sequence)) a.sequence = seq;
}

// RFC 5648 §6.2: every BID option of the BU goes back in the BA; a status
// that differs between BIDs goes in the options with the BA's status 4
// (MCOA NOTCOMPLETE), else in the BA with the options' status 0.
void MapAgent::answer(std::uint64_t txn) {
  const auto taken = take_txn(txn);
  if (!taken) return;
  const Txn& t = *taken;
  // A retransmission may have moved the sequence number answered past the
  // one its BIDs committed with (never backwards: a newer BU of the
  // address may have been accepted meanwhile).
  const bool accepted_any = std::any_of(t.bids.begin(), t.bids.end(),
                                        [](const BidOutcome& b) { return b.status == wire::ba_status::kAccepted; });
  if (const Address* a = address_of(t.addr); accepted_any && a != nullptr && !a->bids.empty())
    note_sequence(t.addr, t.sequence, false);
  const bool same = std::all_of(t.bids.begin(), t.bids.end(),
                                [&](const BidOutcome& b) { return b.status == t.bids.front().status; });
  const bool registered = std::any_of(t.bids.begin(), t.bids.end(), [](const BidOutcome& b) { return b.registered; });
  std::vector<wire::BindingIdentifierOption> opts;
  opts.reserve(t.bids.size());
  for (const auto& b : t.bids) {
    opts.push_back(b.option);
    opts.back().status = same ? 0 : b.status;
  }
  const std::uint8_t status = same && !t.bids.empty() ? t.bids.front().status : wire::ba_status::kMcoaNotComplete;
  // An adopted regular binding (the kernel keeps no BID) is replaced once
  // the node's BIDs are bound.
  const BindingKey key0{t.addr, 0};
  if (const auto b0 = bindings_.find(key0); registered && b0 != bindings_.end() && b0->second.adopted) {
    ++counters_.mcoa_adopted_replaced;
    ++counters_.adopted_reregistered;
    log(LogLevel::info, "the adopted binding of " + std::string(roles::address_word(t.role)) + " " + t.addr.str() +
                            " is replaced by its node's Multiple CoA registration");
    remove_binding(key0, RemoveReason::replaced);
  }
  if (status == wire::ba_status::kAccepted) {
    ++counters_.bu_accepted;
    if (t.role == BindingRole::home) ++counters_.home_bu_accepted;
  } else if (status == wire::ba_status::kMcoaNotComplete) {
    ++counters_.mcoa_ba_not_complete;
  }
  release_address(t.addr);
  if (!wire::ba_status::accepted(status) && t.in_bu && !refusal_limiter_.allow(t.received, t.sender)) {
    ++counters_.ba_refusal_rate_limited;
    return;
  }
  send_ba(key0, t.src, t.lcoa, status, t.sequence, registered ? t.lifetime_units : 0, !routed_to(t.addr, t.lcoa),
          &opts);
}

void MapAgent::refuse_req(const BindingKey& key, const Request& req, std::uint8_t status) {
  if (!req.txn) {
    refuse(key, req.src, req.lcoa, status, req.sequence, req.role);
    return;
  }
  abort_bid(key, req, status);
}

void MapAgent::abort_bid(const BindingKey& key, const Request& req, std::uint8_t status) {
  if (!req.txn || txns_.count(*req.txn) == 0) return;  // regular, or its BU withdrawn
  ++counters_.bu_refused[status];
  if (req.role == BindingRole::home) ++counters_.home_bu_refused[status];
  finish_bid(*req.txn, key.bid, status, false);
}

// ---------------------------------------------------------------------------
// DAD of a new address, shared by its BIDs

void MapAgent::start_address_dad(const Ip6Addr& addr, BindingRole role, std::uint16_t prefix, TimePoint now) {
  const Duration timeout = roles::dad_timeout(cfg_, role);
  Address& a = address_entry(addr);
  a.dad_deadline = now + timeout;
  ++dad_running_;
  ++counters_.dad_started;
  timers_.set(BindingKey{addr, 0}, TimerQueue::Kind::dad, std::nullopt, *a.dad_deadline);
  const std::string& iface = interface_of(role, prefix);
  actions_.emplace_back(StartDad{addr, iface, timeout});
  log(LogLevel::debug, "DAD for " + std::string(roles::address_word(role)) + " " + addr.str() + " on " + iface +
                           " (shared by its Binding IDs)");
}

void MapAgent::end_address_dad(const Ip6Addr& addr, std::optional<std::uint8_t> status) {
  Address& a = address_entry(addr);
  if (a.dad_deadline) {
    timers_.set(BindingKey{addr, 0}, TimerQueue::Kind::dad, a.dad_deadline, std::nullopt);
    a.dad_deadline.reset();
    --dad_running_;
  }
  // The BIDs waiting for it (a withdrawn BU's too).
  const std::vector<std::uint16_t> waiting = std::exchange(a.dad_bids, {});
  for (const std::uint16_t bid : waiting) {
    const BindingKey key{addr, bid};
    const auto pit = pending_.find(key);
    if (pit == pending_.end()) continue;
    Pending& p = pit->second;
    p.awaiting_dad = false;
    if (!status) {
      send_install(key, p);
      continue;
    }
    const Request req = drop_pending(pit);
    refuse_req(key, req, *status);
  }
  release_address(addr);
}

}  // namespace hmip::map
