// NetlinkDataplane: construction, tunnels, flush, counters and the MAP side.
// (MN side: netlink_dataplane_mn.cpp; reconcile: netlink_reconcile.cpp.)
#include "hmip/kglue/netlink_dataplane.h"

#include <net/if.h>
#include <netlink/route/link.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <stdexcept>
#include <variant>

#include "binding_layout.h"
#include "dataplane_state.h"
#include "hmip/kglue/binding_checks.h"
#include "hmip/kglue/kernel_names.h"
#include "hmip/kglue/nft_ingress.h"
#include "nl_batch.h"
#include "proc_sysctl.h"
#include "route_lookup.h"
#include "tunnel_pool.h"
#include "xfrm_table.h"

namespace hmip::kglue {

using detail::apply_objects;
using detail::apply_xfrm;
using detail::KObj;
using detail::XfrmSet;

NetlinkDataplane::NetlinkDataplane(Options options) : opt_(std::move(options)) {
  if (auto why = check_tags(opt_.tags); !why.empty()) throw std::invalid_argument(std::string(why));
  sock_ = std::make_unique<detail::RouteSocket>(opt_.socket_buffer);
  xfrm_ = std::make_unique<detail::XfrmTable>(opt_.tags);
  if (!opt_.tags.nft_table.empty()) nft_ = std::make_unique<NftIngress>(opt_.tags);
  sysctl_ = std::make_unique<detail::SysctlSetter>(opt_.proc_sys);
  tunnels_ = std::make_unique<detail::TunnelPool>();
  map_sig_xfrm_ = std::make_unique<XfrmSet>();
  flow_ = std::make_unique<detail::MapFlowState>();
}

NetlinkDataplane::~NetlinkDataplane() {
  if (!keep_) (void)flush();
}

Status NetlinkDataplane::fail(const wire::Error& e, std::string detail) {
  last_error_ = std::move(detail);
  return e;
}

// ---------------------------------------------------------------------------
// Tunnels

wire::Result<int> NetlinkDataplane::create_tunnel(detail::TunnelObj& t) {
  // A name may be taken by something we do not track (another instance with
  // the same prefix, a leftover before reconcile): try the next number. The
  // kernel answers EEXIST for that and also for an ip6tnl with the same
  // (local, remote, link) under another name; the latter is not retried.
  int last = 0;
  for (int attempt = 0; attempt < 64; ++attempt) {
    auto name = tunnel_name(opt_.tags.link_prefix, next_tunnel_++);
    if (!name) {
      next_tunnel_ = 1;
      continue;
    }
    t.name = *name;
    std::vector<detail::NlRequest> batch;
    batch.push_back(detail::NlRequest{detail::build_tunnel_add(t, opt_.tags.link_group), "add ip6tnl " + t.name});
    last = sock_->run(batch).front();
    rtnl_link* link = nullptr;
    if (last == -EEXIST) {
      const bool name_taken = rtnl_link_get_kernel(sock_->get(), 0, t.name.c_str(), &link) >= 0 && link != nullptr;
      if (link != nullptr) rtnl_link_put(link);
      if (name_taken) continue;
      std::string detail;
      const wire::Error e = detail::kernel_error(
          last, "kernel refused creating a binding's ip6tnl device: another tunnel has its endpoints",
          "add ip6tnl " + t.name + " local " + t.local.str() + " remote " + t.remote.str() +
              " (a device hmip does not track has these endpoints)",
          detail);
      last_error_ = detail;
      return e;
    }
    if (last != 0) break;
    const int rc = rtnl_link_get_kernel(sock_->get(), 0, t.name.c_str(), &link);
    if (rc < 0 || link == nullptr) {
      (void)delete_tunnel(0, t.name);
      last = -ENODEV;
      break;
    }
    const int ifindex = rtnl_link_get_ifindex(link);
    rtnl_link_put(link);
    // No link-local address (hence no DAD, MLD or RS through the tunnel):
    // addr_gen_mode none before the device comes up (nl_objects.h).
    std::vector<detail::NlRequest> up;
    up.push_back(detail::NlRequest{detail::build_link_addr_gen_none(ifindex), "set addrgenmode none " + t.name});
    up.push_back(detail::NlRequest{detail::build_link_up(ifindex), "set up " + t.name});
    const std::vector<int> res = sock_->run(up);
    for (std::size_t i = 0; i < res.size(); ++i) {
      if (res[i] == 0) continue;
      (void)delete_tunnel(ifindex, t.name);
      std::string detail;
      const wire::Error e = detail::kernel_error(res[i], "kernel refused configuring a binding's ip6tnl device",
                                                 up[i].what, detail);
      last_error_ = detail;
      return e;
    }
    return ifindex;
  }
  std::string detail;
  const wire::Error e =
      detail::kernel_error(last, "kernel refused creating a binding's ip6tnl device", "add ip6tnl " + t.name, detail);
  last_error_ = detail;
  return e;
}

wire::Result<std::pair<detail::TunnelObj, int>> NetlinkDataplane::acquire_tunnel(detail::TunnelObj want) {
  if (const auto* e = tunnels_->add_user(detail::tunnel_key(want))) return std::pair{e->obj, e->ifindex};
  want.name.clear();
  auto ifindex = create_tunnel(want);
  if (!ifindex) return ifindex.error();
  tunnels_->insert(want, *ifindex);
  return std::pair{want, *ifindex};
}

Status NetlinkDataplane::release_tunnel(const detail::TunnelObj& t) {
  auto last = tunnels_->drop_user(detail::tunnel_key(t));
  if (!last) return wire::Ok{};
  Status st = delete_tunnel(last->ifindex, last->obj.name);
  // Still in the kernel: keep tracking it (flush deletes it, and the next
  // binding through these endpoints joins it instead of meeting EEXIST).
  if (!st) tunnels_->insert(last->obj, last->ifindex, 0);
  return st;
}

wire::Result<detail::TunnelMove> NetlinkDataplane::begin_tunnel_move(const detail::TunnelObj& cur, int cur_ifindex,
                                                                     detail::TunnelObj want) {
  using Move = detail::TunnelPool::Move;
  detail::TunnelMove m;
  const detail::TunnelKey from = detail::tunnel_key(cur);
  const Move plan = tunnels_->plan_move(from, detail::tunnel_key(want));
  if (plan == Move::same || plan == Move::in_place) {
    want.name = cur.name;
    m.obj = cur;
    m.ifindex = cur_ifindex;
    // Same endpoints: only the MTU can differ; a shared device keeps its own.
    const detail::TunnelPool::Entry* e = tunnels_->find(from);
    const bool alone = e != nullptr && e->users == 1;
    if (want == cur || !alone) return m;
    if (Status st = change_tunnel(want, cur_ifindex); !st) return st.error();
    tunnels_->rekey(from, want);
    m.obj = want;
    m.in_place = true;
    return m;
  }
  auto got = acquire_tunnel(want);
  if (!got) return got.error();
  m.obj = got->first;
  m.ifindex = got->second;
  m.acquired = true;
  return m;
}

void NetlinkDataplane::undo_tunnel_move(const detail::TunnelMove& m, const detail::TunnelObj& cur, int cur_ifindex) {
  if (m.in_place) {
    (void)change_tunnel(cur, cur_ifindex);
    tunnels_->rekey(detail::tunnel_key(m.obj), cur);
  }
  if (m.acquired) (void)release_tunnel(m.obj);
}

void NetlinkDataplane::finish_tunnel_move(const detail::TunnelMove& m, const detail::TunnelObj& cur) {
  if (!m.acquired) return;
  // The binding's objects are in the other tunnel now: leave the old one.
  const std::string keep = last_error_;
  if (Status st = release_tunnel(cur); st) last_error_ = keep;
}

std::size_t NetlinkDataplane::tunnel_count() const { return tunnels_->size(); }

Status NetlinkDataplane::change_tunnel(const detail::TunnelObj& t, int ifindex) {
  std::vector<detail::NlRequest> batch;
  batch.push_back(detail::NlRequest{detail::build_tunnel_change(t, ifindex), "change ip6tnl " + t.name});
  const int rc = sock_->run(batch).front();
  if (rc == 0) return wire::Ok{};
  std::string detail;
  const wire::Error e = detail::kernel_error(rc, "kernel refused changing a binding's ip6tnl device endpoints",
                                             batch.front().what + " remote " + t.remote.str(), detail);
  return fail(e, detail);
}

Status NetlinkDataplane::delete_tunnel(int ifindex, const std::string& name) {
  std::vector<detail::NlRequest> batch;
  batch.push_back(detail::NlRequest{detail::build_link_delete(ifindex, name), "delete link " + name});
  const int rc = sock_->run(batch).front();
  if (rc == 0 || rc == -ENODEV) return wire::Ok{};
  std::string detail;
  const wire::Error e = detail::kernel_error(rc, "kernel refused deleting a binding's ip6tnl device",
                                             batch.front().what, detail);
  return fail(e, detail);
}

// ---------------------------------------------------------------------------
// MAP

Status NetlinkDataplane::set_proxy_sysctls(int ifindex) {
  if (ifindex == 0 || proxy_links_done_.count(ifindex) != 0) return wire::Ok{};
  std::array<char, IF_NAMESIZE> buf{};
  if (if_indextoname(static_cast<unsigned>(ifindex), buf.data()) == nullptr) {
    return fail(wire::Error{wire::Errc::invalid_field, static_cast<std::size_t>(ENODEV),
                            "proxy link: no such interface"},
                "proxy link ifindex " + std::to_string(ifindex) + ": no such interface");
  }
  const std::string name(buf.data());
  std::string detail;
  // The kernel answers NS for proxy entries only with forwarding on as well
  // as proxy_ndp, and delays answers by up to proxy_delay (kernel-testbed.md).
  for (const auto& [key, value] :
       {std::pair<std::string, std::string>{"net/ipv6/conf/all/forwarding", "1"},
        {"net/ipv6/conf/" + name + "/forwarding", "1"},
        {"net/ipv6/conf/" + name + "/proxy_ndp", "1"},
        {"net/ipv6/neigh/" + name + "/proxy_delay", "0"}}) {
    if (Status st = sysctl_->set(key, value, detail); !st) return fail(st.error(), detail);
  }
  proxy_links_done_.insert(ifindex);
  return wire::Ok{};
}

Status NetlinkDataplane::ensure_ingress() {
  if (!nft_ || nft_->installed()) return wire::Ok{};
  if (Status st = nft_->install(); !st) return fail(st.error(), nft_->last_error());
  return wire::Ok{};
}

Status NetlinkDataplane::install_map_signalling(const MapSignallingSettings& s) {
  for (const int ifindex : opt_.proxy_links) {
    if (Status st = set_proxy_sysctls(ifindex); !st) return st;
  }
  // The wildcard state and SUB IN policy serve every address; each address
  // adds its own MAIN ESP policies, replaced when its settings change
  // (dataplane.h, MapSignallingSettings).
  if (const auto it = map_signalled_.find(s.map_address); it != map_signalled_.end() && it->second == s)
    return wire::Ok{};
  auto settings = map_signalled_;
  settings.insert_or_assign(s.map_address, s);
  XfrmSet want;
  for (const auto& [addr, one] : settings) {
    const XfrmSet add = detail::map_signalling_xfrm(one);
    for (const auto& st : add.states) {
      if (std::none_of(want.states.begin(), want.states.end(), [&](const auto& x) { return x.first == st.first; }))
        want.states.push_back(st);
    }
    for (const auto& po : add.policies) {
      if (std::none_of(want.policies.begin(), want.policies.end(), [&](const auto& x) { return x.first == po.first; }))
        want.policies.push_back(po);
    }
  }
  std::string detail;
  if (Status st = apply_xfrm(*xfrm_, *map_sig_xfrm_, want, detail); !st) return fail(st.error(), detail);
  *map_sig_xfrm_ = std::move(want);
  map_signalled_ = std::move(settings);
  return wire::Ok{};
}

wire::Result<MapBindingObjects> NetlinkDataplane::install_map_binding(const MapBindingKey& k,
                                                                      const MapBindingSettings& s) {
  if (auto e = check_map_binding(k, s)) return fail(*e, std::string(e->rule)).error();
  if (ba_.count({s.map_address, k.rcoa}) != 0) {
    return fail(wire::Error{wire::Errc::invalid_field, 0, "MAP binding: a BA route holds this RCoA's route2 state"},
                "MAP binding " + k.rcoa.str() + ": remove the BA route first")
        .error();
  }
  if (Status st = set_proxy_sysctls(s.proxy_ifindex); !st) return st.error();
  if (Status st = ensure_ingress(); !st) return st.error();
  // Every install re-lays out the whole address (Multiple CoA: the other
  // bindings' metrics, which one holds the proxy entries and the route2
  // state): netlink_dataplane_mcoa.cpp.
  auto it = map_.find(k);
  if (it != map_.end()) {
    detail::MapState& b = it->second;
    if (b.settings == s) return MapBindingObjects{b.tunnel.name, b.ifindex};
    auto mv = begin_tunnel_move(b.tunnel, b.ifindex, detail::map_tunnel(b.tunnel.name, s));
    if (!mv) return mv.error();
    detail::MapState next = b;
    next.settings = s;
    next.tunnel = mv->obj;
    next.ifindex = mv->ifindex;
    if (Status st = relayout_map_address(k.rcoa, &k, &next); !st) {
      const std::string keep = last_error_;
      undo_tunnel_move(*mv, b.tunnel, b.ifindex);
      last_error_ = keep;
      return st.error();
    }
    finish_tunnel_move(*mv, b.tunnel);
    b = std::move(next);
    return MapBindingObjects{b.tunnel.name, b.ifindex};
  }

  detail::MapState b;
  b.settings = s;
  auto tun = acquire_tunnel(detail::map_tunnel("", s));
  if (!tun) return tun.error();
  b.tunnel = tun->first;
  b.ifindex = tun->second;
  if (Status st = relayout_map_address(k.rcoa, &k, &b); !st) {
    const std::string keep = last_error_;
    (void)release_tunnel(b.tunnel);
    last_error_ = keep;
    return st.error();
  }
  MapBindingObjects o{b.tunnel.name, b.ifindex};
  map_.emplace(k, std::move(b));
  return o;
}

Status NetlinkDataplane::remove_map_state(detail::MapState& b) {
  std::string detail;
  Status result = apply_xfrm(*xfrm_, b.xfrm, XfrmSet{}, detail);
  if (!result) last_error_ = detail;
  if (Status st = apply_objects(*sock_, opt_.tags.route_protocol, b.objects, {}, detail); !st && result) {
    result = fail(st.error(), detail);
  }
  if (Status st = release_tunnel(b.tunnel); !st && result) result = st;
  return result;
}

Status NetlinkDataplane::remove_map_binding(const MapBindingKey& k) {
  auto it = map_.find(k);
  if (it == map_.end()) return wire::Ok{};
  // The others of the address move up (metrics, proxy entries, route2
  // state) in the same diff that deletes this one's objects.
  Status st = relayout_map_address(k.rcoa, &k, nullptr);
  if (st) {
    st = release_tunnel(it->second.tunnel);
  } else {
    // Could not re-lay out: delete this binding's own objects at least
    // (the address's others keep theirs).
    const std::string keep = last_error_;
    (void)remove_map_state(it->second);
    last_error_ = keep;
  }
  map_.erase(it);
  return st;
}

namespace {

/// Whether another BA route than `self` holds objects for `rcoa` (then the
/// RCoA's route in the BA table is theirs too: only the rule is per entry).
template <class Map, class It>
bool rcoa_route_shared(const Map& ba, It self, const Ip6Addr& rcoa) {
  for (auto it = ba.begin(); it != ba.end(); ++it) {
    if (it != self && it->first.second == rcoa && !it->second.objects.empty()) return true;
  }
  return false;
}

std::vector<KObj> rules_only(const std::vector<KObj>& objs) {
  std::vector<KObj> v;
  for (const KObj& o : objs)
    if (std::holds_alternative<detail::RuleObj>(o)) v.push_back(o);
  return v;
}

}  // namespace

Status NetlinkDataplane::install_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa) {
  if (auto e = check_ba_route(map_address, rcoa, lcoa)) return fail(*e, std::string(e->rule));
  XfrmSet x = detail::ba_xfrm(map_address, rcoa, lcoa);
  std::string detail;
  // A BA to another CoA than the bound one (a refused move, a 135 from a
  // new LCoA): the binding's own route2 state is re-pointed for this one BA
  // and restored by remove_ba_route() (only one route2 state per (MAP,
  // RCoA) can exist); the binding's route carries the BA to the RCoA.
  // map_ is ordered by RCoA first: the bindings of this RCoA are one range.
  for (auto it = map_.lower_bound(MapBindingKey{rcoa, 0}); it != map_.end() && it->first.rcoa == rcoa; ++it) {
    const MapBindingKey& k = it->first;
    detail::MapState& b = it->second;
    // The binding holding the address's route2 state (its top-ranked one).
    if (b.settings.map_address != map_address || b.xfrm.states.empty()) continue;
    if (Status st = apply_xfrm(*xfrm_, b.xfrm, x, detail); !st) return fail(st.error(), detail);
    auto& cur = ba_[{map_address, rcoa}];
    cur.xfrm = std::move(x);
    cur.borrowed_from = k;
    return wire::Ok{};
  }
  const auto key = std::pair{map_address, rcoa};
  const bool fresh = ba_.count(key) == 0;
  auto self = ba_.try_emplace(key).first;
  detail::BaState& cur = self->second;
  // Without a route to the RCoA the kernel refuses the BA before the
  // route2 state is consulted (ENETUNREACH, issue 13 item 6): a route
  // toward the LCoA in the BA table, for the MAP's MH to the RCoA only.
  std::vector<KObj> objs;
  if (cur.objects.empty()) {
    auto hop = detail::lookup_route(*sock_, lcoa, map_address, detail);
    if (!hop) {
      if (fresh) ba_.erase(self);
      return fail(hop.error(), "BA to " + rcoa.str() + " via " + lcoa.str() + ": " + detail);
    }
    objs = detail::ba_objects(opt_.tags, map_address, rcoa, hop->oif, hop->gateway);
    const std::vector<KObj> add = rcoa_route_shared(ba_, self, rcoa) ? rules_only(objs) : objs;
    if (Status st = apply_objects(*sock_, opt_.tags.route_protocol, {}, add, detail); !st) {
      if (fresh) ba_.erase(self);
      return fail(st.error(), detail);
    }
  }
  if (Status st = apply_xfrm(*xfrm_, cur.xfrm, x, detail); !st) {
    if (!objs.empty()) {
      std::string ignored;
      const std::vector<KObj> del = rcoa_route_shared(ba_, self, rcoa) ? rules_only(objs) : objs;
      (void)apply_objects(*sock_, opt_.tags.route_protocol, del, {}, ignored);
    }
    if (cur.xfrm.states.empty()) {
      ba_.erase(self);
    } else if (!objs.empty()) {
      cur.objects.clear();
    }
    return fail(st.error(), detail);
  }
  cur.xfrm = std::move(x);
  if (!objs.empty()) cur.objects = std::move(objs);
  return wire::Ok{};
}

Status NetlinkDataplane::remove_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa) {
  auto it = ba_.find({map_address, rcoa});
  if (it == ba_.end()) return wire::Ok{};
  std::string detail;
  XfrmSet back;  // nothing, or the address's own state and policy again
  if (it->second.borrowed_from) {
    // The binding holding them now (Multiple CoA: the top-ranked one may
    // have changed since the BA borrowed them).
    for (auto b = map_.lower_bound(MapBindingKey{rcoa, 0}); b != map_.end() && b->first.rcoa == rcoa; ++b) {
      if (b->second.settings.map_address == map_address && !b->second.xfrm.states.empty()) back = b->second.xfrm;
    }
  }
  Status st = apply_xfrm(*xfrm_, it->second.xfrm, back, detail);
  if (!st) last_error_ = detail;
  if (!it->second.objects.empty()) {
    const std::vector<KObj>& objs = it->second.objects;
    const std::vector<KObj> del = rcoa_route_shared(ba_, it, rcoa) ? rules_only(objs) : objs;
    std::string obj_detail;
    if (Status o = apply_objects(*sock_, opt_.tags.route_protocol, del, {}, obj_detail); !o && st) {
      st = o;
      detail = obj_detail;
    }
  }
  ba_.erase(it);
  if (!st) return fail(st.error(), detail);
  return wire::Ok{};
}

Status NetlinkDataplane::refresh_proxies(int ifindex) {
  std::vector<detail::NlRequest> batch;
  for (const auto& [k, b] : map_) {
    for (const KObj& o : b.objects) {
      const auto* n = std::get_if<detail::NeighObj>(&o);
      if (n != nullptr && n->ifindex == ifindex) {
        batch.push_back(detail::NlRequest{detail::build_add(o, opt_.tags.route_protocol, true), detail::describe(o)});
      }
    }
  }
  if (batch.empty()) return wire::Ok{};
  const std::vector<int> res = sock_->run(batch);
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (res[i] != 0) {
      std::string detail;
      const wire::Error e = detail::kernel_error(res[i], "kernel refused re-adding a proxy neighbour entry",
                                                 "add " + batch[i].what, detail);
      return fail(e, detail);
    }
  }
  return wire::Ok{};
}

// ---------------------------------------------------------------------------

Status NetlinkDataplane::delete_all_tunnels() {
  if (tunnels_->size() == 0) return wire::Ok{};
  std::vector<detail::NlRequest> batch;
  if (opt_.tags.link_group != 0) {
    // One request for every device: the kernel unregisters them together.
    batch.push_back(detail::NlRequest{detail::build_group_delete(opt_.tags.link_group),
                                      "delete link group " + std::to_string(opt_.tags.link_group)});
    if (sock_->run(batch).front() == 0) {
      tunnels_->clear();
      return wire::Ok{};
    }
    batch.clear();  // e.g. a device in the group the kernel cannot delete: one by one
  }
  for (const auto& [key, e] : tunnels_->all()) {
    batch.push_back(detail::NlRequest{detail::build_link_delete(e.ifindex, e.obj.name), "delete link " + e.obj.name});
  }
  tunnels_->clear();
  const std::vector<int> res = sock_->run(batch);
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (res[i] == 0 || res[i] == -ENODEV) continue;
    std::string detail;
    const wire::Error e =
        detail::kernel_error(res[i], "kernel refused deleting a binding's ip6tnl device", batch[i].what, detail);
    return fail(e, detail);
  }
  return wire::Ok{};
}

Status NetlinkDataplane::flush() {
  Status result = wire::Ok{};
  auto keep_first = [&](Status st) {
    if (!st && result) result = st;
  };
  // Batched (issue 13 item 16: 2000 bindings took 131 s one by one): first
  // every object that does not go with the tunnels (proxy entries, rules,
  // routes via the physical link) in one rtnetlink batch; routes and
  // addresses on the tunnels go with them; then the tunnels in one group
  // delete; then the XFRM states and policies.
  std::set<int> tunnel_links;
  for (const auto& [key, e] : tunnels_->all()) tunnel_links.insert(e.ifindex);
  auto goes_with_tunnel = [&](const KObj& o) {
    if (const auto* r = std::get_if<detail::RouteObj>(&o)) return tunnel_links.count(r->oif) != 0;
    if (const auto* a = std::get_if<detail::AddrObj>(&o)) return tunnel_links.count(a->ifindex) != 0;
    return false;
  };
  std::vector<detail::NlRequest> batch;
  auto add_deletes = [&](const std::vector<KObj>& objs) {
    for (auto it = objs.rbegin(); it != objs.rend(); ++it) {
      if (goes_with_tunnel(*it)) continue;
      batch.push_back(detail::NlRequest{detail::build_delete(*it, opt_.tags.route_protocol), detail::describe(*it)});
    }
  };
  for (const auto& [k, h] : home_) add_deletes(h.objects);
  for (const auto& [k, b] : mn_) add_deletes(b.objects);
  for (const auto& [k, b] : map_) add_deletes(b.objects);
  for (const auto& [k, b] : ba_) add_deletes(b.objects);  // a shared RCoA route twice: ESRCH, skipped
  add_deletes(flow_->rules);  // the flow tables' routes are on the tunnels
  if (!batch.empty()) {
    const std::vector<int> res = sock_->run(batch);
    for (std::size_t i = 0; i < res.size(); ++i) {
      const int r = res[i];
      if (r == 0 || r == -ENOENT || r == -ESRCH || r == -EADDRNOTAVAIL || r == -ENODEV) continue;
      std::string detail;
      keep_first(fail(detail::kernel_error(r, "kernel refused deleting a binding's route, address, rule or proxy entry",
                                           "delete " + batch[i].what, detail),
                      detail));
    }
  }
  // Every state and policy of this instance (the bindings', the BA routes'
  // and the signalling ones) before the tunnels, as a binding's removal
  // does: nothing cached for them may outlive the devices.
  if (Status st = xfrm_->flush(); !st) keep_first(fail(st.error(), xfrm_->last_error()));
  keep_first(delete_all_tunnels());
  mn_.clear();
  map_.clear();
  ba_.clear();
  map_signalled_.clear();
  *map_sig_xfrm_ = XfrmSet{};
  *flow_ = detail::MapFlowState{};
  home_.clear();
  mn_signalling_ = false;
  if (nft_) keep_first(nft_->remove());
  sysctl_->restore();
  proxy_links_done_.clear();
  return result;
}

DataplaneCounters NetlinkDataplane::counters() {
  DataplaneCounters c;
  if (!nft_ || !nft_->installed()) return c;
  auto n = nft_->counter();
  if (n) {
    c.ingress_dropped_packets = n->packets;
    c.ingress_dropped_bytes = n->bytes;
  }
  return c;
}

}  // namespace hmip::kglue
