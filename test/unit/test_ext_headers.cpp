// Destination Options header with the Home Address option, the type 2
// routing header (RFC 6275 §6.3, §6.4) and the fixed IPv6 header (RFC 8200
// §3). The oracle tests (test/oracle) check the same encoders against scapy
// and tshark; these check the exact octets and every rejection path.

#include <catch2/catch.hpp>

#include <stdexcept>

#include "hmip/wire/checksum.h"
#include "hmip/wire/ext_headers.h"
#include "hmip/wire/ipv6.h"

using namespace hmip;
using namespace hmip::wire;

namespace {

const Ip6Addr kHome = Ip6Addr::must("2001:db8:99::5");
const Ip6Addr kCoa = Ip6Addr::must("2001:db8:1::10");

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes addr_bytes(const Ip6Addr& a) { return Bytes(a.b.begin(), a.b.end()); }

void check_error(const Error& e, Errc code, std::size_t offset) {
  INFO(to_string(e));
  CHECK(e.code == code);
  CHECK(e.offset == offset);
  CHECK_FALSE(e.rule.empty());
}

}  // namespace

// ---------------------------------------------------------------------------
// Destination Options header with the Home Address option

TEST_CASE("HAO dstopts: exact octets of RFC 6275 §6.3 at 8n+6", "[ext]") {
  // Next Header 135 (MH), Hdr Ext Len 2, PadN(4) = 01 02 00 00, then option
  // type 0xC9, length 16 at offset 6, the address at offset 8.
  const Bytes expect = cat({0x87, 0x02, 0x01, 0x02, 0x00, 0x00, 0xc9, 0x10},
                           {0x20, 0x01, 0x0d, 0xb8, 0x00, 0x99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05});
  const Bytes got = encode_hao_dstopts(kIpProtoMh, kHome);
  CHECK(got == expect);
  CHECK(got.size() == kHaoDstOptsLength);
}

TEST_CASE("HAO dstopts: decode is the exact inverse of encode", "[ext]") {
  for (const auto& [nh, home] : {std::pair{kIpProtoMh, kHome}, std::pair{std::uint8_t{59}, kCoa},
                                 std::pair{std::uint8_t{6}, Ip6Addr{}},
                                 std::pair{std::uint8_t{255}, Ip6Addr::must("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")}}) {
    const Bytes enc = encode_hao_dstopts(nh, home);
    auto d = decode_dstopts(enc);
    REQUIRE(d.ok());
    CHECK(*d == DestOptions{nh, 24, home, {}});
    CHECK(encode_hao_dstopts(d->next_header, *d->home_address) == enc);
  }
}

TEST_CASE("HAO dstopts: the header is found at the start of a longer packet", "[ext]") {
  const Bytes pkt = cat(encode_hao_dstopts(kIpProtoMh, kHome), {59, 1, 5, 0, 0xde, 0xad});
  auto d = decode_dstopts(pkt);
  REQUIRE(d.ok());
  CHECK(d->length == 24);
  CHECK(d->home_address == kHome);
  CHECK(ByteSpan(pkt).subspan(d->length).size() == 6);
}

TEST_CASE("HAO dstopts: other padding layouts are accepted", "[ext]") {
  const Bytes a = addr_bytes(kHome);
  // Four Pad1 instead of one PadN(4).
  auto d1 = decode_dstopts(cat({0x87, 0x02, 0x00, 0x00, 0x00, 0x00, 0xc9, 0x10}, a));
  REQUIRE(d1.ok());
  CHECK(d1->home_address == kHome);
  // PadN(2) + Pad1 + Pad1.
  auto d2 = decode_dstopts(cat({0x87, 0x02, 0x01, 0x00, 0x00, 0x00, 0xc9, 0x10}, a));
  REQUIRE(d2.ok());
  CHECK(d2->home_address == kHome);
  // A header with no options at all (a PadN of 6).
  auto d3 = decode_dstopts(Bytes{59, 0, 0x01, 0x04, 0, 0, 0, 0});
  REQUIRE(d3.ok());
  CHECK(*d3 == DestOptions{59, 8, std::nullopt, {}});
}

TEST_CASE("HAO dstopts: unknown options are kept raw with their offsets", "[ext]") {
  // HAO, then PadN(2) at 24, then an experimental option 0x1e (RFC 4727)
  // with 4 octets of data at 26: 32 octets, Hdr Ext Len 3.
  const Bytes in = cat(cat({0x87, 0x03, 0x01, 0x02, 0x00, 0x00, 0xc9, 0x10}, addr_bytes(kHome)),
                       {0x01, 0x00, 0x1e, 0x04, 0xaa, 0xbb, 0xcc, 0xdd});
  auto d = decode_dstopts(in);
  REQUIRE(d.ok());
  CHECK(d->length == 32);
  CHECK(d->home_address == kHome);
  REQUIRE(d->others.size() == 1);
  CHECK(d->others[0] == RawIp6Option{0x1e, {0xaa, 0xbb, 0xcc, 0xdd}, 26});
}

TEST_CASE("HAO dstopts: truncation at every length", "[ext]") {
  const Bytes enc = encode_hao_dstopts(kIpProtoMh, kHome);
  for (std::size_t n = 0; n < enc.size(); ++n) {
    INFO("length " << n);
    auto d = decode_dstopts(ByteSpan(enc).first(n));
    REQUIRE_FALSE(d.ok());
    check_error(d.error(), Errc::truncated, n);
  }
}

TEST_CASE("HAO dstopts: malformed table", "[ext]") {
  const Bytes a = addr_bytes(kHome);
  struct Case {
    const char* what;
    Bytes in;
    Errc code;
    std::size_t offset;
  };
  const Case cases[] = {
      {"HAO length 15 (header still 24 octets)",
       cat({0x87, 0x02, 0x01, 0x02, 0x00, 0x00, 0xc9, 0x0f}, a), Errc::bad_length, 7},
      {"HAO length 17 runs past the header", cat({0x87, 0x02, 0x01, 0x02, 0x00, 0x00, 0xc9, 0x11}, a),
       Errc::truncated, 6},
      {"HAO length 14 with 2 octets of Pad1 after it",
       cat(cat({0x87, 0x02, 0x01, 0x02, 0x00, 0x00, 0xc9, 0x0e}, Bytes(a.begin(), a.begin() + 14)), {0, 0}),
       Errc::bad_length, 7},
      {"HAO at offset 2 (8n+2), PadN(4) after it",
       cat(cat({0x87, 0x02, 0xc9, 0x10}, a), {0x01, 0x02, 0x00, 0x00}), Errc::bad_alignment, 2},
      {"HAO at offset 5 (PadN(3) before it), Pad1 after",
       cat(cat({0x87, 0x02, 0x01, 0x01, 0x00, 0xc9, 0x10}, a), {0x00}), Errc::bad_alignment, 5},
      {"HAO at offset 7 (8n+7)", cat(cat({0x87, 0x03, 0x01, 0x03, 0, 0, 0, 0xc9, 0x10}, a), Bytes(7, 0)),
       Errc::bad_alignment, 7},
      {"PadN with non-zero data", cat({0x87, 0x02, 0x01, 0x02, 0x00, 0x01, 0xc9, 0x10}, a),
       Errc::invalid_field, 5},
      {"8 octets of padding in a row (one PadN)", Bytes{0x87, 0x01, 0x01, 0x06, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
       Errc::invalid_field, 2},
      {"Pad1 run of 8", Bytes{59, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, Errc::invalid_field, 9},
      {"PadN runs past the header", Bytes{59, 0, 0x01, 0x07, 0, 0, 0, 0}, Errc::truncated, 2},
      {"option type in the last octet, no length octet", Bytes{59, 0, 0x01, 0x03, 0, 0, 0, 0x1e},
       Errc::truncated, 7},
      {"unknown option runs past the header", Bytes{59, 0, 0x1e, 0x06, 0, 0, 0, 0}, Errc::truncated, 2},
      {"Hdr Ext Len 3 over a 24-octet input", cat({0x87, 0x03, 0x01, 0x02, 0x00, 0x00, 0xc9, 0x10}, a),
       Errc::truncated, 24},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    auto d = decode_dstopts(c.in);
    REQUIRE_FALSE(d.ok());
    check_error(d.error(), c.code, c.offset);
  }
}

TEST_CASE("HAO dstopts: a second Home Address option is rejected", "[ext]") {
  // HAO at 6, PadN(6) at 24, HAO at 30: 48 octets, Hdr Ext Len 5.
  Bytes in = cat({0x87, 0x05, 0x01, 0x02, 0x00, 0x00, 0xc9, 0x10}, addr_bytes(kHome));
  in = cat(in, {0x01, 0x04, 0, 0, 0, 0, 0xc9, 0x10});
  in = cat(in, addr_bytes(kCoa));
  REQUIRE(in.size() == 48);
  auto d = decode_dstopts(in);
  REQUIRE_FALSE(d.ok());
  check_error(d.error(), Errc::invalid_field, 30);
}

// ---------------------------------------------------------------------------
// Type 2 routing header

TEST_CASE("RH2: exact octets of RFC 6275 §6.4", "[ext]") {
  const Bytes expect = cat({0x87, 0x02, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00}, addr_bytes(kHome));
  const Bytes got = encode_rh2(kIpProtoMh, kHome);
  CHECK(got == expect);
  auto d = decode_rh2(got);
  REQUIRE(d.ok());
  CHECK(*d == RoutingHeader2{kIpProtoMh, kHome});
  CHECK(encode_rh2(d->next_header, d->home_address) == got);
}

TEST_CASE("RH2: the Reserved field is ignored and trailing octets are not its business", "[ext]") {
  Bytes in = encode_rh2(59, kCoa);
  in[4] = 0xff;
  in[7] = 0x01;
  in.push_back(0x42);
  auto d = decode_rh2(in);
  REQUIRE(d.ok());
  CHECK(*d == RoutingHeader2{59, kCoa});
}

TEST_CASE("RH2: truncation at every length", "[ext]") {
  const Bytes enc = encode_rh2(kIpProtoMh, kHome);
  for (std::size_t n = 0; n < enc.size(); ++n) {
    INFO("length " << n);
    auto d = decode_rh2(ByteSpan(enc).first(n));
    REQUIRE_FALSE(d.ok());
    check_error(d.error(), Errc::truncated, n);
  }
}

TEST_CASE("RH2: malformed table", "[ext]") {
  struct Case {
    const char* what;
    std::size_t index;
    std::uint8_t value;
    Errc code;
    std::size_t offset;
  };
  const Case cases[] = {
      {"Hdr Ext Len 0", 1, 0, Errc::bad_length, 1},
      {"Hdr Ext Len 4", 1, 4, Errc::bad_length, 1},
      {"Routing Type 0 (deprecated, RFC 5095)", 2, 0, Errc::unknown_type, 2},
      {"Routing Type 4 (SRH)", 2, 4, Errc::unknown_type, 2},
      {"Segments Left 0", 3, 0, Errc::invalid_field, 3},
      {"Segments Left 2", 3, 2, Errc::invalid_field, 3},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    Bytes in = encode_rh2(kIpProtoMh, kHome);
    in[c.index] = c.value;
    auto d = decode_rh2(in);
    REQUIRE_FALSE(d.ok());
    check_error(d.error(), c.code, c.offset);
  }
}

TEST_CASE("RH2: the processed copy the kernel hands up has Segments Left 0", "[ext]") {
  // What recvmsg's IPV6_RTHDR cmsg holds after the receiving kernel processed
  // the header (measured in test/kernel case 30): Segments Left 0, and the
  // address swapped with the IPv6 destination (the care-of address).
  Bytes processed = encode_rh2(kIpProtoMh, kCoa);
  processed[3] = 0;
  auto d = decode_rh2(processed, Rh2Stage::processed);
  REQUIRE(d.ok());
  CHECK(*d == RoutingHeader2{kIpProtoMh, kCoa});
  // Each stage accepts only its own Segments Left.
  auto as_wire = decode_rh2(processed, Rh2Stage::on_wire);
  REQUIRE_FALSE(as_wire.ok());
  check_error(as_wire.error(), Errc::invalid_field, 3);
  auto unprocessed = decode_rh2(encode_rh2(kIpProtoMh, kHome), Rh2Stage::processed);
  REQUIRE_FALSE(unprocessed.ok());
  check_error(unprocessed.error(), Errc::invalid_field, 3);
  // The other checks are the same in both stages.
  processed[2] = 4;
  auto srh = decode_rh2(processed, Rh2Stage::processed);
  REQUIRE_FALSE(srh.ok());
  check_error(srh.error(), Errc::unknown_type, 2);
  processed[2] = 2;
  auto short_hdr = decode_rh2(ByteSpan(processed).first(4), Rh2Stage::processed);
  REQUIRE_FALSE(short_hdr.ok());
  check_error(short_hdr.error(), Errc::truncated, 4);
}

TEST_CASE("RH2: the Routing Type is checked before Hdr Ext Len (RFC 8200 §4.4)", "[ext]") {
  // An SRH (RFC 8754): Routing Type 4 with its own Hdr Ext Len (4 here: one
  // segment and 8 octets of TLVs), Segments Left 0.
  Bytes srh = cat({0x87, 0x04, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00}, addr_bytes(kHome));
  srh.resize(40, 0);
  auto d = decode_rh2(srh);
  REQUIRE_FALSE(d.ok());
  check_error(d.error(), Errc::unknown_type, 2);
  // Even when it is too short to be one.
  auto short_srh = decode_rh2(ByteSpan(srh).first(8));
  REQUIRE_FALSE(short_srh.ok());
  check_error(short_srh.error(), Errc::unknown_type, 2);
  // Type 0 (RFC 5095) with a Hdr Ext Len that fits neither.
  Bytes rh0 = encode_rh2(kIpProtoMh, kHome);
  rh0[1] = 0;
  rh0[2] = 0;
  auto d0 = decode_rh2(rh0);
  REQUIRE_FALSE(d0.ok());
  check_error(d0.error(), Errc::unknown_type, 2);
}

// ---------------------------------------------------------------------------
// IPv6 header

TEST_CASE("IPv6: exact octets of the fixed header (RFC 8200 §3)", "[ext]") {
  Ipv6Header h;
  h.traffic_class = 0xab;
  h.flow_label = 0x12345;
  h.payload_length = 999;  // ignored by the builder
  h.next_header = kIpProtoDstOpts;
  h.hop_limit = 0x3f;
  h.src = kCoa;
  h.dst = kHome;
  const Bytes payload{1, 2, 3, 4, 5};
  Bytes expect{0x6a, 0xb1, 0x23, 0x45, 0x00, 0x05, 60, 0x3f};
  expect = cat(cat(cat(expect, addr_bytes(kCoa)), addr_bytes(kHome)), payload);
  const Bytes got = build_ipv6_packet(h, payload);
  CHECK(got == expect);

  auto p = parse_ipv6_packet(got);
  REQUIRE(p.ok());
  h.payload_length = 5;
  CHECK(p->header == h);
  CHECK(Bytes(p->payload.begin(), p->payload.end()) == payload);
}

TEST_CASE("IPv6: extreme field values round-trip", "[ext]") {
  Ipv6Header h;
  h.traffic_class = 0xff;
  h.flow_label = kIpv6FlowLabelMax;
  h.next_header = 0;
  h.hop_limit = 255;
  const Bytes payload(kIpv6MaxPayload, 0x5a);
  const Bytes pkt = build_ipv6_packet(h, payload);
  REQUIRE(pkt.size() == 40 + kIpv6MaxPayload);
  CHECK(pkt[0] == 0x6f);
  CHECK(pkt[1] == 0xff);
  auto p = parse_ipv6_packet(pkt);
  REQUIRE(p.ok());
  h.payload_length = 0xffff;
  CHECK(p->header == h);
  CHECK(p->payload.size() == kIpv6MaxPayload);
}

TEST_CASE("IPv6: builder preconditions", "[ext]") {
  Ipv6Header h;
  h.flow_label = kIpv6FlowLabelMax + 1;
  CHECK_THROWS_AS(build_ipv6_packet(h, {}), std::invalid_argument);
  h.flow_label = 0;
  const Bytes big(kIpv6MaxPayload + 1, 0);
  CHECK_THROWS_AS(build_ipv6_packet(h, big), std::invalid_argument);
}

TEST_CASE("IPv6: parser bounds", "[ext]") {
  Ipv6Header h;
  h.src = kCoa;
  h.dst = kHome;
  const Bytes pkt = build_ipv6_packet(h, Bytes{9, 8, 7});
  for (std::size_t n = 0; n < pkt.size(); ++n) {
    INFO("length " << n);
    auto p = parse_ipv6_packet(ByteSpan(pkt).first(n));
    REQUIRE_FALSE(p.ok());
    check_error(p.error(), Errc::truncated, n);
  }
  // Link-layer padding after Payload Length is not part of the payload.
  Bytes padded = pkt;
  padded.insert(padded.end(), {0, 0, 0});
  auto p = parse_ipv6_packet(padded);
  REQUIRE(p.ok());
  CHECK(p->payload.size() == 3);
  // Version 4 in the first nibble.
  Bytes v4 = pkt;
  v4[0] = 0x45;
  auto e = parse_ipv6_packet(v4);
  REQUIRE_FALSE(e.ok());
  check_error(e.error(), Errc::invalid_field, 0);
}

TEST_CASE("IPv6 + HAO + RH2: a whole packet parses header by header", "[ext]") {
  // BU-like: IPv6 (src LCoA) / DstOpts(HAO = RCoA) / upper layer; BA-like:
  // IPv6 (dst LCoA) / RH2(RCoA) / upper layer.
  const Bytes upper{59, 0, 0, 0, 0, 0, 0, 0};
  Ipv6Header h;
  h.next_header = kIpProtoDstOpts;
  h.src = kCoa;
  h.dst = Ip6Addr::must("2001:db8:1::1");
  const Bytes bu = build_ipv6_packet(h, cat(encode_hao_dstopts(kIpProtoMh, kHome), upper));
  auto p = parse_ipv6_packet(bu);
  REQUIRE(p.ok());
  REQUIRE(p->header.next_header == kIpProtoDstOpts);
  auto d = decode_dstopts(p->payload);
  REQUIRE(d.ok());
  CHECK(d->next_header == kIpProtoMh);
  CHECK(d->home_address == kHome);
  CHECK(Bytes(p->payload.begin() + static_cast<std::ptrdiff_t>(d->length), p->payload.end()) == upper);

  h.next_header = kIpProtoRouting;
  std::swap(h.src, h.dst);
  const Bytes ba = build_ipv6_packet(h, cat(encode_rh2(kIpProtoMh, kHome), upper));
  auto q = parse_ipv6_packet(ba);
  REQUIRE(q.ok());
  auto r = decode_rh2(q->payload);
  REQUIRE(r.ok());
  CHECK(r->home_address == kHome);
  CHECK(q->payload.size() == kRh2Length + upper.size());
}
