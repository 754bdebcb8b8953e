// What NetlinkDataplane mirrors per binding: exactly the objects it put into
// the kernel, so updates are diffs and removal/flush delete exactly these.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "hmip/kglue/dataplane.h"
#include "nl_objects.h"
#include "object_set.h"

namespace hmip::kglue::detail {

struct MapState {
  MapBindingSettings settings;
  TunnelObj tunnel;
  int ifindex = 0;
  std::vector<KObj> objects;
  XfrmSet xfrm;
};

struct MnState {
  MnBindingSettings settings;
  TunnelObj tunnel;
  int ifindex = 0;
  std::uint32_t table = 0;
  std::vector<KObj> objects;
  XfrmSet xfrm;
};

struct MnHomeState {
  MnHomeSettings settings;
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
