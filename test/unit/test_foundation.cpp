#include <catch2/catch.hpp>

#include "hmip/wire/bytes.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/error.h"

using namespace hmip;
using namespace hmip::wire;

TEST_CASE("ByteReader reads big-endian and latches on overrun", "[wire][bytes]") {
  const Bytes in{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  ByteReader r(in, 10);
  CHECK(r.u8() == 0x01);
  CHECK(r.u16() == 0x0203);
  CHECK(r.u32() == 0x04050607u);
  CHECK(r.ok());
  CHECK(r.at_end());
  CHECK(r.offset() == 17);
  CHECK(r.u8() == 0);
  CHECK_FALSE(r.ok());
  CHECK(r.offset() == 17);  // a failed read consumes nothing

  ByteReader r2(in);
  CHECK(r2.take(8).empty());
  CHECK_FALSE(r2);
  CHECK(r2.u8() == 0);  // stays failed
}

TEST_CASE("ByteWriter is the inverse of ByteReader", "[wire][bytes]") {
  Bytes out;
  ByteWriter w(out);
  auto a = Ip6Addr::must("2001:db8::1");
  w.u8(0xab);
  w.u16(0xcdef);
  w.u32(0x01234567);
  w.ip6(a);
  w.zeros(3);
  w.put_u16_at(1, 0x1122);
  REQUIRE(out.size() == 1 + 2 + 4 + 16 + 3);
  ByteReader r(out);
  CHECK(r.u8() == 0xab);
  CHECK(r.u16() == 0x1122);
  CHECK(r.u32() == 0x01234567u);
  CHECK(r.ip6() == a);
  CHECK(r.remaining() == 3);
}

TEST_CASE("Ip6Addr parses, prints and classifies", "[wire][addr]") {
  CHECK(Ip6Addr::must("fe80::1").is_link_local());
  CHECK_FALSE(Ip6Addr::must("2001:db8::1").is_link_local());
  CHECK(Ip6Addr::must("ff02::2").is_multicast());
  CHECK(Ip6Addr{}.is_unspecified());
  CHECK(Ip6Addr::must("::1").is_loopback());
  CHECK(Ip6Addr::must("2001:DB8:0::5").str() == "2001:db8::5");
  CHECK_FALSE(Ip6Addr::parse("2001:db8::g").has_value());
  CHECK_FALSE(Ip6Addr::parse("192.0.2.1").has_value());
  CHECK(Ip4Addr::parse("192.0.2.1")->str() == "192.0.2.1");
}

TEST_CASE("upper-layer checksum verifies and detects changes", "[wire][checksum]") {
  // Echo request fe80::1 -> fe80::2, id 0x1234, seq 1, no data. The oracle
  // tests compare checksums with scapy; here: the verify path accepts what
  // the compute path produced and rejects any change to data or addresses.
  PseudoHeader ph{Ip6Addr::must("fe80::1"), Ip6Addr::must("fe80::2")};
  Bytes msg{128, 0, 0, 0, 0x12, 0x34, 0x00, 0x01};
  auto c = upper_layer_checksum(ph, kIpProtoIcmpv6, msg);
  msg[2] = static_cast<std::uint8_t>(c >> 8);
  msg[3] = static_cast<std::uint8_t>(c);
  CHECK(verify_upper_layer_checksum(ph, kIpProtoIcmpv6, msg));
  msg[7] ^= 1;
  CHECK_FALSE(verify_upper_layer_checksum(ph, kIpProtoIcmpv6, msg));
  msg[7] ^= 1;
  PseudoHeader other{Ip6Addr::must("fe80::1"), Ip6Addr::must("fe80::3")};
  CHECK_FALSE(verify_upper_layer_checksum(other, kIpProtoIcmpv6, msg));
  // Odd-length payloads are padded with a zero byte (RFC 1071).
  Bytes odd{1, 2, 3};
  Bytes even{1, 2, 3, 0};
  CHECK(upper_layer_checksum(ph, 17, odd) != upper_layer_checksum(ph, 17, even));
}

TEST_CASE("errors render the rule and the offset", "[wire][error]") {
  Error e{Errc::truncated, 7, "Binding Update needs 6 octets of message data"};
  CHECK(to_string(e) == "truncated at offset 7: Binding Update needs 6 octets of message data");
}
