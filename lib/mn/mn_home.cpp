// MobileNode: the home registration (the Home block of mnd.conf; RFC 6275
// §11, RFC 5380 §6.1). What the care-of address is (the RCoA through the
// MAP, the LCoA in plain Mobile IPv6 mode, the home address itself on the
// home link), the home BU, its retransmission and refresh, what the HA
// answers (BA, BRR, Binding Error), Home Agent Address Discovery, the stop.
// The decisions are listed in hmip/mn/mobile_node.h.
#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <variant>

#include "hmip/mn/mobile_node.h"
#include "hmip/wire/dhaad.h"
#include "mn_time.h"

namespace hmip::mn {

using detail::lifetime_units;
using detail::seconds_left;

namespace {

/// At most this many further HAs of a DHAAD reply are kept to try.
constexpr std::size_t kMaxOtherHomeAgents = 8;

std::string secs(core::Duration d) {
  return std::to_string(std::chrono::duration_cast<core::seconds>(d).count()) + " s";
}

/// ESP's largest overhead with charon_conn.h's default proposals
/// (aes128-sha256: SPI and sequence number 8, IV 16, padding up to 15,
/// pad length and next header 2, ICV 16; aes128gcm16 needs 37).
constexpr std::uint32_t kEspOverheadMax = 57;

std::uint32_t tunnel_mtu_inside(std::uint32_t outer, bool esp = false) {
  // RFC 5380 §11 / RFC 2473 §7: one more IPv6 header (and ESP around the
  // tunnel's packets with ProtectTraffic, RFC 4877 §5); never below the
  // IPv6 minimum (a link leaving less: the kernel fragments the
  // encapsulating packets, RFC 2473 §7.1). 0: unknown, the kernel's default.
  const std::uint32_t overhead = kTunnelOverhead + (esp ? kEspOverheadMax : 0);
  return outer == 0 ? 0 : std::max(outer - std::min(outer, overhead), kIpv6MinMtu);
}

}  // namespace

// ---------------------------------------------------------------------------
// Where the node is and what to register

// RFC 6275 §11.5.5: the node is home when an RA on a watched interface that
// is up advertises the home prefix (heard since that link's last change).
std::optional<std::size_t> MobileNode::home_link() const {
  if (!home_) return std::nullopt;
  const Ip6Prefix hp = home_->cfg.prefix();
  for (std::size_t k = 0; k < ifaces_.size(); ++k) {
    const Iface& i = ifaces_[k];
    if (!i.up || !i.ra_seen || !i.ifindex) continue;
    if (std::any_of(i.prefixes.begin(), i.prefixes.end(), [&](const SeenPrefix& p) { return p.prefix == hp; }))
      return k;
  }
  return std::nullopt;
}

// What the home binding should be now; nullopt: nothing new to register
// (no care-of address yet, or the MAP's BA not in yet: RFC 5380 §6.1, the
// home BU waits for it).
std::optional<HomeSettings> MobileNode::home_target(TimePoint /*now*/) const {
  const HomeConfig& hc = home_->cfg;
  if (const auto k = home_link()) {
    HomeSettings s;
    s.mode = HomeMode::at_home;
    s.coa = hc.address;
    s.ifindex = static_cast<int>(*ifaces_[*k].ifindex);
    s.prefix_len = hc.prefix_len;
    s.protect_signalling = secure();
    return s;
  }
  // RFC 4877 §5 (ProtectTraffic, secure mode): the kernel carries the
  // home tunnel's packets only in the payload CHILD_SA.
  const bool protect = secure() && hc.protect_traffic;
  const Binding* cur = nullptr;
  for (const auto& b : bul_)
    if (b.role == BindingRole::current) cur = &b;
  if (hc.hmipv6 && cur) {
    if (!cur->registered) return std::nullopt;  // the MAP's BA first
    HomeSettings s;
    s.coa = cur->key.rcoa;
    s.via = cur->key;
    s.protect_traffic = protect;
    s.protect_signalling = secure();
    s.tunnel_mtu = tunnel_mtu_inside(cur->settings.tunnel_mtu, protect);
    return s;
  }
  // Secure mode: a MAP whose protection is being set up is about to give
  // the RCoA; the LCoA meanwhile would only cost an IKE SA and a home BU
  // more (IkeTimeout ends the wait: the MAP is held down, plain mode).
  if (hc.hmipv6 && std::any_of(security_.begin(), security_.end(), [](const auto& e) { return !e.second.rcoa; }))
    return std::nullopt;
  // Plain Mobile IPv6: the LCoA (the one registered, while it qualifies).
  const std::optional<Ip6Addr> keep = home_->installed_key && home_->installed.mode == HomeMode::away &&
                                              !home_->installed.via
                                          ? std::optional<Ip6Addr>(home_->installed.coa)
                                          : std::nullopt;
  std::optional<HomeSettings> best;
  for (const auto& i : ifaces_) {
    const auto lcoa = lcoa_of(i, keep);
    if (!lcoa) continue;
    HomeSettings s = plain_home_settings(i, *lcoa);
    if (!best) best = s;
    if (keep && *lcoa == *keep) return s;
  }
  return best;
}

// Plain Mobile IPv6: the home tunnel from `lcoa` on `i` (its router, the
// link's MTU or the RA's smaller one, minus the encapsulation).
HomeSettings MobileNode::plain_home_settings(const Iface& i, const Ip6Addr& lcoa) const {
  const bool protect = secure() && home_->cfg.protect_traffic;
  HomeSettings s;
  s.coa = lcoa;
  s.ifindex = static_cast<int>(i.ifindex.value_or(0));
  for (const auto& p : i.prefixes)
    if (p.prefix.contains(lcoa)) s.router = p.router;
  const LinkState* l = link_of(i);
  std::uint32_t mtu = l != nullptr ? l->mtu : 0;
  if (i.ra_mtu && *i.ra_mtu >= kIpv6MinMtu && (mtu == 0 || *i.ra_mtu < mtu)) mtu = *i.ra_mtu;
  s.tunnel_mtu = tunnel_mtu_inside(mtu, protect);
  s.protect_traffic = protect;
  s.protect_signalling = secure();
  return s;
}

// The lifetime of a home BU registering `s`: BindingLifetime of the Home
// block, at most what the MAP granted for the RCoA's binding and still
// remains of it (RFC 5380 §6.1 MUST: never larger), in plain mode at most
// the LCoA's remaining valid lifetime (RFC 6275 §11.7.1).
std::uint32_t MobileNode::home_lifetime(const HomeSettings& s, TimePoint now) const {
  std::uint32_t lt = home_->cfg.binding_lifetime;
  if (s.via) {
    const auto it = std::find_if(bul_.begin(), bul_.end(), [&](const Binding& b) { return b.key == *s.via; });
    if (it == bul_.end() || !it->expires) return 0;
    return std::min(lt, seconds_left(now, *it->expires));
  }
  lt = std::min(lt, lcoa_lifetime(s.coa, now));
  return lt;
}

// ---------------------------------------------------------------------------
// Actions

void MobileNode::install_home(const HomeSettings& target) {
  Home& h = *home_;
  const HomeKey key{*h.ha, h.cfg.address};
  HomeSettings s = target;
  // Multiple CoA turned off by a reload (home_mcoa_collapse): the HA may
  // send through the other care-of addresses until it has the regular BU,
  // so they stay while only that is pending; anything else (another CoA or
  // HA, HMIPv6 mode, at home, Multiple CoA again) ends the wait.
  if (h.more_coas_until_ba) {
    if (!h.mcoa && h.installed_key && *h.installed_key == key && s.mode == HomeMode::away && !s.via &&
        s.coa == h.installed.coa && s.more_coas.empty())
      s.more_coas = h.installed.more_coas;
    else
      h.more_coas_until_ba = false;
  }
  if (h.installed_key && *h.installed_key == key && h.installed == s) return;
  h.installed_key = key;
  h.installed = s;
  actions_.emplace_back(InstallHomeBinding{key, s});
}

void MobileNode::remove_home() {
  Home& h = *home_;
  if (!h.installed_key) return;
  actions_.emplace_back(RemoveHomeBinding{*h.installed_key});
  h.installed_key.reset();
  h.installed = HomeSettings{};
  h.lifetime_wait = false;
  h.more_coas_until_ba = false;
}

// One home BU (RFC 6275 §11.7.1; RFC 5380 §6.1): H and A set, M clear, from
// the home address to the HA, a new sequence number. Away, the home
// binding's hao state puts the care-of address in the source and the home
// address in a Home Address option; at home it leaves from the home address
// without one (§11.5.5).
void MobileNode::send_home_bu(std::uint32_t lifetime_s, core::Duration timeout, bool first, TimePoint now) {
  actions_.emplace_back(home_bu_base(lifetime_s, timeout, first, now));
}

SendBu MobileNode::home_bu_base(std::uint32_t lifetime_s, core::Duration timeout, bool first, TimePoint now) {
  Home& h = *home_;
  h.lifetime_wait = false;
  HomePending p;
  p.seq = h.next_seq++;
  p.sent = now;
  p.timeout = timeout;
  p.lifetime_units = lifetime_units(lifetime_s);
  p.coa = h.installed.mode == HomeMode::at_home ? h.cfg.address : h.installed.coa;
  p.first = first;
  if (h.pending) p.resyncs = h.pending->resyncs;
  h.pending = p;
  h.requested_s = static_cast<std::uint32_t>(p.lifetime_units) * wire::kMhLifetimeUnitSeconds;
  ++h.bu_sent;
  ++counters_.home_bu_sent;
  SendBu s;
  s.src = h.cfg.address;
  s.dst = *h.ha;
  s.lcoa = p.coa;
  s.bu.sequence = p.seq;
  s.bu.ack = true;
  s.bu.home_registration = true;
  // L (§11.7.1): the home address has the interface identifier of the
  // node's link-local address, so the HA defends that one too.
  for (const auto& i : ifaces_)
    if (const LinkState* l = link_of(i))
      for (const auto& a : l->addresses)
        if (a.addr.is_link_local() && std::equal(a.addr.b.begin() + 8, a.addr.b.end(), h.cfg.address.b.begin() + 8))
          s.bu.link_local_compat = true;
  s.bu.lifetime = p.lifetime_units;
  // Secure mode: the care-of address (the home address itself at home) in
  // an Alternate Care-of Address option, which ESP covers, unlike the
  // source and the HAO (RFC 6275 §11.7.1, RFC 4877 §4): the HA binds it.
  if (secure()) s.bu.options.emplace_back(wire::AlternateCareOfAddressOption{p.coa});
  return s;
}

// Every home BU but a deregistration goes through here: only with the home
// binding installed away (its hao state and tunnel carry the BU; after
// remove_home() there is nothing to register), and never with lifetime 0
// (that would deregister, RFC 6275 §6.1.7): with nothing left of the MAP's
// grant or the LCoA's valid lifetime the BU waits (lifetime_wait) for the
// MAP's refresh or a new care-of address.
bool MobileNode::send_home_update(core::Duration timeout, bool first, TimePoint now) {
  Home& h = *home_;
  if (!home_installed_away() || !home_protected()) return false;  // secure mode: waits for the protection
  if (h.mcoa) {  // Multiple CoA: a refresh (timer, BRR, BE 1) of every BID, bulk
    for (auto& m : h.members) m.dirty = true;
    h.pending.reset();
    home_mcoa_flush(now);
    return h.pending.has_value();
  }
  const std::uint32_t lt = home_lifetime(h.installed, now);
  if (lt == 0) {
    if (!h.lifetime_wait)
      log(LogLevel::info, "home BU for " + h.cfg.address.str() + " waits: nothing left of the care-of address's "
                          "lifetime to ask for (the MAP's grant or the LCoA's valid lifetime)");
    h.lifetime_wait = true;
    return false;
  }
  send_home_bu(lt, timeout, first, now);
  return true;
}

void MobileNode::home_hold(std::string reason, bool loud, TimePoint now, std::optional<core::Duration> fixed) {
  Home& h = *home_;
  const core::Duration d = fixed.value_or(h.next_hold);
  h.held_until = now + d;
  log(loud ? LogLevel::error : LogLevel::warning,
      "home registration of " + h.cfg.address.str() + " held down for " + secs(d) + ": " + reason);
  if (!fixed) h.next_hold = std::min(h.next_hold * 2, kMaxHomeHoldDown);
  h.held_reason = std::move(reason);
}

// HomeAgent discover: the HA at hand refused or does not answer: the next
// one DHAAD listed, else discovery again after a hold-down.
void MobileNode::home_next_ha(const std::string& why, TimePoint now) {
  Home& h = *home_;
  remove_home();
  home_release();
  h.registered = false;
  h.expires.reset();
  h.refresh_at.reset();
  if (!h.other_has.empty()) {
    const Ip6Addr old = h.ha.value_or(Ip6Addr{});
    h.ha = h.other_has.front();
    h.other_has.erase(h.other_has.begin());
    log(LogLevel::warning, "home agent " + old.str() + " " + why + ": trying " + h.ha->str() + " (DHAAD list)");
    return;
  }
  h.ha.reset();
  home_hold(why + "; discovering the home agent again afterwards", false, now);
}

// ---------------------------------------------------------------------------
// The state machine

void MobileNode::service_home(TimePoint now) {
  if (!home_) return;
  Home& h = *home_;
  if (h.held_until && *h.held_until <= now && !stopping_) {
    h.held_until.reset();
    h.install_held = false;
    h.ike_held = false;
    log(LogLevel::info, "home registration: hold-down over, trying again");
  }
  // Multiple CoA hold-downs over (home_deadlines wakes for them): a refused
  // BID may join again, an HA that refused Multiple CoA is asked again.
  for (auto it = h.refused_bids.begin(); it != h.refused_bids.end();)
    it = it->second <= now ? h.refused_bids.erase(it) : std::next(it);
  if (h.mcoa_refused_until && *h.mcoa_refused_until <= now) h.mcoa_refused_until.reset();
  service_home_security(now);
  service_home_bu(now);
  if (stopping_ || !home_) return;

  const bool home_now = home_link().has_value();
  if (home_now != h.at_home) {
    h.at_home = home_now;
    if (home_now) ++counters_.returns_home;
    log(LogLevel::notice, home_now ? "back on the home link (its RA advertises " + h.cfg.prefix().str() + ")"
                                   : "left the home link");
  }
  const auto target = home_target(now);
  service_dhaad(target, now);
  if (!target) {
    // The MAP binding the home tunnel ran through is gone and nothing
    // replaces it yet: its kernel state goes (the HA's binding lapses or is
    // replaced by the next home BU).
    if (h.installed_key && h.installed.via &&
        std::none_of(bul_.begin(), bul_.end(), [&](const Binding& b) { return b.key == *h.installed.via; })) {
      h.pending.reset();
      remove_home();
    }
    return;
  }
  if (!h.ha) return;  // HomeAgent discover: DHAAD first (away), nothing to deregister (at home)
  if (target->mode == HomeMode::at_home) {
    home_mcoa_collapse();  // Multiple CoA: the extra CoAs' tunnels go; the deregistration removes every BID
    home_at_home(*target, now);
    return;
  }
  h.dereg_due = false;
  if (h.held_until) return;
  const HomeKey key{*h.ha, h.cfg.address};
  if (h.installed_key && *h.installed_key != key) remove_home();  // another HA
  if (!home_protected()) {  // secure mode: no home BU before the first protection
    home_secure(target->coa, now);
    return;
  }
  // Plain mode with Multiple CoA (mn_home_mcoa.cpp): every interface's
  // LCoA, one BID each; never in secure mode (home_mcoa_wanted).
  // Every BID refused (home_mcoa returns false): one CoA meanwhile.
  if (!target->via && home_mcoa_wanted(now) && home_mcoa(now)) return;
  if (h.mcoa) {  // HMIPv6 mode now, MultipleCoa off after a reload: one CoA
    home_mcoa_collapse(!target->via);  // the same CoA: the other tunnels receive until the BA
    if (!target->via) {  // the same CoA: a regular BU replaces the BIDs at the HA
      h.pending.reset();
      h.registered = false;
    }
  }
  home_register(*target, now);
  // After a move: the home BU is out (protected by the ESP SAs, which do not
  // depend on the care-of address); the IKE SA follows, make-before-break.
  home_secure(target->coa, now);
}

void MobileNode::home_at_home(const HomeSettings& target, TimePoint now) {
  Home& h = *home_;
  if (h.installed_key && h.installed.mode == HomeMode::at_home) {
    install_home(target);  // another ifindex: updated in place
  } else {
    if (h.held_until && h.install_held) return;  // the last InstallHomeBinding failed: after the hold-down
    install_home(target);  // the home address on the home link first
    h.expires.reset();
    h.refresh_at.reset();
    h.registered = false;
    h.pending.reset();  // a home BU outstanding from away: superseded
    // RFC 6275 §11.5.5: lifetime 0, care-of address = home address, from
    // the home address, no HAO; retransmitted up to MaxBindackTimeout. Also
    // when nothing is known to be registered (mnd restarted on the home
    // link): the HA may still hold a binding from before and intercept the
    // home address; without one it answers 133, which is harmless.
    h.dereg_due = true;
  }
  if (!h.dereg_due || h.pending) return;
  // Secure mode: protected by the SA there is (from wherever it was set up),
  // else by one from the home address on the home link.
  if (!home_protected()) {
    home_secure(h.cfg.address, now);
    return;
  }
  h.dereg_due = false;
  log(LogLevel::notice, "deregistering home address " + h.cfg.address.str() + " at home agent " + h.ha->str());
  send_home_bu(0, cfg_.initial_bindack_timeout, false, now);
}

void MobileNode::home_register(const HomeSettings& target, TimePoint now) {
  Home& h = *home_;
  const bool new_coa = !h.installed_key || h.installed.mode != HomeMode::away || h.installed.coa != target.coa;
  if (!new_coa && (h.registered || h.pending)) {
    install_home(target);  // the same care-of address: other settings (MTU) updated in place
    return;
  }
  // Never lifetime 0 (a deregistration) by accident: with nothing left to
  // ask for, the old state stays and the BU waits for the MAP's refresh or
  // a new target.
  const std::uint32_t lifetime = home_lifetime(target, now);
  if (lifetime == 0) {
    if (!h.lifetime_wait)
      log(LogLevel::info, "home BU for " + h.cfg.address.str() + " from " + target.coa.str() +
                              " waits: nothing left of its lifetime to ask for");
    h.lifetime_wait = true;
    return;
  }
  install_home(target);
  if (new_coa && (h.registered || h.pending)) {
    ++counters_.home_coa_changes;
    log(LogLevel::notice, "home address " + h.cfg.address.str() + ": new care-of address " + target.coa.str() +
                              (target.via ? " (RCoA at MAP " + target.via->map_address.str() + ")"
                                          : " (plain Mobile IPv6)"));
  } else {
    log(LogLevel::info, "registering home address " + h.cfg.address.str() + " with home agent " + h.ha->str() +
                            " from " + target.coa.str() +
                            (target.via ? " (RCoA at MAP " + target.via->map_address.str() + ")"
                                        : " (plain Mobile IPv6)"));
  }
  // RFC 6275 §11.8: a first registration waits longer (the HA runs DAD).
  const bool first = !h.registered;
  send_home_bu(lifetime, first ? cfg_.initial_bindack_timeout_first_reg : cfg_.initial_bindack_timeout, first, now);
}

void MobileNode::send_home_dereg(core::Duration timeout, bool first, TimePoint now) {
  Home& h = *home_;
  if (home_protected()) {
    send_home_bu(0, timeout, first, now);
    return;
  }
  h.pending.reset();
  if (h.stop_dereg) {
    log(LogLevel::info, "the home deregistration cannot go again: no protection with the home agent");
    ++counters_.home_deregistrations;
    home_dereg_done(now);
    return;
  }
  h.dereg_due = true;  // home_at_home sends it once protected again
}

void MobileNode::home_dereg_done(TimePoint now) {
  Home& h = *home_;
  if (h.stop_dereg) {
    h.stop_dereg = false;
    remove_home();
    home_release();
    stop_map_bindings(now);
    return;
  }
  home_release();  // at home: nothing left to protect
}

// Retransmission (§11.8: doubled up to MaxBindackTimeout, then at that rate;
// a deregistration gives up there), expiry, refresh.
void MobileNode::service_home_bu(TimePoint now) {
  Home& h = *home_;
  if (h.pending && h.pending->sent + h.pending->timeout <= now) {
    const bool dereg = h.pending->lifetime_units == 0;
    if (h.stop_dereg) {  // one attempt on stop
      log(LogLevel::info, "no answer to the home deregistration: removed");
      h.pending.reset();
      ++counters_.home_deregistrations;
      home_dereg_done(now);
      return;
    }
    if (h.pending->timeout >= cfg_.max_bindack_timeout) {
      if (dereg && !h.pending->bids.empty()) {
        // Multiple CoA: the lifetime-0 BU of lost (or retired) BIDs given
        // up. Their entries lapse at the HA; the registration of the
        // others goes on (home_dereg_done is for the home address's own
        // deregistration, and `leaving` keeping them would resend it for
        // ever).
        log(LogLevel::warning, "home agent " + h.ha->str() + " did not answer the deregistration of BID(s) " +
                                   [&]() {
                                     std::string l;
                                     for (const auto x : h.pending->bids) l += (l.empty() ? "" : ",") + std::to_string(x);
                                     return l;
                                   }() +
                                   ": given up (their bindings lapse there)");
        for (const auto x : h.pending->bids) std::erase(h.leaving, x);
        h.pending.reset();
        home_mcoa_flush(now);
        return;
      }
      if (dereg) {
        log(LogLevel::warning, "home agent " + h.ha->str() + " did not answer the deregistration: given up");
        h.pending.reset();
        ++counters_.home_deregistrations;
        home_dereg_done(now);
        return;
      }
      if (!h.cfg.home_agent && !h.registered) {  // a discovered HA that never answers
        h.pending.reset();
        home_next_ha("does not answer home BUs", now);
        return;
      }
    }
    auto timeout = h.pending->timeout * 2;
    if (timeout > cfg_.max_bindack_timeout) timeout = std::max(cfg_.max_bindack_timeout, h.pending->timeout);
    // Recomputed: the MAP's grant has less left now (never above it).
    if (!h.pending->bids.empty() || h.pending->clearing) {  // Multiple CoA (mn_home_mcoa.cpp)
      ++counters_.home_bu_retransmitted;
      home_mcoa_resend(timeout, now);
    } else if (dereg) {
      ++counters_.home_bu_retransmitted;
      send_home_dereg(timeout, h.pending->first, now);
    } else if (send_home_update(timeout, h.pending->first, now)) {
      ++counters_.home_bu_retransmitted;
    } else {
      h.pending.reset();  // nothing to register from, or no lifetime left: service_home / the refresh take it up
    }
    return;
  }
  if (h.registered && h.expires && *h.expires <= now) {
    ++counters_.home_expired;
    log(LogLevel::warning, "home binding of " + h.cfg.address.str() + " at " + h.ha->str() + " expired");
    h.registered = false;
    h.expires.reset();
    h.refresh_at.reset();
    if (!h.cfg.home_agent) home_next_ha("let the binding expire", now);
    return;
  }
  if (stopping_ || h.pending || !h.registered || h.held_until || !home_installed_away()) return;
  if (!h.refresh_at && !h.lifetime_wait) return;
  // The home lifetime is bounded by what is left of the MAP's grant: a
  // refresh just before the MAP binding's own could only ask for that
  // little. It waits for the MAP's refresh (its BA runs this again) as long
  // as half the refresh window is left.
  const auto via = h.installed.via ? std::find_if(bul_.begin(), bul_.end(),
                                                  [&](const Binding& b) { return b.key == *h.installed.via; })
                                   : bul_.end();
  const Binding* map = via == bul_.end() ? nullptr : &*via;
  bool due = (h.refresh_at && *h.refresh_at <= now) || h.lifetime_wait ||
             (h.waiting_map && map != nullptr && !map->pending);
  if (due && h.refresh_at && map != nullptr && h.refresh_latest && now < *h.refresh_latest) {
    if (map->pending) {
      h.refresh_at = *h.refresh_latest;
      h.waiting_map = true;
      due = false;
    } else if (!h.waiting_map && map->refresh_at && *map->refresh_at > now && *map->refresh_at < *h.refresh_latest) {
      h.refresh_at = *map->refresh_at;
      due = false;
    }
  }
  if (!due) return;
  h.refresh_at.reset();
  h.waiting_map = false;
  (void)send_home_update(cfg_.initial_bindack_timeout, false, now);  // or lifetime_wait: at the MAP's next BA
}

// RFC 6275 §11.4.1: a request from the care-of address to the home prefix's
// HA anycast address, retransmitted after INITIAL_DHAAD_TIMEOUT doubling,
// DHAAD_RETRIES times; then a hold-down and another round.
void MobileNode::service_dhaad(const std::optional<HomeSettings>& target, TimePoint now) {
  Home& h = *home_;
  if (h.cfg.home_agent) return;
  const bool wanted = !h.ha && !h.held_until && target && target->mode == HomeMode::away;
  if (!wanted) {
    h.dhaad.reset();
    return;
  }
  if (h.dhaad && h.dhaad->src == target->coa && h.dhaad->sent + h.dhaad->timeout > now) return;
  if (h.dhaad && h.dhaad->src == target->coa) {
    if (h.dhaad->sent_count > kDhaadRetries) {
      h.dhaad.reset();
      home_hold("no home agent answered DHAAD for " + h.cfg.prefix().str(), false, now);
      return;
    }
    h.dhaad->timeout *= 2;
  } else {  // a first request, or the care-of address changed
    h.dhaad = Dhaad{};
    h.dhaad->id = rng_.u16();
    h.dhaad->src = target->coa;
    h.dhaad->timeout = kInitialDhaadTimeout;
    log(LogLevel::info, "discovering the home agent of " + h.cfg.prefix().str() + " (DHAAD from " +
                            target->coa.str() + ")");
  }
  // The Home-Agents anycast address (RFC 2526 §2); config validation
  // refuses HomeAgent discover for a prefix longer than /121, which has none.
  const auto anycast = wire::home_agents_anycast(h.cfg.address, h.cfg.prefix_len);
  if (!anycast) {
    h.dhaad.reset();
    home_hold("the home prefix " + h.cfg.prefix().str() + " is too long for a Home-Agents anycast address "
              "(RFC 2526: at most /121): set HomeAgent",
              true, now);
    return;
  }
  h.dhaad->sent = now;
  ++h.dhaad->sent_count;
  ++counters_.dhaad_requests_sent;
  actions_.emplace_back(SendDhaadRequest{target->coa, *anycast, h.dhaad->id});
}

void MobileNode::handle_dhaad_reply(TimePoint now, const Ip6Addr& src, std::uint16_t id,
                                    const std::vector<Ip6Addr>& home_agents) {
  service(now);
  std::vector<Ip6Addr> usable;
  for (const auto& a : home_agents)
    if (!a.is_unspecified() && !a.is_multicast() && !a.is_link_local() && !a.is_loopback() &&
        std::find(usable.begin(), usable.end(), a) == usable.end())
      usable.push_back(a);
  if (!home_ || stopping_ || !home_->dhaad || home_->dhaad->id != id || usable.empty()) {
    ++counters_.dhaad_replies_ignored;
    log(LogLevel::debug, "DHAAD reply from " + src.str() + " (identifier " + std::to_string(id) + ") ignored");
    return;
  }
  Home& h = *home_;
  ++counters_.dhaad_replies_accepted;
  h.dhaad.reset();
  h.ha = usable.front();
  h.other_has.assign(usable.begin() + 1, usable.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                                usable.size(), kMaxOtherHomeAgents + 1)));
  log(LogLevel::notice, "home agent " + h.ha->str() + " discovered (DHAAD reply from " + src.str() + ", " +
                            std::to_string(usable.size()) + " listed)");
  service(now);
}

// ---------------------------------------------------------------------------
// What the HA sends

// True when `mh` concerns the home registration (the MAP path gets the
// rest): a BA carrying the home address in its type 2 routing header (or,
// at home, sent to the home address), a BRR or Binding Error from the HA
// about the home address. The HA and a MAP may share an address (one mapd,
// both roles): the home address tells them apart.
bool MobileNode::home_mh(const ReceivedMh& mh, TimePoint now) {
  if (!home_) return false;
  Home& h = *home_;
  const Ip6Addr& hoa = h.cfg.address;
  if (const auto* ba = std::get_if<wire::BindingAck>(&mh.msg)) {
    if (mh.rh2_home ? *mh.rh2_home != hoa : mh.dst != hoa) return false;
    home_ba(mh, *ba, now);
    return true;
  }
  if (!h.ha || mh.src != *h.ha) return false;
  if (std::holds_alternative<wire::BindingRefreshRequest>(mh.msg)) {
    if (mh.dst != hoa && mh.rh2_home != hoa) return false;
    ++counters_.brr_received;
    // RFC 6275 §11.7.4: answered with a home BU (lifetime as for a refresh).
    if (stopping_ || !h.registered || h.pending || h.held_until || !home_installed_away() ||
        !send_home_update(cfg_.initial_bindack_timeout, false, now)) {
      ++counters_.brr_ignored;
      return true;
    }
    ++counters_.home_brr_answered;
    h.refresh_at.reset();
    return true;
  }
  if (const auto* be = std::get_if<wire::BindingError>(&mh.msg)) {
    if (be->status == wire::be_status::kUnknownBindingForHomeAddressDestOption && be->home_address != hoa)
      return false;
    home_be(*be, now);
    return true;
  }
  return false;
}

void MobileNode::home_ba(const ReceivedMh& mh, const wire::BindingAck& ba, TimePoint now) {
  Home& h = *home_;
  // RFC 6275 §11.7.3: from the HA, for the outstanding BU; away, with the
  // home address in a type 2 routing header (the caller checked that).
  if (!h.ha || mh.src != *h.ha || !h.pending || (!mh.rh2_home && h.pending->coa != h.cfg.address)) {
    ++counters_.home_ba_ignored;
    log(LogLevel::debug, "home BA from " + mh.src.str() + " ignored (not from the home agent, or no home BU outstanding)");
    return;
  }
  if (ba.status == wire::ba_status::kSequenceNumberOutOfWindow) {
    home_resync(ba, now);
    return;
  }
  if (ba.sequence != h.pending->seq) {
    ++counters_.home_ba_ignored;
    return;
  }
  h.last_status = ba.status;
  if (!h.pending->bids.empty() || h.pending->clearing) {  // Multiple CoA (mn_home_mcoa.cpp)
    home_mcoa_ba(ba, now);
    return;
  }
  if (wire::ba_status::accepted(ba.status)) {
    home_accepted(ba, now);
    return;
  }
  ++counters_.home_ba_refused;
  home_refused(ba.status, now);
}

// Status 135 (RFC 6275 §9.5.1): the HA refused the outstanding BU because
// its sequence number was not greater than the last one it accepted, which
// the BA carries: go on after it. It only resyncs: nothing is removed, so
// in insecure mode forged 135s cannot tear the home binding down. Checked
// as far as the core can (home_mh / home_ba: from the HA, for the home
// address, RH2 as the outstanding BU was sent): the number must not be
// below the outstanding BU's (modulo 2^16, §9.5.1), else the HA would have
// accepted that BU. More than kMaxSequenceResyncs for one registration in
// a row: the registration rests (a hold-down; the home binding, its kernel
// state and its registration stay).
void MobileNode::home_resync(const wire::BindingAck& ba, TimePoint now) {
  Home& h = *home_;
  if (static_cast<std::uint16_t>(ba.sequence - h.pending->seq) >= 0x8000U) {
    ++counters_.home_ba_ignored;
    log(LogLevel::debug, "home BA status 135 with sequence number " + std::to_string(ba.sequence) +
                             " below the outstanding BU's " + std::to_string(h.pending->seq) + ": ignored");
    return;
  }
  ++counters_.home_ba_refused;
  ++counters_.home_sequence_resyncs;
  h.last_status = ba.status;
  if (++h.pending->resyncs > kMaxSequenceResyncs) {
    const bool dereg = h.pending->lifetime_units == 0;
    h.pending.reset();
    if (dereg) ++counters_.home_deregistrations;
    home_hold("home agent " + h.ha->str() + " answered status 135 (sequence number out of window) " +
                  std::to_string(kMaxSequenceResyncs + 1) + " times in a row",
              false, now);
    // The BU it interrupted (a refresh, a BRR's answer) goes after the rest;
    // unregistered, service_home registers then.
    if (!dereg && h.registered) h.refresh_at = h.held_until;
    if (dereg) home_dereg_done(now);
    return;
  }
  h.next_seq = static_cast<std::uint16_t>(ba.sequence + 1);
  log(LogLevel::info, "home agent " + h.ha->str() + ": sequence out of window, continuing after " +
                          std::to_string(ba.sequence));
  if (!h.pending->bids.empty() || h.pending->clearing) {  // Multiple CoA (mn_home_mcoa.cpp)
    home_mcoa_resend(h.pending->timeout, now);
  } else if (h.pending->lifetime_units == 0) {
    send_home_dereg(h.pending->timeout, h.pending->first, now);
  } else if (!send_home_update(h.pending->timeout, h.pending->first, now)) {
    h.pending.reset();
  }
}

void MobileNode::home_accepted(const wire::BindingAck& ba, TimePoint now) {
  Home& h = *home_;
  ++counters_.home_ba_accepted;
  const HomePending p = *h.pending;
  h.pending.reset();
  h.next_hold = kHomeHoldDown;
  if (p.lifetime_units == 0) {
    ++counters_.home_deregistrations;
    h.registered = false;
    h.expires.reset();
    h.refresh_at.reset();
    h.granted_s = 0;
    log(LogLevel::notice, "home address " + h.cfg.address.str() + " deregistered at home agent " + h.ha->str());
    // At home: the home link's neighbours still map the address to the
    // home agent (its proxy NAs): override them (RFC 6275 §11.5.5).
    if (!h.stop_dereg && h.at_home && h.installed_key && h.installed.mode == HomeMode::at_home)
      actions_.emplace_back(AnnounceHomeAddress{static_cast<unsigned>(h.installed.ifindex), h.cfg.address});
    home_dereg_done(now);
    return;
  }
  if (ba.lifetime == 0) {
    ++counters_.home_ba_refused;
    remove_home();
    h.registered = false;
    home_hold("the home agent granted lifetime 0", false, now);
    return;
  }
  // Never longer than asked for: the request was capped to the MAP's grant.
  const std::uint32_t granted =
      std::min<std::uint32_t>(static_cast<std::uint32_t>(ba.lifetime) * wire::kMhLifetimeUnitSeconds,
                              static_cast<std::uint32_t>(p.lifetime_units) * wire::kMhLifetimeUnitSeconds);
  h.granted_s = granted;
  h.registered = true;
  h.expires = p.sent + core::seconds(granted);
  if (h.more_coas_until_ba) {  // the HA holds the regular binding now: the extra tunnels go
    h.more_coas_until_ba = false;
    if (!h.mcoa && home_installed_away() && !h.installed.more_coas.empty()) {
      HomeSettings s = h.installed;
      s.more_coas.clear();
      install_home(s);
    }
  }
  const auto left = std::chrono::duration_cast<core::Duration>(core::seconds(granted)) * cfg_.refresh_percent / 100;
  h.refresh_at = *h.expires - left;
  h.refresh_latest = *h.expires - left / 2;
  h.waiting_map = false;
  if (ba.status == wire::ba_status::kAcceptedPrefixDiscoveryNecessary)
    log(LogLevel::info, "home agent " + h.ha->str() + " says the home prefix changes (status 1); mobile prefix "
                            "discovery (RFC 6275 §11.4.2) is not implemented: the configured prefix stays");
  log(LogLevel::notice, "home address " + h.cfg.address.str() + " registered at home agent " + h.ha->str() +
                            " with care-of address " + p.coa.str() + ", lifetime " + std::to_string(granted) + " s");
}

// A refusal (RFC 6275 §6.1.8 / §11.7.3). The HA keeps no binding for this
// BU; our side goes, and the registration rests (kHomeHoldDown, doubled at
// each refusal in a row): 134 (the home address is in use on the home link,
// §10.3.1) loudly; with HomeAgent discover, 129, 131, 132 and 133 (this HA
// will not serve us) move on to the next HA DHAAD listed, or discover again.
void MobileNode::home_refused(std::uint8_t status, TimePoint now) {
  Home& h = *home_;
  const bool dereg = h.pending && h.pending->lifetime_units == 0;
  h.pending.reset();
  if (dereg) {  // refusing a deregistration: nothing left to undo
    if (status == wire::ba_status::kNotHomeAgentForThisMobileNode)  // no binding there (e.g. mnd restarted at home)
      log(LogLevel::info, "home agent " + h.ha->str() + " holds no binding for " + h.cfg.address.str() +
                              " (status 133): nothing to deregister");
    else
      log(LogLevel::warning, "home agent " + h.ha->str() + " refused the deregistration (status " +
                                 std::to_string(status) + ")");
    ++counters_.home_deregistrations;
    home_dereg_done(now);
    return;
  }
  h.registered = false;
  h.expires.reset();
  h.refresh_at.reset();
  const std::string s = std::to_string(status);
  if (status == wire::ba_status::kDuplicateAddressDetectionFailed) {
    ++counters_.home_dad_failures;
    remove_home();
    home_hold("home agent " + h.ha->str() + " says home address " + h.cfg.address.str() +
                  " is in use on the home link (status 134, RFC 6275 §10.3.1): another node holds it",
              true, now);
    return;
  }
  const bool not_for_us = status == wire::ba_status::kAdministrativelyProhibited ||
                          status == wire::ba_status::kHomeRegistrationNotSupported ||
                          status == wire::ba_status::kNotHomeSubnet ||
                          status == wire::ba_status::kNotHomeAgentForThisMobileNode;
  if (!h.cfg.home_agent && not_for_us) {
    home_next_ha("refused the home registration (status " + s + ")", now);
    return;
  }
  remove_home();
  home_hold("home agent " + h.ha->str() + " refused the home registration (status " + s + ")", not_for_us, now);
}

// RFC 6275 §11.3.6. Status 1 from the HA: it has no binding for the home
// address (restarted, lost it): registered again at once (as a first
// registration). Status 2: the HA does not understand the Mobility Header
// we sent: it is no home agent; held down (discover: the next HA).
void MobileNode::home_be(const wire::BindingError& be, TimePoint now) {
  Home& h = *home_;
  ++counters_.home_be_received;
  ++counters_.be_received;
  if (be.status == wire::be_status::kUnknownBindingForHomeAddressDestOption) {
    log(LogLevel::warning, "home agent " + h.ha->str() + " has no binding for " + h.cfg.address.str() +
                               " (Binding Error 1): registering again");
    if (stopping_ || h.pending || !home_installed_away()) return;
    h.registered = false;
    h.expires.reset();
    h.refresh_at.reset();
    // No lifetime left: service_home registers once there is one.
    (void)send_home_update(cfg_.initial_bindack_timeout_first_reg, true, now);
    return;
  }
  if (be.status != wire::be_status::kUnrecognizedMhType || stopping_) return;
  if (secure()) {
    // Review of issue 14 phase 2, item 1: a Binding Error is not
    // protected (RFC 4877 protects BU, BA and BRR), so in secure mode it
    // cannot end a registration the home agent accepted over IKEv2/ESP
    // (mnd's kernel policy drops cleartext MH from the home agent anyway;
    // one that got through is only logged). An HA without Mobile IPv6
    // shows itself by never answering the protected BUs.
    ++counters_.home_be_ignored;
    log(LogLevel::warning, "ignored a Binding Error 2 (unrecognized MH type) from home agent " + h.ha->str() +
                               ": Binding Errors are not protected, and the registration runs over IKEv2/ESP");
    return;
  }
  // RFC 5648 §5.x: a BE 2 naming the home address while a BU with BID
  // options is outstanding: the HA does not know them; one CoA.
  if (h.pending && !h.pending->bids.empty() && be.home_address == h.cfg.address) {
    home_mcoa_fallback("Binding Error status 2", true, now);
    return;
  }
  h.pending.reset();
  if (!h.cfg.home_agent) {
    home_next_ha("does not implement Mobile IPv6 (Binding Error 2)", now);
    return;
  }
  remove_home();
  h.registered = false;
  h.expires.reset();
  h.refresh_at.reset();
  home_hold("home agent " + h.ha->str() + " does not implement Mobile IPv6 (Binding Error 2, unrecognized MH type)",
            true, now);
}

// The daemon could not install the home binding (11c of the issue-14
// review): without this the core believed it installed, skipped the
// identical settings ever after and sent home BUs without the hao state.
void MobileNode::handle_home_install_failed(TimePoint now, const HomeKey& key, const std::string& why) {
  if (!home_) return;
  Home& h = *home_;
  // What was queued behind the failed install and needed it.
  std::erase_if(actions_, [&](const Action& a) {
    if (const auto* i = std::get_if<InstallHomeBinding>(&a)) return i->key == key;
    if (const auto* r = std::get_if<RemoveHomeBinding>(&a)) return r->key == key;
    if (const auto* b = std::get_if<SendBu>(&a))
      return b->bu.home_registration && b->dst == key.home_agent && b->src == key.home_address;
    if (const auto* n = std::get_if<AnnounceHomeAddress>(&a)) return n->address == key.home_address;
    return false;
  });
  // A failed update leaves the previous state (kernel-glue rolls back): it
  // goes now, before anything queued (a MAP binding it nests in may be
  // removed next).
  actions_.push_front(RemoveHomeBinding{key});
  if (!h.installed_key || *h.installed_key != key) {
    log(LogLevel::warning, "home binding " + key.home_address.str() + " at " + key.home_agent.str() +
                               " not installed (" + why + "); no longer in use");
    return;
  }
  h.installed_key.reset();
  h.installed = HomeSettings{};
  h.lifetime_wait = false;
  h.registered = false;
  h.expires.reset();
  h.refresh_at.reset();
  h.waiting_map = false;
  const bool stop = h.stop_dereg;
  h.pending.reset();
  if (stop) {
    h.stop_dereg = false;
    home_release();
    stop_map_bindings(now);
    return;
  }
  h.install_held = true;
  home_hold("the home binding could not be installed: " + why, true, now);
}

// ---------------------------------------------------------------------------
// Stop, reload, deadlines, state

// Deregister the home binding first: its BU and BA go through the MAP
// binding's tunnel, which is deregistered after it (stop_map_bindings).
bool MobileNode::home_stop(TimePoint now) {
  if (!home_) return false;
  Home& h = *home_;
  h.dhaad.reset();
  h.refresh_at.reset();
  h.held_until.reset();
  h.dereg_due = false;
  const bool away = h.installed_key && h.installed.mode == HomeMode::away;
  if (cfg_.deregister_on_stop && away && (h.registered || h.pending)) {
    if (home_protected()) {
      h.stop_dereg = true;
      log(LogLevel::info, "deregistering home address " + h.cfg.address.str() + " at home agent " + h.ha->str());
      send_home_bu(0, cfg_.initial_bindack_timeout, false, now);
      return true;
    }
    log(LogLevel::warning, "home address " + h.cfg.address.str() + " not deregistered: no protection with home agent " +
                               h.ha->str() + " (its binding expires there)");
  }
  h.pending.reset();
  remove_home();
  home_release();
  return false;
}

void MobileNode::home_reload(const std::optional<HomeConfig>& cfg) {
  if (!home_ && !cfg) return;
  const bool same_binding = home_ && cfg && cfg->address == home_->cfg.address &&
                            cfg->prefix_len == home_->cfg.prefix_len && cfg->home_agent == home_->cfg.home_agent &&
                            cfg->home_agent_identity == home_->cfg.home_agent_identity &&
                            cfg->protect_traffic == home_->cfg.protect_traffic;
  if (!same_binding) {
    log(LogLevel::warning, "the Home block's Address, HomeAgent, HomeAgentIdentity and ProtectTraffic (or the block "
                           "itself) take effect at a restart");
    return;
  }
  home_->cfg.binding_lifetime = cfg->binding_lifetime;  // from the next home BU
  home_->mcoa_refused_until.reset();                    // an HA that refused Multiple CoA is asked again
  home_->cfg.hmipv6 = cfg->hmipv6;                      // at once
}

void MobileNode::home_deadlines(std::optional<TimePoint>& t) const {
  if (!home_) return;
  const Home& h = *home_;
  auto consider = [&](const std::optional<TimePoint>& x) {
    if (x && *x != TimePoint::max() && (!t || *x < *t)) t = x;
  };
  if (h.pending) consider(h.pending->sent + h.pending->timeout);
  if (stopping_) return;
  // A refresh is only sent with the home binding installed and no hold-down
  // (service_home_bu): otherwise a past refresh_at would spin the timer.
  if (!h.pending && h.registered && !h.held_until && home_installed_away()) consider(h.refresh_at);
  if (h.registered) consider(h.expires);
  consider(h.held_until);
  if (h.dhaad) consider(h.dhaad->sent + h.dhaad->timeout);
  if (h.sec && !h.sec->up_from) consider(h.sec->deadline);
  // Multiple CoA: a refused BID joins again, Multiple CoA is asked again
  // (service_home forgets both when due, so a past one does not spin).
  for (const auto& r : h.refused_bids) consider(r.second);
  consider(h.mcoa_refused_until);
}

std::string_view to_string(HomeStatus s) noexcept {
  switch (s) {
    case HomeStatus::idle: return "idle";
    case HomeStatus::discovering: return "discovering";
    case HomeStatus::registering: return "registering";
    case HomeStatus::registered: return "registered";
    case HomeStatus::at_home: return "at-home";
    case HomeStatus::held_down: return "held-down";
  }
  return "?";
}

std::string_view to_string(HomeProtection p) noexcept {
  switch (p) {
    case HomeProtection::none: return "none";
    case HomeProtection::setting_up: return "setting-up";
    case HomeProtection::up: return "up";
  }
  return "?";
}

std::optional<HomeView> MobileNode::home_view(TimePoint now) const {
  if (!home_) return std::nullopt;
  const Home& h = *home_;
  auto until = [&](const std::optional<TimePoint>& x) -> std::optional<core::Duration> {
    if (!x) return std::nullopt;
    return *x <= now ? core::Duration{0} : std::chrono::duration_cast<core::Duration>(*x - now);
  };
  HomeView v;
  v.home_address = h.cfg.address;
  v.prefix_len = h.cfg.prefix_len;
  v.home_agent = h.ha;
  v.discover = !h.cfg.home_agent;
  v.hmipv6 = h.cfg.hmipv6;
  v.at_home = h.at_home;
  v.status = h.held_until         ? HomeStatus::held_down
             : h.at_home          ? HomeStatus::at_home
             : h.pending          ? HomeStatus::registering
             : h.registered       ? HomeStatus::registered
             : h.dhaad            ? HomeStatus::discovering
                                  : HomeStatus::idle;
  if (h.installed_key) {
    v.coa = h.installed.mode == HomeMode::at_home ? h.cfg.address : h.installed.coa;
    v.plain_mode = h.installed.mode == HomeMode::away && !h.installed.via;
    if (h.installed.via) v.via_map = h.installed.via->map_address;
    v.tunnel_mtu = h.installed.tunnel_mtu;
  }
  v.last_sequence = static_cast<std::uint16_t>(h.next_seq - 1);
  v.requested_lifetime = h.requested_s;
  v.granted_lifetime = h.registered ? h.granted_s : 0;
  if (h.registered) v.expires_in = until(h.expires);
  if (h.registered && !h.pending) v.refresh_in = until(h.refresh_at);
  if (h.pending) v.retransmit_in = until(h.pending->sent + h.pending->timeout);
  if (h.held_until) {
    v.held_down_for = until(h.held_until);
    v.held_down_reason = h.held_reason;
  }
  v.bu_sent = h.bu_sent;
  v.last_status = h.last_status;
  if (h.sec) {
    v.protection = h.sec->up_from ? HomeProtection::up : HomeProtection::setting_up;
    v.ike_coa = h.sec->up_from.value_or(h.sec->coa);
    if (h.sec->up_from && *h.sec->up_from != h.sec->coa) v.ike_moving_to = h.sec->coa;
    if (!h.sec->up_from && h.sec->deadline) v.ike_timeout_in = until(h.sec->deadline);
  }
  return v;
}

}  // namespace hmip::mn
