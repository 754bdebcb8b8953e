// Validation of received Router Solicitations and Router Advertisements
// (RFC 4861 §6.1.1, §6.1.2) before they reach ard's core: what the wire
// decoder cannot see because it needs the IP header (Hop Limit from
// IPV6_RECVHOPLIMIT, addresses from the socket and IPV6_PKTINFO), plus the
// decode itself (Code 0, ICMP length >= 8 / 16, option lengths > 0, the
// checksum over the pseudo-header).
#pragma once

#include <string>
#include <variant>

#include "hmip/ar/access_router.h"
#include "hmip/io/icmpv6_socket.h"
#include "hmip/wire/nd.h"

namespace hmip::io {

struct RsReceived {
  unsigned ifindex = 0;
  Ip6Addr src;
  wire::RouterSolicitation rs;
};

struct RaReceived {
  unsigned ifindex = 0;
  Ip6Addr src;
  wire::RouterAdvertisement ra;
};

/// An RS or RA that failed validation: for AccessRouter::handle_invalid.
struct NdInvalid {
  unsigned ifindex = 0;
  ar::InvalidReason reason = ar::InvalidReason::other;
  std::string detail;  ///< for the debug log: "RA from fe80::1 on 3: hop limit 64, not 255"
};

/// Not an RS or RA at all (another type got through the filter) or no
/// arrival interface known: nothing for the core.
struct NdIgnored {
  std::string detail;
};

using NdReceived = std::variant<RsReceived, RaReceived, NdInvalid, NdIgnored>;

/// Checks, in order: Type 133/134 (else ignored), an arrival interface
/// (else ignored), not truncated by the receive buffer, IP Hop Limit 255,
/// for an RA a link-local source, the decode with the checksum when the
/// destination is known (Code, lengths, options), and for an RS from ::
/// no Source Link-layer Address option.
NdReceived classify_nd(const Icmpv6Packet& p);

}  // namespace hmip::io
