// MobileNode: Multiple Care-of Addresses (RFC 5648, issue 15) on the
// current MAP binding. The choices (mobile_node.h, "Multiple CoA", says
// them in full):
//   * One RCoA, one BID per interface hearing the chosen MAP with a usable
//     LCoA (the interface's Bid, mnd.conf). Each BID has its own kernel
//     binding {map, rcoa, bid} (tunnel and table); exactly one of them, the
//     signalling member (the registered one with the best Priority, config
//     order breaking ties), carries the RCoA's own packets and the hao state
//     the BUs leave with, and is primary once the MAP accepted a BID.
//   * The sequence number is the address's (RFC 5648 §6.1: all BIDs share
//     it), so one BU is outstanding per binding: it carries the BID options
//     of the members that need registering (bulk) or of the BIDs being
//     deregistered (lifetime 0; never mixed with registrations: one BU has
//     one lifetime). A change while a registration is outstanding sends a
//     new BU with the union; a deregistration supersedes it (its BIDs are
//     sent again after the deregistration's BA).
//   * BID options carry their CoA field except a single-BID BU's own
//     care-of address (the BU's source; after status 167: always).
//   * Fallbacks (RFC 5648 §5.x, §6.2): a BA without BID option, 164, 166
//     or a Binding Error 2 naming the RCoA (not in secure mode): this MAP
//     gets one regular binding for kMcoaFallbackHoldDown; 168: one BID per BU; 167: the CoA field always;
//     165: a lifetime-0 BU without BID, then the registration again (at
//     most twice in a row, then the fallback).
//   * A reload re-derives every member's BID, Priority and flows from the
//     new configuration (mcoa_reconfigure): a member with a new BID is
//     registered under it first, then its old BID is deregistered (if no
//     member has it now), so no BU carries a BID twice.
#include <algorithm>
#include <utility>

#include "hmip/mn/mobile_node.h"
#include "mcoa_members.h"
#include "mn_time.h"

namespace hmip::mn {

using detail::has_bid;
using detail::lifetime_units;
using detail::priority_rank;

namespace {

/// For the choice of the signalling member: the MAP holds this member's
/// care-of address (registered, possibly re-registering after a move), or
/// held it under the BID a reload just replaced.
template <class M>
bool counts_registered(const M& m) {
  return m.registered || m.renumbered;
}

/// The signalling choice: `x` is a worse signalling member than `y`
/// (registered first, then Priority, then the position in the file).
template <class M>
bool worse_member(const M& x, const M& y) {
  if (counts_registered(x) != counts_registered(y)) return !counts_registered(x);
  if (priority_rank(x.priority) != priority_rank(y.priority)) return priority_rank(x.priority) > priority_rank(y.priority);
  return x.order > y.order;
}

}  // namespace

std::vector<FlowMatch> MobileNode::flows_for(std::uint16_t bid) const {
  std::vector<FlowMatch> out;
  for (const auto& f : cfg_.flow_policies)
    if (f.bid == bid) out.push_back(f.match);
  return out;
}

std::vector<MobileNode::Access> MobileNode::mcoa_accesses(const Ip6Addr& map, const Binding* b) const {
  std::vector<Access> out;
  for (std::size_t k = 0; k < ifaces_.size(); ++k) {
    std::optional<Ip6Addr> keep;
    if (b != nullptr)
      for (const auto& m : b->members)
        if (m.iface == ifaces_[k].name) keep = m.settings.lcoa;
    if (auto a = access_on(k, map, true, keep)) out.push_back(*a);
  }
  return out;
}

bool MobileNode::mcoa_map_holds(const Binding& b, const Member& m) {
  const bool in_flight = b.pending && b.pending->lifetime_units != 0 && has_bid(b.pending->bids, m.bid);
  return m.registered || in_flight;
}

void MobileNode::mcoa_install(const Binding& b, const Member& m) {
  actions_.emplace_back(InstallBinding{BindingKey{b.key.map_address, b.key.rcoa, m.bid}, m.settings});
}

// A new Multiple CoA binding with `map` from every interface in `acc`: the
// RCoA from (or, secure, leased through) the best-priority interface, every
// member installed (the signalling one first), then one (bulk) BU.
void MobileNode::create_mcoa(const Ip6Addr& map, const std::vector<Access>& acc, TimePoint now) {
  std::size_t s = 0;
  for (std::size_t k = 1; k < acc.size(); ++k)
    if (priority_rank(cfg_.priority_of(acc[k].iface)) < priority_rank(cfg_.priority_of(acc[s].iface))) s = k;
  std::optional<Ip6Addr> leased;
  if (secure()) {
    leased = secured_rcoa(map, acc[s], now);
    if (!leased) return;  // handle_security_up() calls back here
  }
  const auto iid = iid_for_map_.find(map);
  const Ip6Addr rcoa = leased ? *leased : form_rcoa(map, iid == iid_for_map_.end() ? acc[s].settings.lcoa : iid->second);
  // A previous binding of the same RCoA (back to a MAP left a moment ago):
  // its kernel record goes, the new members replace it.
  for (std::size_t k = bul_.size(); k-- > 0;) {
    if (bul_[k].key.map_address != map || bul_[k].key.rcoa != rcoa) continue;
    log(LogLevel::info, "MAP " + map.str() + " again: binding for " + rcoa.str() + " taken back (Multiple CoA)");
    remove_binding(k, false);  // the home binding nesting in it first
  }
  Binding b;
  b.key = BindingKey{map, rcoa, cfg_.bid_of(acc[s].iface)};
  b.next_seq = rng_.u16();
  b.mcoa = true;
  b.role = BindingRole::current;
  std::string names;
  for (std::size_t k = 0; k < acc.size(); ++k) {
    Member m;
    m.bid = cfg_.bid_of(acc[k].iface);
    m.iface = ifaces_[acc[k].iface].name;
    m.priority = cfg_.priority_of(acc[k].iface);
    m.order = acc[k].iface;
    m.settings = acc[k].settings;
    m.settings.primary = false;
    m.settings.signalling = k == s;
    m.settings.flows = flows_for(m.bid);
    names += (names.empty() ? "" : ", ") + m.iface + " (BID " + std::to_string(m.bid) + ", " + m.settings.lcoa.str() + ")";
    b.members.push_back(std::move(m));
  }
  b.settings = b.members[s].settings;
  b.iface = b.members[s].iface;
  bul_.push_back(std::move(b));
  Binding& nb = bul_.back();
  mcoa_install(nb, nb.members[s]);
  for (std::size_t k = 0; k < nb.members.size(); ++k)
    if (k != s) mcoa_install(nb, nb.members[k]);
  log(LogLevel::info, "registering RCoA " + rcoa.str() + " with MAP " + map.str() + " (Multiple CoA) from " + names);
  // Secure mode: the IKE SA runs from the signalling member's LCoA (it may
  // have been set up from another interface that heard the MAP first).
  reestablish(map, nb.settings.lcoa);
  mcoa_flush(nb, now);
}

// The registration seen from the interfaces now: members lost (their
// interface down, no LCoA, the MAP no longer heard there) leave at once
// (uplink to the others, then a lifetime-0 BU for their BIDs), new ones
// join, moved ones are registered from their new LCoA.
void MobileNode::update_mcoa(Binding& b, TimePoint now) {
  for (auto it = b.refused_bids.begin(); it != b.refused_bids.end();)
    it = it->second <= now ? b.refused_bids.erase(it) : std::next(it);
  const auto acc = mcoa_accesses(b.key.map_address, &b);
  const auto has_access = [&](const std::string& iface) {
    return std::any_of(acc.begin(), acc.end(), [&](const Access& a) { return ifaces_[a.iface].name == iface; });
  };
  // An interface that is up and either has not heard a router since its
  // link changed, or hears the MAP but has no usable LCoA yet (the address
  // follows the RA: SLAAC, DAD), is waiting: its member stays as it is.
  const auto waiting = [&](const std::string& iface) {
    const auto i = std::find_if(ifaces_.begin(), ifaces_.end(), [&](const Iface& x) { return x.name == iface; });
    if (i == ifaces_.end() || !i->up) return false;
    if (!i->ra_seen) return true;
    const auto m = std::find_if(i->maps.begin(), i->maps.end(), [&](const auto& e) { return e.first == b.key.map_address; });
    return m != i->maps.end() && m->second.opt.valid_lifetime != 0;
  };
  // Lost (carrier, the MAP no longer heard there): only while another
  // interface remains: a member that stays, or an access that can join (not
  // one whose BID is refused). The last one is kept as a lone binding is
  // today, waiting for its link.
  const auto stays = [&](const Member& m) { return has_access(m.iface) || waiting(m.iface); };
  const bool another_remains =
      std::any_of(b.members.begin(), b.members.end(), stays) ||
      std::any_of(acc.begin(), acc.end(), [&](const Access& a) {
        const std::string& name = ifaces_[a.iface].name;
        return std::none_of(b.members.begin(), b.members.end(), [&](const Member& m) { return m.iface == name; }) &&
               b.refused_bids.count(cfg_.bid_of(a.iface)) == 0;
      });
  std::vector<Member> lost;
  if (another_remains) {
    for (auto it = b.members.begin(); it != b.members.end();) {
      if (stays(*it)) {
        ++it;
        continue;
      }
      lost.push_back(std::move(*it));
      it = b.members.erase(it);
    }
  }
  // Joined or moved.
  for (const auto& a : acc) {
    const std::string& name = ifaces_[a.iface].name;
    auto m = std::find_if(b.members.begin(), b.members.end(), [&](const Member& x) { return x.iface == name; });
    if (m == b.members.end()) {
      const std::uint16_t bid = cfg_.bid_of(a.iface);
      if (b.refused_bids.count(bid)) continue;
      Member n;
      n.bid = bid;
      n.iface = name;
      n.priority = cfg_.priority_of(a.iface);
      n.order = a.iface;
      n.settings = a.settings;
      n.settings.primary = false;
      n.settings.signalling = b.members.empty();
      n.settings.flows = flows_for(bid);
      b.members.push_back(std::move(n));
      std::sort(b.members.begin(), b.members.end(), [](const Member& x, const Member& y) { return x.order < y.order; });
      const Member& added = *std::find_if(b.members.begin(), b.members.end(), [&](const Member& x) { return x.iface == name; });
      mcoa_install(b, added);
      ++counters_.mcoa_interfaces_joined;
      log(LogLevel::notice, "interface " + name + " hears MAP " + b.key.map_address.str() + " with LCoA " +
                                added.settings.lcoa.str() + ": registering it as BID " + std::to_string(bid));
      continue;
    }
    BindingSettings s = a.settings;
    s.primary = m->settings.primary;
    s.signalling = m->settings.signalling;
    s.flows = m->settings.flows;
    if (s == m->settings) continue;
    const bool moved = s.lcoa != m->settings.lcoa;
    m->settings = s;
    mcoa_install(b, *m);
    if (!moved) continue;
    // Still `registered`: the MAP holds the BID (at the old LCoA) until the
    // BA to the new one, so a moved member keeps its rank and, if it is the
    // signalling one, the signalling (one reestablish below, no hand-over
    // to another member and back: review finding 8).
    m->dirty = true;
    ++counters_.intra_map_moves;
    log(LogLevel::notice, "new LCoA " + s.lcoa.str() + " on " + name + " (BID " + std::to_string(m->bid) +
                              ") under MAP " + b.key.map_address.str() + ": RCoA " + b.key.rcoa.str() + " kept");
    if (s.signalling) reestablish(b.key.map_address, s.lcoa);
  }
  // Failover order: the downlink waits for the MAP, so the lifetime-0 BU
  // for the lost BIDs goes out first, with only what sending it needs
  // before it (the signalling member's state when the lost one held it:
  // mcoa_pick_primary also moves the uplink, make-before-break). The lost
  // members' kernel state goes after, once the home binding no longer
  // points through them.
  mcoa_pick_primary(b);
  for (const auto& m : lost)
    if (mcoa_map_holds(b, m) && !has_bid(b.leaving, m.bid)) b.leaving.push_back(m.bid);
  mcoa_flush(b, now);
  for (const auto& m : lost) {
    ++counters_.mcoa_interface_losses;
    mcoa_repoint_home(b, BindingKey{b.key.map_address, b.key.rcoa, m.bid});
    actions_.emplace_back(RemoveBinding{BindingKey{b.key.map_address, b.key.rcoa, m.bid}});
    log(LogLevel::notice, "interface " + m.iface + " (BID " + std::to_string(m.bid) + ") lost MAP " +
                              b.key.map_address.str() + ": traffic continues through " + b.iface + " (BID " +
                              std::to_string(b.key.bid) + ")" +
                              (has_bid(b.leaving, m.bid) ? ", deregistering its BID" : ""));
  }
}

// After a reload (review finding R): every member takes its BID, Priority,
// position and flows from the new configuration, so that a new interface
// or new Bid values never leave two members with one BID. A member whose
// BID changed:
//   * kernel: its binding under the old key goes, then it is installed
//     under the new key (the old keys go first, because two members may
//     swap BIDs); the signalling member's is make-before-break: installed
//     under its new key, the home binding nested in it re-pointed, then the
//     old key removed;
//   * MAP: registered under the new BID (dirty, bulk with the others), and
//     the old BID, if the MAP holds it and no member has it now, is
//     deregistered once the registration is through (`retired`, then
//     `leaving`): the MAP always has a binding for the care-of address (RFC
//     5648 §5: a BU for a BID replaces that BID's binding, so a BID taken
//     over by another member needs no deregistration);
//   * until its BA it ranks as registered for the signalling choice
//     (`renumbered`), so the signalling does not move back and forth.
// A registration BU outstanding with the old numbering is dropped (its BA
// would be read with the new one) and sent again. Members of interfaces no
// longer configured leave like a lost interface (while another member
// stays). A new Priority goes to the MAP in a BU (BID-PRI). The BIDs the MAP
// refused (refused_bids) may be tried again, as after a reload the MAPs
// that refused Multiple CoA are.
void MobileNode::mcoa_reconfigure(Binding& b, TimePoint now) {
  if (!b.mcoa || b.role != BindingRole::current || stopping_) return;
  if (!cfg_.mcoa()) {
    // MultipleCoa off (or auto with one Interface) now: one regular binding
    // from the signalling member at once (one whose interface is still
    // configured where there is one: if the MAP does not hold its LCoA yet,
    // its uplink waits for the BA), sent before anything else. The MAP replaces the BID
    // bindings with it make-before-break (RFC 5648: a BU without BID option
    // for an address with BID bindings), and the other members keep
    // receiving until its BA, so the RCoA stays reachable throughout. The
    // binding stays `registered`: the MAP holds the RCoA meanwhile.
    mcoa_pick_primary(b, true);
    log(LogLevel::notice, "Multiple CoA off (reload): one regular binding for " + b.key.rcoa.str() + " from " +
                              b.iface + " (" + b.settings.lcoa.str() + ")");
    mcoa_collapse(b, true);
    b.pending.reset();
    send_bu(b, current_lifetime(b, now), cfg_.initial_bindack_timeout_first_reg, now);
    return;
  }
  b.refused_bids.clear();
  const auto pos = [&](const std::string& name) -> std::optional<std::size_t> {
    for (std::size_t k = 0; k < ifaces_.size(); ++k)
      if (ifaces_[k].name == name) return k;
    return std::nullopt;
  };
  const auto key_of = [&](std::uint16_t bid) { return BindingKey{b.key.map_address, b.key.rcoa, bid}; };
  if (std::none_of(b.members.begin(), b.members.end(), [&](const Member& m) { return pos(m.iface).has_value(); }))
    return;  // none configured any more: update_mcoa treats them as lost when something else can join
  const BindingKey s_old = b.key;
  const bool was_primary = b.settings.primary;
  std::vector<std::uint16_t> old_bids;  // BIDs the MAP holds (or may) that a member no longer has
  std::vector<BindingKey> remove;       // kernel keys that go (not the signalling one)
  std::vector<std::string> reinstall;   // members installed anew (new key or new flows)
  bool changed = false;  // a BID changed or a member left
  for (auto it = b.members.begin(); it != b.members.end();) {
    if (pos(it->iface)) {
      ++it;
      continue;
    }
    if (mcoa_map_holds(b, *it)) old_bids.push_back(it->bid);
    if (!it->settings.signalling) remove.push_back(key_of(it->bid));
    log(LogLevel::notice, "interface " + it->iface + " (BID " + std::to_string(it->bid) +
                              ") no longer configured: leaving the registration of " + b.key.rcoa.str());
    it = b.members.erase(it);
    changed = true;
  }
  for (auto& m : b.members) {
    const std::size_t k = *pos(m.iface);
    m.order = k;
    if (cfg_.priority_of(k) != m.priority) {
      m.priority = cfg_.priority_of(k);
      m.dirty = true;  // its new BID-PRI goes to the MAP
    }
    const std::uint16_t bid = cfg_.bid_of(k);
    const auto flows = flows_for(bid);
    if (bid == m.bid) {
      if (flows != m.settings.flows) {
        m.settings.flows = flows;
        reinstall.push_back(m.iface);
      }
      continue;
    }
    const bool held = mcoa_map_holds(b, m);
    if (held) old_bids.push_back(m.bid);
    if (!m.settings.signalling) remove.push_back(key_of(m.bid));
    log(LogLevel::notice, "interface " + m.iface + ": BID " + std::to_string(m.bid) + " -> " + std::to_string(bid) +
                              " (reload): registering it under the new BID");
    m.renumbered = held;
    m.bid = bid;
    m.registered = false;
    m.dirty = true;
    m.expires.reset();
    m.last_status.reset();
    m.settings.flows = flows;
    reinstall.push_back(m.iface);
    changed = true;
  }
  std::sort(b.members.begin(), b.members.end(), [](const Member& x, const Member& y) { return x.order < y.order; });
  if (changed && b.pending && b.pending->lifetime_units != 0 && !b.pending->clearing) {
    for (auto& m : b.members)
      if (has_bid(b.pending->bids, m.bid)) m.dirty = true;
    b.pending.reset();  // read with the new numbering, its BA would be wrong: sent again
  }
  // Kernel: the old keys first (two members may swap BIDs) ...
  for (const auto& k : remove) actions_.emplace_back(RemoveBinding{k});
  // ... the signalling member under its key (a new one if the old one left
  // the configuration: the best remaining), make-before-break ...
  auto sig = std::find_if(b.members.begin(), b.members.end(), [](const Member& m) { return m.settings.signalling; });
  if (sig == b.members.end()) {
    sig = b.members.begin();
    for (auto it = b.members.begin(); it != b.members.end(); ++it)
      if (worse_member(*sig, *it)) sig = it;
    sig->settings.signalling = true;
    sig->settings.primary = was_primary;
    reinstall.push_back(sig->iface);
  }
  const bool sig_new = std::find(reinstall.begin(), reinstall.end(), sig->iface) != reinstall.end();
  if (sig_new) mcoa_install(b, *sig);
  b.key.bid = sig->bid;
  b.settings = sig->settings;
  b.iface = sig->iface;
  if (b.key != s_old) {
    mcoa_repoint_home(b, s_old);
    actions_.emplace_back(RemoveBinding{s_old});
  }
  // ... then the others under their new keys.
  for (const auto& m : b.members)
    if (!m.settings.signalling && std::find(reinstall.begin(), reinstall.end(), m.iface) != reinstall.end())
      mcoa_install(b, m);
  for (const auto x : old_bids)
    if (!has_bid(b.retired, x)) b.retired.push_back(x);
  mcoa_pick_primary(b);
  mcoa_flush(b, now);
}

void MobileNode::mcoa_pick_primary(Binding& b, bool configured_first) {
  if (b.members.empty()) return;
  const bool any_registered =
      std::any_of(b.members.begin(), b.members.end(), [](const Member& m) { return counts_registered(m); });
  const auto configured = [&](const Member& m) {
    return !configured_first ||
           std::any_of(ifaces_.begin(), ifaces_.end(), [&](const Iface& i) { return i.name == m.iface; });
  };
  std::size_t best = 0;
  for (std::size_t k = 1; k < b.members.size(); ++k) {
    const Member& x = b.members[best];
    const Member& y = b.members[k];
    if (configured(x) != configured(y) ? configured(y) : worse_member(x, y)) best = k;
  }
  const bool want_primary = any_registered && b.role == BindingRole::current;
  Member& n = b.members[best];
  const auto cur = std::find_if(b.members.begin(), b.members.end(), [](const Member& m) { return m.settings.signalling; });
  const bool moving = cur == b.members.end() || &*cur != &n;
  const auto sync = [&]() {  // the binding mirrors its signalling member
    b.key.bid = n.bid;
    b.settings = n.settings;
    b.iface = n.iface;
  };
  if (!moving && n.settings.primary == want_primary) {
    sync();
    return;
  }
  if (want_primary && !n.settings.primary) {
    for (auto& o : bul_) {  // one primary binding at most (the previous MAP's loses it)
      if (&o == &b || !o.settings.primary) continue;
      o.settings.primary = false;
      actions_.emplace_back(InstallBinding{o.key, o.settings});
    }
  }
  n.settings.signalling = true;
  n.settings.primary = want_primary;
  mcoa_install(b, n);  // the new one first: make-before-break
  if (moving && cur != b.members.end()) {
    cur->settings.signalling = false;
    cur->settings.primary = false;
    mcoa_install(b, *cur);
    ++counters_.mcoa_primary_changes;
    log(LogLevel::info, "RCoA " + b.key.rcoa.str() + ": primary interface now " + n.iface + " (BID " +
                            std::to_string(n.bid) + ", " + n.settings.lcoa.str() + ")");
  }
  sync();
  if (moving) reestablish(b.key.map_address, n.settings.lcoa);
}

void MobileNode::mcoa_repoint_home(const Binding& b, const BindingKey& old) {
  if (old == b.key || !home_ || !home_->installed_key || home_->installed.via != old) return;
  HomeSettings s = home_->installed;
  s.via = b.key;
  install_home(s);
}

void MobileNode::mcoa_flush(Binding& b, TimePoint now) {
  if (!b.mcoa || b.role != BindingRole::current || stopping_) return;
  if (b.pending && b.pending->clearing) return;  // 165: the registration follows the clearing's BA
  if (!b.pending) detail::retire_to_leaving(b.retired, b.leaving, b.members);  // reload: make-before-break at the MAP
  if (!b.leaving.empty()) {
    if (b.pending && b.pending->lifetime_units == 0 &&
        (b.one_bid_per_bu  // 168: one BID per deregistration too, the next after its BA
             ? std::any_of(b.pending->bids.begin(), b.pending->bids.end(),
                           [&](std::uint16_t x) { return has_bid(b.leaving, x); })
             : std::all_of(b.leaving.begin(), b.leaving.end(),
                           [&](std::uint16_t x) { return has_bid(b.pending->bids, x); })))
      return;  // in flight
    if (b.pending && b.pending->lifetime_units != 0)  // superseded: its BIDs go again after
      for (auto& m : b.members)
        if (has_bid(b.pending->bids, m.bid)) m.dirty = true;
    std::vector<std::uint16_t> bids = b.leaving;
    if (b.one_bid_per_bu) bids.resize(1);
    send_mcoa_bu(b, bids, true, cfg_.initial_bindack_timeout, now);
    return;
  }
  std::vector<std::uint16_t> bids;
  for (const auto& m : b.members)
    if (m.dirty) bids.push_back(m.bid);
  if (b.pending) {
    if (b.pending->lifetime_units == 0 || b.one_bid_per_bu) return;  // after its BA
    if (std::all_of(bids.begin(), bids.end(), [&](std::uint16_t x) { return has_bid(b.pending->bids, x); })) return;
    for (auto x : b.pending->bids)
      if (!has_bid(bids, x) && std::any_of(b.members.begin(), b.members.end(), [&](const Member& m) { return m.bid == x; }))
        bids.push_back(x);
  }
  if (bids.empty()) return;
  if (b.one_bid_per_bu) bids.resize(1);
  send_mcoa_bu(b, bids, false, b.registered ? cfg_.initial_bindack_timeout : cfg_.initial_bindack_timeout_first_reg,
               now);
}

std::uint32_t MobileNode::mcoa_lifetime(const Binding& b, const std::vector<std::uint16_t>& bids, TimePoint now) const {
  const std::uint32_t adv = advertised_lifetime(b.key.map_address, now);
  std::uint32_t lt = adv == 0 ? cfg_.binding_lifetime : std::min(cfg_.binding_lifetime, adv);
  for (const auto& m : b.members)
    if (has_bid(bids, m.bid)) lt = std::min(lt, lcoa_lifetime(m.settings.lcoa, now));
  return std::max<std::uint32_t>(lt, 1);  // a registration: never 0 (one unit at least)
}

// One BU with a BID option per `bids` (RFC 5648 §5.3, §5.6; RFC 6089 BID-PRI).
// `bids` by value: callers pass b.leaving or b.pending->bids, which this
// function replaces.
void MobileNode::send_mcoa_bu(Binding& b, std::vector<std::uint16_t> bids,  // NOLINT(performance-unnecessary-value-param)
                              bool dereg, core::Duration timeout, TimePoint now) {
  Pending p;
  p.seq = b.next_seq++;
  p.sent = now;
  p.timeout = timeout;
  // A registration never goes with 0 units: the MAP would read it as a
  // deregistration (mobile_node.h: at least one unit, 4 s).
  p.lifetime_units = dereg ? 0 : std::max<std::uint16_t>(lifetime_units(mcoa_lifetime(b, bids, now)), 1);
  if (b.pending) p.resyncs = b.pending->resyncs;
  // Never a BID twice in one BU (the MAP answers 164, a fallback).
  for (const auto x : bids)
    if (!has_bid(p.bids, x)) p.bids.push_back(x);
  b.pending = p;
  b.requested_s = static_cast<std::uint32_t>(p.lifetime_units) * wire::kMhLifetimeUnitSeconds;
  ++b.bu_sent;
  ++counters_.bu_sent;
  ++counters_.mcoa_bu_sent;
  if (b.pending->bids.size() > 1) ++counters_.mcoa_bulk_bu_sent;
  SendBu s;
  s.src = b.key.rcoa;
  s.dst = b.key.map_address;
  s.lcoa = b.settings.lcoa;
  s.bu.sequence = p.seq;
  s.bu.ack = true;
  s.bu.map_registration = true;
  s.bu.lifetime = p.lifetime_units;
  if (secure()) s.bu.options.emplace_back(wire::AlternateCareOfAddressOption{b.settings.lcoa});
  for (const auto bid : b.pending->bids) {
    wire::BindingIdentifierOption o;
    o.bid = bid;
    const auto m = std::find_if(b.members.begin(), b.members.end(), [&](const Member& x) { return x.bid == bid; });
    if (m != b.members.end() && !dereg) {
      o.bid_pri = m->priority;
      if (b.pending->bids.size() > 1 || b.coa_field_always || m->settings.lcoa != b.settings.lcoa)
        o.care_of_address = m->settings.lcoa;
    }
    s.bu.options.emplace_back(o);
  }
  actions_.emplace_back(std::move(s));
}

void MobileNode::resend(Binding& b, core::Duration timeout, TimePoint now) {
  if (b.mcoa && b.pending && !b.pending->bids.empty()) {
    send_mcoa_bu(b, b.pending->bids, b.pending->lifetime_units == 0, timeout, now);
    return;
  }
  const bool clearing = b.pending && b.pending->clearing;
  send_bu(b, static_cast<std::uint32_t>(b.pending->lifetime_units) * wire::kMhLifetimeUnitSeconds, timeout, now);
  b.pending->clearing = clearing;
}

void MobileNode::refresh(Binding& b, TimePoint now) {
  if (!b.mcoa) {
    send_bu(b, current_lifetime(b, now), cfg_.initial_bindack_timeout, now);
    return;
  }
  for (auto& m : b.members)
    if (m.registered) m.dirty = true;
  mcoa_flush(b, now);
}

// The BA to a BU with BID options (the sequence number checked, 135 handled
// by handle_ba).
void MobileNode::mcoa_ba(std::size_t idx, const wire::BindingAck& ba, TimePoint now) {
  Binding& b = bul_[idx];
  const Pending p = *b.pending;
  const Ip6Addr map = b.key.map_address;
  b.last_status = ba.status;
  const auto opts = wire::options_of<wire::BindingIdentifierOption>(ba.options);
  namespace st = wire::ba_status;
  if (p.clearing) {  // the regular binding (165) is gone, or never was (133)
    b.pending.reset();
    for (auto& m : b.members) m.dirty = true;
    log(LogLevel::info, "MAP " + map.str() + ": regular binding of " + b.key.rcoa.str() + " cleared (status " +
                            std::to_string(ba.status) + "), registering the BIDs again");
    mcoa_flush(b, now);
    return;
  }
  // A deregistration (lifetime 0): whatever the MAP answers other than a
  // fallback (164, 166) or 168 (resent one BID per BU), those BIDs are gone
  // there (133: it never knew them). Never a refusal of the binding.
  // 168 to a single BID is nonsense (no bulk): taken as that BID gone too,
  // or it would be sent again at round-trip rate.
  if (p.lifetime_units == 0 && ba.status != st::kMcoaMalformed && ba.status != st::kMcoaProhibited &&
      (ba.status != st::kMcoaBulkRegistrationProhibited || p.bids.size() <= 1)) {
    b.pending.reset();
    if (st::accepted(ba.status)) ++counters_.ba_accepted;
    else ++counters_.ba_refused;
    for (const auto x : p.bids) {
      std::erase(b.leaving, x);
      ++counters_.mcoa_bids_deregistered;
    }
    log(LogLevel::info, "MAP " + map.str() + ": " + std::to_string(p.bids.size()) + " BID(s) of " + b.key.rcoa.str() +
                            " deregistered (status " + std::to_string(ba.status) + ")");
    mcoa_flush(b, now);
    return;
  }
  switch (ba.status) {
    case st::kMcoaMalformed:
    case st::kMcoaProhibited:
      ++counters_.ba_refused;
      mcoa_fallback(idx, "status " + std::to_string(ba.status), true, now);
      return;
    case st::kMcoaBulkRegistrationProhibited:
      ++counters_.ba_refused;
      b.one_bid_per_bu = true;
      b.pending.reset();
      log(LogLevel::info, "MAP " + map.str() + " prohibits bulk registration (168): one BID per BU");
      mcoa_flush(b, now);
      return;
    case st::kMcoaUnknownCoa:
      ++counters_.ba_refused;
      b.pending.reset();
      if (b.coa_field_always) {  // it had the CoA fields already
        refused(idx, ba.status, now);
        return;
      }
      b.coa_field_always = true;
      log(LogLevel::info, "MAP " + map.str() + " did not know a care-of address (167): every BID option carries it now");
      for (auto& m : b.members)
        if (has_bid(p.bids, m.bid)) m.dirty = true;
      mcoa_flush(b, now);
      return;
    case st::kMcoaNonMcoaBindingExists:
      ++counters_.ba_refused;
      if (++b.clearings > 2) {  // reset when a registration goes through
        mcoa_fallback(idx, "status 165 again after clearing the regular binding", true, now);
        return;
      }
      log(LogLevel::info, "MAP " + map.str() + " holds a regular binding of " + b.key.rcoa.str() +
                              " (165): deregistering it first");
      ++counters_.mcoa_clearings;
      send_bu(b, 0, cfg_.initial_bindack_timeout, now);
      b.pending->clearing = true;
      return;
    default: break;
  }
  if (opts.empty() && ba.status == st::kMcoaNotComplete) {
    // Status 4 names per-BID statuses: without BID options it is malformed,
    // not "no Multiple CoA": ignored, the BU is retransmitted (backoff).
    ++counters_.mcoa_ba_malformed;
    log(LogLevel::warning, "MAP " + map.str() + ": BA status 4 without Binding Identifier option ignored");
    return;
  }
  if (opts.empty() && st::accepted(ba.status)) {
    // RFC 5648 §5.x: no BID option in the BA: the MAP does not know the
    // option and registered a regular binding for the BU's care-of address.
    mcoa_fallback(idx, "its BA carries no Binding Identifier option", false, now);
    accepted(idx, ba, now);
    return;
  }
  if (!st::accepted(ba.status)) {  // the whole BU refused
    ++counters_.ba_refused;
    if (ba.status == st::kDuplicateAddressDetectionFailed) dad_failed(idx, now);
    else refused(idx, ba.status, now);
    return;
  }
  ++counters_.ba_accepted;
  b.pending.reset();
  const std::uint32_t granted = static_cast<std::uint32_t>(ba.lifetime) * wire::kMhLifetimeUnitSeconds;
  std::vector<Member> refused_members;
  bool any_accepted = false;
  for (const auto* o : opts) {
    if (!has_bid(p.bids, o->bid)) {
      ++counters_.mcoa_bid_unexpected;
      continue;
    }
    const auto m = std::find_if(b.members.begin(), b.members.end(), [&](const Member& x) { return x.bid == o->bid; });
    if (m == b.members.end()) continue;  // lost meanwhile (its deregistration follows)
    const std::uint8_t s = ba.status == st::kMcoaNotComplete ? o->status : ba.status;
    m->last_status = s;
    m->renumbered = false;
    if (st::accepted(s) && s != st::kMcoaNotComplete && granted > 0) {
      m->registered = true;
      m->dirty = false;
      m->expires = p.sent + core::seconds(granted);
      any_accepted = true;
      ++counters_.mcoa_bids_registered;
    } else if (s == st::kMcoaUnknownCoa && !b.coa_field_always) {
      b.coa_field_always = true;  // still dirty: sent again with its CoA
    } else {
      ++counters_.mcoa_bids_refused;
      b.refused_bids[m->bid] = now + kRefusedMapHoldDown;
      log(LogLevel::warning, "MAP " + map.str() + " refused BID " + std::to_string(m->bid) + " (" + m->iface + ", " +
                                 m->settings.lcoa.str() + ") of " + b.key.rcoa.str() + " with status " +
                                 std::to_string(s) + ": not registered for " +
                                 std::to_string(std::chrono::duration_cast<core::seconds>(kRefusedMapHoldDown).count()) +
                                 " s");
      refused_members.push_back(std::move(*m));
      b.members.erase(m);
    }
  }
  if (b.members.empty()) {  // every BID refused: as a refusal of the binding
    for (const auto& m : refused_members)
      if (m.bid != b.key.bid) actions_.emplace_back(RemoveBinding{BindingKey{map, b.key.rcoa, m.bid}});
    refused(idx, ba.status == st::kMcoaNotComplete ? st::kReasonUnspecified : ba.status, now);
    return;
  }
  b.registered = std::any_of(b.members.begin(), b.members.end(), [](const Member& m) { return m.registered; });
  b.granted_s = granted;
  if (b.registered) b.dad_retries = 0;
  // The 165 clearings count the ones in a row: a registration that went
  // through after one starts the count again.
  if (any_accepted) b.clearings = 0;
  mcoa_pick_primary(b);
  for (const auto& m : refused_members) {
    mcoa_repoint_home(b, BindingKey{map, b.key.rcoa, m.bid});
    actions_.emplace_back(RemoveBinding{BindingKey{map, b.key.rcoa, m.bid}});
  }
  mcoa_expire(b, now);
  if (b.registered)
    log(LogLevel::info, "registered RCoA " + b.key.rcoa.str() + " at MAP " + map.str() + ": " + [&] {
      std::string l;
      for (const auto& m : b.members)
        l += (l.empty() ? "" : ", ") + std::string("BID ") + std::to_string(m.bid) + " " + m.iface +
             (m.registered ? "" : " (pending)");
      return l;
    }() + ", lifetime " + std::to_string(granted) + " s");
  mcoa_flush(b, now);
}

// Per-member expiry and the binding's deadlines: the binding lives as long
// as its longest-lived BID; it is refreshed (all registered BIDs, bulk)
// when refresh_percent of the earliest one is left.
void MobileNode::mcoa_expire(Binding& b, TimePoint now) {
  b.expires.reset();
  b.refresh_at.reset();
  for (auto& m : b.members) {
    if (m.registered && m.expires && *m.expires <= now) {
      m.registered = false;
      m.dirty = true;
      m.expires.reset();
      log(LogLevel::info, "BID " + std::to_string(m.bid) + " of " + b.key.rcoa.str() + " expired: registering again");
    }
    if (!m.registered || !m.expires) continue;
    if (!b.expires || *m.expires > *b.expires) b.expires = m.expires;
    const auto left = std::chrono::duration_cast<core::Duration>(core::seconds(b.granted_s)) * cfg_.refresh_percent / 100;
    const TimePoint r = *m.expires - std::min(left, std::chrono::duration_cast<core::Duration>(*m.expires - now));
    if (!b.refresh_at || r < *b.refresh_at) b.refresh_at = r;
  }
  b.registered = std::any_of(b.members.begin(), b.members.end(), [](const Member& m) { return m.registered; });
}

void MobileNode::mcoa_fallback(std::size_t idx, const std::string& why, bool send, TimePoint now) {
  Binding& b = bul_[idx];
  mcoa_refused_[b.key.map_address] = now + kMcoaFallbackHoldDown;
  ++counters_.mcoa_fallbacks;
  log(LogLevel::warning, "MAP " + b.key.map_address.str() + " does not register Multiple CoA (" + why +
                             "): one regular binding from " + b.iface + " (" + b.settings.lcoa.str() + ")");
  mcoa_collapse(b);
  if (!send) return;
  b.registered = false;
  b.pending.reset();
  send_bu(b, current_lifetime(b, now), cfg_.initial_bindack_timeout_first_reg, now);
}

// Only the signalling member stays (its kernel record keeps its key: the
// BID is only a name on this side); the others' kernel state goes, at once
// or (keep_receiving) after the BA to the regular BU.
void MobileNode::mcoa_collapse(Binding& b, bool keep_receiving) {
  if (!b.mcoa) return;
  for (auto& m : b.members) {
    if (m.bid == b.key.bid) continue;
    const BindingKey k{b.key.map_address, b.key.rcoa, m.bid};
    mcoa_repoint_home(b, k);  // a home binding nested in it moves to the signalling one first
    if (!keep_receiving) {
      actions_.emplace_back(RemoveBinding{k});
      continue;
    }
    // Receive only until the BA: no uplink flow leaves through it any more
    // (the MAP's ingress check drops it once the BID is replaced).
    b.drop_after_ba.push_back(m.bid);
    if (m.settings.flows.empty() && !m.settings.primary && !m.settings.signalling) continue;
    m.settings.flows.clear();
    m.settings.primary = false;
    m.settings.signalling = false;
    actions_.emplace_back(InstallBinding{k, m.settings});
  }
  if (!b.settings.flows.empty()) {
    b.settings.flows.clear();
    actions_.emplace_back(InstallBinding{b.key, b.settings});
  }
  b.mcoa = false;
  b.members.clear();
  b.leaving.clear();
  b.retired.clear();
  b.refused_bids.clear();
}

}  // namespace hmip::mn
