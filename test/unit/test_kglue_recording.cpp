// RecordingDataplane (kernel-glue/include/hmip/kglue/recording_dataplane.h):
// calls recorded in order, installed set kept, failures injected, the same
// input checks as NetlinkDataplane.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>

#include "hmip/kglue/recording_dataplane.h"

using namespace hmip;
using namespace hmip::kglue;

namespace {

const Ip6Addr kMap = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::5");
const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:2::10");
const Ip6Addr kLcoa2 = Ip6Addr::must("2001:db8:3::10");

MapBindingSettings map_settings(const Ip6Addr& lcoa) {
  MapBindingSettings s;
  s.map_address = kMap;
  s.lcoa = lcoa;
  s.proxy_ifindex = 2;
  return s;
}

}  // namespace

TEST_CASE("recording dataplane: MAP binding install, update in place, remove", "[kglue]") {
  RecordingDataplane dp;
  auto o = dp.install_map_binding({kRcoa, 0}, map_settings(kLcoa));
  REQUIRE(o.ok());
  CHECK(o->tunnel == "hmipm0001");
  REQUIRE(dp.map_bindings().size() == 1);
  CHECK(dp.map_bindings().at({kRcoa, 0}).settings.lcoa == kLcoa);

  auto o2 = dp.install_map_binding({kRcoa, 0}, map_settings(kLcoa2));
  REQUIRE(o2.ok());
  CHECK(o2->tunnel == o->tunnel);  // same tunnel: updated in place
  CHECK(o2->tunnel_ifindex == o->tunnel_ifindex);
  CHECK(dp.map_bindings().at({kRcoa, 0}).settings.lcoa == kLcoa2);

  REQUIRE(dp.remove_map_binding({kRcoa, 0}).ok());
  REQUIRE(dp.remove_map_binding({kRcoa, 0}).ok());  // unknown key: no-op
  CHECK(dp.empty());
  REQUIRE(dp.calls().size() == 4);
  CHECK(std::get<call::InstallMapBinding>(dp.calls()[1].call).settings.lcoa == kLcoa2);
  CHECK(std::holds_alternative<call::RemoveMapBinding>(dp.calls()[3].call));
}

TEST_CASE("recording dataplane: RCoAs bound through one LCoA share its tunnel; moves join or leave it", "[kglue]") {
  // Issue 13 item 4: the kernel refuses a second ip6tnl with the same
  // endpoints, so a second RCoA from one LCoA must use the first one's.
  const Ip6Addr rcoa2 = Ip6Addr::must("2001:db8:99::6");
  const Ip6Addr rcoa3 = Ip6Addr::must("2001:db8:99::7");
  RecordingDataplane dp;
  auto a = dp.install_map_binding({kRcoa, 0}, map_settings(kLcoa));
  auto b = dp.install_map_binding({rcoa2, 0}, map_settings(kLcoa));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(b->tunnel == a->tunnel);
  CHECK(b->tunnel_ifindex == a->tunnel_ifindex);
  CHECK(dp.tunnel_count() == 1);
  // A third RCoA at another LCoA has its own tunnel.
  auto c = dp.install_map_binding({rcoa3, 0}, map_settings(kLcoa2));
  REQUIRE(c.ok());
  CHECK(c->tunnel != a->tunnel);
  CHECK(dp.tunnel_count() == 2);
  // The second RCoA moves onto LCoA2, which has a tunnel: it joins that one;
  // the first LCoA's tunnel stays for the first RCoA.
  auto b2 = dp.install_map_binding({rcoa2, 0}, map_settings(kLcoa2));
  REQUIRE(b2.ok());
  CHECK(b2->tunnel == c->tunnel);
  CHECK(dp.tunnel_count() == 2);
  // The first RCoA moves onto LCoA2 too: the first tunnel has no user left.
  auto a2 = dp.install_map_binding({kRcoa, 0}, map_settings(kLcoa2));
  REQUIRE(a2.ok());
  CHECK(a2->tunnel == c->tunnel);
  CHECK(dp.tunnel_count() == 1);
  // Removing two of three users keeps the device; the last takes it.
  REQUIRE(dp.remove_map_binding({kRcoa, 0}).ok());
  REQUIRE(dp.remove_map_binding({rcoa3, 0}).ok());
  CHECK(dp.tunnel_count() == 1);
  REQUIRE(dp.remove_map_binding({rcoa2, 0}).ok());
  CHECK(dp.tunnel_count() == 0);
  CHECK(dp.empty());
}

TEST_CASE("recording dataplane: MN bindings through one LCoA to one MAP share a tunnel", "[kglue]") {
  RecordingDataplane dp(Tags::mnd());
  MnBindingSettings s;
  s.lcoa = kLcoa;
  s.ifindex = 3;
  s.router = Ip6Addr::must("fe80::1");
  auto a = dp.install_mn_binding({kMap, kRcoa}, s);
  s.primary = false;
  auto b = dp.install_mn_binding({kMap, Ip6Addr::must("2001:db8:99::6")}, s);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->tunnel == b->tunnel);
  CHECK(a->table != b->table);
  CHECK(dp.tunnel_count() == 1);
  // The primary moves to a new LCoA while the other stays: a new tunnel.
  s.primary = true;
  s.lcoa = kLcoa2;
  auto a2 = dp.install_mn_binding({kMap, kRcoa}, s);
  REQUIRE(a2.ok());
  CHECK(a2->tunnel != a->tunnel);
  CHECK(dp.tunnel_count() == 2);
  REQUIRE(dp.remove_mn_binding({kMap, Ip6Addr::must("2001:db8:99::6")}).ok());
  CHECK(dp.tunnel_count() == 1);
}

TEST_CASE("recording dataplane: injected failures change nothing and are recorded", "[kglue]") {
  RecordingDataplane dp;
  dp.fail_next(wire::Error{wire::Errc::invalid_field, 17, "kernel said no"}, 2);
  auto o = dp.install_map_binding({kRcoa, 0}, map_settings(kLcoa));
  REQUIRE_FALSE(o.ok());
  CHECK(o.error().offset == 17);
  CHECK_FALSE(dp.install_ba_route(kMap, kRcoa, kLcoa).ok());
  CHECK(dp.empty());
  CHECK(dp.install_ba_route(kMap, kRcoa, kLcoa).ok());  // the third call goes through
  REQUIRE(dp.calls().size() == 3);
  CHECK_FALSE(dp.calls()[0].ok);
  CHECK_FALSE(dp.calls()[1].ok);
  CHECK(dp.calls()[2].ok);
  CHECK(dp.ba_routes().at({kMap, kRcoa}) == kLcoa);
}

TEST_CASE("recording dataplane: refuses what NetlinkDataplane refuses", "[kglue]") {
  RecordingDataplane dp;
  auto bad = map_settings(kLcoa);
  bad.lcoa = Ip6Addr{};
  auto r = dp.install_map_binding({kRcoa, 0}, bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().rule.find("LCoA") != std::string_view::npos);
  CHECK_FALSE(dp.install_map_binding({kMap, 0}, map_settings(kLcoa)).ok());  // RCoA == MAP address
  CHECK_FALSE(dp.install_ba_route(kMap, kRcoa, Ip6Addr::must("ff02::1")).ok());
  MnBindingSettings mn;
  mn.lcoa = kLcoa;
  mn.ifindex = 0;
  CHECK_FALSE(dp.install_mn_binding({kMap, kRcoa}, mn).ok());
  CHECK(dp.empty());
  REQUIRE(dp.calls().size() == 4);
  for (const auto& c : dp.calls()) CHECK_FALSE(c.ok);
}

TEST_CASE("recording dataplane: MN bindings get distinct tables from the tag range", "[kglue]") {
  RecordingDataplane dp(Tags::mnd());
  MnBindingSettings s;
  s.lcoa = kLcoa;
  s.ifindex = 3;
  s.router = Ip6Addr::must("fe80::1");
  auto a = dp.install_mn_binding({kMap, kRcoa}, s);
  s.primary = false;
  auto b = dp.install_mn_binding({Ip6Addr::must("2001:db8:1::2"), Ip6Addr::must("2001:db8:98::5")}, s);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->table == Tags::mnd().table_lo);
  CHECK(b->table == Tags::mnd().table_lo + 1);
  CHECK(a->tunnel == "hmipn0001");
  REQUIRE(dp.remove_mn_binding({kMap, kRcoa}).ok());
  auto c = dp.install_mn_binding({kMap, Ip6Addr::must("2001:db8:97::5")}, s);
  REQUIRE(c.ok());
  CHECK(c->table == Tags::mnd().table_lo);  // freed table reused
  // Only the lower half of the range: the upper holds each binding's LCoA table.
  Tags small = Tags::mnd();
  small.table_hi = small.table_lo + 3;
  RecordingDataplane two(small);
  CHECK(two.install_mn_binding({kMap, kRcoa}, s).ok());
  CHECK(two.install_mn_binding({kMap, Ip6Addr::must("2001:db8:97::5")}, s).ok());
  CHECK_FALSE(two.install_mn_binding({kMap, Ip6Addr::must("2001:db8:96::5")}, s).ok());
  CHECK(dp.install_mn_signalling({}).ok());
  CHECK(dp.mn_signalling());
  REQUIRE(dp.flush().ok());
  CHECK(dp.empty());
}

TEST_CASE("recording dataplane: reconcile reports the leftovers it was given, counters as set", "[kglue]") {
  RecordingDataplane dp;
  dp.set_leftovers({"link hmipm0001"});
  auto r = dp.reconcile();
  REQUIRE(r.ok());
  CHECK(r->removed == std::vector<std::string>{"link hmipm0001"});
  CHECK(dp.reconcile()->removed.empty());
  dp.set_counters({3, 300});
  CHECK(dp.counters().ingress_dropped_packets == 3);
  CHECK(dp.refresh_proxies(2).ok());
  CHECK(dp.refresh_proxies(2).ok());
  CHECK(dp.proxy_refreshes(2) == 2);
  CHECK(dp.proxy_refreshes(5) == 0);
}

TEST_CASE("recording dataplane: adopts a crashed run's MAP bindings in their tunnels (issue 13 item 13)",
          "[kglue][adopt]") {
  RecordingDataplane dp;
  const Ip6Addr rcoa2 = Ip6Addr::must("2001:db8:99::6");
  const Ip6Addr rcoa3 = Ip6Addr::must("2001:db8:99::7");
  dp.set_leftover_map_bindings({
      {{kRcoa, 0}, map_settings(kLcoa), {"hmipm0007", 4007}},
      {{rcoa2, 0}, map_settings(kLcoa), {"hmipm0007", 4007}},  // the same tunnel
      {{rcoa3, 0}, map_settings(kLcoa2), {"hmipm0009", 4009}},
  });
  auto a = dp.adopt_map_bindings();
  REQUIRE(a.ok());
  REQUIRE(a->size() == 3);
  CHECK(dp.calls().size() == 1);
  CHECK(std::holds_alternative<call::AdoptMapBindings>(dp.calls()[0].call));
  CHECK(dp.map_bindings().size() == 3);
  CHECK(dp.map_bindings().at({rcoa2, 0}).objects.tunnel_ifindex == 4007);
  CHECK(dp.tunnel_count() == 2);
  CHECK(dp.adopt_map_bindings()->empty());  // taken once

  // Adopted bindings are bindings: a move leaves the shared tunnel, a new
  // binding gets a tunnel name and ifindex of its own, removal drops users.
  auto moved = dp.install_map_binding({rcoa2, 0}, map_settings(kLcoa2));
  REQUIRE(moved.ok());
  CHECK(moved->tunnel == "hmipm0009");
  CHECK(dp.tunnel_count() == 2);
  auto fresh = dp.install_map_binding({Ip6Addr::must("2001:db8:99::8"), 0},
                                      map_settings(Ip6Addr::must("2001:db8:4::10")));
  REQUIRE(fresh.ok());
  CHECK(fresh->tunnel == "hmipm000a");
  CHECK(fresh->tunnel_ifindex > 4009);
  CHECK(dp.remove_map_binding({kRcoa, 0}).ok());
  CHECK(dp.tunnel_count() == 2);  // hmipm0007 had its last user go
  CHECK(dp.flush().ok());
  CHECK(dp.empty());
}

TEST_CASE("recording dataplane: 100k MAP bindings (benchmark, prints)", "[kglue][bench]") {
  RecordingDataplane dp;
  dp.set_recording(false);
  const auto t0 = std::chrono::steady_clock::now();
  for (std::uint32_t i = 0; i < 100000; ++i) {
    Ip6Addr rcoa = kRcoa;
    rcoa.b[12] = static_cast<std::uint8_t>(i >> 16);
    rcoa.b[13] = static_cast<std::uint8_t>(i >> 8);
    rcoa.b[14] = static_cast<std::uint8_t>(i);
    REQUIRE(dp.install_map_binding({rcoa, 0}, map_settings(kLcoa)).ok());
  }
  const auto t1 = std::chrono::steady_clock::now();
  CHECK(dp.map_bindings().size() == 100000);
  CHECK(dp.calls().empty());
  std::printf("recording dataplane: 100000 MAP bindings installed in %.1f ms\n",
              std::chrono::duration<double, std::milli>(t1 - t0).count());
}
