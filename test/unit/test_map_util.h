// A harness for MapAgent unit tests: a MAP with a testbed configuration,
// virtual time, BUs built from a few fields, and the actions it queued
// (InstallBinding answered at once, successfully unless told otherwise, as
// mapd's synchronous dataplane does).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hmip/map/map_agent.h"

namespace maptest {

using namespace hmip;
using namespace hmip::map;
using core::milliseconds;
using core::seconds;

inline const TimePoint kT0 = TimePoint{} + std::chrono::hours(1);
inline const Ip6Addr kMap = Ip6Addr::must("2001:db8:100::1");
inline const Ip6Addr kRcoa1 = Ip6Addr::must("2001:db8:100::a1");
inline const Ip6Addr kRcoa2 = Ip6Addr::must("2001:db8:100::a2");
inline const Ip6Addr kRcoaOther = Ip6Addr::must("2001:db8:999::a1");  // outside every RcoaPrefix
inline const Ip6Addr kLcoaAr1 = Ip6Addr::must("2001:db8:1:1::10");
inline const Ip6Addr kLcoaAr2 = Ip6Addr::must("2001:db8:1:2::10");
inline const Ip6Addr kLcoaNeighbour = Ip6Addr::must("2001:db8:2:1::10");  // a neighbouring MAP domain
inline const Ip6Addr kLcoaForeign = Ip6Addr::must("2001:db8:3:1::10");    // trusted but in no accepted prefix
inline const Ip6Addr kLcoaUntrusted = Ip6Addr::must("2001:db9::10");

inline MapdConfig test_config(bool dad = false) {
  MapdConfig c;
  c.map_address = kMap;
  RcoaPrefixConfig p;
  p.prefix = *Ip6Prefix::parse("2001:db8:100::/64");
  p.interface = "map0";
  c.rcoa_prefixes.push_back(p);
  c.lcoa_prefixes = {*Ip6Prefix::parse("2001:db8:1::/48")};
  c.neighbour_prefixes = {*Ip6Prefix::parse("2001:db8:2::/48")};
  c.max_binding_lifetime = 600;
  c.advertised_valid_lifetime = 3600;
  c.brr_lead = seconds(10);
  c.brr_interval = seconds(2);
  c.dad = dad;
  c.dad_timeout = milliseconds(1000);
  c.insecure.enabled = true;
  c.insecure.trusted_prefixes = {*Ip6Prefix::parse("2001:db8::/32")};
  return c;
}

/// A home agent at `address` with the HomePrefix 2001:db8:200::/64 on
/// home0, DAD off (tests that want it set dad).
inline HomeAgentConfig test_home_agent(const Ip6Addr& address) {
  HomeAgentConfig ha;
  ha.address = address;
  HomePrefixConfig p;
  p.prefix = *Ip6Prefix::parse("2001:db8:200::/64");
  p.interface = "home0";
  p.valid_lifetime = 86400;
  ha.prefixes.push_back(p);
  ha.max_binding_lifetime = 600;
  ha.dad = false;
  return ha;
}

struct BuSpec {
  Ip6Addr rcoa = kRcoa1;
  std::optional<Ip6Addr> lcoa = kLcoaAr1;
  std::uint16_t seq = 1;
  std::uint16_t lifetime = 150;  // 600 s
  bool a = true, h = false, m = true, r = false, p = false, l = false;
  Ip6Addr dst = kMap;
  std::vector<wire::MobilityOption> options{};
  std::string iface{};  // the arrival interface (ReceivedMh::interface)
};

inline ReceivedMh make_bu(const BuSpec& s) {
  wire::BindingUpdate bu;
  bu.sequence = s.seq;
  bu.lifetime = s.lifetime;
  bu.ack = s.a;
  bu.home_registration = s.h;
  bu.map_registration = s.m;
  bu.mobile_router = s.r;
  bu.proxy_registration = s.p;
  bu.link_local_compat = s.l;
  bu.options = s.options;
  return ReceivedMh{s.rcoa, s.dst, s.lcoa, bu, s.iface};
}

struct Harness {
  explicit Harness(MapdConfig cfg = test_config()) : agent(std::move(cfg), 1) {}

  MapAgent agent;
  TimePoint now = kT0;
  std::vector<Action> actions;
  bool auto_install = true;
  bool install_ok = true;
  std::vector<InstallBinding> installs;  // every InstallBinding seen

  void drain() {
    while (auto a = agent.poll_action()) {
      if (const auto* ib = std::get_if<InstallBinding>(&*a)) {
        installs.push_back(*ib);
        const BindingKey key = ib->key;
        actions.push_back(std::move(*a));
        if (auto_install) agent.handle_dataplane_result(now, key, install_ok, install_ok ? "" : "No buffer space");
        continue;
      }
      actions.push_back(std::move(*a));
    }
  }
  void bu(const BuSpec& s) {
    agent.handle_mh(now, make_bu(s));
    drain();
  }
  /// Moves virtual time forward by `d`, firing every deadline on the way.
  void advance(core::Duration d) {
    const TimePoint end = now + d;
    while (auto t = agent.poll_timeout()) {
      if (*t > end) break;
      now = std::max(now, *t);
      agent.handle_timeout(now);
      drain();
    }
    now = end;
    agent.handle_timeout(now);
    drain();
  }
  /// BU `s`: accepted (one BA with status 0, from s.dst) or silently
  /// dropped (no BA at all: the IPsec check of secure mode).
  bool accepted(const BuSpec& s) {
    bu(s);
    const auto bas = take<SendBa>();
    if (bas.empty()) return false;
    REQUIRE(bas.size() == 1);
    CHECK(bas[0].ba.status == 0);
    CHECK(bas[0].src == s.dst);
    return true;
  }
  /// The queued actions of type T (in order); all actions are then cleared.
  template <class T>
  std::vector<T> take() {
    std::vector<T> out;
    for (const auto& a : actions)
      if (const auto* p = std::get_if<T>(&a)) out.push_back(*p);
    actions.clear();
    return out;
  }
  /// Actions other than LogEvent, in order, cleared afterwards.
  std::vector<Action> take_all() {
    std::vector<Action> out;
    for (auto& a : actions)
      if (!std::holds_alternative<LogEvent>(a)) out.push_back(std::move(a));
    actions.clear();
    return out;
  }
  /// The only BA queued (REQUIREs exactly one); actions cleared.
  SendBa only_ba() {
    auto bas = take<SendBa>();
    REQUIRE(bas.size() == 1);
    return bas[0];
  }
  std::optional<BindingView> binding(const Ip6Addr& rcoa = kRcoa1) const { return agent.binding({rcoa, 0}, now); }
};

}  // namespace maptest
