// The IPv6 option TLV format (RFC 8200 §4.2): see ip6_tlv.h.
#include "ip6_tlv.h"

#include <cassert>

namespace hmip::wire::detail {
namespace {

// RFC 4942 §2.1.9.5: more than 7 octets of padding would be a whole 8-octet
// unit of nothing; Linux (ip6_parse_tlv) drops such packets.
constexpr std::size_t kMaxPadRun = 7;

}  // namespace

bool TlvReader::fail(Errc code, std::size_t offset, std::string_view rule) noexcept {
  failed_ = true;
  error_ = Error{code, offset, rule};
  return false;
}

bool TlvReader::next() noexcept {
  const bool strict = rules_ == PadRules::strict;
  while (!failed_ && pos_ < area_.size()) {
    const std::size_t at = base_ + pos_;
    const std::uint8_t type = area_[pos_];
    if (type == kTlvPad1) {
      if (strict && ++pad_run_ > kMaxPadRun)
        return fail(Errc::invalid_field, at, "more than 7 consecutive octets of padding (RFC 4942 §2.1.9.5)");
      ++pos_;
      continue;
    }
    if (area_.size() - pos_ < 2)
      return fail(Errc::truncated, at, "an option needs Option Type and Opt Data Len (RFC 8200 §4.2)");
    const std::size_t len = area_[pos_ + 1];
    if (len > area_.size() - pos_ - 2)
      return fail(Errc::truncated, at,
                  type == kTlvPadN ? "PadN runs past the end of the option area"
                                   : "an option runs past the end of the option area");
    const ByteSpan data = area_.subspan(pos_ + 2, len);
    if (type == kTlvPadN) {
      if (strict) {
        pad_run_ += 2 + len;
        if (pad_run_ > kMaxPadRun)
          return fail(Errc::invalid_field, at, "more than 7 consecutive octets of padding (RFC 4942 §2.1.9.5)");
        for (std::size_t i = 0; i < len; ++i)
          if (data[i] != 0) return fail(Errc::invalid_field, at + 2 + i, "PadN data must be zero");
      }
      pos_ += 2 + len;
      continue;
    }
    pad_run_ = 0;
    pos_ += 2 + len;
    tlv_ = Tlv{type, data, at};
    return true;
  }
  return false;
}

void write_tlv_padding(ByteWriter& w, std::size_t n) {
  assert(n <= 257);
  if (n == 0) return;
  if (n == 1) {
    w.u8(kTlvPad1);
    return;
  }
  w.u8(kTlvPadN);
  w.u8(static_cast<std::uint8_t>(n - 2));
  w.zeros(n - 2);
}

}  // namespace hmip::wire::detail
