// kernel-glue, Multiple CoA (issue 15, RFC 5648) on the MAP: the layout of
// an address's bindings (metrics in rank order, proxy entries and route2
// state once, flow tables), the flow policy rules and their messages
// (port ranges, dsfield, parsed back), table allocation across reloads, the
// policy checks, and the recording fake's view of which binding carries
// an address.
#include <catch2/catch.hpp>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <array>
#include <cstring>

#include "../../kernel-glue/src/binding_layout.h"
#include "../../kernel-glue/src/nl_objects.h"
#include "../../kernel-glue/src/object_set.h"
#include "hmip/kglue/binding_checks.h"
#include "hmip/kglue/nft_ingress.h"
#include "hmip/kglue/recording_dataplane.h"

using namespace hmip;
using namespace hmip::kglue;
using namespace hmip::kglue::detail;

namespace {
const Ip6Addr kMap = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::5");
const Ip6Addr kLcoa1 = Ip6Addr::must("2001:db8:2::10");
const Ip6Addr kLcoa2 = Ip6Addr::must("2001:db8:3::10");
const Ip6Addr kLcoa3 = Ip6Addr::must("2001:db8:4::10");
const Ip6Addr kCn = Ip6Addr::must("2001:db8:77::1");

template <class T>
std::vector<T> of_type(const std::vector<KObj>& v) {
  std::vector<T> out;
  for (const auto& o : v) {
    if (const auto* x = std::get_if<T>(&o)) out.push_back(*x);
  }
  return out;
}

MapBindingSettings settings(const Ip6Addr& lcoa, std::uint64_t rank, int proxy = 4) {
  MapBindingSettings s{kMap, lcoa, proxy, 0};
  s.rank = rank;
  return s;
}

/// The main-table route of one binding's list.
RouteObj main_route(const std::vector<KObj>& v) {
  for (const RouteObj& r : of_type<RouteObj>(v)) {
    if (r.table == kMainTable) return r;
  }
  FAIL("no main route");
  return {};
}

std::vector<KObj> concat(const MapAddressLayout& l) {
  std::vector<KObj> v;
  for (const std::size_t i : l.rank_order) v.insert(v.end(), l.objects[i].begin(), l.objects[i].end());
  return v;
}

MapFlowPolicy policy(std::uint16_t bid) {
  MapFlowPolicy f;
  f.bid = bid;
  f.ip_proto = 17;
  f.dport_lo = 5001;
  f.dport_hi = 5001;
  return f;
}
}  // namespace

TEST_CASE("kglue mcoa: ranking, the higher rank first, equal ranks the lower BID", "[kglue][mcoa]") {
  CHECK(map_ranks_above(5, 9, 4, 1));
  CHECK_FALSE(map_ranks_above(4, 1, 5, 9));
  CHECK(map_ranks_above(5, 1, 5, 2));
  CHECK_FALSE(map_ranks_above(5, 2, 5, 1));
}

TEST_CASE("kglue mcoa layout: one route per binding, metrics in rank order, one proxy entry and route2 state",
          "[kglue][mcoa]") {
  const MapBindingSettings s1 = settings(kLcoa1, 10);
  const MapBindingSettings s2 = settings(kLcoa2, 30);  // top
  const MapBindingSettings s3 = settings(kLcoa3, 10);  // ties with BID 1: BID 1 first
  const MapAddressLayout l =
      map_address_layout(kRcoa, {{1, &s1, 11}, {2, &s2, 12}, {3, &s3, 13}}, {});
  REQUIRE(l.objects.size() == 3);
  CHECK(l.rank_order == std::vector<std::size_t>{1, 0, 2});
  CHECK(main_route(l.objects[1]).metric == kMapMetricBase);
  CHECK(main_route(l.objects[0]).metric == kMapMetricBase + 1);
  CHECK(main_route(l.objects[2]).metric == kMapMetricBase + 2);
  CHECK(main_route(l.objects[0]).oif == 11);
  CHECK(main_route(l.objects[1]).dst == Ip6Prefix{kRcoa, 128});
  // The proxy entry and the route2 state once, with the top binding.
  CHECK(of_type<NeighObj>(l.objects[1]).size() == 1);
  CHECK(of_type<NeighObj>(l.objects[0]).empty());
  CHECK(of_type<NeighObj>(l.objects[2]).empty());
  REQUIRE(l.xfrm[1].states.size() == 1);
  CHECK(l.xfrm[1].states[0].second.coa == kLcoa2);
  CHECK(l.xfrm[0].states.empty());
  CHECK(l.xfrm[2].states.empty());
  // A lone binding looks as before issue 15: metric 1024 (the kernel's default).
  const MapAddressLayout one = map_address_layout(kRcoa, {{0, &s1, 11}}, {});
  CHECK(main_route(one.objects[0]).metric == kRouteMetricDefault);
  CHECK(of_type<NeighObj>(one.objects[0]) == of_type<NeighObj>(map_objects({kRcoa, 0}, s1, 11)));
}

TEST_CASE("kglue mcoa layout: a rank swap replaces both metric slots in place, no delete", "[kglue][mcoa]") {
  const MapBindingSettings a = settings(kLcoa1, 20);
  const MapBindingSettings b = settings(kLcoa2, 10);
  const MapBindingSettings a2 = settings(kLcoa1, 5);
  const auto before = concat(map_address_layout(kRcoa, {{1, &a, 11}, {2, &b, 12}}, {}));
  const auto after = concat(map_address_layout(kRcoa, {{1, &a2, 11}, {2, &b, 12}}, {}));
  const ObjectDiff d = diff_objects(before, after);
  CHECK(d.remove.empty());  // the proxy entry moves from A's list to B's, but stays
  REQUIRE(d.put.size() == 2);
  for (const auto& [o, replace] : d.put) CHECK(replace);
  // The first put is the new top's metric-1024 slot: into B's tunnel.
  const auto& first = std::get<RouteObj>(d.put[0].first);
  CHECK(first.metric == kMapMetricBase);
  CHECK(first.oif == 12);
}

TEST_CASE("kglue mcoa layout: removing the top binding moves the next into its slot before anything goes",
          "[kglue][mcoa]") {
  const MapBindingSettings a = settings(kLcoa1, 20);
  const MapBindingSettings b = settings(kLcoa2, 10);
  const auto before = concat(map_address_layout(kRcoa, {{1, &a, 11}, {2, &b, 12}}, {}));
  const auto after = concat(map_address_layout(kRcoa, {{2, &b, 12}}, {}));
  const ObjectDiff d = diff_objects(before, after);
  REQUIRE(d.put.size() == 1);
  CHECK(d.put[0].second);  // replaces metric 1024: A's tunnel -> B's
  CHECK(std::get<RouteObj>(d.put[0].first).oif == 12);
  REQUIRE(d.remove.size() == 1);
  CHECK(std::get<RouteObj>(d.remove[0]).metric == kMapMetricBase + 1);  // B's old slot
  // The proxy entry stays (the last binding still wants it) ...
  CHECK(of_type<NeighObj>(after).size() == 1);
  // ... and goes with the last one.
  CHECK(of_type<NeighObj>(diff_objects(after, {}).remove).size() == 1);
}

TEST_CASE("kglue mcoa layout: flow tables hold the routes of their BID's bindings", "[kglue][mcoa]") {
  const MapBindingSettings a = settings(kLcoa1, 20);
  const MapBindingSettings b = settings(kLcoa2, 10);
  const std::map<std::uint16_t, std::uint32_t> tables{{2, 0x4d4901}, {7, 0x4d4902}};
  const MapAddressLayout l = map_address_layout(kRcoa, {{1, &a, 11}, {2, &b, 12}}, tables);
  const auto r2 = of_type<RouteObj>(l.objects[1]);
  REQUIRE(r2.size() == 2);
  CHECK(r2[1].table == 0x4d4901U);
  CHECK(r2[1].oif == 12);
  CHECK(r2[1].metric == kRouteMetricDefault);
  CHECK(of_type<RouteObj>(l.objects[0]).size() == 1);  // BID 1: no policy names it
}

TEST_CASE("kglue mcoa: flow tables keep their numbers across reloads, new BIDs take free ones", "[kglue][mcoa]") {
  const Tags t = Tags::mapd();
  auto first = map_flow_tables(t, {policy(2), policy(7), policy(2)}, {});
  REQUIRE(first);
  CHECK(*first == std::map<std::uint16_t, std::uint32_t>{{2, t.table_lo + 1}, {7, t.table_lo + 2}});
  // BID 2 dropped, 9 added: 7 keeps its table, 9 does not take 2's (its
  // routes are still there while the union is installed).
  auto second = map_flow_tables(t, {policy(7), policy(9)}, *first);
  REQUIRE(second);
  CHECK(*second == std::map<std::uint16_t, std::uint32_t>{{7, t.table_lo + 2}, {9, t.table_lo + 3}});
  Tags small = t;
  small.table_hi = small.table_lo + 1;
  CHECK_FALSE(map_flow_tables(small, {policy(2), policy(7)}, {}).has_value());
}

TEST_CASE("kglue mcoa: a flow policy's rule carries ipproto, port ranges, tos and prefixes, parsed back",
          "[kglue][mcoa]") {
  const Tags t = Tags::mapd();
  MapFlowPolicy f = policy(2);
  f.sport_lo = 1000;
  f.sport_hi = 1999;
  f.dscp = 10;
  f.from = Ip6Prefix::parse("2001:db8:77::/48");
  f.to = Ip6Prefix::parse("2001:db8:99::/64");
  MapFlowPolicy g;
  g.bid = 3;
  g.ip_proto = 58;
  const auto rules = map_flow_rules(t, {f, g}, {{2, 0x4d4901}, {3, 0x4d4902}});
  REQUIRE(rules.size() == 2);
  const auto& r = std::get<RuleObj>(rules[0]);
  CHECK(r.priority == t.rule_priority_lo + 1);
  CHECK(std::get<RuleObj>(rules[1]).priority == t.rule_priority_lo + 2);
  CHECK(std::get<RuleObj>(rules[1]).table == 0x4d4902U);
  CHECK(r.dsfield == 40);  // dscp << 2
  NlMsgPtr m = build_add(rules[0], t.route_protocol, false);
  REQUIRE(m);
  nlmsghdr* h = nlmsg_hdr(m.get());
  const auto* frh = static_cast<const fib_rule_hdr*>(nlmsg_data(h));
  CHECK(frh->tos == 40);
  CHECK(frh->src_len == 48);
  CHECK(frh->dst_len == 64);
  std::array<nlattr*, FRA_MAX + 1> tb{};
  REQUIRE(nlmsg_parse(h, sizeof(fib_rule_hdr), tb.data(), FRA_MAX, nullptr) == 0);
  REQUIRE(tb[FRA_IP_PROTO] != nullptr);
  CHECK(nla_get_u8(tb[FRA_IP_PROTO]) == 17);
  REQUIRE(tb[FRA_DPORT_RANGE] != nullptr);
  REQUIRE(nla_len(tb[FRA_DPORT_RANGE]) == static_cast<int>(sizeof(fib_rule_port_range)));
  fib_rule_port_range pr{};
  std::memcpy(&pr, nla_data(tb[FRA_DPORT_RANGE]), sizeof(pr));
  CHECK(pr.start == 5001);
  CHECK(pr.end == 5001);
  REQUIRE(tb[FRA_SPORT_RANGE] != nullptr);
  std::memcpy(&pr, nla_data(tb[FRA_SPORT_RANGE]), sizeof(pr));
  CHECK(pr.start == 1000);
  CHECK(pr.end == 1999);
  REQUIRE(tb[FRA_TABLE] != nullptr);
  CHECK(nla_get_u32(tb[FRA_TABLE]) == 0x4d4901U);
  // No ports: no port attributes.
  NlMsgPtr m2 = build_add(rules[1], t.route_protocol, false);
  std::array<nlattr*, FRA_MAX + 1> tb2{};
  REQUIRE(nlmsg_parse(nlmsg_hdr(m2.get()), sizeof(fib_rule_hdr), tb2.data(), FRA_MAX, nullptr) == 0);
  CHECK(tb2[FRA_DPORT_RANGE] == nullptr);
  CHECK(tb2[FRA_SPORT_RANGE] == nullptr);
}

TEST_CASE("kglue mcoa: routes carry their metric in adds and deletes", "[kglue][mcoa]") {
  RouteObj r{kMainTable, Ip6Prefix{kRcoa, 128}, 12, Ip6Addr{}, Ip6Addr{}};
  r.metric = 1025;
  std::array<NlMsgPtr, 2> msgs{build_add(r, 203, true), build_delete(r, 203)};
  for (const NlMsgPtr& m : msgs) {
    REQUIRE(m);
    std::array<nlattr*, RTA_MAX + 1> tb{};
    REQUIRE(nlmsg_parse(nlmsg_hdr(m.get()), sizeof(rtmsg), tb.data(), RTA_MAX, nullptr) == 0);
    REQUIRE(tb[RTA_PRIORITY] != nullptr);
    CHECK(nla_get_u32(tb[RTA_PRIORITY]) == 1025U);
  }
  RouteObj other = r;
  other.metric = 1024;
  CHECK_FALSE(same_key(KObj{r}, KObj{other}));
  other.metric = 1025;
  other.oif = 13;
  CHECK(same_key(KObj{r}, KObj{other}));  // same slot: replaced in place
}

TEST_CASE("kglue mcoa: flow policy checks", "[kglue][mcoa]") {
  CHECK_FALSE(check_map_flow_policies({}).has_value());
  CHECK_FALSE(check_map_flow_policies({policy(2)}).has_value());
  auto bad = [](auto edit) {
    MapFlowPolicy f = policy(2);
    edit(f);
    return check_map_flow_policies({policy(1), f});
  };
  auto e = bad([](MapFlowPolicy& f) { f.bid = 0; });
  REQUIRE(e);
  CHECK(e->offset == 1);  // the index of the bad policy
  CHECK(bad([](MapFlowPolicy& f) { f = MapFlowPolicy{}; f.bid = 2; }));             // no match field
  CHECK(bad([](MapFlowPolicy& f) { f.ip_proto = 58; }));                            // ports with icmpv6
  CHECK(bad([](MapFlowPolicy& f) { f.dport_lo = 6000; }));                          // lo > hi
  CHECK(bad([](MapFlowPolicy& f) { f.sport_lo = 0; f.sport_hi = 10; }));            // lo 0
  CHECK(bad([](MapFlowPolicy& f) { f.dscp = 0; }));                                 // a rule cannot match DSCP 0
  CHECK(bad([](MapFlowPolicy& f) { f.dscp = 64; }));
  CHECK_FALSE(bad([](MapFlowPolicy& f) { f.ip_proto = 132; f.dscp = 63; }));        // sctp ports, DSCP 63
  CHECK_FALSE(bad([](MapFlowPolicy& f) { f = MapFlowPolicy{}; f.bid = 2; f.to = Ip6Prefix::parse("2001:db8::/32"); }));
}

TEST_CASE("kglue mcoa recording: the top-ranked binding carries the address, flow policies pick theirs",
          "[kglue][mcoa]") {
  RecordingDataplane dp;
  REQUIRE(dp.install_map_binding({kRcoa, 1}, settings(kLcoa1, 20)));
  REQUIRE(dp.install_map_binding({kRcoa, 2}, settings(kLcoa2, 10)));
  CHECK(dp.active_map_binding(kRcoa) == MapBindingKey{kRcoa, 1});
  CHECK(dp.map_route_order(kRcoa) == std::vector<MapBindingKey>{{kRcoa, 1}, {kRcoa, 2}});
  CHECK(dp.tunnel_count() == 2);
  // A rank change alone re-installs in place: same tunnel, other order.
  const std::string tun1 = dp.map_bindings().at({kRcoa, 1}).objects.tunnel;
  auto o = dp.install_map_binding({kRcoa, 1}, settings(kLcoa1, 5));
  REQUIRE(o);
  CHECK(o->tunnel == tun1);
  CHECK(dp.active_map_binding(kRcoa) == MapBindingKey{kRcoa, 2});

  MapFlowPolicy udp = policy(1);
  MapFlowPolicy dscp;
  dscp.bid = 9;  // no binding has it: falls through
  dscp.dscp = 10;
  REQUIRE(dp.install_map_flow_policies({dscp, udp}));
  CHECK(dp.map_flow_policies().size() == 2);
  CHECK(dp.map_binding_for(kRcoa, {kCn, 17, 4000, 5001, 0}) == MapBindingKey{kRcoa, 1});
  CHECK(dp.map_binding_for(kRcoa, {kCn, 17, 4000, 5002, 0}) == MapBindingKey{kRcoa, 2});
  CHECK(dp.map_binding_for(kRcoa, {kCn, 58, 0, 0, 40}) == MapBindingKey{kRcoa, 2});
  dscp.bid = 1;
  REQUIRE(dp.install_map_flow_policies({dscp, udp}));
  CHECK(dp.map_binding_for(kRcoa, {kCn, 58, 0, 0, 40}) == MapBindingKey{kRcoa, 1});
  // ECN bits set: the whole traffic class differs, no match (as the kernel).
  CHECK(dp.map_binding_for(kRcoa, {kCn, 58, 0, 0, 41}) == MapBindingKey{kRcoa, 2});
  // An invalid set is refused whole, the previous one stays.
  dscp.dscp = 0;
  CHECK_FALSE(dp.install_map_flow_policies({dscp}));
  CHECK(dp.map_flow_policies().size() == 2);
  REQUIRE(dp.remove_map_binding({kRcoa, 2}));
  CHECK(dp.active_map_binding(kRcoa) == MapBindingKey{kRcoa, 1});
  REQUIRE(dp.remove_map_binding({kRcoa, 1}));
  CHECK_FALSE(dp.active_map_binding(kRcoa).has_value());
  CHECK(dp.map_binding_for(kRcoa, {}) == std::nullopt);
  REQUIRE(dp.flush());
  CHECK(dp.map_flow_policies().empty());
  CHECK(dp.empty());
  const auto& calls = dp.calls();
  CHECK(std::count_if(calls.begin(), calls.end(), [](const CallRecord& c) {
          return std::holds_alternative<call::InstallMapFlowPolicies>(c.call);
        }) == 3);
}

TEST_CASE("kglue mcoa nft: the path set sits between the link-local and the fib rule, elements in one transaction",
          "[kglue][mcoa]") {
  const Tags t = Tags::mapd();
  const std::string s = nft_ingress_script(t);
  CHECK(s.find("add set inet hmip_mapd mcoa_paths { type ipv6_addr . ifname; }") != std::string::npos);
  const auto set_rule = s.find("iifname \"hmipm*\" ip6 saddr . iifname @mcoa_paths accept");
  REQUIRE(set_rule != std::string::npos);
  CHECK(s.find("saddr fe80::/10") < set_rule);
  CHECK(set_rule < s.find("fib saddr"));
  // No counter on the accept rule: counter() sums the drop rules'.
  CHECK(s.substr(set_rule, s.find('\n', set_rule) - set_rule).find("counter") == std::string::npos);
  const std::string u = nft_paths_script(t, {{kRcoa, "hmipm0002"}, {kCn, "hmipm0003"}}, {{kRcoa, "hmipm0001"}});
  CHECK(u ==
        "add element inet hmip_mapd mcoa_paths { 2001:db8:99::5 . \"hmipm0002\", 2001:db8:77::1 . \"hmipm0003\" }\n"
        "delete element inet hmip_mapd mcoa_paths { 2001:db8:99::5 . \"hmipm0001\" }\n");
  CHECK(nft_paths_script(t, {}, {}).empty());
}
