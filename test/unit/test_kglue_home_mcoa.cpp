// kernel-glue, Multiple CoA towards the home agent in plain mode (issue 15;
// dataplane.h MnHomeCoa): the extra CoAs' receive-only tunnels, their
// checks, and RecordingDataplane's bookkeeping of them (join, leave, a swap
// of the primary with an extra CoA, home, remove, flush). The kernel proof
// is test/kernel/cases/49-kglue-home-mcoa.sh.
#include <catch2/catch.hpp>

#include "../../kernel-glue/src/binding_layout.h"
#include "hmip/kglue/binding_checks.h"
#include "hmip/kglue/recording_dataplane.h"

using namespace hmip;
using namespace hmip::kglue;

namespace {

const Ip6Addr kHa = Ip6Addr::must("2001:db8:200::1");
const Ip6Addr kHoa = Ip6Addr::must("2001:db8:200::10");
const Ip6Addr kLcoa1 = Ip6Addr::must("2001:db8:1::10");
const Ip6Addr kLcoa2 = Ip6Addr::must("2001:db8:2::10");
const Ip6Addr kLcoa3 = Ip6Addr::must("2001:db8:3::10");
const Ip6Addr kRouter = Ip6Addr::must("fe80::1");
const MnHomeKey kKey{kHa, kHoa};

MnHomeCoa extra(std::uint16_t bid, const Ip6Addr& coa, int ifindex) { return MnHomeCoa{bid, coa, ifindex, kRouter, 1460}; }

MnHomeSettings plain(const Ip6Addr& coa, int ifindex, std::vector<MnHomeCoa> more = {}) {
  MnHomeSettings s;
  s.coa = coa;
  s.ifindex = ifindex;
  s.router = kRouter;
  s.tunnel_mtu = 1460;
  s.more_coas = std::move(more);
  return s;
}

}  // namespace

TEST_CASE("kglue home MCoA layout: an extra CoA's tunnel is coa -> HA on its link, nothing else", "[kglue][mcoa][home]") {
  const auto t = detail::mn_home_extra_tunnel("hmipn5", kKey, extra(2, kLcoa2, 4));
  CHECK(t.name == "hmipn5");
  CHECK(t.local == kLcoa2);
  CHECK(t.remote == kHa);
  CHECK(t.link == 4);
  CHECK(t.mtu == 1460);
  // The primary's objects do not change with extra CoAs (no route, rule or
  // address points into a receive-only tunnel).
  const auto base = detail::mn_home_objects(Tags::mnd(), kKey, plain(kLcoa1, 3), 9, 0x4d4e01, 0);
  const auto with = detail::mn_home_objects(Tags::mnd(), kKey, plain(kLcoa1, 3, {extra(2, kLcoa2, 4)}), 9, 0x4d4e01, 0);
  CHECK(base == with);
}

TEST_CASE("kglue home MCoA checks: plain mode only, BIDs and addresses distinct, never the primary's CoA",
          "[kglue][mcoa][home]") {
  CHECK_FALSE(check_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa2, 4), extra(3, kLcoa3, 5)})));
  CHECK(check_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa1, 4)})));   // the primary's CoA
  CHECK(check_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa2, 4), extra(2, kLcoa3, 5)})));  // BID twice
  CHECK(check_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa2, 4), extra(3, kLcoa2, 5)})));  // CoA twice
  CHECK(check_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(0, kLcoa2, 4)})));   // BID 0
  CHECK(check_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa2, 0)})));   // no ifindex
  CHECK(check_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kHoa, 4)})));     // the home address
  CHECK(check_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, Ip6Addr::must("fe80::5"), 4)})));
  MnHomeSettings nested = plain(Ip6Addr::must("2001:db8:99::5"), 0, {extra(2, kLcoa2, 4)});
  nested.via = MnBindingKey{Ip6Addr::must("2001:db8:2::1"), nested.coa};
  CHECK(check_mn_home_binding(kKey, nested));
}

TEST_CASE("recording dataplane: home MCoA tunnels join, leave, swap with the primary, go home and flush",
          "[kglue][mcoa][home]") {
  RecordingDataplane dp(Tags::mnd());
  auto one = dp.install_mn_home_binding(kKey, plain(kLcoa1, 3));
  REQUIRE(one.ok());
  CHECK(one->more.empty());
  CHECK(dp.tunnel_count() == 1);

  // BID 2 joins: its own tunnel, the primary's unchanged.
  auto two = dp.install_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa2, 4)}));
  REQUIRE(two.ok());
  REQUIRE(two->more.size() == 1);
  CHECK(two->more[0].bid == 2);
  CHECK(two->more[0].tunnel != two->tunnel);
  CHECK(two->tunnel == one->tunnel);
  CHECK(dp.tunnel_count() == 2);

  // BID 3 joins: BID 2's tunnel kept as it is.
  auto three = dp.install_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa2, 4), extra(3, kLcoa3, 5)}));
  REQUIRE(three.ok());
  REQUIRE(three->more.size() == 2);
  CHECK(three->more[0] == two->more[0]);
  CHECK(dp.tunnel_count() == 3);

  // The primary moves to BID 2's CoA, BID 1's CoA becomes an extra one (a
  // swap): three tunnels still, one per CoA.
  auto swap = dp.install_mn_home_binding(kKey, plain(kLcoa2, 4, {extra(1, kLcoa1, 3), extra(3, kLcoa3, 5)}));
  REQUIRE(swap.ok());
  CHECK(dp.tunnel_count() == 3);
  REQUIRE(swap->more.size() == 2);
  CHECK(swap->more[1] == three->more[1]);

  // BID 1 lost: its tunnel goes.
  auto lost = dp.install_mn_home_binding(kKey, plain(kLcoa2, 4, {extra(3, kLcoa3, 5)}));
  REQUIRE(lost.ok());
  CHECK(dp.tunnel_count() == 2);

  // Home: every tunnel goes.
  MnHomeSettings home;
  home.mode = MnHomeMode::at_home;
  home.ifindex = 7;
  auto h = dp.install_mn_home_binding(kKey, home);
  REQUIRE(h.ok());
  CHECK(h->more.empty());
  CHECK(dp.tunnel_count() == 0);

  // Away with two CoAs again, then removed: nothing left.
  REQUIRE(dp.install_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa2, 4)})).ok());
  CHECK(dp.tunnel_count() == 2);
  REQUIRE(dp.remove_mn_home_binding(kKey).ok());
  CHECK(dp.tunnel_count() == 0);
  CHECK(dp.empty());

  // A refused one (the primary's CoA listed again) changes nothing.
  CHECK_FALSE(dp.install_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa1, 3)})).ok());
  CHECK(dp.mn_home_bindings().empty());
  REQUIRE(dp.install_mn_home_binding(kKey, plain(kLcoa1, 3, {extra(2, kLcoa2, 4)})).ok());
  REQUIRE(dp.flush().ok());
  CHECK(dp.empty());
}
