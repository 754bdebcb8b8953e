// NetlinkDataplane: the MN side (mnd).
#include <set>

#include "binding_layout.h"
#include "dataplane_state.h"
#include "hmip/kglue/binding_checks.h"
#include "hmip/kglue/netlink_dataplane.h"
#include "nl_batch.h"
#include "xfrm_table.h"

namespace hmip::kglue {

using detail::apply_objects;
using detail::apply_xfrm;
using detail::KObj;
using detail::XfrmSet;

namespace {

/// Multiple CoA: the other binding of (map, rcoa) holding the signalling
/// state (the `from RCoA` rule, the hao state) that `k` takes over.
template <class Map>
auto signalling_sibling(Map& mn, const MnBindingKey& k, const MnBindingSettings& s) {
  if (!s.signalling) return mn.end();
  for (auto it = mn.begin(); it != mn.end(); ++it)
    if (it->first.map_address == k.map_address && it->first.rcoa == k.rcoa && it->first.bid != k.bid &&
        it->second.settings.signalling)
      return it;
  return mn.end();
}

}  // namespace

Status NetlinkDataplane::install_mn_signalling(const MnSignallingSettings& /*s*/) {
  if (mn_signalling_) return wire::Ok{};
  std::string detail;
  if (Status st = apply_xfrm(*xfrm_, XfrmSet{}, detail::mn_signalling_xfrm(), detail); !st) return fail(st.error(), detail);
  mn_signalling_ = true;
  return wire::Ok{};
}

wire::Result<MnBindingObjects> NetlinkDataplane::install_mn_binding(const MnBindingKey& k,
                                                                    const MnBindingSettings& s) {
  if (auto e = check_mn_binding(k, s)) return fail(*e, std::string(e->rule)).error();
  if (opt_.tags.rule_priority_hi == 0 || opt_.tags.table_hi == 0) {
    return fail(wire::Error{wire::Errc::invalid_field, 0, "MN binding: the tags have no rule or table range"},
                "MN binding: these tags (" + opt_.tags.link_prefix + ") are not an MN's")
        .error();
  }
  std::string detail;
  // Make-before-break (dataplane.h, MnBindingSettings::signalling): the
  // new holder's rule and its hao state (an update in place of the same
  // key) go in first; then the sibling's own `from RCoA` rule goes and its
  // record forgets the XFRM objects it no longer owns.
  const auto sibling = signalling_sibling(mn_, k, s);
  const auto strip_sibling = [&]() {
    if (sibling == mn_.end()) return;
    detail::MnState& o = sibling->second;
    MnBindingSettings os = o.settings;
    os.signalling = false;
    std::vector<KObj> objs = detail::mn_objects(opt_.tags, sibling->first, os, o.ifindex, o.table);
    std::string why;
    if (Status st = apply_objects(*sock_, opt_.tags.route_protocol, o.objects, objs, why); !st) last_error_ = why;
    o.objects = std::move(objs);
    o.xfrm = detail::mn_xfrm(sibling->first, os);
    o.settings = os;
  };
  auto it = mn_.find(k);
  if (it != mn_.end()) {
    detail::MnState& b = it->second;
    if (b.settings == s) return MnBindingObjects{b.tunnel.name, b.ifindex, b.table};
    auto mv = begin_tunnel_move(b.tunnel, b.ifindex, detail::mn_tunnel(b.tunnel.name, k, s));
    if (!mv) return mv.error();
    std::vector<KObj> objs = detail::mn_objects(opt_.tags, k, s, mv->ifindex, b.table);
    XfrmSet x = detail::mn_xfrm(k, s);
    Status st = apply_objects(*sock_, opt_.tags.route_protocol, b.objects, objs, detail);
    if (st) {
      st = apply_xfrm(*xfrm_, b.xfrm, x, detail);
      if (!st) (void)apply_objects(*sock_, opt_.tags.route_protocol, objs, b.objects, last_error_);
    }
    if (!st) {
      undo_tunnel_move(*mv, b.tunnel, b.ifindex);
      return fail(st.error(), detail).error();
    }
    finish_tunnel_move(*mv, b.tunnel);
    b.settings = s;
    b.tunnel = mv->obj;
    b.ifindex = mv->ifindex;
    b.objects = std::move(objs);
    b.xfrm = std::move(x);
    strip_sibling();
    repoint_home_bindings(k);
    return MnBindingObjects{b.tunnel.name, b.ifindex, b.table};
  }

  auto table = allocate_mn_table("MN binding " + k.rcoa.str());
  if (!table) return table.error();
  detail::MnState b;
  b.settings = s;
  b.table = *table;
  auto tun = acquire_tunnel(detail::mn_tunnel("", k, s));
  if (!tun) return tun.error();
  b.tunnel = tun->first;
  b.ifindex = tun->second;
  b.objects = detail::mn_objects(opt_.tags, k, s, b.ifindex, b.table);
  b.xfrm = detail::mn_xfrm(k, s);
  Status st = apply_objects(*sock_, opt_.tags.route_protocol, {}, b.objects, detail);
  if (st) {
    st = apply_xfrm(*xfrm_, XfrmSet{}, b.xfrm, detail);
    if (!st) (void)apply_objects(*sock_, opt_.tags.route_protocol, b.objects, {}, last_error_);
  }
  if (!st) {
    (void)release_tunnel(b.tunnel);
    return fail(st.error(), detail).error();
  }
  MnBindingObjects o{b.tunnel.name, b.ifindex, b.table};
  strip_sibling();
  mn_.emplace(k, std::move(b));
  return o;
}

wire::Result<std::uint32_t> NetlinkDataplane::allocate_mn_table(const std::string& what) {
  std::set<std::uint32_t> used;
  for (const auto& [key, b] : mn_) used.insert(b.table);
  for (const auto& [key, h] : home_) {
    if (h.table != 0) used.insert(h.table);
  }
  // The lower half of the range: each binding's second table is in the upper (binding_layout.h).
  const std::uint32_t last = opt_.tags.table_lo + detail::mn_table_count(opt_.tags) - 1;
  std::uint32_t table = opt_.tags.table_lo;
  while (table <= last && used.count(table) != 0) ++table;
  if (detail::mn_table_count(opt_.tags) == 0 || table > last) {
    return fail(wire::Error{wire::Errc::too_long, 0, "MN binding: no free routing table left in the tag range"},
                what + ": all tables of the tag range are in use")
        .error();
  }
  return table;
}

Status NetlinkDataplane::remove_mn_state(detail::MnState& b) {
  std::string detail;
  Status result = apply_xfrm(*xfrm_, b.xfrm, XfrmSet{}, detail);
  if (!result) last_error_ = detail;
  // Every object explicitly: the tunnel may stay (another binding with the
  // same LCoA and MAP uses it), and its deletion would not take the rules
  // or the MAP/128 route anyway.
  if (Status st = apply_objects(*sock_, opt_.tags.route_protocol, b.objects, {}, detail); !st && result) {
    result = fail(st.error(), detail);
  }
  if (Status st = release_tunnel(b.tunnel); !st && result) result = st;
  return result;
}

Status NetlinkDataplane::remove_mn_binding(const MnBindingKey& k) {
  auto it = mn_.find(k);
  if (it == mn_.end()) return wire::Ok{};
  Status st = remove_mn_state(it->second);
  mn_.erase(it);
  return st;
}

}  // namespace hmip::kglue
