// The mobile node core against what outside testing found (issue 13):
// item 5, one BU per registration and a backoff counted from when the BU
// actually left; item 7, a MAP failure (Valid Lifetime 0) honoured only from
// a router that advertised that MAP, and capped RA-learned tables; item 8,
// the Alternate Care-of Address option in secure mode; item 9, lifetimes
// rounded down and capped by the remaining lifetimes of the RCoA and LCoA.
// Virtual time only.
#include "test_mn_util.h"

#include "hmip/wire/mh.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

const Ip6Addr kForger = Ip6Addr::must("fe80::666");

// What mnd does with an action list: InstallBinding first (which may take a
// while: `install_takes`), then the BU leaves and the core is told.
std::vector<SendBu> perform(Harness& h, Duration install_takes) {
  auto bus = h.take<SendBu>();
  if (!bus.empty()) h.now += install_takes;
  for (const auto& b : bus) h.mn.handle_bu_sent(h.now, b);
  h.drain();
  return bus;
}

wire::RouterAdvertisement ra_only_maps(std::vector<wire::MapOption> maps) {
  wire::RouterAdvertisement r;
  r.router_lifetime = 1800;
  for (auto& m : maps) r.options.emplace_back(m);
  return r;
}

Ip6Addr nth(const char* prefix, unsigned n) {
  auto a = Ip6Addr::must(prefix);
  a.b[14] = static_cast<std::uint8_t>(n >> 8);
  a.b[15] = static_cast<std::uint8_t>(n & 0xff);
  return a;
}

}  // namespace

// ---------------------------------------------------------------------------
// Item 5

TEST_CASE("issue 13/5: one BU per registration; the backoff 1, 2, 4 ... s counts from when the BU left",
          "[mn][issue13]") {
  auto cfg = mn_cfg();
  cfg.initial_bindack_timeout_first_reg = seconds(1);
  cfg.initial_bindack_timeout = seconds(1);
  Harness h(cfg);
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  // Installing the tunnel took 985 ms on a loaded host: the BU left then.
  const auto first = perform(h, milliseconds(985));
  REQUIRE(first.size() == 1);
  const TimePoint left = h.now;
  // What netlink reports right after: the new tunnel link, the access link
  // again. Nothing of it is a reason for another BU.
  LinkState tun;
  tun.ifindex = 40;
  tun.name = "hmipmn1";
  tun.up = true;
  h.set_link(tun);
  h.set_link(link(true, {kLcoa1}));
  h.advance(milliseconds(15));
  CHECK(h.take<SendBu>().empty());  // was: a second BU 12-15 ms after the first, new sequence number

  // Unanswered: retransmitted 1, 2, 4, 8, 16 s apart (RFC 6275 §11.8), each
  // timer started when its BU left.
  std::vector<Duration> gaps;
  TimePoint last = left;
  std::uint16_t seq = first[0].bu.sequence;
  while (gaps.size() < 5) {
    const auto d = h.mn.poll_timeout();
    REQUIRE(d);
    h.run_until(*d);
    for (const auto& b : perform(h, Duration{0})) {
      gaps.push_back(std::chrono::duration_cast<Duration>(h.now - last));
      last = h.now;
      CHECK(b.bu.sequence == static_cast<std::uint16_t>(seq + 1));
      seq = b.bu.sequence;
    }
  }
  CHECK(gaps == std::vector<Duration>{seconds(1), seconds(2), seconds(4), seconds(8), seconds(16)});
  CHECK(h.mn.counters().bu_sent == 6);
  CHECK(h.violations.empty());
}

TEST_CASE("issue 13/5: the MAP's answer to the first BU is accepted, not discarded as a wrong sequence",
          "[mn][issue13]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  const auto first = perform(h, milliseconds(1400));  // just under InitialBindackTimeoutFirstReg (1.5 s)
  REQUIRE(first.size() == 1);
  h.advance(milliseconds(120));  // the BA's round trip
  REQUIRE(h.take<SendBu>().empty());
  h.answer(first[0]);
  CHECK(h.mn.counters().ba_accepted == 1);
  CHECK(h.mn.counters().ba_wrong_sequence == 0);
  CHECK(h.mn.state(h.now).bul.at(0).registered);
  // The granted lifetime counts from when the BU left: refreshed at 80 % of
  // 600 s after that, not after the decision.
  const TimePoint left = h.now - milliseconds(120);
  h.run_until(left + seconds(480) - milliseconds(1));
  CHECK(h.take<SendBu>().empty());
  h.run_until(left + seconds(480));
  CHECK(h.take<SendBu>().size() == 1);
}

TEST_CASE("issue 13/5: secure mode sends one BU once the protection is up", "[mn][issue13][ike]") {
  Harness h(secure_cfg());
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  REQUIRE(h.take<SecureMap>().size() == 1);
  h.mn.handle_security_up(h.now, kMap1, kLease1);
  h.drain();
  REQUIRE(perform(h, milliseconds(900)).size() == 1);
  h.mn.handle_security_up(h.now, kMap1, kLease1);  // charon's later events repeat it
  h.drain();
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}));
  h.advance(milliseconds(1499));
  CHECK(h.take<SendBu>().empty());
  h.advance(milliseconds(1));
  CHECK(h.take<SendBu>().size() == 1);  // the first retransmission, 1.5 s after the BU left
}

// ---------------------------------------------------------------------------
// Item 7

TEST_CASE("issue 13/7: a MAP lifetime 0 from a router that did not advertise that MAP is ignored",
          "[mn][issue13]") {
  Harness h;
  h.register_map1();
  // A host on the link forges an RA: MAP1 failed.
  h.give_ra(kForger, ra_only_maps({map_opt(kMap1, 2, 10, 0)}));
  CHECK(h.take<RemoveBinding>().empty());
  CHECK(h.take<SendBu>().empty());
  CHECK(h.mn.counters().map_failures == 0);
  CHECK(h.mn.counters().map_failures_untrusted == 1);
  auto st = h.mn.state(h.now);
  CHECK(st.hmipv6_active);
  CHECK(st.chosen_map == kMap1);
  REQUIRE(st.interfaces[0].maps.size() == 1);
  CHECK(st.interfaces[0].maps[0].status == MapStatus::usable);
  CHECK(st.interfaces[0].maps[0].router == kAr1);
  // Also with a second MAP it would push the node to.
  h.give_ra(kForger, ra_only_maps({map_opt(kMap1, 2, 10, 0), map_opt(kMap2, 1, 15)}));
  CHECK(h.take<RemoveBinding>().empty());
  CHECK(h.mn.state(h.now).chosen_map == kMap1);
  CHECK(h.mn.counters().map_failures_untrusted == 2);

  // The router that advertised it: honoured.
  h.clear();
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 0)}));
  const auto rm = h.take<RemoveBinding>();
  REQUIRE(rm.size() == 1);
  CHECK(rm[0].key == BindingKey{kMap1, kRcoa1});
  CHECK(h.mn.counters().map_failures == 1);
  st = h.mn.state(h.now);
  CHECK(st.chosen_map != std::optional<Ip6Addr>(kMap1));
}

TEST_CASE("issue 13/7: the same MAP from the same router on another interface is not its advertiser here",
          "[mn][issue13]") {
  auto cfg = mn_cfg();
  cfg.interfaces = {"wlan0", "eth0"};
  Harness h(cfg);
  h.register_map1();
  auto eth = link(true, {kLcoa2}, false, 3);
  eth.name = "eth0";
  h.set_link(eth);
  h.give_ra(kAr1, ra_only_maps({map_opt(kMap1, 2, 10, 0)}), 3);  // kAr1's link-local, but on eth0
  CHECK(h.take<RemoveBinding>().empty());
  CHECK(h.mn.counters().map_failures_untrusted == 1);
}

TEST_CASE("issue 13/7: a flood of MAP options, routers and prefixes stops at the caps and is counted",
          "[mn][issue13]") {
  Harness h;
  h.register_map1();
  // One RA with 40 MAP options (MAP1 among what AR1 advertises).
  std::vector<wire::MapOption> many{map_opt(kMap1, 2, 10)};
  for (unsigned n = 1; n <= 40; ++n) many.push_back(map_opt(nth("2001:db8:300::", n), 1, 1));
  h.give_ra(kAr1, ra(kPfx1, many));
  CHECK(h.mn.state(h.now).interfaces[0].maps.size() == kMaxMapsPerInterface);
  CHECK(h.mn.counters().maps_refused == 40 - (kMaxMapsPerInterface - 1));
  CHECK(h.logged(LogLevel::warning, "counted as maps_refused"));
  CHECK(h.mn.state(h.now).chosen_map == kMap1);

  // RAs from 40 made-up routers, one MAP option each.
  h.clear();
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));  // back to MAP1 alone
  for (unsigned n = 1; n <= 40; ++n)
    h.give_ra(nth("fe80::", 0x1000 + n), ra_only_maps({map_opt(nth("2001:db8:400::", n), 1, 1)}));
  const auto st = h.mn.state(h.now);
  std::set<Ip6Addr, AddrLess> routers;
  for (const auto& m : st.interfaces[0].maps) routers.insert(m.router);
  for (const auto& p : st.interfaces[0].prefixes) routers.insert(p.router);
  CHECK(routers.size() == kMaxRoutersPerInterface);
  CHECK(st.interfaces[0].maps.size() == kMaxRoutersPerInterface);  // MAP1 and one per accepted router
  CHECK(h.mn.counters().ra_routers_refused == 40 - (kMaxRoutersPerInterface - 1));
  CHECK(h.logged(LogLevel::warning, "counted as ra_routers_refused"));

  // 40 RAs of AR1, each with another prefix (prefixes accumulate, RFC 4861 §6.3.4).
  for (unsigned n = 1; n <= 40; ++n) {
    auto r = ra(nth("2001:db8:500::", n), {map_opt(kMap1, 2, 10)});
    std::get<wire::PrefixInfoOption>(r.options[0]).prefix.b[5] = static_cast<std::uint8_t>(n);
    h.give_ra(kAr1, r);
  }
  CHECK(h.mn.state(h.now).interfaces[0].prefixes.size() == kMaxPrefixesPerInterface);
  CHECK(h.mn.counters().prefixes_refused == 40 - (kMaxPrefixesPerInterface - 1));
  // Through all of it the binding stayed.
  CHECK(h.mn.state(h.now).hmipv6_active);
  CHECK(h.mn.state(h.now).chosen_map == kMap1);
  CHECK(h.take<RemoveBinding>().empty());
}

// ---------------------------------------------------------------------------
// Item 8

TEST_CASE("issue 13/8: in secure mode every BU carries the LCoA in an Alternate Care-of Address option",
          "[mn][issue13][ike]") {
  Harness h(secure_cfg());
  std::vector<SendBu> bus{h.secure_map1()};
  const auto* acoa = wire::find_option<wire::AlternateCareOfAddressOption>(bus[0].bu.options);
  REQUIRE(acoa);
  CHECK(acoa->care_of_address == kLcoa1);
  CHECK(bus[0].bu.options.size() == 1);
  // On the wire (type 3, RFC 6275 §6.2.5) and back.
  const auto bytes = wire::encode_mh(bus[0].bu, nullptr);
  REQUIRE(bytes);
  const auto back = wire::decode_mh(*bytes, nullptr);
  REQUIRE(back);
  const auto* bu = std::get_if<wire::BindingUpdate>(&*back);
  REQUIRE(bu);
  REQUIRE(wire::find_option<wire::AlternateCareOfAddressOption>(bu->options));
  CHECK(wire::find_option<wire::AlternateCareOfAddressOption>(bu->options)->care_of_address == kLcoa1);
  h.answer(bus[0]);
  h.clear();

  // Retransmissions, refreshes and intra-MAP moves too: the option follows the LCoA.
  h.set_link(link(true, {kLcoa1, kLcoa2}));
  h.give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10, 36000, true)}));  // new router, new prefix: moved
  h.set_link(link(true, {kLcoa2}));
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].lcoa == kLcoa2);
  REQUIRE(wire::find_option<wire::AlternateCareOfAddressOption>(bus[0].bu.options));
  CHECK(wire::find_option<wire::AlternateCareOfAddressOption>(bus[0].bu.options)->care_of_address == kLcoa2);
  h.advance(seconds(1));
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);  // retransmitted
  CHECK(wire::find_option<wire::AlternateCareOfAddressOption>(bus[0].bu.options)->care_of_address == kLcoa2);
}

TEST_CASE("issue 13/8: insecure testbed mode sends no Alternate Care-of Address option", "[mn][issue13]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.options.empty());
}

// ---------------------------------------------------------------------------
// Item 9

TEST_CASE("issue 13/9: the lifetime asked for is rounded down, never above the RCoA's remaining lifetime",
          "[mn][issue13]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 50)}));
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 12);  // 48 s; was 13 units (52 s) > 50 s
  h.answer(bus[0]);
  h.clear();
  // No new RA: the MAP option has 50 - 39 = 11 s left at the refresh (20 % of 48 s left).
  h.run_until(h.now + milliseconds(38400));
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 2);  // 11 s remaining -> 8 s, not the configured 600 s nor 12 s
}

TEST_CASE("issue 13/9: the lifetime asked for is capped by the LCoA's remaining valid lifetime", "[mn][issue13]") {
  Harness h;
  h.set_link(link(true, {kLcoa1}));
  auto r = ra(kPfx1, {map_opt(kMap1, 2, 10)});
  std::get<wire::PrefixInfoOption>(r.options[0]).valid_lifetime = 103;
  std::get<wire::PrefixInfoOption>(r.options[0]).preferred_lifetime = 103;
  h.give_ra(kAr1, r);
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 25);  // 100 s
  h.answer(bus[0]);
  h.clear();
  h.run_until(h.now + seconds(80));  // refresh with 20 % of 100 s left: the prefix has 23 s left
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.lifetime == 5);  // 20 s
}

TEST_CASE("issue 13/9: a configured lifetime that is not a multiple of 4 s is rounded down", "[mn][issue13]") {
  auto cfg = mn_cfg();
  cfg.binding_lifetime = 602;
  cfg.previous_map_lifetime = 10;
  Harness h(cfg);
  const auto first = h.register_map1();
  CHECK(first.bu.lifetime == 150);  // 600 s, was 151 units (604 s)
  h.set_link(link(false, {kLcoa1}));
  h.set_link(link(true, {kLcoa3}));
  h.clear();
  h.give_ra(kAr3, ra(kPfx3, {map_opt(kMap2, 1, 10)}));
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 2);
  CHECK(bus[0].dst == kMap1);
  CHECK(bus[0].bu.lifetime == 2);  // PreviousMapLifetime 10 s -> 8 s, was 3 units (12 s)
}
