// ard's glue between the I/O side and its core that is worth testing
// without sockets: netlink links as the core's LinkState, and the core's
// state() as the JSON the control socket answers (hmipctl ard show ...).
//
// JSON shapes (durations in milliseconds, members in this order):
//   interfaces: [{"name","ifindex","up","link_local","mac","mtu","send_advert",
//                 "advertising","map_listen","map_relay","fast_ras","next_ra_ms",
//                 "last_ra_ms","pending_unicast","router_lifetime"}]
//   prefixes:   [{"interface","prefix","flags" ("LAR" letters set),"valid",
//                 "preferred","advertised"}]
//   maps:       [{"address","origin","state","admin","dist","pref","r","lifetime",
//                 "advertised_on", then for configured MAPs "probed","probes",
//                 "replies","misses","stale","rtt_ms","last_reply_ms",
//                 "failed_for_ms","failures","restores","probe_id","shadowed",
//                 for learned ones "learned_on","learned_from","sources",
//                 "remaining_ms","shadowed"}]
//   counters:   {"ignored_unconfigured","echo_unmatched","learned_table_full",
//                <the daemon's own counters>, "interfaces": {NAME: {...}}}
#pragma once

#include <string>
#include <string_view>

#include "hmip/ar/access_router.h"
#include "hmip/io/control.h"
#include "hmip/io/link_watcher.h"
#include "hmip/io/log.h"

namespace hmip::io {

/// The core's view of a link: up = IFF_UP and IFF_RUNNING; the first usable
/// link-local; usable, not deprecated global addresses.
ar::LinkState to_link_state(const LinkInfo& l);

/// ar::LogLevel and io::LogLevel name the same five levels.
LogLevel to_io_level(ar::LogLevel l) noexcept;
ar::LogLevel to_ar_level(LogLevel l) noexcept;

Json interfaces_json(const ar::ArdState& s, const LinkTable& links);
Json prefixes_json(const ar::ArdState& s, const ar::ArdConfig& cfg);
Json maps_json(const ar::ArdState& s);
/// `daemon` (an object of the I/O side's counters) is merged in before "interfaces".
Json counters_json(const ar::ArdState& s, const Json& daemon);

/// "show" dispatch: `what` is interfaces, prefixes, maps or counters; else
/// ControlError listing those.
Json show_json(std::string_view what, const ar::ArdState& s, const ar::ArdConfig& cfg, const LinkTable& links,
               const Json& daemon_counters);

}  // namespace hmip::io
