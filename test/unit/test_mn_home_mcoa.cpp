// Multiple Care-of Addresses (RFC 5648, issue 15) towards the HOME AGENT in
// plain Mobile IPv6 mode (lib/mn/mn_home_mcoa.cpp): every interface's LCoA
// registered under the home address (bulk home BU), per-BID statuses,
// carrier loss (the lifetime-0 BU before the lost CoA's kernel state),
// rejoin, the fallbacks (no BID option in the BA, 166, Binding Error 2,
// 165 clearing), secure mode (one CoA) and HMIPv6 mode unchanged (the RCoA
// stays the one home CoA). Virtual time only.
#include <algorithm>
#include <map>

#include "test_mn_home_util.h"
#include "test_mn_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

constexpr unsigned kIf1 = 2;  // wlan0, BID 1
constexpr unsigned kIf2 = 3;  // eth0, BID 2
constexpr auto npos = std::string::npos;

MndConfig plain_two(bool hmipv6 = false) {
  auto c = home_cfg(hmipv6);
  c.interfaces = {"wlan0", "eth0"};
  return c;
}

LinkState link_on(const std::string& name, unsigned ifindex, bool up, std::vector<Ip6Addr> globals = {}) {
  LinkState l = link(up, std::move(globals), false, ifindex);
  l.name = name;
  return l;
}

std::vector<wire::BindingIdentifierOption> bids_of(const SendBu& b) {
  std::vector<wire::BindingIdentifierOption> v;
  for (const auto* o : wire::options_of<wire::BindingIdentifierOption>(b.bu.options)) v.push_back(*o);
  return v;
}

std::vector<std::uint16_t> bid_numbers(const SendBu& b) {
  std::vector<std::uint16_t> v;
  for (const auto& o : bids_of(b)) v.push_back(o.bid);
  return v;
}

/// What mapd's home-agent role answers (lib/map/mcoa.cpp): every BID
/// option copied with its status (0 when all share the BA's).
wire::BindingAck mcoa_ba(const SendBu& bu, std::uint8_t status, std::vector<std::uint8_t> per_bid = {}) {
  wire::BindingAck b = ba(bu.bu.sequence, status, bu.bu.lifetime);
  std::size_t k = 0;
  for (auto o : bids_of(bu)) {
    o.status = k < per_bid.size() ? per_bid[k] : 0;
    ++k;
    b.options.emplace_back(o);
  }
  return b;
}

/// The index in h.out of the first home BU with lifetime 0.
std::size_t first_home_dereg(const Harness& h) {
  for (std::size_t k = 0; k < h.out.size(); ++k)
    if (const auto* b = std::get_if<SendBu>(&h.out[k]); b && b->bu.home_registration && b->bu.lifetime == 0) return k;
  return npos;
}

struct Plain : Harness {
  explicit Plain(MndConfig c = plain_two()) : Harness(std::move(c)) {}
  /// The HA's BA to `bu` (to the care-of address, RH2 = the home address).
  void ha_answer(const SendBu& bu, std::uint8_t status = 0, std::vector<std::uint8_t> per_bid = {}) {
    give_mh(bu.dst, bu.src, mcoa_ba(bu, status, std::move(per_bid)), bu.lcoa);
  }
  void up1() {
    set_link(link_on("wlan0", kIf1, true, {kLcoa1}));
    give_ra(kAr1, ra(kPfx1, {}), kIf1);
  }
  void up2() {
    set_link(link_on("eth0", kIf2, true, {kLcoa2}));
    give_ra(kAr2, ra(kPfx2, {}), kIf2);
  }
  /// Both interfaces up, their RAs heard: the last home BU (the bulk one).
  SendBu both() {
    up1();
    up2();
    auto bus = home_bus(take<SendBu>());
    REQUIRE(!bus.empty());
    return bus.back();
  }
  /// Registered with BIDs 1 (wlan0, primary) and 2 (eth0); out cleared.
  void registered_both() {
    const auto bu = both();
    REQUIRE(bid_numbers(bu) == std::vector<std::uint16_t>{1, 2});
    clear();
    ha_answer(bu);
    REQUIRE(mn.state(now).home->status == HomeStatus::registered);
    clear();
  }
  [[nodiscard]] const HomeSettings& hk() const {
    REQUIRE(home_kernel);
    return home_kernel->settings;
  }
};

HomeCoa extra2() { return HomeCoa{2, kLcoa2, static_cast<int>(kIf2), kAr2, 1460}; }
HomeCoa extra1() { return HomeCoa{1, kLcoa1, static_cast<int>(kIf1), kAr1, 1460}; }

}  // namespace

TEST_CASE("plain home MCoA: one bulk home BU registers both LCoAs under the home address", "[mcoa][home]") {
  Plain h;
  const auto bu = h.both();
  CHECK(bu.bu.home_registration);
  CHECK(bu.bu.ack);
  CHECK_FALSE(bu.bu.map_registration);
  CHECK(bu.src == kHome);
  CHECK(bu.dst == kHa);
  CHECK(bu.lcoa == kLcoa1);  // from the primary (wlan0: first in the file)
  const auto o = bids_of(bu);
  REQUIRE(o.size() == 2);
  CHECK(o[0].bid == 1);
  CHECK(o[0].care_of_address == wire::BindingIdentifierOption::CareOfAddress{kLcoa1});
  CHECK(o[1].bid == 2);
  CHECK(o[1].care_of_address == wire::BindingIdentifierOption::CareOfAddress{kLcoa2});
  CHECK_FALSE(o[0].simultaneous_home_and_foreign);
  // The kernel: the primary's tunnel and a receive-only one for BID 2,
  // installed before the BU that registers it.
  CHECK(h.hk().coa == kLcoa1);
  CHECK(h.hk().more_coas == std::vector<HomeCoa>{extra2()});
  CHECK(h.mn.counters().bu_sent == 0);  // Hmipv6 off: no MAP binding
  CHECK(h.mn.counters().mcoa_bulk_bu_sent >= 1);
  h.clear();
  h.ha_answer(bu);
  const auto st = h.mn.state(h.now);
  CHECK(st.home->status == HomeStatus::registered);
  CHECK(st.home->plain_mode);
  CHECK(h.mn.counters().mcoa_bids_registered == 2);
  CHECK(h.take<SendBu>().empty());  // nothing more to register
  CHECK(h.violations.empty());

  // The refresh is one bulk BU of both BIDs.
  h.advance(seconds(600));
  const auto rb = home_bus(h.take<SendBu>());
  REQUIRE(!rb.empty());
  CHECK(bid_numbers(rb[0]) == std::vector<std::uint16_t>{1, 2});
  CHECK(rb[0].bu.lifetime > 0);
}

TEST_CASE("plain home MCoA: per-BID statuses (4 with 0/129, 167, 4 without options)", "[mcoa][home]") {
  SECTION("one BID refused: its tunnel goes, not asked again, the other registered") {
    Plain h;
    const auto bu = h.both();
    h.clear();
    h.ha_answer(bu, wire::ba_status::kMcoaNotComplete, {0, wire::ba_status::kAdministrativelyProhibited});
    CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
    CHECK(h.hk().coa == kLcoa1);
    CHECK(h.hk().more_coas.empty());
    CHECK(h.mn.counters().mcoa_bids_refused == 1);
    CHECK(h.mn.counters().mcoa_bids_registered == 1);
    CHECK(home_bus(h.take<SendBu>()).empty());
    // eth0 down and back with an RA: it would join, but BID 2 is held down.
    h.clear();
    h.set_link(link_on("eth0", kIf2, false));
    h.up2();
    CHECK(home_bus(h.take<SendBu>()).empty());
    CHECK(h.hk().more_coas.empty());
    // It rejoins when its hold-down is over, the timer alone driving it.
    h.clear();
    h.advance(seconds(60) + core::milliseconds(500));  // BID 2 refused 60 s ago; before its BU's retransmission
    const auto re = home_bus(h.take<SendBu>());
    REQUIRE(re.size() == 1);
    CHECK(bid_numbers(re[0]) == std::vector<std::uint16_t>{2});
    CHECK(re[0].bu.lifetime > 0);
    h.clear();
    h.ha_answer(re[0]);
    CHECK(h.hk().more_coas == std::vector<HomeCoa>{extra2()});
  }
  SECTION("every BID refused: a refusal of the home registration") {
    Plain h;
    const auto bu = h.both();
    h.clear();
    h.ha_answer(bu, wire::ba_status::kMcoaNotComplete,
                {wire::ba_status::kAdministrativelyProhibited, wire::ba_status::kAdministrativelyProhibited});
    CHECK(h.take<RemoveHomeBinding>().size() == 1);
    CHECK_FALSE(h.home_kernel);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::held_down);
    // After the hold-down: one CoA (no BID option) while both BIDs are
    // refused, the timer alone driving it.
    h.clear();
    h.advance(seconds(31));
    auto bus = home_bus(h.take<SendBu>());
    REQUIRE(bus.size() == 1);
    CHECK(bids_of(bus[0]).empty());
    CHECK(bus[0].bu.lifetime > 0);
    h.clear();
    h.ha_answer(bus[0]);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
    REQUIRE(h.home_kernel);
    CHECK(h.hk().more_coas.empty());
    // Their hold-down over: the BIDs are asked for again.
    h.clear();
    h.advance(seconds(30));
    bus = home_bus(h.take<SendBu>());
    REQUIRE(!bus.empty());
    CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1, 2});
  }
  SECTION("167 for a BID: sent again with its CoA field") {
    Plain h;
    h.up1();
    auto bus = home_bus(h.take<SendBu>());
    REQUIRE(bus.size() == 1);
    CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1});
    CHECK(bids_of(bus[0])[0].care_of_address == wire::BindingIdentifierOption::CareOfAddress{});  // the BU's own CoA
    h.clear();
    h.ha_answer(bus[0], wire::ba_status::kMcoaNotComplete, {wire::ba_status::kMcoaUnknownCoa});
    bus = home_bus(h.take<SendBu>());
    REQUIRE(bus.size() == 1);
    CHECK(bids_of(bus[0])[0].care_of_address == wire::BindingIdentifierOption::CareOfAddress{kLcoa1});
  }
  SECTION("168: one BID per BU from then on") {
    Plain h;
    const auto bu = h.both();
    h.clear();
    h.ha_answer(bu, wire::ba_status::kMcoaBulkRegistrationProhibited);
    auto bus = home_bus(h.take<SendBu>());
    REQUIRE(bus.size() == 1);
    CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1});
    h.ha_answer(bus[0]);
    bus = home_bus(h.take<SendBu>());
    REQUIRE(bus.size() == 1);
    CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{2});
    h.ha_answer(bus[0]);
    CHECK(home_bus(h.take<SendBu>()).empty());
    CHECK(h.mn.counters().mcoa_bids_registered == 2);
    CHECK(h.hk().more_coas == std::vector<HomeCoa>{extra2()});
    CHECK(h.violations.empty());
  }
  SECTION("status 4 without BID options: ignored, the BU retransmitted") {
    Plain h;
    const auto bu = h.both();
    h.clear();
    h.give_mh(bu.dst, bu.src, ba(bu.bu.sequence, wire::ba_status::kMcoaNotComplete), bu.lcoa);
    CHECK(h.mn.counters().mcoa_ba_malformed == 1);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::registering);
    h.advance(seconds(2));
    const auto re = home_bus(h.take<SendBu>());
    REQUIRE(!re.empty());
    CHECK(bid_numbers(re[0]) == std::vector<std::uint16_t>{1, 2});
    CHECK(re[0].bu.sequence != bu.bu.sequence);
  }
}

TEST_CASE("plain home MCoA: carrier loss: the lifetime-0 BU for the BID goes before its kernel state", "[mcoa][home]") {
  SECTION("a secondary interface") {
    Plain h;
    h.registered_both();
    h.set_link(link_on("eth0", kIf2, false));
    const auto kb = first_home_dereg(h);
    REQUIRE(kb != npos);
    const auto dereg = std::get<SendBu>(h.out[kb]);
    CHECK(bid_numbers(dereg) == std::vector<std::uint16_t>{2});
    CHECK(bids_of(dereg)[0].care_of_address == wire::BindingIdentifierOption::CareOfAddress{});
    CHECK(dereg.lcoa == kLcoa1);
    // Its receive tunnel goes after the BU (an install without it), never a
    // RemoveHomeBinding: the home binding stays.
    std::size_t removed_at = npos;
    for (std::size_t k = 0; k < h.out.size(); ++k)
      if (const auto* i = std::get_if<InstallHomeBinding>(&h.out[k]); i && i->settings.more_coas.empty()) removed_at = k;
    REQUIRE(removed_at != npos);
    CHECK(kb < removed_at);
    CHECK(first_index<RemoveHomeBinding>(h) == npos);
    CHECK(h.hk().coa == kLcoa1);
    CHECK(h.hk().more_coas.empty());
    h.clear();
    h.ha_answer(dereg);
    CHECK(h.mn.counters().mcoa_bids_deregistered == 1);
    CHECK(h.mn.counters().mcoa_interface_losses == 1);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
    CHECK(home_bus(h.take<SendBu>()).empty());
    CHECK(h.violations.empty());

    // Back with its LCoA: its tunnel first, then a BU for its BID alone.
    const auto joined0 = h.mn.counters().mcoa_interfaces_joined;
    h.clear();
    h.up2();
    const auto ki = first_index<InstallHomeBinding>(h);
    const auto kj = first_home_bu(h);
    REQUIRE(ki != npos);
    REQUIRE(kj != npos);
    CHECK(ki < kj);
    CHECK(h.hk().more_coas == std::vector<HomeCoa>{extra2()});
    const auto join = std::get<SendBu>(h.out[kj]);
    CHECK(bid_numbers(join) == std::vector<std::uint16_t>{2});
    CHECK(bids_of(join)[0].care_of_address == wire::BindingIdentifierOption::CareOfAddress{kLcoa2});
    CHECK(join.bu.lifetime > 0);
    CHECK(h.mn.counters().mcoa_interfaces_joined == joined0 + 1);
    h.clear();
    h.ha_answer(join);
    CHECK(h.mn.counters().mcoa_bids_registered == 3);
    CHECK(h.violations.empty());
  }
  SECTION("the primary interface: the uplink moves to the other, the BU leaves from there") {
    Plain h;
    h.registered_both();
    h.set_link(link_on("wlan0", kIf1, false));
    const auto kb = first_home_dereg(h);
    REQUIRE(kb != npos);
    const auto dereg = std::get<SendBu>(h.out[kb]);
    CHECK(bid_numbers(dereg) == std::vector<std::uint16_t>{1});
    CHECK(dereg.lcoa == kLcoa2);  // the harness checks the kernel held it when it left
    CHECK(h.hk().coa == kLcoa2);
    CHECK(h.hk().more_coas.empty());
    CHECK(first_index<RemoveHomeBinding>(h) == npos);
    CHECK(h.mn.counters().mcoa_primary_changes == 1);
    h.clear();
    h.ha_answer(dereg);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
    CHECK(h.violations.empty());

    // wlan0 back: registered again as BID 1; the primary goes back to it
    // (the better one: first in the file) once the HA accepted it.
    h.clear();
    h.up1();
    const auto join = home_bus(h.take<SendBu>());
    REQUIRE(join.size() == 1);
    CHECK(bid_numbers(join[0]) == std::vector<std::uint16_t>{1});
    CHECK(join[0].lcoa == kLcoa2);
    CHECK(h.hk().more_coas == std::vector<HomeCoa>{extra1()});
    h.ha_answer(join[0]);
    CHECK(h.hk().coa == kLcoa1);
    CHECK(h.hk().more_coas == std::vector<HomeCoa>{extra2()});
    CHECK(h.violations.empty());
  }
  SECTION("the last interface is kept: it waits for its link") {
    Plain h;
    h.up1();
    const auto bu = home_bus(h.take<SendBu>());
    REQUIRE(bu.size() == 1);
    h.ha_answer(bu[0]);
    h.clear();
    h.set_link(link_on("wlan0", kIf1, false));
    CHECK(first_home_dereg(h) == npos);
    CHECK(h.hk().coa == kLcoa1);
  }
}

TEST_CASE("plain home MCoA: fallback to one CoA when the HA does not do Multiple CoA", "[mcoa][home]") {
  SECTION("a BA without BID options: taken as a regular binding of the primary's CoA") {
    Plain h;
    const auto bu = h.both();
    h.clear();
    answer_home(h, bu);  // no BID option copied
    CHECK(h.mn.counters().mcoa_fallbacks == 1);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
    CHECK(h.hk().coa == kLcoa1);
    CHECK(h.hk().more_coas.empty());
    CHECK(home_bus(h.take<SendBu>()).empty());
    // The refresh (480 s: 20 % of 600 s left) is a regular BU.
    h.clear();
    h.advance(seconds(500));
    const auto rb = home_bus(h.take<SendBu>());
    REQUIRE(!rb.empty());
    CHECK(bids_of(rb[0]).empty());
    CHECK(h.violations.empty());
  }
  SECTION("status 166: a regular BU at once") {
    Plain h;
    const auto bu = h.both();
    h.clear();
    h.ha_answer(bu, wire::ba_status::kMcoaProhibited);
    const auto rb = home_bus(h.take<SendBu>());
    REQUIRE(rb.size() == 1);
    CHECK(bids_of(rb[0]).empty());
    CHECK(rb[0].lcoa == kLcoa1);
    CHECK(rb[0].bu.lifetime > 0);
    CHECK(h.hk().more_coas.empty());
    CHECK(h.mn.counters().mcoa_fallbacks == 1);
    answer_home(h, rb[0]);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  }
  SECTION("Binding Error 2 naming the home address: a regular BU at once; after the hold-down, BIDs again") {
    Plain h;
    const auto bu = h.both();
    h.clear();
    wire::BindingError be;
    be.status = wire::be_status::kUnrecognizedMhType;
    be.home_address = kHome;
    h.give_mh(kHa, std::nullopt, be, kLcoa1);
    const auto rb = home_bus(h.take<SendBu>());
    REQUIRE(rb.size() == 1);
    CHECK(bids_of(rb[0]).empty());
    CHECK(h.mn.counters().mcoa_fallbacks == 1);
    answer_home(h, rb[0]);
    h.clear();
    // A reload ends the hold-down (as the fallback's kMcoaFallbackHoldDown
    // running out does): Multiple CoA again; this HA still holds the
    // regular binding: 165, a lifetime-0 BU without BID clears it, then the
    // bulk BU.
    h.clear();
    h.mn.handle_reload(h.now, plain_two());
    h.drain();
    auto bus = home_bus(h.take<SendBu>());
    REQUIRE(!bus.empty());
    CHECK(bid_numbers(bus.back()) == std::vector<std::uint16_t>{1, 2});
    h.clear();
    h.ha_answer(bus.back(), wire::ba_status::kMcoaNonMcoaBindingExists);
    bus = home_bus(h.take<SendBu>());
    REQUIRE(bus.size() == 1);
    CHECK(bus[0].bu.lifetime == 0);
    CHECK(bids_of(bus[0]).empty());
    h.clear();
    answer_home(h, bus[0]);
    bus = home_bus(h.take<SendBu>());
    REQUIRE(bus.size() == 1);
    CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1, 2});
    CHECK(h.mn.counters().mcoa_clearings == 1);
  }
  SECTION("165: the regular binding cleared, then the BIDs") {
    Plain h;
    const auto bu = h.both();
    h.clear();
    h.ha_answer(bu, wire::ba_status::kMcoaNonMcoaBindingExists);
    auto bus = home_bus(h.take<SendBu>());
    REQUIRE(bus.size() == 1);
    CHECK(bus[0].bu.lifetime == 0);
    CHECK(bids_of(bus[0]).empty());
    CHECK(h.home_kernel);  // the kernel state stays meanwhile
    h.clear();
    answer_home(h, bus[0]);
    bus = home_bus(h.take<SendBu>());
    REQUIRE(bus.size() == 1);
    CHECK(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1, 2});
    h.ha_answer(bus[0]);
    CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
    CHECK(h.hk().more_coas == std::vector<HomeCoa>{extra2()});
  }
}

TEST_CASE("plain home MCoA: HMIPv6 mode unchanged (the RCoA is the one home CoA); MultipleCoa off: one CoA",
          "[mcoa][home]") {
  SECTION("HMIPv6") {
    Plain h(plain_two(true));
    h.set_link(link_on("wlan0", kIf1, true, {kLcoa1}));
    h.set_link(link_on("eth0", kIf2, true, {kLcoa2}));
    h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}), kIf1);
    h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}), kIf2);
    // The MAP's (bulk) BU; its BA lets the home BU go.
    std::vector<SendBu> hb;
    for (int round = 0; round < 3 && hb.empty(); ++round) {
      const auto all = h.take<SendBu>();
      hb = home_bus(all);
      const auto bus = map_bus(all);
      if (bus.empty()) break;
      const auto& m = bus.back();
      h.clear();
      h.give_mh(m.dst, m.src, mcoa_ba(m, 0));
      if (hb.empty()) hb = home_bus(h.take<SendBu>());
    }
    REQUIRE(hb.size() == 1);
    CHECK(hb[0].lcoa == kRcoa1);
    CHECK(bids_of(hb[0]).empty());
    CHECK(h.hk().via);
    CHECK(h.hk().more_coas.empty());
    CHECK(h.violations.empty());
  }
  SECTION("MultipleCoa off") {
    auto c = plain_two();
    c.multiple_coa = MultipleCoaMode::off;
    Plain h(c);
    const auto bu = h.both();
    CHECK(bids_of(bu).empty());
    CHECK(h.hk().more_coas.empty());
  }
  SECTION("secure mode: one CoA (RFC 4877 protection runs from one care-of address)") {
    auto c = secure_cfg();
    c.home = home_cfg(false).home;
    c.interfaces = {"wlan0", "eth0"};
    Plain h(c);
    h.up1();
    h.up2();
    const auto sh = h.take<SecureHome>();
    REQUIRE(!sh.empty());
    h.mn.handle_home_security_up(h.now, kHa, sh.back().coa);
    h.drain();
    const auto hb = home_bus(h.take<SendBu>());
    REQUIRE(hb.size() == 1);
    CHECK(bids_of(hb[0]).empty());
    CHECK(h.hk().more_coas.empty());
    const auto logs = h.take<LogEvent>();
    CHECK(std::any_of(logs.begin(), logs.end(), [](const LogEvent& l) {
      return l.text.find("not used in secure mode") != std::string::npos;
    }));
  }
}

TEST_CASE("plain home MCoA: stop deregisters the home address without BID option (every BID goes)", "[mcoa][home]") {
  Plain h;
  h.registered_both();
  h.mn.handle_stop(h.now);
  h.drain();
  const auto bus = home_bus(h.take<SendBu>());
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 0);
  CHECK(bids_of(bus[0]).empty());
  answer_home(h, bus[0]);
  CHECK(h.take<RemoveHomeBinding>().size() == 1);
  CHECK(h.mn.finished());
}

// ---------------------------------------------------------------------------
// Reload (home_mcoa_reconfigure): the members take their BIDs and
// priorities from the new configuration.

namespace {

constexpr unsigned kIf3 = 4;  // a third interface (usb0 / wlan1)

/// The HA's binding cache as the BUs leave it (RFC 5648: a BU for a BID
/// replaces that BID's binding; lifetime 0 removes the BIDs named).
struct FakeHa {
  std::map<std::uint16_t, Ip6Addr> cache;
  void apply(const SendBu& bu) {
    for (const auto& o : bids_of(bu)) {
      if (bu.bu.lifetime == 0) {
        cache.erase(o.bid);
        continue;
      }
      const auto* c = std::get_if<Ip6Addr>(&o.care_of_address);
      cache[o.bid] = c ? *c : bu.lcoa;
    }
  }
};

bool no_repeated_bid(const SendBu& bu) {
  auto v = bid_numbers(bu);
  std::sort(v.begin(), v.end());
  return std::adjacent_find(v.begin(), v.end()) == v.end();
}

/// Answers every home BU (accepted) until none is left; every one in
/// `every`. At most 20 rounds: more is a BU/BA loop.
void settle(Plain& h, FakeHa& ha, std::vector<SendBu>& every) {
  for (int round = 0; round < 20; ++round) {
    const auto bus = home_bus(h.take<SendBu>());
    h.clear();
    if (bus.empty()) return;
    for (const auto& bu : bus) {
      every.push_back(bu);
      ha.apply(bu);
      h.ha_answer(bu);
    }
  }
  FAIL("home BUs still going after 20 rounds (a BU/BA loop)");
}

/// Both interfaces registered (BIDs 1 and 2), the fake HA holding them; out cleared.
void registered_at(Plain& h, FakeHa& ha) {
  const auto bu = h.both();
  ha.apply(bu);
  h.clear();
  h.ha_answer(bu);
  h.clear();
}

std::map<std::uint16_t, Ip6Addr> more_coas_of(const HomeSettings& s) {
  std::map<std::uint16_t, Ip6Addr> r;
  for (const auto& c : s.more_coas) r[c.bid] = c.coa;
  return r;
}

}  // namespace

TEST_CASE("plain home MCoA reload: the first interface removed (wlan0, eth0 -> eth0, wlan1)", "[mcoa][home]") {
  Plain h;
  FakeHa ha;
  std::vector<SendBu> every;
  registered_at(h, ha);
  REQUIRE(ha.cache == std::map<std::uint16_t, Ip6Addr>{{1, kLcoa1}, {2, kLcoa2}});
  auto c = plain_two();
  c.interfaces = {"eth0", "wlan1"};  // eth0: BID 2 -> 1; wlan1: BID 2
  h.mn.handle_reload(h.now, c);
  h.drain();
  settle(h, ha, every);
  CHECK(ha.cache == std::map<std::uint16_t, Ip6Addr>{{1, kLcoa2}});  // eth0 under BID 1, BID 2 gone
  CHECK(h.hk().coa == kLcoa2);
  CHECK(h.hk().more_coas.empty());
  h.set_link(link_on("wlan1", kIf3, true, {kLcoa3}));
  h.give_ra(kAr3, ra(kPfx3, {}), kIf3);
  settle(h, ha, every);
  CHECK(ha.cache == std::map<std::uint16_t, Ip6Addr>{{1, kLcoa2}, {2, kLcoa3}});
  CHECK(h.hk().coa == kLcoa2);
  CHECK(more_coas_of(h.hk()) == std::map<std::uint16_t, Ip6Addr>{{2, kLcoa3}});
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  for (const auto& b : every) CHECK(no_repeated_bid(b));
}

TEST_CASE("plain home MCoA reload: an interface inserted at the front renumbers the BIDs (make-before-break)",
          "[mcoa][home]") {
  Plain h;
  FakeHa ha;
  std::vector<SendBu> every;
  registered_at(h, ha);
  auto c = plain_two();
  c.interfaces = {"usb0", "wlan0", "eth0"};  // wlan0: 1 -> 2, eth0: 2 -> 3
  h.mn.handle_reload(h.now, c);
  h.drain();
  settle(h, ha, every);
  CHECK(ha.cache == std::map<std::uint16_t, Ip6Addr>{{2, kLcoa1}, {3, kLcoa2}});
  // The new BIDs registered before the old one goes (BID 1 only deregistered).
  REQUIRE(every.size() >= 2);
  CHECK(every[0].bu.lifetime > 0);
  CHECK(bid_numbers(every[0]) == std::vector<std::uint16_t>{2, 3});
  CHECK(every.back().bu.lifetime == 0);
  CHECK(bid_numbers(every.back()) == std::vector<std::uint16_t>{1});
  CHECK(h.hk().coa == kLcoa1);
  CHECK(more_coas_of(h.hk()) == std::map<std::uint16_t, Ip6Addr>{{3, kLcoa2}});
  h.set_link(link_on("usb0", kIf3, true, {kLcoa3}));
  h.give_ra(kAr3, ra(kPfx3, {}), kIf3);
  settle(h, ha, every);
  CHECK(ha.cache == std::map<std::uint16_t, Ip6Addr>{{1, kLcoa3}, {2, kLcoa1}, {3, kLcoa2}});
  CHECK(more_coas_of(h.hk()).size() == 2);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  for (const auto& b : every) CHECK(no_repeated_bid(b));
}

TEST_CASE("plain home MCoA reload: a new Priority reaches the BID-PRI and moves the primary", "[mcoa][home]") {
  Plain h;
  FakeHa ha;
  std::vector<SendBu> every;
  registered_at(h, ha);
  REQUIRE(h.hk().coa == kLcoa1);
  auto c = plain_two();
  c.interface_options = {InterfaceOptions{0, 20}, InterfaceOptions{0, 5}};  // eth0 preferred now
  h.mn.handle_reload(h.now, c);
  h.drain();
  settle(h, ha, every);
  REQUIRE(!every.empty());
  std::map<std::uint16_t, std::uint8_t> pri;
  for (const auto& b : every)
    for (const auto& o : bids_of(b)) pri[o.bid] = o.bid_pri;
  CHECK(pri == std::map<std::uint16_t, std::uint8_t>{{1, 20}, {2, 5}});
  CHECK(h.hk().coa == kLcoa2);  // the primary: the best Priority
  CHECK(more_coas_of(h.hk()) == std::map<std::uint16_t, Ip6Addr>{{1, kLcoa1}});
  CHECK(ha.cache == std::map<std::uint16_t, Ip6Addr>{{1, kLcoa1}, {2, kLcoa2}});
  for (const auto& b : every) CHECK(no_repeated_bid(b));
}

TEST_CASE("plain home MCoA: an unanswered deregistration of a lost BID is given up; the refreshes go on",
          "[mcoa][home]") {
  Plain h;
  h.registered_both();
  h.set_link(link_on("eth0", kIf2, false));
  REQUIRE(first_home_dereg(h) != npos);
  h.clear();
  h.advance(core::seconds(100));  // retransmitted up to MaxBindackTimeout, then given up
  CHECK(first_home_dereg(h) != npos);
  h.clear();
  h.advance(core::seconds(480));  // past BID 1's refresh (600 s granted)
  const auto bus = home_bus(h.take<SendBu>());
  REQUIRE(!bus.empty());
  for (const auto& b : bus) CHECK(b.bu.lifetime > 0);  // no deregistration of BID 2 any more
  CHECK(bid_numbers(bus.front()) == std::vector<std::uint16_t>{1});
  CHECK(bid_numbers(bus.back()) == std::vector<std::uint16_t>{1});
  h.clear();
  h.ha_answer(bus.back());  // the last retransmission (its sequence number is the outstanding one)
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  CHECK(h.hk().coa == kLcoa1);
  CHECK(home_bus(h.take<SendBu>()).empty());
}

// Hmipv6 switched on while a BID BU is out: its BA is answered in plain
// mode, then the RCoA registration replaces the BIDs (one CoA). (The BA
// arriving after the collapse itself, home_mcoa_ba's !mcoa guard, needs a
// MAP binding whose grant has run out: not reproduced here.)
TEST_CASE("plain home MCoA: Hmipv6 switched on while a BID BU is out: the RCoA registration follows",
          "[mcoa][home]") {
  Plain h(plain_two(false));
  h.set_link(link_on("wlan0", kIf1, true, {kLcoa1}));
  h.set_link(link_on("eth0", kIf2, true, {kLcoa2}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}), kIf1);
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}), kIf2);
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(!hb.empty());
  const SendBu& bid_bu = hb.back();
  REQUIRE(bid_numbers(bid_bu) == std::vector<std::uint16_t>{1, 2});
  // Hmipv6 on while the BID BU is out: the MAP binding first, the home
  // registration through the RCoA once the MAP's BA is in.
  h.clear();
  h.mn.handle_reload(h.now, plain_two(true));
  h.drain();
  const auto mb = map_bus(h.take<SendBu>());
  REQUIRE(!mb.empty());
  CHECK(home_bus(h.take<SendBu>()).empty());
  h.clear();
  h.ha_answer(bid_bu);  // accepted: it says nothing about the RCoA registration
  CHECK(first_index<RemoveHomeBinding>(h) == npos);
  CHECK(h.mn.state(h.now).home->status != HomeStatus::held_down);
  // The MAP's BA: the home BU from the RCoA, without BID option.
  const auto& m = mb.back();
  h.clear();
  h.give_mh(m.dst, m.src, mcoa_ba(m, 0));
  const auto rb = home_bus(h.take<SendBu>());
  REQUIRE(!rb.empty());
  CHECK(rb.back().lcoa == kRcoa1);
  CHECK(bids_of(rb.back()).empty());
  h.clear();
  h.give_mh(rb.back().dst, rb.back().src, ba(rb.back().bu.sequence, 0, rb.back().bu.lifetime), rb.back().lcoa);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  REQUIRE(h.home_kernel);
  CHECK(h.hk().via);
}

TEST_CASE("plain home MCoA: an extra CoA's receive tunnel that the kernel could not make holds that BID down only",
          "[mcoa][home]") {
  Plain h;
  h.registered_both();
  REQUIRE(h.home_kernel);
  // kglue's MnHomeObjects::failed_bids == {2} (mnd passes it on).
  h.mn.handle_home_extras_failed(h.now, h.home_kernel->key, {2}, "no tunnel");
  h.drain();
  CHECK(first_index<RemoveHomeBinding>(h) == npos);  // the working home binding stays
  CHECK(h.hk().coa == kLcoa1);
  CHECK(h.hk().more_coas.empty());
  const auto kb = first_home_dereg(h);
  REQUIRE(kb != npos);
  const auto dereg = std::get<SendBu>(h.out[kb]);
  CHECK(bid_numbers(dereg) == std::vector<std::uint16_t>{2});
  h.clear();
  h.ha_answer(dereg);
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  CHECK(home_bus(h.take<SendBu>()).empty());
  // After the hold-down BID 2 is tried again (its tunnel first).
  h.clear();
  h.advance(seconds(60) + core::milliseconds(500));
  const auto re = home_bus(h.take<SendBu>());
  REQUIRE(re.size() == 1);
  CHECK(bid_numbers(re[0]) == std::vector<std::uint16_t>{2});
  CHECK(h.hk().more_coas == std::vector<HomeCoa>{extra2()});
}

TEST_CASE("plain home MCoA reload: MultipleCoa off: one regular home BU, the other CoA's tunnel receives until its BA",
          "[mcoa][home]") {
  Plain h;
  h.registered_both();
  REQUIRE(h.hk().coa == kLcoa1);
  REQUIRE(more_coas_of(h.hk()) == std::map<std::uint16_t, Ip6Addr>{{2, kLcoa2}});
  auto c = plain_two();
  c.multiple_coa = MultipleCoaMode::off;
  h.mn.handle_reload(h.now, c);
  h.drain();
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(hb.size() == 1);
  CHECK(bids_of(hb[0]).empty());
  CHECK(hb[0].bu.lifetime > 0);
  CHECK(hb[0].lcoa == kLcoa1);
  // The HA may still send through eth0's CoA until it has the regular BU.
  CHECK(more_coas_of(h.hk()) == std::map<std::uint16_t, Ip6Addr>{{2, kLcoa2}});
  h.advance(seconds(1));  // a service round before the BA keeps it too
  CHECK(more_coas_of(h.hk()) == std::map<std::uint16_t, Ip6Addr>{{2, kLcoa2}});
  h.ha_answer(hb.back());
  CHECK(h.hk().coa == kLcoa1);
  CHECK(h.hk().more_coas.empty());
  CHECK(h.mn.state(h.now).home->status == HomeStatus::registered);
  CHECK(h.violations.empty());
}

TEST_CASE("plain home MCoA reload: off then on again before the HA answers: a later carrier loss still removes that tunnel",
          "[mcoa][home]") {
  Plain h;
  h.registered_both();
  auto off = plain_two();
  off.multiple_coa = MultipleCoaMode::off;
  h.mn.handle_reload(h.now, off);
  h.drain();
  REQUIRE(home_bus(h.take<SendBu>()).size() == 1);  // the regular BU, left unanswered
  REQUIRE(more_coas_of(h.hk()) == std::map<std::uint16_t, Ip6Addr>{{2, kLcoa2}});
  // On again: Multiple CoA runs with its own extra tunnels; the wait for
  // the regular BU's BA is over.
  h.mn.handle_reload(h.now, plain_two());
  h.drain();
  const auto hb = home_bus(h.take<SendBu>());
  REQUIRE(!hb.empty());
  REQUIRE(bid_numbers(hb.back()) == std::vector<std::uint16_t>{1, 2});
  h.ha_answer(hb.back());
  REQUIRE(more_coas_of(h.hk()) == std::map<std::uint16_t, Ip6Addr>{{2, kLcoa2}});
  // eth0's carrier goes: its receive tunnel goes with it (not kept back).
  h.set_link(link_on("eth0", kIf2, false));
  CHECK(h.hk().coa == kLcoa1);
  CHECK(h.hk().more_coas.empty());
  CHECK(h.violations.empty());
}
