// NetlinkDataplane::reconcile(): removing the tagged objects a previous run
// (crashed, killed) left behind and adopt_map_bindings() did not take over
// (netlink_adopt.cpp), and nothing else.
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/route/rule.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "binding_layout.h"
#include "dataplane_state.h"
#include "hmip/kglue/kernel_names.h"
#include "hmip/kglue/netlink_dataplane.h"
#include "hmip/kglue/nft_ingress.h"
#include "nl_batch.h"
#include "nl_dump.h"
#include "tunnel_pool.h"
#include "xfrm_table.h"

namespace hmip::kglue {

using detail::CachePtr;
using detail::to_ip6;

void NetlinkDataplane::reconcile_links(ReconcileReport& r) {
  nl_cache* raw = nullptr;
  if (rtnl_link_alloc_cache(sock_->get(), AF_UNSPEC, &raw) < 0) return;
  CachePtr cache(raw);
  std::set<int> ours;
  for (const auto& [key, e] : tunnels_->all()) ours.insert(e.ifindex);
  std::vector<std::pair<int, std::string>> doomed;
  std::vector<std::string> in_group;
  // With nothing installed yet (a start) the leftovers in the tag group go
  // in one group delete: one round of the kernel's RCU waits, not one each.
  const bool group_delete = opt_.tags.link_group != 0 && ours.empty();
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* link = reinterpret_cast<rtnl_link*>(o);  // NOLINT: libnl's object model
    const char* name = rtnl_link_get_name(link);
    const int ifindex = rtnl_link_get_ifindex(link);
    if (name == nullptr || !tunnel_number(opt_.tags.link_prefix, name) || ours.count(ifindex) != 0) continue;
    if (group_delete && rtnl_link_get_group(link) == opt_.tags.link_group) {
      in_group.emplace_back(name);
    } else {
      doomed.emplace_back(ifindex, name);
    }
  }
  std::vector<detail::NlRequest> batch;
  if (!in_group.empty()) {
    batch.push_back(detail::NlRequest{detail::build_group_delete(opt_.tags.link_group), "group"});
    if (sock_->run(batch).front() == 0) {
      for (const auto& name : in_group) r.removed.push_back("link " + name);
    } else {
      // Back to one by one (names only: ifindex 0 looks the device up by name).
      for (const auto& name : in_group) doomed.emplace_back(0, name);
    }
    batch.clear();
  }
  for (const auto& [ifindex, name] : doomed) {
    batch.push_back(detail::NlRequest{detail::build_link_delete(ifindex, name), "link " + name});
  }
  if (batch.empty()) return;
  const std::vector<int> res = sock_->run(batch);
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (res[i] == 0) r.removed.push_back(batch[i].what);
  }
}

void NetlinkDataplane::reconcile_routes(ReconcileReport& r, std::set<Ip6Addr>& leftover_rcoas) {
  nl_cache* raw = nullptr;
  if (rtnl_route_alloc_cache(sock_->get(), AF_INET6, 0, &raw) < 0) return;
  CachePtr cache(raw);
  std::vector<detail::KObj> ours;
  for (const auto& [k, b] : map_) ours.insert(ours.end(), b.objects.begin(), b.objects.end());
  for (const auto& [k, b] : mn_) ours.insert(ours.end(), b.objects.begin(), b.objects.end());
  for (const auto& [k, h] : home_) ours.insert(ours.end(), h.objects.begin(), h.objects.end());
  std::vector<detail::KObj> doomed;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* route = reinterpret_cast<rtnl_route*>(o);  // NOLINT: libnl's object model
    if (rtnl_route_get_protocol(route) != opt_.tags.route_protocol) continue;
    nl_addr* dst = rtnl_route_get_dst(route);
    detail::RouteObj ro;
    ro.table = rtnl_route_get_table(route);
    ro.dst = Ip6Prefix::of(to_ip6(dst), static_cast<std::uint8_t>(dst != nullptr ? nl_addr_get_prefixlen(dst) : 0));
    if (rtnl_route_get_nnexthops(route) > 0) ro.oif = rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(route, 0));
    ro.metric = rtnl_route_get_priority(route);
    const bool tracked = std::any_of(ours.begin(), ours.end(), [&](const detail::KObj& x) {
      return detail::same_key(x, detail::KObj{ro});
    });
    if (tracked) continue;
    // A binding's RCoA route is in main; a BA route's (mapd's BA table)
    // names an RCoA that never had a proxy entry of ours.
    // (A home agent's binding may also have had the L flag's link-local
    // entry: its twin goes too.)
    if (ro.dst.len == 128 && ro.table == detail::kMainTable) {
      leftover_rcoas.insert(ro.dst.addr);
      leftover_rcoas.insert(wire::link_local_of(ro.dst.addr));
    }
    doomed.emplace_back(ro);
  }
  if (doomed.empty()) return;
  std::vector<detail::NlRequest> batch;
  batch.reserve(doomed.size());
  for (const auto& o : doomed) batch.push_back({detail::build_delete(o, opt_.tags.route_protocol), detail::describe(o)});
  const std::vector<int> res = sock_->run(batch);
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (res[i] == 0 || res[i] == -ESRCH || res[i] == -ENOENT) r.removed.push_back(batch[i].what);
  }
}

void NetlinkDataplane::reconcile_rules(ReconcileReport& r) {
  nl_cache* raw = nullptr;
  if (rtnl_rule_alloc_cache(sock_->get(), AF_INET6, &raw) < 0) return;
  CachePtr cache(raw);
  std::vector<detail::KObj> ours;
  for (const auto& [k, b] : mn_) ours.insert(ours.end(), b.objects.begin(), b.objects.end());
  for (const auto& [k, h] : home_) ours.insert(ours.end(), h.objects.begin(), h.objects.end());
  ours.insert(ours.end(), flow_->rules.begin(), flow_->rules.end());
  // Each tracked rule matches as many kernel copies as it is tracked
  // (rules are added without NLM_F_EXCL: flow policies installed before
  // reconcile() over a previous run's identical ones are there twice).
  std::vector<bool> matched(ours.size(), false);
  std::vector<detail::NlRequest> batch;
  for (nl_object* o = nl_cache_get_first(cache.get()); o != nullptr; o = nl_cache_get_next(o)) {
    auto* rule = reinterpret_cast<rtnl_rule*>(o);  // NOLINT: libnl's object model
    std::uint8_t proto = 0;
    if (rtnl_rule_get_protocol(rule, &proto) < 0 || proto != opt_.tags.route_protocol) continue;
    detail::RuleObj ro;
    ro.priority = rtnl_rule_get_prio(rule);
    ro.table = rtnl_rule_get_table(rule);
    if (nl_addr* src = rtnl_rule_get_src(rule); src != nullptr) {
      ro.src = Ip6Prefix::of(to_ip6(src), static_cast<std::uint8_t>(nl_addr_get_prefixlen(src)));
    }
    // libnl 3.7 does not parse FRA_SUPPRESS_PREFIXLEN; the kernel's delete
    // then matches on priority, table, source and protocol, which is enough.
    bool tracked = false;
    for (std::size_t i = 0; i < ours.size() && !tracked; ++i) {
      const auto* y = std::get_if<detail::RuleObj>(&ours[i]);
      tracked = !matched[i] && y != nullptr && y->priority == ro.priority && y->table == ro.table && y->src == ro.src;
      if (tracked) matched[i] = true;
    }
    if (tracked) continue;
    batch.push_back({detail::build_delete(detail::KObj{ro}, opt_.tags.route_protocol), detail::describe(ro)});
  }
  if (batch.empty()) return;
  const std::vector<int> res = sock_->run(batch);
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (res[i] == 0) r.removed.push_back(batch[i].what);
  }
}

Status NetlinkDataplane::reconcile_proxies(ReconcileReport& r, const std::set<Ip6Addr>& leftover_rcoas) {
  std::vector<detail::NeighObj> proxies;
  std::string error;
  if (const int rc = detail::dump_proxies(*sock_, proxies, error); rc < 0) {
    return fail(wire::Error{wire::Errc::invalid_field, static_cast<std::size_t>(-rc), "proxy neighbour dump failed"},
                error);
  }
  std::vector<detail::NlRequest> batch;
  for (const detail::NeighObj& n : proxies) {
    bool tracked = false;
    for (const auto& [k, b] : map_) {
      tracked = tracked || std::find(b.objects.begin(), b.objects.end(), detail::KObj{n}) != b.objects.end();
    }
    if (tracked) continue;
    const bool in_prefix = std::any_of(opt_.rcoa_prefixes.begin(), opt_.rcoa_prefixes.end(),
                                       [&](const Ip6Prefix& p) { return p.contains(n.addr); });
    if (!in_prefix && leftover_rcoas.count(n.addr) == 0) continue;
    batch.push_back({detail::build_delete(detail::KObj{n}, opt_.tags.route_protocol), detail::describe(n)});
  }
  if (batch.empty()) return wire::Ok{};
  const std::vector<int> res = sock_->run(batch);
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (res[i] == 0) r.removed.push_back(batch[i].what);
  }
  return wire::Ok{};
}

void NetlinkDataplane::reconcile_addrs(ReconcileReport& r) {
  // The addresses on leftover tunnels went with them (reconcile_links runs
  // first); what is left tagged and untracked is e.g. a home address at home.
  std::vector<detail::AddrObj> tagged;
  std::string error;
  if (detail::dump_tagged_addrs(*sock_, opt_.tags.route_protocol, tagged, error) < 0) return;
  std::vector<detail::NlRequest> batch;
  for (const detail::AddrObj& a : tagged) {
    bool tracked = false;
    auto mine = [&](const std::vector<detail::KObj>& objs) {
      for (const auto& o : objs)
        tracked = tracked || detail::same_key(o, detail::KObj{a});
    };
    for (const auto& [k, b] : mn_) mine(b.objects);
    for (const auto& [k, h] : home_) mine(h.objects);
    if (tracked) continue;
    batch.push_back({detail::build_delete(detail::KObj{a}, opt_.tags.route_protocol), detail::describe(a)});
  }
  if (batch.empty()) return;
  const std::vector<int> res = sock_->run(batch);
  for (std::size_t i = 0; i < res.size(); ++i) {
    if (res[i] == 0) r.removed.push_back(batch[i].what);
  }
}

wire::Result<ReconcileReport> NetlinkDataplane::reconcile() {
  ReconcileReport r;
  std::set<Ip6Addr> leftover_rcoas;
  // Routes before links: a leftover RCoA/128 route names the RCoA whose
  // proxy entry is also a leftover; deleting the link would drop the route.
  reconcile_routes(r, leftover_rcoas);
  reconcile_rules(r);
  reconcile_links(r);
  reconcile_addrs(r);
  if (Status st = reconcile_proxies(r, leftover_rcoas); !st) return st.error();
  if (nft_ && !nft_->installed() && nft_->exists()) {
    if (Status st = nft_->remove_any(); !st) return fail(st.error(), nft_->last_error()).error();
    r.removed.push_back("nftables table inet " + opt_.tags.nft_table);
  }
  auto x = xfrm_->remove_leftovers();
  if (!x) return fail(x.error(), xfrm_->last_error()).error();
  r.removed.insert(r.removed.end(), x->begin(), x->end());
  return r;
}

}  // namespace hmip::kglue
