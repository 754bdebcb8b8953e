// NetlinkDataplane, Multiple CoA (RFC 5648) on the MAP: the bindings of one
// address laid out together (binding_layout.h map_address_layout) and the
// flow policies (dataplane.h MapFlowPolicy).
#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "binding_layout.h"
#include "dataplane_state.h"
#include "hmip/kglue/binding_checks.h"
#include "hmip/kglue/netlink_dataplane.h"
#include "hmip/kglue/nft_ingress.h"
#include "object_set.h"
#include "xfrm_table.h"

namespace hmip::kglue {

using detail::KObj;
using detail::XfrmSet;

namespace {

void append(XfrmSet& to, const XfrmSet& from) {
  to.states.insert(to.states.end(), from.states.begin(), from.states.end());
  to.policies.insert(to.policies.end(), from.policies.begin(), from.policies.end());
}

}  // namespace

Status NetlinkDataplane::relayout_map_address(const Ip6Addr& rcoa, const MapBindingKey* k, detail::MapState* next) {
  // The address's bindings as they will be (k replaced by *next or left
  // out), and the objects they hold now.
  std::vector<detail::MapState*> states;
  std::vector<detail::MapBindingView> views;
  std::vector<KObj> current;
  XfrmSet current_x;
  bool k_seen = false;
  for (auto it = map_.lower_bound(MapBindingKey{rcoa, 0}); it != map_.end() && it->first.rcoa == rcoa; ++it) {
    current.insert(current.end(), it->second.objects.begin(), it->second.objects.end());
    append(current_x, it->second.xfrm);
    detail::MapState* st = &it->second;
    if (k != nullptr && it->first == *k) {
      k_seen = true;
      if (next == nullptr) continue;
      st = next;
    }
    states.push_back(st);
    views.push_back(detail::MapBindingView{it->first.bid, &st->settings, st->ifindex});
  }
  if (k != nullptr && !k_seen && next != nullptr) {
    states.push_back(next);
    views.push_back(detail::MapBindingView{k->bid, &next->settings, next->ifindex});
  }
  const detail::MapAddressLayout layout = detail::map_address_layout(rcoa, views, flow_->tables);
  // Desired in rank order: the top binding's route (the metric slot the
  // downlink uses) is put first.
  std::vector<KObj> desired;
  XfrmSet desired_x;
  for (const std::size_t i : layout.rank_order) {
    desired.insert(desired.end(), layout.objects[i].begin(), layout.objects[i].end());
    append(desired_x, layout.xfrm[i]);
  }
  // The ingress check's path set (nft_ingress.h kMcoaPathSet): every
  // binding but the top-ranked one. New elements before the routes change,
  // old ones after: a reverse-tunnelled packet of any binding passes
  // throughout.
  std::vector<std::string> paths(states.size());
  for (std::size_t r = 1; r < layout.rank_order.size(); ++r) {
    const std::size_t i = layout.rank_order[r];
    paths[i] = states[i]->tunnel.name;
  }
  std::set<NftPath> want_paths;
  std::set<NftPath> have_paths;
  for (std::size_t i = 0; i < states.size(); ++i) {
    if (!paths[i].empty()) want_paths.insert(NftPath{rcoa, paths[i]});
  }
  for (auto it = map_.lower_bound(MapBindingKey{rcoa, 0}); it != map_.end() && it->first.rcoa == rcoa; ++it) {
    if (!it->second.nft_path.empty()) have_paths.insert(NftPath{rcoa, it->second.nft_path});
  }
  std::vector<NftPath> add_paths;
  std::vector<NftPath> del_paths;
  std::set_difference(want_paths.begin(), want_paths.end(), have_paths.begin(), have_paths.end(),
                      std::back_inserter(add_paths));
  std::set_difference(have_paths.begin(), have_paths.end(), want_paths.begin(), want_paths.end(),
                      std::back_inserter(del_paths));
  const bool nft = nft_ && nft_->installed();
  if (nft) {
    if (Status st = nft_->update_paths(add_paths, {}); !st) return fail(st.error(), nft_->last_error());
  }
  auto undo_paths = [&]() {
    if (nft) (void)nft_->update_paths({}, add_paths);
  };
  std::string detail;
  if (Status st = detail::apply_objects(*sock_, opt_.tags.route_protocol, current, desired, detail); !st) {
    undo_paths();
    return fail(st.error(), detail);
  }
  if (Status st = detail::apply_xfrm(*xfrm_, current_x, desired_x, detail); !st) {
    std::string ignored;
    (void)detail::apply_objects(*sock_, opt_.tags.route_protocol, desired, current, ignored);
    undo_paths();
    return fail(st.error(), detail);
  }
  for (std::size_t i = 0; i < states.size(); ++i) {
    states[i]->objects = layout.objects[i];
    states[i]->xfrm = layout.xfrm[i];
    states[i]->nft_path = nft ? paths[i] : std::string{};
  }
  // A failed delete leaves an element that only lets its RCoA in from a
  // tunnel it is no longer bound through, until flush() deletes the table;
  // the binding change itself stands (reported in last_error()).
  if (nft) {
    if (Status st = nft_->update_paths({}, del_paths); !st) last_error_ = nft_->last_error();
  }
  return wire::Ok{};
}

Status NetlinkDataplane::relayout_map_bids(const std::set<std::uint16_t>& bids) {
  if (bids.empty()) return wire::Ok{};
  std::set<Ip6Addr> rcoas;
  for (const auto& [k, b] : map_) {
    if (bids.count(k.bid) != 0) rcoas.insert(k.rcoa);
  }
  Status result = wire::Ok{};
  for (const Ip6Addr& rcoa : rcoas) {
    if (Status st = relayout_map_address(rcoa, nullptr, nullptr); !st && result) result = st;
  }
  return result;
}

Status NetlinkDataplane::install_map_flow_policies(const std::vector<MapFlowPolicy>& p) {
  if (auto e = check_map_flow_policies(p)) {
    return fail(*e, std::string(e->rule) + " (policy " + std::to_string(e->offset + 1) + ")");
  }
  if (p == flow_->policies) return wire::Ok{};
  const auto& tags = opt_.tags;
  if (tags.rule_priority_hi == 0 || p.size() > tags.rule_priority_hi - tags.rule_priority_lo) {
    return fail(wire::Error{wire::Errc::too_long, p.size(), "flow policies: more than the tags' rule range holds"},
                "flow policies: " + std::to_string(p.size()) + " policies, the rule range holds " +
                    std::to_string(tags.rule_priority_hi - tags.rule_priority_lo));
  }
  const auto tables = detail::map_flow_tables(tags, p, flow_->tables);
  if (!tables) {
    return fail(wire::Error{wire::Errc::too_long, 0, "flow policies: more BIDs than the tags' table range holds"},
                "flow policies: more BIDs than tables " + std::to_string(tags.table_lo + 1) + ".." +
                    std::to_string(tags.table_hi));
  }
  const std::map<std::uint16_t, std::uint32_t> old_tables = flow_->tables;
  std::set<std::uint16_t> added;
  std::set<std::uint16_t> dropped;
  for (const auto& [bid, table] : *tables) {
    if (old_tables.count(bid) == 0) added.insert(bid);
  }
  for (const auto& [bid, table] : old_tables) {
    if (tables->count(bid) == 0) dropped.insert(bid);
  }
  // 1. The new BIDs' routes (the union of old and new tables), 2. the rules
  // (new ones added before old ones go), 3. the dropped BIDs' routes: no
  // rule ever points at a table whose routes are not there yet.
  std::map<std::uint16_t, std::uint32_t> both = old_tables;
  both.insert(tables->begin(), tables->end());
  flow_->tables = both;
  if (Status st = relayout_map_bids(added); !st) {
    const std::string keep = last_error_;
    flow_->tables = old_tables;
    (void)relayout_map_bids(added);
    last_error_ = keep;
    return st;
  }
  std::vector<KObj> rules = detail::map_flow_rules(tags, p, *tables);
  std::string detail;
  if (Status st = detail::apply_objects(*sock_, tags.route_protocol, flow_->rules, rules, detail); !st) {
    flow_->tables = old_tables;
    (void)relayout_map_bids(added);
    return fail(st.error(), detail);
  }
  flow_->rules = std::move(rules);
  flow_->policies = p;
  flow_->tables = *tables;
  return relayout_map_bids(dropped);
}

}  // namespace hmip::kglue
