// MapAgent's home agent role in secure mode (issue 14 phase 2; RFC 4877;
// hmip/map/map_agent.h): a home registration is accepted only if an
// installed CHILD_SA of the one identity holding the home address protects
// it AND that identity owns the home address (HomeAddress); the Alternate
// Care-of Address is required as for local BUs; a node back home
// deregisters through the same check (the insecure-only home-link
// exemption never applies); adoption keeps only a home binding its owner
// holds.
#include "test_map_util.h"

#include "hmip/ike/ike_sa.h"

using namespace maptest;
using ike::ChildSaView;
using ike::IkeSaView;

namespace {

const Ip6Addr kHa = Ip6Addr::must("2001:db8:200::1");
const Ip6Addr kHoa = Ip6Addr::must("2001:db8:200::10");     // mn1's
const Ip6Addr kHoa2 = Ip6Addr::must("2001:db8:200::11");    // mn2's
const Ip6Addr kHoaNobody = Ip6Addr::must("2001:db8:200::12");  // on the HomePrefix, no HomeAddress line
const std::string kMn1 = "mn1@hmip.test";
const std::string kMn2 = "mn2@hmip.test";

HomeAgentConfig secure_home_agent() {
  HomeAgentConfig ha = test_home_agent(kHa);
  ha.owners = {HomeAddressOwner{kHoa, kMn1, 7}, HomeAddressOwner{kHoa2, kMn2, 8}};
  return ha;
}

// A secure home agent only (no MAP role), or both roles on two addresses.
MapdConfig secure_ha(bool map_role = false) {
  MapdConfig c = test_config();
  c.insecure.enabled = false;
  c.home_agent = secure_home_agent();
  if (!map_role) {
    c.map_address = Ip6Addr{};
    c.rcoa_prefixes.clear();
    c.lcoa_prefixes.clear();
    c.neighbour_prefixes.clear();
  }
  return c;
}

// The HA's CHILD_SA for `hoa` as charon reports it (ike::ha_mn_conn's "mh-N").
ChildSaView home_child(const Ip6Addr& hoa, const std::string& state) {
  ChildSaView c;
  c.name = "mh-1";
  c.uniqueid = "c-" + hoa.str();
  c.state = state;
  c.mode = "TRANSPORT_PROXY";
  c.local_ts = {kHa.str() + "/128[mobility-header]"};
  c.remote_ts = {hoa.str() + "/128[mobility-header]"};
  return c;
}

// An IKE SA of `identity` from care-of address `coa` (no virtual IP: the
// home address is configured, RFC 4877), its child for `hoa` in `state`.
IkeSaView home_sa(const std::string& id, const std::string& identity, const Ip6Addr& coa, const Ip6Addr& hoa,
                  const std::string& state = "INSTALLED") {
  IkeSaView v;
  v.conn = "hmip-home-1";
  v.uniqueid = id;
  v.state = "ESTABLISHED";
  v.remote_id = identity;
  v.remote_host = coa;
  if (!state.empty()) v.children = {home_child(hoa, state)};
  return v;
}

// A home registration from `coa` (the RCoA in HMIPv6 mode) with the ACoA.
BuSpec hbu(std::uint16_t seq, const Ip6Addr& coa = kRcoa1, const Ip6Addr& hoa = kHoa) {
  return BuSpec{.rcoa = hoa,
                .lcoa = coa,
                .seq = seq,
                .h = true,
                .m = false,
                .dst = kHa,
                .options = {wire::AlternateCareOfAddressOption{coa}}};
}

struct HaHarness : Harness {
  explicit HaHarness(MapdConfig c = secure_ha()) : Harness(std::move(c)) {}
  void sas(const std::vector<IkeSaView>& v) {
    agent.handle_ike_sas(now, v);
    drain();
  }
  void child_up(const IkeSaView& v) {
    agent.handle_ike_event(now, ike::ChildUpdownEvent{true, v});
    drain();
  }
  void child_down(const IkeSaView& v) {
    agent.handle_ike_event(now, ike::ChildUpdownEvent{false, v});
    drain();
  }
};

}  // namespace

TEST_CASE("home secure: the owner's installed CHILD_SA admits its home registration; no SA, no child: dropped",
          "[home][ike]") {
  HaHarness h;
  CHECK_FALSE(h.accepted(hbu(1)));
  CHECK(h.agent.counters().bu_no_ike_sa == 1);

  // The IKE SA is up, its CHILD_SA not installed yet.
  h.sas({home_sa("1", kMn1, kRcoa1, kHoa, "INSTALLING")});
  CHECK_FALSE(h.accepted(hbu(2)));
  CHECK(h.agent.counters().bu_ike_lease_only == 1);
  CHECK_FALSE(h.binding(kHoa));

  h.child_up(home_sa("1", kMn1, kRcoa1, kHoa));
  CHECK(h.accepted(hbu(3)));
  REQUIRE(h.binding(kHoa));
  CHECK(h.binding(kHoa)->role == BindingRole::home);
  CHECK(h.binding(kHoa)->lcoa == kRcoa1);
  CHECK(h.agent.counters().home_bu_accepted == 1);
  CHECK(h.agent.counters().bu_home_not_owner == 0);
  CHECK(h.agent.cap_usage().owners == 1);  // counted against its identity

  // A new MAP (new RCoA): the home BU goes at once under the same ESP SA,
  // the IKE SA still from the old RCoA: coa_moving, accepted, counted.
  CHECK(h.accepted(hbu(4, kRcoa2)));
  CHECK(h.agent.counters().bu_ike_coa_moving == 1);
  CHECK(h.binding(kHoa)->lcoa == kRcoa2);

  // The CHILD_SA gone: nothing moves the binding any more.
  h.child_down(home_sa("1", kMn1, kRcoa1, kHoa));
  CHECK_FALSE(h.accepted(hbu(5, kRcoa1)));
  CHECK(h.binding(kHoa)->lcoa == kRcoa2);
}

TEST_CASE("home secure: another identity holding the home address is dropped and counted (RFC 4877 §4.3)",
          "[home][ike]") {
  HaHarness h;
  // mn2's CHILD_SA names mn1's home address (charon refuses it with
  // TS_UNACCEPTABLE; mapd checks again): protected, but not the owner.
  h.sas({home_sa("2", kMn2, kLcoaAr2, kHoa)});
  CHECK_FALSE(h.accepted(hbu(1, kLcoaAr2)));
  CHECK(h.agent.counters().bu_home_not_owner == 1);
  CHECK(h.agent.counters().home_bu_received == 1);
  CHECK(h.agent.counters().home_bu_accepted == 0);
  CHECK_FALSE(h.binding(kHoa));
  // From another care-of address (coa_moving for mn2): the same.
  CHECK_FALSE(h.accepted(hbu(2, kRcoa1)));
  CHECK(h.agent.counters().bu_home_not_owner == 2);
  CHECK(h.agent.counters().bu_ike_coa_moving == 0);

  // mn2 registering its own home address is fine.
  h.sas({home_sa("2", kMn2, kLcoaAr2, kHoa2)});
  CHECK(h.accepted(hbu(3, kLcoaAr2, kHoa2)));
  CHECK(h.binding(kHoa2));

  // A home address on the HomePrefix that no HomeAddress line names: no
  // one owns it, so no one registers it.
  h.sas({home_sa("1", kMn1, kRcoa1, kHoaNobody)});
  CHECK_FALSE(h.accepted(hbu(1, kRcoa1, kHoaNobody)));
  CHECK(h.agent.counters().bu_home_not_owner == 3);
  CHECK_FALSE(h.binding(kHoaNobody));

  // Both identities name mn1's home address: contested, not an owner question.
  h.sas({home_sa("1", kMn1, kRcoa1, kHoa), home_sa("2", kMn2, kLcoaAr2, kHoa)});
  CHECK_FALSE(h.accepted(hbu(4, kRcoa1)));
  CHECK(h.agent.counters().bu_ike_contested == 1);
  CHECK(h.agent.counters().bu_home_not_owner == 3);
}

TEST_CASE("home secure: a home registration needs the Alternate Care-of Address, which is bound", "[home][ike]") {
  HaHarness h;
  h.sas({home_sa("1", kMn1, kRcoa1, kHoa)});
  BuSpec s = hbu(1);
  s.options.clear();
  CHECK_FALSE(h.accepted(s));
  CHECK(h.agent.counters().bu_no_acoa == 1);
  CHECK(h.agent.counters().bu_no_ike_sa == 0);  // dropped before the IKE check
  // The ACoA (inside ESP) is bound, not the HAO's care-of address.
  s = hbu(2, kRcoa1);
  s.lcoa = kRcoa2;
  CHECK(h.accepted(s));
  CHECK(h.binding(kHoa)->lcoa == kRcoa1);
  CHECK(h.agent.counters().bu_acoa_differs == 1);
}

TEST_CASE("home secure: a node back home deregisters through the protected path, never the home-link exemption",
          "[home][ike]") {
  HaHarness h;
  h.sas({home_sa("1", kMn1, kRcoa1, kHoa)});
  REQUIRE(h.accepted(hbu(1)));
  // RFC 6275 §11.5.4: from the home address on the home link, no HAO,
  // care-of address (the ACoA) = home address, lifetime 0, under the ESP
  // SA (its IKE SA still from the RCoA: coa_moving).
  BuSpec dereg{.rcoa = kHoa,
               .lcoa = std::nullopt,
               .seq = 2,
               .lifetime = 0,
               .h = true,
               .m = false,
               .dst = kHa,
               .options = {wire::AlternateCareOfAddressOption{kHoa}},
               .iface = "home0"};
  CHECK(h.accepted(dereg));
  CHECK_FALSE(h.binding(kHoa));
  CHECK(h.agent.counters().home_deregistrations == 1);
  CHECK(h.agent.counters().home_bu_from_home_link == 0);  // insecure mode's exemption only
  CHECK(h.agent.counters().bu_ike_coa_moving == 1);

  // Without the CHILD_SA, the same BU from the home link is dropped.
  REQUIRE(h.accepted(hbu(3)));
  h.child_down(home_sa("1", kMn1, kRcoa1, kHoa));
  dereg.seq = 4;
  CHECK_FALSE(h.accepted(dereg));
  CHECK(h.binding(kHoa));
  CHECK(h.agent.counters().home_bu_from_home_link == 0);
  CHECK(h.agent.counters().bu_no_ike_sa == 1);  // no installed child names the home address
}

TEST_CASE("home secure: both roles on two addresses share the holder table", "[home][ike]") {
  HaHarness h(secure_ha(true));
  // mn1: its MAP IKE SA (lease and CHILD_SA for the RCoA, from its LCoA)
  // and its home IKE SA (from the RCoA, CHILD_SA for the home address).
  IkeSaView map_sa;
  map_sa.conn = "hmip-rcoa-" + kRcoa1.str();
  map_sa.uniqueid = "m1";
  map_sa.state = "ESTABLISHED";
  map_sa.remote_id = kMn1;
  map_sa.remote_host = kLcoaAr1;
  map_sa.remote_vips = {kRcoa1};
  ChildSaView mc = home_child(kRcoa1, "INSTALLED");
  mc.name = "mh";
  mc.local_ts = {kMap.str() + "/128[mobility-header]"};
  map_sa.children = {mc};
  h.sas({map_sa, home_sa("h1", kMn1, kRcoa1, kHoa)});
  CHECK(h.accepted(BuSpec{.lcoa = kLcoaAr1, .seq = 1, .options = {wire::AlternateCareOfAddressOption{kLcoaAr1}}}));
  CHECK(h.accepted(hbu(1)));
  CHECK(h.binding(kRcoa1)->role == BindingRole::map);
  CHECK(h.binding(kHoa)->role == BindingRole::home);
  CHECK(h.agent.counters().bu_home_not_owner == 0);
}

TEST_CASE("home secure: adoption keeps only a home binding its owner holds", "[home][adopt][ike]") {
  const LeftoverBinding lb{{kHoa, 0}, kHa, kRcoa1, "home0", 1460};
  {
    HaHarness h;
    CHECK(h.agent.adopt(h.now, lb) == AdoptVerdict::no_holder);
  }
  {
    // Held by another identity (the owner changed while mapd was down).
    HaHarness h;
    h.sas({home_sa("2", kMn2, kRcoa1, kHoa)});
    CHECK(h.agent.adopt(h.now, lb) == AdoptVerdict::not_owner);
    h.drain();
    const auto removed = h.take<RemoveBinding>();
    REQUIRE(removed.size() == 1);
    CHECK(removed[0].reason == RemoveReason::not_adopted);
    CHECK_FALSE(h.binding(kHoa));
    CHECK(h.agent.counters().adoption_refused == 1);
  }
  {
    HaHarness h;
    h.sas({home_sa("1", kMn1, kRcoa1, kHoa)});
    CHECK(is_adopted(h.agent.adopt(h.now, lb)));
    REQUIRE(h.binding(kHoa));
    CHECK(h.binding(kHoa)->role == BindingRole::home);
    // Its node's next BU (any sequence number once) is accepted.
    h.drain();
    h.actions.clear();
    CHECK(h.accepted(hbu(77)));
  }
}

TEST_CASE("home secure: a reload that gives a home address to another identity removes its binding",
          "[home][reload][ike]") {
  HaHarness h;
  h.sas({home_sa("1", kMn1, kRcoa1, kHoa), home_sa("2", kMn2, kLcoaAr2, kHoa2)});
  REQUIRE(h.accepted(hbu(1)));
  REQUIRE(h.accepted(hbu(1, kLcoaAr2, kHoa2)));

  MapdConfig c = secure_ha();
  c.home_agent->owners[0].identity = "mn3@hmip.test";  // kHoa: mn1 -> mn3; kHoa2 unchanged
  h.agent.reload(h.now, c);
  h.drain();
  const auto removed = h.take<RemoveBinding>();
  REQUIRE(removed.size() == 1);
  CHECK(removed[0].key.rcoa == kHoa);
  CHECK(removed[0].reason == RemoveReason::owner_changed);
  CHECK_FALSE(h.binding(kHoa));
  CHECK(h.binding(kHoa2));
  CHECK(h.agent.counters().removed_by_reload == 1);
  // mn1's CHILD_SA still exists until IkeGuard terminates it: its BU is not the owner's.
  CHECK_FALSE(h.accepted(hbu(2)));
  CHECK(h.agent.counters().bu_home_not_owner == 1);

  // Its line removed: the same.
  c.home_agent->owners.erase(c.home_agent->owners.begin() + 1);
  h.agent.reload(h.now, c);
  h.drain();
  CHECK(h.take<RemoveBinding>().size() == 1);
  CHECK_FALSE(h.binding(kHoa2));
}

TEST_CASE("home secure: the traffic child (protocol 41 to the care-of address) holds no address", "[home][ike]") {
  // Both roles: mn1's home IKE SA from its RCoA with the RFC 4877 §5
  // traffic child, whose remote selector names the RCoA. It must not make
  // the home SA a protector of the RCoA's local BUs.
  HaHarness h(secure_ha(true));
  IkeSaView v = home_sa("h1", kMn1, kRcoa1, kHoa);
  ChildSaView traffic;
  traffic.name = "traffic";
  traffic.uniqueid = "t1";
  traffic.state = "INSTALLED";
  traffic.mode = "TRANSPORT";
  traffic.local_ts = {kHa.str() + "/128[ipv6]"};
  traffic.remote_ts = {kRcoa1.str() + "/128[ipv6]"};
  v.children.push_back(traffic);
  h.sas({v});
  CHECK(h.agent.ike_holders().rcoas() == 1);  // the home address only
  CHECK_FALSE(h.accepted(BuSpec{.lcoa = kLcoaAr1, .seq = 1, .options = {wire::AlternateCareOfAddressOption{kLcoaAr1}}}));
  CHECK(h.agent.counters().bu_no_ike_sa == 1);
  CHECK(h.accepted(hbu(1)));
}

TEST_CASE("home secure: a HomePrefix source to the HomeAgent Address skips the per-source flood limit",
          "[home][ike][ratelimit]") {
  HaHarness h(secure_ha(true));
  // The kernel's IN policy passes MH from a HomePrefix to the HA address
  // only under ESP; the MAP's passes the RCoA prefixes to MapAddress only.
  CHECK(h.agent.source_limit_exempt(kHoa, kRcoa1, kHa));
  CHECK(h.agent.source_limit_exempt(kHoa, std::nullopt, kHa));
  CHECK_FALSE(h.agent.source_limit_exempt(kHoa, kRcoa1, kMap));
  CHECK_FALSE(h.agent.source_limit_exempt(kRcoa1, kLcoaAr1, kHa));
  CHECK(h.agent.source_limit_exempt(kRcoa1, kLcoaAr1, kMap));
}

TEST_CASE("home secure: a reload that gives a home address to another identity refuses its pending registration",
          "[home][reload][ike]") {
  MapdConfig c = secure_ha();
  c.home_agent->dad = true;  // the registration waits for DAD: pending
  HaHarness h(c);
  h.sas({home_sa("1", kMn1, kRcoa1, kHoa)});
  h.bu(hbu(1));
  REQUIRE(h.take<SendBa>().empty());
  REQUIRE_FALSE(h.binding(kHoa));
  c.home_agent->owners[0].identity = "mn3@hmip.test";
  h.agent.reload(h.now, c);
  h.drain();
  const auto bas = h.take<SendBa>();
  REQUIRE(bas.size() == 1);
  CHECK(bas[0].ba.status == wire::ba_status::kAdministrativelyProhibited);
  // DAD ending later makes no binding of the former owner.
  h.advance(seconds(5));
  CHECK_FALSE(h.binding(kHoa));
  CHECK(h.take<InstallBinding>().empty());
}

TEST_CASE("home secure: a reload changing the owner while a BID's move is installed answers that BU with 129",
          "[home][reload][ike][mcoa]") {
  // Issue 15 review, P1: the pending move went with its binding, its BU
  // was never answered and the home address absorbed every later BU.
  HaHarness h;
  h.sas({home_sa("1", kMn1, kRcoa1, kHoa)});
  wire::BindingIdentifierOption bid;
  bid.bid = 1;
  bid.care_of_address = kRcoa1;
  BuSpec s = hbu(1);
  s.options.emplace_back(bid);
  REQUIRE(h.accepted(s));
  REQUIRE(h.agent.binding({kHoa, 1}, h.now));
  h.auto_install = false;
  bid.care_of_address = kRcoa2;
  s = hbu(2);
  s.options.emplace_back(bid);
  h.bu(s);  // a move of BID 1, its install outstanding
  REQUIRE(h.take<SendBa>().empty());
  MapdConfig c = secure_ha();
  c.home_agent->owners[0].identity = "mn3@hmip.test";
  h.agent.reload(h.now, c);
  h.drain();
  const auto all = h.take_all();
  REQUIRE(all.size() == 2);
  CHECK(std::get<RemoveBinding>(all[0]).reason == RemoveReason::owner_changed);
  const auto& ba = std::get<SendBa>(all[1]);
  CHECK(ba.ba.status == wire::ba_status::kAdministrativelyProhibited);
  CHECK(ba.ba.sequence == 2);
  CHECK(h.agent.pending_count() == 0);
  CHECK_FALSE(h.agent.binding({kHoa, 1}, h.now));
}
