// MapAgent over time: moves (update in place), refreshes, kernel install
// failures, DAD for new RCoAs (4140bis §6.1), BRR timing (RFC 6275 §9.5.5),
// expiry, carrier loss, the timer queue. Virtual time only.
#include "test_map_util.h"

#include "hmip/map/timer_queue.h"

using namespace maptest;

TEST_CASE("map: an LCoA change updates the binding in place, with an unsolicited NA", "[map]") {
  Harness h;
  h.bu({.seq = 1});
  h.take_all();
  h.now += seconds(30);
  h.bu({.lcoa = kLcoaAr2, .seq = 2});
  const auto all = h.take_all();
  REQUIRE(all.size() == 3);
  const auto& ib = std::get<InstallBinding>(all[0]);
  CHECK(ib.reason == InstallReason::move);
  CHECK(ib.lcoa == kLcoaAr2);
  const auto& ba = std::get<SendBa>(all[1]);
  CHECK(ba.ba.status == 0);
  CHECK(ba.lcoa == kLcoaAr2);
  CHECK_FALSE(ba.transient_route);
  CHECK(std::holds_alternative<SendUnsolicitedNa>(all[2]));
  const auto b = h.binding();
  REQUIRE(b);
  CHECK(b->lcoa == kLcoaAr2);
  CHECK(b->age == seconds(30));
  CHECK(b->since_registered == seconds(0));
  CHECK(h.agent.counters().bindings_moved == 1);
  CHECK(h.agent.counters().ba_sent == 2);
}

TEST_CASE("map: a refresh from the same LCoA is acknowledged without kernel work", "[map]") {
  Harness h;
  h.bu({.seq = 1});
  h.take_all();
  h.now += seconds(100);
  h.bu({.seq = 2, .lifetime = 50});
  const auto all = h.take_all();
  REQUIRE(all.size() == 1);
  CHECK(std::get<SendBa>(all[0]).ba.lifetime == 50);
  CHECK(h.binding()->remaining == seconds(200));
  CHECK(h.agent.counters().bindings_refreshed == 1);
}

TEST_CASE("map: a failed kernel install refuses the BU with 130 and rolls back", "[map]") {
  Harness h;
  SECTION("new binding") {
    h.install_ok = false;
    h.bu({});
    const SendBa ba = h.only_ba();
    CHECK(ba.ba.status == wire::ba_status::kInsufficientResources);
    CHECK(ba.transient_route);
    CHECK(h.agent.binding_count() == 0);
    CHECK(h.agent.pending_count() == 0);
    CHECK(h.agent.counters().dataplane_failures == 1);
    CHECK_FALSE(h.agent.poll_timeout());
  }
  SECTION("move keeps the previous LCoA") {
    h.bu({.seq = 1});
    h.take_all();
    h.install_ok = false;
    h.bu({.lcoa = kLcoaAr2, .seq = 2});
    const SendBa ba = h.only_ba();
    CHECK(ba.ba.status == wire::ba_status::kInsufficientResources);
    CHECK(ba.lcoa == kLcoaAr2);
    CHECK(ba.transient_route);
    REQUIRE(h.binding());
    CHECK(h.binding()->lcoa == kLcoaAr1);
    CHECK(h.binding()->sequence == 1);
    h.install_ok = true;
    h.bu({.lcoa = kLcoaAr2, .seq = 3});  // the MN retries
    CHECK(h.only_ba().ba.status == 0);
    CHECK(h.binding()->lcoa == kLcoaAr2);
  }
}

TEST_CASE("map: BUs while an install is pending are absorbed; late results clean up", "[map]") {
  Harness h;
  h.auto_install = false;
  h.bu({.seq = 1});
  REQUIRE(h.installs.size() == 1);
  h.take_all();
  h.bu({.seq = 2});
  CHECK(h.take_all().empty());
  CHECK(h.agent.counters().bu_absorbed == 1);
  CHECK(h.agent.state(h.now).pending.size() == 1);
  // A deregistration cancels the pending registration; the install's
  // success arrives afterwards and is undone.
  h.bu({.seq = 3, .lifetime = 0});
  CHECK(h.only_ba().ba.lifetime == 0);
  h.agent.handle_dataplane_result(h.now, {kRcoa1, 0}, true, "");
  h.drain();
  const auto rm = h.take<RemoveBinding>();
  REQUIRE(rm.size() == 1);
  CHECK(rm[0].reason == RemoveReason::stale);
  CHECK(h.agent.counters().dataplane_unmatched == 1);
  CHECK(h.agent.binding_count() == 0);
}

TEST_CASE("map: DAD for a new RCoA: success after the timeout, BUs meanwhile absorbed", "[map]") {
  Harness h(test_config(true));
  h.bu({.seq = 1});
  auto all = h.take_all();
  REQUIRE(all.size() == 1);
  const auto& dad = std::get<StartDad>(all[0]);
  CHECK(dad.rcoa == kRcoa1);
  CHECK(dad.interface == "map0");
  CHECK(dad.timeout == milliseconds(1000));
  CHECK(h.agent.poll_timeout() == h.now + milliseconds(1000));
  h.advance(milliseconds(400));
  h.bu({.seq = 2});  // the MN retransmits: absorbed, no second DAD
  CHECK(h.take_all().empty());
  // DAD never blocks: another MN registers meanwhile (and gets its own DAD).
  h.bu({.rcoa = kRcoa2, .seq = 9});
  CHECK(h.take<StartDad>().size() == 1);
  h.advance(milliseconds(599));
  CHECK(h.take<SendBa>().empty());
  h.advance(milliseconds(1));
  all = h.take_all();
  REQUIRE(all.size() == 3);
  CHECK(std::get<InstallBinding>(all[0]).key.rcoa == kRcoa1);
  CHECK(std::get<SendBa>(all[1]).ba.sequence == 2);  // the newest BU is answered
  CHECK(std::get<SendBa>(all[1]).ba.status == 0);
  CHECK(std::holds_alternative<SendUnsolicitedNa>(all[2]));
  CHECK(h.binding()->remaining == seconds(600));
  CHECK(h.agent.counters().dad_started == 2);
  CHECK(h.agent.counters().dad_succeeded == 1);
  CHECK(h.agent.counters().bu_absorbed == 1);
}

TEST_CASE("map: DAD finds the RCoA taken: 134 and no binding", "[map]") {
  Harness h(test_config(true));
  h.bu({.seq = 4});
  h.take_all();
  h.now += milliseconds(300);
  h.agent.handle_dad_result(h.now, kRcoa1, true);
  h.drain();
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kDuplicateAddressDetectionFailed);
  CHECK(ba.ba.sequence == 4);
  CHECK(ba.transient_route);
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.agent.pending_count() == 0);
  CHECK_FALSE(h.agent.poll_timeout());
  CHECK(h.installs.empty());
  // A late report changes nothing.
  h.agent.handle_dad_result(h.now, kRcoa1, true);
  h.drain();
  CHECK(h.take_all().empty());
  CHECK(h.agent.counters().dad_unmatched == 1);
  CHECK(h.agent.counters().dad_duplicate == 1);
}

TEST_CASE("map: DAD: an early no-duplicate report, and a deregistration during DAD", "[map]") {
  Harness h(test_config(true));
  h.bu({.seq = 1});
  h.agent.handle_dad_result(h.now, kRcoa1, false);
  h.drain();
  CHECK(h.take<SendBa>().size() == 1);
  CHECK(h.binding());

  h.bu({.rcoa = kRcoa2, .seq = 1});
  h.take_all();
  h.bu({.rcoa = kRcoa2, .seq = 2, .lifetime = 0});
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.lifetime == 0);
  CHECK(h.agent.pending_count() == 0);
  h.advance(seconds(2));
  CHECK(h.take<InstallBinding>().empty());
}

TEST_CASE("map: BRR brr_lead before expiry, every brr_interval, then expiry", "[map]") {
  Harness h;
  const TimePoint t0 = h.now;
  h.bu({.lifetime = 15});  // 60 s
  h.take_all();
  std::vector<core::Duration> brr_at;
  while (h.binding()) {
    const auto t = h.agent.poll_timeout();
    REQUIRE(t);
    h.advance(std::chrono::duration_cast<core::Duration>(*t - h.now));
    for (const auto& brr : h.take<SendBrr>()) {
      CHECK(brr.rcoa == kRcoa1);
      CHECK(brr.lcoa == kLcoaAr1);
      CHECK(brr.src == kMap);
      brr_at.push_back(std::chrono::duration_cast<core::Duration>(h.now - t0));
    }
  }
  CHECK(brr_at == std::vector<core::Duration>{seconds(50), seconds(52), seconds(54), seconds(56), seconds(58)});
  CHECK(h.now - t0 == seconds(60));
  CHECK(h.agent.counters().brr_sent == 5);
  CHECK(h.agent.counters().expired == 1);
  CHECK_FALSE(h.agent.poll_timeout());
}

TEST_CASE("map: a fresh BU cancels the BRRs; no BRR when the lifetime is within brr_lead", "[map]") {
  Harness h;
  const TimePoint t0 = h.now;
  h.bu({.seq = 1, .lifetime = 15});
  h.advance(seconds(53));
  CHECK(h.take<SendBrr>().size() == 2);  // 50, 52
  CHECK(h.binding()->brr_sent == 2);
  h.bu({.seq = 2, .lifetime = 15});
  CHECK(h.binding()->brr_sent == 0);
  CHECK(h.binding()->next_brr_in == seconds(50));
  CHECK(h.agent.poll_timeout() == t0 + seconds(103));
  h.take_all();

  h.bu({.rcoa = kRcoa2, .seq = 1, .lifetime = 2});  // 8 s <= 10 s lead
  CHECK_FALSE(h.binding(kRcoa2)->next_brr_in);
  h.advance(seconds(8));
  CHECK(h.take<SendBrr>().empty());
  CHECK_FALSE(h.binding(kRcoa2));
}

TEST_CASE("map: carrier back on an RCoA link re-adds the proxy entries, then announces the RCoAs", "[map]") {
  auto cfg = test_config();
  RcoaPrefixConfig second;  // a second RCoA link: its binding is neither refreshed nor announced
  second.prefix = *Ip6Prefix::parse("2001:db8:101::/64");
  second.interface = "map1";
  cfg.rcoa_prefixes.push_back(second);
  const Ip6Addr rcoa_map1 = Ip6Addr::must("2001:db8:101::a1");
  Harness h(cfg);
  h.agent.handle_link_carrier(h.now, "map0", true);  // no bindings yet
  h.drain();
  CHECK(h.take_all().empty());
  h.bu({.rcoa = kRcoa2});  // bound first, announced in RCoA order all the same
  h.bu({});
  h.bu({.rcoa = rcoa_map1});
  h.take_all();
  h.agent.handle_link_carrier(h.now, "map0", true);  // up, still up
  h.agent.handle_link_carrier(h.now, "other", false);
  h.agent.handle_link_carrier(h.now, "other", true);  // no binding proxied there
  h.drain();
  CHECK(h.take_all().empty());
  h.agent.handle_link_carrier(h.now, "map0", false);
  h.drain();
  CHECK(h.take_all().empty());  // carrier loss alone: nothing to do
  h.agent.handle_link_carrier(h.now, "map0", true);
  h.drain();
  // Proxy entries back first, then one unsolicited NA per RCoA on that link.
  const auto all = h.take_all();
  REQUIRE(all.size() == 3);
  const auto* rp = std::get_if<RefreshProxies>(&all[0]);
  REQUIRE(rp != nullptr);
  CHECK(rp->interface == "map0");
  const auto* na1 = std::get_if<SendUnsolicitedNa>(&all[1]);
  const auto* na2 = std::get_if<SendUnsolicitedNa>(&all[2]);
  REQUIRE(na1 != nullptr);
  REQUIRE(na2 != nullptr);
  CHECK(na1->rcoa == kRcoa1);
  CHECK(na1->interface == "map0");
  CHECK(na2->rcoa == kRcoa2);
  CHECK(na2->interface == "map0");
  CHECK(h.agent.counters().proxies_refreshed == 1);
  CHECK(h.binding());
  CHECK(h.binding(kRcoa2));
  CHECK(h.binding(rcoa_map1));
  // The other link's carrier: only its own RCoA.
  h.agent.handle_link_carrier(h.now, "map1", false);
  h.agent.handle_link_carrier(h.now, "map1", true);
  h.drain();
  const auto other = h.take_all();
  REQUIRE(other.size() == 2);
  REQUIRE(std::holds_alternative<RefreshProxies>(other[0]));
  CHECK(std::get<RefreshProxies>(other[0]).interface == "map1");
  REQUIRE(std::holds_alternative<SendUnsolicitedNa>(other[1]));
  CHECK(std::get<SendUnsolicitedNa>(other[1]).rcoa == rcoa_map1);
  CHECK(std::get<SendUnsolicitedNa>(other[1]).interface == "map1");
  CHECK(h.agent.counters().proxies_refreshed == 2);
}

TEST_CASE("map: a routed RCoA prefix (no interface) has no DAD, proxy or NA", "[map]") {
  auto cfg = test_config(true);
  cfg.rcoa_prefixes[0].interface.clear();
  Harness h(cfg);
  h.bu({});
  const auto all = h.take_all();
  REQUIRE(all.size() == 2);
  CHECK(std::get<InstallBinding>(all[0]).proxy_interface.empty());
  CHECK(std::get<SendBa>(all[1]).ba.status == 0);
}

TEST_CASE("map timer queue: earliest first, moved and cancelled entries", "[map]") {
  TimerQueue q;
  const BindingKey a{kRcoa1, 0}, b{kRcoa2, 0};
  q.set(a, TimerQueue::Kind::binding, std::nullopt, kT0 + seconds(5));
  q.set(b, TimerQueue::Kind::binding, std::nullopt, kT0 + seconds(3));
  q.set(a, TimerQueue::Kind::dad, std::nullopt, kT0 + seconds(3));
  CHECK(q.earliest() == kT0 + seconds(3));
  q.set(b, TimerQueue::Kind::binding, kT0 + seconds(3), kT0 + seconds(9));
  CHECK_FALSE(q.pop_due(kT0 + seconds(2)));
  auto e = q.pop_due(kT0 + seconds(4));
  REQUIRE(e);
  CHECK(e->kind == TimerQueue::Kind::dad);
  CHECK_FALSE(q.pop_due(kT0 + seconds(4)));
  q.set(a, TimerQueue::Kind::binding, kT0 + seconds(5), std::nullopt);
  CHECK(q.size() == 1);
  CHECK(q.earliest() == kT0 + seconds(9));
}

TEST_CASE("map: poll_timeout is the earliest deadline over many bindings", "[map]") {
  Harness h;
  for (int i = 0; i < 50; ++i) {
    Ip6Addr r = kRcoa1;
    r.b[14] = 1;
    r.b[15] = static_cast<std::uint8_t>(i);
    h.bu({.rcoa = r, .lifetime = static_cast<std::uint16_t>(100 - i)});
  }
  CHECK(h.agent.binding_count() == 50);
  // Smallest lifetime 51 units = 204 s, BRR 10 s before.
  CHECK(h.agent.poll_timeout() == h.now + seconds(194));
}
