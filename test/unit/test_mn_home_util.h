// What the [home] tests share: a Home block, the home agent, and helpers
// that register with MAP1 and answer home BUs (on top of test_mn_util.h).
#pragma once

#include "test_mn_util.h"

namespace hmip::mn_test {

inline const Ip6Addr kHome = Ip6Addr::must("2001:db8:f00::10");
inline const Ip6Addr kHa = Ip6Addr::must("2001:db8:f00::1");
inline const Ip6Addr kHa2 = Ip6Addr::must("2001:db8:f00::2");
inline const Ip6Addr kHomePfx = Ip6Addr::must("2001:db8:f00::");
inline const Ip6Addr kHomeRouter = Ip6Addr::must("fe80::f0");

inline MndConfig home_cfg(bool hmipv6 = true, bool discover = false) {
  auto c = mn_cfg();
  HomeConfig h;
  h.address = kHome;
  h.prefix_len = 64;
  if (!discover) h.home_agent = kHa;
  h.binding_lifetime = 600;
  h.hmipv6 = hmipv6;
  c.home = h;
  return c;
}

inline std::vector<SendBu> home_bus(std::vector<SendBu> bus) {
  std::vector<SendBu> r;
  for (auto& b : bus)
    if (b.bu.home_registration) r.push_back(b);
  return r;
}

inline std::vector<SendBu> map_bus(std::vector<SendBu> bus) {
  std::vector<SendBu> r;
  for (auto& b : bus)
    if (!b.bu.home_registration) r.push_back(b);
  return r;
}

/// The index in h.out of the first action of type T (npos if none).
template <class T>
std::size_t first_index(const Harness& h) {
  for (std::size_t k = 0; k < h.out.size(); ++k)
    if (std::holds_alternative<T>(h.out[k])) return k;
  return std::string::npos;
}

/// The index of the first home BU in h.out.
inline std::size_t first_home_bu(const Harness& h) {
  for (std::size_t k = 0; k < h.out.size(); ++k)
    if (const auto* b = std::get_if<SendBu>(&h.out[k]); b && b->bu.home_registration) return k;
  return std::string::npos;
}

/// A home BA answering `bu` from the HA: to the care-of address with the
/// home address in a type 2 routing header (away), or straight to the home
/// address without one (at home).
inline void answer_home(Harness& h, const SendBu& bu, std::uint8_t status = 0,
                        std::optional<std::uint16_t> units = std::nullopt) {
  const auto b = ba(bu.bu.sequence, status, units.value_or(bu.bu.lifetime));
  if (bu.lcoa == bu.src) h.give_mh(bu.dst, std::nullopt, b, bu.src);
  else h.give_mh(bu.dst, bu.src, b, bu.src);
}

/// Up on wlan0 with LCoA1, RA from AR1 with MAP1, the MAP's BA given with
/// `map_units`; returns the home BU that follows (left in h.out with the
/// actions before it).
inline SendBu register_map1_home(Harness& h, std::uint16_t map_units = 150) {
  h.set_link(link(true, {kLcoa1}));
  h.give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}));
  auto bus = h.take<SendBu>();
  REQUIRE(bus.size() == 1);
  REQUIRE(!bus[0].bu.home_registration);
  h.clear();
  h.answer(bus[0], 0, map_units);
  const auto k = first_home_bu(h);
  REQUIRE(k != std::string::npos);
  return std::get<SendBu>(h.out[k]);
}

/// register_map1_home, then the home BA; h.out cleared.
inline SendBu register_home(Harness& h, std::uint16_t map_units = 150) {
  const auto bu = register_map1_home(h, map_units);
  h.clear();
  answer_home(h, bu);
  h.clear();
  return bu;
}

/// Answers every BU the node sends (the HA's as answer_home, the MAPs'
/// granting `map_units`, or what was asked with nullopt), including the BUs
/// those answers trigger, calling `check` on each first; then h.out cleared.
template <class Check>
void answer_all(Harness& h, std::optional<std::uint16_t> map_units, Check check) {
  for (auto bus = h.take<SendBu>(); !bus.empty(); bus = h.take<SendBu>()) {
    for (const auto& b : bus) {
      check(b);
      if (b.bu.home_registration) answer_home(h, b);
      else h.answer(b, 0, map_units);
    }
  }
  h.clear();
}

inline wire::RouterAdvertisement home_ra() { return ra(kHomePfx, {}); }

}  // namespace hmip::mn_test
