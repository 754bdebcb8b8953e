// ICMPv6 Neighbor Discovery messages (RFC 4861 §4.1-4.4, with RFC 6275
// §7.1 and RFC 4191 §2.2 extensions to the Router Advertisement) and the
// generic ICMPv6 codec that also covers the netmip6 HO messages (ho.h) and
// the Mobile IPv6 DHAAD / Mobile Prefix messages (dhaad.h, RFC 6275 §6.5-6.8).
//
// Offsets in errors count from the first octet of the ICMPv6 message.
// Decoders check, in this order and each once: the HoConfig (validate(),
// invalid_field at offset 0), at least 4 octets (truncated), the checksum
// when a PseudoHeader is given (bad_checksum, offset 2), the Type
// (unknown_type, offset 0), Code == 0 (invalid_field, offset 1), the fixed
// fields (truncated at the first field that does not fit), then the option
// framing (decode_nd_options(): a malformed option does not fail the
// message, it is returned as a MalformedNdOption). In RS/RA/NS/NA an option
// of HoConfig::nai_option_type is an UnknownNdOption (NAI options belong to
// the HO messages, ho.h), and encoding a NaiOption there is invalid_field.
//
// Not checked here (RFC 4861 §6.1, §7.1.1): IP Hop Limit 255, source/
// destination address rules (e.g. no Source LLA option when the source is
// the unspecified address, S = 0 for a multicast destination) and the AH
// of the HO messages. Those need the IP header: the socket layer's job
// (IPV6_RECVHOPLIMIT / IPV6_UNICAST_HOPS = 255).
#pragma once

#include <cstdint>
#include <variant>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/dhaad.h"
#include "hmip/wire/ho.h"
#include "hmip/wire/nd_options.h"
#include "hmip/wire/result.h"

namespace hmip::wire {

/// ICMPv6 message types (IANA "ICMPv6 Parameters").
namespace icmpv6 {
inline constexpr std::uint8_t kRouterSolicitation = 133;     // RFC 4861 §4.1
inline constexpr std::uint8_t kRouterAdvertisement = 134;    // RFC 4861 §4.2
inline constexpr std::uint8_t kNeighborSolicitation = 135;   // RFC 4861 §4.3
inline constexpr std::uint8_t kNeighborAdvertisement = 136;  // RFC 4861 §4.4
inline constexpr std::uint8_t kNdHopLimit = 255;             // RFC 4861 §6.1.1, §7.1.1
}  // namespace icmpv6

/// Router Solicitation (RFC 4861 §4.1): | 133 | 0 | Checksum | Reserved (32) | Options |
struct RouterSolicitation {
  std::uint32_t reserved = 0;
  NdOptions options;
  friend bool operator==(const RouterSolicitation&, const RouterSolicitation&) = default;
};

/// Router Advertisement (RFC 4861 §4.2):
///   | 134 | 0 | Checksum |
///   | Cur Hop Limit |M|O|H|Prf|Resvd| Router Lifetime (16) |
///   | Reachable Time (32) | Retrans Timer (32) | Options |
struct RouterAdvertisement {
  std::uint8_t cur_hop_limit = 0;                   ///< 0 = unspecified
  bool m_flag = false;                              ///< managed address configuration (0x80)
  bool o_flag = false;                              ///< other configuration (0x40)
  bool h_flag = false;                              ///< the router is a home agent (0x20, RFC 6275 §7.1)
  RouterPreference prf = RouterPreference::medium;  ///< bits 0x18 (RFC 4191 §2.2)
  std::uint8_t reserved = 0;                        ///< the other 3 bits (mask 0x07; 0x04 is RFC 4389's P)
  std::uint16_t router_lifetime = 0;                ///< seconds, 0 = not a default router
  std::uint32_t reachable_time = 0;                 ///< milliseconds, 0 = unspecified
  std::uint32_t retrans_timer = 0;                  ///< milliseconds, 0 = unspecified
  NdOptions options;
  friend bool operator==(const RouterAdvertisement&, const RouterAdvertisement&) = default;
};

/// Neighbor Solicitation (RFC 4861 §4.3):
///   | 135 | 0 | Checksum | Reserved (32) | Target Address | Options |
/// A multicast Target is invalid_field (RFC 4861 §7.1.1), offset 8.
struct NeighborSolicitation {
  std::uint32_t reserved = 0;
  Ip6Addr target;
  NdOptions options;
  friend bool operator==(const NeighborSolicitation&, const NeighborSolicitation&) = default;
};

/// Neighbor Advertisement (RFC 4861 §4.4):
///   | 136 | 0 | Checksum |R|S|O| Reserved (29) | Target Address | Options |
/// A multicast Target is invalid_field (RFC 4861 §7.1.2), offset 8.
struct NeighborAdvertisement {
  bool r_flag = false;         ///< sender is a router (0x80000000)
  bool s_flag = false;         ///< solicited (0x40000000)
  bool o_flag = false;         ///< override (0x20000000)
  std::uint32_t reserved = 0;  ///< the other 29 bits (mask 0x1fffffff)
  Ip6Addr target;
  NdOptions options;
  friend bool operator==(const NeighborAdvertisement&, const NeighborAdvertisement&) = default;
};

/// Every ICMPv6 message this codec handles.
using IcmpMessage = std::variant<RouterSolicitation, RouterAdvertisement, NeighborSolicitation, NeighborAdvertisement,
                                 HoRequest, HoResponse, DhaadRequest, DhaadReply, MobilePrefixSolicitation,
                                 MobilePrefixAdvertisement>;

/// The ICMPv6 header (RFC 4443 §2.1).
struct Icmpv6Header {
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::uint16_t checksum = 0;
  friend bool operator==(const Icmpv6Header&, const Icmpv6Header&) = default;
};

/// Reads the ICMPv6 header of `msg` and, with ph, verifies the checksum
/// over the whole message (RFC 4443 §2.3). Does not look at type or code.
/// Errors: truncated (under 4 octets, offset 0), bad_checksum (offset 2).
Result<Icmpv6Header> decode_icmpv6_header(ByteSpan msg, const PseudoHeader* ph);

/// decode_icmpv6_header() and then: Type == `type` (else unknown_type,
/// offset 0) and Code == 0 (else invalid_field, offset 1). Every decoder
/// here starts with it.
Result<Icmpv6Header> expect_icmpv6(ByteSpan msg, const PseudoHeader* ph, std::uint8_t type);

/// Stores the checksum of the finished ICMPv6 message `msg` at offset 2:
/// 0 without ph, else computed over ph and msg (whatever the field held).
/// Errors: too_long (over 65535 octets, offset 0), truncated (under 4).
Status finish_icmpv6(Bytes& msg, const PseudoHeader* ph);

/// The ICMPv6 Type `msg` is encoded with.
[[nodiscard]] std::uint8_t icmpv6_type(const IcmpMessage& msg, const HoConfig& cfg = {}) noexcept;

/// Encodes any ICMPv6 message; ph == nullptr -> checksum 0 (raw ICMPv6
/// sockets have the kernel fill it), else computed. Errors: those of the
/// per-message encoders below and of encode_nd_options().
Result<Bytes> encode_icmpv6(const IcmpMessage& msg, const PseudoHeader* ph, const HoConfig& cfg = {});

/// Decodes any ICMPv6 message this codec handles; with ph the checksum is
/// verified. Errors: truncated, bad_checksum, unknown_type (offset 0: not an
/// ND type, nor 144-147 (dhaad.h), nor cfg.request_type/response_type),
/// bad_length (a DHAAD Reply's address list, dhaad.h), invalid_field (bad HoConfig
/// at offset 0, Code != 0 at offset 1, bad fixed field values, the NAI rule
/// of an HO Request) and the option framing errors of decode_nd_options()
/// (truncated, bad_length for a zero Length); a malformed option is kept as
/// a MalformedNdOption.
Result<IcmpMessage> decode_icmpv6(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg = {});

/// Per-message encoders (same contract as encode_icmpv6). Errors:
/// invalid_field for reserved bits overlapping named fields, a multicast
/// NS/NA target, bad options; too_long over 65535 octets.
Result<Bytes> encode(const RouterSolicitation& msg, const PseudoHeader* ph, const HoConfig& cfg = {});
Result<Bytes> encode(const RouterAdvertisement& msg, const PseudoHeader* ph, const HoConfig& cfg = {});
Result<Bytes> encode(const NeighborSolicitation& msg, const PseudoHeader* ph, const HoConfig& cfg = {});
Result<Bytes> encode(const NeighborAdvertisement& msg, const PseudoHeader* ph, const HoConfig& cfg = {});

/// Per-message decoders (same contract as decode_icmpv6; another Type is
/// unknown_type at offset 0).
Result<RouterSolicitation> decode_router_solicitation(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg = {});
Result<RouterAdvertisement> decode_router_advertisement(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg = {});
Result<NeighborSolicitation> decode_neighbor_solicitation(ByteSpan msg, const PseudoHeader* ph,
                                                          const HoConfig& cfg = {});
Result<NeighborAdvertisement> decode_neighbor_advertisement(ByteSpan msg, const PseudoHeader* ph,
                                                            const HoConfig& cfg = {});

}  // namespace hmip::wire
