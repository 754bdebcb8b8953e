// The Internet checksum (RFC 1071) and the IPv6 upper-layer pseudo-header
// (RFC 8200 §8.1) used by ICMPv6 (RFC 4443 §2.3) and the Mobility Header
// (RFC 6275 §6.1.1).
#pragma once

#include <cstdint>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"

namespace hmip::wire {

inline constexpr std::uint8_t kIpProtoIcmpv6 = 58;
inline constexpr std::uint8_t kIpProtoMh = 135;
inline constexpr std::uint8_t kIpProtoNone = 59;

/// The addresses an upper-layer checksum covers. For a Mobility Header this
/// is the address pair as the upper layer sees it: a Binding Update carrying a
/// Home Address option is checksummed with src = the home address (RCoA), a
/// Binding Acknowledgement with a type 2 routing header with dst = the home
/// address (RCoA); see RFC 6275 §6.1.1 and ../shared/notes/kernel-testbed.md.
struct PseudoHeader {
  Ip6Addr src;
  Ip6Addr dst;
};

/// One's-complement sum over the pseudo-header (src, dst, upper-layer length,
/// next header) and `payload`, returned ready to store. A computed checksum
/// of 0 is stored as 0: IPv6 upper layers (ICMPv6, the Mobility Header) have
/// no UDP-style substitution of 0xffff for 0. The checksum field inside
/// `payload` must be zero when computing and left as received when verifying.
std::uint16_t upper_layer_checksum(const PseudoHeader& ph, std::uint8_t next_header,
                                   ByteSpan payload) noexcept;

/// True if `payload` (with its checksum field in place) verifies.
bool verify_upper_layer_checksum(const PseudoHeader& ph, std::uint8_t next_header,
                                 ByteSpan payload) noexcept;

}  // namespace hmip::wire
