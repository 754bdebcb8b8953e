// MapAgent's Binding Update processing (hmip/map/map_agent.h): every BA
// status, sequence numbers modulo 2^16, lifetime capping and 4 s rounding,
// the neighbouring-domain rules (RFC 5380 §8), unprotected BUs,
// deregistration, and that bad input never loses a binding.
#include "test_map_util.h"

#include "hmip/map/binding_rules.h"

using namespace maptest;

namespace {

// Registers kRcoa1 from kLcoaAr1 with sequence `seq` and clears the actions.
void bind(Harness& h, std::uint16_t seq = 1, const Ip6Addr& lcoa = kLcoaAr1) {
  h.bu({.lcoa = lcoa, .seq = seq});
  REQUIRE(h.binding());
  h.actions.clear();
}

void check_refused(Harness& h, const BuSpec& s, std::uint8_t status) {
  h.bu(s);
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == status);
  CHECK(ba.ba.sequence == s.seq);
  CHECK(ba.ba.lifetime == 0);
  CHECK(ba.rcoa == s.rcoa);
  CHECK(ba.lcoa == s.lcoa.value_or(s.rcoa));
  CHECK(ba.transient_route);
  CHECK(h.agent.counters().refused(status) >= 1);
}

}  // namespace

TEST_CASE("map rules: sequence numbers modulo 2^16 (RFC 6275 §9.5.1)", "[map]") {
  CHECK(sequence_greater(2, 1));
  CHECK_FALSE(sequence_greater(1, 1));
  CHECK_FALSE(sequence_greater(1, 2));
  CHECK(sequence_greater(0, 65535));   // wraparound
  CHECK(sequence_greater(32767, 0));   // the largest step forward
  CHECK_FALSE(sequence_greater(32768, 0));  // distance 2^15: undefined in RFC 1982, refused
  CHECK_FALSE(sequence_greater(0, 32768));
  CHECK(sequence_greater(32768, 1));
}

TEST_CASE("map rules: granted lifetime is the smallest limit, rounded down to 4 s units", "[map]") {
  const LifetimeLimits lim{600, 0xffffffff, 3600};
  CHECK(granted_lifetime_units(100, lim) == 100);       // 400 s asked
  CHECK(granted_lifetime_units(1000, lim) == 150);      // 600 s cap
  CHECK(granted_lifetime_units(1000, {601, 0xffffffff, 3600}) == 150);  // 601 s -> 600 s
  CHECK(granted_lifetime_units(1000, {600, 103, 3600}) == 25);  // prefix valid lifetime 103 s -> 100 s
  CHECK(granted_lifetime_units(1000, {600, 0xffffffff, 50}) == 12);  // advertised 50 s -> 48 s
  // Below one unit: nothing can be granted without exceeding the cap (issue 13 item 9).
  CHECK(granted_lifetime_units(1000, {3, 0xffffffff, 3600}) == 0);
  CHECK(granted_lifetime_units(1000, {600, 3, 3600}) == 0);
  CHECK(granted_lifetime_units(1000, {600, 0xffffffff, 2}) == 0);
  CHECK(granted_lifetime_units(1, {600, 7, 3600}) == 1);  // 7 s -> 4 s, never 8
  CHECK(granted_lifetime_units(65535, {0xffffffff, 0xffffffff, 0xffffffff}) == 65535);
}

TEST_CASE("map: a new binding is installed, then acknowledged with its granted lifetime", "[map]") {
  Harness h;
  h.bu({.seq = 7, .lifetime = 1000});
  const auto all = h.take_all();
  REQUIRE(all.size() == 3);
  const auto& ib = std::get<InstallBinding>(all[0]);
  CHECK(ib.key == BindingKey{kRcoa1, 0});
  CHECK(ib.reason == InstallReason::create);
  CHECK(ib.map_address == kMap);
  CHECK(ib.lcoa == kLcoaAr1);
  CHECK(ib.proxy_interface == "map0");
  const auto& ba = std::get<SendBa>(all[1]);
  CHECK(ba.src == kMap);
  CHECK(ba.rcoa == kRcoa1);
  CHECK(ba.lcoa == kLcoaAr1);
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.sequence == 7);
  CHECK(ba.ba.lifetime == 150);  // 600 s: MaxBindingLifetime
  CHECK_FALSE(ba.ba.key_mgmt_compat);
  CHECK_FALSE(ba.transient_route);
  CHECK(std::get<SendUnsolicitedNa>(all[2]).rcoa == kRcoa1);
  CHECK(std::get<SendUnsolicitedNa>(all[2]).interface == "map0");
  const auto b = h.binding();
  REQUIRE(b);
  CHECK(b->lcoa == kLcoaAr1);
  CHECK(b->remaining == seconds(600));
  CHECK(h.agent.counters().bu_accepted == 1);
  CHECK(h.agent.counters().bindings_created == 1);
}

TEST_CASE("map: a lifetime cap under 4 s refuses the BU instead of granting 4 s (issue 13 item 9)", "[map]") {
  auto cfg = test_config();
  cfg.rcoa_prefixes[0].valid_lifetime = 3;
  Harness h(cfg);
  h.bu({.lifetime = 1000});
  const auto ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kAdministrativelyProhibited);
  CHECK(ba.ba.lifetime == 0);
  CHECK_FALSE(h.binding());
}

TEST_CASE("map: the binding lives exactly what the BA says (4 s rounding)", "[map]") {
  auto cfg = test_config();
  cfg.advertised_valid_lifetime = 50;  // 48 s granted
  Harness h(cfg);
  h.bu({.lifetime = 1000});
  CHECK(h.only_ba().ba.lifetime == 12);
  h.advance(milliseconds(47999));
  CHECK(h.binding());
  h.take_all();
  h.advance(milliseconds(1));
  CHECK_FALSE(h.binding());
  const auto rm = h.take<RemoveBinding>();
  REQUIRE(rm.size() == 1);
  CHECK(rm[0].reason == RemoveReason::expired);
}

TEST_CASE("map: RCoA outside every RcoaPrefix gets 132, the MAP's own address 134", "[map]") {
  Harness h;
  check_refused(h, {.rcoa = kRcoaOther}, wire::ba_status::kNotHomeSubnet);
  check_refused(h, {.rcoa = kMap}, wire::ba_status::kDuplicateAddressDetectionFailed);
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.installs.empty());
}

TEST_CASE("map: flags: M and A required, H with M refused (129), R and P refused", "[map]") {
  Harness h;
  check_refused(h, {.m = false}, wire::ba_status::kAdministrativelyProhibited);
  check_refused(h, {.h = true, .m = false}, wire::ba_status::kHomeRegistrationNotSupported);
  check_refused(h, {.a = false}, wire::ba_status::kAdministrativelyProhibited);
  check_refused(h, {.r = true}, ba_status_ext::kMobileRouterOperationNotPermitted);
  check_refused(h, {.p = true}, ba_status_ext::kProxyRegistrationNotEnabled);
  // Issue 14: a BU is a home registration or a MAP registration (RFC 5380 §4), not both.
  check_refused(h, {.h = true}, wire::ba_status::kAdministrativelyProhibited);
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.agent.counters().bu_h_with_m == 1);
}

TEST_CASE("map: LCoA rules: outside the prefixes, inside an RCoA prefix, neighbouring domain (RFC 5380 §8)", "[map]") {
  Harness h;
  check_refused(h, {.lcoa = kLcoaForeign}, wire::ba_status::kAdministrativelyProhibited);
  check_refused(h, {.lcoa = Ip6Addr::must("2001:db8:100::99")}, wire::ba_status::kAdministrativelyProhibited);
  // A new binding from a neighbouring domain is refused ...
  check_refused(h, {.lcoa = kLcoaNeighbour}, wire::ba_status::kAdministrativelyProhibited);
  CHECK(h.agent.binding_count() == 0);
  // ... an existing one may move there (the MN moved on; short lifetime as asked).
  bind(h, 1);
  h.bu({.lcoa = kLcoaNeighbour, .seq = 2, .lifetime = 5});
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.lifetime == 5);
  REQUIRE(h.binding());
  CHECK(h.binding()->lcoa == kLcoaNeighbour);
  CHECK(h.binding()->from_neighbour);
  // A foreign LCoA for the existing binding: 129, the binding stays as it was.
  check_refused(h, {.lcoa = kLcoaForeign, .seq = 3}, wire::ba_status::kAdministrativelyProhibited);
  CHECK(h.binding()->lcoa == kLcoaNeighbour);
}

TEST_CASE("map: sequence numbers: 135 with the last accepted one; wraparound accepted", "[map]") {
  Harness h;
  bind(h, 65535);
  h.bu({.seq = 65535});  // equal: not greater
  SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
  CHECK(ba.ba.sequence == 65535);
  CHECK_FALSE(ba.transient_route);  // the binding routes RCoA -> this LCoA
  h.bu({.seq = 0});  // 65535 -> 0
  ba = h.only_ba();
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.sequence == 0);
  h.bu({.seq = 32768});  // distance 2^15 from 0
  ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
  CHECK(ba.ba.sequence == 0);
  h.bu({.lcoa = kLcoaAr2, .seq = 65000});  // behind, from another LCoA
  ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
  CHECK(ba.transient_route);
  REQUIRE(h.binding());
  CHECK(h.binding()->lcoa == kLcoaAr1);
  CHECK(h.binding()->sequence == 0);
  CHECK(h.agent.counters().refused(wire::ba_status::kSequenceNumberOutOfWindow) == 3);
}

TEST_CASE("map: a new binding accepts any sequence number", "[map]") {
  Harness h;
  h.bu({.seq = 40000});
  CHECK(h.only_ba().ba.status == 0);
  h.bu({.rcoa = kRcoa2, .seq = 0});
  CHECK(h.only_ba().ba.status == 0);
}

TEST_CASE("map: deregistration: lifetime 0 or CoA == RCoA removes the binding; unknown gets 133", "[map]") {
  Harness h;
  bind(h, 1);
  h.bu({.seq = 2, .lifetime = 0});
  auto all = h.take_all();
  REQUIRE(all.size() == 2);
  CHECK(std::get<RemoveBinding>(all[0]).reason == RemoveReason::deregistered);
  const auto& ba = std::get<SendBa>(all[1]);
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.lifetime == 0);
  CHECK(ba.ba.sequence == 2);
  CHECK(ba.transient_route);  // the binding's route2 state is gone
  CHECK_FALSE(h.binding());
  CHECK_FALSE(h.agent.poll_timeout());

  bind(h, 5);
  h.bu({.lcoa = std::nullopt, .seq = 6});  // from the RCoA itself, no HAO: returning "home"
  all = h.take_all();
  REQUIRE(all.size() == 2);
  CHECK(std::holds_alternative<RemoveBinding>(all[0]));
  CHECK(std::get<SendBa>(all[1]).lcoa == kRcoa1);
  CHECK_FALSE(h.binding());

  check_refused(h, {.seq = 7, .lifetime = 0}, wire::ba_status::kNotHomeAgentForThisMobileNode);
  CHECK(h.agent.counters().deregistrations == 2);
}

TEST_CASE("map: a stale deregistration is refused with 135 and keeps the binding", "[map]") {
  Harness h;
  bind(h, 10);
  h.bu({.seq = 9, .lifetime = 0});
  CHECK(h.only_ba().ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
  CHECK(h.binding());
}

TEST_CASE("map: unprotected BUs are dropped silently unless insecure mode trusts the CoA", "[map]") {
  SECTION("insecure mode off: nothing holds the RCoA (test_map_secure.cpp has every verdict)") {
    auto cfg = test_config();
    cfg.insecure.enabled = false;
    Harness h(cfg);
    h.bu({.options = {wire::AlternateCareOfAddressOption{kLcoaAr1}}});
    CHECK(h.take_all().empty());
    CHECK(h.agent.counters().bu_no_ike_sa == 1);
    h.bu({.seq = 2, .options = {wire::AlternateCareOfAddressOption{kLcoaAr1}}});  // the log is rate-limited
    CHECK(h.take<LogEvent>().empty());
    CHECK(h.agent.counters().bu_no_ike_sa == 2);
    CHECK(h.agent.counters().bu_unprotected_dropped == 0);
  }
  SECTION("CoA outside TrustedPrefix") {
    Harness h;
    h.bu({.lcoa = kLcoaUntrusted});
    CHECK(h.take_all().empty());
    CHECK(h.agent.counters().bu_unprotected_dropped == 1);
  }
  SECTION("an Alternate CoA outside TrustedPrefix") {
    Harness h;
    h.bu({.options = {wire::AlternateCareOfAddressOption{kLcoaUntrusted}}});
    CHECK(h.take_all().empty());
  }
}

TEST_CASE("map: an Alternate Care-of Address option is the care-of address (RFC 6275 §6.2.5)", "[map]") {
  Harness h;
  h.bu({.options = {wire::AlternateCareOfAddressOption{kLcoaAr2}}});
  CHECK(h.only_ba().lcoa == kLcoaAr2);
  REQUIRE(h.binding());
  CHECK(h.binding()->lcoa == kLcoaAr2);
}

TEST_CASE("map: bad input never loses a binding", "[map]") {
  Harness h;
  bind(h, 1);
  // A malformed option: silently discarded.
  wire::MalformedMobilityOption bad;
  bad.type = wire::mh_opt::kAlternateCareOfAddress;
  bad.data = wire::Bytes(3, 0);
  bad.error = wire::Error{wire::Errc::bad_length, 9, "test"};
  h.bu({.seq = 2, .lifetime = 0, .options = {bad}});
  CHECK(h.take_all().empty());
  CHECK(h.agent.counters().bu_malformed_option == 1);
  // Not sent to MapAddress.
  h.bu({.seq = 2, .lifetime = 0, .dst = Ip6Addr::must("2001:db8:100::2")});
  CHECK(h.take_all().empty());
  CHECK(h.agent.counters().bu_wrong_destination == 1);
  // A BA to the MAP, and undecodable MHs.
  h.agent.handle_mh(h.now, ReceivedMh{kRcoa1, kMap, kLcoaAr1, wire::BindingAck{}});
  h.agent.handle_invalid_mh(h.now, kRcoa1, kMap, kLcoaAr1, wire::Error{wire::Errc::bad_checksum, 4, "x"}, 5);
  h.drain();
  CHECK(h.take_all().empty());
  CHECK(h.agent.counters().unexpected_mh == 1);
  // Unprotected dereg from an untrusted CoA, refused flags, stale sequence.
  h.bu({.lcoa = kLcoaUntrusted, .seq = 3, .lifetime = 0});
  h.bu({.seq = 3, .lifetime = 0, .m = false});
  h.bu({.seq = 1, .lifetime = 0});
  h.bu({.lcoa = kLcoaForeign, .seq = 4});
  REQUIRE(h.binding());
  CHECK(h.binding()->lcoa == kLcoaAr1);
  CHECK(h.binding()->sequence == 1);
  CHECK(h.take<RemoveBinding>().empty());
}

TEST_CASE("map: MultipleCoa ignore skips a Binding Identifier option (BID 0)", "[map]") {
  MapdConfig c = test_config();
  c.multiple_coa = MultipleCoaMode::ignore;  // on (the default): test_map_mcoa.cpp
  Harness h(c);
  wire::BindingIdentifierOption bid;
  bid.bid = 3;
  h.bu({.options = {bid}});
  CHECK(h.only_ba().ba.status == 0);
  CHECK(h.agent.binding({kRcoa1, 0}, h.now));
  CHECK(h.agent.counters().bu_bid_ignored == 1);
}
