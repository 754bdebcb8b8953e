// The mobile node core's movement handling (hmip/mn/mobile_node.h): link
// changes and RSs, MAP options over time (RFC 5380 §7.1: Pref 0, lifetime 0,
// R = 1, no MAP), intra-MAP moves (§6.1), inter-MAP moves (§8, §9 eager /
// lazy). Virtual time only.
#include "test_mn_util.h"

using namespace hmip;
using namespace hmip::mn_test;

TEST_CASE("link down/up: an RS at once, up to 3 at 4 s intervals, none after an RA", "[mn]") {
  Harness h;
  h.register_map1();
  h.set_link(link(false, {kLcoa1}));
  CHECK(h.take<SendRs>().empty());
  CHECK(h.take<RemoveBinding>().empty());  // a flap is no reason to drop the binding
  h.set_link(link(true, {kLcoa1}));
  CHECK(h.take<SendRs>().size() == 1);
  h.advance(seconds(4));
  CHECK(h.take<SendRs>().size() == 1);
  h.advance(seconds(4));
  CHECK(h.take<SendRs>().size() == 1);
  h.advance(seconds(20));
  CHECK(h.take<SendRs>().empty());
  CHECK(h.mn.counters().rs_sent == 4);

  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa1}));
  CHECK(h.take<SendRs>().size() == 1);
  h.clear();
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));  // the same link again (RFC 6059)
  CHECK(h.mn.counters().known_link_returns == 1);
  CHECK(h.take<SendBu>().empty());  // same LCoA, same MAP: nothing to tell
  CHECK(h.take<InstallBinding>().empty());
  h.advance(seconds(10));
  CHECK(h.take<SendRs>().empty());
}

TEST_CASE("SolicitOnLinkChange off: no RS", "[mn]") {
  auto cfg = mn_cfg();
  cfg.solicit_on_link_change = false;
  Harness h(cfg);
  h.set_link(link(true, {kLcoa1}));
  h.advance(seconds(30));
  CHECK(h.take<SendRs>().empty());
}

TEST_CASE("intra-MAP move: one kernel update and one BU, RCoA unchanged (RFC 5380 §6.1)", "[mn]") {
  Harness h;
  h.register_map1();
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}));
  CHECK(h.take<SendBu>().empty());  // LCoA1 is not on this link: wait for SLAAC
  CHECK(h.mn.state(h.now).bul.at(0).lcoa == kLcoa1);
  h.clear();
  h.set_link(link(true, {kLcoa1, kLcoa2}, true));  // optimistic DAD
  const auto inst = h.take<InstallBinding>();
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].key == BindingKey{kMap1, kRcoa1});
  CHECK(inst[0].settings == BindingSettings{kLcoa2, static_cast<int>(kIf), kAr2, 1460, true, true, {}});
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].src == kRcoa1);
  CHECK(bus[0].lcoa == kLcoa2);
  CHECK(bus[0].bu.lifetime == 150);
  CHECK(h.take<RemoveBinding>().empty());
  h.answer(bus[0]);
  CHECK(h.take<InstallBinding>().empty());  // already primary
  CHECK(h.mn.counters().intra_map_moves == 1);
  CHECK(h.mn.counters().inter_map_moves == 0);
  CHECK(h.primaries() == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("inter-MAP move: eager new binding, short BU to the previous MAP, which then expires unrefreshed",
          "[mn]") {
  Harness h;
  h.register_map1();
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa3}, true));
  h.clear();
  h.give_ra(kAr3, ra(kPfx3, {map_opt(kMap2, 1, 10)}));
  const auto inst = h.take<InstallBinding>();
  REQUIRE(inst.size() == 2);
  CHECK(inst[0].key == BindingKey{kMap1, kRcoa1});
  CHECK(inst[0].settings == BindingSettings{kLcoa3, static_cast<int>(kIf), kAr3, 1460, false, true, {}});
  CHECK(inst[1].key == BindingKey{kMap2, kRcoa2});
  CHECK_FALSE(inst[1].settings.primary);
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 2);
  CHECK(bus[0].dst == kMap1);
  CHECK(bus[0].src == kRcoa1);
  CHECK(bus[0].lcoa == kLcoa3);
  CHECK(bus[0].bu.lifetime == 3);  // PreviousMapLifetime 12 s
  CHECK(bus[1].dst == kMap2);
  CHECK(bus[1].src == kRcoa2);
  CHECK(bus[1].bu.lifetime == 150);
  CHECK(h.take<RemoveBinding>().empty());
  CHECK(h.mn.counters().inter_map_moves == 1);

  const TimePoint sent = h.now;
  h.now += milliseconds(40);
  h.answer(bus[0]);
  CHECK(h.take<InstallBinding>().empty());
  h.answer(bus[1]);
  const auto prim = h.take<InstallBinding>();
  REQUIRE(prim.size() == 1);
  CHECK(prim[0].key.map_address == kMap2);
  CHECK(prim[0].settings.primary);
  CHECK(h.primaries() == 1);
  auto st = h.mn.state(h.now);
  CHECK(st.chosen_map == kMap2);
  REQUIRE(st.bul.size() == 2);
  CHECK(st.bul[0].role == BindingRole::previous);

  h.run_until(sent + seconds(12) - milliseconds(1));
  CHECK(h.take<RemoveBinding>().empty());
  h.run_until(sent + seconds(12));
  CHECK(h.take<RemoveBinding>() == std::vector<RemoveBinding>{RemoveBinding{BindingKey{kMap1, kRcoa1}}});
  h.clear();
  h.advance(std::chrono::hours(2));
  for (const auto& b : h.take<SendBu>()) CHECK(b.dst == kMap2);  // the previous MAP is never refreshed
  CHECK(h.violations.empty());
}

TEST_CASE("MAP failure (lifetime 0): its bindings are removed and another MAP is chosen (§7.1, §10)", "[mn]") {
  Harness h;
  h.register_map1({map_opt(kMap2, 1, 10)});
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 0), map_opt(kMap2, 1, 10)}));
  CHECK(h.take<RemoveBinding>() == std::vector<RemoveBinding>{RemoveBinding{BindingKey{kMap1, kRcoa1}}});
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kMap2);
  CHECK(h.mn.counters().map_failures == 1);
  CHECK(h.mn.state(h.now).interfaces.at(0).maps.at(0).status == MapStatus::failed);
}

TEST_CASE("a MAP the router stops advertising is dropped from the stored options (§9)", "[mn]") {
  Harness h;
  h.register_map1({map_opt(kMap2, 1, 10)});
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap2, 1, 10)}));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kMap2);  // eager
  CHECK(h.mn.state(h.now).interfaces.at(0).maps.size() == 1);
}

TEST_CASE("preference 0: an existing binding is kept and refreshed, never a new one (§7.1)", "[mn]") {
  Harness h;
  h.register_map1();
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 0)}));
  CHECK(h.take<RemoveBinding>().empty());
  CHECK(h.take<SendBu>().empty());
  CHECK(h.mn.state(h.now).hmipv6_active);
  h.advance(seconds(480));
  const auto refresh = h.take<SendBu>();
  REQUIRE(refresh.size() == 1);
  CHECK(refresh[0].dst == kMap1);
  h.answer(refresh[0]);
  // Another selectable MAP appears: eager move to it.
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 0), map_opt(kMap2, 1, 3)}));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kMap2);

  Harness fresh;
  fresh.set_link(link(true, {kLcoa1}));
  fresh.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 0)}));
  CHECK(fresh.take<SendBu>().empty());
  CHECK_FALSE(fresh.mn.state(fresh.now).hmipv6_active);
}

TEST_CASE("R = 1 MAPs are skipped with one clear log line", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  CHECK(h.take<SendBu>().empty());
  std::size_t lines = 0;
  for (const auto& l : h.take<LogEvent>())
    if (l.text.find("R = 1") != std::string::npos && l.level == LogLevel::warning) ++lines;
  CHECK(lines == 2);  // the skip (once per MAP) and "no usable MAP" (once)
  const auto st = h.mn.state(h.now);
  CHECK(st.interfaces.at(0).maps.at(0).status == MapStatus::r_flag);
  CHECK(st.status == "no HMIPv6: only MAPs with R = 1 advertised");
  CHECK(h.mn.counters().map_r_flag_skipped == 2);
}

TEST_CASE("no MAP advertised: no HMIPv6, one warning, state says so", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {}));
  CHECK(h.logged(LogLevel::warning, "no usable MAP"));
  h.clear();
  h.give_ra(kAr1, ra(kPfx1, {}));
  h.advance(seconds(60));
  CHECK_FALSE(h.logged(LogLevel::warning, "no usable MAP"));
  const auto st = h.mn.state(h.now);
  CHECK_FALSE(st.hmipv6_active);
  CHECK_FALSE(st.tunnel);
  CHECK(st.status == "no HMIPv6: no MAP option advertised");
  CHECK(h.mn.counters().no_map_events == 1);
  // A MAP appears later: used at once.
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  CHECK(h.take<SendBu>().size() == 1);
}

TEST_CASE("moving where no MAP is advertised: the previous MAP forwards briefly, then HMIPv6 is off", "[mn]") {
  Harness h;
  h.register_map1();
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa3}, true));
  h.clear();
  h.give_ra(kAr3, ra(kPfx3, {}));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kMap1);
  CHECK(bus[0].lcoa == kLcoa3);
  CHECK(bus[0].bu.lifetime == 3);
  CHECK(h.primaries() == 0);
  CHECK_FALSE(h.mn.state(h.now).hmipv6_active);
}

TEST_CASE("selection policy from the configuration and on reload", "[mn]") {
  auto cfg = mn_cfg();
  cfg.selection = MapSelection::highest_preference;
  Harness h(cfg);
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 5), map_opt(kMap2, 1, 9)}));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kMap2);
  h.answer(bus[0]);
  h.mn.handle_reload(h.now, mn_cfg());  // back to furthest: MAP1
  h.drain();
  const auto again = h.take<SendBu>();
  REQUIRE(again.size() == 1);
  CHECK(again[0].dst == kMap1);
}

TEST_CASE("a link switched under a carrier that stays up: a new router with new prefixes is a move", "[mn]") {
  Harness h;
  h.register_map1();
  // A second router on the same link with the same prefix is no move.
  h.give_ra(Ip6Addr::must("fe80::a9"), ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  CHECK(h.mn.counters().router_changes == 0);
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}));
  CHECK(h.mn.counters().router_changes == 1);
  CHECK(h.take<SendBu>().empty());
  h.clear();
  // The kernel keeps the old address for a while; only the new one counts.
  h.set_link(link(true, {kLcoa1, kLcoa2}, true));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].lcoa == kLcoa2);
  CHECK(bus[0].src == kRcoa1);
}

TEST_CASE("a link removed is a link down; coming back is a link change", "[mn]") {
  Harness h;
  h.register_map1();
  h.mn.handle_link_removed(h.now, kIf);
  h.drain();
  CHECK(h.take<RemoveBinding>().empty());
  CHECK_FALSE(h.mn.state(h.now).interfaces.at(0).ifindex);
  h.set_link(link(true, {kLcoa1}, false, 7));  // the same name, a new ifindex (veth moved)
  CHECK(h.take<SendRs>() == std::vector<SendRs>{SendRs{7}});
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}), 7);
  const auto inst = h.take<InstallBinding>();
  REQUIRE(inst.size() == 1);  // same LCoA and MAP, the interface index changed
  CHECK(inst[0].settings.ifindex == 7);
  CHECK(h.take<SendBu>().empty());
}

TEST_CASE("a MAP answering 135 over and over is held down", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  for (unsigned k = 0; k <= kMaxSequenceResyncs; ++k) {
    h.clear();
    h.give_mh(kMap1, kRcoa1, ba(500, wire::ba_status::kSequenceNumberOutOfWindow));
  }
  CHECK(h.take<RemoveBinding>().size() == 1);
  REQUIRE(h.mn.state(h.now).held_down.size() == 1);
  CHECK(h.mn.counters().sequence_resyncs == kMaxSequenceResyncs + 1);
}
