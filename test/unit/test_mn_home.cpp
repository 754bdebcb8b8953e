// The mobile node's home registration through a MAP (hmip/mn/mobile_node.h,
// lib/mn/mn_home.cpp; RFC 5380 §6.1, RFC 6275 §11): the home BU after the
// MAP's BA, its flags and lifetime, retransmission, every answer of the HA,
// intra- and inter-MAP moves, the stop. Virtual time only.
#include "test_mn_home_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

constexpr auto npos = std::string::npos;

/// Seconds left of the current MAP binding (what the MAP granted, remaining).
std::int64_t map_left(const Harness& h) {
  for (const auto& e : h.mn.state(h.now).bul)
    if (e.role == BindingRole::current && e.expires_in)
      return std::chrono::duration_cast<seconds>(*e.expires_in).count();
  return -1;
}

/// Seconds a BU asks for.
std::int64_t asked_s(const SendBu& b) { return std::int64_t{b.bu.lifetime} * 4; }

}  // namespace

TEST_CASE("home BU after the MAP's BA: home binding installed first, H and A set, M clear, care-of = RCoA",
          "[home]") {
  Harness h(home_cfg());
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK_FALSE(bus[0].bu.home_registration);
  CHECK(h.take<InstallHomeBinding>().empty());  // RFC 5380 §6.1: after the MAP's BA
  h.advance(milliseconds(1400));
  CHECK(h.mn.counters().home_bu_sent == 0);
  h.clear();

  h.answer(bus[0]);  // 150 units granted at kT0, answered 1.4 s later
  const auto ki = first_index<InstallHomeBinding>(h);
  const auto kb = first_home_bu(h);
  REQUIRE(ki != npos);
  REQUIRE(kb != npos);
  CHECK(ki < kb);
  const auto inst = h.take<InstallHomeBinding>();
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].key == HomeKey{kHa, kHome});
  HomeSettings want;
  want.coa = kRcoa1;
  want.via = BindingKey{kMap1, kRcoa1};
  want.tunnel_mtu = 1420;  // 1500 - 40 (MAP tunnel) - 40 (HA tunnel)
  CHECK(inst[0].settings == want);
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].src == kHome);
  CHECK(hb[0].dst == kHa);
  CHECK(hb[0].lcoa == kRcoa1);
  CHECK(hb[0].bu.home_registration);
  CHECK(hb[0].bu.ack);
  CHECK_FALSE(hb[0].bu.map_registration);
  CHECK_FALSE(hb[0].bu.link_local_compat);  // ::10 is not the link-local's identifier
  CHECK(hb[0].bu.options.empty());
  CHECK(hb[0].bu.lifetime == 149);  // 598.6 s of the MAP's 600 s left, rounded down
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registering);

  // First registration: InitialBindackTimeoutFirstReg (the HA runs DAD).
  h.advance(milliseconds(1499));
  CHECK(home_bus(h.take<SendBu>()).empty());
  h.advance(milliseconds(1));
  const auto re = home_bus(h.take<SendBu>());
  REQUIRE(re.size() == 1);
  CHECK(re[0].bu.sequence == static_cast<std::uint16_t>(hb[0].bu.sequence + 1));
  CHECK(asked_s(re[0]) <= map_left(h));
  CHECK(h.mn.counters().home_bu_retransmitted == 1);

  answer_home(h, hb[0]);  // the first BU's sequence: no longer outstanding
  CHECK(h.mn.counters().home_ba_ignored == 1);
  answer_home(h, re[0]);
  CHECK(h.mn.counters().home_ba_accepted == 1);
  const auto st = h.mn.state(h.now);
  REQUIRE(st.home);
  CHECK(st.home->status == HomeStatus::registered);
  CHECK(st.home->coa == kRcoa1);
  CHECK(st.home->via_map == kMap1);
  CHECK_FALSE(st.home->plain_mode);
  CHECK(st.home->granted_lifetime == re[0].bu.lifetime * 4U);
  CHECK(st.home->tunnel_mtu == 1420);
  CHECK(h.violations.empty());
}

TEST_CASE("home lifetime: never above what the MAP granted; a shorter MAP grant shortens the next home BU",
          "[home]") {
  Harness h(home_cfg());
  const auto hb = register_map1_home(h, 25);  // the MAP grants 100 s
  CHECK(hb.bu.lifetime == 25);
  h.clear();
  answer_home(h, hb);
  CHECK(h.mn.state(h.now).home->granted_lifetime == 100);

  // The HA grants more than asked: the node keeps what it asked for.
  Harness g(home_cfg());
  const auto gb = register_map1_home(g, 25);
  g.clear();
  answer_home(g, gb, 0, 150);
  CHECK(g.mn.state(g.now).home->granted_lifetime == 100);

  // Every home BU over the next hour (refreshes of both) fits in the MAP's
  // grant, as it stands when the BU leaves.
  const TimePoint end = h.now + std::chrono::hours(1);
  while (h.now < end) {
    const auto d = h.mn.poll_timeout();
    REQUIRE(d);
    h.run_until(*d);
    answer_all(h, 25, [&](const SendBu& b) {
      if (b.bu.home_registration) CHECK(asked_s(b) <= map_left(h));
    });
  }
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);

  // The MAP refreshes with less (40 s): the next home BU (a BRR here) asks
  // for no more than that.
  Harness s(home_cfg());
  register_home(s);
  s.advance(seconds(480));  // both refreshes due at 80 % of 600 s: the home one waits for the MAP's BA
  answer_all(s, 10, [&](const SendBu& b) {
    if (b.bu.home_registration) CHECK(b.bu.lifetime <= 10);
  });
  s.give_mh(kHa, kHome, wire::BindingRefreshRequest{}, kHome);
  const auto br = home_bus(s.take<SendBu>());
  REQUIRE(br.size() == 1);
  CHECK(br[0].bu.lifetime <= 10);
  CHECK(s.mn.counters().home_brr_answered == 1);
  CHECK(s.violations.empty());
}

TEST_CASE("home BU retransmission: 1.5, 3, 6 ... s up to MaxBindackTimeout, a new sequence number each",
          "[home]") {
  Harness h(home_cfg());
  const auto first = register_map1_home(h, 0xffff);
  h.clear();
  TimePoint last = h.now;
  std::uint16_t seq = first.bu.sequence;
  const std::vector<Duration> gaps{milliseconds(1500), seconds(3), seconds(6), seconds(12), seconds(24), seconds(32),
                                   seconds(32)};
  for (const auto gap : gaps) {
    h.run_until(last + gap - milliseconds(1));
    CHECK(home_bus(h.take<SendBu>()).empty());
    h.run_until(last + gap);
    const auto b = home_bus(h.take<SendBu>());
    REQUIRE(b.size() == 1);
    CHECK(b[0].bu.sequence == static_cast<std::uint16_t>(seq + 1));
    seq = b[0].bu.sequence;
    last = h.now;
    h.clear();
  }
  CHECK(h.mn.counters().home_bu_retransmitted == gaps.size());
}

TEST_CASE("home BA checks: another source, no RH2, another sequence are ignored (RFC 6275 §11.7.3)", "[home]") {
  Harness h(home_cfg());
  const auto hb = register_map1_home(h);
  h.clear();
  const auto map_bas = h.mn.counters().ba_received;
  h.give_mh(kHa2, kHome, ba(hb.bu.sequence));                 // not the HA
  h.give_mh(kHa, std::nullopt, ba(hb.bu.sequence), kHome);    // away without RH2
  h.give_mh(kHa, kHome, ba(static_cast<std::uint16_t>(hb.bu.sequence + 7)), kHome);  // no such BU
  CHECK(h.mn.counters().home_ba_ignored == 3);
  CHECK(h.mn.counters().home_ba_accepted == 0);
  CHECK(h.mn.counters().ba_received == map_bas);  // none reached the MAP path
  answer_home(h, hb);
  CHECK(h.mn.counters().home_ba_accepted == 1);
}

TEST_CASE("home status 135: continue after the HA's sequence number at once", "[home]") {
  Harness h(home_cfg());
  const auto hb = register_map1_home(h);
  h.clear();
  h.give_mh(kHa, kHome, ba(4711, wire::ba_status::kSequenceNumberOutOfWindow), kHome);
  const auto b = home_bus(h.take<SendBu>());
  REQUIRE(b.size() == 1);
  CHECK(b[0].bu.sequence == 4712);
  CHECK(b[0].bu.lifetime == hb.bu.lifetime);
  CHECK(h.mn.counters().home_sequence_resyncs == 1);
  answer_home(h, b[0]);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
}

TEST_CASE("home status 134: the home address is in use at home: held down loudly, backing off, no storm",
          "[home]") {
  Harness h(home_cfg());
  const auto hb = register_map1_home(h);
  h.clear();
  answer_home(h, hb, wire::ba_status::kDuplicateAddressDetectionFailed);
  CHECK(h.logged(LogLevel::error, "in use on the home link"));
  CHECK(h.take<RemoveHomeBinding>() == std::vector<RemoveHomeBinding>{RemoveHomeBinding{HomeKey{kHa, kHome}}});
  CHECK(h.mn.counters().home_dad_failures == 1);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::held_down);
  h.clear();
  const TimePoint refused = h.now;
  h.run_until(refused + seconds(30) - milliseconds(1));
  CHECK(home_bus(h.take<SendBu>()).empty());
  h.run_until(refused + seconds(30));
  CHECK(h.take<InstallHomeBinding>().size() == 1);
  const auto again = home_bus(h.take<SendBu>());
  REQUIRE(again.size() == 1);
  h.clear();
  answer_home(h, again[0], wire::ba_status::kDuplicateAddressDetectionFailed);  // still: 60 s now
  h.clear();
  h.run_until(h.now + seconds(60) - milliseconds(1));
  CHECK(home_bus(h.take<SendBu>()).empty());
  h.advance(milliseconds(1));
  const auto third = home_bus(h.take<SendBu>());
  REQUIRE(third.size() == 1);
  answer_home(h, third[0]);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  CHECK(h.mn.counters().home_bu_sent == 3);
  CHECK(h.violations.empty());
}

TEST_CASE("home refusals (129 ... 133, 128, 139): held down with backoff, the MAP binding kept", "[home]") {
  for (const std::uint8_t status : {wire::ba_status::kReasonUnspecified, wire::ba_status::kAdministrativelyProhibited,
                                    wire::ba_status::kInsufficientResources,
                                    wire::ba_status::kHomeRegistrationNotSupported, wire::ba_status::kNotHomeSubnet,
                                    wire::ba_status::kNotHomeAgentForThisMobileNode,
                                    wire::ba_status::kRegistrationTypeChangeDisallowed}) {
    CAPTURE(status);
    Harness h(home_cfg());
    const auto hb = register_map1_home(h);
    h.clear();
    answer_home(h, hb, status);
    CHECK(h.mn.counters().home_ba_refused == 1);
    CHECK(h.take<RemoveHomeBinding>().size() == 1);
    CHECK(h.take<RemoveBinding>().empty());  // the MAP binding stays: local mobility goes on
    const auto st = h.mn.state(h.now);
    CHECK(st.home->status == HomeStatus::held_down);
    CHECK(st.home->held_down_for == seconds(30));
    CHECK(st.home->last_status == status);
    h.advance(seconds(29));
    CHECK(home_bus(h.take<SendBu>()).empty());
    h.advance(seconds(1));
    const auto again = home_bus(h.take<SendBu>());
    REQUIRE(again.size() == 1);
    answer_home(h, again[0], status);
    CHECK(h.mn.state(h.now).home->held_down_for == seconds(60));
  }
}

TEST_CASE("a BRR from the HA is answered with a home BU; BRRs of others go to the MAP path", "[home]") {
  Harness h(home_cfg());
  register_home(h);
  h.give_mh(kHa, kHome, wire::BindingRefreshRequest{}, kHome);
  const auto b = home_bus(h.take<SendBu>());
  REQUIRE(b.size() == 1);
  CHECK(b[0].dst == kHa);
  CHECK(b[0].lcoa == kRcoa1);
  CHECK(h.mn.counters().home_brr_answered == 1);
  h.give_mh(kHa, kHome, wire::BindingRefreshRequest{}, kHome);  // a BU outstanding: not another
  CHECK(h.take<SendBu>().empty());
  h.give_mh(kMap1, kRcoa1, wire::BindingRefreshRequest{});  // the MAP's: a MAP BU
  const auto m = h.take<SendBu>();
  REQUIRE(m.size() == 1);
  CHECK_FALSE(m[0].bu.home_registration);
}

TEST_CASE("Binding Error from the HA: 1 re-registers at once, 2 holds the HA down (RFC 6275 §11.3.6)", "[home]") {
  SECTION("status 1: the HA lost the binding") {
    Harness h(home_cfg());
    register_home(h);
    wire::BindingError be;
    be.status = wire::be_status::kUnknownBindingForHomeAddressDestOption;
    be.home_address = kHome;
    h.give_mh(kHa, std::nullopt, be, kRcoa1);
    const auto b = home_bus(h.take<SendBu>());
    REQUIRE(b.size() == 1);
    CHECK(b[0].lcoa == kRcoa1);
    CHECK(h.mn.counters().home_be_received == 1);
    h.clear();
    h.advance(milliseconds(1500));  // a first registration's timeout
    CHECK(home_bus(h.take<SendBu>()).size() == 1);
  }
  SECTION("status 2: no Mobile IPv6 there") {
    Harness h(home_cfg());
    register_home(h);
    wire::BindingError be;
    be.status = wire::be_status::kUnrecognizedMhType;
    h.give_mh(kHa, std::nullopt, be, kRcoa1);
    CHECK(h.logged(LogLevel::error, "does not implement Mobile IPv6"));
    CHECK(h.take<RemoveHomeBinding>().size() == 1);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::held_down);
    CHECK(h.take<RemoveBinding>().empty());
  }
}

TEST_CASE("home refresh at RefreshPercent of the granted lifetime; unanswered: expiry, registered anew", "[home]") {
  Harness h(home_cfg());
  const auto hb = register_map1_home(h, 0xffff);  // the MAP grants 262140 s
  CHECK(hb.bu.lifetime == 150);                     // BindingLifetime 600
  h.clear();
  const TimePoint sent = h.now;
  answer_home(h, hb);
  h.run_until(sent + seconds(480) - milliseconds(1));
  CHECK(home_bus(h.take<SendBu>()).empty());
  h.run_until(sent + seconds(480));
  const auto r = home_bus(h.take<SendBu>());
  REQUIRE(r.size() == 1);
  CHECK(r[0].bu.lifetime == 150);
  h.clear();
  h.run_until(sent + seconds(600));  // unanswered refreshes (1, 2, 4 ... s): expired
  CHECK(h.mn.counters().home_expired == 1);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registering);
}

TEST_CASE("intra-MAP move: no home BU at all (the HA never hears of it)", "[home]") {
  Harness h(home_cfg());
  register_home(h);
  const auto sent_before = h.mn.counters().home_bu_sent;
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}));
  h.set_link(link(true, {kLcoa1, kLcoa2}, true));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kMap1);
  CHECK(bus[0].lcoa == kLcoa2);
  h.answer(bus[0]);
  CHECK(h.mn.counters().intra_map_moves == 1);
  CHECK(h.take<InstallHomeBinding>().empty());  // same RCoA, same MTU
  CHECK(home_bus(h.take<SendBu>()).empty());
  CHECK(h.mn.counters().home_bu_sent == sent_before);
  CHECK(h.mn.state(h.now).home->coa == kRcoa1);
  CHECK(h.violations.empty());
}

TEST_CASE("inter-MAP move: exactly one home BU with the new RCoA, after the new MAP's BA", "[home]") {
  Harness h(home_cfg());
  register_home(h);
  const auto sent_before = h.mn.counters().home_bu_sent;
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa3}, true));
  h.clear();
  h.give_ra(kAr3, ra(kPfx3, {map_opt(kMap2, 1, 10)}));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 2);  // the previous MAP's short BU and the new MAP's
  CHECK(h.take<InstallHomeBinding>().empty());
  CHECK(h.mn.counters().home_bu_sent == sent_before);
  h.answer(bus[0]);
  h.clear();
  h.answer(bus[1]);
  const auto ki = first_index<InstallHomeBinding>(h);
  const auto kb = first_home_bu(h);
  REQUIRE(ki != npos);
  REQUIRE(kb != npos);
  CHECK(ki < kb);
  const auto inst = h.take<InstallHomeBinding>();
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].settings.coa == kRcoa2);
  CHECK(inst[0].settings.via == BindingKey{kMap2, kRcoa2});
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].lcoa == kRcoa2);
  CHECK(asked_s(hb[0]) <= map_left(h));
  answer_home(h, hb[0]);
  CHECK(h.mn.counters().home_bu_sent == sent_before + 1);
  CHECK(h.mn.counters().home_coa_changes == 1);
  // The previous MAP's binding lapses as before (§9 lazy): no home BU for it.
  h.clear();
  h.advance(seconds(30));
  CHECK(home_bus(h.take<SendBu>()).empty());
  CHECK(h.mn.state(h.now).bul.size() == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("return home: home binding at_home first, lifetime-0 BU from the home address, MAP binding lapses",
          "[home]") {
  Harness h(home_cfg());
  register_home(h);
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kHome}));
  h.clear();
  h.give_ra(kHomeRouter, home_ra());
  CHECK(h.mn.counters().returns_home == 1);
  const auto ki = first_index<InstallHomeBinding>(h);
  const auto kb = first_home_bu(h);
  REQUIRE(ki != npos);
  REQUIRE(kb != npos);
  CHECK(ki < kb);
  const auto inst = h.take<InstallHomeBinding>();
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].key == HomeKey{kHa, kHome});
  CHECK(inst[0].settings.mode == HomeMode::at_home);
  CHECK(inst[0].settings.ifindex == static_cast<int>(kIf));
  CHECK(inst[0].settings.prefix_len == 64);
  CHECK_FALSE(inst[0].settings.via);
  const auto all = h.take<SendBu>();
  const auto hb = home_bus(all);
  // The previous MAP forwards what is in flight to the address on the home link.
  const auto mb = map_bus(all);
  REQUIRE(mb.size() == 1);
  CHECK(mb[0].bu.lifetime == 3);
  h.answer(mb[0]);
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].src == kHome);
  CHECK(hb[0].lcoa == kHome);  // care-of = home address: no HAO (RFC 6275 §11.5.5)
  CHECK(hb[0].bu.lifetime == 0);
  CHECK(hb[0].bu.home_registration);
  // The MAP binding: no new one, the current one demoted (never refreshed).
  const auto st0 = h.mn.state(h.now);
  CHECK_FALSE(st0.hmipv6_active);
  REQUIRE(st0.bul.size() == 1);
  CHECK(st0.bul[0].role == BindingRole::previous);

  h.clear();
  answer_home(h, hb[0]);  // straight to the home address, no RH2
  CHECK(h.mn.counters().home_deregistrations == 1);
  CHECK(h.take<RemoveHomeBinding>().empty());  // the at_home state stays: the home address in use
  // The home link's neighbours learn the node's own link-layer address
  // (RFC 6275 §11.5.5): one unsolicited NA for the home address there.
  const auto na = h.take<AnnounceHomeAddress>();
  REQUIRE(na.size() == 1);
  CHECK(na[0].address == kHome);
  CHECK(na[0].ifindex == static_cast<unsigned>(inst[0].settings.ifindex));
  const auto st = h.mn.state(h.now);
  CHECK(st.home->status == HomeStatus::at_home);
  CHECK(st.home->coa == kHome);
  h.advance(seconds(3600));
  CHECK(h.take<SendBu>().empty());
  CHECK(h.mn.state(h.now).bul.empty());  // the MAP binding expired
  CHECK(h.violations.empty());

  // Leaving home again: away registration through MAP1.
  h.set_link(link(false, {kHome}));
  h.set_link(link(true, {kLcoa1}));
  h.clear();
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  const auto reg = h.take<SendBu>();
  REQUIRE(reg.size() == 1);
  h.clear();
  h.answer(reg[0]);
  const auto away = h.take<InstallHomeBinding>();
  REQUIRE(away.size() == 1);
  CHECK(away[0].settings.mode == HomeMode::away);
  CHECK(away[0].settings.coa == kRcoa1);
  const auto again = home_bus(h.take<SendBu>());
  REQUIRE(again.size() == 1);
  CHECK(again[0].lcoa == kRcoa1);
  CHECK(again[0].bu.lifetime > 0);
  CHECK(h.violations.empty());
}

TEST_CASE("return home unanswered: the deregistration backs off up to MaxBindackTimeout, then is given up",
          "[home]") {
  Harness h(home_cfg());
  register_home(h);
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kHome}));
  h.give_ra(kHomeRouter, home_ra());
  h.clear();
  h.advance(seconds(200));
  const auto re = home_bus(h.take<SendBu>());
  CHECK(re.size() == 5);  // after 1, 2, 4, 8, 16 s; then 32 s for the last answer
  for (const auto& b : re) CHECK(b.bu.lifetime == 0);
  CHECK(h.mn.counters().home_deregistrations == 1);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::at_home);
}

TEST_CASE("starting at home: the home address on the home link, one deregistration (the HA may hold a stale binding)",
          "[home]") {
  Harness h(home_cfg());
  h.set_link(link(true, {kHome}));
  h.give_ra(kHomeRouter, home_ra());
  const auto ki = first_index<InstallHomeBinding>(h);
  const auto kb = first_home_bu(h);
  REQUIRE(ki != npos);
  REQUIRE(kb != npos);
  CHECK(ki < kb);
  const auto inst = h.take<InstallHomeBinding>();
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].settings.mode == HomeMode::at_home);
  // mnd restarted on the home link: the HA may still intercept the home
  // address for a binding from before (RFC 6275 §11.5.5).
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].bu.lifetime == 0);
  CHECK(hb[0].src == kHome);
  CHECK(hb[0].lcoa == kHome);
  h.clear();
  // It had none: 133, harmless; the node stays at home, no more BUs.
  answer_home(h, hb[0], wire::ba_status::kNotHomeAgentForThisMobileNode);
  CHECK(h.logged(LogLevel::info, "nothing to deregister"));
  CHECK(h.take<RemoveHomeBinding>().empty());
  CHECK(h.mn.counters().home_deregistrations == 1);
  h.give_ra(kHomeRouter, home_ra());
  h.advance(seconds(600));
  CHECK(h.take<SendBu>().empty());
  CHECK(h.take<InstallHomeBinding>().empty());
  CHECK(h.mn.state(h.now).home->status == HomeStatus::at_home);
  CHECK(h.violations.empty());

  // HomeAgent discover: no HA known at home, nothing to deregister.
  Harness d(home_cfg(true, true));
  d.set_link(link(true, {kHome}));
  d.give_ra(kHomeRouter, home_ra());
  CHECK(d.take<SendBu>().empty());
  CHECK(d.take<SendDhaadRequest>().empty());
}

TEST_CASE("stop: the home binding deregistered first, the MAP binding after its BA (or the timeout)", "[home]") {
  SECTION("answered") {
    Harness h(home_cfg());
    register_home(h);
    h.mn.handle_stop(h.now);
    h.drain();
    const auto bus = h.take<SendBu>();
    REQUIRE(bus.size() == 1);
    CHECK(bus[0].bu.home_registration);
    CHECK(bus[0].bu.lifetime == 0);
    CHECK(bus[0].lcoa == kRcoa1);  // away: from the care-of address with HAO
    CHECK_FALSE(h.mn.finished());
    CHECK(h.mn.state(h.now).status == "stopping: deregistering the home address");
    h.clear();
    answer_home(h, bus[0]);
    CHECK(h.take<RemoveHomeBinding>().size() == 1);
    const auto m = h.take<SendBu>();
    REQUIRE(m.size() == 1);
    CHECK(m[0].dst == kMap1);
    CHECK(m[0].bu.lifetime == 0);
    CHECK_FALSE(h.mn.finished());
    h.answer(m[0], 0, 0);
    CHECK(h.mn.finished());
    CHECK_FALSE(h.home_kernel);
    CHECK(h.kernel.empty());
  }
  SECTION("unanswered") {
    Harness h(home_cfg());
    register_home(h);
    h.mn.handle_stop(h.now);
    h.drain();
    h.clear();
    h.advance(milliseconds(999));
    CHECK(h.take<RemoveHomeBinding>().empty());
    h.advance(milliseconds(1));
    CHECK(h.take<RemoveHomeBinding>().size() == 1);
    CHECK(map_bus(h.take<SendBu>()).size() == 1);
    h.advance(seconds(1));
    CHECK(h.mn.finished());
  }
  SECTION("DeregisterOnStop off") {
    auto cfg = home_cfg();
    cfg.deregister_on_stop = false;
    Harness h(cfg);
    register_home(h);
    h.mn.handle_stop(h.now);
    h.drain();
    CHECK(h.take<SendBu>().empty());
    CHECK(h.take<RemoveHomeBinding>().size() == 1);
    CHECK(h.mn.finished());
  }
}

TEST_CASE("home refresh waits for the MAP's refresh: one home refresh per MAP refresh, each with a full grant",
          "[home]") {
  Harness h(home_cfg());  // both lifetimes 600 s: the home refresh falls due just before the MAP's
  register_home(h);
  const auto home_before = h.mn.counters().home_bu_sent;
  const auto map_before = h.mn.counters().bu_sent;
  const TimePoint end = h.now + std::chrono::hours(2);
  while (h.now < end) {
    const auto d = h.mn.poll_timeout();
    REQUIRE(d);
    h.run_until(*d);
    h.now += milliseconds(30);  // the answers take 30 ms
    answer_all(h, std::nullopt, [&](const SendBu& b) {
      if (!b.bu.home_registration) return;
      CHECK(b.bu.lifetime >= 140);  // the MAP's fresh grant, not what was left of the old one
      CHECK(asked_s(b) <= map_left(h));
    });
  }
  const auto map_refreshes = h.mn.counters().bu_sent - map_before;
  const auto home_refreshes = h.mn.counters().home_bu_sent - home_before;
  CHECK(map_refreshes >= 14);
  CHECK(home_refreshes <= map_refreshes + 1);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  CHECK(h.mn.counters().home_expired == 0);
}
