// IPv6 extension headers Mobile IPv6 signalling needs: the Destination
// Options header carrying the Home Address option (RFC 6275 §6.3) and the
// type 2 routing header (RFC 6275 §6.4).
//
// Home Address option inside a Destination Options header (RFC 8200 §4.6,
// RFC 6275 §6.3), as encode_hao_dstopts() lays it out (24 octets):
//
//   0      1      2      3      4      5      6      7
//   | NxtH | HEL=2| PadN | len=2| 0    | 0    | 0xC9 | 16   |
//   |                 Home Address (16 octets)              |
//
// The option type octet sits at offset 6 = 8n+6 (its alignment requirement),
// so the address starts on an 8-octet boundary; the PadN of 4 octets fills
// the gap after the 2-octet header. Hdr Ext Len counts 8-octet units after
// the first 8 octets.
//
// Type 2 routing header (RFC 6275 §6.4), 24 octets:
//
//   | NxtH | HEL=2| Type=2 | SegLeft=1 | Reserved (4) | Home Address (16) |
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/result.h"

namespace hmip::wire {

inline constexpr std::uint8_t kIpProtoRouting = 43;  ///< RFC 8200 §4.4
inline constexpr std::uint8_t kIpProtoDstOpts = 60;  ///< RFC 8200 §4.6

/// Option types used in Destination Options headers.
namespace ip6_opt {
inline constexpr std::uint8_t kPad1 = 0x00;        ///< RFC 8200 §4.2
inline constexpr std::uint8_t kPadN = 0x01;        ///< RFC 8200 §4.2
inline constexpr std::uint8_t kHomeAddress = 0xC9; ///< RFC 6275 §6.3 (IANA)
}  // namespace ip6_opt

/// The Home Address option's Option Length (RFC 6275 §6.3).
inline constexpr std::uint8_t kHaoOptionLength = 16;
/// The size of the header encode_hao_dstopts() produces.
inline constexpr std::size_t kHaoDstOptsLength = 24;
/// The size of a type 2 routing header.
inline constexpr std::size_t kRh2Length = 24;

/// An option of a Destination Options header that this layer does not
/// interpret, kept raw (neither Pad1/PadN nor the Home Address option).
struct RawIp6Option {
  std::uint8_t type = 0;
  Bytes data;
  std::size_t offset = 0;  ///< of the Option Type octet, from the start of the header
  friend bool operator==(const RawIp6Option&, const RawIp6Option&) = default;
};

/// A decoded Destination Options header.
struct DestOptions {
  std::uint8_t next_header = 0;
  std::size_t length = 0;  ///< of the whole header in octets: 8 * (Hdr Ext Len + 1)
  std::optional<Ip6Addr> home_address;  ///< from the Home Address option, if present
  std::vector<RawIp6Option> others;     ///< every other non-padding option, in order
  friend bool operator==(const DestOptions&, const DestOptions&) = default;
};

/// The Destination Options header above, with only the Home Address option
/// and its canonical padding (PadN of 4 octets before it). Always 24 octets.
Bytes encode_hao_dstopts(std::uint8_t next_header, const Ip6Addr& home);

/// Decodes the Destination Options header at the start of `in` (which may
/// continue with the rest of the packet: the header is `length` octets and
/// what follows is in.subspan(length)). Errors, with the offset from the start
/// of `in`, the first one in the header's order:
///   truncated     (size)  fewer than 2 octets, or fewer than the 8*(HEL+1)
///                         octets Hdr Ext Len declares
///   truncated     (opt)   an option (PadN included) runs past the end of the
///                         header, at its Option Type octet (as for mobility
///                         options, decode_mobility_options)
///   bad_length    (opt+1) a Home Address option whose Option Length is not 16
///   bad_alignment (opt)   a Home Address option not at 8n+6
///   invalid_field (opt)   PadN data not all zero (at the non-zero octet), or
///                         more than 7 consecutive octets of padding (RFC 4942
///                         §2.1.9.5, as Linux enforces it); a second Home
///                         Address option
/// The decoder is the inverse of encode_hao_dstopts(): decoding its output
/// gives {next_header, 24, home, {}}; and for a header holding only a Home
/// Address option with that canonical padding, re-encoding gives the same
/// octets.
Result<DestOptions> decode_dstopts(ByteSpan in);

/// A decoded type 2 routing header.
struct RoutingHeader2 {
  std::uint8_t next_header = 0;
  Ip6Addr home_address;
  friend bool operator==(const RoutingHeader2&, const RoutingHeader2&) = default;
};

/// The type 2 routing header above (24 octets, Segments Left 1, Reserved 0).
Bytes encode_rh2(std::uint8_t next_header, const Ip6Addr& home);

/// Which copy of a type 2 routing header is being decoded.
enum class Rh2Stage : std::uint8_t {
  /// As a sender puts it on the wire: Segments Left 1, the address field
  /// holds the home address (RFC 6275 §6.4).
  on_wire,
  /// As the receiving kernel hands it to the upper layer (the IPV6_RTHDR
  /// ancillary data of recvmsg) after processing it (RFC 6275 §9.3.4,
  /// Linux's mip6 code): Segments Left decremented to 0 and the address
  /// swapped with the IPv6 destination, so `home_address` then holds the
  /// care-of address the packet was sent to.
  processed,
};

/// Decodes the type 2 routing header at the start of `in` (which may continue
/// with the rest of the packet; the header is kRh2Length octets). The
/// Reserved field is ignored (RFC 6275 §6.4). Errors, checked in this order
/// (the Routing Type first: RFC 8200 §4.4 reads the rest by type, so e.g. an
/// SRH, type 4 with its own Hdr Ext Len, is unknown_type):
///   truncated     (size) fewer than 4 octets
///   unknown_type  (2)    Routing Type is not 2
///   bad_length    (1)    Hdr Ext Len is not 2
///   invalid_field (3)    Segments Left is not 1 (on_wire) or 0 (processed)
///   truncated     (size) fewer than 24 octets
Result<RoutingHeader2> decode_rh2(ByteSpan in, Rh2Stage stage = Rh2Stage::on_wire);

}  // namespace hmip::wire
