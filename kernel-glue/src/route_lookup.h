// Asking the kernel which way it would send a packet (RTM_GETROUTE, as
// `ip -6 route get DST from SRC`): the first hop of the route it picks.
#pragma once

#include "hmip/wire/addr.h"
#include "hmip/wire/result.h"

namespace hmip::kglue::detail {

class RouteSocket;

/// The route the kernel picked: output link and next hop (`::` when the
/// destination is on that link).
struct RouteHop {
  int oif = 0;
  Ip6Addr gateway;
  friend bool operator==(const RouteHop&, const RouteHop&) = default;
};

/// The kernel's route from `src` to `dst` (policy rules included; `src`
/// may be `::`). Fails with the kernel's errno as the error's offset
/// (ENETUNREACH, EHOSTUNREACH, ...) when it has none, or when the answer
/// names no output link; `detail` gets the text.
wire::Result<RouteHop> lookup_route(RouteSocket& sock, const Ip6Addr& dst, const Ip6Addr& src, std::string& detail);

}  // namespace hmip::kglue::detail
