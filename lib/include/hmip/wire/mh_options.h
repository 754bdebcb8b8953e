// Mobility options (RFC 6275 §6.2) carried in the Mobility Header.
//
// Alignment (RFC 6275 §6.2): an option with requirement "xn+y" must have its
// Option Type octet at x*n+y octets from the START OF THE MOBILITY HEADER.
// The encoder inserts the canonical padding before each option and after the
// last one (so that the message is a multiple of 8 octets): Pad1 for a gap of
// one octet, otherwise a single PadN with zero data, always the minimal gap.
// This is exactly what scapy 2.5 `_OptionsField.i2m` (layers/inet6.py) does
// for the options it knows; for options scapy does not know (it has no class
// for the Binding Identifier, type 35) scapy assumes no alignment and will not
// pad before them, so a hand-built scapy packet must add the Pad1/PadN itself.
// A MalformedMobilityOption is written back raw where it falls, unpadded
// (its alignment is not restored), like scapy's MIP6OptUnknown.
//
// The decoder consumes Pad1/PadN (PadN data is ignored, RFC 6275 §6.2.3) and
// keeps options of any type it does not model as UnknownMobilityOption{type,
// data}: RFC 6275 §6.2.1 says a receiver skips options it does not
// understand, and keeping them raw makes encode() the inverse of decode().
//
// A known option that breaks its own rules (wrong Option Length, wrong
// alignment, a forbidden value) does NOT make the message undecodable: it is
// kept as MalformedMobilityOption{type, data, error}, with the precise error,
// and the rest of the message decodes. RFC 5648 answers a malformed Binding
// Identifier with a BA of status 164 (MCOA MALFORMED), which needs the BU's
// sequence number, and RFC 6275 §6.2 puts alignment on the sender. Only
// framing errors fail the message: an option header, an option's data or a
// PadN running past the end of the Mobility Header. The Pad1/PadN and
// alignment logic is shared with the Destination Options header
// (lib/wire/ip6_tlv.h, the IPv6 option format of RFC 8200 §4.2).
//
// Binding Identifier option, O flag and BID-PRI (what we found, and why):
//  * The seed draft-ietf-monami6-multiplecoa-13 §4.2 puts an Overwrite (O)
//    flag in the Binding Update flag word, |A|H|L|K|M|R|P|F|T|O|, i.e. mask
//    0x0040. Final RFC 5648 does not define it: not in the BU and not in the
//    BID option, whose flag byte is |H| Reserved(7)| (H = Simultaneous Home
//    and Foreign Binding). Evidence: IANA later gave BU bit 0x0040 to the B
//    flag of RFC 6602 (Wireshark packet-mip6.c: mip6.bu.b_flag = 0x0040), and
//    Wireshark's BID dissector (mip6.bi.bid, mip6.bi.status, mip6.bi.h_flag =
//    0x80, mip6.bi.coa_ipv4/ipv6) shows no O bit. We model no O flag; BU
//    bit 0x0040 is kept raw in BindingUpdate::other_flags.
//  * RFC 6089 (Flow Bindings, "Updates: 5648") turns the 7 Reserved bits
//    after H into BID-PRI, the relative priority of the BID: 0 reserved,
//    a lower value is a higher priority (PcapDotNet's RFC 5648/6089 BID
//    option; Wireshark still shows only H). We carry it bit-exact as
//    `bid_pri` (must be <= 0x7f); plain RFC 5648 senders leave it 0, which
//    we accept.
//  * Type 35 (IANA; Wireshark MIP6_BI = 35 [RFC5648]). Length exactly 4 (no
//    CoA), 8 (IPv4 CoA) or 20 (IPv6 CoA). Alignment 2n without a CoA, 8n+2
//    with one ("Otherwise, ... 8n + 2", draft-13 §4.3, unchanged in RFC
//    5648 as far as we could check); we apply 8n+2 to IPv4 CoAs too.
//  Scapy 2.5 has no BID option class (it decodes as MIP6OptUnknown).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>
#include <vector>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/error.h"
#include "hmip/wire/options.h"
#include "hmip/wire/result.h"

namespace hmip::wire {

/// Mobility option type values (IANA "Mobility Options").
namespace mh_opt {
inline constexpr std::uint8_t kPad1 = 0;                     // RFC 6275 §6.2.2
inline constexpr std::uint8_t kPadN = 1;                     // RFC 6275 §6.2.3
inline constexpr std::uint8_t kBindingRefreshAdvice = 2;     // RFC 6275 §6.2.4
inline constexpr std::uint8_t kAlternateCareOfAddress = 3;   // RFC 6275 §6.2.5
inline constexpr std::uint8_t kNonceIndices = 4;             // RFC 6275 §6.2.6
inline constexpr std::uint8_t kBindingAuthorizationData = 5; // RFC 6275 §6.2.7
inline constexpr std::uint8_t kMobileNodeIdentifier = 8;     // RFC 4283 §3
inline constexpr std::uint8_t kBindingIdentifier = 35;       // RFC 5648
}  // namespace mh_opt

/// Mobile Node Identifier subtypes (RFC 4283 §3).
inline constexpr std::uint8_t kMnIdSubtypeNai = 1;

/// Binding Refresh Advice (RFC 6275 §6.2.4), alignment 2n, length 2.
struct BindingRefreshAdviceOption {
  std::uint16_t refresh_interval = 0;  ///< in units of 4 seconds
  friend bool operator==(const BindingRefreshAdviceOption&, const BindingRefreshAdviceOption&) = default;
};

/// Alternate Care-of Address (RFC 6275 §6.2.5), alignment 8n+6, length 16.
struct AlternateCareOfAddressOption {
  Ip6Addr care_of_address;
  friend bool operator==(const AlternateCareOfAddressOption&, const AlternateCareOfAddressOption&) = default;
};

/// Nonce Indices (RFC 6275 §6.2.6), alignment 2n, length 4.
struct NonceIndicesOption {
  std::uint16_t home_nonce_index = 0;
  std::uint16_t care_of_nonce_index = 0;
  friend bool operator==(const NonceIndicesOption&, const NonceIndicesOption&) = default;
};

/// Binding Authorization Data (RFC 6275 §6.2.7), alignment 8n+2. The
/// authenticator is 12 octets with RFC 6275 return routability, but any
/// non-empty length is carried.
struct BindingAuthorizationDataOption {
  Bytes authenticator;
  friend bool operator==(const BindingAuthorizationDataOption&, const BindingAuthorizationDataOption&) = default;
};

/// Mobile Node Identifier (RFC 4283 §3), no alignment requirement. The
/// identifier must not be empty (an NAI, RFC 4282, has at least one octet)
/// and at most 254 octets (the option length is one octet).
struct MobileNodeIdentifierOption {
  std::uint8_t subtype = kMnIdSubtypeNai;
  Bytes identifier;
  friend bool operator==(const MobileNodeIdentifierOption&, const MobileNodeIdentifierOption&) = default;
};

/// Binding Identifier (RFC 5648, flag byte as updated by RFC 6089):
///   | Type = 35 | Length | BID (16) | Status | H | BID-PRI (7) | [CoA] |
struct BindingIdentifierOption {
  /// No care-of address (length 4), an IPv4 one (length 8) or an IPv6 one
  /// (length 20).
  using CareOfAddress = std::variant<std::monostate, Ip4Addr, Ip6Addr>;

  std::uint16_t bid = 0;      ///< Binding ID; 0 is reserved (RFC 5648) but carried
  std::uint8_t status = 0;    ///< a Binding Acknowledgement status, 0 = use the BA's
  bool simultaneous_home_and_foreign = false;  ///< H flag (0x80)
  std::uint8_t bid_pri = 0;   ///< low 7 bits: BID-PRI (RFC 6089), must be <= 0x7f
  CareOfAddress care_of_address;
  friend bool operator==(const BindingIdentifierOption&, const BindingIdentifierOption&) = default;
};

/// An option of a type this layer does not interpret (RFC 6275 §6.2.1),
/// kept raw. `type` must not be Pad1, PadN or a type modelled above.
struct UnknownMobilityOption {
  std::uint8_t type = 0;
  Bytes data;  ///< the Option Data (at most 255 octets)
  friend bool operator==(const UnknownMobilityOption&, const UnknownMobilityOption&) = default;
};

/// A known option (a type modelled above) that the decoder found malformed:
/// an Option Length its type forbids, an alignment its type forbids (RFC
/// 6275 §6.2), or a forbidden value. The option is kept raw with the error so
/// that the message still decodes (see the file comment); the caller decides
/// (e.g. BA status 164 for a malformed Binding Identifier, RFC 5648).
/// The encoder writes it back raw, | type | data.size() | data |, with NO
/// alignment padding before it: a misaligned option is not re-aligned, and
/// one that lands aligned at its new offset decodes as the well-formed
/// option. `type` must be a modelled type (not Pad1/PadN).
struct MalformedMobilityOption {
  std::uint8_t type = 0;
  Bytes data;   ///< the Option Data as received (at most 255 octets)
  Error error;  ///< what is wrong; offset from the start of the Mobility Header
  friend bool operator==(const MalformedMobilityOption&, const MalformedMobilityOption&) = default;
};

/// One mobility option. Pad1/PadN never appear here: the encoder generates
/// them and the decoder consumes them. Use options_of<T> / find_option<T>
/// (options.h) to pick options of one kind.
using MobilityOption =
    std::variant<BindingRefreshAdviceOption, AlternateCareOfAddressOption, NonceIndicesOption,
                 BindingAuthorizationDataOption, MobileNodeIdentifierOption, BindingIdentifierOption,
                 UnknownMobilityOption, MalformedMobilityOption>;

/// An alignment requirement xn+y (RFC 6275 §6.2); x == 1 means none.
struct OptionAlignment {
  std::uint8_t x = 1;
  std::uint8_t y = 0;
  friend bool operator==(const OptionAlignment&, const OptionAlignment&) = default;
};

/// The Option Type value of `opt`.
[[nodiscard]] std::uint8_t option_type(const MobilityOption& opt) noexcept;

/// The alignment requirement of `opt` (depends on the value for the BID
/// option; none for MalformedMobilityOption, which is written where it falls).
[[nodiscard]] OptionAlignment option_alignment(const MobilityOption& opt) noexcept;

/// Appends `options` to `out`, which already holds the Mobility Header up to
/// the start of the options (out.size() is the offset used for alignment),
/// with canonical padding before each option and at the end so that the
/// total is a multiple of 8 octets: Pad1 for one octet, else one PadN.
/// Errors (`out` is then left as it was): invalid_field (an
/// UnknownMobilityOption of type Pad1/PadN/a modelled type, a
/// MalformedMobilityOption of a type that is not modelled, bid_pri > 0x7f,
/// empty authenticator or identifier), too_long (option data over 255
/// octets). `offset` is where the option would have started in `out`.
Status encode_mobility_options(std::span<const MobilityOption> options, Bytes& out);

/// Decodes the options area `area`, which starts `start` octets after the
/// start of the Mobility Header (alignment is measured from there; offsets
/// are start + position). Errors: truncated only, at the option's Type octet
/// (an option header or its data, PadN too, runs past the end). A known
/// option with a wrong Option Length (bad_length at its Length octet), at a
/// wrong alignment (bad_alignment at its Type octet) or with a forbidden
/// value is returned as a MalformedMobilityOption carrying that error.
Result<std::vector<MobilityOption>> decode_mobility_options(ByteSpan area, std::size_t start);

}  // namespace hmip::wire
