// Multiple CoA in the mobile node core, second round (review findings 6, 8,
// R and the small ones): a return to a MAP during its fallback hold-down, an
// intra-MAP move of the signalling interface, reloads that renumber the
// BIDs or change priorities and flows, the 165 clearing count, the refused
// BIDs' deadline, and never a registration with lifetime 0.
#include <algorithm>
#include <set>

#include "test_mn_home_util.h"
#include "test_mn_mcoa_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

constexpr unsigned kIf3 = 4;  // usb0 / wwan0 in the three-interface tests

bool unique_bids(const SendBu& bu) {
  const auto v = bid_numbers(bu);
  return std::set<std::uint16_t>(v.begin(), v.end()).size() == v.size();
}

std::size_t entries_of(const MnState& st, const Ip6Addr& map) {
  return static_cast<std::size_t>(
      std::count_if(st.bul.begin(), st.bul.end(), [&](const BulEntryView& e) { return e.map == map; }));
}

const BulEntryView* entry_of(const MnState& st, const Ip6Addr& map) {
  for (const auto& e : st.bul)
    if (e.map == map) return &e;
  return nullptr;
}

/// The MAP1 kernel bindings of RCoA1 by BID.
std::set<std::uint16_t> keys_of(const Two& h, const Ip6Addr& rcoa = kRcoa1) {
  std::set<std::uint16_t> r;
  for (const auto& [k, s] : h.all)
    if (std::get<0>(k) == kMap1 && std::get<1>(k) == rcoa) r.insert(std::get<2>(k));
  return r;
}

}  // namespace

TEST_CASE("MCoA fallback: back at the MAP within its hold-down, its one BUL entry is taken back and registers", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.answer(bu);  // an RFC 6275 MAP: no BID option, one regular binding (kernel key keeps BID 1)
  REQUIRE(h.mn.counters().mcoa_fallbacks == 1);
  REQUIRE(h.entry().registered);
  REQUIRE(keys_of(h) == std::set<std::uint16_t>{1});
  // MAP2 (further) on both links for 20 s: an MCoA registration there,
  // MAP1's regular binding becomes previous (same LCoA: no BU to MAP1).
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10), map_opt(kMap2, 3, 10, 20)}), kIf1);
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10), map_opt(kMap2, 3, 10, 20)}), kIf2);
  auto bus = h.take<SendBu>();
  REQUIRE(!bus.empty());
  REQUIRE(bus.back().dst == kMap2);
  REQUIRE(bid_numbers(bus.back()) == std::vector<std::uint16_t>{1, 2});
  h.mcoa_answer(bus.back());
  REQUIRE(h.all.at({kMap2, kRcoa2, 1}).primary);
  h.clear();
  // MAP2's options expire: back to MAP1, still within its fallback hold-down.
  h.advance(seconds(20));
  REQUIRE(h.mn.mcoa_fallback_until(kMap1).has_value());
  REQUIRE(*h.mn.mcoa_fallback_until(kMap1) > h.now);
  auto st = h.mn.state(h.now);
  CHECK(entries_of(st, kMap1) == 1);  // taken back, not a second entry for the same RCoA
  bus = h.take<SendBu>();
  std::vector<SendBu> to1;
  for (const auto& b : bus)
    if (b.dst == kMap1) to1.push_back(b);
  REQUIRE(to1.size() == 1);  // the BU of the entry taken back (no retransmission yet)
  CHECK(to1[0].bu.lifetime > 0);
  CHECK(bids_of(to1[0].bu).empty());  // a regular registration during the hold-down
  CHECK(to1[0].lcoa == kLcoa1);
  h.answer(to1[0]);
  st = h.mn.state(h.now);
  CHECK(entries_of(st, kMap1) == 1);
  const BulEntryView* e = entry_of(st, kMap1);
  REQUIRE(e != nullptr);
  CHECK(e->role == BindingRole::current);
  CHECK(e->registered);
  CHECK(e->primary);
  CHECK_FALSE(e->multiple_coa);
  // Kernel: the one binding of RCoA1 (under its old key), primary, from wlan0.
  CHECK(keys_of(h) == std::set<std::uint16_t>{1});
  REQUIRE(h.all.count({kMap1, kRcoa1, 1}) == 1);
  CHECK(h.all.at({kMap1, kRcoa1, 1}).primary);
  CHECK(h.all.at({kMap1, kRcoa1, 1}).signalling);
  CHECK(h.all.at({kMap1, kRcoa1, 1}).lcoa == kLcoa1);
  CHECK(h.primaries() == 1);
  CHECK(h.mn.counters().ba_unexpected == 0);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA secure mode: an intra-MAP move of the signalling interface keeps the signalling there: one IKE re-establishment, no hand-over", "[mn][mcoa]") {
  Two h(secure_two_cfg());
  std::vector<SendBu> bus{h.secure_registering()};
  REQUIRE(bus[0].lcoa == kLcoa1);  // wlan0 signals (first in the file)
  h.mcoa_answer(bus[0]);
  h.clear();
  const auto reestablished = h.mn.counters().ike_reestablished;
  const auto changes = h.mn.counters().mcoa_primary_changes;

  // wlan0 moves under the same MAP: a new address, then a new router's RA.
  const Ip6Addr lcoa1b = Ip6Addr::must("2001:db8:a3::211:22ff:fe33:4455");
  h.set_link(link_on("wlan0", kIf1, true, {lcoa1b}));
  h.give_ra(Ip6Addr::must("fe80::a3"), ra(Ip6Addr::must("2001:db8:a3::"), {map_opt(kMap1, 2, 10, 36000, true)}), kIf1);
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1});
  CHECK(bus[0].lcoa == lcoa1b);
  CHECK(bus[0].bu.lifetime > 0);
  h.mcoa_answer(bus[0]);
  CHECK(h.take<SendBu>().empty());

  // One re-establishment, from the new LCoA; the signalling never left BID 1.
  const auto sec = h.take<SecureMap>();
  REQUIRE(sec.size() == 1);
  CHECK(sec[0].lcoa == lcoa1b);
  CHECK(sec[0].rcoa == kLease1);
  CHECK(h.mn.counters().ike_reestablished == reestablished + 1);
  CHECK(h.mn.counters().mcoa_primary_changes == changes);
  for (const auto& i : h.take<InstallBinding>()) {
    INFO("InstallBinding BID " << i.key.bid);
    if (i.key.bid == 2) CHECK_FALSE(i.settings.signalling);
    if (i.key.bid == 1) CHECK(i.settings.signalling);
  }
  REQUIRE(h.all.count({kMap1, kLease1, 1}) == 1);
  CHECK(h.all.at({kMap1, kLease1, 1}).signalling);
  CHECK(h.all.at({kMap1, kLease1, 1}).primary);
  CHECK(h.all.at({kMap1, kLease1, 1}).lcoa == lcoa1b);
  CHECK_FALSE(h.all.at({kMap1, kLease1, 2}).signalling);
  const auto e = h.entry();
  REQUIRE(e.bids.size() == 2);
  CHECK(e.bids[0].registered);
  CHECK(e.bids[0].lcoa == lcoa1b);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: an intra-MAP move of the signalling interface (insecure) sends one BU from the new LCoA and never hands the signalling over", "[mn][mcoa]") {
  const Ip6Addr lcoa1b = Ip6Addr::must("2001:db8:a3::211:22ff:fe33:4455");
  Two g;
  g.registered_both();
  g.set_link(link_on("wlan0", kIf1, true, {lcoa1b}));
  g.give_ra(Ip6Addr::must("fe80::a3"), ra(Ip6Addr::must("2001:db8:a3::"), {map_opt(kMap1, 2, 10)}), kIf1);
  for (const auto& i : g.take<InstallBinding>())
    if (i.key.bid == 2) CHECK_FALSE(i.settings.signalling);
  auto bus = g.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].lcoa == lcoa1b);
  g.mcoa_answer(bus[0]);
  CHECK(g.at(1)->signalling);
  CHECK(g.at(1)->primary);
  CHECK(g.primaries() == 1);
  CHECK(g.mn.counters().mcoa_primary_changes == 0);
  CHECK(g.violations.empty());
}

TEST_CASE("MCoA reload: an interface inserted before the others renumbers their BIDs; never a BID twice in a BU", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  std::vector<SendBu> every;
  const auto collect = [&]() {
    auto bus = h.take<SendBu>();
    every.insert(every.end(), bus.begin(), bus.end());
    return bus;
  };
  auto c = two_cfg();
  c.interfaces = {"usb0", "wlan0", "eth0"};  // wlan0: BID 1 -> 2, eth0: 2 -> 3
  h.mn.handle_reload(h.now, c);
  h.drain();
  // Kernel: the bindings under their new keys, the signalling on wlan0's.
  CHECK(keys_of(h) == std::set<std::uint16_t>{2, 3});
  REQUIRE(h.at(2) != nullptr);
  CHECK(h.at(2)->lcoa == kLcoa1);
  CHECK(h.at(2)->signalling);
  CHECK(h.at(2)->primary);  // the MAP still holds it: the uplink stays
  REQUIRE(h.at(3) != nullptr);
  CHECK(h.at(3)->lcoa == kLcoa2);
  CHECK(h.primaries() == 1);
  // The MAP: registered under the new BIDs first ...
  auto bus = collect();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime > 0);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{2, 3});
  CHECK(std::get<Ip6Addr>(bids_of(bus[0].bu)[0].care_of_address) == kLcoa1);
  CHECK(std::get<Ip6Addr>(bids_of(bus[0].bu)[1].care_of_address) == kLcoa2);
  CHECK(h.entry().leaving == std::vector<std::uint16_t>{1});  // due after
  h.mcoa_answer(bus[0]);
  // ... then the BID no member has any more is deregistered.
  bus = collect();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1});
  h.mcoa_answer(bus[0]);
  auto e = h.entry();
  CHECK(e.leaving.empty());
  REQUIRE(e.bids.size() == 2);
  CHECK(e.bids[0].bid == 2);
  CHECK(e.bids[0].interface == "wlan0");
  CHECK(e.bids[0].registered);
  CHECK(e.bids[1].bid == 3);
  CHECK(e.bids[1].registered);
  // usb0 comes up hearing the MAP: it joins as BID 1; the refresh carries
  // all three, once each.
  h.set_link(link_on("usb0", kIf3, true, {kLcoa3}));
  h.give_ra(kAr3, ra(kPfx3, {map_opt(kMap1, 2, 10)}), kIf3);
  bus = collect();
  REQUIRE(bus.size() == 1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1});
  CHECK(std::get<Ip6Addr>(bids_of(bus[0].bu)[0].care_of_address) == kLcoa3);
  h.mcoa_answer(bus[0]);
  h.clear();
  h.advance(seconds(500));
  bus = collect();
  REQUIRE(!bus.empty());
  auto refresh = bid_numbers(bus.front());
  std::sort(refresh.begin(), refresh.end());
  CHECK(refresh == std::vector<std::uint16_t>{1, 2, 3});
  for (const auto& b : every) CHECK(unique_bids(b));
  CHECK(h.mn.counters().mcoa_fallbacks == 0);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA reload: two interfaces swapping Bid values re-key their bindings, the home binding follows, nothing deregistered", "[mn][mcoa]") {
  auto c = home_cfg();
  c.interfaces = {"wlan0", "eth0"};
  c.insecure = true;
  Two h(c);
  h.registered_both();
  h.advance(milliseconds(10));
  REQUIRE(h.home_kernel.has_value());
  REQUIRE(h.home_kernel->settings.via == BindingKey{kMap1, kRcoa1, 1});
  h.clear();
  c.interface_options = {InterfaceOptions{2, 0}, InterfaceOptions{1, 0}};
  h.mn.handle_reload(h.now, c);
  h.drain();
  CHECK(h.violations.empty());  // the home binding was never under a removed MAP binding
  REQUIRE(h.home_kernel.has_value());
  CHECK(h.home_kernel->settings.via == BindingKey{kMap1, kRcoa1, 2});
  REQUIRE(keys_of(h) == std::set<std::uint16_t>{1, 2});
  CHECK(h.at(2)->lcoa == kLcoa1);
  CHECK(h.at(2)->signalling);
  CHECK(h.at(1)->lcoa == kLcoa2);
  CHECK_FALSE(h.at(1)->signalling);
  CHECK(h.primaries() == 1);
  auto bus = map_bus(h.take<SendBu>());
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime > 0);
  CHECK(unique_bids(bus[0]));
  const auto opts = bids_of(bus[0].bu);
  REQUIRE(opts.size() == 2);
  CHECK(opts[0].bid == 2);
  CHECK(std::get<Ip6Addr>(opts[0].care_of_address) == kLcoa1);
  CHECK(opts[1].bid == 1);
  CHECK(std::get<Ip6Addr>(opts[1].care_of_address) == kLcoa2);
  h.mcoa_answer(bus[0]);
  CHECK(map_bus(h.take<SendBu>()).empty());  // both old BIDs taken over: no deregistration
  const auto e = h.entry();
  CHECK(e.leaving.empty());
  REQUIRE(e.bids.size() == 2);
  CHECK(e.bids[0].interface == "wlan0");
  CHECK(e.bids[0].bid == 2);
  CHECK(e.bids[0].registered);
  CHECK(e.bids[1].bid == 1);
  CHECK(e.bids[1].registered);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA reload: a new Priority goes to the MAP and moves the signalling; new FlowPolicy blocks reach the kernel", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  auto c = two_cfg();
  c.interface_options = {InterfaceOptions{0, 0}, InterfaceOptions{0, 1}};
  FlowPolicyConfig f;
  f.bid = 1;
  f.match.ip_proto = 6;
  c.flow_policies.push_back(f);
  h.mn.handle_reload(h.now, c);
  h.drain();
  REQUIRE(keys_of(h) == std::set<std::uint16_t>{1, 2});
  // eth0 (registered, Priority 1) signals now; BID 1's kernel binding has the flow.
  CHECK(h.at(2)->signalling);
  CHECK(h.at(2)->primary);
  CHECK_FALSE(h.at(1)->signalling);
  REQUIRE(h.at(1)->flows.size() == 1);
  CHECK(h.at(1)->flows[0] == f.match);
  CHECK(h.primaries() == 1);
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].lcoa == kLcoa2);
  bool pri = false;
  for (const auto& o : bids_of(bus[0].bu))
    if (o.bid == 2) pri = o.bid_pri == 1;
  CHECK(pri);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: the 165 clearings count those in a row; a registration in between starts again", "[mn][mcoa]") {
  Two h;
  SendBu bu = h.both_up();
  for (int round = 0; round < 3; ++round) {
    INFO("round " << round);
    h.clear();
    h.mcoa_answer(bu, wire::ba_status::kMcoaNonMcoaBindingExists);
    auto bus = h.take<SendBu>();
    REQUIRE(bus.size() == 1);
    REQUIRE(bus[0].bu.lifetime == 0);
    REQUIRE(bids_of(bus[0].bu).empty());
    h.answer(bus[0]);
    bus = h.take<SendBu>();
    REQUIRE(bus.size() == 1);
    REQUIRE(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1, 2});
    h.mcoa_answer(bus[0]);
    REQUIRE(h.entry().registered);
    h.give_mh(kMap1, kRcoa1, wire::BindingRefreshRequest{});  // the next bulk BU
    bus = h.take<SendBu>();
    REQUIRE(bus.size() == 1);
    bu = bus[0];
  }
  CHECK(h.mn.counters().mcoa_fallbacks == 0);
  CHECK(h.mn.counters().mcoa_clearings == 3);
  CHECK(h.entry().multiple_coa);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA: a refused BID's hold-down end is a deadline: it is registered again then, with nothing else happening", "[mn][mcoa]") {
  Two h;
  const SendBu bu = h.both_up();
  h.mcoa_answer(bu, wire::ba_status::kMcoaNotComplete, {0, wire::ba_status::kInsufficientResources});
  REQUIRE(h.entry().bids.size() == 1);
  h.clear();
  const auto t = h.mn.poll_timeout();
  REQUIRE(t.has_value());
  CHECK(*t <= h.now + kRefusedMapHoldDown);
  h.advance(kRefusedMapHoldDown);  // exactly its end (a second later the BU is retransmitted)
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{2});
  CHECK(std::get<Ip6Addr>(bids_of(bus[0].bu)[0].care_of_address) == kLcoa2);
  h.mcoa_answer(bus[0]);
  REQUIRE(h.entry().bids.size() == 2);
  CHECK(h.entry().bids[1].registered);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA and regular bindings: a registration never asks for lifetime 0 units (one unit at least)", "[mn][mcoa]") {
  SECTION("Multiple CoA") {
    auto c = two_cfg();
    c.binding_lifetime = 0;  // a hand-built configuration (config_parse refuses it)
    Two h(c);
    const SendBu bu = h.both_up();
    CHECK(bu.bu.lifetime == 1);
    h.mcoa_answer(bu);
    CHECK(h.entry().registered);
    CHECK(h.entry().leaving.empty());
    CHECK(h.mn.counters().mcoa_bids_registered == 2);
    CHECK(h.mn.counters().mcoa_bids_deregistered == 0);
    h.mn.handle_stop(h.now);  // a deregistration still says 0
    h.drain();
    const auto bus = h.take<SendBu>();
    REQUIRE(bus.size() == 1);
    CHECK(bus[0].bu.lifetime == 0);
  }
  SECTION("regular binding") {
    auto c = mn_cfg();
    c.binding_lifetime = 0;
    Harness h(c);
    h.set_link(link(true, {kLcoa1}));
    h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
    const auto bus = h.take<SendBu>();
    REQUIRE(bus.size() == 1);
    CHECK(bus[0].bu.lifetime == 1);
    h.answer(bus[0]);
    CHECK(h.mn.state(h.now).bul.at(0).registered);
    CHECK(h.primaries() == 1);
  }
}

TEST_CASE("MCoA reload: the signalling interface no longer configured: the other takes its key in place, the old BIDs are sorted out", "[mn][mcoa]") {
  auto c = home_cfg();
  c.interfaces = {"wlan0", "eth0"};
  c.insecure = true;
  c.multiple_coa = MultipleCoaMode::on;
  Two h(c);
  h.registered_both();
  h.advance(milliseconds(10));
  REQUIRE(h.home_kernel.has_value());
  REQUIRE(h.home_kernel->settings.via == BindingKey{kMap1, kRcoa1, 1});
  h.clear();
  c.interfaces = {"eth0"};  // eth0: BID 2 -> 1 (its position); wlan0 (BID 1, signalling) gone
  h.mn.handle_reload(h.now, c);
  h.drain();
  CHECK(h.violations.empty());
  CHECK(keys_of(h) == std::set<std::uint16_t>{1});
  REQUIRE(h.at(1) != nullptr);
  CHECK(h.at(1)->lcoa == kLcoa2);
  CHECK(h.at(1)->signalling);
  CHECK(h.at(1)->primary);
  REQUIRE(h.home_kernel.has_value());
  CHECK(h.home_kernel->settings.via == BindingKey{kMap1, kRcoa1, 1});
  auto bus = map_bus(h.take<SendBu>());
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].lcoa == kLcoa2);
  CHECK(bus[0].bu.lifetime > 0);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1});
  h.mcoa_answer(bus[0]);
  bus = map_bus(h.take<SendBu>());
  REQUIRE(bus.size() == 1);  // BID 2 (eth0's old one) is no member's now: deregistered
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{2});
  h.mcoa_answer(bus[0]);
  const auto e = h.entry();
  CHECK(e.leaving.empty());
  REQUIRE(e.bids.size() == 1);
  CHECK(e.bids[0].interface == "eth0");
  CHECK(e.bids[0].bid == 1);
  CHECK(e.bids[0].registered);
  CHECK(h.mn.counters().mcoa_fallbacks == 0);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA reload: MultipleCoa off collapses to one regular binding at once; on again waits for a new registration", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  auto bu = h.reload_mcoa_off(two_cfg());
  // Kernel: the signalling member's binding (its key keeps BID 1, a name
  // on this side) is the regular one, still the uplink; eth0's stays until
  // the MAP has the regular binding (it may send through it until then).
  CHECK(keys_of(h) == std::set<std::uint16_t>{1, 2});
  REQUIRE(h.at(1) != nullptr);
  CHECK(h.at(1)->lcoa == kLcoa1);
  CHECK(h.at(1)->primary);
  CHECK(h.primaries() == 1);
  // The MAP: one regular BU (no BID option) from wlan0, which replaces the
  // BIDs there; nothing deregistered first.
  CHECK(bu.bu.lifetime > 0);
  CHECK(bids_of(bu.bu).empty());
  CHECK(bu.lcoa == kLcoa1);
  CHECK(h.at(2)->lcoa == kLcoa2);
  CHECK_FALSE(h.at(2)->primary);
  CHECK_FALSE(h.at(2)->signalling);
  CHECK(h.entry().registered);  // the MAP holds the RCoA meanwhile
  CHECK(h.entry().receiving == std::vector<std::uint16_t>{2});
  h.regular_answer(bu);
  CHECK(keys_of(h) == std::set<std::uint16_t>{1});
  CHECK(h.entry().receiving.empty());
  auto e = h.entry();
  CHECK(e.registered);
  CHECK_FALSE(e.multiple_coa);
  CHECK(e.bids.empty());
  // Refreshes stay regular; eth0 is not registered on its own.
  h.clear();
  h.advance(seconds(500));
  auto bus = h.take<SendBu>();
  REQUIRE(!bus.empty());
  for (const auto& b : bus) CHECK(bids_of(b.bu).empty());
  h.regular_answer(bus.back());
  // On again: the regular binding runs on (RFC 5648 would need it
  // deregistered first); the refresh carries no BID option either.
  h.mn.handle_reload(h.now, two_cfg());
  h.drain();
  CHECK(h.take<SendBu>().empty());
  CHECK(keys_of(h) == std::set<std::uint16_t>{1});
  h.advance(seconds(500));
  bus = h.take<SendBu>();
  REQUIRE(!bus.empty());
  for (const auto& b : bus) CHECK(bids_of(b.bu).empty());
  CHECK(h.mn.counters().mcoa_fallbacks == 0);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA reload: MultipleCoa off and the binding goes before its BA: the kept member's kernel binding goes with it", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  const auto bu = h.reload_mcoa_off(two_cfg());
  REQUIRE(keys_of(h) == std::set<std::uint16_t>{1, 2});
  // MAP1 refuses the regular BU (administratively prohibited): the
  // binding goes, and nothing of it stays in the kernel.
  h.give_mh(bu.dst, bu.src, ba(bu.bu.sequence, 129, 0));
  CHECK(keys_of(h).empty());
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA reload: auto with only the other interface left: the regular binding goes from the one still configured", "[mn][mcoa]") {
  Two h;
  h.registered_both();
  REQUIRE(h.at(1)->signalling);
  auto c = two_cfg();
  c.interfaces = {"eth0"};  // auto with one Interface: off; wlan0 no longer configured
  c.multiple_coa = MultipleCoaMode::automatic;
  h.mn.handle_reload(h.now, c);
  h.drain();
  // One regular BU, from eth0's LCoA, and no second one (no move after it).
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bids_of(bus[0].bu).empty());
  CHECK(bus[0].lcoa == kLcoa2);
  // Kernel: eth0's binding carries it; wlan0's still receives until the BA.
  REQUIRE(h.at(2) != nullptr);
  CHECK(h.at(2)->signalling);
  CHECK(h.at(2)->primary);
  REQUIRE(h.at(1) != nullptr);
  CHECK_FALSE(h.at(1)->signalling);
  CHECK_FALSE(h.at(1)->primary);
  CHECK(h.primaries() == 1);
  CHECK(h.entry().bid == 2);
  h.regular_answer(bus[0]);
  CHECK(keys_of(h) == std::set<std::uint16_t>{2});
  CHECK(h.take<SendBu>().empty());
  CHECK(h.entry().registered);
  CHECK(h.violations.empty());
}

TEST_CASE("MCoA reload: MultipleCoa off takes the uplink flows off the kept member at once", "[mn][mcoa]") {
  Two h(two_cfg_sip_on_2());
  h.registered_both();
  REQUIRE(h.at(2)->flows.size() == 1);
  const auto bu = h.reload_mcoa_off(two_cfg_sip_on_2());
  // Before the BA: eth0's binding receives, but no flow leaves through it
  // (the MAP's ingress check drops it once the regular binding replaced
  // BID 2); the signalling one carries no flow either (one binding).
  REQUIRE(h.at(2) != nullptr);
  CHECK(h.at(2)->flows.empty());
  CHECK(h.at(1)->flows.empty());
  h.regular_answer(bu);
  CHECK(keys_of(h) == std::set<std::uint16_t>{1});
  CHECK(h.violations.empty());
}
