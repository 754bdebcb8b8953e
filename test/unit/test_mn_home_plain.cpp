// The mobile node's plain Mobile IPv6 mode (the LCoA registered with the HA:
// Hmipv6 off, or no usable MAP), the switches between it and HMIPv6, Home
// Agent Address Discovery (RFC 6275 §11.4.1, RFC 2526), the home tunnel's
// MTU and the Home block on reload. Virtual time only.
#include "hmip/wire/dhaad.h"
#include "hmip/io/mn_view.h"
#include "test_mn_home_util.h"

using namespace hmip;
using namespace hmip::mn_test;

namespace {

constexpr auto npos = std::string::npos;

LinkState link_mtu(std::uint32_t mtu, std::vector<Ip6Addr> globals) {
  auto l = link(true, std::move(globals));
  l.mtu = mtu;
  return l;
}

}  // namespace

TEST_CASE("Hmipv6 off: no MAP binding, the LCoA registered with the HA, one home BU per move", "[home]") {
  Harness h(home_cfg(false));
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  CHECK(h.take<InstallBinding>().empty());
  const auto ki = first_index<InstallHomeBinding>(h);
  const auto kb = first_home_bu(h);
  REQUIRE(ki != npos);
  REQUIRE(kb != npos);
  CHECK(ki < kb);
  const auto inst = h.take<InstallHomeBinding>();
  REQUIRE(inst.size() == 1);
  HomeSettings want;
  want.coa = kLcoa1;
  want.ifindex = static_cast<int>(kIf);
  want.router = kAr1;
  want.tunnel_mtu = 1460;  // one encapsulation
  CHECK(inst[0].settings == want);
  const auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);  // no MAP BU
  CHECK(bus[0].bu.home_registration);
  CHECK(bus[0].lcoa == kLcoa1);
  CHECK(bus[0].bu.lifetime == 150);
  answer_home(h, bus[0]);
  auto st = h.mn.state(h.now);
  CHECK(st.home->plain_mode);
  CHECK(st.home->status == HomeStatus::registered);
  CHECK_FALSE(st.hmipv6_active);

  for (const auto& [router, pfx, lcoa] : {std::tuple{kAr2, kPfx2, kLcoa2}, std::tuple{kAr3, kPfx3, kLcoa3}}) {
    h.set_link(link(false, {}));
    h.set_link(link(true, {lcoa}));
    h.clear();
    h.give_ra(router, ra(pfx, {map_opt(kMap1, 2, 10)}));
    const auto mi = h.take<InstallHomeBinding>();
    REQUIRE(mi.size() == 1);
    CHECK(mi[0].settings.coa == lcoa);
    CHECK(mi[0].settings.router == router);
    const auto mb = h.take<SendBu>();
    REQUIRE(mb.size() == 1);
    CHECK(mb[0].lcoa == lcoa);
    answer_home(h, mb[0]);
  }
  CHECK(h.mn.counters().home_bu_sent == 3);
  CHECK(h.mn.counters().home_coa_changes == 2);
  CHECK(h.mn.counters().bu_sent == 0);
  CHECK(h.violations.empty());
}

TEST_CASE("no MAP: plain mode; a MAP appears: HMIPv6 (RCoA registered); the MAP fails: plain again", "[home]") {
  Harness h(home_cfg());
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {}));
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].bu.home_registration);
  CHECK(bus[0].lcoa == kLcoa1);
  CHECK_FALSE(h.home_kernel->settings.via);
  answer_home(h, bus[0]);
  h.clear();

  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);  // the MAP first; the HA keeps the LCoA meanwhile
  CHECK_FALSE(bus[0].bu.home_registration);
  CHECK(h.take<InstallHomeBinding>().empty());
  h.answer(bus[0]);
  const auto inst = h.take<InstallHomeBinding>();
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].settings.coa == kRcoa1);
  CHECK(inst[0].settings.via == BindingKey{kMap1, kRcoa1});
  bus = home_bus(h.take<SendBu>());
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].lcoa == kRcoa1);
  CHECK(bus[0].bu.sequence > 0);
  answer_home(h, bus[0]);
  CHECK(h.mn.state(h.now).home->via_map == kMap1);
  h.clear();

  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 0)}));  // the MAP failed (§10)
  // The nested home binding goes before the MAP binding it runs through.
  const auto kh = first_index<RemoveHomeBinding>(h);
  const auto km = first_index<RemoveBinding>(h);
  REQUIRE(kh != npos);
  REQUIRE(km != npos);
  CHECK(kh < km);
  CHECK(h.take<RemoveHomeBinding>().size() == 1);
  CHECK(h.take<RemoveBinding>().size() == 1);
  const auto back = h.take<InstallHomeBinding>();
  REQUIRE(back.size() == 1);
  CHECK(back[0].settings.coa == kLcoa1);
  CHECK_FALSE(back[0].settings.via);
  bus = home_bus(h.take<SendBu>());
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].lcoa == kLcoa1);
  CHECK(h.mn.counters().home_coa_changes == 2);
  CHECK(h.violations.empty());
}

TEST_CASE("home tunnel MTU: MAP tunnel - 40, or link - 40 in plain mode, never below 1280", "[home]") {
  SECTION("HMIPv6 on a 1300-byte link") {
    Harness h(home_cfg());
    h.set_link(link_mtu(1300, {kLcoa1}));
    h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
    h.answer(h.take<SendBu>().at(0));
    REQUIRE(h.home_kernel);
    CHECK(h.kernel.at({kMap1, kRcoa1}).tunnel_mtu == 1280);
    CHECK(h.home_kernel->settings.tunnel_mtu == 1280);
  }
  SECTION("HMIPv6 on a 9000-byte link") {
    Harness h(home_cfg());
    h.set_link(link_mtu(9000, {kLcoa1}));
    h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
    h.answer(h.take<SendBu>().at(0));
    REQUIRE(h.home_kernel);
    CHECK(h.home_kernel->settings.tunnel_mtu == 8920);
  }
  SECTION("plain mode, the RA's MTU option smaller than the link's") {
    Harness h(home_cfg(false));
    h.set_link(link_mtu(1500, {kLcoa1}));
    auto r = ra(kPfx1, {});
    r.options.emplace_back(wire::MtuOption{0, 1400});
    h.give_ra(kAr1, r);
    REQUIRE(h.home_kernel);
    CHECK(h.home_kernel->settings.tunnel_mtu == 1360);
  }
  SECTION("unknown link MTU: the kernel's default") {
    Harness h(home_cfg(false));
    h.set_link(link_mtu(0, {kLcoa1}));
    h.give_ra(kAr1, ra(kPfx1, {}));
    REQUIRE(h.home_kernel);
    CHECK(h.home_kernel->settings.tunnel_mtu == 0);
  }
}

TEST_CASE("DHAAD goes to the home prefix's Home-Agents anycast address (wire::home_agents_anycast, RFC 2526)",
          "[home]") {
  for (const auto& [len, want] : {std::pair{std::uint8_t{64}, "2001:db8:f00::fdff:ffff:ffff:fffe"},
                                  std::pair{std::uint8_t{48}, "2001:db8:f00:ffff:fdff:ffff:ffff:fffe"},
                                  std::pair{std::uint8_t{112}, "2001:db8:f00::fffe"},
                                  std::pair{std::uint8_t{120}, "2001:db8:f00::fe"}}) {
    CAPTURE(len);
    auto cfg = home_cfg(false, true);  // plain mode: DHAAD from the LCoA at once
    cfg.home->prefix_len = len;
    Harness h(cfg);
    h.set_link(link(true, {kLcoa1}));
    h.give_ra(kAr1, ra(kPfx1, {}));
    const auto req = h.take<SendDhaadRequest>();
    REQUIRE(req.size() == 1);
    CHECK(req[0].src == kLcoa1);
    CHECK(req[0].dst == Ip6Addr::must(want));
    CHECK(req[0].dst == *wire::home_agents_anycast(kHomePfx, len));
  }
}

TEST_CASE("DHAAD: from the care-of address to the anycast address, 3 s doubling, 4 retries, then a rest",
          "[home]") {
  Harness h(home_cfg(true, true));
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  CHECK(h.take<SendDhaadRequest>().empty());  // the care-of address is the RCoA: after the MAP's BA
  h.answer(h.take<SendBu>().at(0));
  auto req = h.take<SendDhaadRequest>();
  REQUIRE(req.size() == 1);
  CHECK(req[0].src == kRcoa1);
  CHECK(req[0].dst == Ip6Addr::must("2001:db8:f00::fdff:ffff:ffff:fffe"));
  CHECK(home_bus(h.take<SendBu>()).empty());
  CHECK(h.mn.state(h.now).home->status == HomeStatus::discovering);
  const std::uint16_t id = req[0].id;
  TimePoint last = h.now;
  for (const auto gap : {seconds(3), seconds(6), seconds(12), seconds(24)}) {
    h.run_until(last + gap - milliseconds(1));
    CHECK(h.take<SendDhaadRequest>().empty());
    h.run_until(last + gap);
    req = h.take<SendDhaadRequest>();
    REQUIRE(req.size() == 1);
    CHECK(req[0].id == id);
    last = h.now;
  }
  CHECK(h.mn.counters().dhaad_requests_sent == 5);
  h.run_until(last + seconds(48));
  CHECK(h.take<SendDhaadRequest>().empty());
  CHECK(h.mn.state(h.now).home->status == HomeStatus::held_down);
  h.clear();
  h.advance(seconds(30));  // the rest is over: another round
  CHECK(h.take<SendDhaadRequest>().size() == 1);
}

TEST_CASE("DHAAD reply: the first HA listed is used, the next one after a refusal; wrong identifier ignored",
          "[home]") {
  Harness h(home_cfg(false, true));
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {}));
  const auto req = h.take<SendDhaadRequest>();
  REQUIRE(req.size() == 1);
  CHECK(req[0].src == kLcoa1);  // plain mode: the LCoA
  h.mn.handle_dhaad_reply(h.now, kHa, static_cast<std::uint16_t>(req[0].id + 1), {kHa});
  h.drain();
  CHECK(h.mn.counters().dhaad_replies_ignored == 1);
  CHECK(h.take<SendBu>().empty());
  h.mn.handle_dhaad_reply(h.now, kHa, req[0].id, {Ip6Addr::must("fe80::1"), kHa, kHa2});
  h.drain();
  CHECK(h.mn.counters().dhaad_replies_accepted == 1);
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kHa);
  CHECK(h.home_kernel->key == HomeKey{kHa, kHome});
  h.clear();
  answer_home(h, bus[0], wire::ba_status::kNotHomeAgentForThisMobileNode);
  CHECK(h.take<RemoveHomeBinding>().size() == 1);
  bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].dst == kHa2);
  CHECK(h.home_kernel->key == HomeKey{kHa2, kHome});
  answer_home(h, bus[0], wire::ba_status::kNotHomeAgentForThisMobileNode);
  // The list is used up: a rest, then discovery again.
  CHECK(h.mn.state(h.now).home->status == HomeStatus::held_down);
  CHECK_FALSE(h.mn.state(h.now).home->home_agent);
  h.clear();
  h.advance(seconds(30));
  CHECK(h.take<SendDhaadRequest>().size() == 1);
  CHECK(h.violations.empty());
}

TEST_CASE("reload: Hmipv6 off takes effect at once; a new home address waits for a restart", "[home]") {
  Harness h(home_cfg());
  register_home(h);
  h.mn.handle_reload(h.now, home_cfg(false));
  h.drain();
  const auto inst = h.take<InstallHomeBinding>();
  REQUIRE(inst.size() == 1);
  CHECK(inst[0].settings.coa == kLcoa1);
  const auto bus = home_bus(h.take<SendBu>());
  REQUIRE(bus.size() == 1);
  CHECK(bus[0].lcoa == kLcoa1);
  answer_home(h, bus[0]);
  h.clear();
  auto other = home_cfg(false);
  other.home->address = Ip6Addr::must("2001:db8:f00::11");
  h.mn.handle_reload(h.now, other);
  h.drain();
  CHECK(h.logged(LogLevel::warning, "take effect at a restart"));
  CHECK(h.take<InstallHomeBinding>().empty());
  CHECK(h.mn.state(h.now).home->home_address == kHome);
}

TEST_CASE("hmipctl mnd show home: the home binding as JSON", "[home]") {
  Harness h(home_cfg());
  CHECK(io::mnd_show_json("home", Harness(mn_cfg()).mn.state(h.now), io::Json()).is_null());
  register_home(h);
  const auto j = io::mnd_show_json("home", h.mn.state(h.now), io::Json());
  CHECK(j["home_address"] == "2001:db8:f00::10/64");
  CHECK(j["home_agent"] == "2001:db8:f00::1");
  CHECK(j["status"] == "registered");
  CHECK(j["mode"] == "hmipv6");
  CHECK(j["coa"] == kRcoa1.str());
  CHECK(j["via_map"] == kMap1.str());
  CHECK(j["tunnel_mtu"] == 1420);
  const auto c = io::mnd_show_json("counters", h.mn.state(h.now), io::Json());
  CHECK(c["home_bu_sent"] == 1);
  CHECK(c["home_ba_accepted"] == 1);
}
