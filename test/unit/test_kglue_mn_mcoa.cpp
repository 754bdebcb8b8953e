// kernel-glue, MN side, Multiple CoA (issue 15): what a BID's binding is
// made of (only the signalling binding carries the `from RCoA` rule and the
// hao state; flow rules into the BID's table), and RecordingDataplane's
// make-before-break takeover of the signalling state.
#include <catch2/catch.hpp>

#include <algorithm>

#include "../../kernel-glue/src/binding_layout.h"
#include "../../kernel-glue/src/nl_objects.h"
#include "hmip/kglue/recording_dataplane.h"

using namespace hmip;
using namespace hmip::kglue;
using namespace hmip::kglue::detail;

namespace {
const Ip6Addr kMap = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::5");
const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:2::10");
const Ip6Addr kLcoa2 = Ip6Addr::must("2001:db8:3::10");
const Ip6Addr kRouter = Ip6Addr::must("fe80::1");

std::vector<RuleObj> rules_of(const std::vector<KObj>& v) {
  std::vector<RuleObj> r;
  for (const auto& o : v)
    if (const auto* x = std::get_if<RuleObj>(&o)) r.push_back(*x);
  return r;
}

bool has_rule(const std::vector<RuleObj>& rules, std::uint32_t priority, const Ip6Prefix& src, std::uint32_t table) {
  return std::any_of(rules.begin(), rules.end(), [&](const RuleObj& r) {
    return r.priority == priority && r.src == src && r.table == table && r.dst.len == 0 && r.ip_proto == 0;
  });
}

MnBindingSettings settings(const Ip6Addr& lcoa, bool signalling, bool primary) {
  MnBindingSettings s;
  s.lcoa = lcoa;
  s.ifindex = 3;
  s.router = kRouter;
  s.signalling = signalling;
  s.primary = primary;
  return s;
}
}  // namespace

TEST_CASE("kglue MN MCoA: only the signalling BID has the from-RCoA rule and the hao state", "[kglue][mcoa]") {
  const Tags tags = Tags::mnd();
  const Ip6Prefix rcoa{kRcoa, 128};
  const auto sig = mn_objects(tags, {kMap, kRcoa, 1}, settings(kLcoa, true, true), 12, 7);
  const auto other = mn_objects(tags, {kMap, kRcoa, 2}, settings(kLcoa2, false, false), 13, 8);
  CHECK(has_rule(rules_of(sig), tags.rule_priority_lo + kRuleRcoa, rcoa, 7));
  CHECK_FALSE(has_rule(rules_of(other), tags.rule_priority_lo + kRuleRcoa, rcoa, 8));
  CHECK(has_rule(rules_of(sig), tags.rule_priority_lo + kRulePrimary, Ip6Prefix{}, 7));
  CHECK_FALSE(has_rule(rules_of(other), tags.rule_priority_lo + kRulePrimary, Ip6Prefix{}, 8));
  // Both: the RCoA on their tunnel (home flag), their LCoA rules.
  for (const auto& [objs, tun_b, lcoa_b] : {std::tuple{sig, 12, kLcoa}, std::tuple{other, 13, kLcoa2}}) {
    // clang 14 cannot capture structured bindings in a lambda: copies.
    const int tun = tun_b;
    const Ip6Addr lcoa = lcoa_b;
    const bool addr = std::any_of(objs.begin(), objs.end(), [&](const KObj& o) {
      const auto* a = std::get_if<AddrObj>(&o);
      return a != nullptr && a->ifindex == tun && a->addr == kRcoa && a->home;
    });
    CHECK(addr);
    CHECK(std::any_of(objs.begin(), objs.end(), [&](const KObj& o) {
      const auto* r = std::get_if<RuleObj>(&o);
      return r != nullptr && r->src == Ip6Prefix{lcoa, 128};
    }));
  }
  // The non-primary member's RCoA is deprecated (not chosen as a source).
  for (const auto& o : other)
    if (const auto* a = std::get_if<AddrObj>(&o)) CHECK_FALSE(a->preferred);
  CHECK(mn_xfrm({kMap, kRcoa, 1}, settings(kLcoa, true, true)).states.size() == 1);
  CHECK(mn_xfrm({kMap, kRcoa, 2}, settings(kLcoa2, false, false)).states.empty());
  CHECK(mn_xfrm({kMap, kRcoa, 2}, settings(kLcoa2, false, false)).policies.empty());
}

TEST_CASE("kglue MN MCoA: flow rules from the RCoA into the BID's table, among the LCoA rules", "[kglue][mcoa]") {
  const Tags tags = Tags::mnd();
  auto s = settings(kLcoa2, false, false);
  MnFlowRule udp;
  udp.ip_proto = 17;
  udp.to = Ip6Prefix::parse("2001:db8:5::/48");
  MnFlowRule ports;  // ports and DSCP go into the rule (FRA_DPORT_RANGE, tos)
  ports.ip_proto = 6;
  ports.dport_lo = ports.dport_hi = 443;
  ports.dscp = 10;
  MnFlowRule elsewhere;  // a From without the RCoA matches nothing here
  elsewhere.from = Ip6Prefix::parse("2001:db8:77::/64");
  MnFlowRule inside;
  inside.ip_proto = 58;
  inside.from = Ip6Prefix::parse("2001:db8:99::/64");
  s.flows = {udp, ports, elsewhere, inside, udp};
  const MnBindingKey k{kMap, kRcoa, 2};
  CHECK(mn_flow_rules(k, s) == std::vector<MnFlowRule>{udp, ports, inside});
  const auto rules = rules_of(mn_objects(tags, k, s, 13, 8));
  std::vector<RuleObj> flows;
  for (const auto& r : rules)
    if (r.src == Ip6Prefix{kRcoa, 128}) flows.push_back(r);
  REQUIRE(flows.size() == 3);
  for (const auto& r : flows) {
    CHECK(r.priority == tags.rule_priority_lo + kRuleLcoa);
    CHECK(r.table == 8);
  }
  CHECK(flows[0].ip_proto == 17);
  CHECK(flows[0].dst == *Ip6Prefix::parse("2001:db8:5::/48"));
  CHECK(flows[0].dport_lo == 0);
  CHECK(flows[1].ip_proto == 6);
  CHECK((flows[1].dport_lo == 443 && flows[1].dport_hi == 443 && flows[1].sport_lo == 0));
  CHECK(flows[1].dsfield == (10 << 2));
  CHECK(flows[2].ip_proto == 58);
  CHECK(flows[2].dst.len == 0);
}

TEST_CASE("recording dataplane MN MCoA: a binding per BID; installing the signalling BID takes it from its sibling", "[kglue][mcoa]") {
  RecordingDataplane dp(Tags::mnd());
  auto a = dp.install_mn_binding({kMap, kRcoa, 1}, settings(kLcoa, true, true));
  REQUIRE(a.ok());
  auto b = dp.install_mn_binding({kMap, kRcoa, 2}, settings(kLcoa2, false, false));
  REQUIRE(b.ok());
  CHECK(a->table != b->table);
  CHECK(a->tunnel != b->tunnel);
  REQUIRE(dp.mn_bindings().size() == 2);
  // BID 2 takes over: BID 1's record loses the signalling at once.
  REQUIRE(dp.install_mn_binding({kMap, kRcoa, 2}, settings(kLcoa2, true, true)).ok());
  CHECK(dp.mn_bindings().at({kMap, kRcoa, 2}).settings.signalling);
  CHECK_FALSE(dp.mn_bindings().at({kMap, kRcoa, 1}).settings.signalling);
  REQUIRE(dp.remove_mn_binding({kMap, kRcoa, 1}).ok());
  CHECK(dp.mn_bindings().size() == 1);
  CHECK(dp.mn_bindings().count({kMap, kRcoa, 2}) == 1);
}
