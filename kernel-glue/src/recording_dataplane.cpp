#include "hmip/kglue/recording_dataplane.h"

#include <set>

#include "hmip/kglue/binding_checks.h"
#include "hmip/kglue/kernel_names.h"

namespace hmip::kglue {

RecordingDataplane::RecordingDataplane(Tags tags) : tags_(std::move(tags)) {}

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
  ba_.clear();
  map_sig_.reset();
  mn_sig_ = false;
  return wire::Ok{};
}

Status RecordingDataplane::install_map_signalling(const MapSignallingSettings& s) {
  if (auto e = begin(call::InstallMapSignalling{s})) return *e;
  map_sig_ = s;
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
    it->second.settings = s;  // update in place: same tunnel
    return it->second.objects;
  }
  MapBindingObjects o;
  o.tunnel = tunnel_name(tags_.link_prefix, next_tunnel_++).value_or(std::string{});
  o.tunnel_ifindex = next_ifindex_++;
  map_.emplace(k, MapBinding{s, o});
  return o;
}

Status RecordingDataplane::remove_map_binding(const MapBindingKey& k) {
  if (auto e = begin(call::RemoveMapBinding{k})) return *e;
  map_.erase(k);
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
  auto it = mn_.find(k);
  if (it != mn_.end()) {
    it->second.settings = s;
    return it->second.objects;
  }
  std::set<std::uint32_t> used;
  for (const auto& [key, b] : mn_) used.insert(b.objects.table);
  // As NetlinkDataplane: the lower half of the range (the upper holds each binding's LCoA table).
  const std::uint32_t count = tags_.table_hi < tags_.table_lo ? 0 : (tags_.table_hi - tags_.table_lo + 1) / 2;
  std::uint32_t table = tags_.table_lo;
  while (used.count(table) != 0) ++table;
  if (tags_.table_hi == 0 || count == 0 || table >= tags_.table_lo + count) {
    if (recording_) calls_.back().ok = false;
    return wire::Error{wire::Errc::too_long, 0, "MN binding: no free routing table left in the tag range"};
  }
  MnBindingObjects o;
  o.tunnel = tunnel_name(tags_.link_prefix, next_tunnel_++).value_or(std::string{});
  o.tunnel_ifindex = next_ifindex_++;
  o.table = table;
  mn_.emplace(k, MnBinding{s, o});
  return o;
}

Status RecordingDataplane::remove_mn_binding(const MnBindingKey& k) {
  if (auto e = begin(call::RemoveMnBinding{k})) return *e;
  mn_.erase(k);
  return wire::Ok{};
}

std::size_t RecordingDataplane::proxy_refreshes(int ifindex) const {
  auto it = refreshes_.find(ifindex);
  return it == refreshes_.end() ? 0 : it->second;
}

bool RecordingDataplane::empty() const {
  return map_.empty() && mn_.empty() && ba_.empty() && !map_sig_ && !mn_sig_;
}

}  // namespace hmip::kglue
