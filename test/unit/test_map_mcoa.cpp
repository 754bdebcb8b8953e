// MapAgent: Multiple Care-of Addresses (RFC 5648; issue 15; map_agent.h
// "Multiple CoA"): BUs with Binding Identifier options for both roles, every
// status path, bulk registration, deregistration per BID and of all, a
// regular BU replacing BID bindings, the shared DAD of a new address, ranks in
// both McoaSelection modes, BRRs naming a BID, MultipleCoa ignore/off and
// reloads switching them, adoption.
#include <catch2/catch.hpp>

#include <algorithm>
#include <variant>

#include "hmip/io/map_view.h"
#include "test_map_util.h"

using namespace maptest;

namespace {

const Ip6Addr kLcoa3 = Ip6Addr::must("2001:db8:1:3::10");

// A Binding Identifier option: `bid`, an IPv6 care-of address field if given.
wire::BindingIdentifierOption bid_opt(std::uint16_t bid, std::optional<Ip6Addr> coa = std::nullopt,
                                      std::uint8_t pri = 0, bool h = false) {
  wire::BindingIdentifierOption o;
  o.bid = bid;
  o.bid_pri = pri;
  o.simultaneous_home_and_foreign = h;
  if (coa) o.care_of_address = *coa;
  return o;
}

// The BID options of a BA, in order.
std::vector<wire::BindingIdentifierOption> bids_of(const SendBa& ba) {
  std::vector<wire::BindingIdentifierOption> out;
  for (const auto& o : ba.ba.options)
    if (const auto* b = std::get_if<wire::BindingIdentifierOption>(&o)) out.push_back(*b);
  return out;
}

std::optional<BindingView> bound(const Harness& h, std::uint16_t bid, const Ip6Addr& addr = kRcoa1) {
  return h.agent.binding({addr, bid}, h.now);
}

// A bulk BU from kLcoaAr1 registering BID 1 on kLcoaAr1 and BID 2 on kLcoaAr2.
BuSpec bulk(std::uint16_t seq = 1) {
  return BuSpec{.seq = seq, .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2)}};
}

void check_whole(Harness& h, const BuSpec& s, std::uint8_t status, std::size_t options) {
  h.bu(s);
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == status);
  CHECK(ba.ba.lifetime == 0);
  CHECK(ba.ba.sequence == s.seq);
  const auto opts = bids_of(ba);
  CHECK(opts.size() == options);
  for (const auto& o : opts) CHECK(o.status == 0);
  CHECK(h.agent.counters().refused(status) >= 1);
}

}  // namespace

TEST_CASE("mcoa: one BID without a care-of address field binds the BU's care-of address", "[map][mcoa]") {
  Harness h;
  h.bu({.seq = 3, .options = {bid_opt(7, std::nullopt, 5)}});
  const auto all = h.take_all();
  REQUIRE(all.size() == 3);
  const auto& ib = std::get<InstallBinding>(all[0]);
  CHECK(ib.key == BindingKey{kRcoa1, 7});
  CHECK(ib.lcoa == kLcoaAr1);
  CHECK(ib.rank >= 1);
  const auto& ba = std::get<SendBa>(all[1]);
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.lifetime == 150);
  CHECK(ba.ba.sequence == 3);
  CHECK_FALSE(ba.transient_route);
  const auto opts = bids_of(ba);
  REQUIRE(opts.size() == 1);
  CHECK(opts[0].bid == 7);
  CHECK(opts[0].bid_pri == 5);
  CHECK(opts[0].status == 0);
  CHECK(std::holds_alternative<SendUnsolicitedNa>(all[2]));
  const auto v = bound(h, 7);
  REQUIRE(v);
  CHECK(v->lcoa == kLcoaAr1);
  CHECK(v->active);
  CHECK(v->bid_pri == 5);
  CHECK_FALSE(bound(h, 0));
  CHECK(h.agent.counters().mcoa_bu_received == 1);
  CHECK(h.agent.counters().mcoa_bids_registered == 1);
  CHECK(h.agent.counters().bu_accepted == 1);
}

TEST_CASE("mcoa: a bulk BU binds every BID and is answered by one BA with every option", "[map][mcoa]") {
  Harness h;
  h.bu({.seq = 1, .options = {bid_opt(2, kLcoaAr2), bid_opt(1, kLcoaAr1), bid_opt(3, kLcoa3)}});
  const auto installs = h.take<InstallBinding>();
  (void)installs;
  REQUIRE(h.installs.size() == 3);
  CHECK(h.installs[0].key.bid == 2);
  CHECK(h.installs[1].key.bid == 1);
  CHECK(h.installs[2].key.bid == 3);
  h.actions.clear();
  h.bu({.seq = 2, .options = {bid_opt(2, kLcoaAr2), bid_opt(1, kLcoaAr1), bid_opt(3, kLcoa3)}});
  const SendBa ba = h.only_ba();  // a refresh: answered at once
  CHECK(ba.ba.status == 0);
  const auto opts = bids_of(ba);
  REQUIRE(opts.size() == 3);
  CHECK(opts[0].bid == 2);
  CHECK(opts[1].bid == 1);
  CHECK(opts[2].bid == 3);
  CHECK(std::get<Ip6Addr>(opts[0].care_of_address) == kLcoaAr2);  // as received
  // Recent: BID 3 came last in the options, but BID 1 is on the BU's own
  // care-of address (the node's preferred interface): it carries the traffic.
  CHECK(bound(h, 1)->active);
  CHECK_FALSE(bound(h, 2)->active);
  CHECK_FALSE(bound(h, 3)->active);
  CHECK(bound(h, 1)->rank > bound(h, 3)->rank);
  CHECK(bound(h, 3)->rank > bound(h, 2)->rank);
  CHECK(h.agent.counters().mcoa_bulk_bu == 2);
  CHECK(h.agent.counters().mcoa_bids_registered == 3);
  CHECK(h.agent.counters().mcoa_bids_refreshed == 3);
  CHECK(h.agent.binding_count() == 3);
}

TEST_CASE("mcoa: 164 for a malformed option, BID 0, a BID twice, a care-of address not unicast routable",
          "[map][mcoa]") {
  Harness h;
  wire::MalformedMobilityOption bad;
  bad.type = wire::mh_opt::kBindingIdentifier;
  bad.data = {0, 1, 0};
  check_whole(h, {.options = {bad}}, wire::ba_status::kMcoaMalformed, 0);
  check_whole(h, {.seq = 2, .options = {bid_opt(0)}}, wire::ba_status::kMcoaMalformed, 1);
  check_whole(h, {.seq = 3, .options = {bid_opt(1, kLcoaAr1), bid_opt(1, kLcoaAr2)}}, wire::ba_status::kMcoaMalformed,
              2);
  check_whole(h, {.seq = 4, .options = {bid_opt(1, Ip6Addr::must("fe80::1"))}}, wire::ba_status::kMcoaMalformed, 1);
  check_whole(h, {.seq = 5, .options = {bid_opt(1, Ip6Addr::must("ff02::1"))}}, wire::ba_status::kMcoaMalformed, 1);
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.agent.counters().refused(wire::ba_status::kMcoaMalformed) == 5);
  // Other malformed options are still discarded silently (RFC 6275 §9.2).
  wire::MalformedMobilityOption acoa;
  acoa.type = wire::mh_opt::kAlternateCareOfAddress;
  acoa.data = {1, 2};
  h.bu({.seq = 6, .options = {acoa, bid_opt(1)}});
  CHECK(h.take<SendBa>().empty());
}

TEST_CASE("mcoa: 166 with MultipleCoa off, 168 with BulkRegistration off", "[map][mcoa]") {
  MapdConfig c = test_config();
  c.multiple_coa = MultipleCoaMode::off;
  Harness off(c);
  check_whole(off, {.options = {bid_opt(1)}}, wire::ba_status::kMcoaProhibited, 1);
  CHECK(off.agent.binding_count() == 0);
  // A regular BU still binds.
  CHECK(off.accepted({.seq = 2}));

  c = test_config();
  c.bulk_registration = false;
  Harness nobulk(c);
  check_whole(nobulk, bulk(), wire::ba_status::kMcoaBulkRegistrationProhibited, 2);
  CHECK(nobulk.agent.binding_count() == 0);
  CHECK(nobulk.accepted({.seq = 2, .options = {bid_opt(1)}}));  // one BID per BU is fine
  CHECK(bound(nobulk, 1));
}

TEST_CASE("mcoa: 169 for H, 174 for an IPv4 care-of address, per BID (4 NOTCOMPLETE when mixed)", "[map][mcoa]") {
  Harness h;
  wire::BindingIdentifierOption v4 = bid_opt(3);
  v4.care_of_address = Ip4Addr{{192, 0, 2, 1}};
  h.bu({.options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2, 0, true), v4}});
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kMcoaNotComplete);
  CHECK(ba.ba.lifetime == 150);  // granted to BID 1
  const auto opts = bids_of(ba);
  REQUIRE(opts.size() == 3);
  CHECK(opts[0].status == 0);
  CHECK(opts[1].status == wire::ba_status::kMcoaSimultaneousHomeAndForeignProhibited);
  CHECK(opts[1].simultaneous_home_and_foreign);  // copied as received
  CHECK(opts[2].status == wire::ba_status::kInvalidCareOfAddress);
  CHECK(bound(h, 1));
  CHECK_FALSE(bound(h, 2));
  CHECK_FALSE(bound(h, 3));
  CHECK(h.agent.counters().mcoa_ba_not_complete == 1);
  CHECK(h.agent.counters().refused(wire::ba_status::kMcoaSimultaneousHomeAndForeignProhibited) == 1);
  CHECK(h.agent.counters().refused(wire::ba_status::kInvalidCareOfAddress) == 1);
  // All BIDs refused alike: that status in the BA, the options' status 0.
  h.bu({.seq = 2, .options = {v4}});
  const SendBa one = h.only_ba();
  CHECK(one.ba.status == wire::ba_status::kInvalidCareOfAddress);
  CHECK(one.ba.lifetime == 0);
  REQUIRE(bids_of(one).size() == 1);
  CHECK(bids_of(one)[0].status == 0);
}

TEST_CASE("mcoa: 165 while a regular binding exists; it stays", "[map][mcoa]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 1}));
  check_whole(h, {.seq = 2, .options = {bid_opt(1)}}, wire::ba_status::kMcoaNonMcoaBindingExists, 1);
  REQUIRE(h.binding());
  CHECK(h.binding()->lcoa == kLcoaAr1);
  CHECK_FALSE(bound(h, 1));
  // The node deregisters it first (no O flag in RFC 5648), then registers its BIDs.
  REQUIRE(h.accepted({.seq = 3, .lifetime = 0}));
  REQUIRE(h.accepted({.seq = 4, .options = {bid_opt(1)}}));
  CHECK(bound(h, 1));
}

TEST_CASE("mcoa: 167 for a bulk BID without care-of address and binding; a bound one is refreshed", "[map][mcoa]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1)}}));
  h.bu({.seq = 2, .options = {bid_opt(1), bid_opt(2)}});
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kMcoaNotComplete);
  const auto opts = bids_of(ba);
  REQUIRE(opts.size() == 2);
  CHECK(opts[0].status == 0);
  CHECK(opts[1].status == wire::ba_status::kMcoaUnknownCoa);
  CHECK(bound(h, 1)->sequence == 2);
  CHECK_FALSE(bound(h, 2));
}

TEST_CASE("mcoa: the sequence number is the address's, shared by its BIDs", "[map][mcoa]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 5, .options = {bid_opt(1, kLcoaAr1)}}));
  h.bu({.seq = 5, .options = {bid_opt(2, kLcoaAr2)}});
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
  CHECK(ba.ba.sequence == 5);
  CHECK_FALSE(bound(h, 2));
  REQUIRE(h.accepted({.seq = 6, .options = {bid_opt(2, kLcoaAr2)}}));
  CHECK(bound(h, 2));
  // A regular BU for the address is checked against it too.
  h.bu({.seq = 6});
  CHECK(h.only_ba().ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
}

TEST_CASE("mcoa: deregistration per BID, 133 for an unknown BID, CoA field == address", "[map][mcoa]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2), bid_opt(3, kLcoa3)}}));
  h.bu({.seq = 2, .lifetime = 0, .options = {bid_opt(1), bid_opt(9)}});
  auto all = h.take_all();
  REQUIRE(all.size() == 2);
  CHECK(std::get<RemoveBinding>(all[0]).key == BindingKey{kRcoa1, 1});
  CHECK(std::get<RemoveBinding>(all[0]).reason == RemoveReason::deregistered);
  const auto& ba = std::get<SendBa>(all[1]);
  CHECK(ba.ba.status == wire::ba_status::kMcoaNotComplete);
  CHECK(ba.ba.lifetime == 0);
  const auto opts = bids_of(ba);
  REQUIRE(opts.size() == 2);
  CHECK(opts[0].status == 0);
  CHECK(opts[1].status == wire::ba_status::kNotHomeAgentForThisMobileNode);
  CHECK_FALSE(bound(h, 1));
  CHECK(bound(h, 2));
  // The CoA field set to the address: that BID is deregistered (the rest refreshed).
  h.bu({.seq = 3, .options = {bid_opt(2, kRcoa1), bid_opt(3, kLcoa3)}});
  const SendBa b2 = h.only_ba();
  CHECK(b2.ba.status == 0);
  CHECK(b2.ba.lifetime == 150);
  CHECK_FALSE(bound(h, 2));
  REQUIRE(bound(h, 3));
  CHECK(bound(h, 3)->active);
  CHECK(h.agent.counters().mcoa_bids_deregistered == 2);
}

TEST_CASE("mcoa: a regular deregistration removes every BID binding", "[map][mcoa]") {
  Harness h;
  REQUIRE(h.accepted(bulk()));
  h.bu({.seq = 2, .lifetime = 0});
  auto all = h.take_all();
  REQUIRE(all.size() == 3);
  CHECK(std::get<RemoveBinding>(all[0]).key.bid == 1);
  CHECK(std::get<RemoveBinding>(all[1]).key.bid == 2);
  const auto& ba = std::get<SendBa>(all[2]);
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.options.empty());
  CHECK(h.agent.binding_count() == 0);
  // Nothing left: the next one is 133.
  h.bu({.seq = 3, .lifetime = 0});
  CHECK(h.only_ba().ba.status == wire::ba_status::kNotHomeAgentForThisMobileNode);
}

TEST_CASE("mcoa: a regular BU replaces the BID bindings, make-before-break", "[map][mcoa]") {
  Harness h;
  REQUIRE(h.accepted(bulk()));
  h.bu({.lcoa = kLcoa3, .seq = 2});
  const auto all = h.take_all();
  REQUIRE(all.size() == 4);
  const auto& ib = std::get<InstallBinding>(all[0]);
  CHECK(ib.key == BindingKey{kRcoa1, 0});
  CHECK(ib.lcoa == kLcoa3);
  CHECK(ib.rank == kRegularRank);  // above the BIDs while they are still there
  CHECK(std::get<RemoveBinding>(all[1]).key == BindingKey{kRcoa1, 1});
  CHECK(std::get<RemoveBinding>(all[1]).reason == RemoveReason::replaced);
  CHECK(std::get<RemoveBinding>(all[2]).key == BindingKey{kRcoa1, 2});
  const auto& ba = std::get<SendBa>(all[3]);
  CHECK(ba.ba.status == 0);
  CHECK_FALSE(ba.transient_route);
  REQUIRE(h.binding());
  CHECK(h.binding()->lcoa == kLcoa3);
  CHECK(h.binding()->active);
  CHECK(h.agent.binding_count() == 1);
  CHECK(h.agent.counters().mcoa_regular_replaced == 1);
  // A move of the lone regular binding is ranked 0 again.
  h.bu({.lcoa = kLcoaAr1, .seq = 3});
  REQUIRE(!h.installs.empty());
  CHECK(h.installs.back().rank == 0);
}

TEST_CASE("mcoa: a new address's BIDs share one DAD and its result", "[map][mcoa][dad]") {
  Harness h(test_config(true));
  h.bu(bulk());
  auto dads = h.take<StartDad>();
  REQUIRE(dads.size() == 1);
  CHECK(dads[0].rcoa == kRcoa1);
  CHECK(h.agent.pending_count() == 2);
  CHECK(h.agent.cap_usage().dad_running == 1);
  const auto pending = h.agent.state(h.now).pending;
  REQUIRE(pending.size() == 2);
  CHECK(pending[0].dad_running);
  CHECK(pending[1].key == BindingKey{kRcoa1, 2});
  // A retransmission meanwhile is absorbed; its sequence number is answered.
  h.bu(bulk(2));
  CHECK(h.take<SendBa>().empty());
  CHECK(h.agent.counters().bu_absorbed == 1);
  h.advance(milliseconds(1000));
  CHECK(h.installs.size() == 2);
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.sequence == 2);
  CHECK(bids_of(ba).size() == 2);
  CHECK(bound(h, 1));
  CHECK(bound(h, 2));
  CHECK(h.agent.cap_usage().dad_running == 0);
  CHECK(h.agent.counters().dad_started == 1);

  SECTION("duplicate: every BID gets 134") {
    h.bu({.rcoa = kRcoa2, .seq = 1, .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2)}});
    REQUIRE(h.take<StartDad>().size() == 1);
    h.agent.handle_dad_result(h.now, kRcoa2, true);
    h.drain();
    const SendBa dup = h.only_ba();
    CHECK(dup.ba.status == wire::ba_status::kDuplicateAddressDetectionFailed);
    CHECK(bids_of(dup).size() == 2);
    CHECK_FALSE(bound(h, 1, kRcoa2));
    CHECK(h.agent.pending_count() == 0);
    CHECK(h.agent.cap_usage().dad_running == 0);
  }
  SECTION("a deregistration during DAD cancels it") {
    h.bu({.rcoa = kRcoa2, .seq = 1, .options = {bid_opt(1, kLcoaAr1)}});
    REQUIRE(h.take<StartDad>().size() == 1);
    h.bu({.rcoa = kRcoa2, .seq = 2, .lifetime = 0, .options = {bid_opt(1)}});
    const auto stops = h.take<StopDad>();
    REQUIRE(stops.size() == 1);
    CHECK(stops[0].rcoa == kRcoa2);
    CHECK(h.agent.pending_count() == 0);
    CHECK(h.agent.cap_usage().dad_running == 0);
    h.advance(seconds(2));
    CHECK(h.take<SendBa>().empty());  // the withdrawn BU is never answered
    CHECK_FALSE(bound(h, 1, kRcoa2));
  }
}

TEST_CASE("mcoa: one failed install in a bulk BU: BA 4, that BID 130, the others bound", "[map][mcoa]") {
  Harness h;
  h.auto_install = false;
  h.bu({.options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2), bid_opt(3, kLcoa3)}});
  REQUIRE(h.installs.size() == 3);
  CHECK(h.take<SendBa>().empty());  // waits for every install
  h.agent.handle_dataplane_result(h.now, {kRcoa1, 1}, true, "");
  h.agent.handle_dataplane_result(h.now, {kRcoa1, 2}, false, "No buffer space");
  h.drain();
  CHECK(h.take<SendBa>().empty());
  h.agent.handle_dataplane_result(h.now, {kRcoa1, 3}, true, "");
  h.drain();
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kMcoaNotComplete);
  CHECK(ba.ba.lifetime == 150);
  const auto opts = bids_of(ba);
  REQUIRE(opts.size() == 3);
  CHECK(opts[0].status == 0);
  CHECK(opts[1].status == wire::ba_status::kInsufficientResources);
  CHECK(opts[2].status == 0);
  CHECK(bound(h, 1));
  CHECK_FALSE(bound(h, 2));
  CHECK(bound(h, 3));
  CHECK(h.agent.counters().refused(wire::ba_status::kInsufficientResources) == 1);
}

TEST_CASE("mcoa: MaxCareOfAddresses: a new BID over it gets 130", "[map][mcoa][caps]") {
  MapdConfig c = test_config();
  c.max_care_of_addresses = 2;
  Harness h(c);
  h.bu({.options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2), bid_opt(3, kLcoa3)}});
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kMcoaNotComplete);
  CHECK(bids_of(ba)[2].status == wire::ba_status::kInsufficientResources);
  CHECK(h.agent.binding_count() == 2);
  CHECK(h.agent.counters().cap_care_of_addresses == 1);
  // Refreshing the two bound ones is fine; moving one is fine.
  REQUIRE(h.accepted({.seq = 2, .options = {bid_opt(1, kLcoa3), bid_opt(2, kLcoaAr2)}}));
  CHECK(bound(h, 1)->lcoa == kLcoa3);
}

TEST_CASE("mcoa: MaxBindings counts every BID binding", "[map][mcoa][caps]") {
  MapdConfig c = test_config();
  c.max_bindings = 2;
  Harness h(c);
  h.bu({.options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2), bid_opt(3, kLcoa3)}});
  const auto opts = bids_of(h.only_ba());
  REQUIRE(opts.size() == 3);
  CHECK(opts[2].status == wire::ba_status::kInsufficientResources);
  CHECK(h.agent.cap_usage().bindings == 2);
  CHECK(h.agent.counters().cap_bindings == 1);
}

TEST_CASE("mcoa: McoaSelection recent: the binding created or moved last carries the traffic", "[map][mcoa]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1)}}));
  REQUIRE(h.accepted({.seq = 2, .options = {bid_opt(2, kLcoaAr2)}}));
  CHECK(bound(h, 2)->active);
  CHECK_FALSE(bound(h, 1)->active);
  // A refresh changes nothing; a move makes BID 1 the newest.
  REQUIRE(h.accepted({.seq = 3, .options = {bid_opt(1, kLcoaAr1)}}));
  CHECK(bound(h, 2)->active);
  h.installs.clear();
  REQUIRE(h.accepted({.seq = 4, .options = {bid_opt(1, kLcoa3)}}));
  REQUIRE(h.installs.size() == 1);
  CHECK(h.installs[0].reason == InstallReason::move);
  CHECK(h.installs[0].rank > bound(h, 2)->rank);
  CHECK(bound(h, 1)->active);
  // The top binding goes: the other takes over, with nothing re-installed.
  h.installs.clear();
  REQUIRE(h.accepted({.seq = 5, .lifetime = 0, .options = {bid_opt(1)}}));
  CHECK(h.installs.empty());
  CHECK(bound(h, 2)->active);
}

TEST_CASE("mcoa: McoaSelection priority: the lowest non-zero BID-PRI wins; a new one re-installs in place",
          "[map][mcoa]") {
  MapdConfig c = test_config();
  c.mcoa_selection = McoaSelection::priority;
  Harness h(c);
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1, 2), bid_opt(2, kLcoaAr2, 9), bid_opt(3, kLcoa3, 0)}}));
  CHECK(bound(h, 1)->active);  // BID-PRI 2: the highest priority (RFC 6089)
  CHECK(bound(h, 2)->rank > bound(h, 3)->rank);  // 9 beats none
  // A refresh giving BID 2 priority 1: a rank change alone, installed before the BA.
  h.installs.clear();
  h.auto_install = false;
  h.bu({.seq = 2, .options = {bid_opt(1, kLcoaAr1, 2), bid_opt(2, kLcoaAr2, 1), bid_opt(3, kLcoa3, 0)}});
  REQUIRE(h.installs.size() == 1);
  CHECK(h.installs[0].key.bid == 2);
  CHECK(h.installs[0].reason == InstallReason::rank);
  CHECK(h.take<SendBa>().empty());
  h.agent.handle_dataplane_result(h.now, {kRcoa1, 2}, true, "");
  h.drain();
  CHECK(h.only_ba().ba.status == 0);
  CHECK(bound(h, 2)->active);
  CHECK(bound(h, 2)->bid_pri == 1);
  CHECK(h.agent.counters().mcoa_rank_reinstalls == 1);
  // Equal priorities: the most recent.
  Harness e(c);
  REQUIRE(e.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr2, 3)}}));
  REQUIRE(e.accepted({.seq = 2, .options = {bid_opt(2, kLcoa3, 3)}}));
  CHECK(bound(e, 2)->active);
}

TEST_CASE("mcoa: BRRs carry the BID and go to that binding's care-of address", "[map][mcoa]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 1, .lifetime = 5, .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2)}}));  // 20 s
  h.advance(seconds(10));
  auto brrs = h.take<SendBrr>();
  REQUIRE(brrs.size() == 2);
  std::sort(brrs.begin(), brrs.end(), [](const SendBrr& a, const SendBrr& b) { return a.bid < b.bid; });
  CHECK(brrs[0].bid == 1);
  CHECK(brrs[0].lcoa == kLcoaAr1);
  CHECK_FALSE(brrs[0].transient_route);  // BID 1 is on the BU's own care-of address: the top one
  CHECK(brrs[1].bid == 2);
  CHECK(brrs[1].lcoa == kLcoaAr2);
  CHECK(brrs[1].transient_route);
  CHECK(brrs[0].rcoa == kRcoa1);
  CHECK(brrs[0].src == kMap);
}

TEST_CASE("mcoa: MultipleCoa ignore: a regular BU, a BA without BID option", "[map][mcoa]") {
  MapdConfig c = test_config();
  c.multiple_coa = MultipleCoaMode::ignore;
  Harness h(c);
  h.bu(bulk());
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.options.empty());
  CHECK(h.binding());
  CHECK_FALSE(bound(h, 1));
  CHECK(h.agent.counters().bu_bid_ignored == 1);
  CHECK(h.agent.counters().mcoa_bu_received == 0);
  // A malformed BID option is skipped too, as an unknown option would be.
  wire::MalformedMobilityOption bad;
  bad.type = wire::mh_opt::kBindingIdentifier;
  bad.data = {0};
  CHECK(h.accepted({.seq = 2, .options = {bad}}));
}

TEST_CASE("mcoa: the home agent role registers BIDs of a home address", "[map][mcoa][home]") {
  const Ip6Addr ha = Ip6Addr::must("2001:db8:200::1");
  const Ip6Addr hoa = Ip6Addr::must("2001:db8:200::10");
  MapdConfig c = test_config();
  c.home_agent = test_home_agent(ha);
  Harness h(c);
  const BuSpec s{.rcoa = hoa, .lcoa = kRcoa1, .h = true, .m = false, .dst = ha,
                 .options = {bid_opt(1, kRcoa1), bid_opt(2, kLcoaAr2)}};
  h.bu(s);
  const SendBa ba = h.only_ba();
  CHECK(ba.src == ha);
  CHECK(ba.ba.status == 0);
  CHECK(bids_of(ba).size() == 2);
  const auto b1 = bound(h, 1, hoa);
  REQUIRE(b1);
  CHECK(b1->role == BindingRole::home);
  CHECK(b1->active);
  REQUIRE(bound(h, 2, hoa));
  REQUIRE(h.installs.size() == 2);
  CHECK(h.installs[0].map_address == ha);
  CHECK(h.installs[0].role == BindingRole::home);
  CHECK(h.agent.counters().home_bu_accepted == 1);
  // H in a BID option (simultaneous home and foreign) is refused: 169, never 5.
  h.bu({.rcoa = hoa, .lcoa = kRcoa1, .seq = 2, .h = true, .m = false, .dst = ha,
        .options = {bid_opt(3, kLcoa3, 0, true)}});
  CHECK(h.only_ba().ba.status == wire::ba_status::kMcoaSimultaneousHomeAndForeignProhibited);
  // A regular home deregistration removes both.
  REQUIRE(h.accepted({.rcoa = hoa, .lcoa = kRcoa1, .seq = 3, .lifetime = 0, .h = true, .m = false, .dst = ha}));
  CHECK(h.agent.binding_count() == 0);
}

TEST_CASE("mcoa: reload switching MultipleCoa and McoaSelection", "[map][mcoa][reload]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1, 9), bid_opt(2, kLcoaAr2, 1)}}));
  CHECK(bound(h, 1)->active);  // recent: the BU's own care-of address
  MapdConfig c = test_config();
  c.multiple_coa = MultipleCoaMode::off;
  h.agent.reload(h.now, c);
  h.drain();
  CHECK(h.agent.binding_count() == 2);  // kept until they expire or the node re-registers
  check_whole(h, {.seq = 2, .options = {bid_opt(1, kLcoaAr1)}}, wire::ba_status::kMcoaProhibited, 1);
  // The node falls back to a regular BU, which replaces its BIDs.
  REQUIRE(h.accepted({.seq = 3}));
  CHECK(h.agent.binding_count() == 1);
  CHECK(h.binding());

  SECTION("priority: the ranks change, re-installed in place") {
    Harness p;
    REQUIRE(p.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1, 9), bid_opt(2, kLcoaAr2, 1)}}));
    p.installs.clear();
    MapdConfig pc = test_config();
    pc.mcoa_selection = McoaSelection::priority;
    p.agent.reload(p.now, pc);
    p.drain();
    CHECK(p.installs.size() == 2);
    for (const auto& ib : p.installs) CHECK(ib.reason == InstallReason::reload);
    CHECK(bound(p, 2)->active);
    CHECK_FALSE(bound(p, 1)->active);
    CHECK(p.take<SendBa>().empty());
  }
}

TEST_CASE("mcoa: an adopted regular binding is replaced by the node's BIDs", "[map][mcoa][adopt]") {
  Harness h;
  LeftoverBinding lb;
  lb.key = {kRcoa1, 0};
  lb.map_address = kMap;
  lb.lcoa = kLcoaAr1;
  lb.proxy_interface = "map0";
  REQUIRE(is_adopted(h.agent.adopt(h.now, lb)));
  h.advance(milliseconds(0));  // its BRR, due at once
  h.actions.clear();
  h.bu({.seq = 77, .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2)}});  // any sequence number
  const auto all = h.take_all();
  REQUIRE(all.size() >= 4);
  CHECK(std::get<InstallBinding>(all[0]).key.bid == 1);
  CHECK(std::get<InstallBinding>(all[1]).key.bid == 2);
  const auto rm = std::find_if(all.begin(), all.end(), [](const Action& a) { return std::holds_alternative<RemoveBinding>(a); });
  REQUIRE(rm != all.end());
  CHECK(std::get<RemoveBinding>(*rm).key == BindingKey{kRcoa1, 0});
  CHECK(std::get<RemoveBinding>(*rm).reason == RemoveReason::replaced);
  CHECK(std::holds_alternative<SendBa>(all.back()));
  CHECK(std::get<SendBa>(all.back()).ba.status == 0);
  CHECK_FALSE(h.binding());
  CHECK(h.agent.binding_count() == 2);
  CHECK(h.agent.counters().mcoa_adopted_replaced == 1);
  CHECK(h.agent.counters().bu_adopted_any_sequence == 1);
}

TEST_CASE("mcoa: state and hmipctl show the BID, rank, active binding and flow policies", "[map][mcoa]") {
  MapdConfig c = test_config();
  FlowPolicyConfig fp;
  fp.bid = 2;
  fp.protocol = 17;
  fp.destination_port = PortRange{5004, 5004};
  c.flow_policies.push_back(fp);
  Harness h(c);
  REQUIRE(h.accepted(bulk()));
  const MapState s = h.agent.state(h.now);
  REQUIRE(s.flow_policies.size() == 1);
  CHECK(s.flow_policies[0].bindings == 1);
  const auto j = io::map_bindings_json(s);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["bid"] == 1);
  CHECK(j[0]["active"] == true);
  CHECK(j[1]["active"] == false);
  CHECK(j[0]["rank"].get<std::uint64_t>() > j[1]["rank"].get<std::uint64_t>());
  CHECK(j[0]["bid_pri"] == 0);
  const auto f = io::mapd_show_json("flows", s, c, io::Json::object());
  REQUIRE(f.size() == 1);
  CHECK(f[0]["bid"] == 2);
  CHECK(f[0]["protocol"] == 17);
  CHECK(f[0]["destination_port"]["lo"] == 5004);
  CHECK(f[0]["bindings"] == 1);
  const auto cfg = io::mapd_config_json(c);
  CHECK(cfg["multiple_coa"] == "on");
  CHECK(cfg["flow_policies"].size() == 1);
  const auto counters = io::map_counters_json(s.counters, io::Json::object());
  CHECK(counters["mcoa_bids_registered"] == 2);
}

TEST_CASE("mcoa: 129 per BID for a care-of address the role refuses", "[map][mcoa]") {
  Harness h;
  h.bu({.options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaForeign), bid_opt(3, kLcoaUntrusted),
                    bid_opt(4, kRcoa2)}});
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kMcoaNotComplete);
  const auto opts = bids_of(ba);
  REQUIRE(opts.size() == 4);
  CHECK(opts[0].status == 0);
  CHECK(opts[1].status == wire::ba_status::kAdministrativelyProhibited);  // outside LcoaPrefix
  CHECK(opts[2].status == wire::ba_status::kAdministrativelyProhibited);  // outside TrustedPrefix
  CHECK(opts[3].status == wire::ba_status::kAdministrativelyProhibited);  // inside an RCoA prefix
  CHECK(h.agent.binding_count() == 1);
  CHECK(h.agent.counters().refused(wire::ba_status::kAdministrativelyProhibited) == 3);
}

TEST_CASE("mcoa: a BU in flight absorbs a regular BU; a regular deregistration withdraws it", "[map][mcoa][dad]") {
  Harness h(test_config(true));
  h.bu(bulk());
  REQUIRE(h.take<StartDad>().size() == 1);
  h.bu({.seq = 2});  // a regular registration meanwhile: absorbed
  CHECK(h.take_all().empty());
  CHECK(h.agent.counters().bu_absorbed == 1);
  h.bu({.seq = 3, .lifetime = 0});
  const auto all = h.take_all();
  REQUIRE(all.size() == 2);
  CHECK(std::get<StopDad>(all[0]).rcoa == kRcoa1);
  const auto& ba = std::get<SendBa>(all[1]);
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.sequence == 3);
  CHECK(h.agent.pending_count() == 0);
  CHECK(h.agent.cap_usage().dad_running == 0);
  h.advance(seconds(2));
  CHECK(h.take_all().empty());  // the withdrawn bulk BU is never answered
  CHECK(h.agent.binding_count() == 0);
}

TEST_CASE("mcoa: a reload removing the prefix refuses the BIDs in DAD with 132, one BA", "[map][mcoa][reload]") {
  Harness h(test_config(true));
  h.bu(bulk());
  REQUIRE(h.take<StartDad>().size() == 1);
  MapdConfig c = test_config(true);
  c.rcoa_prefixes[0].prefix = *Ip6Prefix::parse("2001:db8:101::/64");
  h.agent.reload(h.now, c);
  h.drain();
  const auto bas = h.take<SendBa>();
  REQUIRE(bas.size() == 1);
  CHECK(bas[0].ba.status == wire::ba_status::kNotHomeSubnet);
  CHECK(bids_of(bas[0]).size() == 2);
  CHECK(h.agent.pending_count() == 0);
  CHECK(h.agent.cap_usage().dad_running == 0);
}

// ---------------------------------------------------------------------------
// Regressions from the issue 15 review of the anchor (P1, P2, security, minor).

TEST_CASE("mcoa review: a binding expiring while its move is installed answers that BU with 130",
          "[map][mcoa][review]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2)}}));
  h.advance(seconds(595));
  h.actions.clear();
  h.auto_install = false;
  h.bu({.seq = 2, .options = {bid_opt(1, kLcoa3)}});  // a move of BID 1, its install outstanding
  REQUIRE(h.take<SendBa>().empty());
  h.advance(seconds(10));  // both BIDs expire
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kInsufficientResources);
  CHECK(ba.ba.sequence == 2);
  CHECK(ba.ba.lifetime == 0);
  CHECK(h.agent.pending_count() == 0);
  // The kernel's late answer: state nobody wants.
  h.agent.handle_dataplane_result(h.now, {kRcoa1, 1}, true, "");
  h.drain();
  const auto rm = h.take<RemoveBinding>();
  REQUIRE(rm.size() == 1);
  CHECK(rm[0].reason == RemoveReason::stale);
  CHECK_FALSE(bound(h, 1));
  // The address takes BUs again.
  h.auto_install = true;
  REQUIRE(h.accepted({.seq = 3, .options = {bid_opt(1, kLcoaAr1)}}));
  CHECK(bound(h, 1)->lcoa == kLcoaAr1);
  REQUIRE(h.accepted({.seq = 4}));  // a regular BU replaces it
  CHECK(h.binding());
  CHECK(h.agent.counters().mcoa_txn_abandoned == 0);
}

TEST_CASE("mcoa review: a reload removing the prefix while a move is installed answers it with 132",
          "[map][mcoa][review][reload]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1)}}));
  h.auto_install = false;
  h.bu({.seq = 2, .options = {bid_opt(1, kLcoa3)}});
  REQUIRE(h.take<SendBa>().empty());
  auto c = test_config();
  c.rcoa_prefixes[0].prefix = *Ip6Prefix::parse("2001:db8:101::/64");
  h.agent.reload(h.now, c);
  h.drain();
  const auto all = h.take_all();
  REQUIRE(all.size() == 2);
  CHECK(std::get<RemoveBinding>(all[0]).reason == RemoveReason::prefix_removed);
  const auto& ba = std::get<SendBa>(all[1]);
  CHECK(ba.ba.status == wire::ba_status::kNotHomeSubnet);
  CHECK(ba.ba.sequence == 2);
  h.agent.reload(h.now, test_config());
  h.drain();
  h.actions.clear();
  h.auto_install = true;
  REQUIRE(h.accepted({.seq = 10, .options = {bid_opt(1, kLcoaAr1)}}));
  REQUIRE(h.accepted({.seq = 11}));
}

TEST_CASE("mcoa review: the backstop withdraws a BU still in flight after 2 x DadTimeout + kTxnMargin",
          "[map][mcoa][review]") {
  Harness h;  // DadTimeout 1 s: the backstop at 7 s
  h.auto_install = false;
  h.bu({.seq = 1, .options = {bid_opt(1, kLcoaAr1)}});  // the kernel never answers
  REQUIRE(h.take<SendBa>().empty());
  h.advance(milliseconds(6900));
  h.bu({.seq = 2, .options = {bid_opt(1, kLcoaAr1)}});  // the node retransmits: absorbed
  CHECK(h.take<SendBa>().empty());
  CHECK(h.agent.counters().mcoa_txn_abandoned == 0);
  h.advance(milliseconds(200));
  CHECK(h.agent.counters().mcoa_txn_abandoned == 1);
  CHECK(h.agent.counters().mcoa_bids_cancelled == 1);
  CHECK(h.take<SendBa>().empty());  // withdrawn: no BA
  CHECK(h.agent.pending_count() == 0);
  h.auto_install = true;
  REQUIRE(h.accepted({.seq = 3, .options = {bid_opt(1, kLcoaAr1)}}));
  // A BU answered in time leaves no backstop behind.
  Harness d(test_config(true));
  d.bu({.seq = 1, .options = {bid_opt(1, kLcoaAr1)}});
  d.advance(seconds(1));
  CHECK(d.only_ba().ba.status == 0);
  d.advance(seconds(20));
  CHECK(d.agent.counters().mcoa_txn_abandoned == 0);
}

TEST_CASE("mcoa review: a withdrawn BU's other new BIDs are cancelled, never bound later", "[map][mcoa][review]") {
  Harness h;
  h.auto_install = false;
  h.bu({.seq = 1, .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2)}});
  h.actions.clear();
  h.bu({.seq = 2, .lifetime = 0, .options = {bid_opt(1)}});  // withdraws seq 1
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == 0);
  CHECK(ba.ba.sequence == 2);
  CHECK(h.agent.pending_count() == 0);  // BID 2 went with its BU
  CHECK(h.agent.counters().mcoa_bids_cancelled == 1);

  SECTION("a regular deregistration then finds nothing (133); the late installs are removed") {
    h.bu({.seq = 3, .lifetime = 0});
    CHECK(h.only_ba().ba.status == wire::ba_status::kNotHomeAgentForThisMobileNode);
    h.agent.handle_dataplane_result(h.now, {kRcoa1, 1}, true, "");
    h.agent.handle_dataplane_result(h.now, {kRcoa1, 2}, true, "");
    h.drain();
    CHECK(h.take<RemoveBinding>().size() == 2);
    CHECK(h.agent.binding_count() == 0);
  }
  SECTION("a regular BU binds and carries the traffic alone") {
    h.bu({.lcoa = kLcoa3, .seq = 3});
    h.agent.handle_dataplane_result(h.now, {kRcoa1, 0}, true, "");
    h.drain();
    CHECK(h.only_ba().ba.status == 0);
    h.agent.handle_dataplane_result(h.now, {kRcoa1, 2}, true, "");
    h.drain();
    CHECK_FALSE(bound(h, 2));
    REQUIRE(h.binding());
    CHECK(h.binding()->active);
    CHECK(h.binding()->rank == 0);
    h.auto_install = true;
    h.actions.clear();
    h.bu({.seq = 4, .options = {bid_opt(5, kLcoaAr1)}});
    CHECK(h.only_ba().ba.status == wire::ba_status::kMcoaNonMcoaBindingExists);
  }
  SECTION("MaxCareOfAddresses holds") {
    h.bu({.seq = 3, .options = {bid_opt(4, kLcoaAr1), bid_opt(5, kLcoaAr2)}});
    for (const int b : {1, 2, 4, 5}) h.agent.handle_dataplane_result(h.now, {kRcoa1, static_cast<std::uint16_t>(b)}, true, "");
    h.drain();
    CHECK_FALSE(bound(h, 1));
    CHECK_FALSE(bound(h, 2));
    CHECK(bound(h, 4));
    CHECK(bound(h, 5));
  }
}

TEST_CASE("mcoa review: a withdrawn BU's move of a bound BID completes without a BA; the sequence never goes back",
          "[map][mcoa][review]") {
  Harness h;
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2)}}));
  h.auto_install = false;
  h.bu({.seq = 2, .options = {bid_opt(2, kLcoa3), bid_opt(3, kLcoaAr1)}});  // moves BID 2, creates BID 3
  REQUIRE(h.take<SendBa>().empty());
  h.bu({.seq = 3, .lifetime = 0, .options = {bid_opt(3)}});  // withdraws seq 2
  CHECK(h.only_ba().ba.status == 0);
  h.agent.handle_dataplane_result(h.now, {kRcoa1, 2}, true, "");
  h.drain();
  CHECK(h.take<SendBa>().empty());
  CHECK(bound(h, 2)->lcoa == kLcoa3);  // the kernel has it there: so does the cache
  CHECK(bound(h, 2)->sequence == 2);
  // The address's last accepted number stays 3, not seq 2's.
  h.auto_install = true;
  h.bu({.seq = 3, .options = {bid_opt(1, kLcoaAr1)}});
  const SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
  CHECK(ba.ba.sequence == 3);
}

TEST_CASE("mcoa review: only a newer identical retransmission takes over the BA's sequence number",
          "[map][mcoa][review][dad]") {
  SECTION("another care-of address: the first BU's number, its care-of address bound") {
    Harness h(test_config(true));
    h.bu({.seq = 1, .options = {bid_opt(1, kLcoaAr1)}});
    h.bu({.seq = 2, .options = {bid_opt(1, kLcoa3)}});
    h.advance(seconds(2));
    const SendBa ba = h.only_ba();
    CHECK(ba.ba.sequence == 1);
    CHECK(ba.ba.status == 0);
    CHECK(bound(h, 1)->lcoa == kLcoaAr1);
  }
  SECTION("another lifetime, or the BU's own care-of address: the same") {
    Harness h(test_config(true));
    h.bu({.seq = 1, .options = {bid_opt(1, kLcoaAr1)}});
    h.bu({.seq = 2, .lifetime = 10, .options = {bid_opt(1, kLcoaAr1)}});
    h.bu({.lcoa = kLcoaAr2, .seq = 3, .options = {bid_opt(1, kLcoaAr1)}});
    h.advance(seconds(2));
    CHECK(h.only_ba().ba.sequence == 1);
  }
  SECTION("an older duplicate: the newer number stays") {
    Harness h(test_config(true));
    h.bu({.seq = 5, .options = {bid_opt(1, kLcoaAr1)}});
    h.bu({.seq = 4, .options = {bid_opt(1, kLcoaAr1)}});
    h.advance(seconds(2));
    CHECK(h.only_ba().ba.sequence == 5);
  }
  SECTION("a newer identical one: its number answered and recorded") {
    Harness h(test_config(true));
    h.bu({.seq = 1, .options = {bid_opt(1, kLcoaAr1)}});
    h.bu({.seq = 2, .options = {bid_opt(1, kLcoaAr1)}});
    h.advance(seconds(2));
    CHECK(h.only_ba().ba.sequence == 2);
    CHECK(bound(h, 1)->sequence == 2);
    h.bu({.seq = 2, .options = {bid_opt(1, kLcoaAr1)}});
    CHECK(h.only_ba().ba.status == wire::ba_status::kSequenceNumberOutOfWindow);
  }
}

TEST_CASE("mcoa review: insecure mode: a BID option cannot use the home-link deregistration exemption to register",
          "[map][mcoa][review][home]") {
  const Ip6Addr ha = Ip6Addr::must("2001:db8:200::1");
  const Ip6Addr hoa = Ip6Addr::must("2001:db8:200::10");
  MapdConfig c = test_config();
  c.map_address = Ip6Addr{};
  c.rcoa_prefixes.clear();
  c.lcoa_prefixes.clear();
  c.neighbour_prefixes.clear();
  c.home_agent = test_home_agent(ha);
  c.insecure.trusted_prefixes = {*Ip6Prefix::parse("2001:db8:1::/48")};
  Harness h(c);
  // Spoofed on the home link: source the victim's home address, no HAO.
  const auto home_link = [&](std::uint16_t seq, std::uint16_t lifetime, std::vector<wire::MobilityOption> options) {
    return BuSpec{.rcoa = hoa, .lcoa = std::nullopt, .seq = seq, .lifetime = lifetime, .h = true, .m = false,
                  .dst = ha, .options = std::move(options), .iface = "home0"};
  };
  h.bu(home_link(1, 150, {bid_opt(1, kLcoaAr2)}));
  CHECK(h.take<SendBa>().empty());
  CHECK_FALSE(bound(h, 1, hoa));
  CHECK(h.agent.counters().home_bu_home_link_bid == 1);
  CHECK(h.agent.counters().bu_unprotected_dropped == 1);
  // Lifetime 0 with a care-of address field elsewhere, or a bulk refresh: the same.
  h.bu(home_link(2, 0, {bid_opt(1, kLcoaAr2)}));
  h.bu(home_link(3, 150, {bid_opt(1), bid_opt(2)}));
  CHECK(h.take<SendBa>().empty());
  CHECK(h.agent.counters().home_bu_home_link_bid == 3);
  // The node's own registration from a trusted care-of address, then its
  // deregistration of BID 1 from the home link (field absent or the home address).
  REQUIRE(h.accepted({.rcoa = hoa, .lcoa = kLcoaAr1, .seq = 4, .h = true, .m = false, .dst = ha,
                      .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr1)}}));
  REQUIRE(h.accepted(home_link(5, 0, {bid_opt(1), bid_opt(2, hoa)})));
  CHECK(h.agent.binding_count() == 0);
  CHECK(h.agent.counters().home_bu_from_home_link == 1);
  CHECK(h.agent.counters().home_bu_home_link_bid == 3);
}

TEST_CASE("mcoa review: a refused BU echoes its BID options with status 0 and leaves the sequence number",
          "[map][mcoa][review]") {
  MapdConfig c = test_config();
  Harness h(c);
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1)}}));
  auto odd = bid_opt(2, kLcoaAr2);
  odd.status = 77;  // what the BU carried: not the outcome
  // Refused whole in mcoa.cpp (BID 0 elsewhere in the BU), and in handle_bu (an RCoA outside the prefixes).
  h.bu({.seq = 2, .options = {odd, bid_opt(0)}});
  SendBa ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kMcoaMalformed);
  REQUIRE(bids_of(ba).size() == 2);
  CHECK(bids_of(ba)[0].status == 0);
  h.bu({.rcoa = kRcoaOther, .seq = 2, .options = {odd}});
  ba = h.only_ba();
  CHECK(ba.ba.status == wire::ba_status::kNotHomeSubnet);
  REQUIRE(bids_of(ba).size() == 1);
  CHECK(bids_of(ba)[0].status == 0);
  // Every BID refused (169): RFC 6275 §9.5.1, the BU is not accepted, seq 1 stays the last.
  h.bu({.seq = 7, .options = {bid_opt(3, kLcoa3, 0, true)}});
  CHECK(h.only_ba().ba.status == wire::ba_status::kMcoaSimultaneousHomeAndForeignProhibited);
  REQUIRE(h.accepted({.seq = 3, .options = {bid_opt(1, kLcoaAr1)}}));
}

TEST_CASE("mcoa review: MaxCareOfAddresses does not count a BID the same BU deregisters", "[map][mcoa][review][caps]") {
  MapdConfig c = test_config();
  c.max_care_of_addresses = 2;
  Harness h(c);
  REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1), bid_opt(2, kLcoaAr2)}}));
  REQUIRE(h.accepted({.seq = 2, .options = {bid_opt(1, kRcoa1), bid_opt(3, kLcoa3)}}));
  CHECK_FALSE(bound(h, 1));
  CHECK(bound(h, 2));
  CHECK(bound(h, 3));
  CHECK(h.agent.counters().cap_care_of_addresses == 0);
  // Still a cap: a fourth over two bound.
  h.bu({.seq = 3, .options = {bid_opt(4, kLcoaAr1)}});
  CHECK(h.only_ba().ba.status == wire::ba_status::kInsufficientResources);
}

TEST_CASE("mcoa review: a reload with a new McoaSelection re-ranks pending BIDs", "[map][mcoa][review][reload]") {
  MapdConfig pc = test_config(true);
  pc.mcoa_selection = McoaSelection::priority;
  SECTION("waiting for DAD: installed with the new rank") {
    Harness h(test_config(true));
    h.bu({.seq = 1, .options = {bid_opt(1, kLcoaAr1, 9), bid_opt(2, kLcoaAr2, 1)}});
    h.agent.reload(h.now, pc);
    h.drain();
    h.advance(seconds(1));
    CHECK(h.only_ba().ba.status == 0);
    REQUIRE(h.installs.size() == 2);
    CHECK(h.installs[0].rank >> 48 == 128 - 9);
    CHECK(h.installs[1].rank >> 48 == 128 - 1);
    CHECK(bound(h, 2)->active);
  }
  SECTION("installed already: re-installed in place once committed") {
    Harness h(test_config(true));
    REQUIRE(h.accepted({.seq = 1, .options = {bid_opt(1, kLcoaAr1, 9)}}) == false);  // DAD
    h.advance(seconds(1));
    REQUIRE(h.only_ba().ba.status == 0);
    h.installs.clear();
    h.auto_install = false;
    h.bu({.seq = 2, .options = {bid_opt(1, kLcoa3, 9)}});  // a move, its install outstanding
    REQUIRE(h.installs.size() == 1);
    CHECK(h.installs[0].rank >> 48 == 0);  // recent
    h.agent.reload(h.now, pc);
    h.drain();
    CHECK(h.installs.size() == 1);  // nothing while the move is in the kernel's hands
    h.auto_install = true;
    h.agent.handle_dataplane_result(h.now, {kRcoa1, 1}, true, "");
    h.drain();
    CHECK(h.only_ba().ba.status == 0);
    REQUIRE(h.installs.size() == 2);
    CHECK(h.installs[1].reason == InstallReason::reload);
    CHECK(h.installs[1].rank >> 48 == 128 - 9);
    CHECK(bound(h, 1)->rank == h.installs[1].rank);
    CHECK(bound(h, 1)->lcoa == kLcoa3);
  }
}
