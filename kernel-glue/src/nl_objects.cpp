#include "nl_objects.h"

#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/ip6_tunnel.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <netlink/addr.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ip6tnl.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include <cstring>

namespace hmip::kglue::detail {
namespace {

template <class T, void (*Put)(T*)>
struct Putter {
  void operator()(T* p) const noexcept { Put(p); }
};
using AddrPtr = std::unique_ptr<rtnl_addr, Putter<rtnl_addr, rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, Putter<rtnl_route, rtnl_route_put>>;
using RulePtr = std::unique_ptr<rtnl_rule, Putter<rtnl_rule, rtnl_rule_put>>;
using NeighPtr = std::unique_ptr<rtnl_neigh, Putter<rtnl_neigh, rtnl_neigh_put>>;
using LinkPtr = std::unique_ptr<rtnl_link, Putter<rtnl_link, rtnl_link_put>>;

constexpr std::uint32_t kForever = 0xffffffffU;

// Takes the message a libnl build call wrote through `m` (read here, after
// the call: the call and *m are both arguments, in unspecified order).
NlMsgPtr take(int rc, nl_msg* const* m) {
  NlMsgPtr p(*m);
  if (rc < 0) return nullptr;
  return p;
}

AddrPtr make_addr(const AddrObj& a) {
  AddrPtr p(rtnl_addr_alloc());
  NlAddrPtr local = nl_addr6(a.addr, a.prefix_len);
  if (!p || !local) return nullptr;
  rtnl_addr_set_family(p.get(), AF_INET6);
  rtnl_addr_set_ifindex(p.get(), a.ifindex);
  if (rtnl_addr_set_local(p.get(), local.get()) < 0) return nullptr;
  rtnl_addr_set_prefixlen(p.get(), a.prefix_len);
  rtnl_addr_set_flags(p.get(), IFA_F_NODAD | (a.home ? IFA_F_HOMEADDRESS : 0U));
  rtnl_addr_set_valid_lifetime(p.get(), kForever);
  rtnl_addr_set_preferred_lifetime(p.get(), a.preferred ? kForever : 0U);
  return p;
}

RoutePtr make_route(const RouteObj& r, std::uint8_t protocol) {
  RoutePtr p(rtnl_route_alloc());
  NlAddrPtr dst = nl_addr6(r.dst.addr, r.dst.len);
  if (!p || !dst) return nullptr;
  rtnl_route_set_family(p.get(), AF_INET6);
  rtnl_route_set_table(p.get(), r.table);
  rtnl_route_set_protocol(p.get(), protocol);
  rtnl_route_set_type(p.get(), RTN_UNICAST);
  rtnl_route_set_scope(p.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_priority(p.get(), r.metric);
  if (rtnl_route_set_dst(p.get(), dst.get()) < 0) return nullptr;
  if (!r.prefsrc.is_unspecified()) {
    NlAddrPtr src = nl_addr6(r.prefsrc);
    if (!src || rtnl_route_set_pref_src(p.get(), src.get()) < 0) return nullptr;
  }
  rtnl_nexthop* nh = rtnl_route_nh_alloc();
  if (nh == nullptr) return nullptr;
  rtnl_route_nh_set_ifindex(nh, r.oif);
  if (!r.gateway.is_unspecified()) {
    NlAddrPtr gw = nl_addr6(r.gateway);
    if (!gw) {
      rtnl_route_nh_free(nh);
      return nullptr;
    }
    rtnl_route_nh_set_gateway(nh, gw.get());
  }
  rtnl_route_add_nexthop(p.get(), nh);  // the route owns nh from here
  return p;
}

RulePtr make_rule(const RuleObj& r, std::uint8_t protocol) {
  RulePtr p(rtnl_rule_alloc());
  if (!p) return nullptr;
  rtnl_rule_set_family(p.get(), AF_INET6);
  rtnl_rule_set_prio(p.get(), r.priority);
  rtnl_rule_set_table(p.get(), r.table);
  rtnl_rule_set_action(p.get(), FR_ACT_TO_TBL);
  if (rtnl_rule_set_protocol(p.get(), protocol) < 0) return nullptr;
  if (r.src.len > 0) {
    NlAddrPtr src = nl_addr6(r.src.addr, r.src.len);
    if (!src || rtnl_rule_set_src(p.get(), src.get()) < 0) return nullptr;
  }
  if (r.dst.len > 0) {
    NlAddrPtr dst = nl_addr6(r.dst.addr, r.dst.len);
    if (!dst || rtnl_rule_set_dst(p.get(), dst.get()) < 0) return nullptr;
  }
  if (r.ip_proto != 0 && rtnl_rule_set_ipproto(p.get(), r.ip_proto) < 0) return nullptr;
  if (r.dsfield != 0) rtnl_rule_set_dsfield(p.get(), r.dsfield);
  return p;
}

/// libnl 3.7 has no setters for FRA_SUPPRESS_PREFIXLEN and the port
/// ranges: append them.
NlMsgPtr with_suppress(NlMsgPtr m, const RuleObj& r) {
  if (!m) return m;
  if (r.suppress_default && nla_put_u32(m.get(), FRA_SUPPRESS_PREFIXLEN, 0) < 0) return nullptr;
  auto range = [&](int type, std::uint16_t lo, std::uint16_t hi) {
    if (lo == 0 && hi == 0) return true;
    const fib_rule_port_range pr{lo, hi};
    return nla_put(m.get(), type, sizeof(pr), &pr) >= 0;
  };
  if (!range(FRA_SPORT_RANGE, r.sport_lo, r.sport_hi) || !range(FRA_DPORT_RANGE, r.dport_lo, r.dport_hi)) {
    return nullptr;
  }
  return m;
}

NeighPtr make_neigh(const NeighObj& n) {
  NeighPtr p(rtnl_neigh_alloc());
  NlAddrPtr dst = nl_addr6(n.addr);
  if (!p || !dst) return nullptr;
  rtnl_neigh_set_family(p.get(), AF_INET6);
  rtnl_neigh_set_ifindex(p.get(), n.ifindex);
  if (rtnl_neigh_set_dst(p.get(), dst.get()) < 0) return nullptr;
  rtnl_neigh_set_flags(p.get(), NTF_PROXY);
  return p;
}

LinkPtr make_tunnel(const TunnelObj& t, bool with_name, bool up) {
  LinkPtr p(rtnl_link_ip6_tnl_alloc());
  if (!p) return nullptr;
  // Not in a change: an IFLA_IFNAME on an up device is a rename, refused
  // with EBUSY even when the name is the same (dev_change_name).
  if (with_name) rtnl_link_set_name(p.get(), t.name.c_str());
  in6_addr local{};
  in6_addr remote{};
  std::memcpy(local.s6_addr, t.local.b.data(), 16);
  std::memcpy(remote.s6_addr, t.remote.b.data(), 16);
  if (rtnl_link_ip6_tnl_set_local(p.get(), &local) < 0 || rtnl_link_ip6_tnl_set_remote(p.get(), &remote) < 0 ||
      rtnl_link_ip6_tnl_set_link(p.get(), static_cast<std::uint32_t>(t.link)) < 0 ||
      rtnl_link_ip6_tnl_set_flags(p.get(), IP6_TNL_F_IGN_ENCAP_LIMIT) < 0 ||
      rtnl_link_ip6_tnl_set_proto(p.get(), IPPROTO_IPV6) < 0 || rtnl_link_ip6_tnl_set_ttl(p.get(), 64) < 0) {
    return nullptr;
  }
  if (t.mtu != 0) rtnl_link_set_mtu(p.get(), t.mtu);
  if (up) rtnl_link_set_flags(p.get(), IFF_UP);
  return p;
}

}  // namespace

void NlMsgFree::operator()(nl_msg* m) const noexcept { nlmsg_free(m); }
void NlAddrFree::operator()(nl_addr* a) const noexcept { nl_addr_put(a); }

NlAddrPtr nl_addr6(const Ip6Addr& a, int prefix_len) {
  NlAddrPtr p(nl_addr_build(AF_INET6, a.b.data(), a.b.size()));
  if (p) nl_addr_set_prefixlen(p.get(), prefix_len);
  return p;
}

bool same_key(const KObj& a, const KObj& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<AddrObj>(&a)) {
    const auto& y = std::get<AddrObj>(b);
    return x->ifindex == y.ifindex && x->addr == y.addr;
  }
  if (const auto* x = std::get_if<RouteObj>(&a)) {
    const auto& y = std::get<RouteObj>(b);
    return x->table == y.table && x->dst == y.dst && x->metric == y.metric;
  }
  return a == b;
}

bool replaceable(const KObj& o) { return std::holds_alternative<AddrObj>(o) || std::holds_alternative<RouteObj>(o); }

std::string describe(const KObj& o) {
  if (const auto* a = std::get_if<AddrObj>(&o)) {
    return "address " + a->addr.str() + "/" + std::to_string(a->prefix_len) + " dev " + std::to_string(a->ifindex) +
           (a->home ? " home" : "") + (a->preferred ? "" : " deprecated");
  }
  if (const auto* r = std::get_if<RouteObj>(&o)) {
    std::string s = "route " + r->dst.str() + " table " + std::to_string(r->table);
    if (!r->gateway.is_unspecified()) s += " via " + r->gateway.str();
    s += " dev " + std::to_string(r->oif);
    if (!r->prefsrc.is_unspecified()) s += " src " + r->prefsrc.str();
    if (r->metric != kRouteMetricDefault) s += " metric " + std::to_string(r->metric);
    return s;
  }
  if (const auto* r = std::get_if<RuleObj>(&o)) {
    std::string s = "rule " + std::to_string(r->priority);
    s += r->src.len > 0 ? " from " + r->src.str() : std::string(" from all");
    if (r->dst.len > 0) s += " to " + r->dst.str();
    if (r->ip_proto != 0) s += " ipproto " + std::to_string(r->ip_proto);
    if (r->sport_lo != 0) s += " sport " + std::to_string(r->sport_lo) + "-" + std::to_string(r->sport_hi);
    if (r->dport_lo != 0) s += " dport " + std::to_string(r->dport_lo) + "-" + std::to_string(r->dport_hi);
    if (r->dsfield != 0) s += " tos " + std::to_string(r->dsfield);
    s += " lookup " + std::to_string(r->table);
    if (r->suppress_default) s += " suppress_prefixlength 0";
    return s;
  }
  const auto& n = std::get<NeighObj>(o);
  return "proxy " + n.addr.str() + " dev " + std::to_string(n.ifindex);
}

NlMsgPtr build_add(const KObj& o, std::uint8_t protocol, bool replace) {
  nl_msg* m = nullptr;
  const int create = NLM_F_CREATE | (replace ? NLM_F_REPLACE : 0);
  if (const auto* a = std::get_if<AddrObj>(&o)) {
    auto p = make_addr(*a);
    if (!p) return nullptr;
    // CREATE|REPLACE: new address, or modify the lifetimes/flags in place.
    NlMsgPtr msg = take(rtnl_addr_build_add_request(p.get(), NLM_F_CREATE | NLM_F_REPLACE, &m), &m);
    // Tagged with the daemon's protocol (IFA_PROTO, Linux 6.1; libnl 3.7
    // has no setter), so reconcile() finds an address a crashed run left
    // outside its tunnels (the MN's home address at home).
    if (msg && nla_put_u8(msg.get(), IFA_PROTO, protocol) < 0) return nullptr;
    return msg;
  }
  if (const auto* r = std::get_if<RouteObj>(&o)) {
    auto p = make_route(*r, protocol);
    if (!p) return nullptr;
    return take(rtnl_route_build_add_request(p.get(), replace ? create : (NLM_F_CREATE | NLM_F_EXCL), &m), &m);
  }
  if (const auto* r = std::get_if<RuleObj>(&o)) {
    auto p = make_rule(*r, protocol);
    if (!p) return nullptr;
    // No NLM_F_EXCL: two bindings may need the same rule (same LCoA); the
    // kernel then holds it twice and each delete removes one copy.
    return with_suppress(take(rtnl_rule_build_add_request(p.get(), NLM_F_CREATE, &m), &m), *r);
  }
  auto p = make_neigh(std::get<NeighObj>(o));
  if (!p) return nullptr;
  return take(rtnl_neigh_build_add_request(p.get(), NLM_F_CREATE | NLM_F_REPLACE, &m), &m);
}

NlMsgPtr build_delete(const KObj& o, std::uint8_t protocol) {
  nl_msg* m = nullptr;
  if (const auto* a = std::get_if<AddrObj>(&o)) {
    auto p = make_addr(*a);
    if (!p) return nullptr;
    return take(rtnl_addr_build_delete_request(p.get(), 0, &m), &m);
  }
  if (const auto* r = std::get_if<RouteObj>(&o)) {
    auto p = make_route(*r, protocol);
    if (!p) return nullptr;
    return take(rtnl_route_build_del_request(p.get(), 0, &m), &m);
  }
  if (const auto* r = std::get_if<RuleObj>(&o)) {
    auto p = make_rule(*r, protocol);
    if (!p) return nullptr;
    return with_suppress(take(rtnl_rule_build_delete_request(p.get(), 0, &m), &m), *r);
  }
  auto p = make_neigh(std::get<NeighObj>(o));
  if (!p) return nullptr;
  return take(rtnl_neigh_build_delete_request(p.get(), 0, &m), &m);
}

NlMsgPtr build_tunnel_add(const TunnelObj& t, std::uint32_t group) {
  auto p = make_tunnel(t, true, false);
  if (!p) return nullptr;
  if (group != 0) rtnl_link_set_group(p.get(), group);
  nl_msg* m = nullptr;
  return take(rtnl_link_build_add_request(p.get(), NLM_F_CREATE | NLM_F_EXCL, &m), &m);
}

NlMsgPtr build_tunnel_change(const TunnelObj& t, int ifindex) {
  auto p = make_tunnel(t, false, true);
  if (!p) return nullptr;
  rtnl_link_set_ifindex(p.get(), ifindex);
  nl_msg* m = nullptr;
  return take(rtnl_link_build_add_request(p.get(), 0, &m), &m);
}

namespace {
/// A bare RTM_NEWLINK (no create) for `ifindex`, IPv6-agnostic family.
NlMsgPtr link_message(int ifindex, unsigned flags, unsigned change) {
  NlMsgPtr m(nlmsg_alloc_simple(RTM_NEWLINK, 0));
  if (!m) return nullptr;
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = ifindex;
  ifi.ifi_flags = flags;
  ifi.ifi_change = change;
  if (nlmsg_append(m.get(), &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0) return nullptr;
  return m;
}
}  // namespace

NlMsgPtr build_link_addr_gen_none(int ifindex) {
  NlMsgPtr m = link_message(ifindex, 0, 0);
  if (!m) return nullptr;
  nlattr* af = nla_nest_start(m.get(), IFLA_AF_SPEC);
  if (af == nullptr) return nullptr;
  nlattr* in6 = nla_nest_start(m.get(), AF_INET6);
  if (in6 == nullptr || nla_put_u8(m.get(), IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE) < 0) return nullptr;
  nla_nest_end(m.get(), in6);
  nla_nest_end(m.get(), af);
  return m;
}

NlMsgPtr build_link_up(int ifindex) { return link_message(ifindex, IFF_UP, IFF_UP); }

NlMsgPtr build_group_delete(std::uint32_t group) {
  if (group == 0) return nullptr;  // group 0 holds every ordinary device
  NlMsgPtr m(nlmsg_alloc_simple(RTM_DELLINK, 0));
  if (!m) return nullptr;
  ifinfomsg ifi{};
  ifi.ifi_family = AF_UNSPEC;
  if (nlmsg_append(m.get(), &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 || nla_put_u32(m.get(), IFLA_GROUP, group) < 0) {
    return nullptr;
  }
  return m;
}

NlMsgPtr build_link_delete(int ifindex, const std::string& name) {
  LinkPtr p(rtnl_link_alloc());
  if (!p) return nullptr;
  rtnl_link_set_ifindex(p.get(), ifindex);
  if (ifindex == 0) rtnl_link_set_name(p.get(), name.c_str());
  nl_msg* m = nullptr;
  return take(rtnl_link_build_delete_request(p.get(), &m), &m);
}

}  // namespace hmip::kglue::detail
