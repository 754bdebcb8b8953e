// Mobility Header and mobility options: vectors, round trips, encoder rules.
#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/wire/mh.h"
#include "hmip/wire/mh_options.h"

using namespace hmip;
using namespace hmip::wire;

namespace {

Bytes from_hex(std::string_view hex) {
  Bytes out;
  auto nibble = [](char c) -> std::uint8_t {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    return static_cast<std::uint8_t>(c - 'a' + 10);
  };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>((nibble(hex[i]) << 4) | nibble(hex[i + 1])));
  return out;
}

const PseudoHeader kPh{Ip6Addr::must("2001:db8::1"), Ip6Addr::must("2001:db8::2")};
const PseudoHeader kOtherPh{Ip6Addr::must("2001:db8::1"), Ip6Addr::must("2001:db8::3")};

Bytes encode_ok(const MhMessage& m, const PseudoHeader* ph = nullptr) {
  auto r = encode_mh(m, ph);
  INFO((r ? std::string("ok") : to_string(r.error())));
  REQUIRE(r.ok());
  return r.value();
}

MhMessage decode_ok(ByteSpan b, const PseudoHeader* ph = nullptr) {
  auto r = decode_mh(b, ph);
  INFO((r ? std::string("ok") : to_string(r.error())));
  REQUIRE(r.ok());
  return r.value();
}

/// decode(encode(m)) == m, with and without a checksum; returns the bytes.
Bytes check_round_trip(const MhMessage& m) {
  const Bytes b = encode_ok(m);
  CHECK(b.size() % 8 == 0);
  CHECK(b.size() == (std::size_t{b[1]} + 1) * 8);
  CHECK(decode_ok(b) == m);
  const Bytes with_sum = encode_ok(m, &kPh);
  CHECK(decode_ok(with_sum, &kPh) == m);
  CHECK(encode_ok(decode_ok(b)) == b);  // encode is the inverse of decode
  return b;
}

template <class Msg>
void check_each_field_survives(const Msg& base, const std::vector<std::function<void(Msg&)>>& mutators) {
  const Bytes base_bytes = check_round_trip(base);
  for (std::size_t i = 0; i < mutators.size(); ++i) {
    INFO("mutator " << i);
    Msg changed = base;
    mutators[i](changed);
    REQUIRE_FALSE(changed == base);
    const Bytes b = check_round_trip(changed);
    CHECK(b != base_bytes);
    CHECK(std::get<Msg>(decode_ok(b)) == changed);
  }
}

}  // namespace

TEST_CASE("MH: hand-built Binding Update from RFC 6275 Figure (A and M set)", "[mh]") {
  // RFC 6275 §6.1.1 header + §6.1.7 message data + RFC 5380 §4 M flag:
  // proto 59, Header Len 1, type 5, reserved, checksum | seq 0x1234,
  // flags A|M = 0x8800, lifetime 100 (400 s) | PadN(2) to 16 octets.
  // Checksum 0xc857 for 2001:db8::1 -> 2001:db8::2, as scapy 2.5 computes.
  const Bytes on_wire = from_hex("3b010500c85712348800006401020000");
  BindingUpdate bu;
  bu.sequence = 0x1234;
  bu.ack = true;
  bu.map_registration = true;
  bu.lifetime = 100;
  CHECK(bu.lifetime * kMhLifetimeUnitSeconds == 400);

  Bytes no_sum = on_wire;
  no_sum[4] = 0;
  no_sum[5] = 0;
  CHECK(encode_ok(bu) == no_sum);  // ph null: checksum left 0 for the kernel
  CHECK(encode_ok(bu, &kPh) == on_wire);

  CHECK(decode_ok(on_wire, &kPh) == MhMessage{bu});
  CHECK(decode_ok(on_wire) == MhMessage{bu});  // no ph: not verified
  auto bad = decode_mh(on_wire, &kOtherPh);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::bad_checksum);
  CHECK(bad.error().offset == 4);
  CHECK(peek_mh_type(on_wire) == std::optional<std::uint8_t>{mh_type::kBindingUpdate});
}

TEST_CASE("MH: byte-exact vectors produced by scapy 2.5", "[mh]") {
  // Generated with /usr/bin/python3 and scapy.layers.inet6 over
  // IPv6(src=2001:db8::1, dst=2001:db8::2); see mh_options.h on padding.
  SECTION("BU with Alternate CoA, Nonce Indices, Binding Authorization Data") {
    BindingUpdate bu;
    bu.sequence = 7;
    bu.ack = true;
    bu.lifetime = 5;
    bu.options = {AlternateCareOfAddressOption{Ip6Addr::must("2001:db8::99")}, NonceIndicesOption{1, 2},
                  BindingAuthorizationDataOption{from_hex("0102030405060708090a0b0c")}};
    const Bytes v = from_hex(
        "3b06050083170007800000050100031020010db8000000000000000000000099"
        "04040001000201020000050c0102030405060708090a0b0c");
    CHECK(encode_ok(bu, &kPh) == v);
    CHECK(decode_ok(v, &kPh) == MhMessage{bu});
  }
  SECTION("BA with K and Binding Refresh Advice") {
    BindingAck ba;
    ba.key_mgmt_compat = true;
    ba.sequence = 7;
    ba.lifetime = 5;
    ba.options = {BindingRefreshAdviceOption{30}};
    const Bytes v = from_hex("3b01060060460080000700050202001e");
    CHECK(encode_ok(ba, &kPh) == v);
    CHECK(decode_ok(v, &kPh) == MhMessage{ba});
  }
  SECTION("BE status 2") {
    BindingError be{be_status::kUnrecognizedMhType, Ip6Addr::must("2001:db8::5"), {}};
    const Bytes v = from_hex("3b020700322b020020010db8000000000000000000000005");
    CHECK(encode_ok(be, &kPh) == v);
    CHECK(decode_ok(v, &kPh) == MhMessage{be});
  }
  SECTION("BRR") {
    const Bytes v = from_hex("3b00000068fb0000");
    CHECK(encode_ok(BindingRefreshRequest{}, &kPh) == v);
    CHECK(decode_ok(v, &kPh) == MhMessage{BindingRefreshRequest{}});
  }
  SECTION("BU with Mobile Node Identifier then Alternate CoA") {
    BindingUpdate bu;
    bu.sequence = 1;
    bu.ack = true;
    bu.lifetime = 1;
    bu.options = {MobileNodeIdentifierOption{kMnIdSubtypeNai, Bytes{'m', 'n', '@', 'e', 'x'}},
                  AlternateCareOfAddressOption{Ip6Addr::must("2001:db8::99")}};
    const Bytes v = from_hex("3b040500d4460001800000010806016d6e4065780100031020010db8000000000000000000000099");
    CHECK(encode_ok(bu, &kPh) == v);
    CHECK(decode_ok(v, &kPh) == MhMessage{bu});
  }
  SECTION("BU with an unknown option (type 200) kept raw") {
    BindingUpdate bu;
    bu.sequence = 1;
    bu.lifetime = 1;
    bu.options = {UnknownMobilityOption{200, Bytes{'a', 'b', 'c'}}};
    const Bytes v = from_hex("3b020500d27f000100000001c80361626301050000000000");
    CHECK(encode_ok(bu, &kPh) == v);
    CHECK(decode_ok(v, &kPh) == MhMessage{bu});
  }
}

TEST_CASE("MH: Binding Update fields each survive a round trip", "[mh]") {
  BindingUpdate base;
  base.sequence = 0x0102;
  base.lifetime = 0x0304;
  using M = std::function<void(BindingUpdate&)>;
  check_each_field_survives<BindingUpdate>(
      base, {
                M([](BindingUpdate& m) { m.sequence = 0xfffe; }),
                M([](BindingUpdate& m) { m.ack = true; }),
                M([](BindingUpdate& m) { m.home_registration = true; }),
                M([](BindingUpdate& m) { m.link_local_compat = true; }),
                M([](BindingUpdate& m) { m.key_mgmt_compat = true; }),
                M([](BindingUpdate& m) { m.map_registration = true; }),
                M([](BindingUpdate& m) { m.mobile_router = true; }),
                M([](BindingUpdate& m) { m.proxy_registration = true; }),
                M([](BindingUpdate& m) { m.other_flags = 0x0040; }),  // the draft's O bit / RFC 6602 B
                M([](BindingUpdate& m) { m.other_flags = 0x01ff; }),
                M([](BindingUpdate& m) { m.lifetime = 0; }),
                M([](BindingUpdate& m) { m.lifetime = 0xffff; }),
                M([](BindingUpdate& m) { m.options = {BindingRefreshAdviceOption{9}}; }),
            });
}

TEST_CASE("MH: Binding Update flag bits sit where RFC 6275/5380/3963/5213 put them", "[mh]") {
  const std::vector<std::pair<std::function<void(BindingUpdate&)>, std::uint16_t>> cases = {
      {[](BindingUpdate& m) { m.ack = true; }, 0x8000},
      {[](BindingUpdate& m) { m.home_registration = true; }, 0x4000},
      {[](BindingUpdate& m) { m.link_local_compat = true; }, 0x2000},
      {[](BindingUpdate& m) { m.key_mgmt_compat = true; }, 0x1000},
      {[](BindingUpdate& m) { m.map_registration = true; }, 0x0800},
      {[](BindingUpdate& m) { m.mobile_router = true; }, 0x0400},
      {[](BindingUpdate& m) { m.proxy_registration = true; }, 0x0200},
      {[](BindingUpdate& m) { m.other_flags = 0x0100; }, 0x0100},
  };
  for (const auto& [set, mask] : cases) {
    BindingUpdate bu;
    set(bu);
    const Bytes b = encode_ok(bu);
    CHECK(((b[8] << 8) | b[9]) == mask);
  }
}

TEST_CASE("MH: Binding Acknowledgement fields each survive a round trip", "[mh]") {
  BindingAck base;
  base.status = ba_status::kAccepted;
  base.sequence = 0x0a0b;
  base.lifetime = 0x0c0d;
  using M = std::function<void(BindingAck&)>;
  check_each_field_survives<BindingAck>(
      base, {
                M([](BindingAck& m) { m.status = ba_status::kMcoaMalformed; }),
                M([](BindingAck& m) { m.status = 255; }),
                M([](BindingAck& m) { m.key_mgmt_compat = true; }),
                M([](BindingAck& m) { m.mobile_router = true; }),
                M([](BindingAck& m) { m.proxy_registration = true; }),
                M([](BindingAck& m) { m.other_flags = 0x10; }),
                M([](BindingAck& m) { m.other_flags = 0x1f; }),
                M([](BindingAck& m) { m.sequence = 1; }),
                M([](BindingAck& m) { m.lifetime = 0xffff; }),
                M([](BindingAck& m) { m.options = {BindingIdentifierOption{1, 0, false, 0, {}}}; }),
            });
  BindingAck k;
  k.key_mgmt_compat = true;
  CHECK(encode_ok(k)[7] == 0x80);
  BindingAck r;
  r.mobile_router = true;
  CHECK(encode_ok(r)[7] == 0x40);
  BindingAck p;
  p.proxy_registration = true;
  CHECK(encode_ok(p)[7] == 0x20);
}

TEST_CASE("MH: Binding Error and Binding Refresh Request fields survive a round trip", "[mh]") {
  BindingError be;
  using E = std::function<void(BindingError&)>;
  check_each_field_survives<BindingError>(
      be, {
              E([](BindingError& m) { m.status = be_status::kUnrecognizedMhType; }),
              E([](BindingError& m) { m.home_address = Ip6Addr::must("2001:db8:1::7"); }),
              E([](BindingError& m) { m.options = {UnknownMobilityOption{77, Bytes{1, 2}}}; }),
          });
  using R = std::function<void(BindingRefreshRequest&)>;
  check_each_field_survives<BindingRefreshRequest>(
      BindingRefreshRequest{}, {
                                   R([](BindingRefreshRequest& m) {
                                     m.options = {BindingIdentifierOption{3, 0, false, 0, {}}};
                                   }),
                               });
}

TEST_CASE("MH: every option's fields survive a round trip in every message", "[mh]") {
  using O = MobilityOption;
  const std::vector<O> options = {
      BindingRefreshAdviceOption{0},
      BindingRefreshAdviceOption{0xbeef},
      AlternateCareOfAddressOption{Ip6Addr::must("2001:db8::1")},
      AlternateCareOfAddressOption{Ip6Addr::must("fe80::abcd")},
      NonceIndicesOption{0x1111, 0x2222},
      NonceIndicesOption{0x1111, 0x2223},
      NonceIndicesOption{0x1112, 0x2222},
      BindingAuthorizationDataOption{Bytes(12, 0xaa)},
      BindingAuthorizationDataOption{Bytes(1, 0x01)},
      BindingAuthorizationDataOption{Bytes(255, 0x5a)},
      MobileNodeIdentifierOption{kMnIdSubtypeNai, Bytes{'a'}},
      MobileNodeIdentifierOption{2, Bytes(254, 'z')},
      BindingIdentifierOption{1, 0, false, 0, {}},
      BindingIdentifierOption{0xffff, ba_status::kMcoaUnknownCoa, false, 0, {}},
      BindingIdentifierOption{1, 0, true, 0, {}},
      BindingIdentifierOption{1, 0, false, 0x7f, {}},
      BindingIdentifierOption{1, 0, true, 0x15, Ip4Addr{{192, 0, 2, 1}}},
      BindingIdentifierOption{2, 4, false, 1, Ip6Addr::must("2001:db8::42")},
      UnknownMobilityOption{6, Bytes{}},
      UnknownMobilityOption{255, Bytes(255, 0x33)},
  };
  for (std::size_t i = 0; i < options.size(); ++i) {
    INFO("option " << i);
    BindingRefreshRequest brr{{options[i]}};
    BindingUpdate bu;
    bu.options = {options[i]};
    BindingAck ba;
    ba.options = {options[i]};
    BindingError be;
    be.options = {options[i]};
    const Bytes b1 = check_round_trip(brr);
    check_round_trip(bu);
    check_round_trip(ba);
    check_round_trip(be);
    // Each value is distinct on the wire from every other value.
    for (std::size_t j = 0; j < i; ++j) CHECK(encode_ok(BindingRefreshRequest{{options[j]}}) != b1);
  }
}

TEST_CASE("MH: options in every order are padded to their alignment", "[mh]") {
  std::vector<MobilityOption> opts = {
      MobileNodeIdentifierOption{kMnIdSubtypeNai, Bytes{'x', 'y', 'z'}},
      AlternateCareOfAddressOption{Ip6Addr::must("2001:db8::9")},
      BindingIdentifierOption{5, 0, false, 0, Ip6Addr::must("2001:db8::5")},
      NonceIndicesOption{3, 4},
  };
  std::sort(opts.begin(), opts.end(), [](const auto& a, const auto& b) { return a.index() < b.index(); });
  int permutations = 0;
  do {
    BindingUpdate bu;
    bu.options = opts;
    bu.options.push_back(BindingAuthorizationDataOption{Bytes(12, 7)});  // last, RFC 6275 §6.2.7
    BindingAck ba;
    ba.options = opts;
    check_round_trip(bu);
    check_round_trip(ba);
    check_round_trip(BindingRefreshRequest{opts});
    check_round_trip(BindingError{1, {}, opts});
    ++permutations;
  } while (std::next_permutation(opts.begin(), opts.end(),
                                 [](const auto& a, const auto& b) { return a.index() < b.index(); }));
  CHECK(permutations == 24);
}

TEST_CASE("MH: alignment and type helpers", "[mh]") {
  CHECK(option_alignment(BindingRefreshAdviceOption{}) == OptionAlignment{2, 0});
  CHECK(option_alignment(AlternateCareOfAddressOption{}) == OptionAlignment{8, 6});
  CHECK(option_alignment(NonceIndicesOption{}) == OptionAlignment{2, 0});
  CHECK(option_alignment(BindingAuthorizationDataOption{}) == OptionAlignment{8, 2});
  CHECK(option_alignment(MobileNodeIdentifierOption{}) == OptionAlignment{1, 0});
  CHECK(option_alignment(BindingIdentifierOption{}) == OptionAlignment{2, 0});
  CHECK(option_alignment(BindingIdentifierOption{1, 0, false, 0, Ip4Addr{}}) == OptionAlignment{8, 2});
  CHECK(option_alignment(BindingIdentifierOption{1, 0, false, 0, Ip6Addr{}}) == OptionAlignment{8, 2});
  CHECK(option_alignment(UnknownMobilityOption{}) == OptionAlignment{1, 0});
  CHECK(option_type(BindingIdentifierOption{}) == 35);
  CHECK(option_type(MobileNodeIdentifierOption{}) == 8);
  CHECK(option_type(UnknownMobilityOption{99, {}}) == 99);
  CHECK(mh_type_of(BindingRefreshRequest{}) == 0);
  CHECK(mh_type_of(BindingUpdate{}) == 5);
  CHECK(mh_type_of(BindingAck{}) == 6);
  CHECK(mh_type_of(BindingError{}) == 7);
  CHECK(ba_status::accepted(ba_status::kMcoaReturnHomeWoNdp));
  CHECK_FALSE(ba_status::accepted(ba_status::kReasonUnspecified));
  CHECK(peek_mh_type(Bytes{0x3b, 0x00}) == std::nullopt);
  CHECK(peek_mh_type(Bytes{0x3b, 0x00, 0x2a}) == std::optional<std::uint8_t>{42});
}

TEST_CASE("MH: the encoder pads canonically (Pad1 for one octet, else one PadN)", "[mh]") {
  // BU options start at 12: a BID without CoA (6 octets, 2n) ends at 18;
  // 6 more octets reach 24: one PadN carrying 4 zero octets.
  BindingUpdate bu;
  bu.options = {BindingIdentifierOption{1, 0, false, 0, {}}};
  CHECK(encode_ok(bu) == from_hex("3b0205000000000000000000"
                                  "230400010000"
                                  "010400000000"));
  // BRR options start at 8: 7 octets of unknown option end at 15, so the
  // Nonce Indices option (2n) needs a Pad1; PadN(0) then closes at 24.
  BindingRefreshRequest brr{{UnknownMobilityOption{100, Bytes(5, 0)}, NonceIndicesOption{1, 2}}};
  CHECK(encode_ok(brr) == from_hex("3b02000000000000"
                                   "64050000000000"
                                   "00"
                                   "040400010002"
                                   "0100"));
}

TEST_CASE("MH: the decoder accepts non-canonical padding and ignores PadN data", "[mh]") {
  // BU (seq 1, lifetime 2), then Pad1, Pad1, a PadN whose data is not
  // zero, a Binding Refresh Advice at 18 (2n) and PadN(0).
  const Bytes b = from_hex("3b0205000000" "000100000002" "0000" "0102ffff" "02020005" "0100");
  REQUIRE(b.size() == 24);
  const auto m = decode_ok(b);
  const auto& bu = std::get<BindingUpdate>(m);
  REQUIRE(bu.options.size() == 1);
  CHECK(bu.sequence == 1);
  CHECK(bu.lifetime == 2);
  CHECK(bu.options[0] == MobilityOption{BindingRefreshAdviceOption{5}});
  CHECK(encode_ok(m) != b);  // not canonical, so not reproduced
}

TEST_CASE("MH: encoder rejects values the wire cannot carry", "[mh]") {
  auto code = [](const MhMessage& m) { return encode_mh(m, nullptr).error().code; };
  BindingUpdate bu;
  bu.other_flags = 0x0200;
  CHECK(code(bu) == Errc::invalid_field);
  BindingAck ba;
  ba.other_flags = 0x20;
  CHECK(code(ba) == Errc::invalid_field);
  CHECK(code(BindingRefreshRequest{{BindingIdentifierOption{1, 0, false, 0x80, {}}}}) == Errc::invalid_field);
  CHECK(code(BindingRefreshRequest{{BindingAuthorizationDataOption{}}}) == Errc::invalid_field);
  CHECK(code(BindingRefreshRequest{{BindingAuthorizationDataOption{Bytes(256, 0)}}}) == Errc::too_long);
  CHECK(code(BindingRefreshRequest{{MobileNodeIdentifierOption{1, {}}}}) == Errc::invalid_field);
  CHECK(code(BindingRefreshRequest{{MobileNodeIdentifierOption{1, Bytes(255, 'a')}}}) == Errc::too_long);
  CHECK(code(BindingRefreshRequest{{UnknownMobilityOption{mh_opt::kPad1, {}}}}) == Errc::invalid_field);
  CHECK(code(BindingRefreshRequest{{UnknownMobilityOption{mh_opt::kPadN, {}}}}) == Errc::invalid_field);
  CHECK(code(BindingRefreshRequest{{UnknownMobilityOption{mh_opt::kAlternateCareOfAddress, Bytes(16, 0)}}}) ==
        Errc::invalid_field);
  CHECK(code(BindingRefreshRequest{{UnknownMobilityOption{200, Bytes(256, 0)}}}) == Errc::too_long);

  // 2048 octets is the most a Header Len can describe.
  BindingRefreshRequest fits;
  for (int i = 0; i < 8; ++i) fits.options.emplace_back(UnknownMobilityOption{200, Bytes(253, 0)});
  const Bytes b = encode_ok(fits);  // 8 + 8 * 255 = 2048
  CHECK(b.size() == kMhMaxLength);
  CHECK(b[1] == 255);
  CHECK(decode_ok(b) == MhMessage{fits});
  fits.options.emplace_back(UnknownMobilityOption{200, Bytes{}});
  auto too_long = encode_mh(fits, nullptr);
  REQUIRE_FALSE(too_long.ok());
  CHECK(too_long.error().code == Errc::too_long);
}

TEST_CASE("MH: encode_mobility_options and decode_mobility_options directly", "[mh]") {
  const std::vector<MobilityOption> opts = {AlternateCareOfAddressOption{Ip6Addr::must("2001:db8::8")},
                                            BindingRefreshAdviceOption{1}};
  Bytes area(12, 0);  // pretend 12 octets of MH precede
  REQUIRE(encode_mobility_options(opts, area).ok());
  CHECK(area.size() % 8 == 0);
  auto back = decode_mobility_options(ByteSpan(area).subspan(12), 12);
  REQUIRE(back.ok());
  CHECK(back.value() == opts);
  // The same bytes measured from another start are misaligned: both options
  // are kept as MalformedMobilityOption with the error, the decode succeeds.
  // PadN(0) at 13, the Alternate CoA at 15, the Refresh Advice at 33.
  auto shifted = decode_mobility_options(ByteSpan(area).subspan(12), 13);
  REQUIRE(shifted.ok());
  REQUIRE(shifted->size() == 2);
  const auto bad = options_of<MalformedMobilityOption>(*shifted);
  REQUIRE(bad.size() == 2);
  CHECK(bad[0]->type == mh_opt::kAlternateCareOfAddress);
  CHECK(bad[0]->data == Bytes(area.begin() + 16, area.begin() + 32));
  CHECK(bad[0]->error == Error{Errc::bad_alignment, 15, bad[0]->error.rule});
  CHECK(bad[1]->type == mh_opt::kBindingRefreshAdvice);
  CHECK(bad[1]->error == Error{Errc::bad_alignment, 33, bad[1]->error.rule});
}

TEST_CASE("MH: encode_mobility_options leaves `out` unchanged on error", "[mh]") {
  const Bytes prefix{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};  // 13: padding needed before a 2n option
  const std::vector<std::vector<MobilityOption>> bad = {
      {NonceIndicesOption{1, 2}, BindingIdentifierOption{1, 0, false, 0x80, {}}},
      {AlternateCareOfAddressOption{}, BindingAuthorizationDataOption{}},
      {BindingRefreshAdviceOption{1}, UnknownMobilityOption{200, Bytes(256, 0)}},
      {UnknownMobilityOption{mh_opt::kPadN, {}}},
      {MalformedMobilityOption{mh_opt::kPad1, {}, {}}},
      {NonceIndicesOption{1, 2}, MalformedMobilityOption{200, Bytes{1}, {}}},
      {MalformedMobilityOption{mh_opt::kBindingIdentifier, Bytes(256, 0), {}}},
  };
  for (std::size_t i = 0; i < bad.size(); ++i) {
    INFO("case " << i);
    Bytes out = prefix;
    auto st = encode_mobility_options(bad[i], out);
    REQUIRE_FALSE(st.ok());
    CHECK(out == prefix);
  }
}

TEST_CASE("MH: a MalformedMobilityOption is written back raw", "[mh]") {
  // BRR options start at 8: a BID of length 6 (malformed) is written at 8
  // without padding and ends the message at 16.
  const MalformedMobilityOption bid{mh_opt::kBindingIdentifier, Bytes{0, 1, 0, 0, 0xaa, 0xbb},
                                    Error{Errc::bad_length, 9, "x"}};
  CHECK(encode_ok(BindingRefreshRequest{{bid}}) == from_hex("3b01000000000000" "230600010000aabb"));
  CHECK(option_type(bid) == mh_opt::kBindingIdentifier);
  CHECK(option_alignment(bid) == OptionAlignment{1, 0});
  auto back = decode_ok(encode_ok(BindingRefreshRequest{{bid}}));
  const auto& opts = std::get<BindingRefreshRequest>(back).options;
  REQUIRE(opts.size() == 1);
  const auto& m = std::get<MalformedMobilityOption>(opts[0]);
  CHECK(m.type == bid.type);
  CHECK(m.data == bid.data);
  CHECK(m.error.code == Errc::bad_length);
  CHECK(m.error.offset == 9);
}

TEST_CASE("MH: options_of and find_option pick every option of a kind", "[mh]") {
  BindingUpdate bu;  // bulk registration (RFC 5648): several BIDs
  bu.options = {BindingIdentifierOption{1, 0, false, 0, Ip6Addr::must("2001:db8::1")},
                MobileNodeIdentifierOption{kMnIdSubtypeNai, Bytes{'a'}},
                BindingIdentifierOption{2, 0, false, 0, {}},
                BindingIdentifierOption{3, 0, true, 0, Ip4Addr{{192, 0, 2, 3}}}};
  const auto bids = options_of<BindingIdentifierOption>(bu.options);
  REQUIRE(bids.size() == 3);
  CHECK(bids[0]->bid == 1);
  CHECK(bids[1]->bid == 2);
  CHECK(bids[2]->bid == 3);
  CHECK(bids[1] == &std::get<BindingIdentifierOption>(bu.options[2]));
  CHECK(options_of<NonceIndicesOption>(bu.options).empty());
  CHECK(find_option<BindingIdentifierOption>(bu.options) == bids[0]);
  CHECK(find_option<MobileNodeIdentifierOption>(bu.options)->identifier == Bytes{'a'});
  CHECK(find_option<AlternateCareOfAddressOption>(bu.options) == nullptr);
}
