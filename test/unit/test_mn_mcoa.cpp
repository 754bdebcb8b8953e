// Multiple Care-of Addresses (RFC 5648, issue 15) in the mobile node core:
// registration of every interface hearing the chosen MAP in one bulk BU,
// loss and return of either interface, per-BID BA handling and every
// fallback path (no BID option in the BA, 164, 165, 166, 167, 168, Binding
// Error), secure mode, refresh, stop.
#include <algorithm>

#include "test_mn_home_util.h"
#include "test_mn_mcoa_util.h"

using namespace hmip;
using namespace hmip::mn_test;

TEST_CASE("MultipleCoa auto: on with two Interfaces, off with one", "[mn][mcoa]") {
  auto c = two_cfg();
  CHECK(c.mcoa());
  c.interfaces = {"wlan0"};
  CHECK_FALSE(c.mcoa());
  c.multiple_coa = MultipleCoaMode::on;
  CHECK(c.mcoa());
  c.interfaces = {"wlan0", "eth0"};
  c.multiple_coa = MultipleCoaMode::off;
  CHECK_FALSE(c.mcoa());
  CHECK(c.bid_of(0) == 1);
  CHECK(c.bid_of(1) == 2);
  c.interface_options = {InterfaceOptions{7, 3}};
  CHECK(c.bid_of(0) == 7);
  CHECK(c.priority_of(0) == 3);
  CHECK(c.bid_of(1) == 2);
  CHECK(c.priority_of(1) == 0);
}

TEST_CASE("MCoA: both interfaces hearing the MAP register in one bulk BU with a BID option per interface", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  CHECK(h.violations.empty());
  // From the RCoA (wlan0's interface identifier), leaving from wlan0's LCoA
  // (the signalling member: same Priority, first in the file).
  CHECK(bu.src == kRcoa1);
  CHECK(bu.lcoa == kLcoa1);
  CHECK(bu.bu.map_registration);
  const auto opts = bids_of(bu.bu);
  REQUIRE(opts.size() == 2);
  CHECK(opts[0].bid == 1);
  CHECK(std::get<Ip6Addr>(opts[0].care_of_address) == kLcoa1);
  CHECK(opts[1].bid == 2);
  CHECK(std::get<Ip6Addr>(opts[1].care_of_address) == kLcoa2);
  // A kernel binding per BID, the RCoA's signalling on BID 1 only, no
  // primary before the MAP answered.
  REQUIRE(h.at(1) != nullptr);
  REQUIRE(h.at(2) != nullptr);
  CHECK(h.at(1)->signalling);
  CHECK_FALSE(h.at(2)->signalling);
  CHECK(h.at(2)->lcoa == kLcoa2);
  CHECK(h.at(2)->ifindex == static_cast<int>(kIf2));
  CHECK(h.primaries() == 0);
  CHECK(h.mn.counters().mcoa_bulk_bu_sent >= 1);

  h.mcoa_answer(bu);
  CHECK(h.violations.empty());
  CHECK(h.at(1)->primary);
  CHECK_FALSE(h.at(2)->primary);
  CHECK(h.primaries() == 1);
  const auto e = h.entry();
  CHECK(e.multiple_coa);
  CHECK(e.registered);
  REQUIRE(e.bids.size() == 2);
  CHECK(e.bids[0].registered);
  CHECK(e.bids[0].primary);
  CHECK(e.bids[1].registered);
  CHECK(e.bids[1].interface == "eth0");
  CHECK(e.bids[1].lcoa == kLcoa2);
  CHECK(h.mn.counters().mcoa_bids_registered == 2);
  CHECK_FALSE(h.mn.poll_timeout() == std::nullopt);
}

TEST_CASE("MCoA: a single-interface registration's BID option has no CoA field; a second interface joins with its own BU", "[mn][mcoa]") {
  Two h;
  h.up1();
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  auto opts = bids_of(bus[0].bu);
  REQUIRE(opts.size() == 1);
  CHECK(opts[0].bid == 1);
  CHECK(std::holds_alternative<std::monostate>(opts[0].care_of_address));  // the BU's own care-of address
  h.mcoa_answer(bus[0]);
  h.clear();
  h.up2();
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  opts = bids_of(bus[0].bu);
  REQUIRE(opts.size() == 1);
  CHECK(opts[0].bid == 2);
  CHECK(std::get<Ip6Addr>(opts[0].care_of_address) == kLcoa2);  // not the BU's source: named
  CHECK(bus[0].lcoa == kLcoa1);                                   // still sent from the primary
  h.mcoa_answer(bus[0]);
  const auto e = h.entry();
  REQUIRE(e.bids.size() == 2);
  CHECK(e.bids[1].registered);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: Priority picks the signalling/primary interface and goes in BID-PRI", "[mn][mcoa]") {
  auto c = two_cfg();
  c.interface_options = {InterfaceOptions{0, 20}, InterfaceOptions{0, 5}};
  Two h(c);
  const SendBu bu = h.both_up();
  CHECK(bu.lcoa == kLcoa2);
  CHECK(bu.src == form_rcoa(kMap1, kLcoa2));
  const auto opts = bids_of(bu.bu);
  REQUIRE(opts.size() == 2);
  CHECK(opts[0].bid_pri == 20);
  CHECK(opts[1].bid_pri == 5);
  h.mcoa_answer(bu);
  const Ip6Addr rcoa = form_rcoa(kMap1, kLcoa2);
  CHECK(h.all.at({kMap1, rcoa, 2}).primary);
  CHECK(h.all.at({kMap1, rcoa, 2}).signalling);
  CHECK_FALSE(h.all.at({kMap1, rcoa, 1}).signalling);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: carrier loss on the other interface sends the lifetime-0 BU before any kernel change", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  REQUIRE(h.at(1)->primary);
  h.set_link(link_on("eth0", kIf2, false, {kLcoa2}));
  CHECK(h.violations.empty());
  // The signalling interface stays: nothing the BU needs changes, so it is
  // the first action; BID 2's kernel state goes after it.
  std::size_t first_kernel = 0, bu_at = 0, k = 0;
  for (const auto& a : h.out) {
    ++k;
    if ((std::holds_alternative<InstallBinding>(a) || std::holds_alternative<RemoveBinding>(a)) && first_kernel == 0)
      first_kernel = k;
    if (std::holds_alternative<SendBu>(a) && bu_at == 0) bu_at = k;
  }
  REQUIRE(bu_at != 0);
  REQUIRE(first_kernel != 0);
  CHECK(bu_at < first_kernel);
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bus[0].lcoa == kLcoa1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{2});
  CHECK(h.at(2) == nullptr);
  CHECK(h.at(1)->primary);
}

TEST_CASE("MCoA: carrier loss on the primary interface moves the uplink first, then a lifetime-0 BU for its BID leaves through the other, then its kernel state goes", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  REQUIRE(h.at(1)->primary);
  h.set_link(link_on("wlan0", kIf1, false, {kLcoa1}));
  CHECK(h.violations.empty());
  // Make-before-break: BID 2 takes the signalling and primary, then the
  // deregistration leaves (the downlink waits for the MAP: the fast
  // failover path), then BID 1's kernel state goes.
  std::size_t install2 = 0, remove1 = 0, bu_at = 0, k = 0;
  for (const auto& a : h.out) {
    ++k;
    if (const auto* i = std::get_if<InstallBinding>(&a); i && i->key.bid == 2 && i->settings.primary && install2 == 0) install2 = k;
    if (const auto* r = std::get_if<RemoveBinding>(&a); r && r->key.bid == 1) remove1 = k;
    if (std::holds_alternative<SendBu>(a)) bu_at = k;
  }
  REQUIRE(install2 != 0);
  REQUIRE(remove1 != 0);
  REQUIRE(bu_at != 0);
  CHECK(install2 < bu_at);
  CHECK(bu_at < remove1);
  CHECK(h.at(1) == nullptr);
  CHECK(h.at(2)->primary);
  CHECK(h.at(2)->signalling);
  CHECK(h.primaries() == 1);
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bus[0].lcoa == kLcoa2);  // through the remaining interface
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1});
  CHECK(h.entry().leaving == std::vector<std::uint16_t>{1});
  h.mcoa_answer(bus[0]);
  CHECK(h.entry().leaving.empty());
  CHECK(h.mn.counters().mcoa_bids_deregistered == 1);
  CHECK(h.mn.counters().mcoa_interface_losses == 1);
  CHECK(h.entry().registered);  // BID 2 still registered
  h.clear();

  // Carrier back, the RA again: BID 1 registered anew (with its CoA), then
  // the primary returns to wlan0 (first in the file).
  h.set_link(link_on("wlan0", kIf1, true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}), kIf1);
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].lcoa == kLcoa2);
  const auto opts = bids_of(bus[0].bu);
  REQUIRE(opts.size() == 1);
  CHECK(opts[0].bid == 1);
  CHECK(std::get<Ip6Addr>(opts[0].care_of_address) == kLcoa1);
  CHECK_FALSE(h.at(1)->primary);  // not before the MAP accepted it
  h.mcoa_answer(bus[0]);
  CHECK(h.at(1)->primary);
  CHECK(h.at(1)->signalling);
  CHECK_FALSE(h.at(2)->primary);
  CHECK(h.primaries() == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: the home binding is re-pointed to the new signalling member before the old one's kernel binding goes", "[mn][mcoa]") {
  auto c = home_cfg();
  c.interfaces = {"wlan0", "eth0"};
  c.insecure = true;
  Two h(c);
  h.registered_both();
  h.advance(milliseconds(10));
  REQUIRE(h.home_kernel.has_value());
  REQUIRE(h.home_kernel->settings.via == BindingKey{kMap1, kRcoa1, 1});
  h.clear();
  h.set_link(link_on("wlan0", kIf1, false, {kLcoa1}));
  CHECK(h.violations.empty());  // never the MAP binding under the home binding
  REQUIRE(h.home_kernel.has_value());
  CHECK(h.home_kernel->settings.via == BindingKey{kMap1, kRcoa1, 2});
  std::size_t home_at = 0, remove1 = 0, k = 0;
  for (const auto& a : h.out) {
    ++k;
    if (const auto* i = std::get_if<InstallHomeBinding>(&a); i && home_at == 0) home_at = k;
    if (const auto* r = std::get_if<RemoveBinding>(&a); r && r->key.bid == 1) remove1 = k;
  }
  REQUIRE(home_at != 0);
  REQUIRE(remove1 != 0);
  CHECK(home_at < remove1);
}

TEST_CASE("MCoA: losing the other interface keeps the primary and deregisters its BID", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  h.set_link(link_on("eth0", kIf2, false, {kLcoa2}));
  CHECK(h.take<InstallBinding>().empty());  // nothing moves
  const auto rm = h.take<RemoveBinding>();
  REQUIRE(rm.size() == 1);
  CHECK(rm[0].key.bid == 2);
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bus[0].lcoa == kLcoa1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{2});
  CHECK(h.at(1)->primary);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: a refused BID deregistration (133) only forgets the BID, the binding stays", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  h.set_link(link_on("eth0", kIf2, false, {kLcoa2}));
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  REQUIRE(bus[0].bu.lifetime == 0);
  h.clear();
  h.mcoa_answer(bus[0], wire::ba_status::kNotHomeAgentForThisMobileNode);
  CHECK(h.entry().leaving.empty());
  CHECK(h.entry().registered);
  CHECK(h.mn.state(h.now).held_down.empty());
  CHECK(h.take<RemoveBinding>().empty());
  CHECK(h.take<SendBu>().empty());
  REQUIRE(h.at(1) != nullptr);
  CHECK(h.at(1)->primary);
  CHECK(h.mn.counters().mcoa_bids_deregistered == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: 168 answering a bulk deregistration sends one BID per BU, no loop", "[mn][mcoa]") {
  auto c = two_cfg();
  c.interfaces = {"wlan0", "eth0", "wwan0"};
  Two h(c);
  constexpr unsigned kIf3 = 4;
  h.set_link(link_on("wlan0", kIf1, true, {kLcoa1}));
  h.set_link(link_on("eth0", kIf2, true, {kLcoa2}));
  h.set_link(link_on("wwan0", kIf3, true, {kLcoa3}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}), kIf1);
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}), kIf2);
  h.give_ra(kAr3, ra(kPfx3, {map_opt(kMap1, 2, 10)}), kIf3);
  auto bus = h.take<SendBu>();
  REQUIRE(!bus.empty());
  REQUIRE(bid_numbers(bus.back()) == std::vector<std::uint16_t>{1, 2, 3});
  h.mcoa_answer(bus.back());
  h.clear();
  h.set_link(link_on("eth0", kIf2, false, {kLcoa2}));
  h.set_link(link_on("wwan0", kIf3, false, {kLcoa3}));
  bus = h.take<SendBu>();
  REQUIRE(!bus.empty());
  REQUIRE(bus.back().bu.lifetime == 0);
  REQUIRE(bid_numbers(bus.back()) == std::vector<std::uint16_t>{2, 3});
  h.clear();
  h.mcoa_answer(bus.back(), wire::ba_status::kMcoaBulkRegistrationProhibited);
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{2});
  h.clear();
  h.mcoa_answer(bus[0]);
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{3});
  h.clear();
  // 168 again to the single-BID one: the BID is taken as gone, nothing resent.
  h.mcoa_answer(bus[0], wire::ba_status::kMcoaBulkRegistrationProhibited);
  CHECK(h.take<SendBu>().empty());
  CHECK(h.entry().leaving.empty());
  CHECK(h.entry().registered);
  CHECK(h.mn.state(h.now).held_down.empty());
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: the last interface lost keeps its binding, as a lone binding does", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  h.set_link(link_on("eth0", kIf2, false));
  h.clear();
  h.set_link(link_on("wlan0", kIf1, false));
  CHECK(h.take<RemoveBinding>().empty());
  CHECK(h.take<SendBu>().empty());
  CHECK(h.at(1) != nullptr);
}

TEST_CASE("MCoA: the last member is kept when the remaining interface's BID is refused", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.mcoa_answer(bu, wire::ba_status::kMcoaNotComplete, {0, wire::ba_status::kInsufficientResources});
  REQUIRE(h.entry().bids.size() == 1);
  h.clear();
  h.set_link(link_on("wlan0", kIf1, false, {kLcoa1}));
  CHECK(h.take<RemoveBinding>().empty());
  CHECK(h.take<SendBu>().empty());
  REQUIRE(h.at(1) != nullptr);
  const auto e = h.entry();
  REQUIRE(e.bids.size() == 1);
  CHECK(e.bids[0].bid == 1);
  CHECK(e.leaving.empty());
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: an LCoA change on one interface is a BU for that BID only", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  const Ip6Addr lcoa2b = Ip6Addr::must("2001:db8:a3::211:22ff:fe33:4455");
  h.set_link(link_on("eth0", kIf2, true, {lcoa2b}));  // carrier stayed: a new address, then the RA
  CHECK(h.take<SendBu>().empty());                     // waiting (no usable LCoA yet), not lost
  CHECK(h.take<RemoveBinding>().empty());
  h.give_ra(Ip6Addr::must("fe80::a3"), ra(Ip6Addr::must("2001:db8:a3::"), {map_opt(kMap1, 2, 10)}), kIf2);
  auto bus = h.take<SendBu>();
  REQUIRE(!bus.empty());
  const auto opts = bids_of(bus.back().bu);
  REQUIRE(opts.size() == 1);
  CHECK(opts[0].bid == 2);
  CHECK(std::get<Ip6Addr>(opts[0].care_of_address) == lcoa2b);
  CHECK(bus.back().bu.lifetime > 0);
  CHECK(h.at(2)->lcoa == lcoa2b);
  CHECK(h.at(1)->primary);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: BA status 4 gives each BID its own status; a refused BID is dropped", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.mcoa_answer(bu, wire::ba_status::kMcoaNotComplete, {0, wire::ba_status::kInsufficientResources});
  CHECK(h.at(1) != nullptr);
  CHECK(h.at(1)->primary);
  CHECK(h.at(2) == nullptr);  // its kernel state removed
  const auto e = h.entry();
  REQUIRE(e.bids.size() == 1);
  CHECK(e.bids[0].bid == 1);
  CHECK(h.mn.counters().mcoa_bids_refused == 1);
  h.clear();
  // Not registered again while refused (the RA again changes nothing) ...
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}), kIf2);
  CHECK(h.take<SendBu>().empty());
  // ... but after kRefusedMapHoldDown.
  h.advance(kRefusedMapHoldDown + seconds(1));
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}), kIf2);
  bool bid2 = false;
  for (const auto& b : h.take<SendBu>()) bid2 = bid2 || bid_numbers(b) == std::vector<std::uint16_t>{2};
  CHECK(bid2);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: every BID refused is a refusal of the binding", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.mcoa_answer(bu, wire::ba_status::kMcoaNotComplete, {wire::ba_status::kAdministrativelyProhibited,
                                                        wire::ba_status::kAdministrativelyProhibited});
  CHECK(h.all.empty());
  CHECK(h.mn.state(h.now).held_down.size() == 1);
}

TEST_CASE("MCoA: status 4 without BID options is malformed: no fallback, the BU is retransmitted", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.clear();
  h.answer(bu, wire::ba_status::kMcoaNotComplete);
  CHECK(h.mn.counters().mcoa_fallbacks == 0);
  CHECK(h.mn.counters().mcoa_ba_malformed == 1);
  CHECK(h.entry().multiple_coa);
  CHECK(h.take<SendBu>().empty());
  h.advance(seconds(5));
  const auto bus = h.take<SendBu>();
  REQUIRE(!bus.empty());
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1, 2});
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA fallback: a BA without BID option means the MAP registered one regular binding", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.answer(bu);  // an RFC 6275 MAP: no BID option
  CHECK(h.mn.counters().mcoa_fallbacks == 1);
  CHECK(h.all.size() == 1);
  REQUIRE(h.at(1) != nullptr);
  CHECK(h.at(1)->primary);
  const auto e = h.entry();
  CHECK_FALSE(e.multiple_coa);
  CHECK(e.registered);
  CHECK(e.bids.empty());
  // Its refreshes carry no BID option (while the fallback lasts).
  h.clear();
  h.advance(kMcoaFallbackHoldDown - seconds(1));
  bool any = false;
  for (const auto& b : h.take<SendBu>()) {
    any = true;
    CHECK(bids_of(b.bu).empty());
  }
  CHECK(any);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA fallback: 164, 166 and a Binding Error: one regular BU at once", "[mn][mcoa]") {
  for (const int which : {164, 166, 0}) {
    DYNAMIC_SECTION("trigger " << which) {
      Two h;
      const SendBu bu = h.both_up();
      h.clear();
      if (which == 0) {
        wire::BindingError be;
        be.status = wire::be_status::kUnrecognizedMhType;
        be.home_address = kRcoa1;
        h.give_mh(kMap1, std::nullopt, be, kRcoa1);
      } else {
        h.mcoa_answer(bu, static_cast<std::uint8_t>(which));
      }
      CHECK(h.mn.counters().mcoa_fallbacks == 1);
      auto bus = h.take<SendBu>();
      REQUIRE(bus.size() == 1);
      CHECK(bids_of(bus[0].bu).empty());
      CHECK(bus[0].bu.lifetime > 0);
      CHECK(bus[0].lcoa == kLcoa1);
      CHECK(h.all.size() == 1);
      h.answer(bus[0]);
      CHECK(h.entry().registered);
      CHECK(h.primaries() == 1);
      // The MAP stays regular: the second interface is not registered.
      h.clear();
      h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}), kIf2);
      CHECK(h.take<SendBu>().empty());
      CHECK(h.violations.empty());
    }
  }
}

TEST_CASE("MCoA fallback: a Binding Error counts only with status 2 naming the RCoA; the fallback expires", "[mn][mcoa]") {
  Two h;
  h.both_up();
  h.clear();
  wire::BindingError be;
  be.status = wire::be_status::kUnknownBindingForHomeAddressDestOption;
  be.home_address = kRcoa1;
  h.give_mh(kMap1, std::nullopt, be, kRcoa1);
  be.status = wire::be_status::kUnrecognizedMhType;
  be.home_address = Ip6Addr{};  // names no RCoA
  h.give_mh(kMap1, std::nullopt, be, kRcoa1);
  CHECK(h.mn.counters().mcoa_fallbacks == 0);
  CHECK(h.take<SendBu>().empty());
  be.home_address = kRcoa1;
  h.give_mh(kMap1, std::nullopt, be, kRcoa1);
  REQUIRE(h.mn.counters().mcoa_fallbacks == 1);
  CHECK(h.mn.mcoa_fallback_until(kMap1).has_value());
  CHECK(*h.mn.mcoa_fallback_until(kMap1) == h.now + kMcoaFallbackHoldDown);
}

TEST_CASE("MCoA secure mode: an unprotected Binding Error does not make the fallback", "[mn][mcoa]") {
  Two h(secure_two_cfg());
  std::vector<SendBu> bus{h.secure_registering()};
  h.clear();
  wire::BindingError be;
  be.status = wire::be_status::kUnrecognizedMhType;
  be.home_address = kLease1;
  h.give_mh(kMap1, std::nullopt, be, kLease1);
  CHECK(h.mn.counters().mcoa_fallbacks == 0);
  CHECK(h.take<SendBu>().empty());
  CHECK_FALSE(h.mn.mcoa_fallback_until(kMap1).has_value());
}

TEST_CASE("MCoA: 168 (bulk registration prohibited) sends one BID per BU", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.clear();
  h.mcoa_answer(bu, wire::ba_status::kMcoaBulkRegistrationProhibited);
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1});
  h.mcoa_answer(bus[0]);
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{2});
  h.mcoa_answer(bus[0]);
  const auto e = h.entry();
  REQUIRE(e.bids.size() == 2);
  CHECK(e.bids[0].registered);
  CHECK(e.bids[1].registered);
  CHECK(h.take<SendBu>().empty());
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: 167 (unknown care-of address) resends with the CoA field", "[mn][mcoa]") {
  Two h;
  h.up1();
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  REQUIRE(std::holds_alternative<std::monostate>(bids_of(bus[0].bu)[0].care_of_address));
  h.mcoa_answer(bus[0], wire::ba_status::kMcoaUnknownCoa);
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  const auto opts = bids_of(bus[0].bu);
  REQUIRE(opts.size() == 1);
  CHECK(std::get<Ip6Addr>(opts[0].care_of_address) == kLcoa1);
  h.mcoa_answer(bus[0]);
  CHECK(h.entry().registered);
  // 167 again with the field: a refusal.
  Two g;
  g.up1();
  bus = g.take<SendBu>();
  g.mcoa_answer(bus[0], wire::ba_status::kMcoaUnknownCoa);
  bus = g.take<SendBu>();
  REQUIRE(bus.size() == 1);
  g.mcoa_answer(bus[0], wire::ba_status::kMcoaUnknownCoa);
  CHECK(g.all.empty());
}

TEST_CASE("MCoA: 165 (a regular binding exists) deregisters it without BID, then registers the BIDs", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.clear();
  h.mcoa_answer(bu, wire::ba_status::kMcoaNonMcoaBindingExists);
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bids_of(bus[0].bu).empty());
  CHECK(h.all.size() == 2);  // the kernel state stays
  h.answer(bus[0]);          // the regular binding deregistered
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1, 2});
  CHECK(bus[0].bu.lifetime > 0);
  h.mcoa_answer(bus[0]);
  CHECK(h.entry().registered);
  CHECK(h.mn.counters().mcoa_clearings == 1);
  // A MAP that keeps answering 165: the fallback after two clearings.
  Two g;
  SendBu b = g.both_up();
  for (int k = 0; k < 2; ++k) {
    g.mcoa_answer(b, wire::ba_status::kMcoaNonMcoaBindingExists);
    auto c = g.take<SendBu>();
    REQUIRE(c.size() == 1);
    g.answer(c[0]);
    c = g.take<SendBu>();
    REQUIRE(c.size() == 1);
    b = c[0];
  }
  g.mcoa_answer(b, wire::ba_status::kMcoaNonMcoaBindingExists);
  CHECK(g.mn.counters().mcoa_fallbacks == 1);
}

TEST_CASE("MCoA: retransmission and refresh carry every registered BID", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.clear();
  h.advance(seconds(2));  // no answer: retransmitted with the same BIDs
  auto bus = h.take<SendBu>();
  REQUIRE(!bus.empty());
  CHECK(bid_numbers(bus.back()) == std::vector<std::uint16_t>{1, 2});
  CHECK(bus.back().bu.sequence != bu.bu.sequence);
  h.mcoa_answer(bu);  // the stale BA is ignored
  CHECK_FALSE(h.entry().registered);
  h.mcoa_answer(bus.back());
  CHECK(h.entry().registered);
  h.clear();
  h.advance(seconds(500));  // 20 % of 600 s left
  bus = h.take<SendBu>();
  REQUIRE(!bus.empty());
  CHECK(bid_numbers(bus.front()) == std::vector<std::uint16_t>{1, 2});
  CHECK(bus.front().bu.lifetime > 0);
}

TEST_CASE("MCoA: a BRR is answered with a bulk BU", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  wire::BindingRefreshRequest brr;
  h.give_mh(kMap1, kRcoa1, brr);
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1, 2});
}

TEST_CASE("MCoA: stop deregisters with one BU without BID option", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  h.mn.handle_stop(h.now);
  h.drain();
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bids_of(bus[0].bu).empty());
  CHECK(h.all.size() == 1);  // the other member's kernel state already gone
  h.answer(bus[0]);
  CHECK(h.all.empty());
  CHECK(h.mn.finished());
}

TEST_CASE("MCoA: FlowPolicy blocks reach the BID's kernel binding", "[mn][mcoa]") {
  const auto c = two_cfg_sip_on_2();
  const FlowPolicyConfig& f = c.flow_policies[0];
  Two h(c);
  const SendBu bu = h.both_up();
  REQUIRE(h.at(2) != nullptr);
  REQUIRE(h.at(2)->flows.size() == 1);
  CHECK(h.at(2)->flows[0] == f.match);
  CHECK(h.at(1)->flows.empty());
  h.mcoa_answer(bu);
  const auto st = h.mn.state(h.now);
  CHECK(st.multiple_coa);
  REQUIRE(st.flow_policies.size() == 1);
  CHECK(st.flow_policies[0].interface == "eth0");
  CHECK(st.flow_policies[0].active);
  REQUIRE(st.bul[0].bids.size() == 2);
  CHECK(st.bul[0].bids[1].flow_policies == std::vector<std::size_t>{0});
  h.set_link(link_on("eth0", kIf2, false));
  CHECK_FALSE(h.mn.state(h.now).flow_policies[0].active);
}

TEST_CASE("MCoA secure mode: the IKE SA follows the signalling interface when it is lost", "[mn][mcoa]") {
  Two h(secure_two_cfg());
  std::vector<SendBu> bus{h.secure_registering()};
  CHECK(bus[0].src == kLease1);
  std::vector<SecureMap> sec;
  // The Alternate CoA names the BU's care-of address (the signalling one).
  const auto* acoa = wire::find_option<wire::AlternateCareOfAddressOption>(bus[0].bu.options);
  REQUIRE(acoa != nullptr);
  CHECK(acoa->care_of_address == bus[0].lcoa);
  h.mcoa_answer(bus[0]);
  h.clear();
  const Ip6Addr sig = bus[0].lcoa;
  const bool wlan_sig = sig == kLcoa1;
  h.set_link(wlan_sig ? link_on("wlan0", kIf1, false) : link_on("eth0", kIf2, false));
  sec = h.take<SecureMap>();
  REQUIRE(sec.size() == 1);
  CHECK(sec[0].rcoa == kLease1);
  CHECK(sec[0].lcoa == (wlan_sig ? kLcoa2 : kLcoa1));
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: MultipleCoa off with two interfaces registers one binding without BID (unchanged)", "[mn][mcoa]") {
  auto c = two_cfg();
  c.multiple_coa = MultipleCoaMode::off;
  Two h(c);
  h.up1();
  h.up2();
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);  // wlan0's; eth0 hearing the same MAP changes nothing
  CHECK(bids_of(bus[0].bu).empty());
  CHECK(bus[0].lcoa == kLcoa1);
  CHECK(h.all.size() == 1);
  CHECK(h.all.count({kMap1, kRcoa1, 0}) == 1);
  CHECK(h.mn.counters().mcoa_bu_sent == 0);
}

TEST_CASE("MCoA: MultipleCoa on with one interface registers it with a BID option", "[mn][mcoa]") {
  auto c = mn_cfg();
  c.multiple_coa = MultipleCoaMode::on;
  Harness h(c);
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1});
  CHECK(h.all.count({kMap1, kRcoa1, 1}) == 1);
}

TEST_CASE("MCoA: an inter-MAP move keeps only the signalling member for the previous MAP", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  // MAP2 (further) on both links: a new MCoA binding there; MAP1's binding
  // becomes previous, its signalling member alone (a BU to MAP1, without
  // BID option, only with a new LCoA: RFC 5380 §8 as for a lone binding).
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10), map_opt(kMap2, 3, 10)}), kIf1);
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10), map_opt(kMap2, 3, 10)}), kIf2);
  CHECK(h.all.count({kMap1, kRcoa1, 2}) == 0);
  CHECK(h.all.count({kMap1, kRcoa1, 1}) == 1);
  CHECK(h.all.count({kMap2, kRcoa2, 1}) == 1);
  CHECK(h.all.count({kMap2, kRcoa2, 2}) == 1);
  for (const auto& b : h.take<SendBu>()) CHECK(b.dst == kMap2);
  const auto st = h.mn.state(h.now);
  REQUIRE(st.bul.size() == 2);
  for (const auto& e : st.bul)
    if (e.map == kMap1) {
      CHECK(e.role == BindingRole::previous);
      CHECK_FALSE(e.multiple_coa);
    }
  CHECK(h.violations.empty());
}
