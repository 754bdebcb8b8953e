// kernel-glue pure parts: tunnel names, tag checks, what a binding is made of
// (binding_layout), object diffs, the netlink messages built for them (parsed
// back), the nftables ingress script and counter parser, the sysctl setter.
#include <catch2/catch.hpp>

#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/ip6_tunnel.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "../../kernel-glue/src/binding_layout.h"
#include "../../kernel-glue/src/nl_objects.h"
#include "../../kernel-glue/src/object_set.h"
#include "../../kernel-glue/src/proc_sysctl.h"
#include "../../kernel-glue/src/tunnel_pool.h"
#include "hmip/kglue/kernel_names.h"
#include "hmip/kglue/nft_ingress.h"

using namespace hmip;
using namespace hmip::kglue;
using namespace hmip::kglue::detail;

namespace {
const Ip6Addr kMap = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::5");
const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:2::10");
const Ip6Addr kRouter = Ip6Addr::must("fe80::1");

template <class T>
std::vector<T> of_type(const std::vector<KObj>& v) {
  std::vector<T> out;
  for (const auto& o : v) {
    if (const auto* x = std::get_if<T>(&o)) out.push_back(*x);
  }
  return out;
}
}  // namespace

TEST_CASE("kglue names: tunnel names round-trip and stay within IFNAMSIZ", "[kglue]") {
  CHECK(tunnel_name("hmipm", 1) == "hmipm0001");
  CHECK(tunnel_name("hmipm", 0xabcdef12) == "hmipmabcdef12");
  CHECK_FALSE(tunnel_name("hmipmxyz", 0xabcdef12).has_value());  // 15 chars max
  CHECK_FALSE(tunnel_name("", 1).has_value());
  CHECK(tunnel_number("hmipm", "hmipm0001") == 1U);
  CHECK(tunnel_number("hmipm", "hmipmabcdef12") == 0xabcdef12U);
  CHECK_FALSE(tunnel_number("hmipm", "hmipn0001").has_value());
  CHECK_FALSE(tunnel_number("hmipm", "hmipm01").has_value());
  CHECK_FALSE(tunnel_number("hmipm", "hmipm00G1").has_value());
  CHECK_FALSE(tunnel_number("hmipm", "hmipm").has_value());
}

TEST_CASE("kglue tags: the daemons' tags pass, broken ones are named", "[kglue]") {
  CHECK(check_tags(Tags::mapd()).empty());
  CHECK(check_tags(Tags::mnd()).empty());
  Tags t = Tags::mnd();
  t.link_prefix = "toolong1";
  CHECK_FALSE(check_tags(t).empty());
  t = Tags::mnd();
  t.route_protocol = 4;
  CHECK_FALSE(check_tags(t).empty());
  t = Tags::mnd();
  t.rule_priority_hi = t.rule_priority_lo + 3;
  CHECK_FALSE(check_tags(t).empty());
  t = Tags::mnd();
  t.table_lo = 250;
  t.table_hi = 260;
  CHECK_FALSE(check_tags(t).empty());
  t = Tags::mnd();
  t.table_hi = t.table_lo;  // an MN binding needs two tables
  CHECK_FALSE(check_tags(t).empty());
}

TEST_CASE("kglue layout: a MAP binding is a /128 route, a proxy entry, route2 state and out policy", "[kglue]") {
  MapBindingSettings s{kMap, kLcoa, 4, 1400};
  auto objs = map_objects({kRcoa, 0}, s, 9);
  auto routes = of_type<RouteObj>(objs);
  REQUIRE(routes.size() == 1);
  CHECK(routes[0].dst == Ip6Prefix{kRcoa, 128});
  CHECK(routes[0].oif == 9);
  CHECK(routes[0].table == kMainTable);
  REQUIRE(of_type<NeighObj>(objs).size() == 1);
  CHECK(of_type<NeighObj>(objs)[0].ifindex == 4);
  s.proxy_ifindex = 0;
  CHECK(of_type<NeighObj>(map_objects({kRcoa, 0}, s, 9)).empty());

  auto t = map_tunnel("hmipm0001", s);
  CHECK(t.local == kMap);
  CHECK(t.remote == kLcoa);
  CHECK(t.mtu == 1400);

  auto x = ba_xfrm(kMap, kRcoa, kLcoa);
  REQUIRE(x.states.size() == 1);
  CHECK(x.states[0].first == RoStateKey{kMap, kRcoa, RoProto::route2});
  CHECK(x.states[0].second.coa == kLcoa);
  REQUIRE(x.policies.size() == 1);
  CHECK(x.policies[0].first.dir == PolicyDir::out);
  CHECK(x.policies[0].first.src == Ip6Prefix{kMap, 128});
  CHECK(x.policies[0].second.tmpl == RoProto::route2);
  auto sig = map_signalling_xfrm({kMap, {}});
  CHECK(sig.states[0].second.wildrecv);
  REQUIRE(sig.policies.size() == 1);
  CHECK(sig.policies[0].first.dir == PolicyDir::in);
  CHECK(sig.policies[0].second.tmpl == RoProto::hao);
  CHECK_FALSE(sig.policies[0].first.main);
  // Secure mode: one MAIN IN policy per RCoA prefix requiring ESP for MH to the MAP.
  const auto pfx = *Ip6Prefix::parse("2001:db8:99::/64");
  auto sec = map_signalling_xfrm({kMap, {pfx}});
  REQUIRE(sec.policies.size() == 2);
  CHECK(sec.policies[1].first == PolicyKey{pfx, Ip6Prefix{kMap, 128}, 135, PolicyDir::in, true});
  CHECK(sec.policies[1].second.esp);
  // A home agent with ProtectTraffic: ip6ip6 to and from it only in ESP.
  auto pt = map_signalling_xfrm({kMap, {pfx}, true});
  REQUIRE(pt.policies.size() == 4);
  CHECK(pt.policies[2].first == PolicyKey{Ip6Prefix{}, Ip6Prefix{kMap, 128}, 41, PolicyDir::in, true});
  CHECK(pt.policies[3].first == PolicyKey{Ip6Prefix{kMap, 128}, Ip6Prefix{}, 41, PolicyDir::out, true});
  CHECK(pt.policies[3].second.esp);
}

TEST_CASE("kglue layout: an MN binding's rules, routes and address", "[kglue]") {
  const Tags tags = Tags::mnd();
  MnBindingSettings s{kLcoa, 3, kRouter, 1460, true};
  auto objs = mn_objects(tags, {kMap, kRcoa}, s, 12, 0x4d4e00);
  auto addrs = of_type<AddrObj>(objs);
  REQUIRE(addrs.size() == 1);
  CHECK(addrs[0].home);
  CHECK(addrs[0].preferred);
  CHECK(addrs[0].ifindex == 12);
  CHECK(std::holds_alternative<AddrObj>(objs.front()));  // before the route using it as source
  auto routes = of_type<RouteObj>(objs);
  REQUIRE(routes.size() == 3);
  CHECK(routes[0].dst == Ip6Prefix{kMap, 128});
  CHECK(routes[0].gateway == kRouter);
  CHECK(routes[0].oif == 3);
  CHECK(routes[1].dst.len == 0);
  CHECK(routes[1].prefsrc == kRcoa);
  CHECK(routes[1].oif == 12);
  // The LCoA table (upper half of the range): default via the current
  // router, never main's RA-learned defaults (issue 13 item 1).
  CHECK(routes[2].table == 0x4d4e00U + 0x80U);
  CHECK(routes[2].dst.len == 0);
  CHECK(routes[2].gateway == kRouter);
  CHECK(routes[2].oif == 3);
  auto rules = of_type<RuleObj>(objs);
  REQUIRE(rules.size() == 5);
  CHECK(rules[0].src == Ip6Prefix{kLcoa, 128});
  CHECK(rules[0].table == 0x4d4e00U);
  CHECK(rules[0].suppress_default);
  CHECK(rules[1].src.len == 0);
  CHECK(rules[1].table == kMainTable);
  CHECK(rules[1].suppress_default);
  CHECK(rules[2].src == Ip6Prefix{kLcoa, 128});
  CHECK(rules[2].table == 0x4d4e00U + 0x80U);
  CHECK_FALSE(rules[2].suppress_default);
  CHECK(rules[3].src == Ip6Prefix{kRcoa, 128});
  CHECK(rules[3].table == 0x4d4e00U);
  CHECK(rules[4].src.len == 0);
  CHECK(rules[4].table == 0x4d4e00U);
  for (std::size_t i = 0; i < 4; ++i) CHECK(rules[i].priority == tags.rule_priority_lo + i);
  // The primary's catch-all after the home bindings' rules (issue 14).
  CHECK(rules[4].priority == tags.rule_priority_lo + kRulePrimary);

  MnBindingSettings onlink = s;
  onlink.router = Ip6Addr{};  // no router known: main's routes, no LCoA table
  auto direct = mn_objects(tags, {kMap, kRcoa}, onlink, 12, 0x4d4e00);
  CHECK(of_type<RouteObj>(direct).size() == 2);
  CHECK(of_type<RuleObj>(direct)[2].table == kMainTable);

  s.primary = false;
  auto secondary = mn_objects(tags, {kMap, kRcoa}, s, 12, 0x4d4e00);
  CHECK(of_type<RuleObj>(secondary).size() == 4);
  CHECK_FALSE(of_type<AddrObj>(secondary)[0].preferred);

  auto x = mn_xfrm({kMap, kRcoa}, s);
  CHECK(x.states[0].first == RoStateKey{kRcoa, kMap, RoProto::hao});
  CHECK(x.states[0].second.coa == kLcoa);
  CHECK(x.policies[0].second.tmpl == RoProto::hao);
}

TEST_CASE("kglue diff: primary -> secondary replaces the address and deletes one rule", "[kglue]") {
  const Tags tags = Tags::mnd();
  MnBindingSettings s{kLcoa, 3, kRouter, 0, true};
  auto before = mn_objects(tags, {kMap, kRcoa}, s, 12, 7);
  s.primary = false;
  auto after = mn_objects(tags, {kMap, kRcoa}, s, 12, 7);
  auto d = diff_objects(before, after);
  REQUIRE(d.put.size() == 1);
  CHECK(d.put[0].second);  // replace
  CHECK(std::holds_alternative<AddrObj>(d.put[0].first));
  REQUIRE(d.undo_replaced.size() == 1);
  CHECK(std::get<AddrObj>(d.undo_replaced[0]).preferred);
  REQUIRE(d.remove.size() == 1);
  CHECK(std::get<RuleObj>(d.remove[0]).priority == tags.rule_priority_lo + kRulePrimary);

  // New LCoA: a new rule is added before the old one is deleted.
  MnBindingSettings moved = s;
  moved.lcoa = Ip6Addr::must("2001:db8:3::10");
  auto d2 = diff_objects(after, mn_objects(tags, {kMap, kRcoa}, moved, 12, 7));
  REQUIRE(d2.put.size() == 2);
  CHECK(std::get<RuleObj>(d2.put[0].first).src.addr == moved.lcoa);
  CHECK(std::get<RuleObj>(d2.put[1].first).src.addr == moved.lcoa);
  REQUIRE(d2.remove.size() == 2);
  CHECK(std::get<RuleObj>(d2.remove[0]).src.addr == kLcoa);
  CHECK(std::get<RuleObj>(d2.remove[1]).src.addr == kLcoa);
  CHECK(diff_objects(after, after).put.empty());
  CHECK(diff_objects(after, after).remove.empty());
  CHECK(diff_objects(after, {}).remove.size() == after.size());
}

TEST_CASE("kglue messages: rule with suppress_prefixlength and protocol, parsed back", "[kglue]") {
  RuleObj r{2001, Ip6Prefix{}, kMainTable, true, Ip6Prefix{}, 0};
  NlMsgPtr m = build_add(r, 204, false);
  REQUIRE(m);
  nlmsghdr* h = nlmsg_hdr(m.get());
  CHECK(h->nlmsg_type == RTM_NEWRULE);
  CHECK((h->nlmsg_flags & NLM_F_EXCL) == 0);  // duplicates allowed (shared rules)
  std::array<nlattr*, FRA_MAX + 1> tb{};
  REQUIRE(nlmsg_parse(h, sizeof(fib_rule_hdr), tb.data(), FRA_MAX, nullptr) == 0);
  REQUIRE(tb[FRA_SUPPRESS_PREFIXLEN] != nullptr);
  CHECK(nla_get_u32(tb[FRA_SUPPRESS_PREFIXLEN]) == 0);
  REQUIRE(tb[FRA_PROTOCOL] != nullptr);
  CHECK(nla_get_u8(tb[FRA_PROTOCOL]) == 204);
  REQUIRE(tb[FRA_PRIORITY] != nullptr);
  CHECK(nla_get_u32(tb[FRA_PRIORITY]) == 2001);
  NlMsgPtr del = build_delete(r, 204);
  REQUIRE(del);
  CHECK(nlmsg_hdr(del.get())->nlmsg_type == RTM_DELRULE);
}

TEST_CASE("kglue layout: a BA without a binding gets a route in mapd's BA table and a rule for its MH only",
          "[kglue]") {
  // issue 13 item 6: the kernel routes the BA to the RCoA before the
  // route2 state sends it to the LCoA; a MAP with no route to the RCoA
  // could not send it at all.
  const Tags tags = Tags::mapd();
  const Ip6Addr gw = Ip6Addr::must("fe80::2");
  auto objs = ba_objects(tags, kMap, kRcoa, 7, gw);
  REQUIRE(objs.size() == 2);
  // The route first (added before the rule that uses it, deleted after it).
  const auto* route = std::get_if<RouteObj>(&objs[0]);
  REQUIRE(route != nullptr);
  CHECK(*route == RouteObj{tags.table_lo, Ip6Prefix{kRcoa, 128}, 7, gw, Ip6Addr{}});
  CHECK(route->table != kMainTable);  // main is never touched: no route to the RCoA is taken over
  const auto* rule = std::get_if<RuleObj>(&objs[1]);
  REQUIRE(rule != nullptr);
  CHECK(rule->priority == tags.rule_priority_lo);
  CHECK(rule->priority < 32766);  // before main's rule
  CHECK(rule->src == Ip6Prefix{kMap, 128});
  CHECK(rule->dst == Ip6Prefix{kRcoa, 128});
  CHECK(rule->ip_proto == 135);  // only Mobility Headers from the MAP to this RCoA
  CHECK(rule->table == tags.table_lo);
  CHECK_FALSE(rule->suppress_default);
  // Tags without a table or rule range: no objects (the route2 state alone).
  Tags bare = tags;
  bare.table_hi = bare.table_lo = 0;
  CHECK(ba_objects(bare, kMap, kRcoa, 7, gw).empty());

  // The rule's message carries destination and protocol, and its delete too
  // (the kernel matches a delete on every attribute given).
  for (const bool add : {true, false}) {
    NlMsgPtr m = add ? build_add(*rule, 203, false) : build_delete(*rule, 203);
    REQUIRE(m);
    nlmsghdr* h = nlmsg_hdr(m.get());
    const auto* frh = static_cast<const fib_rule_hdr*>(nlmsg_data(h));
    CHECK(frh->dst_len == 128);
    CHECK(frh->src_len == 128);
    std::array<nlattr*, FRA_MAX + 1> tb{};
    REQUIRE(nlmsg_parse(h, sizeof(fib_rule_hdr), tb.data(), FRA_MAX, nullptr) == 0);
    REQUIRE(tb[FRA_DST] != nullptr);
    CHECK(std::memcmp(nla_data(tb[FRA_DST]), kRcoa.b.data(), 16) == 0);
    REQUIRE(tb[FRA_IP_PROTO] != nullptr);
    CHECK(nla_get_u8(tb[FRA_IP_PROTO]) == 135);
    REQUIRE(tb[FRA_TABLE] != nullptr);
    CHECK(nla_get_u32(tb[FRA_TABLE]) == tags.table_lo);
  }
  CHECK(describe(*rule) == "rule 1900 from 2001:db8:1::1/128 to 2001:db8:99::5/128 ipproto 135 lookup 5064960");
}

TEST_CASE("kglue messages: route carries protocol, table, prefsrc", "[kglue]") {
  RouteObj r{0x4d4e00, Ip6Prefix{}, 12, Ip6Addr{}, kRcoa};
  NlMsgPtr m = build_add(r, 204, false);
  REQUIRE(m);
  nlmsghdr* h = nlmsg_hdr(m.get());
  CHECK(h->nlmsg_type == RTM_NEWROUTE);
  CHECK((h->nlmsg_flags & NLM_F_EXCL) != 0);
  const auto* rtm = static_cast<const rtmsg*>(nlmsg_data(h));
  CHECK(rtm->rtm_protocol == 204);
  CHECK(rtm->rtm_dst_len == 0);
  std::array<nlattr*, RTA_MAX + 1> tb{};
  REQUIRE(nlmsg_parse(h, sizeof(rtmsg), tb.data(), RTA_MAX, nullptr) == 0);
  REQUIRE(tb[RTA_TABLE] != nullptr);
  CHECK(nla_get_u32(tb[RTA_TABLE]) == 0x4d4e00U);
  REQUIRE(tb[RTA_PREFSRC] != nullptr);
  CHECK(std::memcmp(nla_data(tb[RTA_PREFSRC]), kRcoa.b.data(), 16) == 0);
  CHECK((nlmsg_hdr(build_add(r, 204, true).get())->nlmsg_flags & NLM_F_REPLACE) != 0);
}

TEST_CASE("kglue messages: ip6tnl ignores the encapsulation limit and carries both ends", "[kglue]") {
  TunnelObj t{"hmipm0001", kMap, kLcoa, 0, 1400};
  NlMsgPtr m = build_tunnel_add(t);
  REQUIRE(m);
  nlmsghdr* h = nlmsg_hdr(m.get());
  CHECK(h->nlmsg_type == RTM_NEWLINK);
  CHECK((h->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL)) == (NLM_F_CREATE | NLM_F_EXCL));
  std::array<nlattr*, IFLA_MAX + 1> tb{};
  REQUIRE(nlmsg_parse(h, sizeof(ifinfomsg), tb.data(), IFLA_MAX, nullptr) == 0);
  REQUIRE(tb[IFLA_LINKINFO] != nullptr);
  CHECK(nla_get_u32(tb[IFLA_MTU]) == 1400U);
  std::array<nlattr*, IFLA_INFO_MAX + 1> info{};
  REQUIRE(nla_parse_nested(info.data(), IFLA_INFO_MAX, tb[IFLA_LINKINFO], nullptr) == 0);
  CHECK(std::string(static_cast<const char*>(nla_data(info[IFLA_INFO_KIND]))) == "ip6tnl");
  std::array<nlattr*, IFLA_IPTUN_MAX + 1> tun{};
  REQUIRE(nla_parse_nested(tun.data(), IFLA_IPTUN_MAX, info[IFLA_INFO_DATA], nullptr) == 0);
  REQUIRE(tun[IFLA_IPTUN_FLAGS] != nullptr);
  CHECK((nla_get_u32(tun[IFLA_IPTUN_FLAGS]) & IP6_TNL_F_IGN_ENCAP_LIMIT) != 0);
  CHECK(nla_get_u8(tun[IFLA_IPTUN_PROTO]) == IPPROTO_IPV6);
  CHECK(std::memcmp(nla_data(tun[IFLA_IPTUN_LOCAL]), kMap.b.data(), 16) == 0);
  CHECK(std::memcmp(nla_data(tun[IFLA_IPTUN_REMOTE]), kLcoa.b.data(), 16) == 0);
  // The change request names the device and carries no create flags.
  NlMsgPtr c = build_tunnel_change(t, 42);
  REQUIRE(c);
  CHECK((nlmsg_hdr(c.get())->nlmsg_flags & NLM_F_CREATE) == 0);
  CHECK(static_cast<const ifinfomsg*>(nlmsg_data(nlmsg_hdr(c.get())))->ifi_index == 42);
  // ... and no IFLA_IFNAME: on an up device that is a rename (EBUSY).
  std::array<nlattr*, IFLA_MAX + 1> ctb{};
  REQUIRE(nlmsg_parse(nlmsg_hdr(c.get()), sizeof(ifinfomsg), ctb.data(), IFLA_MAX, nullptr) == 0);
  CHECK(ctb[IFLA_IFNAME] == nullptr);
  CHECK(ctb[IFLA_LINKINFO] != nullptr);
}

TEST_CASE("kglue messages: a tunnel is created down in the tag group, then addr_gen_mode none, then up", "[kglue]") {
  TunnelObj t{"hmipm0001", kMap, kLcoa, 0, 0};
  NlMsgPtr m = build_tunnel_add(t, Tags::mapd().link_group);
  REQUIRE(m);
  // Down: the kernel would give an up device a link-local address at once.
  CHECK((static_cast<const ifinfomsg*>(nlmsg_data(nlmsg_hdr(m.get())))->ifi_flags & IFF_UP) == 0);
  std::array<nlattr*, IFLA_MAX + 1> tb{};
  REQUIRE(nlmsg_parse(nlmsg_hdr(m.get()), sizeof(ifinfomsg), tb.data(), IFLA_MAX, nullptr) == 0);
  REQUIRE(tb[IFLA_GROUP] != nullptr);
  CHECK(nla_get_u32(tb[IFLA_GROUP]) == 0x4d490000U);
  CHECK(Tags::mapd().link_group != Tags::mnd().link_group);

  NlMsgPtr g = build_link_addr_gen_none(42);
  REQUIRE(g);
  nlmsghdr* h = nlmsg_hdr(g.get());
  CHECK(h->nlmsg_type == RTM_NEWLINK);
  CHECK((h->nlmsg_flags & NLM_F_CREATE) == 0);
  CHECK(static_cast<const ifinfomsg*>(nlmsg_data(h))->ifi_index == 42);
  std::array<nlattr*, IFLA_MAX + 1> gtb{};
  REQUIRE(nlmsg_parse(h, sizeof(ifinfomsg), gtb.data(), IFLA_MAX, nullptr) == 0);
  REQUIRE(gtb[IFLA_AF_SPEC] != nullptr);
  std::array<nlattr*, AF_MAX + 1> af{};
  REQUIRE(nla_parse_nested(af.data(), AF_MAX, gtb[IFLA_AF_SPEC], nullptr) == 0);
  REQUIRE(af[AF_INET6] != nullptr);
  std::array<nlattr*, IFLA_INET6_MAX + 1> in6{};
  REQUIRE(nla_parse_nested(in6.data(), IFLA_INET6_MAX, af[AF_INET6], nullptr) == 0);
  REQUIRE(in6[IFLA_INET6_ADDR_GEN_MODE] != nullptr);
  CHECK(nla_get_u8(in6[IFLA_INET6_ADDR_GEN_MODE]) == IN6_ADDR_GEN_MODE_NONE);

  NlMsgPtr up = build_link_up(42);
  REQUIRE(up);
  const auto* ui = static_cast<const ifinfomsg*>(nlmsg_data(nlmsg_hdr(up.get())));
  CHECK(ui->ifi_index == 42);
  CHECK((ui->ifi_flags & IFF_UP) != 0);
  CHECK((ui->ifi_change & IFF_UP) != 0);

  // The group delete: never of group 0 (every ordinary device is in it).
  CHECK_FALSE(build_group_delete(0));
  NlMsgPtr d = build_group_delete(0x4d490000);
  REQUIRE(d);
  CHECK(nlmsg_hdr(d.get())->nlmsg_type == RTM_DELLINK);
  std::array<nlattr*, IFLA_MAX + 1> dtb{};
  REQUIRE(nlmsg_parse(nlmsg_hdr(d.get()), sizeof(ifinfomsg), dtb.data(), IFLA_MAX, nullptr) == 0);
  REQUIRE(dtb[IFLA_GROUP] != nullptr);
  CHECK(nla_get_u32(dtb[IFLA_GROUP]) == 0x4d490000U);
  CHECK(static_cast<const ifinfomsg*>(nlmsg_data(nlmsg_hdr(d.get())))->ifi_index == 0);
}

TEST_CASE("kglue tunnel pool: one device per endpoints, shared, counted, moves planned", "[kglue]") {
  using Move = TunnelPool::Move;
  const Ip6Addr lcoa2 = Ip6Addr::must("2001:db8:2::20");
  TunnelPool pool;
  const TunnelObj a{"hmipm0001", kMap, kLcoa, 0, 0};
  const TunnelKey ka = tunnel_key(a);
  const TunnelKey kb{kMap, lcoa2, 0};
  CHECK(pool.add_user(ka) == nullptr);  // nothing to share yet
  pool.insert(a, 7);
  // A second RCoA from the same LCoA: the same device, two users.
  const TunnelPool::Entry* e = pool.add_user(ka);
  REQUIRE(e != nullptr);
  CHECK(e->ifindex == 7);
  CHECK(e->users == 2);
  // A shared tunnel is not changed in place: the mover gets another one.
  CHECK(pool.plan_move(ka, ka) == Move::same);
  CHECK(pool.plan_move(ka, kb) == Move::create);
  CHECK_FALSE(pool.drop_user(ka).has_value());  // one user left: the device stays
  // Its only user moving to an LCoA nobody uses: changed in place.
  CHECK(pool.plan_move(ka, kb) == Move::in_place);
  // ... but onto an LCoA that has a tunnel: join it.
  pool.insert(TunnelObj{"hmipm0002", kMap, lcoa2, 0, 0}, 8);
  CHECK(pool.plan_move(ka, kb) == Move::join);
  CHECK(pool.size() == 2);
  // The last user leaving hands the device back for deletion.
  auto last = pool.drop_user(ka);
  REQUIRE(last.has_value());
  CHECK(last->obj.name == "hmipm0001");
  CHECK(last->ifindex == 7);
  CHECK(pool.find(ka) == nullptr);
  // In-place change: the entry follows the new endpoints.
  pool.rekey(kb, TunnelObj{"hmipm0002", kMap, kLcoa, 0, 0});
  CHECK(pool.find(kb) == nullptr);
  REQUIRE(pool.find(ka) != nullptr);
  CHECK(pool.find(ka)->ifindex == 8);
  // A device whose delete failed stays tracked with no user: the next
  // binding through its endpoints joins it, and it is in all() for flush.
  pool.insert(TunnelObj{"hmipm0003", kMap, lcoa2, 0, 0}, 9, 0);
  CHECK(pool.all().count(kb) == 1);
  const TunnelPool::Entry* again = pool.add_user(kb);
  REQUIRE(again != nullptr);
  CHECK(again->ifindex == 9);
  CHECK(again->users == 1);
}

TEST_CASE("kglue nft: the ingress script and the counter parser", "[kglue]") {
  const std::string s = nft_ingress_script(Tags::mapd());
  CHECK(s.find("add table inet hmip_mapd") != std::string::npos);
  CHECK(s.find("iifname \"hmipm*\" fib saddr . iif oif 0 counter drop") != std::string::npos);
  // A link-local inner source is dropped by its own rule, before the fib
  // lookup (which a tunnel's fe80::/64 route would satisfy): issue 13 item 11.
  const auto ll = s.find("iifname \"hmipm*\" ip6 saddr fe80::/10 counter drop");
  REQUIRE(ll != std::string::npos);
  CHECK(ll < s.find("fib saddr"));
  auto c = parse_nft_counter("table inet t {\n chain c {\n  iifname \"hmipm*\" fib saddr . iif oif 0 counter packets 7 bytes 728 drop\n }\n}\n");
  REQUIRE(c);
  CHECK(c->packets == 7);
  CHECK(c->bytes == 728);
  // Both rules' counters count as drops.
  auto both = parse_nft_counter(
      "  iifname \"hmipm*\" ip6 saddr fe80::/10 counter packets 2 bytes 208 drop\n"
      "  iifname \"hmipm*\" fib saddr . iif oif 0 counter packets 7 bytes 728 drop\n");
  REQUIRE(both);
  CHECK(both->packets == 9);
  CHECK(both->bytes == 936);
  CHECK_FALSE(parse_nft_counter("counter packets x bytes 1").has_value());
  CHECK_FALSE(parse_nft_counter("no counter here").has_value());
}

TEST_CASE("kglue sysctl: sets, keeps the old value, restores", "[kglue]") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("kglue-sysctl-" + std::to_string(::getpid()));
  fs::create_directories(root / "net/ipv6/conf/eth0");
  std::ofstream(root / "net/ipv6/conf/eth0/proxy_ndp") << "0\n";
  {
    SysctlSetter s(root.string());
    std::string detail;
    REQUIRE(s.set("net/ipv6/conf/eth0/proxy_ndp", "1", detail).ok());
    CHECK(s.get("net/ipv6/conf/eth0/proxy_ndp") == "1");
    auto missing = s.set("net/ipv6/conf/eth9/proxy_ndp", "1", detail);
    REQUIRE_FALSE(missing.ok());
    CHECK(detail.find("eth9") != std::string::npos);
  }
  std::ifstream f(root / "net/ipv6/conf/eth0/proxy_ndp");
  std::string v;
  f >> v;
  CHECK(v == "0");
  fs::remove_all(root);
}
