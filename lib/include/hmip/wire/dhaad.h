// The ICMPv6 messages of Mobile IPv6 (RFC 6275 §6.5-§6.8): Dynamic Home
// Agent Address Discovery (DHAAD) Request/Reply and Mobile Prefix
// Solicitation/Advertisement, and the Mobile IPv6 Home-Agents anycast
// address a DHAAD Request is sent to (RFC 2526 §2, RFC 6275 §10.5).
//
//   Request (144) and Mobile Prefix Solicitation (146), 8 octets:
//    | Type | Code | Checksum (16) | Identifier (16) |R|  Reserved (15)  |
//   Reply (145): the same 8 octets, then Home Agent Addresses, 16 octets each.
//   Mobile Prefix Advertisement (147):
//    | 147 | Code | Checksum (16) | Identifier (16) |M|O| Reserved (14) | Options |
//
// R is RFC 3963's Mobile Router flag (§4.4, §4.5) in the top bit of the
// DHAAD Reserved field (RFC 6275 itself has 16 reserved bits there): decoded
// and encoded as a named bit, so that a NEMO peer's request is seen for what
// it is. In the Mobile Prefix Solicitation all 16 bits are reserved.
//
// Decoders follow nd.h's order, each check once: at least 4 octets
// (truncated, offset 0), with a PseudoHeader the checksum (bad_checksum,
// offset 2), the Type (unknown_type, offset 0), Code == 0 (invalid_field,
// offset 1: RFC 6275 §6.5-§6.8 define Code 0 only), the 8 fixed octets
// (truncated at the first field that does not fit), then:
//   Reply: the Home Agent Addresses area must be a multiple of 16 octets
//     (bad_length at the offset of the incomplete address; an empty list
//     decodes, the mobile node decides what it means). Addresses are not
//     judged here (a multicast or link-local one is the caller's to drop).
//   Request / Solicitation: octets after the 8 fixed ones are ignored
//     (RFC 6275 defines no options there; a future extension must not make
//     the message undecodable) and not kept: encode(decode(x)) is x without
//     them.
//   Advertisement: ND options (nd_options.h framing rules; the Prefix
//     Information option of RFC 6275 §6.8 and any other).
// Not checked here (they need the IP header or state): the source and
// destination rules of RFC 6275 §10.5 / §11.4.1 (request to the anycast
// address, reply from a home agent address, Identifier matching), and the
// IPsec protection of the Mobile Prefix messages (RFC 6275 §6.7, §6.8).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/nd_options.h"
#include "hmip/wire/result.h"

namespace hmip::wire {

namespace icmpv6 {
inline constexpr std::uint8_t kDhaadRequest = 144;               // RFC 6275 §6.5
inline constexpr std::uint8_t kDhaadReply = 145;                 // RFC 6275 §6.6
inline constexpr std::uint8_t kMobilePrefixSolicitation = 146;   // RFC 6275 §6.7
inline constexpr std::uint8_t kMobilePrefixAdvertisement = 147;  // RFC 6275 §6.8
}  // namespace icmpv6

/// Home Agent Address Discovery Request (RFC 6275 §6.5), ICMPv6 type 144.
struct DhaadRequest {
  std::uint16_t identifier = 0;  ///< echoed in the reply (RFC 6275 §11.4.1)
  bool mobile_router = false;    ///< R (0x8000, RFC 3963 §4.4)
  std::uint16_t reserved = 0;    ///< the other 15 bits (mask 0x7fff)
  friend bool operator==(const DhaadRequest&, const DhaadRequest&) = default;
};

/// Home Agent Address Discovery Reply (RFC 6275 §6.6), ICMPv6 type 145.
struct DhaadReply {
  std::uint16_t identifier = 0;  ///< copied from the request
  bool mobile_router = false;    ///< R (0x8000, RFC 3963 §4.5): the listed HAs support mobile routers
  std::uint16_t reserved = 0;    ///< the other 15 bits (mask 0x7fff)
  std::vector<Ip6Addr> home_agents;  ///< global addresses, in order of preference (RFC 6275 §10.5)
  friend bool operator==(const DhaadReply&, const DhaadReply&) = default;
};

/// Mobile Prefix Solicitation (RFC 6275 §6.7), ICMPv6 type 146.
struct MobilePrefixSolicitation {
  std::uint16_t identifier = 0;
  std::uint16_t reserved = 0;
  friend bool operator==(const MobilePrefixSolicitation&, const MobilePrefixSolicitation&) = default;
};

/// Mobile Prefix Advertisement (RFC 6275 §6.8), ICMPv6 type 147.
struct MobilePrefixAdvertisement {
  std::uint16_t identifier = 0;  ///< of the solicitation answered, or any for an unsolicited one
  bool m_flag = false;           ///< managed address configuration (0x8000)
  bool o_flag = false;           ///< other stateful configuration (0x4000)
  std::uint16_t reserved = 0;    ///< the other 14 bits (mask 0x3fff)
  NdOptions options;             ///< Prefix Information options (RFC 6275 §6.8), others kept
  friend bool operator==(const MobilePrefixAdvertisement&, const MobilePrefixAdvertisement&) = default;
};

/// Home agents a reply can list and still fit in the IPv6 minimum MTU
/// (RFC 6275 §10.5: 1280 - 40 (IPv6 header) - 8 (fixed part), 16 each).
inline constexpr std::size_t kDhaadReplyMaxAddresses = 77;

/// Encoders. ph == nullptr leaves the checksum 0 (a raw ICMPv6 socket has
/// the kernel fill it), else it is computed. Errors: invalid_field (reserved
/// bits overlapping R / M / O, offset 6; a bad option of an advertisement),
/// too_long (over 65535 octets, offset 0), and the option errors of
/// encode_nd_options().
Result<Bytes> encode(const DhaadRequest& msg, const PseudoHeader* ph);
Result<Bytes> encode(const DhaadReply& msg, const PseudoHeader* ph);
Result<Bytes> encode(const MobilePrefixSolicitation& msg, const PseudoHeader* ph);
Result<Bytes> encode(const MobilePrefixAdvertisement& msg, const PseudoHeader* ph);

/// Decoders (checks as in the file comment; another Type is unknown_type).
Result<DhaadRequest> decode_dhaad_request(ByteSpan msg, const PseudoHeader* ph);
Result<DhaadReply> decode_dhaad_reply(ByteSpan msg, const PseudoHeader* ph);
Result<MobilePrefixSolicitation> decode_mobile_prefix_solicitation(ByteSpan msg, const PseudoHeader* ph);
Result<MobilePrefixAdvertisement> decode_mobile_prefix_advertisement(ByteSpan msg, const PseudoHeader* ph);

/// The Mobile IPv6 Home-Agents anycast address of the subnet `prefix`/`len`
/// (RFC 2526 §2, anycast ID 0x7e, RFC 6275 §10.5). Bits of `prefix` past
/// `len` are ignored.
///  - len <= 64 with a format prefix other than binary 000 (the address
///    types whose interface identifiers are 64-bit EUI-64 format, RFC 4291
///    §2.5.1): the bits between the prefix and bit 64 all ones, then the
///    interface identifier fdff:ffff:ffff:fffe (universal/local bit 0, RFC
///    2526 §2 Figure 1), e.g. /48 -> prefix:ffff:fdff:ffff:ffff:fffe.
///  - any other length: prefix | (121 - len) one bits | 0x7e (RFC 2526
///    Figure 2), e.g. /80 -> ...:ffff:ffff:fffe, /120 -> ...:fe.
///  - len > 121 (no room for the 7-bit anycast ID): nullopt.
[[nodiscard]] std::optional<Ip6Addr> home_agents_anycast(const Ip6Addr& prefix, std::uint8_t len) noexcept;

/// Whether `a` is the Home-Agents anycast address of `prefix`/`len`.
[[nodiscard]] bool is_home_agents_anycast(const Ip6Addr& a, const Ip6Addr& prefix, std::uint8_t len) noexcept;

}  // namespace hmip::wire
