#include "hmip/wire/ipv6.h"

#include <stdexcept>

namespace hmip::wire {

Bytes build_ipv6_packet(const Ipv6Header& header, ByteSpan ext_and_payload) {
  if (header.flow_label > kIpv6FlowLabelMax)
    throw std::invalid_argument("build_ipv6_packet: flow label exceeds 20 bits");
  if (ext_and_payload.size() > kIpv6MaxPayload)
    throw std::invalid_argument("build_ipv6_packet: payload exceeds 65535 octets");
  Bytes out;
  out.reserve(kIpv6HeaderLength + ext_and_payload.size());
  ByteWriter w(out);
  w.u32((6u << 28) | (static_cast<std::uint32_t>(header.traffic_class) << 20) | header.flow_label);
  w.u16(static_cast<std::uint16_t>(ext_and_payload.size()));
  w.u8(header.next_header);
  w.u8(header.hop_limit);
  w.ip6(header.src);
  w.ip6(header.dst);
  w.bytes(ext_and_payload);
  return out;
}

Result<Ipv6Packet> parse_ipv6_packet(ByteSpan packet) {
  if (packet.size() < kIpv6HeaderLength)
    return Error{Errc::truncated, packet.size(), "IPv6 header needs 40 octets"};
  ByteReader r(packet);
  const std::uint32_t first = r.u32();
  if ((first >> 28) != 6) return Error{Errc::invalid_field, 0, "IP version is not 6"};
  Ipv6Packet p;
  p.header.traffic_class = static_cast<std::uint8_t>(first >> 20);
  p.header.flow_label = first & kIpv6FlowLabelMax;
  p.header.payload_length = r.u16();
  p.header.next_header = r.u8();
  p.header.hop_limit = r.u8();
  p.header.src = r.ip6();
  p.header.dst = r.ip6();
  if (r.remaining() < p.header.payload_length)
    return Error{Errc::truncated, packet.size(), "Payload Length declares more octets than the input holds"};
  p.payload = r.take(p.header.payload_length);
  return p;
}

}  // namespace hmip::wire
