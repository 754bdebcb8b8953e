// A harness around hmip::mn::MobileNode for the [mn] tests: virtual time,
// the actions collected in order, RA / BA builders and a model of the
// kernel state the actions describe (checks that every BU leaves from an
// installed binding whose LCoA it names).
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "hmip/mn/mobile_node.h"
#include "hmip/wire/nd.h"

namespace hmip::mn_test {

using namespace hmip::mn;
using core::Duration;
using core::milliseconds;
using core::seconds;

inline const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);
inline const Ip6Addr kMap1 = Ip6Addr::must("2001:db8:100::1");
inline const Ip6Addr kMap2 = Ip6Addr::must("2001:db8:200::1");
inline const Ip6Addr kAr1 = Ip6Addr::must("fe80::a1");
inline const Ip6Addr kAr2 = Ip6Addr::must("fe80::a2");
inline const Ip6Addr kAr3 = Ip6Addr::must("fe80::b1");
inline const Ip6Addr kPfx1 = Ip6Addr::must("2001:db8:a1::");
inline const Ip6Addr kPfx2 = Ip6Addr::must("2001:db8:a2::");
inline const Ip6Addr kPfx3 = Ip6Addr::must("2001:db8:b1::");
inline const Ip6Addr kLcoa1 = Ip6Addr::must("2001:db8:a1::211:22ff:fe33:4455");
inline const Ip6Addr kLcoa2 = Ip6Addr::must("2001:db8:a2::211:22ff:fe33:4455");
inline const Ip6Addr kLcoa3 = Ip6Addr::must("2001:db8:b1::211:22ff:fe33:4455");
inline const Ip6Addr kRcoa1 = Ip6Addr::must("2001:db8:100::211:22ff:fe33:4455");
inline const Ip6Addr kRcoa2 = Ip6Addr::must("2001:db8:200::211:22ff:fe33:4455");
inline constexpr unsigned kIf = 2;

inline MndConfig mn_cfg() {
  MndConfig c;
  c.interfaces = {"wlan0"};
  c.insecure = true;  // secure mode: secure_cfg()
  return c;
}

/// Secure mode (RFC 5380 §12): charon protects signalling, IkeTimeout 5 s.
inline MndConfig secure_cfg() {
  auto c = mn_cfg();
  c.insecure = false;
  c.ike.configured = true;
  c.ike.ike_timeout = seconds(5);
  return c;
}
/// The RCoA MAP1 leases in the secure-mode tests.
inline const Ip6Addr kLease1 = Ip6Addr::must("2001:db8:100::1000");

inline wire::MapOption map_opt(const Ip6Addr& a, std::uint8_t dist, std::uint8_t pref, std::uint32_t life = 36000,
                               bool r = false) {
  wire::MapOption m;
  m.address = a;
  m.dist = dist;
  m.pref = pref;
  m.valid_lifetime = life;
  m.r_flag = r;
  return m;
}

inline wire::RouterAdvertisement ra(const Ip6Addr& prefix, std::vector<wire::MapOption> maps) {
  wire::RouterAdvertisement r;
  r.router_lifetime = 1800;
  wire::PrefixInfoOption p;
  p.prefix = prefix;
  p.prefix_length = 64;
  p.l_flag = p.a_flag = true;
  p.valid_lifetime = 86400;
  p.preferred_lifetime = 14400;
  r.options.emplace_back(p);
  for (auto& m : maps) r.options.emplace_back(m);
  return r;
}

inline LinkState link(bool up, std::vector<Ip6Addr> globals = {}, bool optimistic = false, unsigned ifindex = kIf) {
  LinkState l;
  l.ifindex = ifindex;
  l.name = "wlan0";
  l.up = up;
  l.mtu = 1500;
  LinkAddress ll;
  ll.addr = Ip6Addr::must("fe80::211:22ff:fe33:4455");
  ll.prefix_len = 64;
  l.addresses.push_back(ll);
  for (const auto& g : globals) {
    LinkAddress a;
    a.addr = g;
    a.prefix_len = 64;
    a.tentative = optimistic;
    a.optimistic = optimistic;
    l.addresses.push_back(a);
  }
  return l;
}

inline wire::BindingAck ba(std::uint16_t seq, std::uint8_t status = 0, std::uint16_t lifetime_units = 150) {
  wire::BindingAck b;
  b.sequence = seq;
  b.status = status;
  b.lifetime = lifetime_units;
  return b;
}

struct Harness {
  MobileNode mn;
  TimePoint now = kT0;
  std::vector<Action> out;  ///< actions not yet taken by the test
  /// (map, rcoa) -> settings of the binding carrying the RCoA (the
  /// signalling one: the only one without Multiple CoA), rebuilt from `all`.
  std::map<std::pair<Ip6Addr, Ip6Addr>, BindingSettings> kernel;
  /// Every kernel binding: (map, rcoa, bid) -> settings.
  std::map<std::tuple<Ip6Addr, Ip6Addr, std::uint16_t>, BindingSettings> all;
  std::vector<std::string> violations;
  std::optional<InstallHomeBinding> home_kernel;  ///< the home binding's kernel state
  /// Set: an InstallHomeBinding it returns a reason for fails, and the
  /// harness reports it right away, inside the action loop, as mnd does
  /// (MobileNode::handle_home_install_failed); the kernel keeps what it had.
  std::function<std::optional<std::string>(const InstallHomeBinding&)> fail_home_install;

  explicit Harness(MndConfig cfg = mn_cfg(), std::uint64_t seed = 7) : mn(std::move(cfg), core::Rng(seed)) {}

  void drain() {
    while (auto a = mn.poll_action()) {
      if (const auto* i = std::get_if<InstallBinding>(&*a)) {
        // As kglue: a binding installed with `signalling` takes it over
        // from its siblings of the same (map, rcoa).
        if (i->settings.signalling)
          for (auto& [k, s] : all)
            if (std::get<0>(k) == i->key.map_address && std::get<1>(k) == i->key.rcoa && std::get<2>(k) != i->key.bid)
              s.signalling = false;
        all[{i->key.map_address, i->key.rcoa, i->key.bid}] = i->settings;
      }
      if (const auto* r = std::get_if<RemoveBinding>(&*a)) {
        if (home_kernel && home_kernel->settings.via == r->key)
          violations.push_back("MAP binding removed under the home binding nested in it");
        all.erase({r->key.map_address, r->key.rcoa, r->key.bid});
      }
      kernel.clear();
      for (const auto& [k, s] : all)
        if (s.signalling) {
          if (kernel.count({std::get<0>(k), std::get<1>(k)}))
            violations.push_back("two bindings of " + std::get<1>(k).str() + " carry its signalling");
          kernel[{std::get<0>(k), std::get<1>(k)}] = s;
        }
      if (const auto* i = std::get_if<InstallHomeBinding>(&*a)) {
        if (const auto why = fail_home_install ? fail_home_install(*i) : std::nullopt) {
          out.push_back(*a);
          mn.handle_home_install_failed(now, i->key, *why);
          continue;
        }
        home_kernel = *i;
      }
      if (const auto* r = std::get_if<RemoveHomeBinding>(&*a); r && home_kernel && home_kernel->key == r->key)
        home_kernel.reset();
      const auto* sent = std::get_if<SendBu>(&*a);
      if (sent && sent->bu.home_registration) {
        const SendBu* bu = sent;
        // A home BU leaves from the home binding's kernel state: away, a
        // tunnel from the care-of address it names (nested in an installed
        // MAP binding); at home, from the home address on the home link.
        if (!home_kernel || home_kernel->key != HomeKey{bu->dst, bu->src}) {
          violations.push_back("home BU to " + bu->dst.str() + " without its home binding installed");
        } else {
          const auto& s = home_kernel->settings;
          const Ip6Addr want = s.mode == HomeMode::at_home ? bu->src : s.coa;
          if (want != bu->lcoa) violations.push_back("home BU names care-of " + bu->lcoa.str() + ", kernel has " + want.str());
          if (s.via && !all.count({s.via->map_address, s.via->rcoa, s.via->bid}))
            violations.push_back("home binding nested in a MAP binding that is not installed");
        }
      } else if (sent) {
        const SendBu* bu = sent;
        const auto it = kernel.find({bu->dst, bu->src});
        if (it == kernel.end()) violations.push_back("BU from " + bu->src.str() + " without its binding installed");
        else if (it->second.lcoa != bu->lcoa) violations.push_back("BU names LCoA " + bu->lcoa.str() + " but the kernel has " + it->second.lcoa.str());
      }
      out.push_back(std::move(*a));
    }
  }
  template <class T>
  std::vector<T> take() {
    std::vector<T> r;
    std::vector<Action> rest;
    for (auto& a : out) {
      if (auto* t = std::get_if<T>(&a)) r.push_back(*t);
      else rest.push_back(std::move(a));
    }
    out = std::move(rest);
    return r;
  }
  void clear() { out.clear(); }
  std::size_t primaries() const {
    std::size_t n = 0;
    for (const auto& [k, s] : all) n += s.primary ? 1 : 0;
    return n;
  }

  void set_link(const LinkState& l) {
    mn.handle_link(now, l);
    drain();
  }
  void give_ra(const Ip6Addr& src, const wire::RouterAdvertisement& r, unsigned ifindex = kIf) {
    mn.handle_ra(now, ifindex, src, r);
    drain();
  }
  void give_mh(const Ip6Addr& src, const std::optional<Ip6Addr>& rh2, wire::MhMessage msg,
               const std::optional<Ip6Addr>& dst = std::nullopt) {
    ReceivedMh m;
    m.src = src;
    m.dst = dst.value_or(rh2.value_or(Ip6Addr::must("2001:db8::dead")));
    m.rh2_home = rh2;
    m.msg = std::move(msg);
    mn.handle_mh(now, m);
    drain();
  }
  /// A BA answering `bu` (from its MAP, RH2 = its RCoA).
  void answer(const SendBu& bu, std::uint8_t status = 0, std::optional<std::uint16_t> units = std::nullopt) {
    give_mh(bu.dst, bu.src, ba(bu.bu.sequence, status, units.value_or(bu.bu.lifetime)));
  }
  /// Runs every deadline up to and including `t`.
  void run_until(TimePoint t) {
    while (auto d = mn.poll_timeout()) {
      if (*d > t) break;
      now = std::max(now, *d);
      mn.handle_timeout(now);
      drain();
    }
    now = t;
  }
  void advance(Duration d) { run_until(now + d); }
  /// Up on wlan0 with LCoA1, RA from AR1 with MAP1 (and `more`), BA accepted.
  SendBu register_map1(std::vector<wire::MapOption> more = {}) {
    set_link(link(true, {kLcoa1}));
    std::vector<wire::MapOption> maps{map_opt(kMap1, 2, 10)};
    maps.insert(maps.end(), more.begin(), more.end());
    give_ra(kAr1, ra(kPfx1, maps));
    auto bus = take<SendBu>();
    REQUIRE(bus.size() == 1);
    answer(bus[0]);
    clear();
    return bus[0];
  }
  /// Secure mode: up on wlan0 with LCoA1, MAP1 advertised with R = 1, its
  /// protection up with kLease1; returns the BU that follows (taken from out).
  SendBu secure_map1() {
    set_link(link(true, {kLcoa1}));
    give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
    REQUIRE(take<SecureMap>().size() == 1);
    mn.handle_security_up(now, kMap1, kLease1);
    drain();
    auto bus = take<SendBu>();
    REQUIRE(bus.size() == 1);
    return bus[0];
  }
  bool logged(LogLevel level, const std::string& needle) {
    for (const auto& a : out)
      if (const auto* l = std::get_if<LogEvent>(&a); l && l->level == level && l->text.find(needle) != std::string::npos)
        return true;
    return false;
  }
};

}  // namespace hmip::mn_test
