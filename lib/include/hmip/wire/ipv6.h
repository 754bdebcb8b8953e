// The fixed IPv6 header (RFC 8200 §3), for tests, pcaps and raw-socket work:
//
//   | Version=6 (4) | Traffic Class (8) | Flow Label (20) |
//   | Payload Length (16) | Next Header (8) | Hop Limit (8) |
//   | Source Address (16) | Destination Address (16) |
//
// Payload Length counts everything after these 40 octets (extension headers
// and the upper layer). Jumbograms (RFC 2675, Payload Length 0 with a Jumbo
// Payload hop-by-hop option) are not supported.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/result.h"

namespace hmip::wire {

inline constexpr std::size_t kIpv6HeaderLength = 40;
inline constexpr std::uint32_t kIpv6FlowLabelMax = 0xFFFFF;
inline constexpr std::size_t kIpv6MaxPayload = 0xFFFF;

struct Ipv6Header {
  std::uint8_t traffic_class = 0;
  std::uint32_t flow_label = 0;     ///< 20 bits
  std::uint16_t payload_length = 0; ///< set by parse_ipv6_packet; build computes its own
  std::uint8_t next_header = 59;    ///< No Next Header
  std::uint8_t hop_limit = 64;
  Ip6Addr src;
  Ip6Addr dst;
  friend bool operator==(const Ipv6Header&, const Ipv6Header&) = default;
};

/// The 40-octet header followed by `ext_and_payload`; Payload Length is
/// ext_and_payload.size() (header.payload_length is ignored).
/// Preconditions (programming errors, reported by throwing
/// std::invalid_argument): flow_label <= kIpv6FlowLabelMax and
/// ext_and_payload.size() <= kIpv6MaxPayload.
Bytes build_ipv6_packet(const Ipv6Header& header, ByteSpan ext_and_payload);

struct Ipv6Packet {
  Ipv6Header header;
  ByteSpan payload;  ///< exactly Payload Length octets, a view into the input
};

/// Parses an IPv6 packet. Octets after Payload Length (link-layer padding)
/// are ignored. Errors:
///   truncated     (size) fewer than 40 octets, or fewer than 40 + Payload
///                        Length
///   invalid_field (0)    Version is not 6
Result<Ipv6Packet> parse_ipv6_packet(ByteSpan packet);

}  // namespace hmip::wire
