// The mobile node core against the MAP core (two MAP domains), wired through
// an in-memory network with virtual time: every BU the MN emits reaches the
// MAP whose address it names (from the LCoA the MN is on now), every BA goes
// back only if the MN still holds the LCoA it was sent to, RAs answer RSs.
// Checks that the two cores agree on RFC 5380's local mobility mode:
// registration, refresh, intra-MAP and inter-MAP moves, expiry, stop.
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hmip/map/map_agent.h"
#include "hmip/mn/mobile_node.h"
#include "hmip/wire/nd.h"

namespace {

using namespace hmip;
using core::seconds;
using core::TimePoint;

const Ip6Addr kMap1 = Ip6Addr::must("2001:db8:100::1");
const Ip6Addr kMap2 = Ip6Addr::must("2001:db8:200::1");
constexpr unsigned kIf = 2;

struct Ar {
  Ip6Addr router;   // link-local
  Ip6Addr prefix;   // its /64
  Ip6Addr map;      // the MAP it advertises
};
const Ar kAr1{Ip6Addr::must("fe80::a1"), Ip6Addr::must("2001:db8:a1::"), kMap1};
const Ar kAr2{Ip6Addr::must("fe80::a2"), Ip6Addr::must("2001:db8:a2::"), kMap1};
const Ar kAr3{Ip6Addr::must("fe80::b1"), Ip6Addr::must("2001:db8:b1::"), kMap2};

Ip6Addr with_iid(const Ip6Addr& prefix) {
  Ip6Addr a = prefix;
  const std::uint8_t iid[8] = {0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};
  for (int i = 0; i < 8; ++i) a.b[8 + i] = iid[i];
  return a;
}

map::MapdConfig map_cfg(const Ip6Addr& map, const char* rcoa_prefix, std::vector<const char*> lcoa,
                        std::vector<const char*> neighbour) {
  map::MapdConfig c;
  c.map_address = map;
  c.rcoa_prefixes.push_back({*Ip6Prefix::parse(rcoa_prefix), "", 0xffffffff, 0});
  for (const auto* p : lcoa) c.lcoa_prefixes.push_back(*Ip6Prefix::parse(p));
  for (const auto* p : neighbour) c.neighbour_prefixes.push_back(*Ip6Prefix::parse(p));
  c.max_binding_lifetime = 120;
  c.brr_lead = seconds(0);
  c.dad = false;
  c.insecure.enabled = true;
  c.insecure.trusted_prefixes.push_back(*Ip6Prefix::parse("2001:db8::/32"));
  return c;
}

struct Net {
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  map::MapAgent map1{map_cfg(kMap1, "2001:db8:100::/64", {"2001:db8:a1::/64", "2001:db8:a2::/64"},
                             {"2001:db8:b1::/64"}),
                     1};
  map::MapAgent map2{map_cfg(kMap2, "2001:db8:200::/64", {"2001:db8:b1::/64"}, {"2001:db8:a1::/48"}), 2};
  mn::MobileNode mn{[] {
                      mn::MndConfig c;
                      c.interfaces = {"wlan0"};
                      c.insecure = true;
                      c.binding_lifetime = 120;
                      c.previous_map_lifetime = 8;
                      return c;
                    }(),
                    core::Rng(3)};
  static constexpr core::Duration kRaInterval = seconds(200);  // the AR's unsolicited RAs
  std::optional<Ar> at;                                        // the AR the MN is attached to
  TimePoint next_ra = now;
  std::map<std::string, std::optional<Ip6Addr>> mn_installed;  // "map rcoa" -> lcoa of installed MN bindings
  std::uint64_t bas_lost = 0;

  map::MapAgent* map_at(const Ip6Addr& a) { return a == kMap1 ? &map1 : a == kMap2 ? &map2 : nullptr; }

  wire::RouterAdvertisement ra_of(const Ar& ar) const {
    wire::RouterAdvertisement r;
    r.router_lifetime = 1800;
    wire::PrefixInfoOption pi;
    pi.prefix_length = 64;
    pi.l_flag = pi.a_flag = true;
    pi.valid_lifetime = 86400;
    pi.preferred_lifetime = 14400;
    pi.prefix = ar.prefix;
    r.options.emplace_back(pi);
    wire::MapOption m;
    m.dist = 1;
    m.pref = 10;
    m.valid_lifetime = 3600;
    m.address = ar.map;
    r.options.emplace_back(m);
    return r;
  }

  // A move as the MN's kernel reports it: carrier lost (the old LCoA goes
  // with the link), carrier back on the new AR's link with an LCoA there.
  void attach(const Ar& ar) {
    mn::LinkState l;
    l.ifindex = kIf;
    l.name = "wlan0";
    l.mtu = 1500;
    if (at) {
      at.reset();
      mn.handle_link(now, l);
      settle();
    }
    at = ar;
    next_ra = now + kRaInterval;
    l.up = true;
    l.addresses.push_back({with_iid(ar.prefix), 64, false, false, false, false});
    mn.handle_link(now, l);
    settle();
  }

  // Carries every action out until all three cores are quiet.
  void settle() {
    for (bool busy = true; busy;) {
      busy = false;
      while (auto a = mn.poll_action()) {
        busy = true;
        std::visit([&](const auto& x) { mn_action(x); }, *a);
      }
      for (auto* m : {&map1, &map2})
        while (auto a = m->poll_action()) {
          busy = true;
          std::visit([&](const auto& x) { map_action(*m, x); }, *a);
        }
    }
  }

  void mn_action(const mn::SendRs&) {
    if (at) mn.handle_ra(now, kIf, at->router, ra_of(*at));
  }
  void mn_action(const mn::SendBu& s) {
    REQUIRE(mn_installed.count(s.dst.str() + " " + s.src.str()) == 1);  // sent from an installed RCoA
    if (!at || s.lcoa != with_iid(at->prefix)) return;                  // the LCoA is gone: lost
    if (auto* m = map_at(s.dst)) m->handle_mh(now, map::ReceivedMh{s.src, s.dst, s.lcoa, s.bu});
  }
  void mn_action(const mn::InstallBinding& i) {
    mn_installed[i.key.map_address.str() + " " + i.key.rcoa.str()] = i.settings.lcoa;
  }
  void mn_action(const mn::RemoveBinding& r) { mn_installed.erase(r.key.map_address.str() + " " + r.key.rcoa.str()); }
  void mn_action(const mn::LogEvent&) {}
  void mn_action(const mn::SecureMap&) { FAIL("insecure testbed mode asks for no IKE"); }
  void mn_action(const mn::ReleaseMap&) { FAIL("insecure testbed mode asks for no IKE"); }
  void mn_action(const mn::InstallHomeBinding&) { FAIL("no Home block: no home registration"); }
  void mn_action(const mn::RemoveHomeBinding&) { FAIL("no Home block: no home registration"); }
  void mn_action(const mn::SendDhaadRequest&) { FAIL("no Home block: no home registration"); }
  void mn_action(const mn::AnnounceHomeAddress&) { FAIL("no Home block: no home registration"); }
  void mn_action(const mn::SecureHome&) { FAIL("no Home block: no home registration"); }
  void mn_action(const mn::ReleaseHome&) { FAIL("no Home block: no home registration"); }

  void map_action(map::MapAgent& m, const map::InstallBinding& i) { m.handle_dataplane_result(now, i.key, true, ""); }
  void map_action(map::MapAgent&, const map::SendBa& s) {
    if (!at || s.lcoa != with_iid(at->prefix)) {
      ++bas_lost;
      return;
    }
    mn.handle_mh(now, mn::ReceivedMh{s.src, s.rcoa, s.rcoa, s.ba});
  }
  void map_action(map::MapAgent&, const map::SendBrr& s) {
    if (at && s.lcoa == with_iid(at->prefix))
      mn.handle_mh(now, mn::ReceivedMh{s.src, s.rcoa, s.rcoa, wire::BindingRefreshRequest{}});
  }
  template <class A>
  void map_action(map::MapAgent&, const A&) {}

  // Advances virtual time to `until`, stepping to each core's deadline.
  void run_until(TimePoint until) {
    for (;;) {
      std::optional<TimePoint> next;
      for (auto d : {mn.poll_timeout(), map1.poll_timeout(), map2.poll_timeout(), std::optional<TimePoint>(next_ra)})
        if (d && (!next || *d < *next)) next = d;
      if (!next || *next > until) break;
      now = std::max(now, *next);
      if (now >= next_ra) {
        next_ra = now + kRaInterval;
        if (at) mn.handle_ra(now, kIf, at->router, ra_of(*at));
      }
      mn.handle_timeout(now);
      map1.handle_timeout(now);
      map2.handle_timeout(now);
      settle();
    }
    now = until;
  }

  std::optional<map::BindingView> bound(map::MapAgent& m, const Ip6Addr& rcoa) { return m.binding({rcoa, 0}, now); }
  std::vector<mn::BulEntryView> bul() const { return mn.state(now).bul; }
};

}  // namespace

TEST_CASE("sim: MN and MAP cores register, refresh, move within and across MAP domains", "[sim]") {
  Net n;
  const Ip6Addr rcoa1 = with_iid(Ip6Addr::must("2001:db8:100::"));
  const Ip6Addr rcoa2 = with_iid(Ip6Addr::must("2001:db8:200::"));

  n.attach(kAr1);
  n.run_until(n.now + seconds(5));
  auto b = n.bound(n.map1, rcoa1);
  REQUIRE(b);
  CHECK(b->lcoa == with_iid(kAr1.prefix));
  REQUIRE(n.bul().size() == 1);
  CHECK(n.bul()[0].registered);
  CHECK(n.bul()[0].primary);
  CHECK(n.bul()[0].rcoa == rcoa1);

  SECTION("refreshes keep the binding for an hour; no BRR is needed") {
    n.run_until(n.now + seconds(3600));
    b = n.bound(n.map1, rcoa1);
    REQUIRE(b);
    CHECK(n.map1.counters().bindings_refreshed >= 3600 / 120);
    CHECK(n.map1.counters().expired == 0);
    INFO(n.mn.state(n.now).status);
    REQUIRE(n.bul().size() == 1);
    CHECK(n.bul()[0].registered);
  }

  SECTION("intra-MAP move: the same RCoA, the MAP's binding follows the new LCoA") {
    n.run_until(n.now + seconds(30));
    n.attach(kAr2);
    n.run_until(n.now + seconds(5));
    b = n.bound(n.map1, rcoa1);
    REQUIRE(b);
    CHECK(b->lcoa == with_iid(kAr2.prefix));
    CHECK(n.map1.counters().bindings_moved == 1);
    REQUIRE(n.bul().size() == 1);
    CHECK(n.bul()[0].rcoa == rcoa1);
    CHECK(n.mn.counters().intra_map_moves == 1);
  }

  SECTION("inter-MAP move: a new RCoA at MAP2; MAP1 forwards to the new LCoA briefly, then forgets") {
    n.run_until(n.now + seconds(30));
    n.attach(kAr3);
    n.run_until(n.now + seconds(3));
    auto b2 = n.bound(n.map2, rcoa2);
    REQUIRE(b2);
    CHECK(b2->lcoa == with_iid(kAr3.prefix));
    // RFC 5380 §8: the previous MAP got the new LCoA with a short lifetime.
    b = n.bound(n.map1, rcoa1);
    REQUIRE(b);
    CHECK(b->lcoa == with_iid(kAr3.prefix));
    CHECK(b->from_neighbour);
    CHECK(b->lifetime_units * 4 <= 8);
    n.run_until(n.now + seconds(30));
    CHECK_FALSE(n.bound(n.map1, rcoa1));
    CHECK(n.map1.counters().expired == 1);
    REQUIRE(n.bul().size() == 1);
    CHECK(n.bul()[0].rcoa == rcoa2);
    CHECK(n.bul()[0].primary);
    CHECK(n.mn_installed.size() == 1);
  }

  SECTION("stop: the MN deregisters, the MAP removes the binding at once") {
    n.mn.handle_stop(n.now);
    n.settle();
    CHECK_FALSE(n.bound(n.map1, rcoa1));
    CHECK(n.map1.counters().deregistrations == 1);
    CHECK(n.mn.finished());
    CHECK(n.mn_installed.empty());
  }
}
