// MAP selection policies and RCoA formation (hmip/mn/map_selection.h).
#include "hmip/mn/map_selection.h"

#include "hmip/mn/mn_types.h"

#include <algorithm>

namespace hmip::mn {

bool selectable(const MapCandidate& c) noexcept {
  return c.pref > 0 && c.lifetime > 0 && !c.r_flag_mismatch && !c.held_down;
}

namespace {

// -1: x ranks before y, 1: after, 0: equal under the policy alone.
int policy_order(const MapCandidate& x, const MapCandidate& y, MapSelection policy) {
  auto cmp_desc = [](unsigned a, unsigned b) { return a > b ? -1 : (a < b ? 1 : 0); };
  if (policy == MapSelection::furthest) {
    if (int c = cmp_desc(x.dist, y.dist)) return c;  // §9.1 step 2: furthest first
    return cmp_desc(x.pref, y.pref);                 // §5: Pref breaks equal Dist
  }
  if (int c = cmp_desc(x.pref, y.pref)) return c;    // §7.1: highest Pref
  return -cmp_desc(x.dist, y.dist);                  // the nearer MAP on equal Pref
}

}  // namespace

std::optional<std::size_t> select_map(std::span<const MapCandidate> candidates, MapSelection policy,
                                      const std::optional<Ip6Addr>& current) {
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const MapCandidate& c = candidates[i];
    if (!selectable(c)) continue;
    if (!best) {
      best = i;
      continue;
    }
    const MapCandidate& b = candidates[*best];
    int order = policy_order(c, b, policy);
    if (order == 0 && current) {
      const bool c_cur = c.address == *current;
      const bool b_cur = b.address == *current;
      if (c_cur != b_cur) order = c_cur ? -1 : 1;
    }
    if (order == 0 && c.iface_order != b.iface_order) order = c.iface_order < b.iface_order ? -1 : 1;
    if (order == 0 && c.address != b.address) order = AddrLess{}(c.address, b.address) ? -1 : 1;
    if (order < 0) best = i;
  }
  return best;
}

Ip6Addr form_rcoa(const Ip6Addr& map_address, const Ip6Addr& iid_source) noexcept {
  Ip6Addr r = map_address;
  std::copy(iid_source.b.begin() + 8, iid_source.b.end(), r.b.begin() + 8);
  return r;
}

bool usable_iid(const Ip6Addr& a) noexcept {
  const bool zero = std::all_of(a.b.begin() + 8, a.b.end(), [](std::uint8_t v) { return v == 0; });
  if (zero) return false;
  // RFC 5453: fdff:ffff:ffff:ff80 .. fdff:ffff:ffff:ffff are reserved.
  const bool reserved = a.b[8] == 0xfd && a.b[9] == 0xff && a.b[10] == 0xff && a.b[11] == 0xff && a.b[12] == 0xff &&
                        a.b[13] == 0xff && a.b[14] == 0xff && a.b[15] >= 0x80;
  return !reserved;
}

}  // namespace hmip::mn
