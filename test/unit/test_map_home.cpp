// MapAgent's home agent role (issue 14; RFC 6275 §10.3.1, §10.3.2, §10.4.1):
// home registrations in insecure testbed mode, alone and beside the MAP role.
#include <catch2/catch.hpp>

#include <algorithm>
#include <variant>

#include "hmip/io/map_view.h"
#include "test_map_util.h"

using namespace maptest;

namespace {

const Ip6Addr kHa = Ip6Addr::must("2001:db8:200::1");
const Ip6Addr kHoa = Ip6Addr::must("2001:db8:200::10");
const Ip6Addr kHoa2 = Ip6Addr::must("2001:db8:200::11");
const Ip6Addr kHoaLinkLocal = Ip6Addr::must("fe80::10");
const Ip6Addr kHoaOther = Ip6Addr::must("2001:db8:201::10");  // in no HomePrefix
const Ip6Addr kCoa = kRcoa1;                                   // the RCoA of an HMIPv6 node (trusted)
const Ip6Addr kCoa2 = kLcoaAr2;                                // a plain MIPv6 node's LCoA (trusted)

HomeAgentConfig home_agent(const Ip6Addr& address = kHa) { return test_home_agent(address); }

// A home agent only (no MAP role).
MapdConfig ha_only(bool dad = false) {
  MapdConfig c = test_config();
  c.map_address = Ip6Addr{};
  c.rcoa_prefixes.clear();
  c.lcoa_prefixes.clear();
  c.neighbour_prefixes.clear();
  c.home_agent = home_agent();
  c.home_agent->dad = dad;
  return c;
}

// Both roles; the home agent on `address` (kMap: one address for both).
MapdConfig both(const Ip6Addr& address = kHa) {
  MapdConfig c = test_config();
  c.home_agent = home_agent(address);
  return c;
}

// A home registration: H set, M clear, to the HA (RFC 6275 §11.7.1).
BuSpec home_bu(std::uint16_t seq = 1, const Ip6Addr& coa = kCoa) {
  return BuSpec{.rcoa = kHoa, .lcoa = coa, .seq = seq, .h = true, .m = false, .dst = kHa};
}

void check_home_refused(Harness& h, const BuSpec& s, std::uint8_t status) {
  const auto before = h.agent.counters().home_bu_refused.count(status) != 0
                          ? h.agent.counters().home_bu_refused.at(status)
                          : 0;
  h.bu(s);
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == status);
  CHECK(ba.ba.sequence == s.seq);
  CHECK(ba.ba.lifetime == 0);
  CHECK(ba.src == s.dst);
  CHECK(ba.rcoa == s.rcoa);
  CHECK(ba.lcoa == s.lcoa.value_or(s.rcoa));
  CHECK(h.agent.counters().home_bu_refused.at(status) == before + 1);
}

template <class T>
std::size_t count_of(const std::vector<Action>& v) {
  return static_cast<std::size_t>(std::count_if(v.begin(), v.end(), [](const Action& a) { return std::holds_alternative<T>(a); }));
}

}  // namespace

TEST_CASE("home: a home registration is installed in the home role and acknowledged (RFC 6275 §10.3.1)", "[home]") {
  Harness h(ha_only());
  h.bu(home_bu(7));
  REQUIRE(h.installs.size() == 1);
  const InstallBinding& ib = h.installs[0];
  CHECK(ib.key == BindingKey{kHoa, 0});
  CHECK(ib.role == BindingRole::home);
  CHECK(ib.reason == InstallReason::create);
  CHECK(ib.map_address == kHa);  // tunnel local end: the HA address
  CHECK(ib.lcoa == kCoa);
  CHECK(ib.proxy_interface == "home0");  // proxy ND on the home link (§10.4.1)
  CHECK_FALSE(ib.link_local_proxy);
  const auto nas = h.take<SendUnsolicitedNa>();
  REQUIRE(nas.size() == 1);
  CHECK(nas[0].rcoa == kHoa);
  // The BA and the NA, in order, for a second home address.
  h.bu(BuSpec{.rcoa = kHoa2, .lcoa = kCoa2, .seq = 3, .h = true, .m = false, .dst = kHa});
  const auto all = h.take_all();
  REQUIRE(count_of<SendBa>(all) == 1);
  const auto ba = *std::find_if(all.begin(), all.end(), [](const Action& a) { return std::holds_alternative<SendBa>(a); });
  const SendBa& b = std::get<SendBa>(ba);
  CHECK(b.src == kHa);
  CHECK(b.rcoa == kHoa2);  // RH2 holds the home address
  CHECK(b.lcoa == kCoa2);  // sent to the care-of address
  CHECK(b.ba.status == 0);
  CHECK(b.ba.sequence == 3);
  CHECK(b.ba.lifetime == 150);
  CHECK_FALSE(b.transient_route);
  const auto na = std::find_if(all.begin(), all.end(), [](const Action& a) { return std::holds_alternative<SendUnsolicitedNa>(a); });
  REQUIRE(na != all.end());
  CHECK(std::get<SendUnsolicitedNa>(*na).rcoa == kHoa2);
  CHECK(std::get<SendUnsolicitedNa>(*na).interface == "home0");

  const auto v = h.binding(kHoa);
  REQUIRE(v);
  CHECK(v->role == BindingRole::home);
  CHECK(v->lcoa == kCoa);
  CHECK(v->sequence == 7);
  CHECK(v->lifetime_units == 150);
  CHECK(v->home_flag);
  CHECK(v->proxy_interface == "home0");
  const MapState st = h.agent.state(h.now);
  REQUIRE(st.bindings.size() == 2);
  CHECK(st.bindings[0].role == BindingRole::home);
  const auto& c = h.agent.counters();
  CHECK(c.home_bu_received == 2);
  CHECK(c.home_bu_accepted == 2);
  CHECK(c.home_bindings_created == 2);
  CHECK(c.bu_accepted == 2);
  CHECK(c.bindings_created == 2);
}

TEST_CASE("home: lifetime capped by the HA's MaxBindingLifetime and the HomePrefix's ValidLifetime, 4 s units",
          "[home]") {
  MapdConfig c = ha_only();
  c.home_agent->max_binding_lifetime = 300;
  Harness h(c);
  h.bu(home_bu(1));
  CHECK(h.only_ba().ba.lifetime == 75);
  c.home_agent->prefixes[0].valid_lifetime = 102;  // rounded down: 25 units
  h.agent.reload(h.now, c);
  h.drain();
  h.actions.clear();
  h.bu(home_bu(2));
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.lifetime == 25);
  CHECK(h.binding(kHoa)->remaining == seconds(100));
  c.home_agent->prefixes[0].valid_lifetime = 3;  // under one unit: nothing can be granted
  h.agent.reload(h.now, c);
  h.drain();
  h.actions.clear();
  check_home_refused(h, home_bu(3), wire::ba_status::kAdministrativelyProhibited);
}

TEST_CASE("home: refusals: 132 outside every HomePrefix, 134 the HA's address, 129 bad care-of addresses", "[home]") {
  Harness h(ha_only());
  check_home_refused(h, BuSpec{.rcoa = kHoaOther, .lcoa = kCoa, .h = true, .m = false, .dst = kHa},
                     wire::ba_status::kNotHomeSubnet);
  check_home_refused(h, BuSpec{.rcoa = kHa, .lcoa = kCoa, .h = true, .m = false, .dst = kHa},
                     wire::ba_status::kDuplicateAddressDetectionFailed);
  // Care-of addresses a home registration cannot bind (RFC 6275 §9.5.1, §10.3.1). The
  // trusted prefix is widened so that only the home agent's own rule refuses them.
  MapdConfig wide = ha_only();
  wide.insecure.trusted_prefixes = {*Ip6Prefix::parse("::/0")};
  Harness w(wide);
  for (const char* coa : {"ff02::1", "fe80::99", "::1", "2001:db8:200::1", "2001:db8:200::77"}) {
    INFO(coa);
    check_home_refused(w, home_bu(1, Ip6Addr::must(coa)), wire::ba_status::kAdministrativelyProhibited);
  }
  CHECK(w.agent.binding_count() == 0);
  CHECK(w.installs.empty());
  CHECK(h.agent.counters().home_bu_accepted == 0);
}

TEST_CASE("home: a care-of address outside TrustedPrefix is silently discarded, as for the MAP", "[home]") {
  Harness h(ha_only());
  h.bu(home_bu(1, kLcoaUntrusted));
  CHECK(h.take_all().empty());
  CHECK(h.agent.counters().bu_unprotected_dropped == 1);
  CHECK(h.agent.binding_count() == 0);
}

TEST_CASE("home: flags: A required, R and P refused, H with M refused (129); H to a MAP, M to a HA", "[home]") {
  Harness h(ha_only());
  BuSpec s = home_bu(1);
  s.a = false;
  check_home_refused(h, s, wire::ba_status::kAdministrativelyProhibited);
  s = home_bu(1);
  s.r = true;
  check_home_refused(h, s, ba_status_ext::kMobileRouterOperationNotPermitted);
  s = home_bu(1);
  s.p = true;
  check_home_refused(h, s, ba_status_ext::kProxyRegistrationNotEnabled);
  // H and M: neither role's BU (RFC 5380 §4): 129, counted.
  s = home_bu(1);
  s.m = true;
  h.bu(s);
  CHECK(h.only_ba().ba.status == wire::ba_status::kAdministrativelyProhibited);
  CHECK(h.agent.counters().bu_h_with_m == 1);
  // A MAP registration to a home agent only: 129 (no status says "not a MAP").
  h.bu(BuSpec{.rcoa = kRcoa1, .lcoa = kLcoaAr1, .dst = kHa});
  CHECK(h.only_ba().ba.status == wire::ba_status::kAdministrativelyProhibited);
  CHECK(h.agent.counters().bu_no_role == 1);
  CHECK(h.agent.binding_count() == 0);

  // A home registration to a MAP only: 131 (RFC 6275 §10.3.1).
  Harness m;
  m.bu(BuSpec{.rcoa = kHoa, .lcoa = kCoa, .h = true, .m = false, .dst = kMap});
  CHECK(m.only_ba().ba.status == wire::ba_status::kHomeRegistrationNotSupported);
  CHECK(m.agent.counters().bu_no_role == 1);
  // Sent to an address mapd does not answer on: silently discarded.
  h.bu(BuSpec{.rcoa = kHoa, .lcoa = kCoa, .h = true, .m = false, .dst = kMap});
  CHECK(h.take_all().empty());
  CHECK(h.agent.counters().bu_wrong_destination == 1);
}

TEST_CASE("home: DAD on the home link first; a duplicate is refused with 134 (RFC 6275 §10.3.1)", "[home]") {
  Harness h(ha_only(true));
  h.bu(home_bu(1));
  auto dads = h.take<StartDad>();
  REQUIRE(dads.size() == 1);
  CHECK(dads[0].rcoa == kHoa);
  CHECK(dads[0].interface == "home0");
  CHECK(dads[0].timeout == milliseconds(1000));
  CHECK(h.installs.empty());
  h.agent.handle_dad_result(h.now, kHoa, true);
  h.drain();
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kDuplicateAddressDetectionFailed);
  CHECK(ba.src == kHa);
  CHECK(h.agent.counters().home_bu_refused.at(134) == 1);
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.agent.pending_count() == 0);

  // No duplicate: installed when the timeout passes, then the BA.
  h.bu(home_bu(2));
  REQUIRE(h.take<StartDad>().size() == 1);
  const MapState st = h.agent.state(h.now);
  REQUIRE(st.pending.size() == 1);
  CHECK(st.pending[0].role == BindingRole::home);
  CHECK(st.pending[0].dad_running);
  h.advance(milliseconds(1000));
  REQUIRE(h.installs.size() == 1);
  CHECK(h.installs[0].role == BindingRole::home);
  CHECK(h.only_ba().ba.status == 0);
  CHECK(h.binding(kHoa));
}

TEST_CASE("home: the L flag: DAD and proxy ND for the link-local address too (RFC 6275 §10.3.1, §10.4.1)", "[home]") {
  Harness h(ha_only(true));
  BuSpec s = home_bu(1);
  s.l = true;
  h.bu(s);
  auto dads = h.take<StartDad>();
  REQUIRE(dads.size() == 2);
  CHECK(dads[0].rcoa == kHoa);
  CHECK(dads[1].rcoa == kHoaLinkLocal);
  CHECK(h.agent.cap_usage().dad_running == 1);  // one solicited-node group
  // The link-local address is taken: the whole BU is refused (134), the other DAD stopped.
  h.agent.handle_dad_result(h.now, kHoaLinkLocal, true);
  h.drain();
  const auto stops = h.take<StopDad>();
  REQUIRE(stops.size() == 1);
  CHECK(stops[0].rcoa == kHoa);
  h.actions.clear();
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.agent.counters().home_bu_refused.at(134) == 1);
  CHECK(h.agent.counters().dad_duplicate == 1);

  // Both free: installed with link_local_proxy, both addresses announced.
  s.seq = 2;
  h.bu(s);
  h.actions.clear();
  h.agent.handle_dad_result(h.now, kHoaLinkLocal, false);  // the home address decides
  h.drain();
  CHECK(h.installs.empty());
  h.advance(milliseconds(1000));
  REQUIRE(h.installs.size() == 1);
  CHECK(h.installs[0].link_local_proxy);
  const auto nas = h.take<SendUnsolicitedNa>();
  REQUIRE(nas.size() == 2);
  CHECK(nas[0].rcoa == kHoa);
  CHECK(nas[1].rcoa == kHoaLinkLocal);
  REQUIRE(h.binding(kHoa));
  CHECK(h.binding(kHoa)->link_local_proxy);

  // A refresh without L changes what the home link proxies: re-installed in place.
  h.bu(home_bu(3));
  REQUIRE(h.installs.size() == 2);
  CHECK(h.installs[1].reason == InstallReason::move);
  CHECK_FALSE(h.installs[1].link_local_proxy);
  CHECK_FALSE(h.binding(kHoa)->link_local_proxy);

  // Carrier back on the home link: proxies refreshed, both kinds of address announced.
  s.seq = 4;
  h.bu(s);
  h.actions.clear();
  h.agent.handle_link_carrier(h.now, "home0", false);
  h.agent.handle_link_carrier(h.now, "home0", true);
  h.drain();
  CHECK(h.take<RefreshProxies>().size() == 1);
  h.agent.handle_link_carrier(h.now, "home0", false);
  h.agent.handle_link_carrier(h.now, "home0", true);
  h.drain();
  const auto again = h.take<SendUnsolicitedNa>();
  REQUIRE(again.size() == 2);
  CHECK(again[0].rcoa == kHoa);
  CHECK(again[1].rcoa == kHoaLinkLocal);
}

TEST_CASE("home: a retransmission with L during DAD extends the DAD to the link-local address", "[home]") {
  Harness h(ha_only(true));
  h.bu(home_bu(1));
  REQUIRE(h.take<StartDad>().size() == 1);
  h.advance(milliseconds(400));
  BuSpec s = home_bu(2);
  s.l = true;
  h.bu(s);
  const auto dads = h.take<StartDad>();
  REQUIRE(dads.size() == 1);
  CHECK(dads[0].rcoa == kHoaLinkLocal);
  CHECK(dads[0].timeout == milliseconds(600));  // the same deadline
  h.agent.handle_dad_result(h.now, kHoaLinkLocal, true);
  h.drain();
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kDuplicateAddressDetectionFailed);
  CHECK(ba.ba.sequence == 2);  // the newest BU is answered
}

TEST_CASE("home: a deregistration cancels a running DAD (StopDad for both addresses)", "[home]") {
  Harness h(ha_only(true));
  BuSpec s = home_bu(1);
  s.l = true;
  h.bu(s);
  h.actions.clear();
  h.bu(BuSpec{.rcoa = kHoa, .lcoa = kCoa, .seq = 2, .lifetime = 0, .h = true, .m = false, .dst = kHa});
  const auto stops = h.take<StopDad>();
  REQUIRE(stops.size() == 2);
  CHECK(stops[0].rcoa == kHoa);
  CHECK(stops[1].rcoa == kHoaLinkLocal);
  CHECK(h.agent.cap_usage().dad_running == 0);
  CHECK(h.agent.pending_count() == 0);
}

TEST_CASE("home: sequence numbers, moves, BRR and expiry", "[home]") {
  Harness h(ha_only());
  h.bu(home_bu(10));
  h.actions.clear();
  check_home_refused(h, home_bu(10), wire::ba_status::kSequenceNumberOutOfWindow);
  // A move: the tunnel's remote end changes in place, then the BA.
  h.bu(home_bu(11, kCoa2));
  REQUIRE(h.installs.size() == 2);
  CHECK(h.installs[1].reason == InstallReason::move);
  CHECK(h.installs[1].lcoa == kCoa2);
  CHECK(h.only_ba().ba.status == 0);
  CHECK(h.binding(kHoa)->lcoa == kCoa2);
  // BrrLead 10 s before the 600 s expiry: a BRR from the HA address.
  h.advance(seconds(590));
  const auto brrs = h.take<SendBrr>();
  REQUIRE(brrs.size() == 1);
  CHECK(brrs[0].src == kHa);
  CHECK(brrs[0].rcoa == kHoa);
  CHECK(brrs[0].lcoa == kCoa2);
  h.advance(seconds(10));
  const auto rm = h.take<RemoveBinding>();
  REQUIRE(rm.size() == 1);
  CHECK(rm[0].key.rcoa == kHoa);
  CHECK(rm[0].reason == RemoveReason::expired);
  CHECK(h.agent.binding_count() == 0);
}

TEST_CASE("home: deregistration by lifetime 0 and by CoA == home address; 133 for an unknown one (§10.3.2)",
          "[home]") {
  Harness h(ha_only());
  h.bu(home_bu(1));
  h.actions.clear();
  h.bu(BuSpec{.rcoa = kHoa, .lcoa = kCoa, .seq = 2, .lifetime = 0, .h = true, .m = false, .dst = kHa});
  auto all = h.take_all();
  REQUIRE(all.size() == 2);
  REQUIRE(std::holds_alternative<RemoveBinding>(all[0]));
  CHECK(std::get<RemoveBinding>(all[0]).reason == RemoveReason::deregistered);
  REQUIRE(std::holds_alternative<SendBa>(all[1]));
  CHECK(std::get<SendBa>(all[1]).ba.status == 0);
  CHECK(std::get<SendBa>(all[1]).ba.lifetime == 0);
  CHECK(std::get<SendBa>(all[1]).transient_route);
  CHECK(h.agent.counters().home_deregistrations == 1);

  // Back home: the BU comes from the home address itself (no HAO).
  h.bu(home_bu(3));
  h.actions.clear();
  h.bu(BuSpec{.rcoa = kHoa, .lcoa = std::nullopt, .seq = 4, .h = true, .m = false, .dst = kHa});
  all = h.take_all();
  REQUIRE(all.size() == 2);
  CHECK(std::get<RemoveBinding>(all[0]).reason == RemoveReason::deregistered);
  CHECK(std::get<SendBa>(all[1]).lcoa == kHoa);
  CHECK(h.agent.counters().home_deregistrations == 2);
  CHECK(h.agent.binding_count() == 0);

  check_home_refused(h, BuSpec{.rcoa = kHoa, .lcoa = kCoa, .seq = 5, .lifetime = 0, .h = true, .m = false, .dst = kHa},
                     wire::ba_status::kNotHomeAgentForThisMobileNode);
}

TEST_CASE("home: both roles on one address: the flags pick the role; the RCoA is the home CoA", "[home]") {
  Harness h(both(kMap));
  h.bu(BuSpec{.rcoa = kRcoa1, .lcoa = kLcoaAr1});  // the MAP registration
  CHECK(h.only_ba().ba.status == 0);
  h.bu(BuSpec{.rcoa = kHoa, .lcoa = kRcoa1, .h = true, .m = false, .dst = kMap});  // the home registration
  CHECK(h.only_ba().ba.status == 0);
  REQUIRE(h.installs.size() == 2);
  CHECK(h.installs[0].role == BindingRole::map);
  CHECK(h.installs[1].role == BindingRole::home);
  CHECK(h.installs[1].map_address == kMap);
  CHECK(h.installs[1].lcoa == kRcoa1);
  const MapState st = h.agent.state(h.now);
  REQUIRE(st.bindings.size() == 2);
  const auto role_of = [&](const Ip6Addr& a) {
    return std::find_if(st.bindings.begin(), st.bindings.end(), [&](const BindingView& v) { return v.key.rcoa == a; })->role;
  };
  CHECK(role_of(kRcoa1) == BindingRole::map);
  CHECK(role_of(kHoa) == BindingRole::home);
  CHECK(h.agent.counters().home_bu_accepted == 1);
  CHECK(h.agent.counters().bu_accepted == 2);
  // hmipctl's view names the role of each binding.
  const io::Json j = io::map_bindings_json(st);
  REQUIRE(j.size() == 2);
  for (const auto& b : j) CHECK(b["role"] == (b["rcoa"] == kHoa.str() ? "home" : "map"));
  // H with M on the shared address: neither.
  h.bu(BuSpec{.rcoa = kHoa2, .lcoa = kRcoa1, .h = true, .m = true, .dst = kMap});
  CHECK(h.only_ba().ba.status == wire::ba_status::kAdministrativelyProhibited);
}

TEST_CASE("home: both roles on two addresses: each answers its own registrations only", "[home]") {
  Harness h(both(kHa));
  h.bu(home_bu(1));
  CHECK(h.only_ba().ba.status == 0);
  h.bu(BuSpec{.rcoa = kRcoa1, .lcoa = kLcoaAr1});
  CHECK(h.only_ba().ba.status == 0);
  // A home registration to the MAP address: 131; a MAP registration to the HA address: 129.
  h.bu(BuSpec{.rcoa = kHoa2, .lcoa = kCoa, .h = true, .m = false, .dst = kMap});
  CHECK(h.only_ba().ba.status == wire::ba_status::kHomeRegistrationNotSupported);
  h.bu(BuSpec{.rcoa = kRcoa2, .lcoa = kLcoaAr1, .dst = kHa});
  CHECK(h.only_ba().ba.status == wire::ba_status::kAdministrativelyProhibited);
  CHECK(h.agent.counters().bu_no_role == 2);
  CHECK(h.agent.binding_count() == 2);
  // The RCoA-prefix check of the MAP role does not apply to home care-of addresses.
  CHECK(h.binding(kHoa)->lcoa == kRcoa1);
}

TEST_CASE("home: caps count both roles' bindings together", "[home]") {
  MapdConfig c = both(kHa);
  c.max_bindings = 1;
  Harness h(c);
  h.bu(BuSpec{.rcoa = kRcoa1, .lcoa = kLcoaAr1});
  CHECK(h.only_ba().ba.status == 0);
  check_home_refused(h, home_bu(1), wire::ba_status::kInsufficientResources);
  CHECK(h.agent.counters().cap_bindings == 1);
  // The per-TrustedPrefix cap counts a node's bindings of both roles.
  c.max_bindings = 10;
  c.max_bindings_per_trusted_prefix = 2;
  Harness p(c);
  p.bu(BuSpec{.rcoa = kRcoa1, .lcoa = kLcoaAr1});
  p.bu(home_bu(1, kLcoaAr1));
  p.actions.clear();
  check_home_refused(p, BuSpec{.rcoa = kHoa2, .lcoa = kLcoaAr1, .h = true, .m = false, .dst = kHa},
                     wire::ba_status::kInsufficientResources);
  CHECK(p.agent.counters().cap_identity == 1);
  CHECK(p.agent.cap_usage().bindings == 2);
}

TEST_CASE("home: adoption: a leftover on a HomePrefix is adopted in the home role", "[home]") {
  Harness h(both(kHa));
  const AdoptVerdict v = h.agent.adopt(h.now, LeftoverBinding{{kHoa, 0}, kHa, kCoa, "home0", 0});
  h.drain();
  CHECK(v == AdoptVerdict::adopted);
  REQUIRE(h.binding(kHoa));
  CHECK(h.binding(kHoa)->role == BindingRole::home);
  CHECK(h.binding(kHoa)->adopted);
  h.advance(milliseconds(1));
  const auto brrs = h.take<SendBrr>();
  REQUIRE(brrs.size() == 1);
  CHECK(brrs[0].src == kHa);  // asked to re-register from the HA address
  // The first BU of an adopted binding passes with any sequence number.
  h.bu(home_bu(0));
  CHECK(h.only_ba().ba.status == 0);
  CHECK_FALSE(h.binding(kHoa)->adopted);

  // Refused: another tunnel local end, a care-of address no home BU could bind,
  // an address on no prefix of either role. A different interface: re-installed.
  CHECK(h.agent.adopt(h.now, LeftoverBinding{{kHoa2, 0}, kMap, kCoa, "home0", 0}) ==
        AdoptVerdict::other_map_address);
  CHECK(h.agent.adopt(h.now, LeftoverBinding{{kHoa2, 0}, kHa, Ip6Addr::must("2001:db8:200::99"), "home0", 0}) ==
        AdoptVerdict::lcoa_not_allowed);
  CHECK(h.agent.adopt(h.now, LeftoverBinding{{kHoaOther, 0}, kHa, kCoa, "home0", 0}) ==
        AdoptVerdict::outside_prefixes);
  h.drain();
  h.installs.clear();
  CHECK(h.agent.adopt(h.now, LeftoverBinding{{kHoa2, 0}, kHa, kCoa, "", 0}) == AdoptVerdict::adopted_reinstall);
  h.drain();
  REQUIRE(h.installs.size() == 1);
  CHECK(h.installs[0].role == BindingRole::home);
  CHECK(h.installs[0].map_address == kHa);
  CHECK(h.installs[0].proxy_interface == "home0");
  // An RCoA leftover keeps the map role.
  CHECK(h.agent.adopt(h.now, LeftoverBinding{{kRcoa1, 0}, kMap, kLcoaAr1, "map0", 0}) == AdoptVerdict::adopted);
  CHECK(h.binding(kRcoa1)->role == BindingRole::map);
}

TEST_CASE("home: reload: a removed home prefix removes its bindings; a new HA address re-installs", "[home]") {
  MapdConfig c = both(kHa);
  Harness h(c);
  h.bu(home_bu(1));
  h.bu(BuSpec{.rcoa = kRcoa1, .lcoa = kLcoaAr1});
  h.actions.clear();
  h.installs.clear();

  // A new HomeAgent Address (and home link): the home binding is re-installed in place.
  c.home_agent->address = Ip6Addr::must("2001:db8:200::2");
  c.home_agent->prefixes[0].interface = "home1";
  h.agent.reload(h.now, c);
  h.drain();
  REQUIRE(h.installs.size() == 1);
  CHECK(h.installs[0].key.rcoa == kHoa);
  CHECK(h.installs[0].reason == InstallReason::reload);
  CHECK(h.installs[0].role == BindingRole::home);
  CHECK(h.installs[0].map_address == Ip6Addr::must("2001:db8:200::2"));
  CHECK(h.installs[0].proxy_interface == "home1");
  CHECK(h.binding(kHoa));

  // A pending home registration (DAD running) and a binding; the HomeAgent block goes.
  c.home_agent->dad = true;
  h.agent.reload(h.now, c);
  h.drain();
  h.bu(BuSpec{.rcoa = kHoa2, .lcoa = kCoa, .h = true, .m = false, .dst = Ip6Addr::must("2001:db8:200::2")});
  REQUIRE(h.take<StartDad>().size() == 1);
  c.home_agent.reset();
  h.agent.reload(h.now, c);
  h.drain();
  const auto all = h.take_all();
  const auto removed = std::find_if(all.begin(), all.end(), [](const Action& a) { return std::holds_alternative<RemoveBinding>(a); });
  REQUIRE(removed != all.end());
  CHECK(std::get<RemoveBinding>(*removed).key.rcoa == kHoa);
  CHECK(std::get<RemoveBinding>(*removed).reason == RemoveReason::prefix_removed);
  const auto ba = std::find_if(all.begin(), all.end(), [](const Action& a) { return std::holds_alternative<SendBa>(a); });
  REQUIRE(ba != all.end());
  CHECK(std::get<SendBa>(*ba).rcoa == kHoa2);
  CHECK(std::get<SendBa>(*ba).ba.status == wire::ba_status::kNotHomeSubnet);
  CHECK(h.agent.counters().home_bu_refused.at(132) == 1);
  CHECK(h.agent.binding_count() == 1);  // the MAP binding stays
  CHECK(h.binding(kRcoa1));
  CHECK(h.agent.pending_count() == 0);
  // A home registration now: the home agent role is gone: 131.
  h.bu(BuSpec{.rcoa = kHoa, .lcoa = kCoa, .seq = 5, .h = true, .m = false, .dst = kMap});
  CHECK(h.only_ba().ba.status == wire::ba_status::kHomeRegistrationNotSupported);
}

// Secure mode (RFC 4877): test_map_home_secure.cpp.

// ---------------------------------------------------------------------------
// Review of issue 14 (items 1, 4, 6, 10)

namespace {

// Trusts the care-of addresses of the tests (the RCoA and AR prefixes), not the home prefix.
MapdConfig ha_testbed(bool dad = false) {
  MapdConfig c = ha_only(dad);
  c.insecure.trusted_prefixes = {*Ip6Prefix::parse("2001:db8:1::/48"), *Ip6Prefix::parse("2001:db8:100::/64")};
  return c;
}

// RFC 6275 §11.5.5: back home, from the home address, no HAO, on the home link.
BuSpec dereg_from_home(std::uint16_t seq, const std::string& iface = "home0") {
  return BuSpec{.rcoa = kHoa, .lcoa = std::nullopt, .seq = seq, .h = true, .m = false, .dst = kHa, .iface = iface};
}

}  // namespace

TEST_CASE("home: a node back home deregisters from its home link without TrustedPrefix (RFC 6275 §11.5.5)",
          "[home]") {
  Harness h(ha_testbed());
  h.bu(home_bu(1));
  CHECK(h.only_ba().ba.status == 0);
  h.actions.clear();

  // Not exempt: another link, an unknown link, a HAO, an Alternate Care-of
  // Address naming another address (with a lifetime, or 0): silently dropped
  // as before (the home prefix is not trusted).
  const auto drops = h.agent.counters().bu_unprotected_dropped;
  h.bu(dereg_from_home(2, "eth9"));
  h.bu(dereg_from_home(2, ""));
  BuSpec hao = dereg_from_home(2);
  hao.lcoa = kHoa2;
  h.bu(hao);
  BuSpec acoa = dereg_from_home(2);
  acoa.options = {wire::AlternateCareOfAddressOption{kCoa2}};
  h.bu(acoa);
  acoa.lifetime = 0;
  h.bu(acoa);
  CHECK(h.take_all().empty());
  CHECK(h.agent.counters().bu_unprotected_dropped == drops + 5);
  CHECK(h.agent.counters().home_bu_from_home_link == 0);
  REQUIRE(h.binding(kHoa));
  CHECK(h.binding(kHoa)->lcoa == kCoa);

  // The rules after the protection check still apply: 135 for an old number.
  h.bu(dereg_from_home(1));
  CHECK(h.only_ba().ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
  REQUIRE(h.binding(kHoa));

  // The deregistration from the home link: accepted, the binding (tunnel, proxy) removed.
  h.bu(dereg_from_home(2));
  auto all = h.take_all();
  REQUIRE(all.size() == 2);
  REQUIRE(std::holds_alternative<RemoveBinding>(all[0]));
  CHECK(std::get<RemoveBinding>(all[0]).key.rcoa == kHoa);
  CHECK(std::get<RemoveBinding>(all[0]).reason == RemoveReason::deregistered);
  REQUIRE(std::holds_alternative<SendBa>(all[1]));
  const SendBa& ba = std::get<SendBa>(all[1]);
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.lifetime == 0);
  CHECK(ba.src == kHa);
  CHECK(ba.lcoa == kHoa);  // to the home address, on the home link
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.agent.counters().home_bu_from_home_link == 2);  // the one answered 135, this one
  CHECK(h.agent.counters().home_deregistrations == 1);
  // Lifetime 0 too; with no binding: 133 (§10.3.2), answered.
  BuSpec zero = dereg_from_home(3);
  zero.lifetime = 0;
  h.bu(zero);
  CHECK(h.only_ba().ba.status == wire::ba_status::kNotHomeAgentForThisMobileNode);
  // What it cannot do: create a binding. A home BU from the home link with a
  // lifetime and the home address as its care-of address is a deregistration.
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.installs.size() == 1);
}

TEST_CASE("home: adoption keeps the L flag the kernel's proxy entries show", "[home]") {
  MapdConfig c = both(kHa);
  Harness h(c);
  CHECK(h.agent.adopt(h.now, LeftoverBinding{{kHoa, 0}, kHa, kCoa, "home0", 0, true}) == AdoptVerdict::adopted);
  h.drain();
  REQUIRE(h.binding(kHoa));
  CHECK(h.binding(kHoa)->link_local_proxy);
  CHECK(h.installs.empty());
  // Carrier back on the home link: the link-local address is announced too.
  h.agent.handle_link_carrier(h.now, "home0", true);
  h.drain();
  auto nas = h.take<SendUnsolicitedNa>();
  REQUIRE(nas.size() == 2);
  CHECK(nas[1].rcoa == kHoaLinkLocal);
  // A re-install (the configured TunnelMtu differs) keeps the link-local proxy.
  c.tunnel_mtu = 1400;
  Harness r(c);
  CHECK(r.agent.adopt(r.now, LeftoverBinding{{kHoa, 0}, kHa, kCoa, "home0", 1280, true}) ==
        AdoptVerdict::adopted_reinstall);
  r.drain();
  REQUIRE(r.installs.size() == 1);
  CHECK(r.installs[0].reason == InstallReason::adopt);
  CHECK(r.installs[0].link_local_proxy);
  CHECK(r.binding(kHoa)->link_local_proxy);
  // A link-local proxy entry a map binding cannot have: re-installed without it.
  CHECK(r.agent.adopt(r.now, LeftoverBinding{{kRcoa1, 0}, kMap, kLcoaAr1, "map0", 1400, true}) ==
        AdoptVerdict::adopted_reinstall);
  r.drain();
  REQUIRE(r.installs.size() == 2);
  CHECK_FALSE(r.installs[1].link_local_proxy);
  CHECK_FALSE(r.binding(kRcoa1)->link_local_proxy);
}

TEST_CASE("home: link-local DAD on a HomePrefix shorter than /64 matches by interface identifier", "[home]") {
  MapdConfig c = ha_only(true);
  c.home_agent->prefixes[0].prefix = *Ip6Prefix::parse("2001:db8:200::/48");
  Harness h(c);
  const Ip6Addr hoa = Ip6Addr::must("2001:db8:200:5::10");
  h.bu(BuSpec{.rcoa = hoa, .lcoa = kCoa, .h = true, .m = false, .l = true, .dst = kHa});
  const auto dads = h.take<StartDad>();
  REQUIRE(dads.size() == 2);
  CHECK(dads[1].rcoa == kHoaLinkLocal);
  h.agent.handle_dad_result(h.now, kHoaLinkLocal, true);
  h.drain();
  CHECK(h.agent.counters().dad_unmatched == 0);
  const auto all = h.take_all();
  REQUIRE(all.size() == 2);
  REQUIRE(std::holds_alternative<StopDad>(all[0]));
  CHECK(std::get<StopDad>(all[0]).rcoa == hoa);
  REQUIRE(std::holds_alternative<SendBa>(all[1]));
  CHECK(std::get<SendBa>(all[1]).rcoa == hoa);
  CHECK(std::get<SendBa>(all[1]).ba.status == wire::ba_status::kDuplicateAddressDetectionFailed);
  CHECK(h.agent.pending_count() == 0);
  h.advance(seconds(2));
  CHECK(h.installs.empty());  // never bound despite the duplicate
}

TEST_CASE("home: L for a link-local address another binding proxies on the same link: 134", "[home]") {
  MapdConfig c = ha_only();
  HomePrefixConfig second = c.home_agent->prefixes[0];
  second.prefix = *Ip6Prefix::parse("2001:db8:201::/64");  // the same link, home0
  c.home_agent->prefixes.push_back(second);
  HomePrefixConfig other_link = second;
  other_link.prefix = *Ip6Prefix::parse("2001:db8:202::/64");
  other_link.interface = "home1";
  c.home_agent->prefixes.push_back(other_link);
  Harness h(c);
  const Ip6Addr same_iid = Ip6Addr::must("2001:db8:201::10");  // fe80::10 as kHoa
  BuSpec s = home_bu(1);
  s.l = true;
  h.bu(s);
  CHECK(h.only_ba().ba.status == 0);
  REQUIRE(h.binding(kHoa)->link_local_proxy);
  // The same interface identifier on the same link with L: refused; nothing installed.
  check_home_refused(h, BuSpec{.rcoa = same_iid, .lcoa = kCoa2, .h = true, .m = false, .l = true, .dst = kHa},
                     wire::ba_status::kDuplicateAddressDetectionFailed);
  CHECK(h.agent.counters().home_link_local_taken == 1);
  CHECK(h.installs.size() == 1);
  // Without L it needs no link-local proxy: accepted. Asking L later: refused.
  h.bu(BuSpec{.rcoa = same_iid, .lcoa = kCoa2, .seq = 2, .h = true, .m = false, .dst = kHa});
  CHECK(h.only_ba().ba.status == 0);
  check_home_refused(h, BuSpec{.rcoa = same_iid, .lcoa = kCoa2, .seq = 3, .h = true, .m = false, .l = true, .dst = kHa},
                     wire::ba_status::kDuplicateAddressDetectionFailed);
  CHECK_FALSE(h.binding(same_iid)->link_local_proxy);
  // The holder's own refreshes with L go on.
  s.seq = 2;
  h.bu(s);
  CHECK(h.only_ba().ba.status == 0);
  // Another link: its own fe80::10.
  h.bu(BuSpec{.rcoa = Ip6Addr::must("2001:db8:202::10"), .lcoa = kCoa2, .h = true, .m = false, .l = true, .dst = kHa});
  CHECK(h.only_ba().ba.status == 0);
  // Once the holder deregisters, the address is free.
  h.bu(BuSpec{.rcoa = kHoa, .lcoa = kCoa, .seq = 3, .lifetime = 0, .h = true, .m = false, .dst = kHa});
  h.actions.clear();
  h.bu(BuSpec{.rcoa = same_iid, .lcoa = kCoa2, .seq = 4, .h = true, .m = false, .l = true, .dst = kHa});
  CHECK(h.only_ba().ba.status == 0);
  CHECK(h.binding(same_iid)->link_local_proxy);

  // A pending registration (DAD running) with L holds it too.
  MapdConfig d = c;
  d.home_agent->dad = true;
  Harness p(d);
  p.bu(s);
  REQUIRE(p.take<StartDad>().size() == 2);
  check_home_refused(p, BuSpec{.rcoa = same_iid, .lcoa = kCoa2, .h = true, .m = false, .l = true, .dst = kHa},
                     wire::ba_status::kDuplicateAddressDetectionFailed);
}

TEST_CASE("home: Binding Errors come from the destination when it is mapd's, never from ::", "[home]") {
  const wire::Error unknown{wire::Errc::unknown_type, 2, "unknown MH type"};
  Harness h(ha_only());
  h.agent.handle_invalid_mh(h.now, kCoa2, kHa, std::nullopt, unknown, 42);
  h.agent.handle_invalid_mh(h.now, kCoa2, kHoa, std::nullopt, unknown, 42);  // not one of mapd's
  h.drain();
  auto be = h.take<SendBindingError>();
  REQUIRE(be.size() == 2);
  CHECK(be[0].src == kHa);
  CHECK(be[1].src == kHa);  // an HA-only mapd: its HomeAgent Address (was ::)
  Harness b(both(kHa));
  b.agent.handle_invalid_mh(b.now, kCoa2, kHa, std::nullopt, unknown, 42);
  b.agent.handle_invalid_mh(b.now, kCoa2, kMap, std::nullopt, unknown, 42);
  b.agent.handle_invalid_mh(b.now, kCoa2, kHoa, std::nullopt, unknown, 42);
  b.drain();
  be = b.take<SendBindingError>();
  REQUIRE(be.size() == 3);
  CHECK(be[0].src == kHa);  // sent to the HA address: answered from it (was MapAddress)
  CHECK(be[1].src == kMap);
  CHECK(be[2].src == kMap);
}
