// When AccessRouter sends which RA: answers to Router Solicitations (RFC 4861
// §6.2.6), unsolicited and fast RAs (§6.2.4), the final RA (§6.2.5), and the
// MIN_DELAY_BETWEEN_RAS rate limits, multicast and per unicast destination.
#include <algorithm>

#include "hmip/ar/access_router.h"
#include "ra_split.h"

namespace hmip::ar {

namespace {

using core::Duration;

Ip6Addr all_nodes() {
  Ip6Addr a;
  a.b[0] = 0xff;
  a.b[1] = 0x02;
  a.b[15] = 0x01;
  return a;
}

}  // namespace

std::optional<TimePoint> AccessRouter::Iface::next_multicast() const {
  std::optional<TimePoint> t = next_unsolicited;
  if (solicited_at && (!t || *solicited_at < *t)) t = solicited_at;
  return t;
}

TimePoint AccessRouter::earliest_multicast(const Iface& i, TimePoint t) const {
  if (i.last_multicast) return std::max(t, *i.last_multicast + i.cfg.min_delay_between_ras);
  return t;
}

// ---------------------------------------------------------------------------
// Router Solicitations

void AccessRouter::handle_rs(unsigned ifindex, const Ip6Addr& src, const wire::RouterSolicitation& rs,
                             TimePoint now) {
  Iface* ip = begin_receive(ifindex, now);
  if (!ip) return;
  Iface& i = *ip;
  // RFC 4861 §6.1.1: an RS from the unspecified address carries no Source LLA.
  if (src.is_unspecified() && wire::find_nd_option<wire::SourceLlaOption>(rs.options)) {
    ++i.counters.invalid[static_cast<std::size_t>(InvalidReason::rs_unspecified_with_slla)];
    return;
  }
  if (src.is_multicast()) {
    ++i.counters.invalid[static_cast<std::size_t>(InvalidReason::other)];
    return;
  }
  ++i.counters.rs_received;
  i.counters.options_malformed += wire::options_of<wire::MalformedNdOption>(rs.options).size();
  if (!i.advertising) {
    ++i.counters.rs_ignored;
    return;
  }

  // RFC 4861 §6.2.6. The delay is drawn once; a multicast RA already due
  // no later than the answer would be serves as the answer.
  const Duration delay = rng_.uniform(Duration(0), i.cfg.max_ra_delay);
  const bool unicast = i.cfg.unicast_solicited && !src.is_unspecified();
  if (unicast && i.unicast.size() < kMaxPendingUnicast) {
    if (std::any_of(i.unicast.begin(), i.unicast.end(), [&](const PendingUnicast& p) { return p.dst == src; })) {
      ++i.counters.rs_coalesced;  // already answering this host
      return;
    }
    TimePoint at = now + delay;
    // Rate limit per destination: at most one unicast RA per MIN_DELAY_BETWEEN_RAS.
    if (const auto lu = i.last_unicast.find(src);
        lu != i.last_unicast.end() && now - lu->second < i.cfg.min_delay_between_ras)
      at = lu->second + i.cfg.min_delay_between_ras + delay;
    if (const auto nm = i.next_multicast(); nm && *nm <= at) {
      ++i.counters.rs_coalesced;
      return;
    }
    i.unicast.push_back({src, at});
  } else {
    if (i.solicited_at) {
      ++i.counters.rs_coalesced;  // the delay counts from the first solicitation
      return;
    }
    TimePoint at = now + delay;
    // Consecutive multicast RAs at most one per MIN_DELAY_BETWEEN_RAS.
    if (i.last_multicast && now - *i.last_multicast < i.cfg.min_delay_between_ras)
      at = *i.last_multicast + i.cfg.min_delay_between_ras + delay;
    if (const auto nm = i.next_multicast(); nm && *nm <= at) {
      ++i.counters.rs_coalesced;
      return;
    }
    i.solicited_at = at;
  }
  service(now);
}

// ---------------------------------------------------------------------------
// Timing

// RFC 4861 §6.2.4: when an interface becomes advertising or what it
// advertises changes, up to MAX_INITIAL_RTR_ADVERTISEMENTS RAs at most
// MAX_INITIAL_RTR_ADVERT_INTERVAL apart, the first as soon as the multicast
// rate limit allows.
void AccessRouter::trigger_fast(Iface& i, TimePoint now) {
  i.fast_remaining = kMaxInitialRtrAdvertisements;
  const TimePoint t = earliest_multicast(i, now);
  if (!i.next_unsolicited || t < *i.next_unsolicited) i.next_unsolicited = t;
}

void AccessRouter::service_ras(TimePoint now) {
  for (auto& i : ifaces_) {
    if (!i.advertising) continue;
    const LinkState* l = link_of(i);
    if (!l) continue;
    const bool unsolicited = i.next_unsolicited && *i.next_unsolicited <= now;
    const bool solicited = i.solicited_at && *i.solicited_at <= now;
    if (unsolicited || solicited)
      send_multicast(i, *l, unsolicited ? RaKind::unsolicited : RaKind::solicited_multicast, now);
    std::erase_if(i.unicast, [&](const PendingUnicast& p) {
      if (p.at > now) return false;
      emit_ras(i, *l, p.dst, RaKind::solicited_unicast, false, now);
      ++i.counters.ra_solicited_unicast;
      i.last_unicast[p.dst] = now;
      return true;
    });
    std::erase_if(i.last_unicast,
                  [&](const auto& e) { return now - e.second >= i.cfg.min_delay_between_ras; });
  }
}

// ---------------------------------------------------------------------------
// Sending

void AccessRouter::send_multicast(Iface& i, const LinkState& l, RaKind kind, TimePoint now) {
  emit_ras(i, l, all_nodes(), kind, false, now);
  if (kind == RaKind::unsolicited)
    ++i.counters.ra_unsolicited;
  else
    ++i.counters.ra_solicited_multicast;
  i.last_multicast = now;
  i.solicited_at.reset();
  i.unicast.clear();  // the multicast RA answers them too
  // RFC 4861 §6.2.4: whenever a multicast RA is sent, the timer is reset to
  // a uniform random value in [MinRtrAdvInterval, MaxRtrAdvInterval].
  Duration iv = rng_.uniform(effective_min_interval(i.cfg), i.cfg.max_interval);
  if (i.fast_remaining > 0) {
    --i.fast_remaining;
    if (i.fast_remaining > 0) iv = std::min(iv, kMaxInitialRtrAdvertInterval);
  }
  iv = std::max(iv, i.cfg.min_delay_between_ras);
  i.next_unsolicited = now + iv;
}

// RFC 4861 §6.2.5: an interface ceasing to advertise sends a final RA with
// Router Lifetime 0, here at once (ard is stopping or the interface is no
// longer to advertise: there is no later), without the multicast rate limit.
void AccessRouter::send_final(Iface& i, const LinkState& l, TimePoint now) {
  emit_ras(i, l, all_nodes(), RaKind::final, true, now);
  ++i.counters.ra_final;
  i.last_multicast = now;
  stop_advertising(i);
}

void AccessRouter::send_final_if_advertising(Iface& i, TimePoint now) {
  if (!i.advertising) return;
  if (const LinkState* l = link_of(i)) send_final(i, *l, now);
}

// Sends the RA, split over several when it would not fit the link MTU.
void AccessRouter::emit_ras(Iface& i, const LinkState& l, const Ip6Addr& dst, RaKind kind, bool final,
                            TimePoint now) {
  const std::size_t limit = std::max<std::uint32_t>(l.mtu, 1280) - 40;  // minus the IPv6 header
  detail::SplitRa split = detail::split_ra(build_ra(i, l, final, now), limit);
  for (const auto type : split.unencodable)
    log(LogLevel::error, i.cfg.name + ": an option of type " + std::to_string(type) + " cannot be encoded; left out");
  const std::size_t n = split.parts.size();
  for (auto& p : split.parts) actions_.emplace_back(SendRa{l.ifindex, *l.link_local, dst, kind, std::move(p)});
  i.last_ra = now;
  log(LogLevel::debug, i.cfg.name + ": sent " + std::string(to_string(kind)) + " Router Advertisement to " +
                           dst.str() + (n > 1 ? " in " + std::to_string(n) + " parts" : ""));
}

}  // namespace hmip::ar
