// build() and describe(): one vector to bytes (through our encoders only) and
// to its description (read from the structs, never from the bytes).

#include <optional>
#include <stdexcept>
#include <variant>

#include "describe_util.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/ext_headers.h"

namespace hmip::oracle {

using namespace hmip::wire;

namespace {

std::string hex_word(std::uint32_t v, int digits) {
  static const char* d = "0123456789abcdef";
  std::string s = "0x";
  for (int i = digits - 1; i >= 0; --i) s += d[(v >> (4 * i)) & 15];
  return s;
}

template <class T>
T must(Result<T> r, const Vec& v) {
  if (!r) throw std::runtime_error(v.name + ": encoder failed: " + to_string(r.error()));
  return std::move(r).value();
}

}  // namespace

Bytes build(const Vec& v) {
  // The pseudo-header the upper layer sees (RFC 6275 §6.1.1, RFC 8200 §8.1):
  // source = the HAO's home address, destination = the RH2's home address.
  PseudoHeader ph{v.hao ? *v.hao : v.ip.src, v.rh2 ? *v.rh2 : v.ip.dst};
  if (v.wrong_pseudo_header) {
    if (v.hao || v.rh2)
      ph = PseudoHeader{v.ip.src, v.ip.dst};  // the classic bug: the addresses on the wire
    else
      ph.src.b[15] ^= 1;
  }

  Bytes upper;
  std::uint8_t proto = 0;
  if (const auto* mh = std::get_if<MhMessage>(&v.msg)) {
    upper = must(encode_mh(*mh, &ph), v);
    proto = kIpProtoMh;
  } else {
    upper = must(encode_icmpv6(std::get<IcmpMessage>(v.msg), &ph), v);
    proto = kIpProtoIcmpv6;
  }

  // Extension headers in RFC 8200 §4.1 order: Routing, then Destination
  // Options (the HAO's header follows any routing header, RFC 6275 §6.3).
  Bytes rest;
  std::uint8_t first = proto;
  if (v.hao) {
    rest = encode_hao_dstopts(proto, *v.hao);
    first = kIpProtoDstOpts;
  }
  if (v.rh2) {
    Bytes rh = encode_rh2(first, *v.rh2);
    rest.insert(rest.begin(), rh.begin(), rh.end());
    first = kIpProtoRouting;
  }
  rest.insert(rest.end(), upper.begin(), upper.end());

  Ipv6Header h = v.ip;
  h.next_header = first;
  return build_ipv6_packet(h, rest);
}

void check_decodes(const Vec& v, ByteSpan packet) {
  auto fail = [&v](const std::string& what) { throw std::runtime_error(v.name + ": decode check: " + what); };
  auto ip = parse_ipv6_packet(packet);
  if (!ip) fail("IPv6: " + to_string(ip.error()));
  Ipv6Header h = v.ip;
  h.next_header = ip->header.next_header;
  h.payload_length = ip->header.payload_length;
  if (!(ip->header == h)) fail("IPv6 header differs");
  ByteSpan rest = ip->payload;
  std::uint8_t nh = ip->header.next_header;
  std::optional<Ip6Addr> hao, rh2;
  while (nh == kIpProtoRouting || nh == kIpProtoDstOpts) {
    if (nh == kIpProtoRouting) {
      auto rh = decode_rh2(rest);
      if (!rh) fail("RH2: " + to_string(rh.error()));
      rh2 = rh->home_address;
      nh = rh->next_header;
      rest = rest.subspan(kRh2Length);
    } else {
      auto d = decode_dstopts(rest);
      if (!d) fail("DstOpts: " + to_string(d.error()));
      if (!d->others.empty()) fail("DstOpts: unexpected options");
      hao = d->home_address;
      nh = d->next_header;
      rest = rest.subspan(d->length);
    }
  }
  if (hao != v.hao || rh2 != v.rh2) fail("extension headers differ");
  const PseudoHeader ph{hao ? *hao : v.ip.src, rh2 ? *rh2 : v.ip.dst};
  if (const auto* mh = std::get_if<MhMessage>(&v.msg)) {
    if (nh != kIpProtoMh) fail("next header is not MH");
    auto m = decode_mh(rest, &ph);
    if (!m) fail("MH: " + to_string(m.error()));
    if (!(*m == *mh)) fail("MH message differs after decoding");
  } else {
    if (nh != kIpProtoIcmpv6) fail("next header is not ICMPv6");
    auto m = decode_icmpv6(rest, &ph);
    if (!m) fail("ICMPv6: " + to_string(m.error()));
    if (!(*m == std::get<IcmpMessage>(v.msg))) fail("ICMPv6 message differs after decoding");
  }
}

Description describe(const Vec& v) {
  Fields f;
  Json ip = Json::object();
  ip.set("tc", v.ip.traffic_class).set("fl", v.ip.flow_label).set("hlim", v.ip.hop_limit)
      .set("src", v.ip.src.str()).set("dst", v.ip.dst.str());
  f.add("ipv6.tclass", hex_word(v.ip.traffic_class, 8), [](Vec& x) { x.ip.traffic_class ^= 0x04; });
  f.add("ipv6.flow", hex_word(v.ip.flow_label, 6), [](Vec& x) { x.ip.flow_label ^= 0x10000; });
  f.add("ipv6.hlim", u(v.ip.hop_limit), [](Vec& x) { x.ip.hop_limit ^= 1; });
  f.add("ipv6.src", v.ip.src.str(), [](Vec& x) { flip(x.ip.src); });
  f.add("ipv6.dst", v.ip.dst.str(), [](Vec& x) { flip(x.ip.dst); });

  Json spec = Json::object();
  spec.set("ipv6", ip);
  if (v.rh2) {
    spec.set("rh2", v.rh2->str());
    f.add("ipv6.routing.mipv6.home_address", v.rh2->str(), [](Vec& x) { flip(*x.rh2); });
  }
  if (v.hao) {
    spec.set("hao", v.hao->str());
    f.add("ipv6.opt.mipv6.home_address", v.hao->str(), [](Vec& x) { flip(*x.hao); });
  }
  if (const auto* mh = std::get_if<MhMessage>(&v.msg))
    spec.set("msg", describe_mh(f, *mh));
  else
    spec.set("msg", describe_icmp(f, std::get<IcmpMessage>(v.msg)));
  return Description{spec, f.take()};
}

}  // namespace hmip::oracle
