// The mobile node's home registration when things go wrong (review of issue
// 14, items 5, 11c, 13): no home BU without its home binding installed, a
// home binding the kernel refused, forged status-135 BAs (insecure mode).
// Virtual time only.
#include "test_mn_home_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

constexpr auto npos = std::string::npos;

/// The RA of AR1 saying MAP1 failed (Valid Lifetime 0) and offering MAP2.
wire::RouterAdvertisement map1_failed_map2_offered() {
  return ra(kPfx1, {map_opt(kMap1, 2, 10, 0), map_opt(kMap2, 1, 10)});
}

}  // namespace

TEST_CASE("no home BU without the home binding installed: a BRR or a due refresh after the MAP binding went",
          "[home]") {
  Harness h(home_cfg());
  const auto hb = register_home(h);
  // MAP1 fails; MAP2 is asked but does not answer yet, so there is nothing
  // to register from: the home binding (nested in MAP1) went first.
  h.give_ra(kAr1, map1_failed_map2_offered());
  CHECK(h.take<RemoveHomeBinding>().size() == 1);
  CHECK_FALSE(h.home_kernel);
  const auto map2 = map_bus(h.take<SendBu>());
  REQUIRE(map2.size() == 1);
  CHECK(map2[0].dst == kMap2);
  h.clear();

  // The HA asks for a refresh: nothing to send it from.
  const auto ignored = h.mn.counters().brr_ignored;
  h.give_mh(kHa, kHome, wire::BindingRefreshRequest{}, kHome);
  CHECK(home_bus(h.take<SendBu>()).empty());
  CHECK(h.mn.counters().brr_ignored == ignored + 1);
  CHECK(h.mn.counters().home_brr_answered == 0);
  // The home refresh falls due (80 % of 600 s) while MAP2 stays silent:
  // no home BU either (MAP2's BUs are retransmitted meanwhile).
  h.advance(seconds(500));
  const auto all = h.take<SendBu>();
  CHECK(home_bus(all).empty());
  CHECK(h.violations.empty());

  // MAP2 answers its latest BU: the home binding is installed through it,
  // then one home BU.
  const auto re = map_bus(all);
  REQUIRE_FALSE(re.empty());
  h.clear();
  h.answer(re.back());
  const auto ki = first_index<InstallHomeBinding>(h);
  const auto kb = first_home_bu(h);
  REQUIRE(ki != npos);
  REQUIRE(kb != npos);
  CHECK(ki < kb);
  const auto again = home_bus(h.take<SendBu>());
  REQUIRE(again.size() == 1);
  CHECK(again[0].lcoa == kRcoa2);
  CHECK(again[0].bu.lifetime > 0);
  CHECK(again[0].bu.sequence != hb.bu.sequence);
  CHECK(h.violations.empty());
}

TEST_CASE("a home binding the kernel refuses: nothing sent without it, held down, installed anew afterwards",
          "[home]") {
  SECTION("away") {
    Harness h(home_cfg());
    int failures = 1;
    h.fail_home_install = [&](const InstallHomeBinding&) -> std::optional<std::string> {
      if (failures == 0) return std::nullopt;
      --failures;
      return "File exists";
    };
    h.set_link(link(true, {kLcoa1}));
    h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
    const auto bus = h.take<SendBu>();
    REQUIRE(bus.size() == 1);
    h.clear();
    h.answer(bus[0]);
    // The home BU queued behind the failed install is gone; whatever the
    // kernel kept of the home binding goes first.
    CHECK(home_bus(h.take<SendBu>()).empty());
    CHECK(h.take<RemoveHomeBinding>() == std::vector<RemoveHomeBinding>{RemoveHomeBinding{HomeKey{kHa, kHome}}});
    CHECK(h.logged(LogLevel::error, "could not be installed: File exists"));
    auto st = h.mn.state(h.now);
    CHECK(st.home->status == HomeStatus::held_down);
    CHECK_FALSE(st.home->coa);  // nothing installed, as far as the core knows
    h.clear();
    h.advance(seconds(30) - milliseconds(1));
    CHECK(h.take<InstallHomeBinding>().empty());
    CHECK(home_bus(h.take<SendBu>()).empty());
    h.advance(milliseconds(1));
    CHECK(h.take<InstallHomeBinding>().size() == 1);
    const auto hb = home_bus(h.take<SendBu>());
    REQUIRE(hb.size() == 1);
    CHECK(hb[0].lcoa == kRcoa1);
    answer_home(h, hb[0]);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
    CHECK(h.violations.empty());
  }
  SECTION("an update in place (a new care-of address) refused: the registration starts over") {
    Harness h(home_cfg(false));  // plain mode: a move is a new care-of address
    h.set_link(link(true, {kLcoa1}));
    h.give_ra(kAr1, ra(kPfx1, {}));
    const auto first = home_bus(h.take<SendBu>());
    REQUIRE(first.size() == 1);
    answer_home(h, first[0]);
    h.clear();
    h.fail_home_install = [](const InstallHomeBinding&) -> std::optional<std::string> { return "No buffer space"; };
    h.set_link(link(false, {}));
    h.set_link(link(true, {kLcoa2}));
    h.give_ra(kAr2, ra(kPfx2, {}));
    CHECK(home_bus(h.take<SendBu>()).empty());
    CHECK(h.take<RemoveHomeBinding>().size() == 1);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::held_down);
    // More events during the hold-down: no install attempts.
    h.fail_home_install = nullptr;
    h.clear();
    h.give_ra(kAr2, ra(kPfx2, {}));
    h.advance(seconds(29));
    CHECK(h.take<InstallHomeBinding>().empty());
    CHECK(home_bus(h.take<SendBu>()).empty());
    h.advance(seconds(1));
    CHECK(h.take<InstallHomeBinding>().size() == 1);
    const auto hb = home_bus(h.take<SendBu>());
    REQUIRE(hb.size() == 1);
    CHECK(hb[0].lcoa == kLcoa2);
    CHECK(h.violations.empty());
  }
  SECTION("at home: no deregistration from an address not there, retried after the hold-down") {
    Harness h(home_cfg());
    h.fail_home_install = [](const InstallHomeBinding&) -> std::optional<std::string> { return "Permission denied"; };
    h.set_link(link(true, {kHome}));
    h.give_ra(kHomeRouter, home_ra());
    CHECK(home_bus(h.take<SendBu>()).empty());
    CHECK(h.take<RemoveHomeBinding>().size() == 1);
    h.clear();
    h.give_ra(kHomeRouter, home_ra());
    CHECK(h.take<InstallHomeBinding>().empty());  // held down: not at every RA
    h.fail_home_install = nullptr;
    h.advance(seconds(30));
    const auto inst = h.take<InstallHomeBinding>();
    REQUIRE(inst.size() == 1);
    CHECK(inst[0].settings.mode == HomeMode::at_home);
    const auto hb = home_bus(h.take<SendBu>());
    REQUIRE(hb.size() == 1);
    CHECK(hb[0].bu.lifetime == 0);
    CHECK(h.violations.empty());
  }
}

TEST_CASE("status 135 only resyncs: forged 135s hold the registration down but never take the home binding down",
          "[home]") {
  Harness h(home_cfg());
  register_home(h);
  REQUIRE(h.home_kernel);
  h.give_mh(kHa, kHome, wire::BindingRefreshRequest{}, kHome);  // a home BU outstanding
  auto out = home_bus(h.take<SendBu>());
  REQUIRE(out.size() == 1);
  h.clear();
  // A 135 whose number is below the outstanding BU's cannot be the HA's
  // answer to it (RFC 6275 §9.5.1): ignored.
  const auto ignored = h.mn.counters().home_ba_ignored;
  h.give_mh(kHa, kHome, ba(static_cast<std::uint16_t>(out[0].bu.sequence - 1), wire::ba_status::kSequenceNumberOutOfWindow),
            kHome);
  CHECK(h.mn.counters().home_ba_ignored == ignored + 1);
  CHECK(home_bus(h.take<SendBu>()).empty());
  // Away, a 135 without the home address in a type 2 routing header: ignored.
  h.give_mh(kHa, std::nullopt, ba(out[0].bu.sequence, wire::ba_status::kSequenceNumberOutOfWindow), kHome);
  CHECK(h.mn.counters().home_ba_ignored == ignored + 2);
  CHECK(h.mn.counters().home_sequence_resyncs == 0);

  // A forger's 135s, each a plausible number: resyncs, then a rest.
  for (unsigned k = 0; k <= kMaxSequenceResyncs; ++k) {
    h.give_mh(kHa, kHome, ba(static_cast<std::uint16_t>(out[0].bu.sequence + 10), wire::ba_status::kSequenceNumberOutOfWindow),
              kHome);
    out = home_bus(h.take<SendBu>());
    if (k < kMaxSequenceResyncs) REQUIRE(out.size() == 1);
  }
  CHECK(out.empty());
  CHECK(h.mn.counters().home_sequence_resyncs == kMaxSequenceResyncs + 1);
  CHECK(h.take<RemoveHomeBinding>().empty());
  CHECK(h.home_kernel);  // the home binding's kernel state stays
  const auto st = h.mn.state(h.now);
  CHECK(st.home->status == HomeStatus::held_down);
  CHECK(st.home->coa == kRcoa1);
  CHECK(st.home->granted_lifetime > 0);  // still registered at the HA
  h.clear();
  // During the rest: no home BU (BRRs ignored).
  h.give_mh(kHa, kHome, wire::BindingRefreshRequest{}, kHome);
  CHECK(home_bus(h.take<SendBu>()).empty());
  // After it: the refresh goes (with the MAP's, as usual), answered by the
  // real HA; the binding never lapses.
  const auto sent = h.mn.counters().home_bu_sent;
  const TimePoint end = h.now + seconds(1200);
  while (h.now < end) {
    const auto d = h.mn.poll_timeout();
    REQUIRE(d);
    h.run_until(*d);
    answer_all(h, std::nullopt, [&](const SendBu& b) {
      if (b.bu.home_registration) {
        CHECK(b.lcoa == kRcoa1);
        CHECK(b.bu.lifetime > 0);
      }
    });
    CHECK(h.mn.state(h.now).home->status != HomeStatus::held_down);
  }
  CHECK(h.mn.counters().home_bu_sent > sent);
  CHECK(h.mn.counters().home_expired == 0);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  CHECK(h.violations.empty());
}
