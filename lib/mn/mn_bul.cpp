// MobileNode: the binding update list (RFC 6275 §11.1): sending BUs and
// retransmitting them (§11.8), refresh and expiry, and what comes back from
// the MAPs: BA (§11.7.3, RFC 5380 §6.1), BRR (§11.7.4), BE (§11.3.6).
#include <algorithm>
#include <type_traits>
#include <utility>

#include "hmip/mn/mobile_node.h"
#include "mn_time.h"

namespace hmip::mn {

using detail::lifetime_units;

Ip6Addr MobileNode::random_iid() {
  Ip6Addr a;
  do {
    for (std::size_t k = 8; k < 16; k += 2) {
      const std::uint16_t v = rng_.u16();
      a.b[k] = static_cast<std::uint8_t>(v >> 8);
      a.b[k + 1] = static_cast<std::uint8_t>(v & 0xff);
    }
  } while (!usable_iid(a));
  return a;
}

// One BU (RFC 6275 §11.7.1; RFC 5380 §6.1: A and M set, the RCoA as home
// address; in secure mode the LCoA in an Alternate Care-of Address option),
// with a new sequence number; `timeout` until the first retransmission
// (counted from when it leaves: handle_bu_sent).
void MobileNode::send_bu(Binding& b, std::uint32_t lifetime_s, core::Duration timeout, TimePoint now) {
  Pending p;
  p.seq = b.next_seq++;
  p.sent = now;
  p.timeout = timeout;
  p.lifetime_units = lifetime_units(lifetime_s);
  if (b.pending) p.resyncs = b.pending->resyncs;
  b.pending = p;
  b.requested_s = static_cast<std::uint32_t>(p.lifetime_units) * wire::kMhLifetimeUnitSeconds;
  ++b.bu_sent;
  ++counters_.bu_sent;
  SendBu s;
  s.src = b.key.rcoa;
  s.dst = b.key.map_address;
  s.lcoa = b.settings.lcoa;
  s.bu.sequence = p.seq;
  s.bu.ack = true;
  s.bu.map_registration = true;
  s.bu.lifetime = p.lifetime_units;
  // Secure mode (issue 13 item 8): the care-of address goes in an Alternate
  // Care-of Address option too (RFC 6275 §6.2.5, §11.7.1). The LCoA in the
  // IPv6 source is outside ESP's protection (RFC 4877 §4.1); the option is
  // inside it, so the MAP binds a care-of address the signalling SA vouches
  // for (RFC 5380 §12.1).
  if (secure()) s.bu.options.emplace_back(wire::AlternateCareOfAddressOption{b.settings.lcoa});
  actions_.emplace_back(std::move(s));
}

// The retransmission timer starts when the BU leaves (issue 13 item 5): the
// kernel state emitted before it may take the daemon a while to install, and
// a timer started at the decision then fires just after the BU went out,
// sending a second BU with a new sequence number that makes the MAP's answer
// to the first one stale and loses the first backoff step.
void MobileNode::handle_bu_sent(TimePoint now, const SendBu& bu) {
  if (bu.bu.home_registration) {
    if (home_ && home_->ha == bu.dst && home_->pending && home_->pending->seq == bu.bu.sequence &&
        now > home_->pending->sent)
      home_->pending->sent = now;
    return;
  }
  for (auto& b : bul_) {
    if (b.key.map_address != bu.dst || b.key.rcoa != bu.src) continue;
    if (b.pending && b.pending->seq == bu.bu.sequence && now > b.pending->sent) b.pending->sent = now;
    return;
  }
}

void MobileNode::remove_binding(std::size_t idx, bool release) {
  const Ip6Addr map = bul_[idx].key.map_address;
  // A home binding nested in this one goes first (kernel-glue: remove or
  // re-point the home binding before the MAP binding it nests in); the
  // home registration then installs it anew where it can (mn_home.cpp).
  if (home_ && home_->installed_key && home_->installed.via == bul_[idx].key) {
    home_->pending.reset();
    remove_home();
  }
  for (const auto& m : bul_[idx].members)  // Multiple CoA: the other members first
    if (m.bid != bul_[idx].key.bid)
      actions_.emplace_back(RemoveBinding{BindingKey{bul_[idx].key.map_address, bul_[idx].key.rcoa, m.bid}});
  for (const auto bid : bul_[idx].drop_after_ba)
    actions_.emplace_back(RemoveBinding{BindingKey{bul_[idx].key.map_address, bul_[idx].key.rcoa, bid}});
  actions_.emplace_back(RemoveBinding{bul_[idx].key});
  bul_.erase(bul_.begin() + static_cast<std::ptrdiff_t>(idx));
  if (release) release_unused(map);
}

void MobileNode::hold_down(const Ip6Addr& map, std::string reason, TimePoint now, core::Duration how_long) {
  log(LogLevel::warning, "MAP " + map.str() + " not used for " +
                             std::to_string(std::chrono::duration_cast<core::seconds>(how_long).count()) +
                             " s: " + reason);
  held_[map] = HoldDown{now + how_long, std::move(reason)};
}

// Retransmissions (§11.8: the timeout doubles up to MAX_BINDACK_TIMEOUT,
// then the BU is repeated at that rate), refreshes, expiry.
void MobileNode::service_bul(TimePoint now) {
  for (std::size_t k = bul_.size(); k-- > 0;) {
    Binding& b = bul_[k];
    // A refused BID's time is up: reconcile (update_mcoa) lets it join again.
    std::erase_if(b.refused_bids, [&](const auto& r) { return r.second <= now; });
    if (b.expires && *b.expires <= now && b.role != BindingRole::deregistering) {
      ++counters_.bindings_expired;
      log(b.role == BindingRole::current ? LogLevel::warning : LogLevel::info,
          "binding of " + b.key.rcoa.str() + " at MAP " + b.key.map_address.str() + " expired (" +
              std::string(to_string(b.role)) + ")");
      remove_binding(k);
      continue;
    }
    if (b.pending && b.pending->sent + b.pending->timeout <= now) {
      if (b.role == BindingRole::deregistering) {  // one attempt only
        log(LogLevel::info, "no answer to the deregistration of " + b.key.rcoa.str() + ": removed");
        remove_binding(k);
        continue;
      }
      auto timeout = b.pending->timeout * 2;
      if (timeout > cfg_.max_bindack_timeout) timeout = std::max(cfg_.max_bindack_timeout, b.pending->timeout);
      ++counters_.bu_retransmitted;
      resend(b, timeout, now);
      continue;
    }
    if (b.mcoa) mcoa_expire(b, now);
    if (!b.pending && b.role == BindingRole::current && b.refresh_at && *b.refresh_at <= now) {
      b.refresh_at.reset();
      refresh(b, now);
    }
    if (b.mcoa) mcoa_flush(b, now);
  }
}

void MobileNode::handle_mh(TimePoint now, const ReceivedMh& mh) {
  service(now);
  if (home_mh(mh, now)) {  // from the HA, about the home address (mn_home.cpp)
    service(now);
    return;
  }
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, wire::BindingAck>) {
          handle_ba(mh, m, now);
        } else if constexpr (std::is_same_v<T, wire::BindingRefreshRequest>) {
          if (!stopping_) handle_brr(mh, now);
        } else if constexpr (std::is_same_v<T, wire::BindingError>) {
          ++counters_.be_received;
          // RFC 5648: a Binding Error for a BU with BID options means the
          // MAP does not do Multiple CoA: one regular binding with it.
          // Only status 2 (unrecognized MH type) naming the RCoA, and not
          // in secure mode: a Binding Error is never protected.
          for (std::size_t k = 0; k < bul_.size() && m.status == wire::be_status::kUnrecognizedMhType; ++k) {
            const Binding& b = bul_[k];
            if (!b.mcoa || b.key.map_address != mh.src || !b.pending || b.pending->bids.empty()) continue;
            if (m.home_address != b.key.rcoa) continue;
            if (secure()) {
              log(LogLevel::warning, "ignored a Binding Error 2 from MAP " + mh.src.str() +
                                         " for Multiple CoA: Binding Errors are not protected");
              break;
            }
            mcoa_fallback(k, "Binding Error status " + std::to_string(m.status), true, now);
            break;
          }
          log(LogLevel::warning,
              "Binding Error from " + mh.src.str() + ", status " + std::to_string(m.status) +
                  (m.status == wire::be_status::kUnrecognizedMhType
                       ? " (unrecognized MH type: the peer does not implement what we sent)"
                       : m.status == wire::be_status::kUnknownBindingForHomeAddressDestOption
                             ? " (unknown binding for the home address " + m.home_address.str() + ")"
                             : ""));
        } else {
          ++counters_.mh_ignored;
        }
      },
      mh.msg);
  service(now);
}

// RFC 5380 §6.1: a BA without a type 2 routing header holding our RCoA is
// silently ignored; RFC 6275 §11.7.3: it must match the outstanding BU.
void MobileNode::handle_ba(const ReceivedMh& mh, const wire::BindingAck& ba, TimePoint now) {
  ++counters_.ba_received;
  if (!mh.rh2_home) {
    ++counters_.ba_no_rh2;
    return;
  }
  const auto it = std::find_if(bul_.begin(), bul_.end(), [&](const Binding& b) { return b.key.rcoa == *mh.rh2_home; });
  if (it == bul_.end()) {
    ++counters_.ba_wrong_rh2;
    return;
  }
  const std::size_t idx = static_cast<std::size_t>(it - bul_.begin());
  Binding& b = *it;
  if (mh.src != b.key.map_address) {
    ++counters_.ba_wrong_source;
    return;
  }
  if (!b.pending) {
    ++counters_.ba_unexpected;
    return;
  }
  if (ba.status == wire::ba_status::kSequenceNumberOutOfWindow) {
    // The BA carries the MAP's last accepted sequence number (RFC 6275
    // §9.5.1); continue after it (§11.7.3).
    ++counters_.ba_refused;
    ++counters_.sequence_resyncs;
    b.last_status = ba.status;
    if (++b.pending->resyncs > kMaxSequenceResyncs) {
      refused(idx, ba.status, now);
      return;
    }
    b.next_seq = static_cast<std::uint16_t>(ba.sequence + 1);
    log(LogLevel::info, "MAP " + b.key.map_address.str() + ": sequence out of window, continuing after " +
                            std::to_string(ba.sequence));
    resend(b, b.pending->timeout, now);
    return;
  }
  if (ba.sequence != b.pending->seq) {
    ++counters_.ba_wrong_sequence;
    return;
  }
  if (b.mcoa && (!b.pending->bids.empty() || b.pending->clearing)) {  // Multiple CoA (mn_mcoa.cpp)
    mcoa_ba(idx, ba, now);
    return;
  }
  b.last_status = ba.status;
  if (wire::ba_status::accepted(ba.status)) {
    accepted(idx, ba, now);
  } else if (ba.status == wire::ba_status::kDuplicateAddressDetectionFailed) {
    ++counters_.ba_refused;
    dad_failed(idx, now);
  } else {
    ++counters_.ba_refused;
    refused(idx, ba.status, now);
  }
}

void MobileNode::make_primary(Binding& b) {
  if (b.settings.primary) return;
  for (auto& o : bul_) {
    if (&o == &b || !o.settings.primary) continue;
    o.settings.primary = false;
    actions_.emplace_back(InstallBinding{o.key, o.settings});
  }
  b.settings.primary = true;
  actions_.emplace_back(InstallBinding{b.key, b.settings});
}

// An accepted BA: the granted lifetime counts from when the BU was sent
// (RFC 6275 §11.7.3); the current binding becomes primary and is refreshed
// when refresh_percent of it is left.
void MobileNode::accepted(std::size_t idx, const wire::BindingAck& ba, TimePoint now) {
  ++counters_.ba_accepted;
  Binding& b = bul_[idx];
  const TimePoint sent = b.pending->sent;
  const bool lifetime_zero_bu = b.pending->lifetime_units == 0;
  b.pending.reset();
  if (b.role == BindingRole::deregistering || lifetime_zero_bu) {
    log(LogLevel::info, "deregistered " + b.key.rcoa.str() + " at MAP " + b.key.map_address.str());
    remove_binding(idx);
    return;
  }
  b.granted_s = static_cast<std::uint32_t>(ba.lifetime) * wire::kMhLifetimeUnitSeconds;
  if (b.granted_s == 0) {
    const Ip6Addr map = b.key.map_address;
    log(LogLevel::warning, "MAP " + map.str() + " granted lifetime 0 for " + b.key.rcoa.str());
    const bool was_current = b.role == BindingRole::current;
    remove_binding(idx);
    if (was_current) hold_down(map, "granted lifetime 0", now);
    return;
  }
  b.registered = true;
  b.dad_retries = 0;
  for (const auto bid : b.drop_after_ba)  // the MAP holds the regular binding now
    actions_.emplace_back(RemoveBinding{BindingKey{b.key.map_address, b.key.rcoa, bid}});
  b.drop_after_ba.clear();
  const auto granted = core::seconds(b.granted_s);
  b.expires = sent + granted;
  if (b.role != BindingRole::current) {
    log(LogLevel::info, "previous MAP " + b.key.map_address.str() + " forwards to " + b.settings.lcoa.str() +
                            " for " + std::to_string(b.granted_s) + " s");
    return;
  }
  const auto left = std::chrono::duration_cast<core::Duration>(granted) * cfg_.refresh_percent / 100;
  b.refresh_at = *b.expires - left;
  make_primary(b);
  log(LogLevel::info, "registered RCoA " + b.key.rcoa.str() + " at MAP " + b.key.map_address.str() + " via " +
                          b.settings.lcoa.str() + ", lifetime " + std::to_string(b.granted_s) + " s");
}

// A refusal other than 134/135 (e.g. 129 administratively prohibited, 130
// insufficient resources, 132 not home subnet): the binding is removed and
// the MAP held down (kRefusedMapHoldDown); another one is chosen if any.
void MobileNode::refused(std::size_t idx, std::uint8_t status, TimePoint now) {
  Binding& b = bul_[idx];
  const Ip6Addr map = b.key.map_address;
  const BindingRole role = b.role;
  log(LogLevel::warning, "MAP " + map.str() + " refused the binding of " + b.key.rcoa.str() + " from " +
                             b.settings.lcoa.str() + " (status " + std::to_string(status) + ")");
  remove_binding(idx);
  if (role == BindingRole::current) hold_down(map, "refused with status " + std::to_string(status), now);
}

// Status 134 (4140bis §6.1: the RCoA is taken on the MAP's link): a new
// random interface identifier, a new RCoA, a new registration.
void MobileNode::dad_failed(std::size_t idx, TimePoint now) {
  Binding& b = bul_[idx];
  // A leased RCoA is the MAP's to choose: a duplicate is its problem.
  if (b.role != BindingRole::current || b.dad_retries >= kMaxDadRetries || secure()) {
    refused(idx, wire::ba_status::kDuplicateAddressDetectionFailed, now);
    return;
  }
  ++counters_.dad_retries;
  Binding nb = b;
  const Ip6Addr iid = random_iid();
  iid_for_map_[b.key.map_address] = iid;
  nb.key.rcoa = form_rcoa(b.key.map_address, iid);
  nb.dad_retries = b.dad_retries + 1;
  nb.registered = false;
  nb.pending.reset();
  nb.clearings = 0;  // a new RCoA: a new binding at the MAP
  nb.retired.clear();
  nb.drop_after_ba.clear();  // the old RCoA's, removed with it
  nb.settings.primary = false;
  log(LogLevel::warning, "MAP " + b.key.map_address.str() + ": RCoA " + b.key.rcoa.str() +
                             " is a duplicate (status 134), trying " + nb.key.rcoa.str());
  remove_binding(idx);
  if (nb.mcoa) {  // every member again, under the new RCoA
    nb.leaving.clear();
    for (auto& m : nb.members) {
      m.registered = false;
      m.renumbered = false;
      m.dirty = true;
      m.expires.reset();
      m.settings.primary = false;
    }
    nb.settings.primary = false;
    bul_.push_back(std::move(nb));
    Binding& r = bul_.back();
    for (const auto& m : r.members)
      if (m.settings.signalling) mcoa_install(r, m);
    for (const auto& m : r.members)
      if (!m.settings.signalling) mcoa_install(r, m);
    mcoa_flush(r, now);
    return;
  }
  actions_.emplace_back(InstallBinding{nb.key, nb.settings});
  bul_.push_back(std::move(nb));
  send_bu(bul_.back(), current_lifetime(bul_.back(), now), cfg_.initial_bindack_timeout_first_reg, now);
}

// RFC 6275 §11.7.4: a BRR from the MAP of a binding we keep is answered
// with a BU; previous bindings are not refreshed (§9 lazy).
void MobileNode::handle_brr(const ReceivedMh& mh, TimePoint now) {
  ++counters_.brr_received;
  for (auto& b : bul_) {
    if (b.key.map_address != mh.src) continue;
    if (mh.dst != b.key.rcoa && mh.rh2_home != b.key.rcoa) continue;
    if (b.role != BindingRole::current || !b.registered) break;
    ++counters_.brr_answered;
    refresh(b, now);
    return;
  }
  ++counters_.brr_ignored;
}

}  // namespace hmip::mn
