#include "hmip/wire/ext_headers.h"

#include "ip6_tlv.h"

namespace hmip::wire {

static_assert(ip6_opt::kPad1 == detail::kTlvPad1 && ip6_opt::kPadN == detail::kTlvPadN);

Bytes encode_hao_dstopts(std::uint8_t next_header, const Ip6Addr& home) {
  Bytes out;
  out.reserve(kHaoDstOptsLength);
  ByteWriter w(out);
  w.u8(next_header);
  w.u8(static_cast<std::uint8_t>(kHaoDstOptsLength / 8 - 1));  // Hdr Ext Len = 2
  // PadN of 4 octets so that the HAO's type octet lands at 6 = 8n+6.
  detail::write_tlv_padding(w, detail::tlv_padding_for(out.size(), 8, 6));
  w.u8(ip6_opt::kHomeAddress);
  w.u8(kHaoOptionLength);
  w.ip6(home);
  detail::write_tlv_padding(w, detail::tlv_padding_for(out.size(), 8, 0));  // none: 24 octets
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

  // Options start after Next Header and Hdr Ext Len; offsets count from the
  // start of the header, which is also where alignment is measured from.
  detail::TlvReader r(in.subspan(2, d.length - 2), 2, detail::PadRules::strict);
  while (r.next()) {
    const detail::Tlv& t = r.tlv();
    if (t.type != ip6_opt::kHomeAddress) {
      d.others.push_back(RawIp6Option{t.type, Bytes(t.data.begin(), t.data.end()), t.offset});
      continue;
    }
    if (!detail::tlv_aligned(t.offset, 8, 6))
      return Error{Errc::bad_alignment, t.offset, "Home Address option must be at 8n+6 (RFC 6275 §6.3)"};
    if (t.data.size() != kHaoOptionLength)
      return Error{Errc::bad_length, t.offset + 1, "Home Address option length must be 16"};
    if (d.home_address) return Error{Errc::invalid_field, t.offset, "more than one Home Address option"};
    ByteReader hr(t.data);
    d.home_address = hr.ip6();
  }
  if (!r.ok()) return r.error();
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

Result<RoutingHeader2> decode_rh2(ByteSpan in, Rh2Stage stage) {
  if (in.size() < 4)
    return Error{Errc::truncated, in.size(), "type 2 routing header needs 24 octets"};
  // RFC 8200 §4.4: the Routing Type decides how the rest is read, so it is
  // checked first (an SRH, type 4, has its own Hdr Ext Len).
  if (in[2] != 2) return Error{Errc::unknown_type, 2, "Routing Type is not 2"};
  if (in[1] != kRh2Length / 8 - 1)
    return Error{Errc::bad_length, 1, "type 2 routing header Hdr Ext Len must be 2 (RFC 6275 §6.4)"};
  if (stage == Rh2Stage::on_wire && in[3] != 1)
    return Error{Errc::invalid_field, 3, "type 2 routing header Segments Left must be 1 (RFC 6275 §6.4)"};
  if (stage == Rh2Stage::processed && in[3] != 0)
    return Error{Errc::invalid_field, 3,
                 "a processed type 2 routing header has Segments Left 0 (RFC 6275 §9.3.4)"};
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
