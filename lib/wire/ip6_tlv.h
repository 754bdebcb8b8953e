// Internal to hmip_wire (not a public header): the IPv6 option TLV format of
// RFC 8200 §4.2, shared by the Destination Options header (ext_headers.cpp)
// and the mobility options of the Mobility Header (mh_options.cpp; RFC 6275
// §6.2 reuses the format, Pad1 and PadN included):
//
//   | Option Type | Opt Data Len | Option Data (Opt Data Len octets) |
//
// Pad1 is the single octet 0; PadN is type 1 with any data length. An option
// with alignment requirement xn+y has its Option Type octet at x*n+y octets
// from the start of the enclosing header.
#pragma once

#include <cstddef>
#include <cstdint>

#include "hmip/wire/bytes.h"
#include "hmip/wire/error.h"

namespace hmip::wire::detail {

inline constexpr std::uint8_t kTlvPad1 = 0;  // RFC 8200 §4.2, RFC 6275 §6.2.2
inline constexpr std::uint8_t kTlvPadN = 1;  // RFC 8200 §4.2, RFC 6275 §6.2.3

/// How padding is checked while walking an option area.
enum class PadRules : std::uint8_t {
  /// Mobility options (RFC 6275 §6.2.3): PadN data is ignored and runs of
  /// padding are not limited.
  lenient,
  /// Destination options, as Linux enforces them (net/ipv6/exthdrs.c,
  /// ip6_parse_tlv) after RFC 4942 §2.1.9.5: PadN data must be zero and at
  /// most 7 consecutive octets may be padding (invalid_field otherwise).
  strict,
};

/// One non-padding option: its type, its data (a view into the walked
/// area) and the offset of its Option Type octet.
struct Tlv {
  std::uint8_t type = 0;
  ByteSpan data;
  std::size_t offset = 0;
};

/// Walks an option area option by option, consuming Pad1 and PadN:
///
///   TlvReader r(area, base, PadRules::lenient);
///   while (r.next()) use(r.tlv());
///   if (!r.ok()) return r.error();
///
/// `area` starts `base` octets from the start of the enclosing header, so
/// offsets (Tlv::offset, Error::offset) are base + position in `area`.
/// Errors, which end the walk:
///   truncated     (the option's Type octet) an option header or its data,
///                 PadN included, runs past the end of the area
///   invalid_field with PadRules::strict: PadN data not zero (at the first
///                 non-zero octet), more than 7 consecutive padding octets
///                 (at the Pad1 or PadN that makes the run too long)
class TlvReader {
 public:
  TlvReader(ByteSpan area, std::size_t base, PadRules rules) noexcept : area_(area), base_(base), rules_(rules) {}

  /// Advances to the next non-padding option; false at the end of the area
  /// or on an error (then ok() is false).
  [[nodiscard]] bool next() noexcept;
  /// The option next() stopped at (valid after next() returned true).
  [[nodiscard]] const Tlv& tlv() const noexcept { return tlv_; }
  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  /// The error that ended the walk (valid when ok() is false).
  [[nodiscard]] const Error& error() const noexcept { return error_; }

 private:
  bool fail(Errc code, std::size_t offset, std::string_view rule) noexcept;

  ByteSpan area_;
  std::size_t base_;
  PadRules rules_;
  std::size_t pos_ = 0;
  std::size_t pad_run_ = 0;
  bool failed_ = false;
  Tlv tlv_;
  Error error_;
};

/// Octets of padding needed so that an option starting at `pos` (from the
/// start of the enclosing header) meets the alignment x*n + y (x >= 1, y < x).
[[nodiscard]] constexpr std::size_t tlv_padding_for(std::size_t pos, std::size_t x, std::size_t y) noexcept {
  return (y + x - pos % x) % x;
}

/// True if an option at `pos` meets the alignment x*n + y.
[[nodiscard]] constexpr bool tlv_aligned(std::size_t pos, std::size_t x, std::size_t y) noexcept {
  return pos % x == y;
}

/// Writes `n` octets of canonical padding: nothing for 0, Pad1 for 1,
/// otherwise a single PadN carrying n - 2 zero octets (n <= 257).
void write_tlv_padding(ByteWriter& w, std::size_t n);

}  // namespace hmip::wire::detail
