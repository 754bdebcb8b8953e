#include "hmip/wire/ext_headers.h"

namespace hmip::wire {
namespace {

// RFC 8200 §4.2 and RFC 4942 §2.1.9.5: at most 7 consecutive octets of
// padding (anything longer would be a full 8-octet unit of nothing), and PadN
// carries zeros. Linux (net/ipv6/exthdrs.c, ip6_parse_tlv) drops packets that
// break either rule.
constexpr std::size_t kMaxPadRun = 7;

}  // namespace

Bytes encode_hao_dstopts(std::uint8_t next_header, const Ip6Addr& home) {
  Bytes out;
  out.reserve(kHaoDstOptsLength);
  ByteWriter w(out);
  w.u8(next_header);
  w.u8(static_cast<std::uint8_t>(kHaoDstOptsLength / 8 - 1));  // Hdr Ext Len = 2
  w.u8(ip6_opt::kPadN);  // PadN: 2 + 2 octets, so the HAO's type octet lands at 6 = 8n+6
  w.u8(2);
  w.zeros(2);
  w.u8(ip6_opt::kHomeAddress);
  w.u8(kHaoOptionLength);
  w.ip6(home);
  return out;
}

Result<DestOptions> decode_dstopts(ByteSpan in) {
  if (in.size() < 2)
    return Error{Errc::truncated, in.size(), "Destination Options header needs 2 octets"};
  DestOptions d;
  d.next_header = in[0];
  d.length = 8 * (static_cast<std::size_t>(in[1]) + 1);
  if (in.size() < d.length)
    return Error{Errc::truncated, in.size(), "Hdr Ext Len declares more octets than the input holds"};

  const ByteSpan hdr = in.first(d.length);
  std::size_t pos = 2;
  std::size_t pad_run = 0;
  while (pos < hdr.size()) {
    const std::uint8_t type = hdr[pos];
    if (type == ip6_opt::kPad1) {
      if (++pad_run > kMaxPadRun)
        return Error{Errc::invalid_field, pos, "more than 7 consecutive octets of padding"};
      ++pos;
      continue;
    }
    if (pos + 2 > hdr.size())
      return Error{Errc::bad_length, pos + 1, "option runs past the end of the header"};
    const std::size_t len = hdr[pos + 1];
    if (pos + 2 + len > hdr.size())
      return Error{Errc::bad_length, pos + 1, "option runs past the end of the header"};
    const ByteSpan data = hdr.subspan(pos + 2, len);
    if (type == ip6_opt::kPadN) {
      pad_run += 2 + len;
      if (pad_run > kMaxPadRun)
        return Error{Errc::invalid_field, pos, "more than 7 consecutive octets of padding"};
      for (std::size_t i = 0; i < len; ++i)
        if (data[i] != 0) return Error{Errc::invalid_field, pos + 2 + i, "PadN data must be zero"};
      pos += 2 + len;
      continue;
    }
    pad_run = 0;
    if (type == ip6_opt::kHomeAddress) {
      if (pos % 8 != 6)
        return Error{Errc::bad_alignment, pos, "Home Address option must be at 8n+6 (RFC 6275 §6.3)"};
      if (len != kHaoOptionLength)
        return Error{Errc::bad_length, pos + 1, "Home Address option length must be 16"};
      if (d.home_address)
        return Error{Errc::invalid_field, pos, "more than one Home Address option"};
      ByteReader r(data);
      d.home_address = r.ip6();
    } else {
      d.others.push_back(RawIp6Option{type, Bytes(data.begin(), data.end()), pos});
    }
    pos += 2 + len;
  }
  return d;
}

Bytes encode_rh2(std::uint8_t next_header, const Ip6Addr& home) {
  Bytes out;
  out.reserve(kRh2Length);
  ByteWriter w(out);
  w.u8(next_header);
  w.u8(static_cast<std::uint8_t>(kRh2Length / 8 - 1));  // Hdr Ext Len = 2
  w.u8(2);                                              // Routing Type 2
  w.u8(1);                                              // Segments Left 1
  w.u32(0);                                             // Reserved
  w.ip6(home);
  return out;
}

Result<RoutingHeader2> decode_rh2(ByteSpan in) {
  if (in.size() < 4)
    return Error{Errc::truncated, in.size(), "type 2 routing header needs 24 octets"};
  if (in[1] != kRh2Length / 8 - 1)
    return Error{Errc::bad_length, 1, "type 2 routing header Hdr Ext Len must be 2 (RFC 6275 §6.4)"};
  if (in[2] != 2) return Error{Errc::unknown_type, 2, "Routing Type is not 2"};
  if (in[3] != 1)
    return Error{Errc::invalid_field, 3, "type 2 routing header Segments Left must be 1 (RFC 6275 §6.4)"};
  if (in.size() < kRh2Length)
    return Error{Errc::truncated, in.size(), "type 2 routing header needs 24 octets"};
  ByteReader r(in);
  RoutingHeader2 rh;
  rh.next_header = r.u8();
  r.skip(7);  // Hdr Ext Len, Routing Type, Segments Left, Reserved (ignored, §6.4)
  rh.home_address = r.ip6();
  return rh;
}

}  // namespace hmip::wire
