// mapd's core state as the JSON its control socket answers (hmipctl mapd
// show ...). Durations in milliseconds; members in this order:
//   bindings: [{"rcoa" (the home address for role home),"role" (map|home),"bid","lcoa","sequence","lifetime_s","remaining_ms",
//               "registered_ms_ago","age_ms","next_brr_ms","brr_sent",
//               "proxy_interface","neighbour_domain","home_flag","install_pending",
//               "adopted"}]
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
/// `daemon` (the I/O side's counters, an object) is merged in after the core's.
Json map_counters_json(const map::MapCounters& c, const Json& daemon);
Json mapd_config_json(const map::MapdConfig& c);

/// "show" dispatch: bindings, pending, counters or config; else ControlError.
Json mapd_show_json(std::string_view what, const map::MapState& s, const map::MapdConfig& cfg, const Json& daemon);

}  // namespace hmip::io
