// kernel-glue, home registration (issue 14): what a home binding is made of
// (binding_layout.h, mn_home_*), the L flag's link-local proxy entry, the
// address messages (nodad, home flag), the input checks, and RecordingDataplane's
// home bindings and per-address MAP signalling. The kernel proof is
// test/kernel/cases/46-kglue-home.sh.
#include <catch2/catch.hpp>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <algorithm>

#include "../../kernel-glue/src/binding_layout.h"
#include "../../kernel-glue/src/nl_objects.h"
#include "../../kernel-glue/src/object_set.h"
#include "hmip/kglue/binding_checks.h"
#include "hmip/kglue/recording_dataplane.h"

using namespace hmip;
using namespace hmip::kglue;
using namespace hmip::kglue::detail;

namespace {

const Ip6Addr kMap = Ip6Addr::must("2001:db8:2::1");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::5");
const Ip6Addr kRcoa2 = Ip6Addr::must("2001:db8:99::6");
const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:1::10");
const Ip6Addr kRouter = Ip6Addr::must("fe80::1");
const Ip6Addr kHa = Ip6Addr::must("2001:db8:200::1");
const Ip6Addr kHoa = Ip6Addr::must("2001:db8:200::10");
const MnHomeKey kKey{kHa, kHoa};
constexpr std::uint32_t kTable = 0x4d4e01;
constexpr std::uint32_t kSignal = kTable + 0x80;  // its twin in the upper half of mnd's range

template <class T>
std::vector<T> of_type(const std::vector<KObj>& v) {
  std::vector<T> out;
  for (const auto& o : v)
    if (const auto* x = std::get_if<T>(&o)) out.push_back(*x);
  return out;
}

MnHomeSettings nested(const Ip6Addr& rcoa = kRcoa) {
  MnHomeSettings s;
  s.coa = rcoa;
  s.via = MnBindingKey{kMap, rcoa};
  s.tunnel_mtu = 1400;
  return s;
}

MnHomeSettings plain(const Ip6Addr& router = kRouter) {
  MnHomeSettings s;
  s.coa = kLcoa;
  s.ifindex = 3;
  s.router = router;
  return s;
}

MnHomeSettings at_home() {
  MnHomeSettings s;
  s.mode = MnHomeMode::at_home;
  s.ifindex = 4;
  s.prefix_len = 64;
  return s;
}

const RuleObj* rule_at(const std::vector<RuleObj>& rules, std::uint32_t offset) {
  auto it = std::find_if(rules.begin(), rules.end(),
                         [&](const RuleObj& r) { return r.priority == Tags::mnd().rule_priority_lo + offset; });
  return it == rules.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("kglue home layout: the L flag adds the proxy entry of fe80::<interface id>", "[kglue]") {
  CHECK(wire::link_local_of(kHoa) == Ip6Addr::must("fe80::10"));
  CHECK(wire::link_local_of(Ip6Addr::must("2001:db8:200::a:b:c:d")) == Ip6Addr::must("fe80::a:b:c:d"));
  MapBindingSettings s{kHa, kRcoa, 7, 0, true};
  auto n = of_type<NeighObj>(map_objects({kHoa, 0}, s, 9));
  REQUIRE(n.size() == 2);
  CHECK(n[0].addr == kHoa);
  CHECK(n[1].addr == Ip6Addr::must("fe80::10"));
  CHECK(n[1].ifindex == 7);
  s.link_local_proxy = false;
  CHECK(of_type<NeighObj>(map_objects({kHoa, 0}, s, 9)).size() == 1);
  s.link_local_proxy = true;
  s.proxy_ifindex = 0;  // no proxy link: neither entry
  CHECK(of_type<NeighObj>(map_objects({kHoa, 0}, s, 9)).empty());
}

TEST_CASE("kglue home layout: nested, the HoA on the home tunnel, the home table and HA/128 into the MAP tunnel",
          "[kglue]") {
  const Tags tags = Tags::mnd();
  const MnHomeSettings s = nested();
  auto t = mn_home_tunnel("hmipn0002", kKey, s);
  CHECK(t.local == kRcoa);
  CHECK(t.remote == kHa);
  CHECK(t.link == 0);  // the RCoA lives on the MAP tunnel
  CHECK(t.mtu == 1400);

  auto objs = mn_home_objects(tags, kKey, s, 12, kTable, 5);
  REQUIRE(std::holds_alternative<AddrObj>(objs.front()));  // before the route naming it as source
  auto a = std::get<AddrObj>(objs.front());
  CHECK(a.ifindex == 12);
  CHECK(a.addr == kHoa);
  CHECK(a.prefix_len == 128);
  CHECK(a.home);
  CHECK(a.preferred);
  auto routes = of_type<RouteObj>(objs);
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].table == kTable);
  CHECK(routes[0].dst.len == 0);
  CHECK(routes[0].oif == 12);
  CHECK(routes[0].prefsrc == kHoa);
  CHECK(routes[1].table == kSignal);
  CHECK(routes[1].dst == Ip6Prefix{kHa, 128});
  CHECK(routes[1].oif == 5);  // the via binding's tunnel
  CHECK(routes[1].prefsrc == kRcoa);
  CHECK(routes[1].gateway.is_unspecified());

  auto rules = of_type<RuleObj>(objs);
  REQUIRE(rules.size() == 3);  // nested: no CoA rules (the MAP binding's `from RCoA` rule takes the outer packets)
  const RuleObj* mh = rule_at(rules, kRuleHomeSignal);
  REQUIRE(mh != nullptr);
  CHECK(mh->src == Ip6Prefix{kHoa, 128});
  CHECK(mh->dst == Ip6Prefix{kHa, 128});
  CHECK(mh->ip_proto == 135);
  CHECK(mh->table == kSignal);
  const RuleObj* from = rule_at(rules, kRuleHomeFrom);
  REQUIRE(from != nullptr);
  CHECK(from->src == Ip6Prefix{kHoa, 128});
  CHECK(from->table == kTable);
  const RuleObj* all = rule_at(rules, kRuleHomeAll);
  REQUIRE(all != nullptr);
  CHECK(all->src.len == 0);
  CHECK(all->table == kTable);
  // Between the MAP binding's `from RCoA` and its primary catch-all: the
  // home table wins for new connections, RCoA-sourced traffic still meets
  // the MAP binding's rule first.
  for (const RuleObj& r : rules) {
    CHECK(r.priority > tags.rule_priority_lo + kRuleRcoa);
    CHECK(r.priority < tags.rule_priority_lo + kRulePrimary);
    CHECK(r.priority <= tags.rule_priority_hi);
  }

  auto x = mn_home_xfrm(kKey, s);
  REQUIRE(x.states.size() == 1);
  CHECK(x.states[0].first == RoStateKey{kHoa, kHa, RoProto::hao});
  CHECK(x.states[0].second.coa == kRcoa);
  REQUIRE(x.policies.size() == 1);
  CHECK(x.policies[0].first == PolicyKey{Ip6Prefix{kHoa, 128}, Ip6Prefix{kHa, 128}, 135, PolicyDir::out});
  CHECK(x.policies[0].second.tmpl == RoProto::hao);

  // ProtectTraffic (RFC 4877 §5): ip6ip6 to and from the HA only in ESP,
  // MAIN policies beside charon's (which win where its payload SA exists).
  MnHomeSettings p = s;
  p.protect_traffic = true;
  auto px = mn_home_xfrm(kKey, p);
  REQUIRE(px.policies.size() == 3);
  CHECK(px.policies[1].first == PolicyKey{Ip6Prefix{}, Ip6Prefix{kHa, 128}, 41, PolicyDir::out, true});
  CHECK(px.policies[2].first == PolicyKey{Ip6Prefix{kHa, 128}, Ip6Prefix{}, 41, PolicyDir::in, true});
  CHECK(px.policies[1].second.esp);
  CHECK(px.policies[2].second.esp);
}

TEST_CASE("kglue home layout: plain mode, HA/128 via the router and the CoA's own rules", "[kglue]") {
  const Tags tags = Tags::mnd();
  const MnHomeSettings s = plain();
  CHECK(mn_home_tunnel("x", kKey, s).link == 3);
  CHECK(mn_home_tunnel("x", kKey, s).local == kLcoa);
  auto objs = mn_home_objects(tags, kKey, s, 12, kTable, 0);
  auto routes = of_type<RouteObj>(objs);
  REQUIRE(routes.size() == 3);
  CHECK(routes[1].table == kSignal);
  CHECK(routes[1].dst == Ip6Prefix{kHa, 128});
  CHECK(routes[1].gateway == kRouter);
  CHECK(routes[1].oif == 3);
  CHECK(routes[2].table == kSignal);
  CHECK(routes[2].dst.len == 0);  // the CoA's other traffic: via the current router, never main's stale defaults
  CHECK(routes[2].gateway == kRouter);
  auto rules = of_type<RuleObj>(objs);
  REQUIRE(rule_at(rules, kRuleHomeMainSuppress) != nullptr);
  CHECK(rule_at(rules, kRuleHomeMainSuppress)->suppress_default);
  REQUIRE(rule_at(rules, kRuleHomeCoa) != nullptr);
  CHECK(rule_at(rules, kRuleHomeCoa)->src == Ip6Prefix{kLcoa, 128});
  CHECK(rule_at(rules, kRuleHomeCoa)->table == kSignal);
  CHECK(rule_at(rules, kRuleHomeCoaMain) == nullptr);
  CHECK(mn_home_xfrm(kKey, s).states[0].second.coa == kLcoa);

  // No router (home agent on-link): HA/128 on-link, the CoA's other traffic by main.
  auto onlink = mn_home_objects(tags, kKey, plain(Ip6Addr{}), 12, kTable, 0);
  CHECK(of_type<RouteObj>(onlink).size() == 2);
  const auto onlink_rules = of_type<RuleObj>(onlink);
  REQUIRE(rule_at(onlink_rules, kRuleHomeCoaMain) != nullptr);
  CHECK(rule_at(onlink_rules, kRuleHomeCoaMain)->table == kMainTable);
}

TEST_CASE("kglue home layout: at home, only the address on the home link, without DAD", "[kglue]") {
  auto objs = mn_home_objects(Tags::mnd(), kKey, at_home(), 0, 0, 0);
  REQUIRE(objs.size() == 1);
  auto a = std::get<AddrObj>(objs[0]);
  CHECK(a.ifindex == 4);
  CHECK(a.prefix_len == 64);
  CHECK_FALSE(a.home);
  CHECK(mn_home_xfrm(kKey, at_home()).states.empty());
  CHECK(mn_home_xfrm(kKey, at_home()).policies.empty());

  // Away -> at home is make-before-break: the home-link address is put
  // before anything of the away state is removed.
  auto d = diff_objects(mn_home_objects(Tags::mnd(), kKey, nested(), 12, kTable, 5), objs);
  REQUIRE(d.put.size() == 1);
  CHECK(std::get<AddrObj>(d.put[0].first).ifindex == 4);
  CHECK(d.remove.size() == 6);

  // The address message: nodad at home (the HA defends the address until
  // the deregistration, RFC 6275 §11.5.5); nodad + home away.
  auto flags_of = [](const AddrObj& o) {
    NlMsgPtr m = build_add(o, 204, false);
    REQUIRE(m);
    const auto* ifa = static_cast<const ifaddrmsg*>(nlmsg_data(nlmsg_hdr(m.get())));
    std::uint32_t f = ifa->ifa_flags;
    std::array<nlattr*, IFA_MAX + 1> tb{};
    REQUIRE(nlmsg_parse(nlmsg_hdr(m.get()), sizeof(ifaddrmsg), tb.data(), IFA_MAX, nullptr) == 0);
    if (tb[IFA_FLAGS] != nullptr) f |= nla_get_u32(tb[IFA_FLAGS]);
    return f;
  };
  // Tagged with the protocol (IFA_PROTO), so reconcile() finds the address
  // a crashed run left on the home link.
  {
    NlMsgPtr m = build_add(a, 204, false);
    REQUIRE(m);
    std::array<nlattr*, IFA_MAX + 1> tb{};
    REQUIRE(nlmsg_parse(nlmsg_hdr(m.get()), sizeof(ifaddrmsg), tb.data(), IFA_MAX, nullptr) == 0);
    REQUIRE(tb[IFA_PROTO] != nullptr);
    CHECK(nla_get_u8(tb[IFA_PROTO]) == 204);
  }
  CHECK((flags_of(a) & IFA_F_NODAD) != 0);
  CHECK((flags_of(a) & IFA_F_HOMEADDRESS) == 0);
  const auto away = std::get<AddrObj>(mn_home_objects(Tags::mnd(), kKey, nested(), 12, kTable, 5).front());
  CHECK((flags_of(away) & IFA_F_NODAD) != 0);
  CHECK((flags_of(away) & IFA_F_HOMEADDRESS) != 0);
}

TEST_CASE("kglue home checks: refusals name the field", "[kglue]") {
  CHECK_FALSE(check_mn_home_binding(kKey, nested()).has_value());
  CHECK_FALSE(check_mn_home_binding(kKey, plain()).has_value());
  CHECK_FALSE(check_mn_home_binding(kKey, plain(Ip6Addr{})).has_value());
  CHECK_FALSE(check_mn_home_binding(kKey, at_home()).has_value());
  CHECK(check_mn_home_binding({kHa, kHa}, nested()).has_value());
  CHECK(check_mn_home_binding({Ip6Addr::must("fe80::1"), kHoa}, nested()).has_value());
  auto s = nested();
  s.via->rcoa = kRcoa2;  // the home tunnel must start at the via binding's RCoA
  auto e = check_mn_home_binding(kKey, s);
  REQUIRE(e.has_value());
  CHECK(e->rule.find("RCoA") != std::string_view::npos);
  s = nested();
  s.coa = kHoa;
  CHECK(check_mn_home_binding(kKey, s).has_value());
  auto p = plain();
  p.ifindex = 0;
  CHECK(check_mn_home_binding(kKey, p).has_value());
  p = plain(Ip6Addr::must("ff02::2"));
  CHECK(check_mn_home_binding(kKey, p).has_value());
  auto h = at_home();
  h.prefix_len = 0;
  CHECK(check_mn_home_binding(kKey, h).has_value());
  h = at_home();
  h.ifindex = 0;
  CHECK(check_mn_home_binding(kKey, h).has_value());
}

TEST_CASE("recording dataplane: home bindings, nested via an MN binding, moved, home and back", "[kglue]") {
  RecordingDataplane dp(Tags::mnd());
  // Nested needs its MAP binding.
  auto r = dp.install_mn_home_binding(kKey, nested());
  REQUIRE_FALSE(r.ok());
  CHECK(r.error() == kMnHomeViaMissing);
  CHECK_FALSE(dp.calls().back().ok);

  MnBindingSettings mb;
  mb.lcoa = kLcoa;
  mb.ifindex = 3;
  mb.router = kRouter;
  auto m = dp.install_mn_binding({kMap, kRcoa}, mb);
  REQUIRE(m.ok());
  auto h = dp.install_mn_home_binding(kKey, nested());
  REQUIRE(h.ok());
  CHECK(h->table == m->table + 1);  // one table range for MN and home bindings
  CHECK(h->tunnel != m->tunnel);
  CHECK(dp.tunnel_count() == 2);
  REQUIRE(dp.mn_home_bindings().size() == 1);
  CHECK(dp.mn_home_bindings().at(kKey).settings.coa == kRcoa);
  // An MN binding installed later gets a table the home binding does not hold.
  auto m2 = dp.install_mn_binding({kMap, kRcoa2}, mb);
  REQUIRE(m2.ok());
  CHECK(m2->table != h->table);

  // An inter-MAP move: the same home tunnel (changed in place), same table.
  auto moved = dp.install_mn_home_binding(kKey, nested(kRcoa2));
  REQUIRE(moved.ok());
  CHECK(moved->tunnel == h->tunnel);
  CHECK(moved->tunnel_ifindex == h->tunnel_ifindex);
  CHECK(moved->table == h->table);

  // Plain mode in place, then at home: the tunnel goes, the table is free.
  auto pl = dp.install_mn_home_binding(kKey, plain());
  REQUIRE(pl.ok());
  CHECK(pl->tunnel == h->tunnel);
  auto home = dp.install_mn_home_binding(kKey, at_home());
  REQUIRE(home.ok());
  CHECK(home->tunnel.empty());
  CHECK(home->table == 0);
  CHECK(dp.tunnel_count() == 1);  // the MN bindings' shared tunnel only
  // And away again: a tunnel and a table again.
  auto back = dp.install_mn_home_binding(kKey, nested());
  REQUIRE(back.ok());
  CHECK_FALSE(back->tunnel.empty());
  CHECK(back->table != 0);
  CHECK(dp.tunnel_count() == 2);

  REQUIRE(dp.remove_mn_home_binding(kKey).ok());
  REQUIRE(dp.remove_mn_home_binding(kKey).ok());  // unknown key: no-op
  CHECK(dp.mn_home_bindings().empty());
  CHECK(dp.tunnel_count() == 1);
  CHECK(std::holds_alternative<call::RemoveMnHomeBinding>(dp.calls().back().call));
  const auto& first = std::get<call::InstallMnHomeBinding>(dp.calls()[2].call);
  CHECK(first.key == kKey);
  CHECK(first.settings == nested());

  // Injected failure: nothing changes.
  dp.fail_next(wire::Error{wire::Errc::invalid_field, 17, "injected"});
  CHECK_FALSE(dp.install_mn_home_binding(kKey, nested()).ok());
  CHECK(dp.mn_home_bindings().empty());
  REQUIRE(dp.install_mn_home_binding(kKey, at_home()).ok());
  REQUIRE(dp.flush().ok());
  CHECK(dp.empty());
}

TEST_CASE("recording dataplane: MAP signalling per address (MAP and HA roles in one mapd), replaced on reload",
          "[kglue]") {
  RecordingDataplane dp;
  const auto pfx = *Ip6Prefix::parse("2001:db8:99::/64");
  REQUIRE(dp.install_map_signalling({kMap, {pfx}}).ok());
  REQUIRE(dp.install_map_signalling({kHa, {}}).ok());
  REQUIRE(dp.install_map_signalling({kHa, {pfx}, true}).ok());  // a reload: kHa's settings replaced
  REQUIRE(dp.map_signalling_by_address().size() == 2);
  CHECK(dp.map_signalling_by_address().at(kHa).esp_required_from == std::vector<Ip6Prefix>{pfx});
  CHECK(dp.map_signalling_by_address().at(kHa).esp_required_tunnel);
  CHECK(dp.map_signalling_by_address().at(kMap).esp_required_from == std::vector<Ip6Prefix>{pfx});
  REQUIRE(dp.map_signalling());
  CHECK(dp.map_signalling()->map_address == kMap);
  REQUIRE(dp.flush().ok());
  CHECK(dp.map_signalling_by_address().empty());
  CHECK(dp.empty());
}

TEST_CASE("kglue home layout: secure mode, MH with the HA only in ESP, away and at home", "[kglue]") {
  for (const bool away : {true, false}) {
    MnHomeSettings s = away ? MnHomeSettings{} : at_home();
    if (away) {
      s.coa = kRcoa;
      s.via = MnBindingKey{kMap, kRcoa};
    }
    s.protect_signalling = true;
    const auto x = mn_home_xfrm(kKey, s);
    const auto has = [&](const PolicyKey& want) {
      return std::any_of(x.policies.begin(), x.policies.end(),
                         [&](const auto& p) { return p.first == want && p.second.esp; });
    };
    // Unlike charon's HoA/128 <-> HA/128 selectors: the kernel keys a
    // policy by selector, an identical one would collide with charon's.
    CHECK(has(PolicyKey{Ip6Prefix{}, Ip6Prefix{kHa, 128}, 135, PolicyDir::out, true}));
    CHECK(has(PolicyKey{Ip6Prefix{kHa, 128}, Ip6Prefix{}, 135, PolicyDir::in, true}));
    CHECK(x.policies.size() == (away ? 3U : 2U));
  }
}
