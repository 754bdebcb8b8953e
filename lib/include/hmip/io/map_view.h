// mapd's core state as the JSON its control socket answers (hmipctl mapd
// show ...). Durations in milliseconds; members in this order:
//   bindings: [{"rcoa" (the home address for role home),"role" (map|home),"bid","lcoa","sequence","lifetime_s","remaining_ms",
//               "registered_ms_ago","age_ms","next_brr_ms","brr_sent",
//               "proxy_interface","neighbour_domain","home_flag","install_pending",
//               "adopted","rank","active","bid_pri"}]
//             (Multiple CoA: "bid" the Binding ID, 0 a regular binding; "rank" as
//             installed, "active" the top-ranked binding of its address, the one
//             carrying its traffic by default; "bid_pri" RFC 6089's BID-PRI, 0 none)
//   flows:    [{"bid","protocol","source_port" ({"lo","hi"}|null),"destination_port",
//               "dscp","from","to","bindings" (how many bindings have that BID)}]
//             (mapd.conf FlowPolicy blocks, in order; null: any)
//   pending:  [{"rcoa","bid","lcoa","sequence","state" (dad|install),"dad_remaining_ms"}]
//   counters: {the core's counters, "bu_refused": {"STATUS": n}, "invalid_mh":
//              {reason: n}, then <the daemon's own counters>}
#pragma once

#include <string_view>

#include "hmip/io/control.h"
#include "hmip/map/config.h"
#include "hmip/map/map_types.h"

namespace hmip::io {

Json map_bindings_json(const map::MapState& s);
Json map_pending_json(const map::MapState& s);
/// The FlowPolicy blocks with how many bindings have each one's BID.
Json map_flow_policies_json(const map::MapState& s);
/// `daemon` (the I/O side's counters, an object) is merged in after the core's.
Json map_counters_json(const map::MapCounters& c, const Json& daemon);
Json mapd_config_json(const map::MapdConfig& c);

/// "show" dispatch: bindings, pending, flows, counters or config; else ControlError.
Json mapd_show_json(std::string_view what, const map::MapState& s, const map::MapdConfig& cfg, const Json& daemon);

}  // namespace hmip::io
