#include "hmip/kglue/recording_dataplane.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "hmip/kglue/binding_checks.h"
#include "hmip/kglue/kernel_names.h"
#include "tunnel_pool.h"

namespace hmip::kglue {

RecordingDataplane::RecordingDataplane(Tags tags)
    : tags_(std::move(tags)), tunnels_(std::make_unique<detail::TunnelPool>()) {}

RecordingDataplane::~RecordingDataplane() = default;

std::pair<std::string, int> RecordingDataplane::place_tunnel(const Ip6Addr& local, const Ip6Addr& remote, int link,
                                                             const std::pair<Ip6Addr, Ip6Addr>* cur_ends,
                                                             int cur_link) {
  using Move = detail::TunnelPool::Move;
  const detail::TunnelKey to{local, remote, link};
  detail::TunnelObj want{"", local, remote, link, 0};
  if (cur_ends != nullptr) {
    const detail::TunnelKey from{cur_ends->first, cur_ends->second, cur_link};
    const Move plan = tunnels_->plan_move(from, to);
    const detail::TunnelPool::Entry* e = tunnels_->find(from);
    if (e != nullptr && (plan == Move::same || plan == Move::in_place)) {
      want.name = e->obj.name;
      const int ifindex = e->ifindex;
      tunnels_->rekey(from, want);
      return {want.name, ifindex};
    }
    std::pair<std::string, int> r;
    if (const auto* joined = tunnels_->add_user(to)) {
      r = {joined->obj.name, joined->ifindex};
    } else {
      want.name = tunnel_name(tags_.link_prefix, next_tunnel_++).value_or(std::string{});
      r = {want.name, tunnels_->insert(want, next_ifindex_++).ifindex};
    }
    (void)tunnels_->drop_user(from);
    return r;
  }
  if (const auto* e = tunnels_->add_user(to)) return {e->obj.name, e->ifindex};
  want.name = tunnel_name(tags_.link_prefix, next_tunnel_++).value_or(std::string{});
  return {want.name, tunnels_->insert(want, next_ifindex_++).ifindex};
}

void RecordingDataplane::leave_tunnel(const Ip6Addr& local, const Ip6Addr& remote, int link) {
  (void)tunnels_->drop_user(detail::TunnelKey{local, remote, link});
}

std::size_t RecordingDataplane::tunnel_count() const { return tunnels_->size(); }

std::optional<wire::Error> RecordingDataplane::begin(const Call& c) {
  std::optional<wire::Error> err;
  if (fail_count_ > 0 && fail_error_) {
    err = fail_error_;
    if (--fail_count_ == 0) fail_error_.reset();
  }
  if (recording_) calls_.push_back(CallRecord{c, !err});
  return err;
}

void RecordingDataplane::fail_next(wire::Error error, std::size_t count) {
  fail_error_ = error;
  fail_count_ = count;
}

wire::Result<std::vector<AdoptedMapBinding>> RecordingDataplane::adopt_map_bindings() {
  if (auto e = begin(call::AdoptMapBindings{})) return *e;
  std::vector<AdoptedMapBinding> out;
  for (AdoptedMapBinding& b : leftover_map_) {
    if (map_.count(b.key) != 0) continue;
    const detail::TunnelKey tk{b.settings.map_address, b.settings.lcoa, 0};
    if (const auto* t = tunnels_->add_user(tk)) {
      b.objects = MapBindingObjects{t->obj.name, t->ifindex};
    } else {
      tunnels_->insert(detail::TunnelObj{b.objects.tunnel, b.settings.map_address, b.settings.lcoa, 0, 0},
                       b.objects.tunnel_ifindex);
    }
    // New tunnels get names and ifindexes the adopted ones do not have.
    if (auto n = tunnel_number(tags_.link_prefix, b.objects.tunnel); n && *n >= next_tunnel_) next_tunnel_ = *n + 1;
    if (b.objects.tunnel_ifindex >= next_ifindex_) next_ifindex_ = b.objects.tunnel_ifindex + 1;
    map_.emplace(b.key, MapBinding{b.settings, b.objects});
    out.push_back(b);
  }
  leftover_map_.clear();
  return out;
}

wire::Result<ReconcileReport> RecordingDataplane::reconcile() {
  if (auto e = begin(call::Reconcile{})) return *e;
  ReconcileReport r;
  r.removed = std::move(leftovers_);
  leftovers_.clear();
  return r;
}

Status RecordingDataplane::flush() {
  if (auto e = begin(call::Flush{})) return *e;
  map_.clear();
  mn_.clear();
  home_.clear();
  ba_.clear();
  flow_.clear();
  tunnels_->clear();
  map_sig_.reset();
  map_sig_by_addr_.clear();
  mn_sig_ = false;
  return wire::Ok{};
}

void RecordingDataplane::keep_kernel_state() { kept_ = true; }

Status RecordingDataplane::install_map_signalling(const MapSignallingSettings& s) {
  if (auto e = begin(call::InstallMapSignalling{s})) return *e;
  // Per address, the latest settings (dataplane.h).
  map_sig_by_addr_.insert_or_assign(s.map_address, s);
  if (!map_sig_ || map_sig_->map_address == s.map_address) map_sig_ = s;
  return wire::Ok{};
}

wire::Result<MapBindingObjects> RecordingDataplane::install_map_binding(const MapBindingKey& k,
                                                                        const MapBindingSettings& s) {
  if (auto e = begin(call::InstallMapBinding{k, s})) return *e;
  if (auto e = check_map_binding(k, s)) {
    if (recording_) calls_.back().ok = false;
    return *e;
  }
  auto it = map_.find(k);
  if (it != map_.end()) {
    // A move: the same tunnel changed in place, or another one joined.
    const std::pair<Ip6Addr, Ip6Addr> cur{it->second.settings.map_address, it->second.settings.lcoa};
    auto [name, ifindex] = place_tunnel(s.map_address, s.lcoa, 0, &cur, 0);
    it->second.settings = s;
    it->second.objects = MapBindingObjects{name, ifindex};
    return it->second.objects;
  }
  auto [name, ifindex] = place_tunnel(s.map_address, s.lcoa, 0, nullptr, 0);
  MapBindingObjects o{name, ifindex};
  map_.emplace(k, MapBinding{s, o});
  return o;
}

Status RecordingDataplane::remove_map_binding(const MapBindingKey& k) {
  if (auto e = begin(call::RemoveMapBinding{k})) return *e;
  auto it = map_.find(k);
  if (it == map_.end()) return wire::Ok{};
  leave_tunnel(it->second.settings.map_address, it->second.settings.lcoa, 0);
  map_.erase(it);
  return wire::Ok{};
}

Status RecordingDataplane::install_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa) {
  if (auto e = begin(call::InstallBaRoute{map_address, rcoa, lcoa})) return *e;
  if (auto e = check_ba_route(map_address, rcoa, lcoa)) {
    if (recording_) calls_.back().ok = false;
    return *e;
  }
  ba_[{map_address, rcoa}] = lcoa;
  return wire::Ok{};
}

Status RecordingDataplane::remove_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa) {
  if (auto e = begin(call::RemoveBaRoute{map_address, rcoa})) return *e;
  ba_.erase({map_address, rcoa});
  return wire::Ok{};
}

Status RecordingDataplane::refresh_proxies(int ifindex) {
  if (auto e = begin(call::RefreshProxies{ifindex})) return *e;
  ++refreshes_[ifindex];
  return wire::Ok{};
}

Status RecordingDataplane::install_map_flow_policies(const std::vector<MapFlowPolicy>& p) {
  if (auto e = begin(call::InstallMapFlowPolicies{p})) return *e;
  if (auto e = check_map_flow_policies(p)) {
    if (recording_) calls_.back().ok = false;
    return *e;
  }
  flow_ = p;
  return wire::Ok{};
}

std::vector<MapBindingKey> RecordingDataplane::map_route_order(const Ip6Addr& rcoa) const {
  std::vector<std::pair<std::uint64_t, std::uint16_t>> v;
  for (auto it = map_.lower_bound(MapBindingKey{rcoa, 0}); it != map_.end() && it->first.rcoa == rcoa; ++it) {
    v.emplace_back(it->second.settings.rank, it->first.bid);
  }
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return map_ranks_above(a.first, a.second, b.first, b.second);
  });
  std::vector<MapBindingKey> out;
  out.reserve(v.size());
  for (const auto& [rank, bid] : v) out.push_back(MapBindingKey{rcoa, bid});
  return out;
}

std::optional<MapBindingKey> RecordingDataplane::active_map_binding(const Ip6Addr& rcoa) const {
  auto order = map_route_order(rcoa);
  if (order.empty()) return std::nullopt;
  return order.front();
}

std::optional<MapBindingKey> RecordingDataplane::map_binding_for(const Ip6Addr& rcoa, const Packet& p) const {
  auto in = [](std::uint16_t port, std::uint16_t lo, std::uint16_t hi) {
    return (lo == 0 && hi == 0) || (port >= lo && port <= hi);
  };
  for (const MapFlowPolicy& f : flow_) {
    if (f.ip_proto != 0 && f.ip_proto != p.ip_proto) continue;
    if (!in(p.sport, f.sport_lo, f.sport_hi) || !in(p.dport, f.dport_lo, f.dport_hi)) continue;
    if (f.dscp && *f.dscp != p.traffic_class >> 2U) continue;
    if (f.from && !f.from->contains(p.src)) continue;
    if (f.to && !f.to->contains(rcoa)) continue;
    if (map_.count(MapBindingKey{rcoa, f.bid}) != 0) return MapBindingKey{rcoa, f.bid};
  }
  return active_map_binding(rcoa);
}

Status RecordingDataplane::install_mn_signalling(const MnSignallingSettings& /*s*/) {
  if (auto e = begin(call::InstallMnSignalling{})) return *e;
  mn_sig_ = true;
  return wire::Ok{};
}

wire::Result<MnBindingObjects> RecordingDataplane::install_mn_binding(const MnBindingKey& k,
                                                                      const MnBindingSettings& s) {
  if (auto e = begin(call::InstallMnBinding{k, s})) return *e;
  if (auto e = check_mn_binding(k, s)) {
    if (recording_) calls_.back().ok = false;
    return *e;
  }
  // Multiple CoA: as NetlinkDataplane, a binding installed with
  // `signalling` takes it over from its sibling of the same (map, rcoa).
  if (s.signalling)
    for (auto& [key, b] : mn_)
      if (key.map_address == k.map_address && key.rcoa == k.rcoa && key.bid != k.bid) b.settings.signalling = false;
  auto it = mn_.find(k);
  if (it != mn_.end()) {
    const std::pair<Ip6Addr, Ip6Addr> cur{it->second.settings.lcoa, k.map_address};
    auto [name, ifindex] = place_tunnel(s.lcoa, k.map_address, s.ifindex, &cur, it->second.settings.ifindex);
    it->second.settings = s;
    it->second.objects.tunnel = name;
    it->second.objects.tunnel_ifindex = ifindex;
    return it->second.objects;
  }
  const auto table = free_table();
  if (!table) {
    if (recording_) calls_.back().ok = false;
    return wire::Error{wire::Errc::too_long, 0, "MN binding: no free routing table left in the tag range"};
  }
  MnBindingObjects o;
  std::tie(o.tunnel, o.tunnel_ifindex) = place_tunnel(s.lcoa, k.map_address, s.ifindex, nullptr, 0);
  o.table = *table;
  mn_.emplace(k, MnBinding{s, o});
  return o;
}

Status RecordingDataplane::remove_mn_binding(const MnBindingKey& k) {
  if (auto e = begin(call::RemoveMnBinding{k})) return *e;
  auto it = mn_.find(k);
  if (it == mn_.end()) return wire::Ok{};
  leave_tunnel(it->second.settings.lcoa, k.map_address, it->second.settings.ifindex);
  mn_.erase(it);
  return wire::Ok{};
}

std::optional<std::uint32_t> RecordingDataplane::free_table() const {
  std::set<std::uint32_t> used;
  for (const auto& [key, b] : mn_) used.insert(b.objects.table);
  for (const auto& [key, h] : home_) used.insert(h.objects.table);
  // As NetlinkDataplane: the lower half of the range (the upper holds each binding's second table).
  const std::uint32_t count = tags_.table_hi < tags_.table_lo ? 0 : (tags_.table_hi - tags_.table_lo + 1) / 2;
  std::uint32_t table = tags_.table_lo;
  while (used.count(table) != 0) ++table;
  if (tags_.table_hi == 0 || count == 0 || table >= tags_.table_lo + count) return std::nullopt;
  return table;
}

wire::Result<MnHomeObjects> RecordingDataplane::install_mn_home_binding(const MnHomeKey& k, const MnHomeSettings& s) {
  if (auto e = begin(call::InstallMnHomeBinding{k, s})) return *e;
  auto refuse = [&](wire::Error e) -> wire::Result<MnHomeObjects> {
    if (recording_) calls_.back().ok = false;
    return e;
  };
  if (auto e = check_mn_home_binding(k, s)) return refuse(*e);
  const bool away = s.mode == MnHomeMode::away;
  if (away && s.via && mn_.count(*s.via) == 0) return refuse(kMnHomeViaMissing);
  const int link = s.via ? 0 : s.ifindex;
  // Multiple CoA, as NetlinkDataplane: the extra CoAs' receive-only
  // tunnels after the primary's, kept when unchanged, shared per endpoints.
  const auto extras = [&](const MnHomeSettings& old_s, const std::vector<MnHomeCoaObjects>& old_o) {
    std::vector<MnHomeCoaObjects> more;
    const bool plain_away = away && !s.via;
    for (std::size_t i = 0; i < old_s.more_coas.size() && i < old_o.size(); ++i) {
      const auto& c = old_s.more_coas[i];
      if (!plain_away || std::find(s.more_coas.begin(), s.more_coas.end(), c) == s.more_coas.end())
        leave_tunnel(c.coa, k.home_agent, c.ifindex);
    }
    if (!plain_away) return more;
    for (const auto& c : s.more_coas) {
      const auto kept = std::find(old_s.more_coas.begin(), old_s.more_coas.end(), c);
      const auto idx = static_cast<std::size_t>(kept - old_s.more_coas.begin());
      if (kept != old_s.more_coas.end() && idx < old_o.size()) {
        more.push_back(old_o[idx]);
        continue;
      }
      auto [name, ifindex] = place_tunnel(c.coa, k.home_agent, c.ifindex, nullptr, 0);
      more.push_back(MnHomeCoaObjects{c.bid, name, ifindex});
    }
    return more;
  };
  auto it = home_.find(k);
  if (it != home_.end()) {
    MnHomeBinding& h = it->second;
    const std::vector<MnHomeCoaObjects> old_more = h.objects.more;
    const bool was_away = h.settings.mode == MnHomeMode::away;
    const int cur_link = h.settings.via ? 0 : h.settings.ifindex;
    if (away) {
      std::uint32_t table = h.objects.table;
      if (!was_away) {
        auto t = free_table();
        if (!t) return refuse(kMnHomeNoTable);
        table = *t;
      }
      const std::pair<Ip6Addr, Ip6Addr> cur{h.settings.coa, k.home_agent};
      auto [name, ifindex] = place_tunnel(s.coa, k.home_agent, link, was_away ? &cur : nullptr, cur_link);
      h.objects = MnHomeObjects{name, ifindex, table, {}};
    } else {
      if (was_away) leave_tunnel(h.settings.coa, k.home_agent, cur_link);
      h.objects = MnHomeObjects{};
    }
    h.objects.more = extras(h.settings, old_more);
    h.settings = s;
    return h.objects;
  }
  MnHomeObjects o;
  if (away) {
    auto t = free_table();
    if (!t) return refuse(kMnHomeNoTable);
    std::tie(o.tunnel, o.tunnel_ifindex) = place_tunnel(s.coa, k.home_agent, link, nullptr, 0);
    o.table = *t;
  }
  o.more = extras(MnHomeSettings{}, {});
  home_.emplace(k, MnHomeBinding{s, o});
  return o;
}

Status RecordingDataplane::remove_mn_home_binding(const MnHomeKey& k) {
  if (auto e = begin(call::RemoveMnHomeBinding{k})) return *e;
  auto it = home_.find(k);
  if (it == home_.end()) return wire::Ok{};
  const MnHomeSettings& s = it->second.settings;
  if (s.mode == MnHomeMode::away) leave_tunnel(s.coa, k.home_agent, s.via ? 0 : s.ifindex);
  for (const auto& c : s.more_coas) leave_tunnel(c.coa, k.home_agent, c.ifindex);
  home_.erase(it);
  return wire::Ok{};
}

std::size_t RecordingDataplane::proxy_refreshes(int ifindex) const {
  auto it = refreshes_.find(ifindex);
  return it == refreshes_.end() ? 0 : it->second;
}

bool RecordingDataplane::empty() const {
  return map_.empty() && mn_.empty() && home_.empty() && ba_.empty() && flow_.empty() && !map_sig_ && !mn_sig_ && tunnels_->size() == 0;
}

}  // namespace hmip::kglue
