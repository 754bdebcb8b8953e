#include "binding_layout.h"

#include <algorithm>
#include <set>
#include <variant>

namespace hmip::kglue::detail {
namespace {

Ip6Prefix host(const Ip6Addr& a) { return Ip6Prefix{a, 128}; }
const Ip6Prefix kAny{};
constexpr std::uint8_t kIpProtoIpv6 = 41;  // IPPROTO_IPV6: the ip6ip6 tunnels' packets

RuleObj rule(std::uint32_t priority, const Ip6Prefix& src, std::uint32_t table, bool suppress_default) {
  RuleObj r;
  r.priority = priority;
  r.src = src;
  r.table = table;
  r.suppress_default = suppress_default;
  return r;
}

}  // namespace

TunnelObj map_tunnel(const std::string& name, const MapBindingSettings& s) {
  return TunnelObj{name, s.map_address, s.lcoa, 0, s.tunnel_mtu};
}

std::vector<KObj> map_objects(const MapBindingKey& k, const MapBindingSettings& s, int tunnel_ifindex) {
  std::vector<KObj> v;
  v.emplace_back(RouteObj{kMainTable, host(k.rcoa), tunnel_ifindex, Ip6Addr{}, Ip6Addr{}});
  if (s.proxy_ifindex != 0) v.emplace_back(NeighObj{s.proxy_ifindex, k.rcoa});
  if (s.proxy_ifindex != 0 && s.link_local_proxy) v.emplace_back(NeighObj{s.proxy_ifindex, wire::link_local_of(k.rcoa)});
  return v;
}

MapAddressLayout map_address_layout(const Ip6Addr& rcoa, const std::vector<MapBindingView>& bindings,
                                    const std::map<std::uint16_t, std::uint32_t>& flow_tables) {
  MapAddressLayout out;
  out.objects.resize(bindings.size());
  out.xfrm.resize(bindings.size());
  out.rank_order.resize(bindings.size());
  for (std::size_t i = 0; i < bindings.size(); ++i) out.rank_order[i] = i;
  std::sort(out.rank_order.begin(), out.rank_order.end(), [&](std::size_t a, std::size_t b) {
    return map_ranks_above(bindings[a].settings->rank, bindings[a].bid, bindings[b].settings->rank, bindings[b].bid);
  });
  std::vector<NeighObj> proxies;
  std::vector<Ip6Addr> signalled;  // MAP addresses whose route2 state is placed
  std::uint32_t metric = kMapMetricBase;
  for (const std::size_t i : out.rank_order) {
    const MapBindingView& b = bindings[i];
    const MapBindingSettings& s = *b.settings;
    std::vector<KObj>& v = out.objects[i];
    RouteObj main{kMainTable, host(rcoa), b.tunnel_ifindex, Ip6Addr{}, Ip6Addr{}};
    main.metric = metric++;
    v.emplace_back(main);
    if (auto t = flow_tables.find(b.bid); t != flow_tables.end() && b.bid != 0) {
      v.emplace_back(RouteObj{t->second, host(rcoa), b.tunnel_ifindex, Ip6Addr{}, Ip6Addr{}});
    }
    for (const KObj& o : map_objects(MapBindingKey{rcoa, b.bid}, s, b.tunnel_ifindex)) {
      const auto* n = std::get_if<NeighObj>(&o);
      if (n == nullptr || std::find(proxies.begin(), proxies.end(), *n) != proxies.end()) continue;
      proxies.push_back(*n);
      v.push_back(o);
    }
    if (std::find(signalled.begin(), signalled.end(), s.map_address) == signalled.end()) {
      signalled.push_back(s.map_address);
      out.xfrm[i] = ba_xfrm(s.map_address, rcoa, s.lcoa);
    }
  }
  return out;
}

std::vector<KObj> map_flow_rules(const Tags& tags, const std::vector<MapFlowPolicy>& policies,
                                 const std::map<std::uint16_t, std::uint32_t>& flow_tables) {
  std::vector<KObj> v;
  std::uint32_t prio = tags.rule_priority_lo + 1;
  for (const MapFlowPolicy& f : policies) {
    RuleObj r;
    r.priority = prio++;
    if (f.from) r.src = *f.from;
    if (f.to) r.dst = *f.to;
    r.table = flow_tables.at(f.bid);
    r.ip_proto = f.ip_proto;
    r.sport_lo = f.sport_lo;
    r.sport_hi = f.sport_hi;
    r.dport_lo = f.dport_lo;
    r.dport_hi = f.dport_hi;
    if (f.dscp) r.dsfield = static_cast<std::uint8_t>(*f.dscp << 2U);
    v.emplace_back(r);
  }
  return v;
}

std::optional<std::map<std::uint16_t, std::uint32_t>> map_flow_tables(
    const Tags& tags, const std::vector<MapFlowPolicy>& policies,
    const std::map<std::uint16_t, std::uint32_t>& current) {
  std::map<std::uint16_t, std::uint32_t> out;
  std::set<std::uint32_t> used;
  for (const MapFlowPolicy& f : policies) {
    if (auto it = current.find(f.bid); it != current.end()) {
      out.emplace(f.bid, it->second);
      used.insert(it->second);
    }
  }
  // Tables of BIDs no longer named stay out of reach until their routes are
  // gone (the caller installs the union first).
  for (const auto& [bid, table] : current) used.insert(table);
  std::uint32_t next = tags.table_lo + 1;
  for (const MapFlowPolicy& f : policies) {
    if (out.count(f.bid) != 0) continue;
    while (used.count(next) != 0) ++next;
    if (tags.table_hi == 0 || next > tags.table_hi) return std::nullopt;
    out.emplace(f.bid, next);
    used.insert(next);
  }
  return out;
}

XfrmSet ba_xfrm(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa) {
  XfrmSet x;
  x.states.emplace_back(RoStateKey{map_address, rcoa, RoProto::route2}, RoStateSettings{lcoa, false});
  x.policies.emplace_back(PolicyKey{host(map_address), host(rcoa), 135, PolicyDir::out},
                          PolicySettings{RoProto::route2, map_address, rcoa});
  return x;
}

std::vector<KObj> ba_objects(const Tags& tags, const Ip6Addr& map_address, const Ip6Addr& rcoa, int oif,
                             const Ip6Addr& gateway) {
  std::vector<KObj> v;
  if (tags.table_hi == 0 || tags.rule_priority_hi == 0) return v;
  v.emplace_back(RouteObj{tags.table_lo, host(rcoa), oif, gateway, Ip6Addr{}});
  RuleObj r = rule(tags.rule_priority_lo, host(map_address), tags.table_lo, false);
  r.dst = host(rcoa);
  r.ip_proto = 135;  // IPPROTO_MH
  v.emplace_back(r);
  return v;
}

XfrmSet map_signalling_xfrm(const MapSignallingSettings& s) {
  XfrmSet x;
  x.states.emplace_back(RoStateKey{Ip6Addr{}, Ip6Addr{}, RoProto::hao}, RoStateSettings{Ip6Addr{}, true});
  x.policies.emplace_back(PolicyKey{kAny, kAny, 135, PolicyDir::in}, PolicySettings{RoProto::hao, Ip6Addr{}, Ip6Addr{}});
  for (const auto& p : s.esp_required_from)
    x.policies.emplace_back(PolicyKey{p, host(s.map_address), 135, PolicyDir::in, true},
                            PolicySettings{RoProto::hao, Ip6Addr{}, Ip6Addr{}, true});
  if (s.esp_required_tunnel) {
    x.policies.emplace_back(PolicyKey{kAny, host(s.map_address), kIpProtoIpv6, PolicyDir::in, true},
                            PolicySettings{RoProto::hao, Ip6Addr{}, Ip6Addr{}, true});
    x.policies.emplace_back(PolicyKey{host(s.map_address), kAny, kIpProtoIpv6, PolicyDir::out, true},
                            PolicySettings{RoProto::hao, Ip6Addr{}, Ip6Addr{}, true});
  }
  return x;
}

TunnelObj mn_tunnel(const std::string& name, const MnBindingKey& k, const MnBindingSettings& s) {
  return TunnelObj{name, s.lcoa, k.map_address, s.ifindex, s.tunnel_mtu};
}

std::uint32_t mn_table_count(const Tags& tags) {
  return tags.table_hi < tags.table_lo ? 0 : (tags.table_hi - tags.table_lo + 1) / 2;
}

std::uint32_t mn_lcoa_table(const Tags& tags, std::uint32_t table) { return table + mn_table_count(tags); }

std::vector<KObj> mn_objects(const Tags& tags, const MnBindingKey& k, const MnBindingSettings& s, int tunnel_ifindex,
                             std::uint32_t table) {
  const std::uint32_t p = tags.rule_priority_lo;
  const std::uint32_t lcoa_table = mn_lcoa_table(tags, table);
  std::vector<KObj> v;
  // The address first: the default route below names it as source.
  v.emplace_back(AddrObj{tunnel_ifindex, k.rcoa, 128, true, s.primary});
  v.emplace_back(RouteObj{table, host(k.map_address), s.ifindex, s.router, Ip6Addr{}});
  v.emplace_back(RouteObj{table, kAny, tunnel_ifindex, Ip6Addr{}, k.rcoa});
  // Without a router (an MAP on the MN's own link, tests) main decides.
  const bool via_router = !s.router.is_unspecified();
  if (via_router) v.emplace_back(RouteObj{lcoa_table, kAny, s.ifindex, s.router, Ip6Addr{}});
  // LCoA-sourced traffic goes out directly, through the current router;
  // link-local and on-link stay in main (its routes other than the
  // default); RCoA-sourced traffic goes through the tunnel; new
  // connections too, if this binding is primary.
  //
  // LCoA-sourced packets must never depend on main's default routes: those
  // learned from RAs outlive a move (the kernel keeps every old router's
  // until its lifetime ends, and takes one whose neighbour entry is merely
  // INCOMPLETE as usable: measured ~3 s of packets queued and then dropped
  // per router left behind). So the packets to the MAP (the tunnel's outer
  // packets, the BU) use this binding's host route via the current router
  // (the table with its default, the tunnel, suppressed), and the rest (IKE
  // with another MAP after an inter-MAP move, RFC 5380 §8's packets) the
  // LCoA table's default via the same router (issue 13 item 1: the
  // IKE_SA_INIT to the new MAP went to the router of the link left behind).
  v.emplace_back(rule(p + kRuleLcoaSignal, host(s.lcoa), table, true));
  v.emplace_back(rule(p + kRuleMainSuppress, kAny, kMainTable, true));
  v.emplace_back(rule(p + kRuleLcoa, host(s.lcoa), via_router ? lcoa_table : kMainTable, false));
  // Multiple CoA flows (issue 15): among the `from LCoA` rules (disjoint
  // sources, so their order does not matter), after the on-link
  // suppression, before `from RCoA`.
  for (const auto& f : mn_flow_rules(k, s)) {
    RuleObj r = rule(p + kRuleLcoa, host(k.rcoa), table, false);
    r.dst = f.to.value_or(kAny);
    r.ip_proto = f.ip_proto;
    r.sport_lo = f.sport_lo;
    r.sport_hi = f.sport_hi;
    r.dport_lo = f.dport_lo;
    r.dport_hi = f.dport_hi;
    r.dsfield = f.dscp ? static_cast<std::uint8_t>(*f.dscp << 2) : 0;
    v.emplace_back(r);
  }
  // Only the binding carrying the RCoA's own packets (one per RCoA).
  if (s.signalling) v.emplace_back(rule(p + kRuleRcoa, host(k.rcoa), table, false));
  if (s.primary) v.emplace_back(rule(p + kRulePrimary, kAny, table, false));
  return v;
}

std::vector<MnFlowRule> mn_flow_rules(const MnBindingKey& k, const MnBindingSettings& s) {
  std::vector<MnFlowRule> out;
  for (const auto& f : s.flows) {
    // The rule always matches from the RCoA: a From that does not contain
    // it matches nothing on this node.
    if (f.from && !f.from->contains(k.rcoa)) continue;
    if (std::find(out.begin(), out.end(), f) == out.end()) out.push_back(f);
  }
  return out;
}

XfrmSet mn_xfrm(const MnBindingKey& k, const MnBindingSettings& s) {
  XfrmSet x;
  if (!s.signalling) return x;
  x.states.emplace_back(RoStateKey{k.rcoa, k.map_address, RoProto::hao}, RoStateSettings{s.lcoa, false});
  x.policies.emplace_back(PolicyKey{host(k.rcoa), host(k.map_address), 135, PolicyDir::out},
                          PolicySettings{RoProto::hao, k.rcoa, k.map_address});
  return x;
}

XfrmSet mn_signalling_xfrm() {
  XfrmSet x;
  x.states.emplace_back(RoStateKey{Ip6Addr{}, Ip6Addr{}, RoProto::route2}, RoStateSettings{Ip6Addr{}, true});
  x.policies.emplace_back(PolicyKey{kAny, kAny, 135, PolicyDir::in},
                          PolicySettings{RoProto::route2, Ip6Addr{}, Ip6Addr{}});
  return x;
}

TunnelObj mn_home_tunnel(const std::string& name, const MnHomeKey& k, const MnHomeSettings& s) {
  return TunnelObj{name, s.coa, k.home_agent, s.via ? 0 : s.ifindex, s.tunnel_mtu};
}

TunnelObj mn_home_extra_tunnel(const std::string& name, const MnHomeKey& k, const MnHomeCoa& c) {
  return TunnelObj{name, c.coa, k.home_agent, c.ifindex, c.tunnel_mtu};
}

std::vector<KObj> mn_home_objects(const Tags& tags, const MnHomeKey& k, const MnHomeSettings& s, int tunnel_ifindex,
                                  std::uint32_t table, int via_ifindex) {
  std::vector<KObj> v;
  if (s.mode == MnHomeMode::at_home) {
    // An ordinary address on the home link, without DAD (RFC 6275 §11.5.5):
    // the node puts it there BEFORE its deregistration, which leaves from
    // it, while the home agent still defends it by proxy ND: DAD would
    // fail (and a tentative address cannot send the BU). Uniqueness is
    // the home agent's business (its DAD at the first registration).
    v.emplace_back(AddrObj{s.ifindex, k.home_address, s.prefix_len, false, true});
    return v;
  }
  const std::uint32_t p = tags.rule_priority_lo;
  const std::uint32_t signal = mn_lcoa_table(tags, table);
  const bool via_router = !s.router.is_unspecified();
  // The address first: the default route below names it as source.
  v.emplace_back(AddrObj{tunnel_ifindex, k.home_address, 128, true, true});
  v.emplace_back(RouteObj{table, kAny, tunnel_ifindex, Ip6Addr{}, k.home_address});
  // The way to the home agent outside the home tunnel: the home BU's own
  // route (its hao state then sends it from the CoA) and, in plain mode,
  // the tunnel's outer packets (nested, the MAP binding's `from RCoA` rule
  // already takes those into the MAP tunnel).
  if (s.via) {
    v.emplace_back(RouteObj{signal, host(k.home_agent), via_ifindex, Ip6Addr{}, s.coa});
  } else {
    v.emplace_back(RouteObj{signal, host(k.home_agent), s.ifindex, s.router, Ip6Addr{}});
    // The CoA's own traffic goes out directly, through the current router
    // (never main's defaults, which outlive a move: mn_objects).
    if (via_router) v.emplace_back(RouteObj{signal, kAny, s.ifindex, s.router, Ip6Addr{}});
    v.emplace_back(rule(p + kRuleHomeMainSuppress, kAny, kMainTable, true));
    v.emplace_back(rule(p + kRuleHomeCoa, host(s.coa), signal, false));
    if (!via_router) v.emplace_back(rule(p + kRuleHomeCoaMain, host(s.coa), kMainTable, false));
  }
  RuleObj mh = rule(p + kRuleHomeSignal, host(k.home_address), signal, false);
  mh.dst = host(k.home_agent);
  mh.ip_proto = 135;  // IPPROTO_MH
  v.emplace_back(mh);
  v.emplace_back(rule(p + kRuleHomeFrom, host(k.home_address), table, false));
  v.emplace_back(rule(p + kRuleHomeAll, kAny, table, false));
  return v;
}

XfrmSet mn_home_xfrm(const MnHomeKey& k, const MnHomeSettings& s) {
  XfrmSet x;
  if (s.protect_signalling) {
    // Selectors unlike charon's /128-/128 ones (the kernel keys a policy
    // by selector, not priority: an identical one would collide).
    x.policies.emplace_back(PolicyKey{kAny, host(k.home_agent), 135, PolicyDir::out, true},
                            PolicySettings{RoProto::hao, Ip6Addr{}, Ip6Addr{}, true});
    x.policies.emplace_back(PolicyKey{host(k.home_agent), kAny, 135, PolicyDir::in, true},
                            PolicySettings{RoProto::hao, Ip6Addr{}, Ip6Addr{}, true});
  }
  if (s.mode == MnHomeMode::at_home) return x;
  x.states.emplace_back(RoStateKey{k.home_address, k.home_agent, RoProto::hao}, RoStateSettings{s.coa, false});
  x.policies.emplace_back(PolicyKey{host(k.home_address), host(k.home_agent), 135, PolicyDir::out},
                          PolicySettings{RoProto::hao, k.home_address, k.home_agent});
  if (s.protect_traffic) {
    x.policies.emplace_back(PolicyKey{kAny, host(k.home_agent), kIpProtoIpv6, PolicyDir::out, true},
                            PolicySettings{RoProto::hao, Ip6Addr{}, Ip6Addr{}, true});
    x.policies.emplace_back(PolicyKey{host(k.home_agent), kAny, kIpProtoIpv6, PolicyDir::in, true},
                            PolicySettings{RoProto::hao, Ip6Addr{}, Ip6Addr{}, true});
  }
  return x;
}

}  // namespace hmip::kglue::detail
