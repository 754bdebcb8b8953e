// MobileNode: Multiple Care-of Addresses (RFC 5648, issue 15) towards the
// HOME AGENT in plain Mobile IPv6 mode (Hmipv6 off, or no MAP binding).
// The choices (mobile_node.h, "Multiple CoA towards the home agent", says
// them in full):
//   * One BID per interface with a usable LCoA (the interface's Bid and
//     Priority, as for MAPs), all registered under the home address. The
//     primary member (the registered one with the best Priority, then
//     configuration order) is HomeSettings::coa: its home tunnel carries the
//     uplink and the home BUs (hao state); the others are
//     HomeSettings::more_coas: receive-only tunnels, so that the downlink
//     arrives through whichever BID the HA ranks first.
//   * One home BU outstanding (the sequence number is the home address's):
//     a registration BU carries the BID options of the members needing it
//     (bulk when several), a deregistration (lifetime 0) those of lost
//     members, never both; a deregistration supersedes a registration.
//   * A member lost (interface down or without LCoA) while another remains:
//     the lifetime-0 BU for its BID goes out FIRST, then its receive tunnel
//     goes (a lost primary's tunnel is the one the BU must leave by: it
//     moves to the new primary before the BU, which is then sent from
//     there).
//   * Fallbacks as with a MAP: a BA without BID option, 164, 166, a Binding
//     Error 2 naming the home address: one CoA for kMcoaFallbackHoldDown;
//     168 one BID per BU; 167 the CoA field always; 165 (the HA holds a
//     regular binding) a lifetime-0 BU without BID clears it, then the BIDs
//     again (a third 165: fallback).
//   * Never in secure mode (home_mcoa_wanted): one CoA, logged once.
#include <algorithm>
#include <chrono>
#include <string>
#include <utility>

#include "hmip/mn/mobile_node.h"
#include "mcoa_members.h"

namespace hmip::mn {

namespace {

using detail::has_bid;
using detail::priority_rank;

std::string bid_list(const std::vector<std::uint16_t>& bids) {
  std::string s;
  for (const auto b : bids) s += (s.empty() ? "" : ",") + std::to_string(b);
  return s;
}

}  // namespace

bool MobileNode::home_mcoa_wanted(TimePoint now) {
  Home& h = *home_;
  if (!cfg_.mcoa()) return false;
  if (secure()) {
    // RFC 4877: the home BU itself would be fine (the home address <-> HA
    // ESP SAs do not depend on the care-of address), but the IKE SA runs
    // from one care-of address and ProtectTraffic's payload SA is per
    // care-of address: the other BIDs' tunnels would carry unprotected (or,
    // with the MAIN policies, dropped) traffic. One CoA.
    if (!h.mcoa_secure_logged)
      log(LogLevel::notice, "home address " + h.cfg.address.str() + ": Multiple CoA towards the home agent is not "
                            "used in secure mode (RFC 4877 protection runs from one care-of address): one care-of "
                            "address is registered");
    h.mcoa_secure_logged = true;
    return false;
  }
  return !h.mcoa_refused_until || *h.mcoa_refused_until <= now;
}

bool MobileNode::home_mcoa(TimePoint now) {
  Home& h = *home_;
  // The kernel state went under the registration (refusal, next HA, a
  // failed install, HMIPv6 or at home before): start afresh.
  if (h.mcoa && (!home_installed_away() || h.installed.via)) {
    h.mcoa = false;
    h.members.clear();
    h.leaving.clear();
  h.retired.clear();
  }
  for (auto it = h.refused_bids.begin(); it != h.refused_bids.end();)
    it = it->second <= now ? h.refused_bids.erase(it) : std::next(it);

  struct Acc {
    std::size_t k;
    HomeCoa c;
  };
  std::vector<Acc> acc;
  for (std::size_t k = 0; k < ifaces_.size(); ++k) {
    const Iface& i = ifaces_[k];
    std::optional<Ip6Addr> keep;
    for (const auto& m : h.members)
      if (m.iface == i.name) keep = m.kernel.coa;
    if (!keep && home_installed_away() && !h.installed.via && i.ifindex &&
        h.installed.ifindex == static_cast<int>(*i.ifindex))
      keep = h.installed.coa;
    const auto lcoa = lcoa_of(i, keep);
    if (!lcoa) continue;
    const HomeSettings ps = plain_home_settings(i, *lcoa);
    acc.push_back(Acc{k, HomeCoa{cfg_.bid_of(k), *lcoa, ps.ifindex, ps.router, ps.tunnel_mtu}});
  }
  const auto member_of = [&](std::size_t k) {
    return std::find_if(h.members.begin(), h.members.end(), [&](const HomeMember& m) { return m.iface == ifaces_[k].name; });
  };
  const auto bid_taken = [&](std::uint16_t bid) {
    return std::any_of(h.members.begin(), h.members.end(), [&](const HomeMember& m) { return m.bid == bid; });
  };
  const auto make = [&](const Acc& a) {
    HomeMember m;
    m.bid = a.c.bid;
    m.iface = ifaces_[a.k].name;
    m.priority = cfg_.priority_of(a.k);
    m.order = a.k;
    m.kernel = a.c;
    return m;
  };

  if (!h.mcoa) {
    for (const auto& a : acc)
      if (h.refused_bids.count(a.c.bid) == 0 && !bid_taken(a.c.bid)) h.members.push_back(make(a));
    if (h.members.empty()) {
      // Every available BID refused (or none usable yet): one CoA until a
      // refused BID's hold-down is over (home_deadlines wakes then).
      return !std::any_of(acc.begin(), acc.end(), [&](const Acc& a) { return h.refused_bids.count(a.c.bid) != 0; });
    }
    h.mcoa = true;
    h.more_coas_until_ba = false;  // Multiple CoA again: its own extra tunnels from now on
    h.leaving.clear();
    h.retired.clear();
    h.coa_field_always = false;
    h.one_bid_per_bu = false;
    h.clearings = 0;
    // The HA may hold a regular binding of ours (one CoA before, HMIPv6
    // mode, a fallback's hold-down over): the BID BU goes anyway. An HA
    // with Multiple CoA answers 165 (then cleared: home_mcoa_ba); one
    // without answers as to a regular BU, which replaces its binding in
    // place (no outage), and the fallback follows.
    h.registered = false;
    h.expires.reset();
    h.refresh_at.reset();
    home_mcoa_pick_primary();
    home_mcoa_install();
    std::string names;
    for (const auto& m : h.members)
      names += (names.empty() ? "" : ", ") + m.iface + " (BID " + std::to_string(m.bid) + ", " + m.kernel.coa.str() + ")";
    log(LogLevel::info, "registering home address " + h.cfg.address.str() + " with home agent " + h.ha->str() +
                            " (plain Mobile IPv6, Multiple CoA) from " + names);
    home_mcoa_flush(now);
    return true;
  }

  // Lost: the interface has no usable LCoA and is not merely waiting for
  // its first RA after a link change (up, nothing heard yet). Only while
  // another remains: the last member waits for its link.
  const auto waiting = [&](const std::string& name) {
    const auto i = std::find_if(ifaces_.begin(), ifaces_.end(), [&](const Iface& x) { return x.name == name; });
    return i != ifaces_.end() && i->up && !i->ra_seen;
  };
  const auto has_acc = [&](const std::string& name) {
    return std::any_of(acc.begin(), acc.end(), [&](const Acc& a) { return ifaces_[a.k].name == name; });
  };
  const auto stays = [&](const HomeMember& m) { return has_acc(m.iface) || waiting(m.iface); };
  const bool another_remains =
      std::any_of(h.members.begin(), h.members.end(), stays) ||
      std::any_of(acc.begin(), acc.end(), [&](const Acc& a) {
        return member_of(a.k) == h.members.end() && h.refused_bids.count(a.c.bid) == 0;
      });
  std::vector<HomeMember> lost;
  if (another_remains) {
    for (auto it = h.members.begin(); it != h.members.end();) {
      if (stays(*it)) {
        ++it;
        continue;
      }
      lost.push_back(std::move(*it));
      it = h.members.erase(it);
    }
  }
  // Joined or moved.
  for (const auto& a : acc) {
    const auto m = member_of(a.k);
    if (m == h.members.end()) {
      if (h.refused_bids.count(a.c.bid)) continue;
      if (bid_taken(a.c.bid)) {  // never two members with one BID (a BU would carry it twice)
        log(LogLevel::warning, "interface " + ifaces_[a.k].name + ": BID " + std::to_string(a.c.bid) +
                                   " is another member's: not registered with home agent " + h.ha->str());
        continue;
      }
      h.members.push_back(make(a));
      std::sort(h.members.begin(), h.members.end(), [](const HomeMember& x, const HomeMember& y) { return x.order < y.order; });
      ++counters_.mcoa_interfaces_joined;
      log(LogLevel::notice, "interface " + ifaces_[a.k].name + " has LCoA " + a.c.coa.str() +
                                ": registering it with home agent " + h.ha->str() + " as BID " +
                                std::to_string(a.c.bid));
      continue;
    }
    if (m->kernel == a.c) continue;
    const bool moved = m->kernel.coa != a.c.coa;
    m->kernel = a.c;
    if (!moved) continue;
    m->dirty = true;
    m->registered = false;
    ++counters_.home_coa_changes;
    log(LogLevel::notice, "home address " + h.cfg.address.str() + ": new care-of address " + a.c.coa.str() + " on " +
                              m->iface + " (BID " + std::to_string(m->bid) + ")");
  }
  if (h.members.empty()) return true;  // only refused BIDs left: waits
  // Failover order (RFC 5648 §5.x; the HA routes the downlink to the
  // remaining BIDs once it knows): the primary moves first (the BU leaves
  // from a remaining CoA), the lost non-primary members' tunnels stay
  // until the lifetime-0 BU is out.
  std::vector<HomeCoa> keep_lost;
  for (const auto& m : lost) {
    const bool in_flight = h.pending && h.pending->lifetime_units != 0 && has_bid(h.pending->bids, m.bid);
    if ((m.registered || in_flight) && !has_bid(h.leaving, m.bid)) h.leaving.push_back(m.bid);
    if (home_installed_away() && m.kernel.coa != h.installed.coa) keep_lost.push_back(m.kernel);
  }
  home_mcoa_pick_primary();
  home_mcoa_install(keep_lost);
  home_mcoa_expire(now);
  home_mcoa_flush(now);
  for (const auto& m : lost) {
    ++counters_.mcoa_interface_losses;
    log(LogLevel::notice, "interface " + m.iface + " (BID " + std::to_string(m.bid) + ", " + m.kernel.coa.str() +
                              ") lost: home address " + h.cfg.address.str() + " continues through " +
                              h.installed.coa.str() + (has_bid(h.leaving, m.bid) ? ", deregistering its BID" : ""));
  }
  home_mcoa_install();  // the lost members' tunnels go (after the BU above)
  return true;
}

// The primary member first in `members` is not kept: it is found each time
// (registered first, then the best Priority, then configuration order).
void MobileNode::home_mcoa_pick_primary() {
  Home& h = *home_;
  std::stable_sort(h.members.begin(), h.members.end(), [](const HomeMember& x, const HomeMember& y) {
    if (x.registered != y.registered) return x.registered;
    if (priority_rank(x.priority) != priority_rank(y.priority)) return priority_rank(x.priority) < priority_rank(y.priority);
    return x.order < y.order;
  });
}

// The kernel state of the registration: the primary member's tunnel (the
// uplink, the BUs) and a receive-only tunnel per other member (and per
// `also`: lost members whose deregistration is not out yet). Assumes
// home_mcoa_pick_primary ran (members.front() is the primary).
void MobileNode::home_mcoa_install(const std::vector<HomeCoa>& also) {
  Home& h = *home_;
  if (h.members.empty()) return;
  const HomeMember& p = h.members.front();
  const auto i = std::find_if(ifaces_.begin(), ifaces_.end(), [&](const Iface& x) { return x.name == p.iface; });
  HomeSettings s = i != ifaces_.end() ? plain_home_settings(*i, p.kernel.coa) : HomeSettings{};
  s.coa = p.kernel.coa;
  s.ifindex = p.kernel.ifindex;
  s.router = p.kernel.router;
  s.tunnel_mtu = p.kernel.tunnel_mtu;
  const auto add = [&](const HomeCoa& c) {
    if (c.coa != s.coa && std::none_of(s.more_coas.begin(), s.more_coas.end(),
                                       [&](const HomeCoa& x) { return x.coa == c.coa || x.bid == c.bid; }))
      s.more_coas.push_back(c);
  };
  for (std::size_t k = 1; k < h.members.size(); ++k) add(h.members[k].kernel);
  for (const auto& c : also) add(c);
  const bool moved = home_installed_away() && h.installed.coa != s.coa;
  install_home(s);
  if (moved) {
    ++counters_.mcoa_primary_changes;
    log(LogLevel::info, "home address " + h.cfg.address.str() + ": primary interface now " + p.iface + " (BID " +
                            std::to_string(p.bid) + ", " + p.kernel.coa.str() + ")");
  }
}

void MobileNode::home_mcoa_collapse(bool keep_receiving) {
  Home& h = *home_;
  if (!h.mcoa) return;
  h.mcoa = false;
  h.members.clear();
  h.leaving.clear();
  h.retired.clear();
  h.refused_bids.clear();
  h.coa_field_always = false;
  h.one_bid_per_bu = false;
  h.clearings = 0;
  if (home_installed_away() && !h.installed.more_coas.empty()) {
    if (keep_receiving) {
      h.more_coas_until_ba = true;
      return;
    }
    HomeSettings s = h.installed;
    s.more_coas.clear();
    install_home(s);
  }
}

// Reload (handle_reload, before service): every member takes its BID,
// Priority and position from the new configuration, as mcoa_reconfigure
// does for a MAP binding. A BID that changed is registered under the new
// number (dirty; the old number, if the HA holds it and no member has it
// now, goes to `retired`: deregistered after the registration). A new
// Priority makes the member dirty (its BID-PRI goes out) and may move the
// primary. An outstanding registration BU with the old numbering is
// dropped and its BIDs sent again. The refused BIDs are tried again.
// Members of interfaces no longer configured stay for home_mcoa, which
// treats them as lost (deregistration first, then the tunnel), unless a
// member now has their BID (its registration replaces the binding there):
// then they go at once.
void MobileNode::home_mcoa_reconfigure(TimePoint now) {
  if (!home_ || stopping_) return;
  Home& h = *home_;
  h.refused_bids.clear();
  if (!h.mcoa) return;
  const auto pos = [&](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t k = 0; k < ifaces_.size(); ++k)
      if (ifaces_[k].name == name) return k;
    return std::nullopt;
  };
  const auto held = [&](const HomeMember& m) {
    return m.registered || (h.pending && h.pending->lifetime_units != 0 && has_bid(h.pending->bids, m.bid));
  };
  bool changed = false;
  for (auto& m : h.members) {
    const auto k = pos(m.iface);
    if (!k) continue;
    m.order = *k;
    if (cfg_.priority_of(*k) != m.priority) {
      m.priority = cfg_.priority_of(*k);
      m.dirty = true;  // its new BID-PRI goes to the HA
      changed = true;
    }
    const std::uint16_t bid = cfg_.bid_of(*k);
    if (bid == m.bid) continue;
    if (held(m) && !has_bid(h.retired, m.bid)) h.retired.push_back(m.bid);
    log(LogLevel::notice, "interface " + m.iface + ": BID " + std::to_string(m.bid) + " -> " + std::to_string(bid) +
                              " (reload): registering it with home agent " + h.ha->str() + " under the new BID");
    m.bid = bid;
    m.kernel.bid = bid;
    m.dirty = true;  // `registered` stays: the HA holds its CoA (old BID) until the new BA
    m.last_status.reset();
    changed = true;
  }
  // Unconfigured members whose BID a configured one has now: gone (no
  // deregistration: the registration under that BID replaces theirs).
  const auto configured_has = [&](std::uint16_t bid) {
    return std::any_of(h.members.begin(), h.members.end(),
                       [&](const HomeMember& x) { return pos(x.iface).has_value() && x.bid == bid; });
  };
  std::erase_if(h.members, [&](const HomeMember& m) {
    if (pos(m.iface) || !configured_has(m.bid)) return false;
    log(LogLevel::notice, "interface " + m.iface + " (BID " + std::to_string(m.bid) +
                              ") no longer configured: its BID is another interface's now");
    changed = true;
    return true;
  });
  std::sort(h.members.begin(), h.members.end(), [](const HomeMember& x, const HomeMember& y) { return x.order < y.order; });
  if (changed && h.pending && h.pending->lifetime_units != 0 && !h.pending->clearing) {
    for (auto& m : h.members)
      if (has_bid(h.pending->bids, m.bid)) m.dirty = true;
    h.pending.reset();  // read with the new numbering, its BA would be wrong: sent again
  }
  if (!changed || h.members.empty()) return;
  home_mcoa_pick_primary();
  if (home_installed_away() && !h.installed.via) home_mcoa_install();
  home_mcoa_flush(now);
}

void MobileNode::home_mcoa_flush(TimePoint now) {
  Home& h = *home_;
  if (!h.mcoa || stopping_ || !home_installed_away()) return;
  if (h.pending && h.pending->clearing) return;  // the registration follows the clearing's BA
  if (!h.pending) detail::retire_to_leaving(h.retired, h.leaving, h.members);  // reload: make-before-break at the HA
  if (!h.leaving.empty()) {
    if (h.pending && h.pending->lifetime_units == 0 &&
        (h.one_bid_per_bu ? std::any_of(h.pending->bids.begin(), h.pending->bids.end(),
                                        [&](std::uint16_t x) { return has_bid(h.leaving, x); })
                          : std::all_of(h.leaving.begin(), h.leaving.end(),
                                        [&](std::uint16_t x) { return has_bid(h.pending->bids, x); })))
      return;  // in flight
    if (h.pending && h.pending->lifetime_units != 0)  // superseded: its BIDs go again after
      for (auto& m : h.members)
        if (has_bid(h.pending->bids, m.bid)) m.dirty = true;
    std::vector<std::uint16_t> bids = h.leaving;
    if (h.one_bid_per_bu) bids.resize(1);
    send_home_mcoa_bu(bids, true, cfg_.initial_bindack_timeout, false, now);
    return;
  }
  std::vector<std::uint16_t> bids;
  for (const auto& m : h.members)
    if (m.dirty) bids.push_back(m.bid);
  if (h.pending) {
    if (h.pending->lifetime_units == 0 || h.one_bid_per_bu) return;  // after its BA
    if (std::all_of(bids.begin(), bids.end(), [&](std::uint16_t x) { return has_bid(h.pending->bids, x); })) return;
    for (const auto x : h.pending->bids)
      if (!has_bid(bids, x) &&
          std::any_of(h.members.begin(), h.members.end(), [&](const HomeMember& m) { return m.bid == x; }))
        bids.push_back(x);
  }
  if (bids.empty()) return;
  if (h.one_bid_per_bu) bids.resize(1);
  const bool first = !h.registered;
  send_home_mcoa_bu(bids, false, first ? cfg_.initial_bindack_timeout_first_reg : cfg_.initial_bindack_timeout, first,
                    now);
}

// One home BU (H, A; RFC 6275 §11.7.1) with a BID option per `bids` (RFC
// 5648 §5.3, §5.6; RFC 6089 BID-PRI), from the primary's CoA. Its lifetime:
// BindingLifetime, at most every registered CoA's remaining valid lifetime.
void MobileNode::send_home_mcoa_bu(std::vector<std::uint16_t> bids,  // NOLINT(performance-unnecessary-value-param)
                                   bool dereg, core::Duration timeout, bool first, TimePoint now) {
  Home& h = *home_;
  // Never a BID twice in one BU (the HA would read the second as a second
  // binding or refuse the BU): the first occurrence stays.
  for (std::size_t k = 0; k < bids.size(); ++k)
    bids.erase(std::remove(bids.begin() + static_cast<std::ptrdiff_t>(k) + 1, bids.end(), bids[k]), bids.end());
  std::uint32_t lt = 0;
  if (!dereg) {
    lt = h.cfg.binding_lifetime;
    for (const auto& m : h.members)
      if (has_bid(bids, m.bid)) lt = std::min(lt, lcoa_lifetime(m.kernel.coa, now));
    if (lt == 0) {
      if (!h.lifetime_wait)
        log(LogLevel::info, "home BU for " + h.cfg.address.str() + " (BIDs " + bid_list(bids) +
                                ") waits: nothing left of a care-of address's valid lifetime to ask for");
      h.lifetime_wait = true;
      return;
    }
  }
  SendBu s = home_bu_base(lt, timeout, first, now);
  h.pending->bids = bids;
  ++counters_.mcoa_bu_sent;
  if (bids.size() > 1) ++counters_.mcoa_bulk_bu_sent;
  for (const auto bid : bids) {
    wire::BindingIdentifierOption o;
    o.bid = bid;
    const auto m = std::find_if(h.members.begin(), h.members.end(), [&](const HomeMember& x) { return x.bid == bid; });
    if (m != h.members.end() && !dereg) {
      o.bid_pri = m->priority;
      if (bids.size() > 1 || h.coa_field_always || m->kernel.coa != h.installed.coa) o.care_of_address = m->kernel.coa;
    }
    s.bu.options.emplace_back(o);
  }
  actions_.emplace_back(std::move(s));
}

void MobileNode::home_mcoa_resend(core::Duration timeout, TimePoint now) {
  Home& h = *home_;
  if (h.pending->clearing) {
    send_home_bu(0, timeout, false, now);
    h.pending->clearing = true;
    return;
  }
  const bool dereg = h.pending->lifetime_units == 0;
  std::vector<std::uint16_t> bids = h.pending->bids;
  if (!dereg)  // members lost meanwhile are not registered again
    std::erase_if(bids, [&](std::uint16_t x) {
      return std::none_of(h.members.begin(), h.members.end(), [&](const HomeMember& m) { return m.bid == x; });
    });
  if (bids.empty() || !home_installed_away()) {
    h.pending.reset();
    home_mcoa_flush(now);
    return;
  }
  send_home_mcoa_bu(std::move(bids), dereg, timeout, h.pending->first, now);
}

// The BA to a home BU with BID options or to the clearing BU (sequence
// number checked, 135 handled by home_ba).
void MobileNode::home_mcoa_ba(const wire::BindingAck& ba, TimePoint now) {
  Home& h = *home_;
  const HomePending p = *h.pending;
  const auto opts = wire::options_of<wire::BindingIdentifierOption>(ba.options);
  namespace st = wire::ba_status;
  if (!h.mcoa && !p.clearing) {
    // Multiple CoA collapsed (HMIPv6 mode, at home, MultipleCoa off) while
    // this BID BU was out: its BA says nothing about the one-CoA
    // registration (read as "every BID refused" it would remove the new
    // home binding). Dropped; a regular BU replaces the BIDs at the HA.
    ++counters_.home_ba_ignored;
    h.pending.reset();
    log(LogLevel::info, "home agent " + h.ha->str() + ": BA (status " + std::to_string(ba.status) +
                            ") to a BU with BID options after Multiple CoA ended: ignored");
    if (home_installed_away()) {
      h.registered = false;
      (void)send_home_update(cfg_.initial_bindack_timeout_first_reg, true, now);
    }
    return;
  }
  if (p.clearing) {  // the regular binding is gone (133: there was none)
    h.pending.reset();
    h.registered = false;
    for (auto& m : h.members) m.dirty = true;
    log(LogLevel::info, "home agent " + h.ha->str() + ": regular binding of " + h.cfg.address.str() +
                            " cleared (status " + std::to_string(ba.status) + "), registering the BIDs");
    home_mcoa_flush(now);
    return;
  }
  // A deregistration of lost BIDs: anything but a fallback (164, 166) or
  // 168 to a bulk one means they are gone there (133: it never knew them).
  if (p.lifetime_units == 0 && ba.status != st::kMcoaMalformed && ba.status != st::kMcoaProhibited &&
      (ba.status != st::kMcoaBulkRegistrationProhibited || p.bids.size() <= 1)) {
    h.pending.reset();
    if (st::accepted(ba.status)) ++counters_.home_ba_accepted;
    else ++counters_.home_ba_refused;
    for (const auto x : p.bids) {
      std::erase(h.leaving, x);
      ++counters_.mcoa_bids_deregistered;
    }
    log(LogLevel::info, "home agent " + h.ha->str() + ": BID(s) " + bid_list(p.bids) + " of " + h.cfg.address.str() +
                            " deregistered (status " + std::to_string(ba.status) + ")");
    home_mcoa_flush(now);
    return;
  }
  switch (ba.status) {
    case st::kMcoaMalformed:
    case st::kMcoaProhibited:
      ++counters_.home_ba_refused;
      home_mcoa_fallback("status " + std::to_string(ba.status), true, now);
      return;
    case st::kMcoaBulkRegistrationProhibited:
      ++counters_.home_ba_refused;
      h.one_bid_per_bu = true;
      h.pending.reset();
      for (auto& m : h.members)
        if (has_bid(p.bids, m.bid)) m.dirty = true;
      log(LogLevel::info, "home agent " + h.ha->str() + " prohibits bulk registration (168): one BID per BU");
      home_mcoa_flush(now);
      return;
    case st::kMcoaUnknownCoa:
      ++counters_.home_ba_refused;
      if (h.coa_field_always) break;  // it had the CoA fields: a refusal
      h.pending.reset();
      h.coa_field_always = true;
      for (auto& m : h.members)
        if (has_bid(p.bids, m.bid)) m.dirty = true;
      log(LogLevel::info, "home agent " + h.ha->str() + " did not know a care-of address (167): every BID option "
                          "carries it now");
      home_mcoa_flush(now);
      return;
    case st::kMcoaNonMcoaBindingExists:
      ++counters_.home_ba_refused;
      if (++h.clearings > 2) {
        home_mcoa_fallback("status 165 again after clearing the regular binding", true, now);
        return;
      }
      ++counters_.mcoa_clearings;
      log(LogLevel::info, "home agent " + h.ha->str() + " holds a regular binding of " + h.cfg.address.str() +
                              " (165): deregistering it first");
      send_home_bu(0, cfg_.initial_bindack_timeout, false, now);
      h.pending->clearing = true;
      return;
    default: break;
  }
  if (opts.empty() && ba.status == st::kMcoaNotComplete) {
    // Status 4 names per-BID statuses: without BID options it is malformed
    // (not "no Multiple CoA"): ignored, the BU is retransmitted.
    ++counters_.mcoa_ba_malformed;
    log(LogLevel::warning, "home agent " + h.ha->str() + ": BA status 4 without Binding Identifier option ignored");
    return;
  }
  if (opts.empty() && st::accepted(ba.status)) {
    // RFC 5648: no BID option in the BA: the HA does not know the option
    // and registered a regular binding for the BU's care-of address (the
    // primary's, which stays installed).
    home_mcoa_fallback("its BA carries no Binding Identifier option", false, now);
    home_accepted(ba, now);
    return;
  }
  if (!st::accepted(ba.status)) {  // the whole BU refused (167 with the CoA fields: too)
    ++counters_.home_ba_refused;
    h.mcoa = false;
    h.members.clear();
    h.leaving.clear();
  h.retired.clear();
    home_refused(ba.status, now);  // the kernel state goes, the registration rests
    return;
  }
  ++counters_.home_ba_accepted;
  h.pending.reset();
  h.next_hold = kHomeHoldDown;
  const std::uint32_t granted =
      std::min<std::uint32_t>(ba.lifetime, p.lifetime_units) * wire::kMhLifetimeUnitSeconds;
  for (const auto* o : opts) {
    if (!has_bid(p.bids, o->bid)) {
      ++counters_.mcoa_bid_unexpected;
      continue;
    }
    const auto m = std::find_if(h.members.begin(), h.members.end(), [&](const HomeMember& x) { return x.bid == o->bid; });
    if (m == h.members.end()) continue;  // lost meanwhile (its deregistration follows)
    const std::uint8_t s = ba.status == st::kMcoaNotComplete ? o->status : ba.status;
    m->last_status = s;
    if (st::accepted(s) && s != st::kMcoaNotComplete && granted > 0) {
      m->registered = true;
      m->dirty = false;
      m->expires = p.sent + core::seconds(granted);
      ++counters_.mcoa_bids_registered;
    } else if (s == st::kMcoaUnknownCoa && !h.coa_field_always) {
      h.coa_field_always = true;  // still dirty: sent again with its CoA
    } else {
      ++counters_.mcoa_bids_refused;
      h.refused_bids[m->bid] = now + kRefusedMapHoldDown;
      log(LogLevel::warning, "home agent " + h.ha->str() + " refused BID " + std::to_string(m->bid) + " (" + m->iface +
                                 ", " + m->kernel.coa.str() + ") of " + h.cfg.address.str() + " with status " +
                                 std::to_string(s) + ": not registered for " +
                                 std::to_string(std::chrono::duration_cast<core::seconds>(kRefusedMapHoldDown).count()) +
                                 " s");
      h.members.erase(m);
    }
  }
  if (h.members.empty()) {  // every BID refused: a refusal of the registration
    h.mcoa = false;
    h.leaving.clear();
  h.retired.clear();
    home_refused(ba.status == st::kMcoaNotComplete ? st::kReasonUnspecified : ba.status, now);
    return;
  }
  h.granted_s = granted;
  home_mcoa_pick_primary();
  home_mcoa_install();
  home_mcoa_expire(now);
  if (h.registered) {
    std::string l;
    for (const auto& m : h.members)
      l += (l.empty() ? "" : ", ") + std::string("BID ") + std::to_string(m.bid) + " " + m.iface + " " +
           m.kernel.coa.str() + (m.registered ? "" : " (pending)");
    log(LogLevel::notice, "home address " + h.cfg.address.str() + " registered at home agent " + h.ha->str() + ": " +
                              l + ", lifetime " + std::to_string(granted) + " s");
  }
  home_mcoa_flush(now);
}

// Per-member expiry and the registration's deadlines: it lives as long as
// its longest-lived BID and is refreshed (every BID, bulk) when
// refresh_percent of the earliest one is left.
void MobileNode::home_mcoa_expire(TimePoint now) {
  Home& h = *home_;
  h.expires.reset();
  h.refresh_at.reset();
  for (auto& m : h.members) {
    if (m.registered && m.expires && *m.expires <= now) {
      m.registered = false;
      m.dirty = true;
      m.expires.reset();
      log(LogLevel::info, "BID " + std::to_string(m.bid) + " of home address " + h.cfg.address.str() +
                              " expired: registering again");
    }
    if (!m.registered || !m.expires) continue;
    if (!h.expires || *m.expires > *h.expires) h.expires = m.expires;
    if (h.lifetime_wait) continue;  // no lifetime to ask for: the next event, not a timer, sends
    const auto left = std::chrono::duration_cast<core::Duration>(core::seconds(h.granted_s)) * cfg_.refresh_percent / 100;
    const TimePoint r = *m.expires - std::min(left, std::chrono::duration_cast<core::Duration>(*m.expires - now));
    if (!h.refresh_at || r < *h.refresh_at) h.refresh_at = r;
  }
  h.refresh_latest = h.refresh_at;
  h.waiting_map = false;
  h.registered = std::any_of(h.members.begin(), h.members.end(), [](const HomeMember& m) { return m.registered; });
}

void MobileNode::home_mcoa_fallback(const std::string& why, bool send, TimePoint now) {
  Home& h = *home_;
  h.mcoa_refused_until = now + kMcoaFallbackHoldDown;
  ++counters_.mcoa_fallbacks;
  home_mcoa_collapse();
  log(LogLevel::warning, "home agent " + h.ha->str() + " does not register Multiple CoA (" + why +
                             "): one care-of address, " + h.installed.coa.str() + ", for " +
                             std::to_string(std::chrono::duration_cast<core::seconds>(kMcoaFallbackHoldDown).count()) +
                             " s");
  if (!send) return;
  h.pending.reset();
  h.registered = false;
  (void)send_home_update(cfg_.initial_bindack_timeout_first_reg, true, now);
}

void MobileNode::handle_home_extras_failed(TimePoint now, const HomeKey& key, const std::vector<std::uint16_t>& bids,
                                           const std::string& why) {
  if (!home_) return;
  Home& h = *home_;
  if (!h.mcoa || !h.installed_key || *h.installed_key != key || h.members.size() < 2) return;
  bool changed = false;
  for (const auto bid : bids) {
    // The primary's tunnel is the home binding itself: never one of these.
    const auto m = std::find_if(h.members.begin() + 1, h.members.end(), [&](const HomeMember& x) { return x.bid == bid; });
    if (m == h.members.end()) continue;
    ++counters_.mcoa_bids_refused;
    h.refused_bids[bid] = now + kRefusedMapHoldDown;
    const bool in_flight = h.pending && h.pending->lifetime_units != 0 && has_bid(h.pending->bids, bid);
    if ((m->registered || in_flight) && !has_bid(h.leaving, bid)) h.leaving.push_back(bid);
    log(LogLevel::warning, "home address " + h.cfg.address.str() + ": no receive tunnel for BID " + std::to_string(bid) +
                               " (" + m->iface + ", " + m->kernel.coa.str() + "): " + why + "; not registered for " +
                               std::to_string(std::chrono::duration_cast<core::seconds>(kRefusedMapHoldDown).count()) +
                               " s");
    h.members.erase(m);
    changed = true;
  }
  if (!changed) return;
  home_mcoa_pick_primary();
  home_mcoa_install();
  home_mcoa_expire(now);
  home_mcoa_flush(now);
}

}  // namespace hmip::mn
