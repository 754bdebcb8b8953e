// What NetlinkDataplane mirrors per binding: exactly the objects it put into
// the kernel, so updates are diffs and removal/flush delete exactly these.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hmip/kglue/dataplane.h"
#include "nl_objects.h"
#include "object_set.h"

namespace hmip::kglue::detail {

/// One MAP binding. Its objects and xfrm are its part of its address's
/// layout (binding_layout.h map_address_layout): the proxy entries and the
/// route2 state sit with the highest-ranked binding of the address that
/// wants them, so each kernel object is in exactly one binding's list.
struct MapState {
  MapBindingSettings settings;
  TunnelObj tunnel;
  int ifindex = 0;
  /// Multiple CoA: the tunnel name of this binding's (RCoA, tunnel) element
  /// in the ingress check's path set (nft_ingress.h kMcoaPathSet); "" none
  /// (the address's top-ranked binding, a lone binding).
  std::string nft_path;
  std::vector<KObj> objects;
  XfrmSet xfrm;
};

/// Multiple CoA flow policies (dataplane.h MapFlowPolicy) as installed.
struct MapFlowState {
  std::vector<MapFlowPolicy> policies;
  std::map<std::uint16_t, std::uint32_t> tables;  ///< BID -> its table (binding_layout.h map_flow_tables)
  std::vector<KObj> rules;                        ///< map_flow_rules of policies
};

struct MnState {
  MnBindingSettings settings;
  TunnelObj tunnel;
  int ifindex = 0;
  std::uint32_t table = 0;
  std::vector<KObj> objects;
  XfrmSet xfrm;
};

/// Multiple CoA towards the home agent: one extra CoA's receive-only
/// tunnel (dataplane.h MnHomeCoa).
struct MnHomeExtra {
  MnHomeCoa coa;
  TunnelObj tunnel;
  int ifindex = 0;
};

struct MnHomeState {
  MnHomeSettings settings;  ///< as installed (more_coas: what `more` holds, in order)
  std::vector<MnHomeExtra> more;  ///< away, plain mode: the extra CoAs' tunnels (pool-tracked: flush, reconcile)
  TunnelObj tunnel;         ///< away: the home tunnel; empty name at home
  int ifindex = 0;          ///< away: the home tunnel's ifindex
  std::uint32_t table = 0;  ///< away: the home table (its signalling table is mn_lcoa_table of it)
  std::vector<KObj> objects;
  XfrmSet xfrm;
};

/// What a binding update did to the binding's tunnel (NetlinkDataplane::
/// begin_tunnel_move): the tunnel to use now, and what to undo if the rest
/// of the update fails or to finish when it succeeded.
struct TunnelMove {
  TunnelObj obj;
  int ifindex = 0;
  bool in_place = false;  ///< the device itself was changed (its only user)
  bool acquired = false;  ///< another tunnel was joined or created: leave the old one after success
};

struct BaState {
  XfrmSet xfrm;
  /// The route and rule that let the kernel route the BA to the RCoA at all
  /// (binding_layout.h, ba_objects); none when borrowed. The route is one
  /// per RCoA: several entries for one RCoA (other MAP addresses) share it.
  std::vector<KObj> objects;
  /// Set when the BA goes to another CoA than a binding's: the binding's
  /// route2 state was re-pointed for this BA and is restored on removal.
  std::optional<MapBindingKey> borrowed_from;
};

}  // namespace hmip::kglue::detail
