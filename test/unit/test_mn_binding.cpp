// The mobile node core's registration with a MAP (hmip/mn/mobile_node.h):
// the first BU and its kernel state, RFC 6275 §11.8 retransmission, the BA
// checks of RFC 5380 §6.1 / RFC 6275 §11.7.3, statuses 134, 135 and
// refusals, refresh timing, BRR, BE, deregistration. Virtual time only.
#include "test_mn_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

std::size_t index_of_first(const std::vector<Action>& v, std::size_t alt) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i].index() == alt) return i;
  return v.size();
}

}  // namespace

TEST_CASE("registration: RS at once, binding installed (not primary) before the BU, primary on the BA", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}, true));
  CHECK(h.take<SendRs>() == std::vector<SendRs>{SendRs{kIf}});
  CHECK(h.take<SendBu>().empty());  // no RA yet: the LCoA's prefix is not known to be on this link
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  const std::size_t install_at = index_of_first(h.out, 2);
  const std::size_t bu_at = index_of_first(h.out, 1);
  REQUIRE(install_at < bu_at);
  const auto inst = h.take<InstallBinding>();
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].key == BindingKey{kMap1, kRcoa1});
  CHECK(inst[0].settings == BindingSettings{kLcoa1, static_cast<int>(kIf), kAr1, 1460, false, true, {}});
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].src == kRcoa1);
  CHECK(bus[0].dst == kMap1);
  CHECK(bus[0].lcoa == kLcoa1);
  CHECK(bus[0].bu.ack);
  CHECK(bus[0].bu.map_registration);
  CHECK_FALSE(bus[0].bu.home_registration);
  CHECK(bus[0].bu.lifetime == 150);  // 600 s
  CHECK(h.mn.state(h.now).status == "registering with MAP 2001:db8:100::1");

  h.now += milliseconds(30);
  h.answer(bus[0]);
  const auto prim = h.take<InstallBinding>();
  REQUIRE(prim.size() == 1);
  CHECK(prim[0].settings.primary);
  const auto st = h.mn.state(h.now);
  CHECK(st.hmipv6_active);
  CHECK(st.chosen_map == kMap1);
  REQUIRE(st.tunnel);
  CHECK(st.tunnel->local == kLcoa1);
  CHECK(st.tunnel->remote == kMap1);
  CHECK(st.tunnel->mtu == 1460);
  REQUIRE(st.bul.size() == 1);
  CHECK(st.bul[0].registered);
  CHECK(st.bul[0].granted_lifetime == 600);
  CHECK(h.mn.counters().ba_accepted == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("the LCoA waits for DAD unless optimistic; DAD-failed addresses are never used", "[mn]") {
  Harness h;
  auto l = link(true, {kLcoa1});
  l.addresses[1].tentative = true;
  h.set_link(l);
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  CHECK(h.take<SendBu>().empty());
  CHECK(h.mn.state(h.now).status.find("waiting for a care-of address") != std::string::npos);
  l.addresses[1].tentative = false;
  l.addresses[1].dadfailed = true;
  h.set_link(l);
  CHECK(h.take<SendBu>().empty());
  l.addresses[1].dadfailed = false;
  h.set_link(l);
  CHECK(h.take<SendBu>().size() == 1);
}

TEST_CASE("BU retransmission backs off 1.5, 3, 6 ... s capped at MaxBindackTimeout (RFC 6275 §11.8)", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  std::vector<Duration> at;
  std::vector<std::uint16_t> seqs;
  const TimePoint start = h.now;
  for (auto& b : h.take<SendBu>()) {
    at.push_back(Duration{0});
    seqs.push_back(b.bu.sequence);
  }
  while (at.size() < 9) {
    const auto d = h.mn.poll_timeout();
    REQUIRE(d);
    h.run_until(*d);
    for (auto& b : h.take<SendBu>()) {
      at.push_back(std::chrono::duration_cast<Duration>(h.now - start));
      seqs.push_back(b.bu.sequence);
    }
  }
  const std::vector<Duration> expect{milliseconds(0),     milliseconds(1500),  milliseconds(4500),
                                     milliseconds(10500), milliseconds(22500), milliseconds(46500),
                                     milliseconds(78500), milliseconds(110500), milliseconds(142500)};
  CHECK(at == expect);
  for (std::size_t i = 1; i < seqs.size(); ++i) CHECK(seqs[i] == static_cast<std::uint16_t>(seqs[i - 1] + 1));
  CHECK(h.mn.counters().bu_retransmitted == 8);
  CHECK(h.mn.state(h.now).bul.at(0).backoff == seconds(32));
}

TEST_CASE("refresh and move BUs start from InitialBindackTimeout (1 s)", "[mn]") {
  Harness h;
  h.register_map1();
  h.run_until(h.now + seconds(480));  // 80 % of the 600 s granted, from the send
  auto r = h.take<SendBu>();
  REQUIRE(r.size() == 1);
  h.advance(milliseconds(999));
  CHECK(h.take<SendBu>().empty());
  h.advance(milliseconds(1));
  CHECK(h.take<SendBu>().size() == 1);
  h.advance(milliseconds(2000));
  CHECK(h.take<SendBu>().size() == 1);
}

TEST_CASE("BA checks: no RH2, another RCoA, another source, another sequence are ignored (RFC 5380 §6.1)", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  const auto bu = h.take<SendBu>().at(0);
  h.clear();
  const auto s = bu.bu.sequence;
  h.give_mh(kMap1, std::nullopt, ba(s));
  h.give_mh(kMap1, kRcoa2, ba(s));
  h.give_mh(kMap2, kRcoa1, ba(s));
  h.give_mh(kMap1, kRcoa1, ba(static_cast<std::uint16_t>(s - 1)));
  h.give_mh(kMap1, kRcoa1, ba(static_cast<std::uint16_t>(s + 1)));
  CHECK(h.take<InstallBinding>().empty());
  const auto& c = h.mn.counters();
  CHECK(c.ba_no_rh2 == 1);
  CHECK(c.ba_wrong_rh2 == 1);
  CHECK(c.ba_wrong_source == 1);
  CHECK(c.ba_wrong_sequence == 2);
  CHECK(c.ba_accepted == 0);
  CHECK_FALSE(h.mn.state(h.now).bul.at(0).registered);
  h.give_mh(kMap1, kRcoa1, ba(s));
  CHECK(h.take<InstallBinding>().size() == 1);
  CHECK(h.mn.counters().ba_accepted == 1);
  h.give_mh(kMap1, kRcoa1, ba(s));  // a duplicate: nothing outstanding any more
  CHECK(h.mn.counters().ba_unexpected == 1);
}

TEST_CASE("status 135: continue after the MAP's last accepted sequence number at once", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  h.clear();
  h.give_mh(kMap1, kRcoa1, ba(1000, wire::ba_status::kSequenceNumberOutOfWindow));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.sequence == 1001);
  CHECK(h.mn.counters().sequence_resyncs == 1);
  h.answer(bus[0]);
  CHECK(h.mn.state(h.now).bul.at(0).registered);
}

TEST_CASE("status 134: a new random interface identifier, a new RCoA, a new registration", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  const auto bu = h.take<SendBu>().at(0);
  h.clear();
  h.answer(bu, wire::ba_status::kDuplicateAddressDetectionFailed);
  CHECK(h.take<RemoveBinding>() == std::vector<RemoveBinding>{RemoveBinding{BindingKey{kMap1, kRcoa1}}});
  const auto inst = h.take<InstallBinding>();
  REQUIRE(inst.size() == 1);
  const Ip6Addr rcoa = inst[0].key.rcoa;
  CHECK(rcoa != kRcoa1);
  CHECK(Ip6Prefix::of(rcoa, 64) == Ip6Prefix::of(kMap1, 64));
  CHECK(usable_iid(rcoa));
  CHECK_FALSE(inst[0].settings.primary);
  const auto again = h.take<SendBu>();
  REQUIRE(again.size() == 1);
  CHECK(again[0].src == rcoa);
  h.answer(again[0]);
  CHECK(h.mn.state(h.now).bul.at(0).rcoa == rcoa);
  CHECK(h.mn.state(h.now).bul.at(0).registered);
  CHECK(h.mn.counters().dad_retries == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("a refusal holds the MAP down and another MAP is used", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10), map_opt(kMap2, 1, 10)}));
  const auto bu = h.take<SendBu>().at(0);
  REQUIRE(bu.dst == kMap1);
  h.clear();
  h.answer(bu, wire::ba_status::kAdministrativelyProhibited);
  CHECK(h.logged(LogLevel::warning, "status 129"));
  CHECK(h.take<RemoveBinding>().size() == 1);
  const auto next = h.take<SendBu>();
  REQUIRE(next.size() == 1);
  CHECK(next[0].dst == kMap2);
  CHECK(next[0].src == kRcoa2);
  h.answer(next[0]);
  auto st = h.mn.state(h.now);
  REQUIRE(st.held_down.size() == 1);
  CHECK(st.held_down[0].map == kMap1);
  CHECK(st.chosen_map == kMap2);
  CHECK(h.mn.counters().ba_refused == 1);
  // After the hold-down MAP1 (the furthest) is chosen again (eager).
  h.clear();
  h.advance(kRefusedMapHoldDown);
  const auto back = h.take<SendBu>();
  REQUIRE(back.size() == 1);
  CHECK(back[0].dst == kMap1);
}

TEST_CASE("the only MAP refusing: no HMIPv6 while it is held down", "[mn]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  h.answer(h.take<SendBu>().at(0), wire::ba_status::kNotHomeSubnet);
  const auto st = h.mn.state(h.now);
  CHECK_FALSE(st.hmipv6_active);
  CHECK(st.status.find("no HMIPv6") == 0);
  CHECK(st.interfaces.at(0).maps.at(0).status == MapStatus::held_down);
}

TEST_CASE("refresh at RefreshPercent of the granted lifetime, counted from when the BU was sent", "[mn]") {
  auto cfg = mn_cfg();
  cfg.refresh_percent = 20;
  Harness h(cfg);
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  const TimePoint sent = h.now;
  const auto bu = h.take<SendBu>().at(0);
  h.now += milliseconds(700);  // the BA arrives 0.7 s later, granting 400 s
  h.answer(bu, 0, 100);
  CHECK(h.mn.poll_timeout() == sent + seconds(320));
  CHECK(h.mn.state(h.now).bul.at(0).expires_in == seconds(400) - milliseconds(700));
  h.run_until(sent + seconds(320) - milliseconds(1));
  CHECK(h.take<SendBu>().empty());
  h.run_until(sent + seconds(320));
  const auto r = h.take<SendBu>();
  REQUIRE(r.size() == 1);
  CHECK(r[0].src == kRcoa1);
  CHECK(r[0].bu.lifetime == 150);
}

TEST_CASE("an unanswered refresh lets the binding expire: removed, then registered anew", "[mn]") {
  Harness h;
  h.register_map1();
  h.run_until(h.now + seconds(600) - milliseconds(1));
  CHECK(h.take<RemoveBinding>().empty());
  h.clear();
  h.advance(milliseconds(1));
  CHECK(h.take<RemoveBinding>().size() == 1);
  CHECK(h.mn.counters().bindings_expired == 1);
  CHECK(h.take<SendBu>().size() == 1);  // a new registration at once
}

TEST_CASE("a BRR from the MAP is answered with a BU; others are ignored", "[mn]") {
  Harness h;
  h.register_map1();
  h.give_mh(kMap1, kRcoa1, wire::BindingRefreshRequest{});
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kMap1);
  CHECK(bus[0].bu.lifetime == 150);
  h.give_mh(kMap2, kRcoa1, wire::BindingRefreshRequest{});
  CHECK(h.take<SendBu>().empty());
  CHECK(h.mn.counters().brr_answered == 1);
  CHECK(h.mn.counters().brr_ignored == 1);
}

TEST_CASE("a Binding Error is logged and counted", "[mn]") {
  Harness h;
  h.register_map1();
  wire::BindingError be;
  be.status = wire::be_status::kUnrecognizedMhType;
  h.give_mh(kMap1, std::nullopt, be);
  CHECK(h.logged(LogLevel::warning, "status 2"));
  CHECK(h.mn.counters().be_received == 1);
  h.give_mh(kMap1, kRcoa1, wire::BindingUpdate{});
  CHECK(h.mn.counters().mh_ignored == 1);
}

TEST_CASE("stop: one lifetime-0 BU, kernel state removed on the BA or after the timeout", "[mn]") {
  SECTION("answered") {
    Harness h;
    h.register_map1();
    h.mn.handle_stop(h.now);
    h.drain();
    const auto bus = h.take<SendBu>();
    REQUIRE(bus.size() == 1);
    CHECK(bus[0].bu.lifetime == 0);
    CHECK(bus[0].src == kRcoa1);
    CHECK_FALSE(h.mn.finished());
    h.answer(bus[0], 0, 0);
    CHECK(h.take<RemoveBinding>().size() == 1);
    CHECK(h.mn.finished());
    CHECK_FALSE(h.mn.poll_timeout());
  }
  SECTION("unanswered: one attempt only") {
    Harness h;
    h.register_map1();
    h.mn.handle_stop(h.now);
    h.drain();
    CHECK(h.take<SendBu>().size() == 1);
    h.advance(milliseconds(999));
    CHECK_FALSE(h.mn.finished());
    h.advance(milliseconds(1));
    CHECK(h.take<SendBu>().empty());
    CHECK(h.take<RemoveBinding>().size() == 1);
    CHECK(h.mn.finished());
    CHECK(h.kernel.empty());
  }
  SECTION("DeregisterOnStop off") {
    auto cfg = mn_cfg();
    cfg.deregister_on_stop = false;
    Harness h(cfg);
    h.register_map1();
    h.mn.handle_stop(h.now);
    h.drain();
    CHECK(h.take<SendBu>().empty());
    CHECK(h.take<RemoveBinding>().size() == 1);
    CHECK(h.mn.finished());
  }
}
