// netmip6 HO Request / HO Response (draft-chowdhury-netmip6-01 §4): round
// trips, byte-exact vectors built from the draft's figures, configuration.
#include <catch2/catch.hpp>

#include "hmip/wire/ho.h"
#include "hmip/wire/nd.h"

#include "nd_test_util.h"

using namespace hmip;
using namespace hmip::wire;
using nd_test::hex;
using nd_test::cat;

namespace {

// TAR -> SAR (draft §4.1 IP fields).
const PseudoHeader kTarToSar{Ip6Addr::must("2001:db8:a::1"), Ip6Addr::must("2001:db8:b::1")};

}  // namespace

TEST_CASE("HO Request: byte-exact vector from the draft figure", "[ho]") {
  // | 200 | 0 | checksum | Identifier 0x1234 | C=1 H=1 Reserved 0 |
  // | NAI option: 253 | 3 | 15 | "mn1@example.com" | 6 octets of padding |
  const Bytes wire =
      hex("c8 00 0000  1234 c000"
          "fd 03 0f 6d6e31406578616d706c652e636f6d 000000000000");
  HoRequest req;
  req.identifier = 0x1234;
  req.c_flag = true;
  req.h_flag = true;
  req.options = {NaiOption{"mn1@example.com"}};
  auto enc = encode(req, nullptr);
  REQUIRE(enc.ok());
  CHECK(*enc == wire);
  auto dec = decode_ho_request(wire, nullptr);
  REQUIRE(dec.ok());
  CHECK(*dec == req);
  CHECK(dec->identifier == 0x1234);
  CHECK(dec->c_flag);
  CHECK(dec->h_flag);
  CHECK(dec->reserved == 0);
  REQUIRE(find_nd_option<NaiOption>(dec->options) != nullptr);
  CHECK(find_nd_option<NaiOption>(dec->options)->nai == "mn1@example.com");
}

TEST_CASE("HO Response: byte-exact vector with our Reserved octet and options", "[ho]") {
  // | 201 | 0 | checksum | Identifier 0x1234 | Status 3 | Reserved 0 |
  const Bytes bare = hex("c9 00 0000  1234 03 00");
  HoResponse rsp;
  rsp.identifier = 0x1234;
  rsp.status = HoStatus::context_not_found;
  auto enc = encode(rsp, nullptr);
  REQUIRE(enc.ok());
  CHECK(*enc == bare);
  auto dec = decode_ho_response(bare, nullptr);
  REQUIRE(dec.ok());
  CHECK(*dec == rsp);

  rsp.status = HoStatus::success;
  rsp.options = {NaiOption{"mn1@example.com"}, UnknownNdOption{254, hex("0102030405 06")}};
  const Bytes full =
      hex("c9 00 0000  1234 00 00"
          "fd 03 0f 6d6e31406578616d706c652e636f6d 000000000000"
          "fe 01 010203040506");
  auto enc2 = encode(rsp, nullptr);
  REQUIRE(enc2.ok());
  CHECK(*enc2 == full);
  auto dec2 = decode_icmpv6(full, nullptr);
  REQUIRE(dec2.ok());
  CHECK(std::get<HoResponse>(*dec2) == rsp);
}

TEST_CASE("HO Request round-trips every field, with checksum", "[ho]") {
  for (int bits = 0; bits < 4; ++bits) {
    HoRequest req;
    req.identifier = static_cast<std::uint16_t>(0xfff0 + bits);
    req.c_flag = bits & 1;
    req.h_flag = bits & 2;
    req.reserved = bits == 3 ? 0x3fff : 0x0101;
    req.options = {SourceLlaOption{hex("001122334455")}, NaiOption{std::string(255, 'n')},
                   PrefixInfoOption{64, true, false, false, 0, 10, 5, 0, Ip6Addr::must("2001:db8::")},
                   UnknownNdOption{77, hex("000000000000")}};
    auto enc = encode_icmpv6(req, &kTarToSar);
    REQUIRE(enc.ok());
    CHECK(verify_upper_layer_checksum(kTarToSar, kIpProtoIcmpv6, *enc));
    auto dec = decode_icmpv6(*enc, &kTarToSar);
    REQUIRE(dec.ok());
    REQUIRE(std::holds_alternative<HoRequest>(*dec));
    CHECK(std::get<HoRequest>(*dec) == req);
    auto again = encode_icmpv6(*dec, &kTarToSar);
    REQUIRE(again.ok());
    CHECK(*again == *enc);

    Bytes bad = *enc;
    bad[5] ^= 0x80;
    auto r = decode_ho_request(bad, &kTarToSar);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::bad_checksum);
    CHECK(r.error().offset == 2);
  }
}

TEST_CASE("HO Response round-trips every status, reserved ones kept", "[ho]") {
  for (int s : {0, 1, 2, 3, 4, 5, 128, 255}) {
    HoResponse rsp;
    rsp.identifier = 0xabcd;
    rsp.status = static_cast<HoStatus>(s);
    rsp.reserved = static_cast<std::uint8_t>(s ^ 0x5a);
    rsp.options = {NaiOption{"user@realm"}, MtuOption{0, 1400}};
    auto enc = encode(rsp, &kTarToSar);
    REQUIRE(enc.ok());
    auto dec = decode_ho_response(*enc, &kTarToSar);
    REQUIRE(dec.ok());
    CHECK(*dec == rsp);
    CHECK(static_cast<int>(dec->status) == s);
    CHECK(dec->reserved == rsp.reserved);
  }
  // A response needs no NAI option.
  HoResponse empty;
  empty.status = HoStatus::administratively_prohibited;
  auto enc = encode(empty, nullptr);
  REQUIRE(enc.ok());
  CHECK(enc->size() == 8);
  CHECK(decode_ho_response(*enc, nullptr).ok());
}

TEST_CASE("HoConfig changes the ICMPv6 types and the NAI option type", "[ho]") {
  const HoConfig cfg{150, 151, 254};
  HoRequest req;
  req.identifier = 7;
  req.c_flag = true;
  req.options = {NaiOption{"mn@x"}};
  auto enc = encode(req, nullptr, cfg);
  REQUIRE(enc.ok());
  CHECK(*enc == hex("96 00 0000 0007 8000 fe 01 04 6d6e4078 00"));
  auto dec = decode_icmpv6(*enc, nullptr, cfg);
  REQUIRE(dec.ok());
  CHECK(std::get<HoRequest>(*dec) == req);

  // Under the default configuration type 150 is not ours.
  auto other = decode_icmpv6(*enc, nullptr);
  REQUIRE_FALSE(other.ok());
  CHECK(other.error() == Error{Errc::unknown_type, 0, other.error().rule});
  // The default request type with option 254 is a request without an NAI.
  Bytes as_default = *enc;
  as_default[0] = 200;
  auto no_nai = decode_icmpv6(as_default, nullptr);
  REQUIRE_FALSE(no_nai.ok());
  CHECK(no_nai.error() == Error{Errc::invalid_field, 8, no_nai.error().rule});

  // The NAI option type is interpreted in the HO messages only: in an RA it
  // is an option like any other unknown one, under any configuration.
  RouterAdvertisement ra;
  ra.options = {NaiOption{"mn@x"}};
  auto ra_nai = encode(ra, nullptr, cfg);
  REQUIRE_FALSE(ra_nai.ok());
  CHECK(ra_nai.error() == Error{Errc::invalid_field, 16, ra_nai.error().rule});
  const Bytes ra_wire = hex("86000000 00000000 00000000 00000000 fe 01 04 6d6e4078 00");
  for (const HoConfig& c : {cfg, HoConfig{}}) {
    auto ra_dec = decode_icmpv6(ra_wire, nullptr, c);
    REQUIRE(ra_dec.ok());
    CHECK(std::get<RouterAdvertisement>(*ra_dec).options ==
          NdOptions{UnknownNdOption{254, hex("04 6d6e4078 00")}});
    auto back = encode_icmpv6(*ra_dec, nullptr, c);
    REQUIRE(back.ok());
    CHECK(*back == ra_wire);
  }
  // The same octets in an HO Response are the NAI option under cfg.
  Bytes rsp_wire = hex("97000000 00070000 fe 01 04 6d6e4078 00");
  auto rsp_dec = decode_icmpv6(rsp_wire, nullptr, cfg);
  REQUIRE(rsp_dec.ok());
  CHECK(std::get<HoResponse>(*rsp_dec).options == NdOptions{NaiOption{"mn@x"}});

  auto bad = encode(req, nullptr, HoConfig{200, 201, 24});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::invalid_field);
}

TEST_CASE("HO encoders reject invalid messages", "[ho]") {
  HoRequest req;
  auto no_nai = encode(req, nullptr);
  REQUIRE_FALSE(no_nai.ok());
  CHECK(no_nai.error() == Error{Errc::invalid_field, 8, no_nai.error().rule});

  req.options = {NaiOption{"a@b"}, MtuOption{}, NaiOption{"c@d"}};
  auto two = encode(req, nullptr);
  REQUIRE_FALSE(two.ok());
  CHECK(two.error() == Error{Errc::invalid_field, 24, two.error().rule});  // 8 + NAI (8) + MTU (8)

  req.options = {NaiOption{"a@b"}};
  req.reserved = 0x4000;
  auto res = encode(req, nullptr);
  REQUIRE_FALSE(res.ok());
  CHECK(res.error().code == Errc::invalid_field);

  req.reserved = 0;
  req.options = {NaiOption{""}};
  auto empty = encode(req, nullptr);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == Errc::invalid_field);

  req.options = {NaiOption{std::string(256, 'x')}};
  auto too_long = encode(req, nullptr);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().code == Errc::too_long);
}

TEST_CASE("HO Request with a malformed NAI option still decodes, by Identifier", "[ho]") {
  // NAI Length 0: the request carries its (one) NAI option, malformed; the
  // SAR can answer status 1 (poorly formatted request) for Identifier 0x1234.
  const Bytes wire = hex("c8000000 1234c000 fd01 00 0000000000");
  auto dec = decode_ho_request(wire, nullptr);
  REQUIRE(dec.ok());
  CHECK(dec->identifier == 0x1234);
  CHECK(find_nd_option<NaiOption>(dec->options) == nullptr);
  const auto bad = options_of<MalformedNdOption>(dec->options);
  REQUIRE(bad.size() == 1);
  CHECK(bad[0]->type == 253);
  CHECK(bad[0]->error == Error{Errc::invalid_field, 10, bad[0]->error.rule});
  // It re-encodes as it was (it counts as the request's NAI option).
  auto enc = encode(*dec, nullptr);
  REQUIRE(enc.ok());
  CHECK(*enc == wire);
  // A well-formed NAI option next to it is a second NAI option.
  auto two = decode_icmpv6(cat(wire, hex("fd01 03 782479 0000")), nullptr);
  REQUIRE_FALSE(two.ok());
  CHECK(two.error() == Error{Errc::invalid_field, 16, two.error().rule});
}
