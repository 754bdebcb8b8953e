// The Mobility Header (RFC 6275 §6.1): Binding Refresh Request, Binding
// Update, Binding Acknowledgement and Binding Error, with their options
// (mh_options.h).
//
//   | Payload Proto | Header Len | MH Type | Reserved | Checksum | data... |
//
// Payload Proto is always 59 (IPPROTO_NONE); Header Len counts 8-octet units
// excluding the first 8 octets; the whole message is a multiple of 8 octets
// and at most (255 + 1) * 8 = 2048 octets.
//
// Checksum (RFC 6275 §6.1.1): the IPv6 pseudo-header (RFC 8200 §8.1, next
// header 135) uses the addresses AS THE UPPER LAYER SEES THEM, not as they
// appear in the IPv6 header on the wire:
//   * a Binding Update sent with a Home Address destination option is
//     checksummed with src = the home address (the RCoA for a MAP
//     registration), not the care-of address in the IPv6 source field;
//   * a Binding Acknowledgement sent with a type 2 routing header is
//     checksummed with dst = the home address (the RCoA) carried in the
//     routing header, not the care-of address in the IPv6 destination field.
// Pass those addresses in the PseudoHeader. With no PseudoHeader the encoder
// leaves the checksum 0 (for a raw socket with IPV6_CHECKSUM set at offset 4,
// where the kernel fills it in) and the decoder does not verify it.
//
// Flag words, checked against the final RFCs:
//   * BU (RFC 6275 §6.1.7): |A|H|L|K|M|R|P| 9 more bits | - M is RFC 5380 §4
//     (MAP registration), R is RFC 3963 §4.1, P is RFC 5213 §8.1. Later RFCs
//     assign some of the 9 low bits (F 0x0100 RFC 5555, T 0x0080 RFC 5845,
//     B 0x0040 RFC 6602); they are kept raw in `other_flags`.
//   * The Overwrite (O) flag that draft-ietf-monami6-multiplecoa-13 §4.2
//     (the seed) put at BU bit 0x0040 is NOT in final RFC 5648, neither in
//     the BU nor in the Binding Identifier option; that bit is now RFC
//     6602's B flag. See mh_options.h for the evidence and for RFC 6089's
//     BID-PRI. A sender setting the draft's O bit lands in `other_flags`.
//   * BA (RFC 6275 §6.1.8): |K|R|P| 5 more bits | - R RFC 3963 §4.2, P RFC
//     5213 §8.2 (T 0x10, B 0x08 later); the rest is kept raw in `other_flags`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/mh_options.h"
#include "hmip/wire/result.h"

namespace hmip::wire {

/// MH Type values (IANA "Mobility Header Types", RFC 6275 §6.1.2-§6.1.9).
namespace mh_type {
inline constexpr std::uint8_t kBindingRefreshRequest = 0;
inline constexpr std::uint8_t kHomeTestInit = 1;
inline constexpr std::uint8_t kCareOfTestInit = 2;
inline constexpr std::uint8_t kHomeTest = 3;
inline constexpr std::uint8_t kCareOfTest = 4;
inline constexpr std::uint8_t kBindingUpdate = 5;
inline constexpr std::uint8_t kBindingAck = 6;
inline constexpr std::uint8_t kBindingError = 7;
}  // namespace mh_type

/// Binding Acknowledgement status values (IANA "Binding Acknowledgement
/// Status Codes"). Values below 128 mean the BU was accepted (§6.1.8).
/// RFC 5380 (HMIPv6) defines no status values of its own; 160 is RFC 5213's
/// MISSING_MN_IDENTIFIER_OPTION, not an HMIPv6 code.
namespace ba_status {
inline constexpr std::uint8_t kAccepted = 0;                          // RFC 6275 §6.1.8
inline constexpr std::uint8_t kAcceptedPrefixDiscoveryNecessary = 1;  // RFC 6275 §6.1.8
inline constexpr std::uint8_t kMcoaNotComplete = 4;                   // RFC 5648
inline constexpr std::uint8_t kMcoaReturnHomeWoNdp = 5;               // RFC 5648
inline constexpr std::uint8_t kReasonUnspecified = 128;               // RFC 6275 §6.1.8
inline constexpr std::uint8_t kAdministrativelyProhibited = 129;
inline constexpr std::uint8_t kInsufficientResources = 130;
inline constexpr std::uint8_t kHomeRegistrationNotSupported = 131;
inline constexpr std::uint8_t kNotHomeSubnet = 132;
inline constexpr std::uint8_t kNotHomeAgentForThisMobileNode = 133;
inline constexpr std::uint8_t kDuplicateAddressDetectionFailed = 134;
inline constexpr std::uint8_t kSequenceNumberOutOfWindow = 135;
inline constexpr std::uint8_t kExpiredHomeNonceIndex = 136;
inline constexpr std::uint8_t kExpiredCareOfNonceIndex = 137;
inline constexpr std::uint8_t kExpiredNonces = 138;
inline constexpr std::uint8_t kRegistrationTypeChangeDisallowed = 139;
inline constexpr std::uint8_t kMcoaMalformed = 164;                   // RFC 5648
inline constexpr std::uint8_t kMcoaNonMcoaBindingExists = 165;
inline constexpr std::uint8_t kMcoaProhibited = 166;
inline constexpr std::uint8_t kMcoaUnknownCoa = 167;
inline constexpr std::uint8_t kMcoaBulkRegistrationProhibited = 168;
inline constexpr std::uint8_t kMcoaSimultaneousHomeAndForeignProhibited = 169;
inline constexpr std::uint8_t kInvalidCareOfAddress = 174;            // RFC 6275 §6.1.8

/// True if `status` reports an accepted Binding Update (status < 128).
[[nodiscard]] constexpr bool accepted(std::uint8_t status) noexcept { return status < 128; }
}  // namespace ba_status

/// Binding Error status values (RFC 6275 §6.1.9).
namespace be_status {
inline constexpr std::uint8_t kUnknownBindingForHomeAddressDestOption = 1;
inline constexpr std::uint8_t kUnrecognizedMhType = 2;
}  // namespace be_status

/// Lifetimes and refresh intervals count units of 4 seconds (§6.1.7).
inline constexpr std::uint32_t kMhLifetimeUnitSeconds = 4;

/// The largest Mobility Header: Header Len is one octet of 8-octet units.
inline constexpr std::size_t kMhMaxLength = 2048;

/// Binding Refresh Request (RFC 6275 §6.1.2), MH Type 0.
struct BindingRefreshRequest {
  std::vector<MobilityOption> options;
  friend bool operator==(const BindingRefreshRequest&, const BindingRefreshRequest&) = default;
};

/// Binding Update (RFC 6275 §6.1.7), MH Type 5.
struct BindingUpdate {
  /// Bits of the flag word below P that this layer does not name (mask).
  static constexpr std::uint16_t kOtherFlagsMask = 0x01ff;

  std::uint16_t sequence = 0;
  bool ack = false;                 ///< A (0x8000): Acknowledge requested
  bool home_registration = false;   ///< H (0x4000)
  bool link_local_compat = false;   ///< L (0x2000): link-local address compatibility
  bool key_mgmt_compat = false;     ///< K (0x1000): key management mobility capability
  bool map_registration = false;    ///< M (0x0800): MAP registration, RFC 5380 §4
  bool mobile_router = false;       ///< R (0x0400): mobile router, RFC 3963 §4.1
  bool proxy_registration = false;  ///< P (0x0200): RFC 5213 §8.1
  std::uint16_t other_flags = 0;    ///< the low 9 bits, raw; must fit kOtherFlagsMask
  std::uint16_t lifetime = 0;       ///< in units of 4 seconds
  std::vector<MobilityOption> options;
  friend bool operator==(const BindingUpdate&, const BindingUpdate&) = default;
};

/// Binding Acknowledgement (RFC 6275 §6.1.8), MH Type 6.
struct BindingAck {
  /// Bits of the flag byte below P that this layer does not name (mask).
  static constexpr std::uint8_t kOtherFlagsMask = 0x1f;

  std::uint8_t status = ba_status::kAccepted;
  bool key_mgmt_compat = false;     ///< K (0x80)
  bool mobile_router = false;       ///< R (0x40): RFC 3963 §4.2
  bool proxy_registration = false;  ///< P (0x20): RFC 5213 §8.2
  std::uint8_t other_flags = 0;     ///< the low 5 bits, raw; must fit kOtherFlagsMask
  std::uint16_t sequence = 0;
  std::uint16_t lifetime = 0;       ///< in units of 4 seconds
  std::vector<MobilityOption> options;
  friend bool operator==(const BindingAck&, const BindingAck&) = default;
};

/// Binding Error (RFC 6275 §6.1.9), MH Type 7.
struct BindingError {
  std::uint8_t status = be_status::kUnknownBindingForHomeAddressDestOption;
  Ip6Addr home_address;  ///< the HAO's address, or unspecified (§6.1.9)
  std::vector<MobilityOption> options;
  friend bool operator==(const BindingError&, const BindingError&) = default;
};

using MhMessage = std::variant<BindingRefreshRequest, BindingUpdate, BindingAck, BindingError>;

/// The MH Type value of `msg`.
[[nodiscard]] std::uint8_t mh_type_of(const MhMessage& msg) noexcept;

/// The MH Type octet (offset 2) of a received Mobility Header, without any
/// validation, or nullopt if `mh` is shorter than 3 octets. For answering an
/// unknown type with a Binding Error, status 2 (RFC 6275 §9.2).
[[nodiscard]] std::optional<std::uint8_t> peek_mh_type(ByteSpan mh) noexcept;

/// Encodes `msg` with canonical option padding. `ph` null: checksum field 0;
/// otherwise the checksum over `ph` (see the file comment for which
/// addresses), next header 135.
/// Errors: too_long (over 2048 octets), invalid_field (a flag or option value
/// that does not fit its field; see encode_mobility_options).
Result<Bytes> encode_mh(const MhMessage& msg, const PseudoHeader* ph);

/// Decodes the Mobility Header at the start of `mh`. Octets after the length
/// Header Len declares are ignored (the MH's Payload Proto is 59, No Next
/// Header, and RFC 8200 §4.7 says octets after it are ignored); the checksum
/// covers the declared length only. Checks, with the offset reported: first
/// the framing, then RFC 6275 §9.2 in its order (so that a daemon can act on
/// the error: discard silently, answer with a Binding Error, or send an ICMP
/// Parameter Problem pointing at the offset):
///   truncated     (size) fewer than 6 octets
///                 (1)    Header Len declares more octets than the input holds
///   bad_checksum  (4)    `ph` given and the checksum does not verify
///                        (§9.2: silently discard)
///   unknown_type  (2)    an MH Type other than 0, 5, 6, 7 (§9.2: Binding
///                        Error status 2; see peek_mh_type)
///   invalid_field (0)    Payload Proto is not 59 (§9.2: Parameter Problem)
///   bad_length    (1)    Header Len below the minimum for the MH Type: BRR
///                        0, BU 1, BA 1, BE 2 (§9.2: Parameter Problem)
///   truncated     (opt)  an option or a PadN runs past the end (see
///                        decode_mobility_options; a malformed known option
///                        is kept as a MalformedMobilityOption instead)
Result<MhMessage> decode_mh(ByteSpan in, const PseudoHeader* ph);

}  // namespace hmip::wire
