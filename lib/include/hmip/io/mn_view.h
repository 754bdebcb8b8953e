// mnd's core state as the JSON its control socket answers (hmipctl mnd show
// ...), and netlink's view of a link as the core's LinkState. Durations in
// milliseconds; members in this order:
//   status:     {"status","hmipv6_active","chosen_map","selection","stopping","multiple_coa",
//                "flow_policies": <flows>}
//   maps:       [{"interface","address","dist","pref","r","lifetime","router","age_ms","status"}]
//   interfaces: [{"name","ifindex","up","ra_seen","rs_remaining","lcoa","prefixes"}]
//   bul:        [{"map","rcoa","lcoa","interface","router","role","registered","primary",
//                 "sequence","requested_lifetime","granted_lifetime","expires_ms",
//                 "refresh_ms","retransmit_ms","backoff_ms","bu_sent","last_status",
//                 "bid","multiple_coa","bids","leaving"}]
//               bids (Multiple CoA, per BID): [{"bid","interface","lcoa","priority","registered",
//                 "primary","pending","status","expires_ms","flow_policies" (indexes into flows)}];
//               leaving: BIDs whose lifetime-0 BU is due or outstanding
//   flows:      [{"bid","interface","active","protocol","source_port" [lo,hi],"destination_port"
//                 [lo,hi],"dscp","from","to"}] (unset: null)
//   tunnel:     {"interface","local","remote","rcoa","mtu"} or null
//   held:       [{"map","reason","remaining_ms"}]
//   home:       {"home_address","home_agent","discover","hmipv6","status","mode","coa","via_map",
//                "tunnel_mtu","sequence","requested_lifetime","granted_lifetime","expires_ms",
//                "refresh_ms","retransmit_ms","held_down_ms","held_down_reason","bu_sent",
//                "last_status"} or null (no Home block); mode: hmipv6, plain, at-home or none
//   counters:   {the core's counters, then <the daemon's own counters>}
#pragma once

#include <string_view>

#include "hmip/io/control.h"
#include "hmip/io/link_watcher.h"
#include "hmip/mn/mn_state.h"
#include "hmip/mn/mn_types.h"

namespace hmip::io {

/// The core's view of a link: up = IFF_UP and IFF_RUNNING; every IPv6
/// address with its DAD and lifetime flags.
mn::LinkState to_mn_link_state(const LinkInfo& l);

Json mn_status_json(const mn::MnState& s);
Json mn_maps_json(const mn::MnState& s);
Json mn_interfaces_json(const mn::MnState& s);
Json mn_bul_json(const mn::MnState& s);
Json mn_tunnel_json(const mn::MnState& s);
Json mn_held_json(const mn::MnState& s);
/// Secure mode: the IKE protection per MAP (`hmipctl mnd show ike`).
Json mn_ike_json(const mn::MnState& s);
/// The home registration (`hmipctl mnd show home`; issue 14); null without a Home block.
Json mn_home_json(const mn::MnState& s);
Json mn_counters_json(const mn::MnCounters& c, const Json& daemon);
/// Multiple CoA: the FlowPolicy blocks (`hmipctl mnd show flows`; issue 15).
Json mn_flows_json(const mn::MnState& s);

/// "show" dispatch: status, maps, interfaces, bul, tunnel, held, ike, home, flows or counters; else ControlError.
Json mnd_show_json(std::string_view what, const mn::MnState& s, const Json& daemon);

}  // namespace hmip::io
