// NetlinkDataplane: the MN's home registration (issue 14; RFC 6275 §11,
// RFC 5380 §6.1). What a home binding is made of: binding_layout.h
// (mn_home_*); the contract: dataplane.h, install_mn_home_binding.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "binding_layout.h"
#include "dataplane_state.h"
#include "hmip/kglue/binding_checks.h"
#include "hmip/kglue/netlink_dataplane.h"
#include "nl_batch.h"
#include "tunnel_pool.h"
#include "xfrm_table.h"

namespace hmip::kglue {

using detail::apply_objects;
using detail::apply_xfrm;
using detail::KObj;
using detail::XfrmSet;

namespace {

MnHomeObjects objects_of(const detail::MnHomeState& h) {
  if (h.settings.mode != MnHomeMode::away) return MnHomeObjects{};
  MnHomeObjects o{h.tunnel.name, h.ifindex, h.table, {}};
  for (const auto& e : h.more) o.more.push_back(MnHomeCoaObjects{e.coa.bid, e.tunnel.name, e.ifindex});
  return o;
}

}  // namespace

wire::Result<MnHomeObjects> NetlinkDataplane::install_mn_home_binding(const MnHomeKey& k, const MnHomeSettings& s) {
  if (auto e = check_mn_home_binding(k, s)) return fail(*e, std::string(e->rule)).error();
  if (opt_.tags.rule_priority_hi == 0 || opt_.tags.table_hi == 0) {
    return fail(wire::Error{wire::Errc::invalid_field, 0, "MN home binding: the tags have no rule or table range"},
                "MN home binding: these tags (" + opt_.tags.link_prefix + ") are not an MN's")
        .error();
  }
  const bool away = s.mode == MnHomeMode::away;
  int via_ifindex = 0;
  if (away && s.via) {
    auto v = mn_.find(*s.via);
    if (v == mn_.end()) {
      return fail(kMnHomeViaMissing, "MN home binding " + k.home_address.str() + ": no MN binding MAP " +
                                         s.via->map_address.str() + " RCoA " + s.via->rcoa.str())
          .error();
    }
    via_ifindex = v->second.ifindex;
  }
  const std::string what = "MN home binding " + k.home_address.str();
  std::string detail;

  auto it = home_.find(k);
  detail::MnHomeState* cur = it == home_.end() ? nullptr : &it->second;
  if (cur != nullptr && cur->settings == s) return objects_of(*cur);
  const bool was_away = cur != nullptr && cur->settings.mode == MnHomeMode::away;

  // The tunnel and table wanted (away): the current ones moved, or new ones.
  detail::MnHomeState next;
  next.settings = s;
  std::optional<detail::TunnelMove> mv;
  bool fresh_tunnel = false;
  if (away) {
    if (was_away) {
      auto m = begin_tunnel_move(cur->tunnel, cur->ifindex, detail::mn_home_tunnel(cur->tunnel.name, k, s));
      if (!m) return m.error();
      mv = *m;
      next.tunnel = m->obj;
      next.ifindex = m->ifindex;
      next.table = cur->table;
    } else {
      auto table = allocate_mn_table(what);
      if (!table) return table.error();
      auto tun = acquire_tunnel(detail::mn_home_tunnel("", k, s));
      if (!tun) return tun.error();
      fresh_tunnel = true;
      next.tunnel = tun->first;
      next.ifindex = tun->second;
      next.table = *table;
    }
  }
  next.objects = detail::mn_home_objects(opt_.tags, k, s, next.ifindex, next.table, via_ifindex);
  next.xfrm = detail::mn_home_xfrm(k, s);

  // Make-before-break: the new objects and XFRM in, the old ones out (the
  // diff: apply_objects / apply_xfrm); on failure everything back.
  static const std::vector<KObj> kNone;
  static const XfrmSet kNoXfrm;
  const std::vector<KObj>& old_objs = cur != nullptr ? cur->objects : kNone;
  const XfrmSet& old_xfrm = cur != nullptr ? cur->xfrm : kNoXfrm;
  Status st = apply_objects(*sock_, opt_.tags.route_protocol, old_objs, next.objects, detail);
  if (st) {
    st = apply_xfrm(*xfrm_, old_xfrm, next.xfrm, detail);
    if (!st) (void)apply_objects(*sock_, opt_.tags.route_protocol, next.objects, old_objs, last_error_);
  }
  if (!st) {
    if (mv) undo_tunnel_move(*mv, cur->tunnel, cur->ifindex);
    if (fresh_tunnel) (void)release_tunnel(next.tunnel);
    return fail(st.error(), what + ": " + detail).error();
  }
  if (mv) finish_tunnel_move(*mv, cur->tunnel);
  if (was_away && !away) {
    // Home again: the tunnel goes (its address and routes went above).
    const std::string keep = last_error_;
    if (Status r = release_tunnel(cur->tunnel); r) last_error_ = keep;
  }
  // Multiple CoA: the extra CoAs' receive-only tunnels, after the primary
  // (whose tunnel may have just joined a former extra one's device: the
  // pool shares a device per endpoints, so a swap needs no ordering):
  // those no longer wanted released, the new ones created. An extra that
  // cannot be made is left out and reported (MnHomeObjects::failed_bids,
  // last_error()): the primary state and the other extras stay.
  std::vector<std::uint16_t> failed;
  (void)update_home_extras(k, s, cur != nullptr ? cur->more : std::vector<detail::MnHomeExtra>{}, next, failed);
  MnHomeObjects o = objects_of(next);
  o.failed_bids = std::move(failed);
  if (cur != nullptr) {
    *cur = std::move(next);
  } else {
    home_.emplace(k, std::move(next));
  }
  return o;
}

Status NetlinkDataplane::update_home_extras(const MnHomeKey& k, const MnHomeSettings& s,
                                            const std::vector<detail::MnHomeExtra>& old, detail::MnHomeState& next,
                                            std::vector<std::uint16_t>& failed) {
  const bool plain_away = s.mode == MnHomeMode::away && !s.via;
  const std::vector<MnHomeCoa> none;
  const std::vector<MnHomeCoa>& want = plain_away ? s.more_coas : none;
  Status result = wire::Ok{};
  next.more.clear();
  for (const auto& e : old) {
    if (std::find(want.begin(), want.end(), e.coa) != want.end()) continue;
    if (Status st = release_tunnel(e.tunnel); !st && result) result = st;
  }
  next.settings.more_coas.clear();
  for (const auto& w : want) {
    const auto kept = std::find_if(old.begin(), old.end(), [&](const detail::MnHomeExtra& e) { return e.coa == w; });
    if (kept != old.end()) {
      next.more.push_back(*kept);
      next.settings.more_coas.push_back(w);
      continue;
    }
    auto tun = acquire_tunnel(detail::mn_home_extra_tunnel("", k, w));
    if (!tun) {
      if (result) result = fail(tun.error(), "MN home binding " + k.home_address.str() + ": the tunnel of BID " +
                                                 std::to_string(w.bid) + " (" + w.coa.str() + "): " + last_error_);
      failed.push_back(w.bid);
      continue;
    }
    next.more.push_back(detail::MnHomeExtra{w, tun->first, tun->second});
    next.settings.more_coas.push_back(w);
  }
  return result;
}

Status NetlinkDataplane::remove_home_state(detail::MnHomeState& h) {
  std::string detail;
  Status result = apply_xfrm(*xfrm_, h.xfrm, XfrmSet{}, detail);
  if (!result) last_error_ = detail;
  if (Status st = apply_objects(*sock_, opt_.tags.route_protocol, h.objects, {}, detail); !st && result) {
    result = fail(st.error(), detail);
  }
  if (h.settings.mode == MnHomeMode::away) {
    if (Status st = release_tunnel(h.tunnel); !st && result) result = st;
  }
  for (const auto& e : h.more)
    if (Status st = release_tunnel(e.tunnel); !st && result) result = st;
  h.more.clear();
  return result;
}

Status NetlinkDataplane::remove_mn_home_binding(const MnHomeKey& k) {
  auto it = home_.find(k);
  if (it == home_.end()) return wire::Ok{};
  Status st = remove_home_state(it->second);
  home_.erase(it);
  return st;
}

void NetlinkDataplane::repoint_home_bindings(const MnBindingKey& k) {
  auto b = mn_.find(k);
  if (b == mn_.end()) return;
  for (auto& [hk, h] : home_) {
    if (h.settings.mode != MnHomeMode::away || h.settings.via != k) continue;
    std::vector<KObj> objs = detail::mn_home_objects(opt_.tags, hk, h.settings, h.ifindex, h.table, b->second.ifindex);
    std::string detail;
    // The HA/128 route is replaced in place (same table and prefix);
    // nothing else changes. A refusal leaves the old route (and the text).
    if (Status st = apply_objects(*sock_, opt_.tags.route_protocol, h.objects, objs, detail); st) {
      h.objects = std::move(objs);
    } else {
      last_error_ = detail;
    }
  }
}

}  // namespace hmip::kglue
