// A Dataplane that keeps everything in memory: it records every call (what
// a core or daemon asked for, in order) and the set that call sequence has
// installed (what the kernel would hold now), and it can be told to fail the
// next call(s), so tests can drive rollback paths. Cheap enough for 100k
// bindings (ordered maps; recording can be switched off for benchmarks).
// Tunnels are shared as NetlinkDataplane shares them: one per (local,
// remote, link), named and numbered once, counted, gone with its last user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <optional>
#include <utility>
#include <variant>
#include <vector>

#include "hmip/kglue/dataplane.h"

namespace hmip::kglue {
namespace detail {
class TunnelPool;
}

namespace call {
struct AdoptMapBindings {
  friend bool operator==(const AdoptMapBindings&, const AdoptMapBindings&) = default;
};
struct Reconcile {
  friend bool operator==(const Reconcile&, const Reconcile&) = default;
};
struct Flush {
  friend bool operator==(const Flush&, const Flush&) = default;
};
struct InstallMapSignalling {
  MapSignallingSettings settings;
  friend bool operator==(const InstallMapSignalling& a, const InstallMapSignalling& b) {
    return a.settings.map_address == b.settings.map_address &&
           a.settings.esp_required_from == b.settings.esp_required_from;
  }
};
struct InstallMapBinding {
  MapBindingKey key;
  MapBindingSettings settings;
  friend bool operator==(const InstallMapBinding&, const InstallMapBinding&) = default;
};
struct RemoveMapBinding {
  MapBindingKey key;
  friend bool operator==(const RemoveMapBinding&, const RemoveMapBinding&) = default;
};
struct InstallBaRoute {
  Ip6Addr map_address, rcoa, lcoa;
  friend bool operator==(const InstallBaRoute&, const InstallBaRoute&) = default;
};
struct RemoveBaRoute {
  Ip6Addr map_address, rcoa;
  friend bool operator==(const RemoveBaRoute&, const RemoveBaRoute&) = default;
};
struct RefreshProxies {
  int ifindex = 0;
  friend bool operator==(const RefreshProxies&, const RefreshProxies&) = default;
};
struct InstallMapFlowPolicies {
  std::vector<MapFlowPolicy> policies;
  friend bool operator==(const InstallMapFlowPolicies&, const InstallMapFlowPolicies&) = default;
};
struct InstallMnSignalling {
  friend bool operator==(const InstallMnSignalling&, const InstallMnSignalling&) = default;
};
struct InstallMnBinding {
  MnBindingKey key;
  MnBindingSettings settings;
  friend bool operator==(const InstallMnBinding&, const InstallMnBinding&) = default;
};
struct RemoveMnBinding {
  MnBindingKey key;
  friend bool operator==(const RemoveMnBinding&, const RemoveMnBinding&) = default;
};
struct InstallMnHomeBinding {
  MnHomeKey key;
  MnHomeSettings settings;
  friend bool operator==(const InstallMnHomeBinding&, const InstallMnHomeBinding&) = default;
};
struct RemoveMnHomeBinding {
  MnHomeKey key;
  friend bool operator==(const RemoveMnHomeBinding&, const RemoveMnHomeBinding&) = default;
};
}  // namespace call

/// One call on the Dataplane interface (counters() is not recorded: it
/// changes nothing).
using Call = std::variant<call::AdoptMapBindings, call::Reconcile, call::Flush, call::InstallMapSignalling, call::InstallMapBinding,
                          call::RemoveMapBinding, call::InstallBaRoute, call::RemoveBaRoute, call::RefreshProxies,
                          call::InstallMapFlowPolicies, call::InstallMnSignalling, call::InstallMnBinding, call::RemoveMnBinding,
                          call::InstallMnHomeBinding, call::RemoveMnHomeBinding>;

/// A recorded call and whether it succeeded.
struct CallRecord {
  Call call;
  bool ok = true;
};

class RecordingDataplane final : public Dataplane {
 public:
  struct MapBinding {
    MapBindingSettings settings;
    MapBindingObjects objects;
  };
  struct MnBinding {
    MnBindingSettings settings;
    MnBindingObjects objects;
  };
  struct MnHomeBinding {
    MnHomeSettings settings;
    MnHomeObjects objects;  ///< tunnel and table while away, empty at home
  };
  using BaRouteKey = std::pair<Ip6Addr, Ip6Addr>;  ///< (map_address, rcoa)

  /// `tags` names the fake objects (tunnel names from link_prefix, MN
  /// tables from table_lo) the way NetlinkDataplane would.
  explicit RecordingDataplane(Tags tags = Tags::mapd());
  ~RecordingDataplane() override;

  wire::Result<std::vector<AdoptedMapBinding>> adopt_map_bindings() override;
  wire::Result<ReconcileReport> reconcile() override;
  Status flush() override;
  void keep_kernel_state() override;
  Status install_map_signalling(const MapSignallingSettings& s) override;
  wire::Result<MapBindingObjects> install_map_binding(const MapBindingKey& k, const MapBindingSettings& s) override;
  Status remove_map_binding(const MapBindingKey& k) override;
  Status install_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa) override;
  Status remove_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa) override;
  Status refresh_proxies(int ifindex) override;
  Status install_map_flow_policies(const std::vector<MapFlowPolicy>& p) override;
  Status install_mn_signalling(const MnSignallingSettings& s) override;
  wire::Result<MnBindingObjects> install_mn_binding(const MnBindingKey& k, const MnBindingSettings& s) override;
  Status remove_mn_binding(const MnBindingKey& k) override;
  wire::Result<MnHomeObjects> install_mn_home_binding(const MnHomeKey& k, const MnHomeSettings& s) override;
  Status remove_mn_home_binding(const MnHomeKey& k) override;
  [[nodiscard]] DataplaneCounters counters() override { return counters_; }

  // Test controls ------------------------------------------------------------
  /// The next `count` calls (of any kind except counters()) fail with
  /// `error`, change nothing and are recorded with ok = false.
  void fail_next(wire::Error error, std::size_t count = 1);
  /// What counters() returns from now on.
  void set_counters(DataplaneCounters c) { counters_ = c; }
  /// Leftovers the next reconcile() reports as removed (a crashed run's).
  void set_leftovers(std::vector<std::string> names) { leftovers_ = std::move(names); }
  /// Complete MAP bindings a crashed run left: the next adopt_map_bindings()
  /// takes them (those whose key is not installed) into the installed set,
  /// in their tunnels (same name and ifindex; shared by equal endpoints),
  /// and returns them.
  void set_leftover_map_bindings(std::vector<AdoptedMapBinding> b) { leftover_map_ = std::move(b); }
  /// Off: calls are no longer appended to calls() (installed state is still
  /// kept); for benchmarks with very many bindings.
  void set_recording(bool on) { recording_ = on; }
  void clear_calls() { calls_.clear(); }

  // Views --------------------------------------------------------------------
  [[nodiscard]] const std::vector<CallRecord>& calls() const { return calls_; }
  [[nodiscard]] const std::map<MapBindingKey, MapBinding>& map_bindings() const { return map_; }
  [[nodiscard]] const std::map<MnBindingKey, MnBinding>& mn_bindings() const { return mn_; }
  [[nodiscard]] const std::map<BaRouteKey, Ip6Addr>& ba_routes() const { return ba_; }
  /// Multiple CoA: the binding of `rcoa` that carries its traffic (the
  /// top-ranked, dataplane.h map_ranks_above); nullopt: no binding.
  [[nodiscard]] std::optional<MapBindingKey> active_map_binding(const Ip6Addr& rcoa) const;
  /// The bindings of `rcoa` in route metric order (the active one first),
  /// as NetlinkDataplane orders its RCoA/128 routes.
  [[nodiscard]] std::vector<MapBindingKey> map_route_order(const Ip6Addr& rcoa) const;
  /// The binding a downlink packet to `rcoa` takes: the first policy of the
  /// installed set that matches (ip_proto, ports, dscp, source, `rcoa`) and
  /// whose BID `rcoa` has a binding with, else the active binding. Fields
  /// a packet does not have: 0 / nullopt (matches only policies without them).
  struct Packet {
    Ip6Addr src;
    std::uint8_t ip_proto = 0;
    std::uint16_t sport = 0, dport = 0;
    std::uint8_t traffic_class = 0;  ///< the whole byte (DSCP << 2 | ECN), as the kernel compares it
  };
  [[nodiscard]] std::optional<MapBindingKey> map_binding_for(const Ip6Addr& rcoa, const Packet& p) const;
  /// The flow policies installed now.
  [[nodiscard]] const std::vector<MapFlowPolicy>& map_flow_policies() const { return flow_; }
  [[nodiscard]] const std::map<MnHomeKey, MnHomeBinding>& mn_home_bindings() const { return home_; }
  /// The first install_map_signalling() that took effect (nullopt: none).
  [[nodiscard]] const std::optional<MapSignallingSettings>& map_signalling() const { return map_sig_; }
  /// Every address signalled so far (installed once per address: a second
  /// call for an address keeps the first call's settings).
  [[nodiscard]] const std::map<Ip6Addr, MapSignallingSettings>& map_signalling_by_address() const {
    return map_sig_by_addr_;
  }
  [[nodiscard]] bool mn_signalling() const { return mn_sig_; }
  /// Whether keep_kernel_state() was called.
  [[nodiscard]] bool kept_kernel_state() const { return kept_; }
  /// refresh_proxies() calls per ifindex so far.
  [[nodiscard]] std::size_t proxy_refreshes(int ifindex) const;
  /// Tunnel devices that would exist now (bindings with the same endpoints
  /// share one).
  [[nodiscard]] std::size_t tunnel_count() const;
  /// Whether nothing at all is installed.
  [[nodiscard]] bool empty() const;

 private:
  /// Records `c`; returns the injected failure if one is pending.
  std::optional<wire::Error> begin(const Call& c);
  /// The tunnel a binding with endpoints (local, remote, link) uses after
  /// an install: `cur` is its present tunnel (nullptr for a new binding).
  std::pair<std::string, int> place_tunnel(const Ip6Addr& local, const Ip6Addr& remote, int link,
                                           const std::pair<Ip6Addr, Ip6Addr>* cur_ends, int cur_link);
  void leave_tunnel(const Ip6Addr& local, const Ip6Addr& remote, int link);
  /// The lowest table of the lower half of the tag range that no MN or
  /// home binding uses, as NetlinkDataplane allocates them.
  [[nodiscard]] std::optional<std::uint32_t> free_table() const;

  Tags tags_;
  std::vector<CallRecord> calls_;
  std::map<MapBindingKey, MapBinding> map_;
  std::map<MnBindingKey, MnBinding> mn_;
  std::map<BaRouteKey, Ip6Addr> ba_;
  std::vector<MapFlowPolicy> flow_;
  std::map<int, std::size_t> refreshes_;
  std::unique_ptr<detail::TunnelPool> tunnels_;
  std::map<MnHomeKey, MnHomeBinding> home_;
  std::optional<MapSignallingSettings> map_sig_;
  std::map<Ip6Addr, MapSignallingSettings> map_sig_by_addr_;
  bool mn_sig_ = false;
  bool kept_ = false;
  DataplaneCounters counters_;
  std::vector<std::string> leftovers_;
  std::vector<AdoptedMapBinding> leftover_map_;
  std::optional<wire::Error> fail_error_;
  std::size_t fail_count_ = 0;
  bool recording_ = true;
  std::uint32_t next_tunnel_ = 1;
  int next_ifindex_ = 1000;
};

}  // namespace hmip::kglue
