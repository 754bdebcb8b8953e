// MapAgent in secure mode (hmip/map/map_agent.h; issue 13 items 2, 3, 8):
// charon's SA events go into the core, which keeps the RCoA holder table and
// decides whether a BU is protected. Every verdict, the CHILD_SA
// requirement (a lease alone never admits a BU, nor does "moving"), the
// Alternate Care-of Address rules, and that cheap checks come first.
#include "test_map_util.h"

#include "hmip/ike/ike_sa.h"

using namespace maptest;
using ike::ChildSaView;
using ike::IkeSaView;

namespace {

const std::string kMnId = "mn1@hmip.test";

MapdConfig secure_config() {
  auto c = test_config();
  c.insecure.enabled = false;
  return c;
}

ChildSaView child(const std::string& id, const std::string& state = "INSTALLED", const Ip6Addr& rcoa = kRcoa1) {
  ChildSaView c;
  c.name = "mh";
  c.uniqueid = id;
  c.state = state;
  c.mode = "TRANSPORT_PROXY";
  c.local_ts = {kMap.str() + "/128[mobility-header]"};
  c.remote_ts = {rcoa.str() + "/128[mobility-header]"};
  return c;
}

// An IKE SA as charon reports it on the MAP: from `lcoa`, the RCoA as
// virtual IP when `lease`, and a child for `rcoa` in `child_state` when
// that is not empty.
IkeSaView sa(const std::string& id, const std::string& identity = kMnId, const Ip6Addr& lcoa = kLcoaAr1,
             bool lease = true, const std::string& child_state = "", const Ip6Addr& rcoa = kRcoa1) {
  IkeSaView v;
  v.conn = lease ? "hmip-map" : "hmip-rcoa-" + rcoa.str();
  v.uniqueid = id;
  v.state = "ESTABLISHED";
  v.remote_id = identity;
  v.remote_host = lcoa;
  if (lease) v.remote_vips = {rcoa};
  if (!child_state.empty()) v.children = {child("c" + id, child_state, rcoa)};
  return v;
}

IkeSaView bare(IkeSaView v) {
  v.children.clear();
  return v;
}

BuSpec sbu(std::uint16_t seq, const Ip6Addr& lcoa = kLcoaAr1) {
  return {.lcoa = lcoa, .seq = seq, .options = {wire::AlternateCareOfAddressOption{lcoa}}};
}

struct SecureHarness : Harness {
  SecureHarness() : Harness(secure_config()) {}
  void event(const ike::SaEvent& e) {
    agent.handle_ike_event(now, e);
    drain();
  }
  void ike_up(const IkeSaView& v) { event(ike::IkeUpdownEvent{true, v}); }
  void ike_down(const IkeSaView& v) { event(ike::IkeUpdownEvent{false, v}); }
  void child_up(const IkeSaView& v) { event(ike::ChildUpdownEvent{true, v}); }
  void child_down(const IkeSaView& v) { event(ike::ChildUpdownEvent{false, v}); }
};

}  // namespace

TEST_CASE("map secure: no IKE SA, or a lease without its CHILD_SA, admits no BU (item 2)", "[map][ike]") {
  SecureHarness h;
  CHECK_FALSE(h.accepted(sbu(1)));
  CHECK(h.agent.counters().bu_no_ike_sa == 1);

  // The leasing IKE SA is up, the MN's CHILD_SA is not: the race the
  // forger used. Before, the lease counted as holding the RCoA.
  h.ike_up(sa("1"));
  CHECK_FALSE(h.accepted(sbu(2)));
  CHECK_FALSE(h.accepted(sbu(3, kLcoaAr2)));  // nor "moving" from another CoA
  CHECK(h.agent.counters().bu_ike_lease_only == 2);
  CHECK(h.agent.counters().bu_ike_coa_moving == 0);
  CHECK_FALSE(h.binding());

  // The protecting IKE SA of the same identity, its CHILD_SA not installed yet.
  h.ike_up(sa("2", kMnId, kLcoaAr1, false));
  h.child_up(sa("2", kMnId, kLcoaAr1, false, "INSTALLING"));
  CHECK_FALSE(h.accepted(sbu(4)));
  CHECK(h.agent.counters().bu_ike_lease_only == 3);

  // Installed: accepted.
  h.child_up(sa("2", kMnId, kLcoaAr1, false, "INSTALLED"));
  CHECK(h.accepted(sbu(5)));
  REQUIRE(h.binding());
  CHECK(h.binding()->lcoa == kLcoaAr1);
}

TEST_CASE("map secure: after only the CHILD_SA went down, no BU moves the binding (item 2)", "[map][ike]") {
  SecureHarness h;
  h.ike_up(sa("1"));
  const auto prot = sa("2", kMnId, kLcoaAr1, false, "INSTALLED");
  h.ike_up(bare(prot));
  h.child_up(prot);
  REQUIRE(h.accepted(sbu(1)));
  // The installed child from the IKE SA's CoA: held; from another CoA
  // (the MN re-establishing IKE after a move): accepted, counted.
  CHECK(h.accepted(sbu(2, kLcoaAr2)));
  CHECK(h.agent.counters().bu_ike_coa_moving == 1);
  CHECK(h.binding()->lcoa == kLcoaAr2);

  h.child_down(prot);  // the IKE SAs (lease and protecting) stay
  CHECK_FALSE(h.accepted(sbu(3, kLcoaAr1)));
  CHECK_FALSE(h.accepted(sbu(4, kLcoaAr2)));
  CHECK(h.agent.counters().bu_ike_lease_only == 2);
  CHECK(h.agent.counters().bu_ike_coa_moving == 1);
  REQUIRE(h.binding());
  CHECK(h.binding()->lcoa == kLcoaAr2);  // not moved
}

TEST_CASE("map secure: contested RCoA, another identity's child, and a lost charon", "[map][ike]") {
  SecureHarness h;
  const auto prot = sa("2", kMnId, kLcoaAr1, false, "INSTALLED");
  h.child_up(prot);
  REQUIRE(h.accepted(sbu(1)));
  // Another identity's IKE SA names the same RCoA: contested, dropped,
  // the binding kept.
  h.ike_up(sa("3", "mn2@hmip.test", kLcoaAr2));
  CHECK_FALSE(h.accepted(sbu(2)));
  CHECK(h.agent.counters().bu_ike_contested == 1);
  CHECK(h.binding());
  h.ike_down(sa("3", "mn2@hmip.test", kLcoaAr2));
  CHECK(h.accepted(sbu(3)));

  // Another identity's IKE SA with an installed child for another RCoA
  // neither contests kRcoa1 nor is held for it.
  h.child_up(sa("4", "mn2@hmip.test", kLcoaAr2, false, "INSTALLED", kRcoa2));
  CHECK(h.accepted(sbu(4)));
  CHECK(h.agent.counters().bu_ike_contested == 1);
  CHECK(h.accepted({.rcoa = kRcoa2, .lcoa = kLcoaAr2, .seq = 1,
                    .options = {wire::AlternateCareOfAddressOption{kLcoaAr2}}}));

  // charon lost: nothing is protected until it is back (handle_ike_sas).
  h.agent.handle_ike_lost(h.now);
  CHECK_FALSE(h.accepted(sbu(5)));
  CHECK(h.agent.counters().bu_no_ike_sa >= 1);
  h.agent.handle_ike_sas(h.now, {prot});
  CHECK(h.accepted(sbu(6)));
  CHECK(h.agent.counters().ike_resyncs == 1);
}

TEST_CASE("map secure: rekeys keep the protection; events naming unknown SAs ask for one resync (item 3)",
          "[map][ike]") {
  SecureHarness h;
  const auto prot = sa("2", kMnId, kLcoaAr1, false, "INSTALLED");
  h.ike_up(bare(prot));
  h.child_up(prot);
  REQUIRE(h.accepted(sbu(1)));

  // IKE rekey: charon moves the child to the new IKE SA (the event lists none).
  auto fresh = bare(prot);
  fresh.uniqueid = "5";
  h.event(ike::IkeRekeyEvent{bare(prot), fresh});
  CHECK(h.agent.ike_holders().find("2") == nullptr);
  REQUIRE(h.agent.ike_holders().find("5") != nullptr);
  CHECK(h.accepted(sbu(2)));
  // CHILD rekey: the new child replaces the old one.
  h.event(ike::ChildRekeyEvent{fresh, child("c2"), child("c9")});
  CHECK(h.agent.ike_holders().find("5")->children.size() == 1);
  CHECK(h.agent.ike_holders().find("5")->children[0].uniqueid == "c9");
  CHECK(h.accepted(sbu(3)));
  CHECK(h.take<ResyncIke>().empty());
  CHECK(h.agent.counters().ike_missed_events == 0);

  // A rekey of an IKE SA the core never saw: something was missed. One
  // ResyncIke, however many events say so, until the SA list comes.
  auto ghost = bare(prot);
  ghost.uniqueid = "77";
  auto ghost_new = ghost;
  ghost_new.uniqueid = "78";
  h.agent.handle_ike_event(h.now, ike::IkeRekeyEvent{ghost, ghost_new});
  h.agent.handle_ike_event(h.now, ike::ChildRekeyEvent{ghost_new, child("x1"), child("x2")});
  h.drain();
  CHECK(h.take<ResyncIke>().size() == 1);
  CHECK(h.agent.counters().ike_missed_events == 2);
  h.agent.handle_ike_sas(h.now, {prot});
  // An IKE SA that failed to authenticate goes down unseen, a child never
  // seen goes down: nothing to revoke, no resync (an unauthenticated peer
  // must not make mapd ask charon for everything).
  h.agent.handle_ike_event(h.now, ike::IkeUpdownEvent{false, sa("98", "evil@example")});
  h.agent.handle_ike_event(h.now, ike::ChildUpdownEvent{false, sa("99", kMnId, kLcoaAr1, false, "INSTALLED")});
  h.drain();
  CHECK(h.take<ResyncIke>().empty());
  CHECK(h.accepted(sbu(4)));
  // After the resync a new miss asks again.
  h.agent.handle_ike_event(h.now, ike::IkeRekeyEvent{ghost, ghost_new});
  h.drain();
  CHECK(h.take<ResyncIke>().size() == 1);
  CHECK(h.agent.counters().ike_events == 9);
}

TEST_CASE("map secure: the check order: destination and options before IKE; no BA for a dropped BU (item 3)",
          "[map][ike]") {
  SecureHarness h;
  auto s = sbu(1);
  s.dst = Ip6Addr::must("2001:db8:100::2");
  CHECK_FALSE(h.accepted(s));
  CHECK(h.agent.counters().bu_wrong_destination == 1);
  wire::MalformedMobilityOption bad;
  bad.type = wire::mh_opt::kAlternateCareOfAddress;
  bad.data = wire::Bytes(3, 0);
  bad.error = wire::Error{wire::Errc::bad_length, 9, "test"};
  CHECK_FALSE(h.accepted({.seq = 2, .options = {bad}}));
  CHECK(h.agent.counters().bu_malformed_option == 1);
  CHECK(h.agent.counters().bu_no_ike_sa == 0);
  // Unprotected with refusable flags, or an RCoA outside the prefixes:
  // still silently discarded (RFC 6275 §9.5.1), never a BA to the sender.
  auto flags = sbu(3);
  flags.m = false;
  CHECK_FALSE(h.accepted(flags));
  auto outside = sbu(4);
  outside.rcoa = kRcoaOther;
  CHECK_FALSE(h.accepted(outside));
  CHECK(h.agent.counters().bu_no_ike_sa == 2);
  CHECK(h.agent.counters().refused_total() == 0);
}

TEST_CASE("map secure: the Alternate Care-of Address is required and bound (item 8)", "[map][ike]") {
  SecureHarness h;
  h.child_up(sa("2", kMnId, kLcoaAr1, false, "INSTALLED"));
  // Without an ACoA: ESP does not cover the HAO's care-of address.
  CHECK_FALSE(h.accepted({.seq = 1}));
  CHECK(h.agent.counters().bu_no_acoa == 1);
  CHECK(h.agent.counters().bu_no_ike_sa == 0);  // dropped before the IKE check
  CHECK_FALSE(h.binding());
  // With it: bound.
  CHECK(h.accepted(sbu(2)));
  CHECK(h.binding()->lcoa == kLcoaAr1);
  CHECK(h.agent.counters().bu_acoa_differs == 0);
  // An ACoA other than the HAO's CoA: the ACoA (inside ESP) is bound, the
  // BA goes there, counted.
  h.bu({.lcoa = kLcoaAr1, .seq = 3, .options = {wire::AlternateCareOfAddressOption{kLcoaAr2}}});
  CHECK(h.only_ba().lcoa == kLcoaAr2);
  CHECK(h.binding()->lcoa == kLcoaAr2);
  CHECK(h.agent.counters().bu_acoa_differs == 1);
  // Still subject to the LCoA rules: an ACoA inside an RCoA prefix is refused.
  h.bu({.lcoa = kLcoaAr1, .seq = 4, .options = {wire::AlternateCareOfAddressOption{kRcoa2}}});
  CHECK(h.only_ba().ba.status == wire::ba_status::kAdministrativelyProhibited);
  CHECK(h.binding()->lcoa == kLcoaAr2);
}

TEST_CASE("map secure: an RCoA-prefix home address skips the per-source flood limit (ESP let it in)",
          "[map][secure][ratelimit]") {
  SecureHarness h;
  // Secure mode: the kernel's IN policy passes MH from the RCoA prefixes
  // only under ESP, so such a source is no forger, bound or not.
  CHECK(h.agent.source_limit_exempt(kRcoa1, kLcoaAr1, kMap));
  CHECK(h.agent.source_limit_exempt(kRcoa1, std::nullopt, kMap));
  // Outside the prefixes nothing is enforced: charged.
  CHECK_FALSE(h.agent.source_limit_exempt(kRcoaOther, kLcoaAr1, kMap));
  CHECK_FALSE(h.agent.source_limit_exempt(kLcoaAr1, std::nullopt, kMap));
  // To another destination (no IN policy names it): charged.
  CHECK_FALSE(h.agent.source_limit_exempt(kRcoa1, kLcoaAr1, Ip6Addr::must("2001:db8:200::1")));
}
