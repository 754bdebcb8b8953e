#include "hmip/ar/access_router.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

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

/// Seconds, rounded up, clamped to 32 bits (lifetime fields).
std::uint32_t ceil_secs(std::chrono::nanoseconds d) {
  if (d.count() <= 0) return 0;
  const auto s = std::chrono::ceil<std::chrono::seconds>(d).count();
  return static_cast<std::uint32_t>(std::min<std::chrono::seconds::rep>(s, std::numeric_limits<std::uint32_t>::max()));
}

std::uint32_t ms32(Duration d) {
  return static_cast<std::uint32_t>(std::clamp<Duration::rep>(d.count(), 0, std::numeric_limits<std::uint32_t>::max()));
}

std::string ms_str(Duration d) { return std::to_string(d.count()) + " ms"; }

bool is_base_option(const wire::NdOption& o) {
  return std::holds_alternative<wire::SourceLlaOption>(o) || std::holds_alternative<wire::MtuOption>(o) ||
         std::holds_alternative<wire::AdvIntervalOption>(o);
}

// RFC 4191 §2.3 / RFC 8106 §5.1-5.2 default lifetimes, from MaxRtrAdvInterval.
std::uint32_t route_lifetime(const InterfaceConfig& c, const RouteConfig& r) {
  return r.lifetime ? *r.lifetime : ceil_secs(c.max_interval * 3);
}
std::uint32_t dns_lifetime(const InterfaceConfig& c, const std::optional<std::uint32_t>& l) {
  // RFC 8106 §5.1: by default at least 3 * MaxRtrAdvInterval (radvd uses
  // 2 *; ard follows the RFC, as config.h and ard.conf(5) say).
  return l ? *l : ceil_secs(c.max_interval * 3);
}

}  // namespace

std::string_view to_string(RaKind k) noexcept {
  switch (k) {
    case RaKind::unsolicited: return "unsolicited";
    case RaKind::solicited_multicast: return "solicited-multicast";
    case RaKind::solicited_unicast: return "solicited-unicast";
    case RaKind::final: return "final";
  }
  return "?";
}

std::string_view to_string(InvalidReason r) noexcept {
  switch (r) {
    case InvalidReason::hop_limit: return "hop-limit";
    case InvalidReason::bad_checksum: return "bad-checksum";
    case InvalidReason::bad_code: return "bad-code";
    case InvalidReason::truncated: return "truncated";
    case InvalidReason::bad_length: return "bad-length";
    case InvalidReason::bad_option: return "bad-option";
    case InvalidReason::ra_source_not_link_local: return "ra-source-not-link-local";
    case InvalidReason::rs_unspecified_with_slla: return "rs-unspecified-with-slla";
    case InvalidReason::other: return "other";
  }
  return "?";
}

InvalidReason invalid_reason(const wire::Error& e) noexcept {
  switch (e.code) {
    case wire::Errc::bad_checksum: return InvalidReason::bad_checksum;
    case wire::Errc::truncated: return InvalidReason::truncated;
    case wire::Errc::bad_length: return InvalidReason::bad_length;
    case wire::Errc::invalid_field: return e.offset == 1 ? InvalidReason::bad_code : InvalidReason::bad_option;
    default: return InvalidReason::other;
  }
}

std::uint64_t InterfaceCounters::invalid_total() const noexcept {
  std::uint64_t n = 0;
  for (auto v : invalid) n += v;
  return n;
}

// ---------------------------------------------------------------------------
// Construction, lookups

AccessRouter::AccessRouter(ArdConfig cfg, std::uint64_t rng_seed) : cfg_(std::move(cfg)), rng_(rng_seed) {
  for (const auto& c : cfg_.interfaces) {
    Iface i;
    i.cfg = c;
    ifaces_.push_back(std::move(i));
  }
  rebuild_monitors(TimePoint{});
}

void AccessRouter::log(LogLevel level, std::string text) { actions_.emplace_back(LogEvent{level, std::move(text)}); }

const LinkState* AccessRouter::link_of(const Iface& i) const {
  for (const auto& [idx, l] : links_)
    if (l.name == i.cfg.name) return &l;
  return nullptr;
}

AccessRouter::Iface* AccessRouter::iface_by_index(unsigned ifindex) {
  const auto it = links_.find(ifindex);
  if (it == links_.end()) return nullptr;
  for (auto& i : ifaces_) {
    if (i.cfg.name != it->second.name) continue;
    const LinkState* l = link_of(i);
    return l && l->ifindex == ifindex ? &i : nullptr;
  }
  return nullptr;
}

AccessRouter::Monitor* AccessRouter::monitor(const Ip6Addr& a) {
  for (auto& m : monitors_)
    if (m.address == a) return &m;
  return nullptr;
}

const AccessRouter::Monitor* AccessRouter::monitor(const Ip6Addr& a) const {
  for (const auto& m : monitors_)
    if (m.address == a) return &m;
  return nullptr;
}

bool AccessRouter::should_advertise(const Iface& i) const {
  if (!started_ || shutdown_ || !i.cfg.send_advert) return false;
  const LinkState* l = link_of(i);
  return l && l->up && l->link_local;
}

TimePoint AccessRouter::earliest_multicast(const Iface& i, TimePoint t) const {
  if (i.last_multicast) return std::max(t, *i.last_multicast + i.cfg.min_delay_between_ras);
  return t;
}

// One monitor per configured MAP address, whatever the number of interfaces
// advertising it; the first configuration (in file order) sets its probe.
void AccessRouter::rebuild_monitors(TimePoint now) {
  std::vector<Monitor> old = std::move(monitors_);
  monitors_.clear();
  for (const auto& ic : cfg_.interfaces) {
    for (const auto& mc : ic.maps) {
      if (Monitor* m = monitor(mc.address)) {
        if (m->health.config() != mc.probe)
          log(LogLevel::warning, "MAP " + mc.address.str() + " configured on several interfaces with different probe "
                                     "settings; using the first (line " + std::to_string(mc.line) + " ignored)");
        continue;
      }
      auto it = std::find_if(old.begin(), old.end(), [&](const Monitor& o) { return o.address == mc.address; });
      if (it != old.end()) {
        Monitor m = std::move(*it);
        old.erase(it);
        m.health.reconfigure(mc.probe);
        if (m.probing && !mc.probe.enabled) {
          m.prober.reset();
          m.health.force(MapHealthState::up, now);
        }
        m.probing = mc.probe.enabled;
        monitors_.push_back(std::move(m));
        continue;
      }
      std::uint16_t id = rng_.u16();
      auto taken = [&](std::uint16_t v) {
        return std::any_of(monitors_.begin(), monitors_.end(), [&](const Monitor& o) { return o.prober.id() == v; }) ||
               std::any_of(old.begin(), old.end(), [&](const Monitor& o) { return o.prober.id() == v; });
      };
      while (taken(id)) id = rng_.u16();
      monitors_.push_back(Monitor{mc.address, MapHealth(mc.probe), EchoProber(id, rng_.u16()), MapAdmin::automatic,
                                  mc.probe.enabled});
    }
  }
}

// ---------------------------------------------------------------------------
// Inputs

void AccessRouter::handle_start(TimePoint now) {
  if (started_ || shutdown_) return;
  started_ = true;
  log(LogLevel::notice, "starting: " + std::to_string(ifaces_.size()) + " interface(s), " +
                            std::to_string(monitors_.size()) + " configured MAP(s)");
  service(now);
}

void AccessRouter::handle_link(const LinkState& link, TimePoint now) {
  if (shutdown_) return;
  service(now);
  links_[link.ifindex] = link;
  service(now);
}

void AccessRouter::handle_link_removed(unsigned ifindex, TimePoint now) {
  if (shutdown_) return;
  service(now);
  links_.erase(ifindex);
  service(now);
}

void AccessRouter::handle_invalid(unsigned ifindex, InvalidReason why) {
  if (shutdown_) return;
  Iface* i = iface_by_index(ifindex);
  if (!i) {
    ++ignored_unconfigured_;
    return;
  }
  ++i->counters.invalid[static_cast<std::size_t>(why)];
}

void AccessRouter::handle_rs(unsigned ifindex, const Ip6Addr& src, const wire::RouterSolicitation& rs,
                             TimePoint now) {
  if (shutdown_) return;
  service(now);
  Iface* ip = iface_by_index(ifindex);
  if (!ip) {
    ++ignored_unconfigured_;
    return;
  }
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
  auto next_multicast = [&]() -> std::optional<TimePoint> {
    std::optional<TimePoint> t = i.next_unsolicited;
    if (i.solicited_at && (!t || *i.solicited_at < *t)) t = i.solicited_at;
    return t;
  };
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
    if (const auto nm = next_multicast(); nm && *nm <= at) {
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
    if (const auto nm = next_multicast(); nm && *nm <= at) {
      ++i.counters.rs_coalesced;
      return;
    }
    i.solicited_at = at;
  }
  service(now);
}

void AccessRouter::handle_ra(unsigned ifindex, const Ip6Addr& src, const wire::RouterAdvertisement& ra,
                             TimePoint now) {
  if (shutdown_) return;
  service(now);
  Iface* ip = iface_by_index(ifindex);
  if (!ip) {
    ++ignored_unconfigured_;
    return;
  }
  Iface& i = *ip;
  const LinkState* l = link_of(i);
  if (l && l->link_local && *l->link_local == src) return;  // our own, looped back
  // RFC 4861 §6.1.2: an RA's source is link-local.
  if (!src.is_link_local()) {
    ++i.counters.invalid[static_cast<std::size_t>(InvalidReason::ra_source_not_link_local)];
    return;
  }
  ++i.counters.ra_received;
  i.counters.options_malformed += wire::options_of<wire::MalformedNdOption>(ra.options).size();
  if (i.advertising) check_consistency(i, src, ra);
  learn(i, src, ra, now);
  service(now);
}

void AccessRouter::handle_echo_reply(const Ip6Addr& from, std::uint16_t id, std::uint16_t seq, TimePoint now) {
  if (shutdown_) return;
  service(now);
  Monitor* m = monitor(from);
  if (!m || !m->probing || m->prober.id() != id) {
    ++echo_unmatched_;
    return;
  }
  if (m->prober.reply(seq, now)) {
    const bool was_failed = m->health.failed();
    const auto change = m->health.answered(now);
    if (change == MapHealthChange::restored)
      log(LogLevel::notice, "MAP " + from.str() + " restored after " +
                                std::to_string(m->health.config().restore_after) + " consecutive replies");
    else if (was_failed)
      log(LogLevel::info, "MAP " + from.str() + " answered while failed (" +
                              std::to_string(m->health.consecutive_answers()) + "/" +
                              std::to_string(m->health.config().restore_after) + ")");
  }
  service(now);
}

bool AccessRouter::handle_map_admin(const Ip6Addr& map, MapAdmin admin, TimePoint now) {
  if (shutdown_) return false;
  Monitor* m = monitor(map);
  if (!m) return false;
  service(now);
  if (m->admin != admin) {
    m->admin = admin;
    log(LogLevel::notice, "MAP " + map.str() + ": administrative state " +
                              (admin == MapAdmin::automatic      ? "automatic"
                               : admin == MapAdmin::force_failed ? "failed"
                                                                 : "up"));
  }
  service(now);
  return true;
}

void AccessRouter::handle_reload(ArdConfig cfg, TimePoint now) {
  if (shutdown_) return;
  service(now);
  std::vector<Iface> old = std::move(ifaces_);
  ifaces_.clear();
  std::vector<std::string> changed;
  for (const auto& c : cfg.interfaces) {
    auto it = std::find_if(old.begin(), old.end(), [&](const Iface& o) { return o.cfg.name == c.name; });
    if (it == old.end()) {
      Iface i;
      i.cfg = c;
      ifaces_.push_back(std::move(i));
      changed.push_back(c.name + " (new)");
      continue;
    }
    Iface i = std::move(*it);
    old.erase(it);
    const bool differs = i.cfg != c;
    if (i.advertising && !c.send_advert) {
      if (const LinkState* l = link_of(i)) send_final(i, *l, now);
    }
    i.cfg = c;
    if (differs) {
      changed.push_back(c.name);
      if (i.advertising) trigger_fast(i, now);
    }
    ifaces_.push_back(std::move(i));
  }
  for (auto& o : old) {  // no longer configured
    if (o.advertising)
      if (const LinkState* l = link_of(o)) send_final(o, *l, now);
    changed.push_back(o.cfg.name + " (removed)");
  }
  const bool log_level_changed = cfg.log_level != cfg_.log_level;
  cfg_ = std::move(cfg);
  prune_learned(now);
  rebuild_monitors(now);
  std::string text = "configuration reloaded";
  if (!changed.empty()) {
    text += "; interfaces changed:";
    for (const auto& n : changed) text += " " + n;
  }
  if (log_level_changed) text += "; log level changed";
  log(LogLevel::notice, std::move(text));
  service(now);
}

void AccessRouter::handle_shutdown(TimePoint now) {
  if (shutdown_) return;
  service(now);
  for (auto& i : ifaces_)
    if (i.advertising)
      if (const LinkState* l = link_of(i)) send_final(i, *l, now);
  shutdown_ = true;
  log(LogLevel::notice, "shut down: final Router Advertisements sent");
}

void AccessRouter::handle_timeout(TimePoint now) { service(now); }

std::optional<Action> AccessRouter::poll_action() {
  if (actions_.empty()) return std::nullopt;
  Action a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

std::optional<TimePoint> AccessRouter::poll_timeout() const {
  if (!started_ || shutdown_) return std::nullopt;
  std::optional<TimePoint> t;
  auto consider = [&](const std::optional<TimePoint>& d) {
    if (d && (!t || *d < *t)) t = d;
  };
  for (const auto& i : ifaces_) {
    if (!i.advertising) continue;
    consider(i.next_unsolicited);
    consider(i.solicited_at);
    for (const auto& u : i.unicast) consider(u.at);
  }
  for (const auto& m : monitors_) {
    if (!m.probing) continue;
    if (m.prober.last_sent()) consider(m.prober.due(m.health.probe_period(), {}));
    consider(m.prober.reply_deadline());
    consider(m.health.deadline());
  }
  for (const auto& [addr, srcs] : learned_)
    for (const auto& s : srcs) consider(s.expires);
  return t;
}

// ---------------------------------------------------------------------------
// The work that is due

void AccessRouter::service(TimePoint now) {
  if (!started_ || shutdown_) return;
  service_maps(now);
  service_learned(now);
  refresh(now);
  service_ras(now);
}

void AccessRouter::service_maps(TimePoint now) {
  for (auto& m : monitors_) {
    if (!m.probing) continue;
    const auto report = [&](MapHealthChange c) {
      if (c == MapHealthChange::failed)
        log(LogLevel::warning, "MAP " + m.address.str() + " failed: no probe reply for " +
                                   ms_str(m.health.config().fail_after) +
                                   " since the first miss; advertising it with lifetime 0");
    };
    for (unsigned n = m.prober.expire(now); n > 0; --n) {
      const bool was_up = m.health.state() == MapHealthState::up;
      report(m.health.missed(now));
      if (was_up && m.health.state() != MapHealthState::up)
        log(LogLevel::info, "MAP " + m.address.str() + " missed a probe; retrying every " +
                                ms_str(m.health.config().retry_interval));
    }
    report(m.health.timeout(now));
    if (m.prober.due(m.health.probe_period(), now) <= now) {
      const std::uint16_t seq = m.prober.sent(now, m.health.config().reply_timeout);
      actions_.emplace_back(SendEcho{m.address, m.prober.id(), seq});
    }
  }
}

void AccessRouter::service_learned(TimePoint now) {
  for (auto it = learned_.begin(); it != learned_.end();) {
    auto& srcs = it->second;
    std::erase_if(srcs, [&](const LearnedSource& s) {
      if (s.expires > now) return false;
      log(LogLevel::info, "learned MAP " + it->first.str() + " from " + s.router.str() + " on " + s.iface +
                              (s.opt.valid_lifetime == 0 ? ": withdrawal no longer relayed" : ": expired"));
      return true;
    });
    it = srcs.empty() ? learned_.erase(it) : std::next(it);
  }
}

void AccessRouter::prune_learned(TimePoint /*now*/) {
  for (auto it = learned_.begin(); it != learned_.end();) {
    std::erase_if(it->second, [&](const LearnedSource& s) {
      const auto ic = std::find_if(cfg_.interfaces.begin(), cfg_.interfaces.end(),
                                   [&](const InterfaceConfig& c) { return c.name == s.iface; });
      const bool keep = ic != cfg_.interfaces.end() && ic->map_listen &&
                        std::find(ic->map_upstream.begin(), ic->map_upstream.end(), s.router) != ic->map_upstream.end();
      if (!keep)
        log(LogLevel::info, "learned MAP " + it->first.str() + " from " + s.router.str() + " on " + s.iface +
                                " forgotten: no longer a listening interface / upstream router");
      return !keep;
    });
    it = it->second.empty() ? learned_.erase(it) : std::next(it);
  }
}

void AccessRouter::refresh(TimePoint now) {
  for (auto& i : ifaces_) {
    const bool adv = should_advertise(i);
    const LinkState* l = link_of(i);
    if (adv && !i.advertising) {
      start_iface(i, now);
    } else if (!adv && i.advertising) {
      i.advertising = false;
      i.next_unsolicited.reset();
      i.solicited_at.reset();
      i.unicast.clear();
      i.content.reset();
      i.content_src.reset();
      i.fast_remaining = 0;
      log(LogLevel::notice, i.cfg.name + ": not advertising (" +
                                (!l ? std::string("no such link") : !l->up ? "link down" : "no link-local address") +
                                ")");
    } else if (adv) {
      auto key = content_key(i, *l, now);
      if (!i.content || key != *i.content || i.content_src != l->link_local) {
        i.content = std::move(key);
        i.content_src = l->link_local;
        trigger_fast(i, now);
        log(LogLevel::info, i.cfg.name + ": advertised information changed; sending up to " +
                                std::to_string(kMaxInitialRtrAdvertisements) + " fast Router Advertisements");
      }
    }
    if (adv) {
      // PrefixConfig::router_address needs a global address in the prefix.
      bool missing = false;
      for (const auto& p : i.cfg.prefixes)
        if (p.router_address && std::none_of(l->globals.begin(), l->globals.end(),
                                             [&](const Ip6Addr& g) { return p.prefix.contains(g); }))
          missing = true;
      if (missing && !i.warned_router_address)
        log(LogLevel::warning, i.cfg.name + ": router address requested for a prefix the interface has no global "
                                            "address in; sending that prefix without the R flag");
      i.warned_router_address = missing;
    }
  }
}

void AccessRouter::start_iface(Iface& i, TimePoint now) {
  const LinkState& l = *link_of(i);
  i.advertising = true;
  i.solicited_at.reset();
  i.unicast.clear();
  i.next_unsolicited.reset();
  i.content = content_key(i, l, now);
  i.content_src = l.link_local;
  trigger_fast(i, now);
  log(LogLevel::notice, i.cfg.name + ": advertising from " + l.link_local->str() + " (ifindex " +
                            std::to_string(l.ifindex) + ")");
}

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
  i.advertising = false;
  i.fast_remaining = 0;
  i.next_unsolicited.reset();
  i.solicited_at.reset();
  i.unicast.clear();
  i.content.reset();
  i.content_src.reset();
}

// Sends the RA, split over several when it would not fit the link MTU
// (RFC 4861 §6.2.3): every part carries the Source LLA, MTU and
// Advertisement Interval options and as many of the others as fit.
void AccessRouter::emit_ras(Iface& i, const LinkState& l, const Ip6Addr& dst, RaKind kind, bool final,
                            TimePoint now) {
  wire::RouterAdvertisement ra = build_ra(i, l, final, now);
  const std::size_t limit = std::max<std::uint32_t>(l.mtu, 1280) - 40;  // minus the IPv6 header
  constexpr std::size_t kHeader = 16;
  std::vector<std::size_t> sizes;
  wire::NdOptions kept;
  for (auto& o : ra.options) {
    wire::Bytes buf;
    if (!wire::encode_nd_options(std::span<const wire::NdOption>(&o, 1), buf)) {
      log(LogLevel::error, i.cfg.name + ": an option of type " + std::to_string(wire::nd_option_type(o)) +
                               " cannot be encoded; left out");
      continue;
    }
    sizes.push_back(buf.size());
    kept.push_back(std::move(o));
  }
  ra.options.clear();
  std::size_t total = kHeader;
  for (auto s : sizes) total += s;

  std::vector<wire::RouterAdvertisement> parts;
  if (total <= limit) {
    ra.options = std::move(kept);
    parts.push_back(std::move(ra));
  } else {
    wire::RouterAdvertisement base = ra;
    std::size_t base_size = kHeader;
    for (std::size_t k = 0; k < kept.size(); ++k)
      if (is_base_option(kept[k])) {
        base.options.push_back(kept[k]);
        base_size += sizes[k];
      }
    wire::RouterAdvertisement cur = base;
    std::size_t cur_size = base_size;
    bool cur_has = false;
    for (std::size_t k = 0; k < kept.size(); ++k) {
      if (is_base_option(kept[k])) continue;
      if (cur_has && cur_size + sizes[k] > limit) {
        parts.push_back(std::move(cur));
        cur = base;
        cur_size = base_size;
      }
      cur.options.push_back(kept[k]);
      cur_size += sizes[k];
      cur_has = true;
    }
    parts.push_back(std::move(cur));
  }
  for (auto& p : parts) actions_.emplace_back(SendRa{l.ifindex, *l.link_local, dst, kind, std::move(p)});
  i.last_ra = now;
  log(LogLevel::debug, i.cfg.name + ": sent " + std::string(to_string(kind)) + " Router Advertisement to " +
                           dst.str() + (parts.size() > 1 ? " in " + std::to_string(parts.size()) + " parts" : ""));
}

// ---------------------------------------------------------------------------
// What an RA carries

wire::RouterAdvertisement AccessRouter::build_ra(const Iface& i, const LinkState& l, bool final,
                                                 TimePoint now) const {
  const InterfaceConfig& c = i.cfg;
  wire::RouterAdvertisement ra;
  ra.cur_hop_limit = c.cur_hop_limit;
  ra.m_flag = c.managed;
  ra.o_flag = c.other_config;
  ra.router_lifetime = final ? 0 : effective_default_lifetime(c);
  // RFC 4191 §2.2: with Router Lifetime 0 the preference is sent as medium.
  ra.prf = ra.router_lifetime == 0 ? wire::RouterPreference::medium : c.default_preference;
  ra.reachable_time = c.reachable_time;
  ra.retrans_timer = c.retrans_timer;
  auto& opts = ra.options;
  if (c.source_lla && !l.lladdr.empty()) opts.emplace_back(wire::SourceLlaOption{l.lladdr});
  if (c.link_mtu != 0) opts.emplace_back(wire::MtuOption{0, c.link_mtu});
  if (c.adv_interval_option) opts.emplace_back(wire::AdvIntervalOption{0, ms32(c.max_interval)});
  for (const auto& p : c.prefixes) {
    wire::PrefixInfoOption o;
    o.prefix_length = p.prefix.len;
    o.l_flag = p.on_link;
    o.a_flag = p.autonomous;
    o.valid_lifetime = p.valid_lifetime;
    o.preferred_lifetime = p.preferred_lifetime;
    o.prefix = p.prefix.addr;
    if (p.router_address) {
      // RFC 6275 §7.2: R set, the Prefix field holds the router's full address.
      const auto g = std::find_if(l.globals.begin(), l.globals.end(),
                                  [&](const Ip6Addr& a) { return p.prefix.contains(a); });
      if (g != l.globals.end()) {
        o.r_flag = true;
        o.prefix = *g;
      }
    }
    opts.emplace_back(o);
  }
  for (const auto& r : c.routes) {
    wire::RouteInfoOption o;
    o.prefix_length = r.prefix.len;
    o.prf = r.preference;
    o.route_lifetime = final ? 0 : route_lifetime(c, r);  // routes through a leaving router are gone
    o.prefix = r.prefix.addr;
    opts.emplace_back(o);
  }
  for (const auto& d : c.rdnss) opts.emplace_back(wire::RdnssOption{0, dns_lifetime(c, d.lifetime), d.servers});
  for (const auto& d : c.dnssl) opts.emplace_back(wire::DnsslOption{0, dns_lifetime(c, d.lifetime), d.domains});
  for (auto& m : map_options(i, now)) opts.emplace_back(m);
  return ra;
}

const AccessRouter::LearnedSource* AccessRouter::best_learned(const Ip6Addr& addr) const {
  const auto it = learned_.find(addr);
  if (it == learned_.end()) return nullptr;
  const LearnedSource* best = nullptr;
  for (const auto& s : it->second) {
    if (!best) {
      best = &s;
      continue;
    }
    // 4140bis §7.1.1: the smallest Dist wins. Same Dist: a withdrawal
    // (failure news) wins, then the most recently heard.
    const auto key = [](const LearnedSource& x) {
      return std::tuple(x.opt.dist, x.opt.valid_lifetime == 0 ? 0 : 1, -x.received.time_since_epoch().count());
    };
    if (key(s) < key(*best)) best = &s;
  }
  return best;
}

bool AccessRouter::relays_on(const Ip6Addr& addr, const LearnedSource& best, const Iface& i) const {
  if (!i.cfg.map_relay || best.opt.dist >= 15) return false;  // Dist never above 15
  // Never back onto an interface it was heard on (from any router).
  const auto& srcs = learned_.at(addr);
  return std::none_of(srcs.begin(), srcs.end(), [&](const LearnedSource& s) { return s.iface == i.cfg.name; });
}

std::vector<wire::MapOption> AccessRouter::map_options(const Iface& i, TimePoint now) const {
  std::vector<wire::MapOption> out;
  const auto configured = [&](const Ip6Addr& a) {
    return std::any_of(i.cfg.maps.begin(), i.cfg.maps.end(), [&](const MapConfig& m) { return m.address == a; });
  };
  for (const auto& m : i.cfg.maps) {
    if (std::any_of(out.begin(), out.end(), [&](const wire::MapOption& o) { return o.address == m.address; }))
      continue;
    wire::MapOption o;
    o.dist = m.dist;
    o.pref = m.pref;
    o.r_flag = m.r_flag;
    o.address = m.address;
    bool failed = false;
    if (const Monitor* mon = monitor(m.address))
      failed = mon->admin == MapAdmin::force_failed || (mon->admin == MapAdmin::automatic && mon->health.failed());
    o.valid_lifetime = failed ? 0 : m.valid_lifetime;  // RFC 5380 §10: lifetime 0 = MAP failure
    out.push_back(o);
  }
  if (!i.cfg.map_relay) return out;
  for (const auto& [addr, srcs] : learned_) {
    if (configured(addr)) continue;  // our own option wins (4140bis §7.1.1)
    const LearnedSource* best = best_learned(addr);
    if (!best || !relays_on(addr, *best, i)) continue;
    wire::MapOption o = best->opt;  // "copy the option"
    o.dist = static_cast<std::uint8_t>(best->opt.dist + 1);
    // The lifetime counts down from receipt; a live option never goes out as 0.
    o.valid_lifetime = best->opt.valid_lifetime == 0 ? 0 : std::max<std::uint32_t>(1, ceil_secs(best->expires - now));
    out.push_back(o);
  }
  return out;
}

wire::RouterAdvertisement AccessRouter::content_key(const Iface& i, const LinkState& l, TimePoint now) const {
  wire::RouterAdvertisement ra = build_ra(i, l, false, now);
  // Relayed lifetimes count down: only their being zero or not is content.
  for (auto& o : ra.options)
    if (auto* m = std::get_if<wire::MapOption>(&o)) m->valid_lifetime = m->valid_lifetime ? 1 : 0;
  return ra;
}

// ---------------------------------------------------------------------------
// Received RAs

// RFC 4861 §6.2.7: routers SHOULD inspect RAs from others and log the
// inconsistencies (once per router and interface here; counted always).
void AccessRouter::check_consistency(Iface& i, const Ip6Addr& src, const wire::RouterAdvertisement& ra) {
  const InterfaceConfig& c = i.cfg;
  std::vector<std::string> diffs;
  if (ra.cur_hop_limit != 0 && c.cur_hop_limit != 0 && ra.cur_hop_limit != c.cur_hop_limit)
    diffs.emplace_back("Cur Hop Limit " + std::to_string(ra.cur_hop_limit));
  if (ra.m_flag != c.managed) diffs.emplace_back("M flag");
  if (ra.o_flag != c.other_config) diffs.emplace_back("O flag");
  if (ra.reachable_time != 0 && c.reachable_time != 0 && ra.reachable_time != c.reachable_time)
    diffs.emplace_back("Reachable Time " + std::to_string(ra.reachable_time));
  if (ra.retrans_timer != 0 && c.retrans_timer != 0 && ra.retrans_timer != c.retrans_timer)
    diffs.emplace_back("Retrans Timer " + std::to_string(ra.retrans_timer));
  if (const auto* mtu = wire::find_nd_option<wire::MtuOption>(ra.options); mtu && c.link_mtu != 0 &&
                                                                            mtu->mtu != c.link_mtu)
    diffs.emplace_back("MTU " + std::to_string(mtu->mtu));
  for (const auto& o : ra.options) {
    const auto* p = std::get_if<wire::PrefixInfoOption>(&o);
    if (!p) continue;
    for (const auto& pc : c.prefixes) {
      if (pc.prefix.len != p->prefix_length || Ip6Prefix::of(p->prefix, p->prefix_length) != pc.prefix) continue;
      if (p->valid_lifetime != pc.valid_lifetime || p->preferred_lifetime != pc.preferred_lifetime)
        diffs.emplace_back("lifetimes of " + pc.prefix.str());
    }
  }
  if (diffs.empty()) {
    std::erase(i.warned_inconsistent, src);
    return;
  }
  ++i.counters.ra_inconsistent;
  if (std::find(i.warned_inconsistent.begin(), i.warned_inconsistent.end(), src) != i.warned_inconsistent.end())
    return;
  if (i.warned_inconsistent.size() < 64) i.warned_inconsistent.push_back(src);
  std::string text = i.cfg.name + ": Router Advertisement from " + src.str() + " disagrees with ours:";
  for (std::size_t k = 0; k < diffs.size(); ++k) text += (k ? ", " : " ") + diffs[k];
  log(LogLevel::warning, std::move(text));
}

// Dynamic MAP discovery (4140bis §7.1.1).
void AccessRouter::learn(Iface& i, const Ip6Addr& src, const wire::RouterAdvertisement& ra, TimePoint now) {
  if (!i.cfg.map_listen) return;
  // The smallest Dist per MAP address within this RA.
  std::vector<wire::MapOption> opts;
  for (const auto& o : ra.options) {
    const auto* m = std::get_if<wire::MapOption>(&o);
    if (!m) continue;
    auto it = std::find_if(opts.begin(), opts.end(), [&](const wire::MapOption& x) { return x.address == m->address; });
    if (it == opts.end())
      opts.push_back(*m);
    else if (m->dist < it->dist)
      *it = *m;
  }
  if (opts.empty()) return;
  const auto& up = i.cfg.map_upstream;
  if (std::find(up.begin(), up.end(), src) == up.end()) {
    ++i.counters.ra_not_upstream;
    log(LogLevel::debug, i.cfg.name + ": MAP options from " + src.str() + " ignored: not a MapUpstream router");
    return;
  }
  // A withdrawal is relayed at least kWithdrawnHold after the last RA that
  // carried it, and at least three of the upstream's advertised intervals
  // (RFC 6275 §7.3) so one it keeps repeating never lapses between its RAs.
  Duration hold = kWithdrawnHold;
  if (const auto* ai = wire::find_nd_option<wire::AdvIntervalOption>(ra.options))
    hold = std::max(hold, Duration(static_cast<Duration::rep>(ai->interval_ms) * 3));

  for (const auto& m : opts) {
    ++i.counters.map_options_received;
    auto lit = learned_.find(m.address);
    if (lit == learned_.end()) {
      if (learned_.size() >= kMaxLearnedMaps) {
        ++learned_table_full_;
        continue;
      }
      lit = learned_.emplace(m.address, std::vector<LearnedSource>{}).first;
    }
    auto& srcs = lit->second;
    auto sit = std::find_if(srcs.begin(), srcs.end(),
                            [&](const LearnedSource& s) { return s.iface == i.cfg.name && s.router == src; });
    const TimePoint expires = now + (m.valid_lifetime == 0 ? hold : Duration(core::seconds(m.valid_lifetime)));
    if (sit == srcs.end()) {
      srcs.push_back({i.cfg.name, src, m, now, expires});
      log(LogLevel::info, "learned MAP " + m.address.str() + " (Dist " + std::to_string(m.dist) + ", Pref " +
                              std::to_string(m.pref) + ", lifetime " + std::to_string(m.valid_lifetime) + " s) from " +
                              src.str() + " on " + i.cfg.name);
      continue;
    }
    const bool was_withdrawn = sit->opt.valid_lifetime == 0;
    const bool now_withdrawn = m.valid_lifetime == 0;
    if (sit->opt.dist != m.dist || sit->opt.pref != m.pref || sit->opt.r_flag != m.r_flag ||
        was_withdrawn != now_withdrawn)
      log(now_withdrawn && !was_withdrawn ? LogLevel::warning : LogLevel::info,
          "learned MAP " + m.address.str() + " from " + src.str() + " on " + i.cfg.name + " changed: Dist " +
              std::to_string(m.dist) + ", Pref " + std::to_string(m.pref) + ", lifetime " +
              std::to_string(m.valid_lifetime) + " s" + (now_withdrawn ? " (failed upstream)" : ""));
    sit->opt = m;
    sit->received = now;
    sit->expires = expires;
  }
}

// ---------------------------------------------------------------------------
// Introspection

ArdState AccessRouter::state(TimePoint now) const {
  ArdState st;
  st.started = started_;
  st.shutting_down = shutdown_;
  st.ignored_unconfigured = ignored_unconfigured_;
  st.echo_unmatched = echo_unmatched_;
  st.learned_table_full = learned_table_full_;
  for (const auto& i : ifaces_) {
    InterfaceView v;
    v.name = i.cfg.name;
    const LinkState* l = link_of(i);
    if (l) {
      v.ifindex = l->ifindex;
      v.up = l->up;
      v.link_local = l->link_local;
    }
    v.send_advert = i.cfg.send_advert;
    v.advertising = i.advertising;
    v.map_listen = i.cfg.map_listen;
    v.map_relay = i.cfg.map_relay;
    v.fast_ras_remaining = i.fast_remaining;
    std::optional<TimePoint> next = i.next_unsolicited;
    if (i.solicited_at && (!next || *i.solicited_at < *next)) next = i.solicited_at;
    if (next) v.next_ra_in = std::max(Duration(0), std::chrono::duration_cast<Duration>(*next - now));
    if (i.last_ra) v.since_last_ra = std::chrono::duration_cast<Duration>(now - *i.last_ra);
    v.pending_unicast = i.unicast.size();
    if (i.advertising && l) v.next_ra = build_ra(i, *l, false, now);
    v.counters = i.counters;
    st.interfaces.push_back(std::move(v));
  }

  for (const auto& ic : cfg_.interfaces) {
    for (const auto& mc : ic.maps) {
      if (std::any_of(st.maps.begin(), st.maps.end(), [&](const MapView& x) { return x.address == mc.address; }))
        continue;
      MapView v;
      v.address = mc.address;
      v.origin = MapOrigin::configured;
      v.dist = mc.dist;
      v.pref = mc.pref;
      v.r_flag = mc.r_flag;
      bool failed = false;
      if (const Monitor* m = monitor(mc.address)) {
        v.health = m->health.state();
        v.admin_override = m->admin != MapAdmin::automatic;
        if (m->admin == MapAdmin::force_failed) v.health = MapHealthState::failed;
        if (m->admin == MapAdmin::force_up) v.health = MapHealthState::up;
        failed = v.health == MapHealthState::failed;
        v.probed = m->probing;
        v.probe_id = m->prober.id();
        v.probes_sent = m->prober.probes_sent();
        v.probe_replies = m->prober.replies();
        v.probe_misses = m->prober.misses();
        v.probe_stale = m->prober.stale_replies();
        v.consecutive_replies = m->health.consecutive_answers();
        v.failures = m->health.failures();
        v.restores = m->health.restores();
        v.last_rtt = m->prober.last_rtt();
        if (m->prober.last_reply())
          v.since_last_reply = std::chrono::duration_cast<Duration>(now - *m->prober.last_reply());
        if (m->health.failed_since())
          v.failed_for = std::chrono::duration_cast<Duration>(now - *m->health.failed_since());
      }
      v.lifetime = failed ? 0 : mc.valid_lifetime;
      for (const auto& i : ifaces_)
        if (i.advertising &&
            std::any_of(i.cfg.maps.begin(), i.cfg.maps.end(), [&](const MapConfig& x) { return x.address == mc.address; }))
          v.advertised_on.push_back(i.cfg.name);
      v.shadowed = learned_.count(mc.address) > 0;
      st.maps.push_back(std::move(v));
    }
  }

  for (const auto& entry : learned_) {
    const Ip6Addr& addr = entry.first;
    const LearnedSource* best = best_learned(addr);
    if (!best) continue;
    MapView v;
    v.address = addr;
    v.origin = MapOrigin::learned;
    v.dist = best->opt.dist;
    v.pref = best->opt.pref;
    v.r_flag = best->opt.r_flag;
    const bool withdrawn = best->opt.valid_lifetime == 0;
    v.health = withdrawn ? MapHealthState::failed : MapHealthState::up;
    v.lifetime = withdrawn ? 0 : std::max<std::uint32_t>(1, ceil_secs(best->expires - now));
    v.remaining = std::max(Duration(0), std::chrono::duration_cast<Duration>(best->expires - now));
    v.learned_on = best->iface;
    v.learned_from = best->router;
    v.sources = entry.second.size();
    for (const auto& i : ifaces_) {
      const bool own = std::any_of(i.cfg.maps.begin(), i.cfg.maps.end(),
                                   [&](const MapConfig& x) { return x.address == addr; });
      if (own) v.shadowed = true;
      if (i.advertising && !own && relays_on(addr, *best, i)) v.advertised_on.push_back(i.cfg.name);
    }
    st.maps.push_back(std::move(v));
  }
  return st;
}

}  // namespace hmip::ar
