// The mobile node core in secure mode (RFC 5380 §12; hmip/mn/mn_security.cpp):
// no binding and no BU before charon protects signalling with the MAP; the
// RCoA is the MAP's lease (R = 1); failures hold the MAP down, a lost
// protection takes its bindings and is set up again; a move re-establishes
// IKE from the new LCoA while the BU goes out at once; a previous MAP keeps
// its protection as long as its binding lives. Virtual time only.
#include "test_mn_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

const Ip6Addr kLease2 = Ip6Addr::must("2001:db8:200::1000");

// Up on wlan0 with LCoA1, MAP1 advertised with R = 1, protected, BA accepted.
SendBu secure_register(Harness& h) {
  const auto bu = h.secure_map1();
  h.answer(bu);
  h.clear();
  return bu;
}

}  // namespace

TEST_CASE("secure mode: the RCoA is the MAP's lease, and nothing goes out before the protection", "[mn][ike]") {
  Harness h(secure_cfg());
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));  // R = 0: not for secure mode
  CHECK(h.take<SecureMap>().empty());
  CHECK(h.mn.state(h.now).status ==
        "no HMIPv6: only MAPs with R = 0 advertised (secure mode needs a MAP that allocates RCoAs)");
  CHECK(h.logged(LogLevel::warning, "R = 0: secure mode registers only with MAPs that allocate"));
  h.clear();

  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  CHECK(h.take<SecureMap>() == std::vector<SecureMap>{SecureMap{kMap1, kLcoa1, std::nullopt}});
  CHECK(h.take<InstallBinding>().empty());
  CHECK(h.take<SendBu>().empty());
  const auto st = h.mn.state(h.now);
  CHECK(st.status == "securing signalling with MAP (IKEv2) 2001:db8:100::1");
  REQUIRE(st.ike.size() == 1);
  CHECK_FALSE(st.ike[0].rcoa);
  CHECK(st.ike[0].timeout_in == seconds(5));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));  // asked once
  CHECK(h.take<SecureMap>().empty());

  h.mn.handle_security_up(h.now, kMap1, kLease1);
  h.drain();
  const auto inst = h.take<InstallBinding>();
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].key == BindingKey{kMap1, kLease1});
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].src == kLease1);
  CHECK_FALSE(bus[0].bu.key_mgmt_compat);  // K = 0: the IKE SA does not move with the MN
  h.answer(bus[0]);
  CHECK(h.mn.state(h.now).hmipv6_active);
  CHECK(h.mn.state(h.now).ike.at(0).rcoa == kLease1);
  CHECK(h.mn.counters().ike_requested == 1);
  CHECK(h.mn.counters().ike_established == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("secure mode: no protection within IkeTimeout holds the MAP down, then it is tried again", "[mn][ike]") {
  Harness h(secure_cfg());
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  REQUIRE(h.take<SecureMap>().size() == 1);
  h.advance(seconds(5));
  CHECK(h.take<ReleaseMap>() == std::vector<ReleaseMap>{ReleaseMap{kMap1}});
  CHECK(h.mn.counters().ike_failed == 1);
  REQUIRE(h.mn.state(h.now).held_down.size() == 1);
  CHECK(h.mn.state(h.now).held_down[0].reason.find("IkeTimeout") != std::string::npos);
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  CHECK(h.take<SecureMap>().empty());
  h.advance(kIkeFailureHoldDown);
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  CHECK(h.take<SecureMap>().size() == 1);
  // A late answer for a protection nobody waits for is released.
  h.mn.handle_security_up(h.now, kMap2, kLease2);
  h.drain();
  CHECK(h.take<ReleaseMap>() == std::vector<ReleaseMap>{ReleaseMap{kMap2}});
}

TEST_CASE("secure mode: a refused IKE setup holds the MAP down; a lost one is set up again at once", "[mn][ike]") {
  SECTION("refused") {
    Harness h(secure_cfg());
    h.set_link(link(true, {kLcoa1}));
    h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
    h.clear();
    h.mn.handle_security_down(h.now, kMap1, false, "AUTH_FAILED");
    h.drain();
    CHECK(h.take<ReleaseMap>().size() == 1);
    CHECK(h.take<SecureMap>().empty());
    CHECK(h.mn.state(h.now).held_down.at(0).reason == "IKEv2 failed: AUTH_FAILED");
  }
  SECTION("lost: the MAP restarted") {
    Harness h(secure_cfg());
    secure_register(h);
    h.mn.handle_security_down(h.now, kMap1, true, "IKE SA deleted");
    h.drain();
    CHECK(h.take<RemoveBinding>() == std::vector<RemoveBinding>{RemoveBinding{BindingKey{kMap1, kLease1}}});
    CHECK(h.take<ReleaseMap>() == std::vector<ReleaseMap>{ReleaseMap{kMap1}});
    CHECK(h.take<SecureMap>() == std::vector<SecureMap>{SecureMap{kMap1, kLcoa1, std::nullopt}});
    CHECK(h.mn.counters().ike_lost == 1);
    CHECK(h.mn.state(h.now).held_down.empty());
    CHECK(h.kernel.empty());
    h.mn.handle_security_up(h.now, kMap1, kLease2);  // the new pool leased another address
    h.drain();
    const auto bus = h.take<SendBu>();
    REQUIRE(bus.size() == 1);
    CHECK(bus[0].src == kLease2);
  }
}

TEST_CASE("secure mode: an intra-MAP move sends the BU at once and re-establishes IKE from the new LCoA",
          "[mn][ike]") {
  Harness h(secure_cfg());
  secure_register(h);
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10, 36000, true)}));
  h.clear();
  h.set_link(link(true, {kLcoa1, kLcoa2}, true));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].src == kLease1);
  CHECK(bus[0].lcoa == kLcoa2);
  CHECK(h.take<SecureMap>() == std::vector<SecureMap>{SecureMap{kMap1, kLcoa2, kLease1}});
  CHECK(h.take<ReleaseMap>().empty());
  h.answer(bus[0]);
  const auto moved = h.take<InstallBinding>();  // the tunnel now ends at the new LCoA
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].settings.lcoa == kLcoa2);
  CHECK(h.mn.counters().ike_reestablished == 1);
  h.clear();
  h.mn.handle_security_up(h.now, kMap1, kLease1);  // the re-established CHILD_SA: nothing new
  h.drain();
  CHECK(h.take<SendBu>().empty());
  CHECK(h.take<InstallBinding>().empty());
}

TEST_CASE("secure mode: the previous MAP keeps its protection while its binding lives (RFC 5380 §8)", "[mn][ike]") {
  Harness h(secure_cfg());
  secure_register(h);
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa1, kLcoa3}, true));
  h.give_ra(kAr3, ra(kPfx3, {map_opt(kMap2, 1, 10, 36000, true)}));
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);  // to the previous MAP, from its RCoA, protected by its CHILD_SA
  CHECK(bus[0].dst == kMap1);
  CHECK(bus[0].src == kLease1);
  CHECK(bus[0].lcoa == kLcoa3);
  CHECK(h.take<SecureMap>() == std::vector<SecureMap>{SecureMap{kMap2, kLcoa3, std::nullopt}});
  CHECK(h.take<ReleaseMap>().empty());
  h.answer(bus[0]);
  h.mn.handle_security_up(h.now, kMap2, kLease2);
  h.drain();
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kMap2);
  h.answer(bus[0]);
  h.clear();
  h.advance(seconds(12));  // PreviousMapLifetime 12 s
  CHECK(h.take<ReleaseMap>() == std::vector<ReleaseMap>{ReleaseMap{kMap1}});
  CHECK(h.mn.state(h.now).ike.size() == 1);
}

TEST_CASE("secure mode: a clean stop deregisters under the protection, then releases it", "[mn][ike]") {
  Harness h(secure_cfg());
  secure_register(h);
  h.mn.handle_stop(h.now);
  h.drain();
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(h.take<ReleaseMap>().empty());
  h.answer(bus[0]);
  CHECK(h.take<ReleaseMap>() == std::vector<ReleaseMap>{ReleaseMap{kMap1}});
  CHECK(h.mn.finished());
}
