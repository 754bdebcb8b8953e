// NetlinkDataplane::adopt_map_bindings(): a restarted mapd takes over the
// complete MAP bindings a previous run (killed, crashed) left in the kernel
// instead of deleting them, so that traffic to their RCoAs goes on through
// the restart (issue 13 item 13). Read-only towards the kernel except for
// the ingress check's one nftables transaction and the proxy sysctls the
// previous run set (set again, recorded for flush()); what is found is mirrored
// exactly as install_map_binding() would have mirrored it, so updates,
// removal, flush and reconcile() treat it like any binding.
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ip6tnl.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>

#include <cstring>
#include <map>
#include <set>
#include <variant>

#include "binding_layout.h"
#include "dataplane_state.h"
#include "hmip/kglue/kernel_names.h"
#include "hmip/kglue/netlink_dataplane.h"
#include "nl_dump.h"
#include "tunnel_pool.h"
#include "xfrm_table.h"

namespace hmip::kglue {

using detail::KObj;

namespace {

Ip6Addr from_in6(const in6_addr& a) {
  Ip6Addr r;
  std::memcpy(r.b.data(), &a, 16);
  return r;
}

}  // namespace

// A leftover tunnel: tagged name, ip6tnl, no underlying link (a MAP's).
std::map<int, detail::TunnelObj> NetlinkDataplane::leftover_map_tunnels() {
  std::map<int, detail::TunnelObj> found;
  nl_cache* raw = nullptr;
  if (rtnl_link_alloc_cache(sock_->get(), AF_UNSPEC, &raw) < 0) return found;
  detail::CachePtr cache(raw);
  std::set<int> ours;
  for (const auto& [key, e] : tunnels_->all()) ours.insert(e.ifindex);
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* link = reinterpret_cast<rtnl_link*>(o);  // NOLINT: libnl's object model
    const char* name = rtnl_link_get_name(link);
    const char* type = rtnl_link_get_type(link);
    const int ifindex = rtnl_link_get_ifindex(link);
    if (name == nullptr || type == nullptr || std::strcmp(type, "ip6tnl") != 0) continue;
    if (!tunnel_number(opt_.tags.link_prefix, name) || ours.count(ifindex) != 0) continue;
    if (rtnl_link_ip6_tnl_get_proto(link) != IPPROTO_IPV6 || rtnl_link_ip6_tnl_get_link(link) != 0) continue;
    in6_addr local{};
    in6_addr remote{};
    if (rtnl_link_ip6_tnl_get_local(link, &local) < 0 || rtnl_link_ip6_tnl_get_remote(link, &remote) < 0) continue;
    detail::TunnelObj t{name, from_in6(local), from_in6(remote), 0, rtnl_link_get_mtu(link)};
    if (t.local.is_unspecified() || t.remote.is_unspecified()) continue;
    found.emplace(ifindex, std::move(t));
  }
  return found;
}

wire::Result<std::vector<AdoptedMapBinding>> NetlinkDataplane::adopt_map_bindings() {
  std::vector<AdoptedMapBinding> out;
  const std::map<int, detail::TunnelObj> tunnels = leftover_map_tunnels();
  if (tunnels.empty()) return out;

  // RCoA/128 routes of this daemon's protocol in main, each into one of
  // them. Multiple CoA leftovers (several routes of one RCoA into several
  // tunnels): the lowest metric (the top-ranked binding's) is adopted as
  // the address's bid-0 binding; reconcile() removes the others.
  std::map<Ip6Addr, std::pair<int, std::uint32_t>> routed;  // RCoA -> (tunnel ifindex, metric)
  {
    nl_cache* raw = nullptr;
    if (const int rc = rtnl_route_alloc_cache(sock_->get(), AF_INET6, 0, &raw); rc < 0) {
      return fail(wire::Error{wire::Errc::invalid_field, static_cast<std::size_t>(-rc), "route dump failed"},
                  std::string("route dump: ") + nl_geterror(rc))
          .error();
    }
    detail::CachePtr cache(raw);
    for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
      auto* route = reinterpret_cast<rtnl_route*>(o);  // NOLINT: libnl's object model
      if (rtnl_route_get_protocol(route) != opt_.tags.route_protocol || rtnl_route_get_table(route) != detail::kMainTable)
        continue;
      nl_addr* dst = rtnl_route_get_dst(route);
      if (dst == nullptr || nl_addr_get_prefixlen(dst) != 128 || rtnl_route_get_nnexthops(route) != 1) continue;
      const int oif = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, 0));
      if (tunnels.count(oif) == 0) continue;
      const std::uint32_t metric = rtnl_route_get_priority(route);
      auto [it, fresh] = routed.try_emplace(detail::to_ip6(dst), oif, metric);
      if (!fresh && metric < it->second.second) it->second = {oif, metric};
    }
  }
  if (routed.empty()) return out;

  std::vector<detail::NeighObj> proxies;
  std::string error;
  if (const int rc = detail::dump_proxies(*sock_, proxies, error); rc < 0) {
    return fail(wire::Error{wire::Errc::invalid_field, static_cast<std::size_t>(-rc), "proxy neighbour dump failed"},
                error)
        .error();
  }
  std::map<Ip6Addr, int> proxied;  // RCoA -> link (the first entry if several)
  std::set<std::pair<Ip6Addr, int>> all_proxies;
  for (const auto& n : proxies) {
    proxied.emplace(n.addr, n.ifindex);
    all_proxies.emplace(n.addr, n.ifindex);
  }
  auto x = xfrm_->find_leftovers();
  if (!x) return fail(x.error(), xfrm_->last_error()).error();

  for (const auto& [rcoa, where] : routed) {
    const int ifindex = where.first;
    const MapBindingKey k{rcoa, 0};
    if (map_.count(k) != 0) continue;
    const detail::TunnelObj& t = tunnels.at(ifindex);
    // Complete: the BA/BRR route2 state points at the tunnel's LCoA and its
    // policy is there (a run killed in the middle of a move is not).
    MapBindingSettings s{t.local, t.remote, 0, t.mtu};
    if (auto p = proxied.find(rcoa); p != proxied.end()) {
      s.proxy_ifindex = p->second;
      // A home binding with the L flag: the link-local twin on the same link.
      s.link_local_proxy = all_proxies.count({wire::link_local_of(rcoa), p->second}) != 0;
    }
    detail::XfrmSet want = detail::ba_xfrm(s.map_address, rcoa, s.lcoa);
    bool complete = true;
    for (const auto& [key, settings] : want.states) {
      auto it = x->states.find(key);
      complete = complete && it != x->states.end() && it->second == settings;
    }
    for (const auto& [key, settings] : want.policies) {
      auto it = x->policies.find(key);
      complete = complete && it != x->policies.end() && it->second == settings;
    }
    if (!complete) continue;

    detail::MapState b;
    b.settings = s;
    b.tunnel = t;
    b.ifindex = ifindex;
    // As install_map_binding() lays a lone binding out, with the metric
    // the route has (a run that died while re-ranking may have left it
    // above 1024: the next update of the binding puts it back).
    const detail::MapAddressLayout layout =
        detail::map_address_layout(rcoa, {detail::MapBindingView{0, &s, ifindex}}, flow_->tables);
    b.objects = layout.objects.front();
    for (KObj& o : b.objects) {
      if (auto* r = std::get_if<detail::RouteObj>(&o); r != nullptr && r->table == detail::kMainTable) {
        r->metric = where.second;
      }
    }
    b.xfrm = std::move(want);
    if (tunnels_->add_user(detail::tunnel_key(t)) == nullptr) tunnels_->insert(t, ifindex);
    for (const auto& [key, settings] : b.xfrm.states) xfrm_->adopt_state(key, settings);
    for (const auto& [key, settings] : b.xfrm.policies) xfrm_->adopt_policy(key, settings);
    // The previous run set these; recorded so that flush() restores them.
    (void)set_proxy_sysctls(s.proxy_ifindex);
    if (auto n = tunnel_number(opt_.tags.link_prefix, t.name); n && *n >= next_tunnel_) next_tunnel_ = *n + 1;
    out.push_back(AdoptedMapBinding{k, s, MapBindingObjects{t.name, ifindex}});
    map_.emplace(k, std::move(b));
  }
  // The ingress check again, in one transaction (add, flush, add chain and
  // rules): never a moment without it for the adopted tunnels.
  if (!out.empty()) {
    if (Status st = ensure_ingress(); !st) return st.error();
  }
  return out;
}

}  // namespace hmip::kglue
