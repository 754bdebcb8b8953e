// Neighbor Discovery options (RFC 4861 §4.6 and extensions) carried by
// Router/Neighbor Solicitations and Advertisements and by the netmip6 HO
// Request/Response (draft-chowdhury-netmip6-01 §4).
//
// Every option is  | Type (8) | Length (8, in units of 8 octets) | data |.
// A Length of 0 is invalid (RFC 4861 §4.6: "Nodes MUST silently discard an
// ND packet that contains an option with length zero") -> Errc::bad_length,
// and so is an option running past the end of the message (truncated): these
// framing errors, and only these, fail the whole decode (RFC 4861 §6.1.2,
// §7.1.1 invalidate a message for a zero-length option only).
// Options this codec does not model are kept as UnknownNdOption{type, data}
// (RFC 4861 §4.6: receivers skip options they do not recognise), which makes
// encode() the inverse of decode().
//
// A modelled option that breaks its own format (wrong fixed Length, MAP Dist
// 0, prefix length over 128, a bad DNSSL name, ...) is kept as
// MalformedNdOption{type, data, error} with the precise error (offset of the
// offending octet) and the rest of the message decodes: the RFCs process or
// ignore options one by one (RFC 4862 §5.5.3 ignores a bad Prefix
// Information option, RFC 4191 §3.1 a bad Route Information option, RFC 5380
// §5 a MAP option with Dist 0), so one bad option must not hide the others.
// Where an RFC says the receiver ignores a value (RA/RIO preference 10, Prf
// bits of a zero-lifetime RA, reserved bits, padding contents) the value is
// kept raw and NOT flagged.
//
// "reserved" members hold the other bits of the octet(s) that carry the named
// flags, in their wire positions with the named bits cleared (so they are 0
// for canonical input); the encoder rejects a reserved value that overlaps a
// named field (Errc::invalid_field).
//
// NAI option (our definition; draft-chowdhury-netmip6-01 §4.1 only says "an
// option carrying MN's identity (e.g. NAI) MUST be included", encoded as an
// RFC 2461 option; its type is left to IANA, default 253 = RFC 4727
// experimental, configurable through HoConfig). It is interpreted ONLY in the
// HO Request/Response (NdOptionContext::handoff); in RS/RA/NS/NA an option of
// that type is an UnknownNdOption, as any experimental option would be:
//
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |     Type      |    Length     |  NAI Length   |  NAI ...
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    ... NAI (NAI Length octets, RFC 7542)  |  Padding (zeros)       |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
//   NAI Length: 1..255 octets, at most 8*Length-3. Padding: zeros up to the
//   next 8-octet boundary (the encoder pads minimally; the decoder ignores the
//   padding's contents and accepts a larger Length).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/error.h"
#include "hmip/wire/options.h"
#include "hmip/wire/result.h"

namespace hmip::wire {

/// Values the netmip6 draft leaves to IANA (draft-chowdhury-netmip6-01 §8).
/// Defaults: ICMPv6 types 200/201 (RFC 4443 §2.1 private experimentation)
/// and ND option type 253 (RFC 4727 §5.1.8 experimental). The types must not
/// collide with each other nor with a type this codec models (ND 133-136,
/// Mobile IPv6 144-147 of dhaad.h; checked by
/// validate(); every encoder and decoder taking a HoConfig checks it, once,
/// and fails with Errc::invalid_field at offset 0).
struct HoConfig {
  std::uint8_t request_type = 200;
  std::uint8_t response_type = 201;
  std::uint8_t nai_option_type = 253;
  friend bool operator==(const HoConfig&, const HoConfig&) = default;
};

/// Ok, or invalid_field naming the collision.
Status validate(const HoConfig& cfg);

/// The kind of message an options area belongs to: it decides whether
/// HoConfig::nai_option_type is the NAI option.
enum class NdOptionContext : std::uint8_t {
  neighbor_discovery,  ///< RS, RA, NS, NA: that type is an UnknownNdOption
  handoff,             ///< netmip6 HO Request/Response: that type is a NaiOption
};

/// ND option type values (IANA "IPv6 Neighbor Discovery Option Formats").
namespace nd_opt {
inline constexpr std::uint8_t kSourceLla = 1;      // RFC 4861 §4.6.1
inline constexpr std::uint8_t kTargetLla = 2;      // RFC 4861 §4.6.1
inline constexpr std::uint8_t kPrefixInfo = 3;     // RFC 4861 §4.6.2
inline constexpr std::uint8_t kMtu = 5;            // RFC 4861 §4.6.4
inline constexpr std::uint8_t kAdvInterval = 7;    // RFC 6275 §7.3
inline constexpr std::uint8_t kHomeAgentInfo = 8;  // RFC 6275 §7.4
inline constexpr std::uint8_t kMap = 23;           // RFC 5380 §5
inline constexpr std::uint8_t kRouteInfo = 24;     // RFC 4191 §2.3
inline constexpr std::uint8_t kRdnss = 25;         // RFC 8106 §5.1
inline constexpr std::uint8_t kDnssl = 31;         // RFC 8106 §5.2
inline constexpr std::uint8_t kDefaultNai = 253;   // RFC 4727 experimental
}  // namespace nd_opt

/// Default Router Preference / Route Preference (RFC 4191 §2.1), 2 bits.
/// `reserved` (binary 10) is carried raw: RFC 4191 §2.2 says a receiver
/// treats it as medium in an RA, §3.1 says it ignores such a Route
/// Information option; both are the caller's decision.
enum class RouterPreference : std::uint8_t { medium = 0b00, high = 0b01, reserved = 0b10, low = 0b11 };

/// Source Link-layer Address (RFC 4861 §4.6.1), type 1.
/// The option does not carry the address length (it depends on the link
/// type, 6 octets for Ethernet). The encoder appends zeros up to the next
/// 8-octet boundary; the decoder returns every octet after the Length field,
/// padding included. decode(encode(x)) == x therefore holds when
/// address.size() % 8 == 6 (e.g. Ethernet); trim with link_layer_address().
struct SourceLlaOption {
  Bytes address;
  friend bool operator==(const SourceLlaOption&, const SourceLlaOption&) = default;
};

/// Target Link-layer Address (RFC 4861 §4.6.1), type 2; as SourceLlaOption.
struct TargetLlaOption {
  Bytes address;
  friend bool operator==(const TargetLlaOption&, const TargetLlaOption&) = default;
};

/// Prefix Information (RFC 4861 §4.6.2, R flag RFC 6275 §7.2), type 3,
/// length 4:
///   | Type | Len=4 | Prefix Length |L|A|R|Reserved1| Valid Lifetime (32) |
///   | Preferred Lifetime (32) | Reserved2 (32) | Prefix (128) |
struct PrefixInfoOption {
  std::uint8_t prefix_length = 64;       ///< 0..128, else invalid_field
  bool l_flag = false;                   ///< on-link (0x80)
  bool a_flag = false;                   ///< autonomous address configuration (0x40)
  bool r_flag = false;                   ///< Prefix holds the router's full address (0x20, RFC 6275 §7.2)
  std::uint8_t reserved1 = 0;            ///< the other 5 bits (mask 0x1f)
  std::uint32_t valid_lifetime = 0;      ///< seconds, 0xffffffff = infinity
  std::uint32_t preferred_lifetime = 0;  ///< seconds, 0xffffffff = infinity
  std::uint32_t reserved2 = 0;
  Ip6Addr prefix;
  friend bool operator==(const PrefixInfoOption&, const PrefixInfoOption&) = default;
};

/// MTU (RFC 4861 §4.6.4), type 5, length 1: | Type | 1 | Reserved (16) | MTU (32) |
struct MtuOption {
  std::uint16_t reserved = 0;
  std::uint32_t mtu = 0;
  friend bool operator==(const MtuOption&, const MtuOption&) = default;
};

/// Advertisement Interval (RFC 6275 §7.3), type 7, length 1:
///   | Type | 1 | Reserved (16) | Advertisement Interval (32, milliseconds) |
struct AdvIntervalOption {
  std::uint16_t reserved = 0;
  std::uint32_t interval_ms = 0;
  friend bool operator==(const AdvIntervalOption&, const AdvIntervalOption&) = default;
};

/// Home Agent Information (RFC 6275 §7.4), type 8, length 1:
///   | Type | 1 | Reserved (16) | Home Agent Preference (signed 16) | Home Agent Lifetime (16) |
/// RFC 6275 §7.4: a lifetime of 0 MUST NOT be used -> invalid_field.
struct HomeAgentInfoOption {
  std::uint16_t reserved = 0;
  std::int16_t preference = 0;
  std::uint16_t lifetime = 1800;  ///< seconds, 1..65535
  friend bool operator==(const HomeAgentInfoOption&, const HomeAgentInfoOption&) = default;
};

/// MAP option (RFC 5380 §5, Figure 3), type 23, length 3:
///   octet 2: Dist (high nibble) | Pref (low nibble)
///   octet 3: R (0x80) | Reserved (7 bits, mask 0x7f)
///   octets 4-7: Valid Lifetime; octets 8-23: Global IP Address for MAP.
/// Same layout as scapy ICMPv6NDOptMAP (dist:4, pref:4, R:1, res:7).
/// Dist 0 MUST NOT be used (RFC 5380 §5) -> invalid_field.
struct MapOption {
  std::uint8_t dist = 1;             ///< 1..15 hops to the MAP
  std::uint8_t pref = 0;             ///< 0..15, 15 = most preferred
  bool r_flag = false;               ///< RCoA allocated by the MAP (RFC 4877 §9)
  std::uint8_t reserved = 0;         ///< 7 bits (mask 0x7f)
  std::uint32_t valid_lifetime = 0;  ///< seconds
  Ip6Addr address;                   ///< one of the MAP's global addresses
  friend bool operator==(const MapOption&, const MapOption&) = default;
};

/// Route Information (RFC 4191 §2.3), type 24, length 1, 2 or 3:
///   | Type | Length | Prefix Length | Resvd(3)|Prf(2)|Resvd(3) | Route Lifetime (32) | Prefix (0, 8 or 16) |
/// Length must be >= 2 if Prefix Length > 0 and 3 if it is > 64; Prefix
/// Length <= 128 (else invalid_field). The encoder uses the smallest Length
/// that carries the prefix length and every non-zero octet of `prefix`
/// (bits past the prefix length are reserved: RFC 4191 §2.3 says send
/// zero, ignore on receipt; we keep them). Octets not sent decode as zero.
struct RouteInfoOption {
  std::uint8_t prefix_length = 0;
  RouterPreference prf = RouterPreference::medium;
  std::uint8_t reserved = 0;         ///< the flags octet minus Prf (mask 0xe7)
  std::uint32_t route_lifetime = 0;  ///< seconds, 0xffffffff = infinity
  Ip6Addr prefix;
  friend bool operator==(const RouteInfoOption&, const RouteInfoOption&) = default;
};

/// Recursive DNS Server (RFC 8106 §5.1), type 25, length 1 + 2n (n >= 1):
///   | Type | Length | Reserved (16) | Lifetime (32) | n addresses |
struct RdnssOption {
  std::uint16_t reserved = 0;
  std::uint32_t lifetime = 0;    ///< seconds, 0xffffffff = infinity
  std::vector<Ip6Addr> servers;  ///< at least one, at most 127
  friend bool operator==(const RdnssOption&, const RdnssOption&) = default;
};

/// DNS Search List (RFC 8106 §5.2), type 31, length >= 2:
///   | Type | Length | Reserved (16) | Lifetime (32) | names (RFC 1035 §3.1 labels, no compression) | zero padding |
/// Names are given dotted ("example.com"), no trailing dot, non-empty labels
/// of at most 63 octets that contain no '.', at most 255 encoded octets.
/// The encoder pads minimally (to at least Length 2); the decoder requires
/// zero padding after the last name.
struct DnsslOption {
  std::uint16_t reserved = 0;
  std::uint32_t lifetime = 0;  ///< seconds, 0xffffffff = infinity
  std::vector<std::string> domains;
  friend bool operator==(const DnsslOption&, const DnsslOption&) = default;
};

/// The mobile node's NAI (see the figure at the top of this file); its type
/// is HoConfig::nai_option_type, and it belongs to the HO messages only
/// (NdOptionContext::handoff). `nai` is 1..255 octets.
struct NaiOption {
  std::string nai;
  friend bool operator==(const NaiOption&, const NaiOption&) = default;
};

/// An option of a type not interpreted in its message (not modelled above;
/// the NAI type outside the HO messages). `data` is everything after the
/// Length octet, so data.size() + 2 must be a multiple of 8 (at most 2038);
/// `type` must not be interpreted in the message's context.
struct UnknownNdOption {
  std::uint8_t type = 0;
  Bytes data;
  friend bool operator==(const UnknownNdOption&, const UnknownNdOption&) = default;
};

/// An option of an interpreted type that breaks its format (see the file
/// comment), kept so that the rest of the message decodes. `data` is
/// everything after the Length octet (data.size() + 2 a multiple of 8, at
/// most 2038), `error` the precise error, its offset from the start of the
/// ICMPv6 message. The encoder writes | type | Length | data | back as is;
/// `type` must be interpreted in the message's context (a modelled type, or
/// the NAI type in an HO message).
struct MalformedNdOption {
  std::uint8_t type = 0;
  Bytes data;
  Error error;
  friend bool operator==(const MalformedNdOption&, const MalformedNdOption&) = default;
};

/// One ND option. Use options_of<T> / find_option<T> (options.h) to pick
/// options of one kind, e.g. every MapOption and PrefixInfoOption of an RA.
using NdOption =
    std::variant<SourceLlaOption, TargetLlaOption, PrefixInfoOption, MtuOption, AdvIntervalOption, HomeAgentInfoOption,
                 MapOption, RouteInfoOption, RdnssOption, DnsslOption, NaiOption, UnknownNdOption,
                 MalformedNdOption>;
using NdOptions = std::vector<NdOption>;

/// The Type octet `opt` is encoded with.
[[nodiscard]] std::uint8_t nd_option_type(const NdOption& opt, const HoConfig& cfg = {}) noexcept;

/// The first `n` octets of a decoded link-layer address option (all of it if
/// shorter), e.g. link_layer_address(opt.address, 6) for Ethernet.
[[nodiscard]] ByteSpan link_layer_address(const Bytes& address, std::size_t n) noexcept;

/// The first option of type T in `options`, or nullptr (find_option<T>).
template <class T>
[[nodiscard]] const T* find_nd_option(const NdOptions& options) noexcept {
  return find_option<T>(options);
}

/// Appends the encoded `options` to `out`; `ctx` says which message they
/// belong to (a NaiOption only in NdOptionContext::handoff).
/// Errors (offset = where the offending option would start in `out`; `out`
/// is then left as it was): invalid_field (a value out of its range,
/// reserved bits overlapping a named field, MAP Dist 0, HA lifetime 0, empty
/// RDNSS list, bad domain name or NAI, a NaiOption outside the HO messages,
/// an UnknownNdOption of a type interpreted in `ctx`, a MalformedNdOption of
/// one that is not, bad HoConfig), bad_length (UnknownNdOption or
/// MalformedNdOption data not a multiple of 8 minus 2), too_long (an option
/// over 255 units of 8 octets).
Status encode_nd_options(std::span<const NdOption> options, Bytes& out, const HoConfig& cfg = {},
                         NdOptionContext ctx = NdOptionContext::neighbor_discovery);

/// Decodes the options area `area`, which starts `start` octets into the
/// ICMPv6 message (offsets are start + position within `area`), of a message
/// of kind `ctx`. Errors, which fail the decode: truncated (fewer than 2
/// octets left for an option header, or the option's Length runs past the
/// end; offset = option start), bad_length (Length 0, offset = the Length
/// octet), invalid_field at offset 0 for a bad HoConfig.
/// An interpreted option that breaks its format becomes a MalformedNdOption
/// whose error is: bad_length (a Length the option type forbids, offset =
/// the Length octet; an NAI Length, DNSSL label or name running past the
/// option's end, offset = that length octet), invalid_field (a field value
/// the RFC forbids, e.g. MAP Dist 0, HA lifetime 0, prefix length over 128,
/// an empty NAI, a DNSSL label over 63 octets or non-zero padding; offset =
/// that field).
Result<NdOptions> decode_nd_options(ByteSpan area, std::size_t start, const HoConfig& cfg = {},
                                    NdOptionContext ctx = NdOptionContext::neighbor_discovery);

}  // namespace hmip::wire
