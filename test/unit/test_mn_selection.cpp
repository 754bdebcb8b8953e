// MAP selection policies and RCoA formation (hmip/mn/map_selection.h):
// RFC 5380 §5, §7.1, §9.1.
#include <catch2/catch.hpp>

#include <vector>

#include "hmip/mn/map_selection.h"

using namespace hmip;
using namespace hmip::mn;

namespace {

const Ip6Addr kA = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kB = Ip6Addr::must("2001:db8:2::1");
const Ip6Addr kC = Ip6Addr::must("2001:db8:3::1");

MapCandidate cand(const Ip6Addr& a, std::uint8_t dist, std::uint8_t pref, std::uint32_t life = 600) {
  MapCandidate c;
  c.address = a;
  c.dist = dist;
  c.pref = pref;
  c.lifetime = life;
  return c;
}

std::optional<Ip6Addr> pick(const std::vector<MapCandidate>& v, MapSelection p,
                            std::optional<Ip6Addr> current = std::nullopt) {
  const auto i = select_map(v, p, current);
  if (!i) return std::nullopt;
  return v[*i].address;
}

}  // namespace

TEST_CASE("furthest policy: largest Dist wins, Pref breaks equal Dist (RFC 5380 §9.1, §5)", "[mn]") {
  std::vector<MapCandidate> v{cand(kA, 1, 15), cand(kB, 3, 1), cand(kC, 2, 15)};
  CHECK(pick(v, MapSelection::furthest) == kB);
  v = {cand(kA, 3, 5), cand(kB, 3, 9), cand(kC, 1, 15)};
  CHECK(pick(v, MapSelection::furthest) == kB);
}

TEST_CASE("highest_preference policy: largest Pref wins, the nearer MAP breaks ties (RFC 5380 §7.1)", "[mn]") {
  std::vector<MapCandidate> v{cand(kA, 1, 15), cand(kB, 3, 1), cand(kC, 2, 15)};
  CHECK(pick(v, MapSelection::highest_preference) == kA);
  v = {cand(kA, 4, 7), cand(kB, 2, 7)};
  CHECK(pick(v, MapSelection::highest_preference) == kB);
}

TEST_CASE("Pref 0, lifetime 0, R = 1 and held-down MAPs are never selected (§7.1, §9.1 step 4, §5)", "[mn]") {
  std::vector<MapCandidate> v{cand(kA, 5, 0), cand(kB, 4, 9, 0), cand(kC, 1, 1)};
  CHECK(pick(v, MapSelection::furthest) == kC);
  CHECK(pick(v, MapSelection::highest_preference) == kC);
  v[2].r_flag_mismatch = true;
  CHECK_FALSE(pick(v, MapSelection::furthest));
  v[2].r_flag_mismatch = false;
  v[2].held_down = true;
  CHECK_FALSE(pick(v, MapSelection::furthest));
  CHECK_FALSE(select_map(std::vector<MapCandidate>{}, MapSelection::furthest, std::nullopt));
  CHECK_FALSE(selectable(cand(kA, 1, 0)));
  CHECK(selectable(cand(kA, 1, 1)));
}

TEST_CASE("remaining ties: the current MAP, then the interface order, then the smallest address", "[mn]") {
  std::vector<MapCandidate> v{cand(kB, 2, 5), cand(kA, 2, 5)};
  CHECK(pick(v, MapSelection::furthest) == kA);
  CHECK(pick(v, MapSelection::furthest, kB) == kB);
  CHECK(pick(v, MapSelection::highest_preference, kB) == kB);
  v[0].iface_order = 0;
  v[1].iface_order = 1;
  CHECK(pick(v, MapSelection::furthest) == kB);
  // The current MAP does not beat a better one.
  v = {cand(kA, 1, 5), cand(kB, 2, 5)};
  CHECK(pick(v, MapSelection::furthest, kA) == kB);
}

TEST_CASE("RCoA = the MAP's /64 + the interface identifier (RFC 5380 §6)", "[mn]") {
  CHECK(form_rcoa(Ip6Addr::must("2001:db8:100::1"), Ip6Addr::must("2001:db8:a1::211:22ff:fe33:4455")) ==
        Ip6Addr::must("2001:db8:100::211:22ff:fe33:4455"));
  CHECK(form_rcoa(Ip6Addr::must("2001:db8:100:7:1:2:3:4"), Ip6Addr::must("::a:b:c:d")) ==
        Ip6Addr::must("2001:db8:100:7:a:b:c:d"));
  CHECK_FALSE(usable_iid(Ip6Addr::must("2001:db8::")));
  CHECK_FALSE(usable_iid(Ip6Addr::must("2001:db8::fdff:ffff:ffff:ff80")));
  CHECK_FALSE(usable_iid(Ip6Addr::must("2001:db8::fdff:ffff:ffff:ffff")));
  CHECK(usable_iid(Ip6Addr::must("2001:db8::fdff:ffff:ffff:ff7f")));
  CHECK(usable_iid(Ip6Addr::must("2001:db8::1")));
}
