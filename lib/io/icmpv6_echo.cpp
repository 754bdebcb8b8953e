#include "hmip/io/icmpv6_echo.h"

namespace hmip::io {

wire::Bytes encode_echo_request(const Echo& e) {
  wire::Bytes out;
  out.reserve(8 + e.data.size());
  wire::ByteWriter w(out);
  w.u8(kIcmpv6EchoRequest);
  w.u8(0);
  w.u16(0);
  w.u16(e.id);
  w.u16(e.seq);
  out.insert(out.end(), e.data.begin(), e.data.end());
  return out;
}

std::optional<Echo> decode_echo_reply(wire::ByteSpan msg) {
  wire::ByteReader r(msg);
  const std::uint8_t type = r.u8();
  const std::uint8_t code = r.u8();
  r.u16();
  Echo e;
  e.id = r.u16();
  e.seq = r.u16();
  if (!r || type != kIcmpv6EchoReply || code != 0) return std::nullopt;
  const auto rest = r.rest();
  e.data.assign(rest.begin(), rest.end());
  return e;
}

}  // namespace hmip::io
