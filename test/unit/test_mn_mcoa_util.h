// What the [mcoa] tests of the mobile node share: two interfaces (wlan0
// BID 1, eth0 BID 2) hearing MAP1, BID option helpers and a MAP that does
// Multiple CoA (on top of test_mn_util.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "test_mn_util.h"

namespace hmip::mn_test {

inline constexpr unsigned kIf1 = 2;  // wlan0, BID 1
inline constexpr unsigned kIf2 = 3;  // eth0, BID 2

inline MndConfig two_cfg() {
  auto c = mn_cfg();
  c.interfaces = {"wlan0", "eth0"};
  return c;
}

/// two_cfg() with one FlowPolicy: UDP to port 5060 on BID 2 (eth0).
inline MndConfig two_cfg_sip_on_2() {
  auto c = two_cfg();
  FlowPolicyConfig f;
  f.bid = 2;
  f.match.ip_proto = 17;
  f.match.dport_lo = f.match.dport_hi = 5060;
  c.flow_policies.push_back(f);
  return c;
}

/// secure_cfg() with the two interfaces (Two::secure_registering()).
inline MndConfig secure_two_cfg() {
  auto c = secure_cfg();
  c.interfaces = {"wlan0", "eth0"};
  return c;
}

inline LinkState link_on(const std::string& name, unsigned ifindex, bool up, std::vector<Ip6Addr> globals = {}) {
  LinkState l = link(up, std::move(globals), false, ifindex);
  l.name = name;
  return l;
}

inline std::vector<wire::BindingIdentifierOption> bids_of(const wire::BindingUpdate& bu) {
  std::vector<wire::BindingIdentifierOption> v;
  for (const auto* o : wire::options_of<wire::BindingIdentifierOption>(bu.options)) v.push_back(*o);
  return v;
}

inline std::vector<std::uint16_t> bid_numbers(const SendBu& bu) {
  std::vector<std::uint16_t> v;
  for (const auto& o : bids_of(bu.bu)) v.push_back(o.bid);
  return v;
}

/// The BA a MAP doing Multiple CoA sends: every BID option copied, each
/// with its status (0 when all share the BA's).
inline wire::BindingAck mcoa_ba(const SendBu& bu, std::uint8_t status, std::vector<std::uint8_t> per_bid = {}) {
  wire::BindingAck b = ba(bu.bu.sequence, status, bu.bu.lifetime);
  std::size_t k = 0;
  for (auto o : bids_of(bu.bu)) {
    o.status = k < per_bid.size() ? per_bid[k] : 0;
    ++k;
    b.options.emplace_back(o);
  }
  return b;
}

struct Two : Harness {
  explicit Two(MndConfig c = two_cfg()) : Harness(std::move(c)) {}
  void up1() {
    set_link(link_on("wlan0", kIf1, true, {kLcoa1}));
    give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}), kIf1);
  }
  void up2() {
    set_link(link_on("eth0", kIf2, true, {kLcoa2}));
    give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}), kIf2);
  }
  void mcoa_answer(const SendBu& bu, std::uint8_t status = 0, std::vector<std::uint8_t> per_bid = {}) {
    give_mh(bu.dst, bu.src, mcoa_ba(bu, status, std::move(per_bid)));
  }
  /// Both interfaces up before the first RA is acted on: one bulk BU.
  SendBu both_up() {
    set_link(link_on("wlan0", kIf1, true, {kLcoa1}));
    set_link(link_on("eth0", kIf2, true, {kLcoa2}));
    // eth0's RA first so the registration does not start with wlan0 alone.
    give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}), kIf2);
    clear();
    give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}), kIf1);
    auto bus = take<SendBu>();
    REQUIRE(!bus.empty());
    return bus.back();
  }
  /// Secure mode (a Two made with secure_two_cfg()): both interfaces hear
  /// MAP1 (R set), the protection comes up with RCoA kLease1; returns the
  /// one bulk BU (BIDs 1 and 2) that follows, cleared from `out`.
  SendBu secure_registering() {
    set_link(link_on("wlan0", kIf1, true, {kLcoa1}));
    set_link(link_on("eth0", kIf2, true, {kLcoa2}));
    give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10, 36000, true)}), kIf2);
    give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10, 36000, true)}), kIf1);
    REQUIRE(!take<SecureMap>().empty());
    mn.handle_security_up(now, kMap1, kLease1);
    drain();
    auto bus = take<SendBu>();
    REQUIRE(bus.size() == 1);
    REQUIRE(bid_numbers(bus[0]) == std::vector<std::uint16_t>{1, 2});
    return bus[0];
  }
  /// Registered from both interfaces (BIDs 1 and 2, wlan0 primary).
  void registered_both() {
    set_link(link_on("wlan0", kIf1, true, {kLcoa1}));
    set_link(link_on("eth0", kIf2, true, {kLcoa2}));
    give_ra(kAr1, ra(kPfx1, {map_opt(kMap1, 2, 10)}), kIf1);
    give_ra(kAr2, ra(kPfx2, {map_opt(kMap1, 2, 10)}), kIf2);
    // The first BU (wlan0 alone) was superseded by a bulk one with both.
    auto bus = take<SendBu>();
    REQUIRE(!bus.empty());
    REQUIRE(bid_numbers(bus.back()) == std::vector<std::uint16_t>{1, 2});
    mcoa_answer(bus.back());
    clear();
  }
  /// A reload with `c` but MultipleCoa off: returns the one BU that follows
  /// (the regular one), taken from `out`.
  SendBu reload_mcoa_off(MndConfig c) {
    c.multiple_coa = MultipleCoaMode::off;
    mn.handle_reload(now, std::move(c));
    drain();
    auto bus = take<SendBu>();
    REQUIRE(bus.size() == 1);
    return bus[0];
  }
  /// The MAP's BA accepting a regular BU (no BID option).
  void regular_answer(const SendBu& bu) { give_mh(bu.dst, bu.src, ba(bu.bu.sequence, 0, bu.bu.lifetime)); }
  [[nodiscard]] const BindingSettings* at(std::uint16_t bid) const {
    const auto it = all.find({kMap1, kRcoa1, bid});
    return it == all.end() ? nullptr : &it->second;
  }
  [[nodiscard]] BulEntryView entry() const {
    const auto st = mn.state(now);
    REQUIRE(st.bul.size() == 1);
    return st.bul[0];
  }
};

}  // namespace hmip::mn_test
