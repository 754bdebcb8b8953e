// The home registration in secure mode (RFC 4877; lib/mn/mn_home_security.cpp):
// no home BU before the first protection with the HA; IkeTimeout or a
// refusal releases it and holds the registration down; a lost protection is
// set up again with the home binding kept; after a move that changes the
// care-of address the home BU goes at once and the IKE SA is re-established
// from the new care-of address; an intra-MAP move changes nothing; at home
// the deregistration goes under the SA there is, or one from the home
// address; a deregistration answered (or the stop) releases it. Virtual time.
#include "hmip/io/mn_view.h"
#include "test_mn_home_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

const Ip6Addr kLease2 = Ip6Addr::must("2001:db8:200::1000");
constexpr auto npos = std::string::npos;

MndConfig secure_home_cfg(bool hmipv6 = true, bool discover = false) {
  auto c = secure_cfg();
  c.home = home_cfg(hmipv6, discover).home;
  return c;
}

std::vector<SecureHome> secure_home(const Ip6Addr& coa, const Ip6Addr& ha = kHa) {
  return {SecureHome{ha, kHome, coa, false}};
}

const Ip6Addr* acoa(const SendBu& b) {
  const auto* o = wire::find_option<wire::AlternateCareOfAddressOption>(b.bu.options);
  return o == nullptr ? nullptr : &o->care_of_address;
}

// Up on wlan0 with LCoA1, MAP1 (R = 1) protected and its BA accepted: the
// home registration asks for its protection from the lease (no home BU).
void map1_secure(Harness& h) {
  const auto bu = h.secure_map1();
  REQUIRE_FALSE(bu.bu.home_registration);
  h.clear();
  h.answer(bu);
}

// map1_secure, the protection up, the home BU answered; h.out cleared.
SendBu secure_home_register(Harness& h) {
  map1_secure(h);
  REQUIRE(h.take<SecureHome>() == secure_home(kLease1));
  h.clear();
  h.mn.handle_home_security_up(h.now, kHa, kLease1);
  h.drain();
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  h.clear();
  answer_home(h, hb[0]);
  REQUIRE(h.mn.state(h.now).home->status == HomeStatus::registered);
  h.clear();
  return hb[0];
}

}  // namespace

TEST_CASE("secure home: no home BU before the protection, asked for from the RCoA once the MAP accepted it",
          "[home][ike]") {
  Harness h(secure_home_cfg());
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  h.mn.handle_security_up(h.now, kMap1, kLease1);
  h.drain();
  const auto mbu = h.take<SendBu>();
  REQUIRE(mbu.size() == 1);
  CHECK(h.take<SecureHome>().empty());  // the MAP's BA first (RFC 5380 §6.1)
  h.clear();
  h.answer(mbu[0]);
  CHECK(h.take<SecureHome>() == secure_home(kLease1));
  CHECK(home_bus(h.take<SendBu>()).empty());
  CHECK(h.take<InstallHomeBinding>().empty());
  auto v = *h.mn.state(h.now).home;
  CHECK(v.protection == HomeProtection::setting_up);
  CHECK(v.ike_coa == kLease1);
  CHECK(v.ike_timeout_in == seconds(5));
  // Asked once; a BRR meanwhile is not answered (it could only go in clear).
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  h.give_mh(kHa, kHome, wire::BindingRefreshRequest{});
  CHECK(h.take<SecureHome>().empty());
  CHECK(home_bus(h.take<SendBu>()).empty());
  h.clear();

  h.mn.handle_home_security_up(h.now, kHa, kLease1);
  h.drain();
  const auto ki = first_index<InstallHomeBinding>(h);
  const auto kb = first_home_bu(h);
  REQUIRE(ki != npos);
  REQUIRE(kb != npos);
  CHECK(ki < kb);
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].lcoa == kLease1);
  CHECK(hb[0].src == kHome);
  CHECK_FALSE(hb[0].bu.key_mgmt_compat);  // K = 0: the IKE SA does not move with the node
  // ESP covers the Alternate Care-of Address option, not the HAO (RFC 4877 §4).
  REQUIRE(acoa(hb[0]) != nullptr);
  CHECK(*acoa(hb[0]) == kLease1);
  answer_home(h, hb[0]);
  v = *h.mn.state(h.now).home;
  CHECK(v.status == HomeStatus::registered);
  CHECK(v.protection == HomeProtection::up);
  CHECK(v.ike_coa == kLease1);
  CHECK_FALSE(v.ike_moving_to);
  const auto j = io::mnd_show_json("home", h.mn.state(h.now), io::Json());
  CHECK(j["protection"] == "up");
  CHECK(j["ike_coa"] == kLease1.str());
  const auto c = io::mnd_show_json("counters", h.mn.state(h.now), io::Json());
  CHECK(c["home_ike_requested"] == 1);
  CHECK(c["home_ike_established"] == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("secure home: no protection within IkeTimeout releases it and holds the registration down, then retries",
          "[home][ike]") {
  Harness h(secure_home_cfg());
  map1_secure(h);
  REQUIRE(h.take<SecureHome>().size() == 1);
  h.clear();
  h.advance(seconds(5));
  CHECK(h.take<ReleaseHome>() == std::vector<ReleaseHome>{ReleaseHome{kHa}});
  CHECK(h.mn.counters().home_ike_failed == 1);
  auto v = *h.mn.state(h.now).home;
  CHECK(v.status == HomeStatus::held_down);
  CHECK(v.held_down_for == kIkeFailureHoldDown);
  CHECK(v.held_down_reason.find("IkeTimeout") != npos);
  CHECK(v.protection == HomeProtection::none);
  CHECK(h.mn.state(h.now).hmipv6_active);  // the MAP binding (local mobility) is kept
  h.advance(kIkeFailureHoldDown - seconds(1));
  CHECK(h.take<SecureHome>().empty());
  h.advance(seconds(1));
  CHECK(h.take<SecureHome>() == secure_home(kLease1));
  CHECK(h.mn.counters().home_ike_requested == 2);
  // A refusal (authentication failed) does the same; a late answer for
  // nothing waiting is released.
  h.clear();
  h.mn.handle_home_security_down(h.now, kHa, false, "AUTH_FAILED");
  h.drain();
  CHECK(h.take<ReleaseHome>().size() == 1);
  CHECK(h.mn.state(h.now).home->held_down_reason == "IKEv2 with home agent 2001:db8:f00::1 failed: AUTH_FAILED");
  h.mn.handle_home_security_up(h.now, kHa, kLease1);
  h.drain();
  CHECK(h.take<ReleaseHome>() == std::vector<ReleaseHome>{ReleaseHome{kHa}});
  CHECK(home_bus(h.take<SendBu>()).empty());
  CHECK(h.mn.counters().home_ike_established == 0);
}

TEST_CASE("secure home: a lost protection is set up again; the home binding stays, BUs wait, then a refresh",
          "[home][ike]") {
  Harness h(secure_home_cfg());
  secure_home_register(h);
  h.mn.handle_home_security_down(h.now, kHa, true, "IKE SA deleted");
  h.drain();
  CHECK(h.mn.counters().home_ike_lost == 1);
  const auto kr = first_index<ReleaseHome>(h);
  const auto ks = first_index<SecureHome>(h);
  REQUIRE(kr != npos);
  REQUIRE(ks != npos);
  CHECK(kr < ks);
  CHECK(h.take<SecureHome>() == secure_home(kLease1));
  CHECK(h.take<RemoveHomeBinding>().empty());
  REQUIRE(h.home_kernel);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  CHECK(h.mn.state(h.now).home->protection == HomeProtection::setting_up);
  h.clear();
  // The refresh falls due meanwhile (80 % of 600 s): it waits.
  h.advance(seconds(4));
  h.mn.handle_home_security_up(h.now, kHa, kLease1);
  h.drain();
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);  // what waited: the registration refreshed at once
  CHECK(hb[0].bu.lifetime > 0);
  CHECK(hb[0].lcoa == kLease1);
  answer_home(h, hb[0]);
  CHECK(h.mn.counters().home_ike_established == 2);
  CHECK(h.violations.empty());
}

TEST_CASE("secure home: a refresh due while the protection is lost waits for it", "[home][ike]") {
  Harness h(secure_home_cfg());
  secure_home_register(h);
  h.mn.handle_home_security_down(h.now, kHa, true, "dead peer");
  h.drain();
  h.clear();
  h.advance(seconds(4));  // IkeTimeout 5 s not reached
  const auto before = h.mn.counters().home_bu_sent;
  // Answering the MAP's refreshes, past the home refresh (and IkeTimeout:
  // held down, asked again): never a home BU without the protection.
  for (int k = 0; k < 60; ++k) {
    h.advance(seconds(10));
    for (const auto& b : map_bus(h.take<SendBu>())) h.answer(b);
    h.take<SecureHome>();
  }
  CHECK(h.mn.counters().home_bu_sent == before);
  CHECK(h.mn.counters().home_ike_failed >= 1);
}

TEST_CASE("secure home: an inter-MAP move sends the home BU at once, then re-establishes IKE from the new RCoA",
          "[home][ike]") {
  Harness h(secure_home_cfg());
  secure_home_register(h);
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa1, kLcoa3}, true));
  h.give_ra(kAr3, ra(kPfx3, {map_opt(kMap2, 1, 10, 36000, true)}));
  for (const auto& b : h.take<SendBu>()) h.answer(b);  // the previous MAP's short BU
  REQUIRE(h.take<SecureMap>().size() == 1);
  h.clear();
  h.mn.handle_security_up(h.now, kMap2, kLease2);
  h.drain();
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kMap2);
  CHECK(h.take<SecureHome>().empty());
  h.clear();
  h.answer(bus[0]);
  const auto kb = first_home_bu(h);
  const auto ks = first_index<SecureHome>(h);
  REQUIRE(kb != npos);
  REQUIRE(ks != npos);
  CHECK(kb < ks);  // the BU first: the existing ESP SAs protect it
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].lcoa == kLease2);
  REQUIRE(acoa(hb[0]) != nullptr);
  CHECK(*acoa(hb[0]) == kLease2);
  CHECK(h.take<SecureHome>() == secure_home(kLease2));
  CHECK(h.take<ReleaseHome>().empty());
  CHECK(h.mn.counters().home_ike_reestablished == 1);
  auto v = *h.mn.state(h.now).home;
  CHECK(v.protection == HomeProtection::up);
  CHECK(v.ike_coa == kLease1);
  CHECK(v.ike_moving_to == kLease2);
  answer_home(h, hb[0]);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  h.clear();
  h.mn.handle_home_security_up(h.now, kHa, kLease2);  // re-established: nothing new
  h.drain();
  CHECK(h.take<SendBu>().empty());
  CHECK(h.take<SecureHome>().empty());
  v = *h.mn.state(h.now).home;
  CHECK(v.ike_coa == kLease2);
  CHECK_FALSE(v.ike_moving_to);
  CHECK(h.mn.counters().home_ike_established == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("secure home: an intra-MAP move sends neither a home BU nor SecureHome", "[home][ike]") {
  Harness h(secure_home_cfg());
  secure_home_register(h);
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10, 36000, true)}));
  h.set_link(link(true, {kLcoa1, kLcoa2}, true));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);  // the MAP's, with the new LCoA
  CHECK_FALSE(bus[0].bu.home_registration);
  h.answer(bus[0]);
  CHECK(home_bus(h.take<SendBu>()).empty());
  CHECK(h.take<SecureHome>().empty());
  CHECK(h.take<ReleaseHome>().empty());
  CHECK(h.mn.counters().home_ike_reestablished == 0);
  CHECK(h.mn.counters().ike_reestablished == 1);  // the MAP's IKE SA follows the LCoA
}

TEST_CASE("secure home, plain mode: IKE from the LCoA; a move sends the BU at once and re-establishes from the new one",
          "[home][ike]") {
  Harness h(secure_home_cfg(false));
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {}));
  CHECK(h.take<SecureMap>().empty());
  CHECK(h.take<SecureHome>() == secure_home(kLcoa1));
  CHECK(home_bus(h.take<SendBu>()).empty());
  h.mn.handle_home_security_up(h.now, kHa, kLcoa1);
  h.drain();
  auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].lcoa == kLcoa1);
  REQUIRE(acoa(hb[0]) != nullptr);
  CHECK(*acoa(hb[0]) == kLcoa1);
  answer_home(h, hb[0]);
  h.clear();
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa2}, true));
  h.give_ra(kAr2, ra(kPfx2, {}));
  const auto kb = first_home_bu(h);
  const auto ks = first_index<SecureHome>(h);
  REQUIRE(kb != npos);
  REQUIRE(ks != npos);
  CHECK(kb < ks);
  hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].lcoa == kLcoa2);
  CHECK(h.take<SecureHome>() == secure_home(kLcoa2));
  CHECK(h.mn.counters().home_ike_reestablished == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("secure home: back home, the deregistration goes under the existing SA, then the protection is released",
          "[home][ike]") {
  Harness h(secure_home_cfg());
  secure_home_register(h);
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kHome}));
  h.clear();
  h.give_ra(kHomeRouter, home_ra());
  CHECK(h.take<SecureHome>().empty());
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].bu.lifetime == 0);
  CHECK(hb[0].lcoa == kHome);
  REQUIRE(acoa(hb[0]) != nullptr);
  CHECK(*acoa(hb[0]) == kHome);
  CHECK(h.take<ReleaseHome>().empty());
  answer_home(h, hb[0]);
  CHECK(h.take<ReleaseHome>() == std::vector<ReleaseHome>{ReleaseHome{kHa}});
  CHECK(h.take<AnnounceHomeAddress>().size() == 1);
  CHECK(h.mn.state(h.now).home->protection == HomeProtection::none);
  h.advance(seconds(600));
  CHECK(h.take<SecureHome>().empty());
  CHECK(home_bus(h.take<SendBu>()).empty());
  CHECK(h.violations.empty());
}

TEST_CASE("secure home: started at home, IKE from the home address on the home link, then the deregistration",
          "[home][ike]") {
  Harness h(secure_home_cfg());
  h.set_link(link(true, {kHome}));
  h.give_ra(kHomeRouter, home_ra());
  const auto ki = first_index<InstallHomeBinding>(h);
  const auto ks = first_index<SecureHome>(h);
  REQUIRE(ki != npos);
  REQUIRE(ks != npos);
  CHECK(ki < ks);  // the home address on the home link first: IKE runs from it
  CHECK(h.take<InstallHomeBinding>().at(0).settings.mode == HomeMode::at_home);
  CHECK(h.take<SecureHome>() == secure_home(kHome));
  CHECK(home_bus(h.take<SendBu>()).empty());
  CHECK(h.mn.state(h.now).home->status == HomeStatus::at_home);
  h.mn.handle_home_security_up(h.now, kHa, kHome);
  h.drain();
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].bu.lifetime == 0);
  CHECK(hb[0].src == kHome);
  answer_home(h, hb[0], wire::ba_status::kNotHomeAgentForThisMobileNode);  // nothing to deregister
  CHECK(h.take<ReleaseHome>() == std::vector<ReleaseHome>{ReleaseHome{kHa}});
  CHECK(h.mn.counters().home_deregistrations == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("secure home: a protection lost during the deregistration at home: set up from the home address, sent again",
          "[home][ike]") {
  Harness h(secure_home_cfg());
  secure_home_register(h);
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kHome}));
  h.give_ra(kHomeRouter, home_ra());
  REQUIRE(home_bus(h.take<SendBu>()).size() == 1);
  h.clear();
  h.mn.handle_home_security_down(h.now, kHa, true, "IKE SA deleted");  // the RCoA's path is gone
  h.drain();
  CHECK(h.take<SecureHome>() == secure_home(kHome));
  h.advance(seconds(2));  // the retransmission waits
  CHECK(home_bus(h.take<SendBu>()).empty());
  h.mn.handle_home_security_up(h.now, kHa, kHome);
  h.drain();
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].bu.lifetime == 0);
  answer_home(h, hb[0]);
  CHECK(h.take<ReleaseHome>().size() == 2);  // the lost one, and after the deregistration
  CHECK(h.mn.counters().home_deregistrations == 1);
}

TEST_CASE("secure home: the stop deregisters under the protection, then releases it; unprotected, only releases",
          "[home][ike]") {
  SECTION("protected") {
    Harness h(secure_home_cfg());
    secure_home_register(h);
    h.mn.handle_stop(h.now);
    h.drain();
    auto hb = home_bus(h.take<SendBu>());
    REQUIRE(hb.size() == 1);
    CHECK(hb[0].bu.lifetime == 0);
    CHECK(h.take<ReleaseHome>().empty());
    h.clear();
    answer_home(h, hb[0]);
    const auto kr = first_index<ReleaseHome>(h);
    REQUIRE(kr != npos);
    CHECK(h.take<ReleaseHome>() == std::vector<ReleaseHome>{ReleaseHome{kHa}});
    const auto mb = map_bus(h.take<SendBu>());
    REQUIRE(mb.size() == 1);  // then the MAP binding
    h.answer(mb[0]);
    CHECK(h.mn.finished());
  }
  SECTION("being set up") {
    Harness h(secure_home_cfg());
    map1_secure(h);
    REQUIRE(h.take<SecureHome>().size() == 1);
    h.clear();
    h.mn.handle_stop(h.now);
    h.drain();
    CHECK(h.take<ReleaseHome>() == std::vector<ReleaseHome>{ReleaseHome{kHa}});
    CHECK(home_bus(h.take<SendBu>()).empty());
    h.mn.handle_home_security_up(h.now, kHa, kLease1);  // too late
    h.drain();
    CHECK(h.take<ReleaseHome>().size() == 1);
    CHECK(home_bus(h.take<SendBu>()).empty());
  }
}

TEST_CASE("secure home with HomeAgent discover: the protection is set up with the discovered HA", "[home][ike]") {
  Harness h(secure_home_cfg(true, true));
  map1_secure(h);
  CHECK(h.take<SecureHome>().empty());
  const auto req = h.take<SendDhaadRequest>();
  REQUIRE(req.size() == 1);
  CHECK(req[0].src == kLease1);
  h.mn.handle_dhaad_reply(h.now, kHa2, req[0].id, {kHa2, kHa});
  h.drain();
  CHECK(h.take<SecureHome>() == secure_home(kLease1, kHa2));
  CHECK(home_bus(h.take<SendBu>()).empty());
  // kHa2's charon does not answer: the next HA listed, protected anew.
  h.advance(seconds(5));
  CHECK(h.take<ReleaseHome>() == std::vector<ReleaseHome>{ReleaseHome{kHa2}});
  CHECK(h.take<SecureHome>() == secure_home(kLease1, kHa));
  h.mn.handle_home_security_up(h.now, kHa, kLease1);
  h.drain();
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(hb[0].dst == kHa);
  CHECK(h.violations.empty());
}

TEST_CASE("secure home, HomeAgent discover: IKE failing at home keeps the home address on the home link", "[home][ike]") {
  Harness h(secure_home_cfg(true, true));
  map1_secure(h);
  const auto req = h.take<SendDhaadRequest>();
  REQUIRE(req.size() == 1);
  h.mn.handle_dhaad_reply(h.now, kHa, req[0].id, {kHa, kHa2});
  h.mn.handle_home_security_up(h.now, kHa, kLease1);
  h.drain();
  const auto reg = home_bus(h.take<SendBu>());
  REQUIRE(reg.size() == 1);
  answer_home(h, reg[0]);
  h.clear();
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kHome}));
  h.give_ra(kHomeRouter, home_ra());
  REQUIRE(home_bus(h.take<SendBu>()).size() == 1);  // the deregistration, under the SA from the RCoA
  CHECK(h.take<SecureHome>().empty());
  h.mn.handle_home_security_down(h.now, kHa, true, "IKE SA deleted");
  h.drain();
  CHECK(h.take<SecureHome>() == secure_home(kHome));
  h.clear();
  h.advance(seconds(5));  // IkeTimeout
  CHECK(h.take<ReleaseHome>() == std::vector<ReleaseHome>{ReleaseHome{kHa}});
  CHECK(h.take<RemoveHomeBinding>().empty());
  REQUIRE(h.home_kernel);
  CHECK(h.home_kernel->settings.mode == HomeMode::at_home);
  CHECK(h.mn.state(h.now).home->home_agent == kHa);  // not the next one listed: it is for away
  h.advance(kIkeFailureHoldDown);
  CHECK(h.take<SecureHome>() == secure_home(kHome));  // tried again
}

TEST_CASE("secure home: ProtectTraffic asks for the payload child", "[home][ike]") {
  auto cfg = secure_home_cfg();
  cfg.home->protect_traffic = true;
  Harness h(cfg);
  map1_secure(h);
  const auto s = h.take<SecureHome>();
  REQUIRE(s.size() == 1);
  CHECK(s[0].protect_traffic);
  // The kernel carries the home tunnel only in ESP, and its MTU leaves
  // room for ESP's largest overhead (57 octets) beside the tunnel header.
  h.mn.handle_home_security_up(h.now, kHa, kLease1);
  h.drain();
  const auto ih = h.take<InstallHomeBinding>();
  REQUIRE(ih.size() == 1);
  CHECK(ih[0].settings.protect_traffic);
  Harness plain(secure_home_cfg());
  map1_secure(plain);
  plain.mn.handle_home_security_up(plain.now, kHa, kLease1);
  plain.drain();
  const auto ip = plain.take<InstallHomeBinding>();
  REQUIRE(ip.size() == 1);
  CHECK_FALSE(ip[0].settings.protect_traffic);
  REQUIRE(ip[0].settings.tunnel_mtu > 1280 + 57);
  CHECK(ih[0].settings.tunnel_mtu == ip[0].settings.tunnel_mtu - 57);
}

TEST_CASE("secure home: the kernel carries MH with the HA only in ESP; a Binding Error 2 ends nothing",
          "[home][ike]") {
  Harness h(secure_home_cfg());
  secure_home_register(h);
  // The installed home binding asks kernel-glue for the ESP-only MH
  // policies (no home BU in clear, no cleartext BA/BRR/BE accepted).
  Harness k(secure_home_cfg());
  map1_secure(k);
  k.mn.handle_home_security_up(k.now, kHa, kLease1);
  k.drain();
  const auto ih = k.take<InstallHomeBinding>();
  REQUIRE(ih.size() == 1);
  CHECK(ih[0].settings.protect_signalling);
  CHECK_FALSE(ih[0].settings.protect_traffic);
  // Review item 1 of phase 2: a (forgeable, unprotected) Binding Error 2
  // from the HA's address no longer removes the registration.
  wire::BindingError be;
  be.status = wire::be_status::kUnrecognizedMhType;
  h.give_mh(kHa, std::nullopt, be, kLease1);
  CHECK(h.take<RemoveHomeBinding>().empty());
  CHECK(h.take<ReleaseHome>().empty());
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  CHECK(h.mn.counters().home_be_ignored == 1);
  CHECK(h.logged(LogLevel::warning, "Binding Errors are not protected"));
}
