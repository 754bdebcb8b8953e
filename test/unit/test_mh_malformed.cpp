// Mobility Header decoding of malformed input: every rule gives its error,
// nothing reads out of bounds, nothing throws.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/wire/checksum.h"
#include "hmip/wire/mh.h"
#include "hmip/wire/mh_options.h"

using namespace hmip;
using namespace hmip::wire;

namespace {

const PseudoHeader kPh{Ip6Addr::must("2001:db8::1"), Ip6Addr::must("2001:db8::2")};

/// A Mobility Header of `type` with `data` (message data then options, as
/// raw octets) padded with Pad1/PadN to a multiple of 8 and a correct Header
/// Len. Lets tests place malformed options exactly.
Bytes make_mh(std::uint8_t type, const Bytes& data) {
  Bytes b{kIpProtoNone, 0, type, 0, 0, 0};
  b.insert(b.end(), data.begin(), data.end());
  const std::size_t gap = (8 - b.size() % 8) % 8;
  if (gap == 1) b.push_back(mh_opt::kPad1);
  if (gap >= 2) {
    b.push_back(mh_opt::kPadN);
    b.push_back(static_cast<std::uint8_t>(gap - 2));
    b.insert(b.end(), gap - 2, 0);
  }
  b[1] = static_cast<std::uint8_t>(b.size() / 8 - 1);
  return b;
}

/// BU message data (seq 1, no flags, lifetime 1) followed by `options`.
Bytes bu_with(const Bytes& options) {
  Bytes d{0, 1, 0, 0, 0, 1};
  d.insert(d.end(), options.begin(), options.end());
  return make_mh(mh_type::kBindingUpdate, d);
}

Error decode_error(ByteSpan b, const PseudoHeader* ph = nullptr) {
  auto r = decode_mh(b, ph);
  REQUIRE_FALSE(r.ok());
  CHECK_FALSE(r.error().rule.empty());
  return r.error();
}

/// Sets the checksum of the MH in `b` for kPh.
Bytes with_checksum(Bytes b) {
  b[4] = 0;
  b[5] = 0;
  const std::uint16_t sum = upper_layer_checksum(kPh, kIpProtoMh, b);
  b[4] = static_cast<std::uint8_t>(sum >> 8);
  b[5] = static_cast<std::uint8_t>(sum);
  return b;
}

/// Decodes a BU built by bu_with() (sequence 1, lifetime 1), which must
/// decode although one of its options is malformed, and returns that
/// option's error. The option must be kept raw, with its type and data.
Error malformed_option_error(const Bytes& b) {
  auto r = decode_mh(b, nullptr);
  INFO((r ? std::string("decoded") : to_string(r.error())));
  REQUIRE(r.ok());
  const auto& bu = std::get<BindingUpdate>(r.value());
  CHECK(bu.sequence == 1);  // what a BA with status 164 needs (RFC 5648)
  CHECK(bu.lifetime == 1);
  const auto bad = options_of<MalformedMobilityOption>(bu.options);
  REQUIRE(bad.size() == 1);
  const MalformedMobilityOption& m = *bad.front();
  CHECK_FALSE(m.error.rule.empty());
  // Type and data as on the wire: the type octet is at or after offset 12,
  // the data right after its Length octet.
  const std::size_t at = m.error.code == Errc::bad_length ? m.error.offset - 1 : m.error.offset;
  CHECK(b[at] == m.type);
  CHECK(b[at + 1] == m.data.size());
  CHECK(Bytes(b.begin() + static_cast<std::ptrdiff_t>(at) + 2,
              b.begin() + static_cast<std::ptrdiff_t>(at + 2 + m.data.size())) == m.data);
  return m.error;
}

bool has_malformed(const MhMessage& m) {
  return std::visit([](const auto& msg) { return !options_of<MalformedMobilityOption>(msg.options).empty(); }, m);
}

/// The message without its options (the fixed fields only).
MhMessage fixed_fields(MhMessage m) {
  std::visit([](auto& msg) { msg.options.clear(); }, m);
  return m;
}

/// The round-trip property of whatever decodes: it encodes; the encoding
/// decodes to the same value unless a malformed option was re-placed (a
/// MalformedMobilityOption is written back unpadded, see mh_options.h), in
/// which case the fixed fields agree and the encoding is a fixed point.
void check_round_trip_property(const MhMessage& m) {
  auto again = encode_mh(m, nullptr);
  REQUIRE(again.ok());
  auto back = decode_mh(again.value(), nullptr);
  REQUIRE(back.ok());
  if (!has_malformed(m)) {
    CHECK(back.value() == m);
    return;
  }
  CHECK(fixed_fields(back.value()) == fixed_fields(m));
  auto third = encode_mh(back.value(), nullptr);
  REQUIRE(third.ok());
  CHECK(third.value() == again.value());
}

std::vector<Bytes> valid_messages() {
  std::vector<Bytes> out;
  BindingUpdate bu;
  bu.sequence = 0x1234;
  bu.ack = true;
  bu.map_registration = true;
  bu.lifetime = 100;
  out.push_back(encode_mh(bu, &kPh).value());
  bu.options = {AlternateCareOfAddressOption{Ip6Addr::must("2001:db8::99")}, NonceIndicesOption{1, 2},
                BindingIdentifierOption{7, 0, true, 3, Ip6Addr::must("2001:db8::7")},
                BindingAuthorizationDataOption{Bytes(12, 0xab)}};
  out.push_back(encode_mh(bu, &kPh).value());
  BindingAck ba;
  ba.status = ba_status::kMcoaNotComplete;
  ba.options = {BindingRefreshAdviceOption{3}, BindingIdentifierOption{7, 164, false, 0, {}},
                MobileNodeIdentifierOption{1, Bytes{'m', 'n'}}};
  out.push_back(encode_mh(ba, &kPh).value());
  out.push_back(encode_mh(BindingError{2, Ip6Addr::must("2001:db8::5"), {}}, &kPh).value());
  out.push_back(encode_mh(BindingRefreshRequest{{UnknownMobilityOption{250, Bytes{1, 2, 3}}}}, &kPh).value());
  return out;
}

}  // namespace

TEST_CASE("MH malformed: truncation at every length is an error, never a crash", "[mh]") {
  for (const Bytes& whole : valid_messages()) {
    REQUIRE(decode_mh(whole, &kPh).ok());
    for (std::size_t n = 0; n < whole.size(); ++n) {
      INFO("message type " << int(whole[2]) << " truncated to " << n);
      const ByteSpan part(whole.data(), n);
      const Error e = decode_error(part);
      CHECK(e.code == Errc::truncated);
      CHECK(e.offset <= n);
      CHECK(decode_error(part, &kPh).code == Errc::truncated);
    }
  }
}

TEST_CASE("MH malformed: header fields", "[mh]") {
  const Bytes bu = valid_messages().front();  // 16 octets, Header Len 1

  SECTION("Payload Proto other than 59") {
    for (const std::uint8_t proto : std::vector<std::uint8_t>{0, 6, 17, 58, 60, 135, 255}) {
      Bytes b = bu;
      b[0] = proto;
      const Error e = decode_error(b);
      CHECK(e.code == Errc::invalid_field);
      CHECK(e.offset == 0);
    }
  }
  SECTION("Header Len one more than the input") {
    Bytes b = bu;
    b[1] = 2;
    const Error e = decode_error(b);
    CHECK(e.code == Errc::truncated);
    CHECK(e.offset == 1);
  }
  SECTION("Header Len one less than the input: a BU of 8 octets is below its minimum") {
    Bytes b = bu;
    b[1] = 0;
    const Error e = decode_error(b);
    CHECK(e.code == Errc::bad_length);
    CHECK(e.offset == 1);
  }
  SECTION("octets after the declared length are ignored (RFC 8200 §4.7)") {
    const MhMessage expect = decode_mh(bu, &kPh).value();
    for (const std::size_t extra : {1, 3, 8, 100}) {
      INFO(extra << " trailing octets");
      Bytes b = bu;
      b.insert(b.end(), extra, 0xa5);
      // The checksum covers the declared Mobility Header only.
      auto r = decode_mh(b, &kPh);
      REQUIRE(r.ok());
      CHECK(r.value() == expect);
      CHECK(decode_mh(b, nullptr).value() == expect);
    }
    // A BRR of 8 octets declared, followed by what looks like options.
    const Bytes brr{kIpProtoNone, 0, 0, 0, 0, 0, 0, 0, mh_opt::kAlternateCareOfAddress, 16};
    auto r = decode_mh(brr, nullptr);
    REQUIRE(r.ok());
    CHECK(r.value() == MhMessage{BindingRefreshRequest{}});
  }
  SECTION("Header Len below the minimum of the MH Type") {
    // BU and BA need 1, BE needs 2 (RFC 6275 §9.2).
    for (std::uint8_t type : {mh_type::kBindingUpdate, mh_type::kBindingAck}) {
      const Bytes b{kIpProtoNone, 0, type, 0, 0, 0, 0, 0};
      const Error e = decode_error(b);
      CHECK(e.code == Errc::bad_length);
      CHECK(e.offset == 1);
    }
    Bytes be(16, 0);
    be[0] = kIpProtoNone;
    be[1] = 1;
    be[2] = mh_type::kBindingError;
    const Error e = decode_error(be);
    CHECK(e.code == Errc::bad_length);
    CHECK(e.offset == 1);
    // A BRR of 8 octets is complete.
    CHECK(decode_mh(Bytes{kIpProtoNone, 0, 0, 0, 0, 0, 0, 0}, nullptr).ok());
  }
  SECTION("unknown MH Type") {
    for (const std::uint8_t type : std::vector<std::uint8_t>{1, 2, 3, 4, 8, 16, 255}) {
      Bytes b = bu;
      b[2] = type;
      const Error e = decode_error(b);
      CHECK(e.code == Errc::unknown_type);
      CHECK(e.offset == 2);
      CHECK(peek_mh_type(b) == std::optional<std::uint8_t>{type});
    }
  }
  SECTION("bad checksum, checked before the MH Type") {
    Bytes b = bu;
    b[11] ^= 0x01;  // lifetime bit
    CHECK(decode_error(b, &kPh) == Error{Errc::bad_checksum, 4, decode_error(b, &kPh).rule});
    CHECK(decode_mh(b, nullptr).ok());
    b = bu;
    b[2] = 42;  // unknown type with a now-wrong checksum
    CHECK(decode_error(b, &kPh).code == Errc::bad_checksum);
    CHECK(decode_error(b).code == Errc::unknown_type);
  }
}

TEST_CASE("MH malformed: RFC 6275 §9.2 order after the framing", "[mh]") {
  const Bytes bu = valid_messages().front();  // 16 octets, Header Len 1, checksum for kPh

  SECTION("Payload Proto 6 and a bad checksum: bad_checksum (silently discard)") {
    Bytes b = bu;
    b[0] = 6;  // the checksum now fails too
    CHECK(decode_error(b, &kPh) == Error{Errc::bad_checksum, 4, decode_error(b, &kPh).rule});
    CHECK(decode_error(b) == Error{Errc::invalid_field, 0, decode_error(b).rule});
  }
  SECTION("Header Len 0 in a BU and a bad checksum: bad_checksum") {
    Bytes b(bu.begin(), bu.begin() + 8);
    b[1] = 0;  // 8 octets: below the BU minimum, checksum not recomputed
    CHECK(decode_error(b, &kPh) == Error{Errc::bad_checksum, 4, decode_error(b, &kPh).rule});
    CHECK(decode_error(b) == Error{Errc::bad_length, 1, decode_error(b).rule});
    // With a good checksum the Header Len minimum is what fails.
    CHECK(decode_error(with_checksum(b), &kPh) == Error{Errc::bad_length, 1, decode_error(b).rule});
  }
  SECTION("unknown MH Type, Payload Proto 6, good checksum: unknown_type (Binding Error status 2)") {
    Bytes b = bu;
    b[0] = 6;
    b[2] = 42;
    b = with_checksum(b);
    CHECK(decode_error(b, &kPh) == Error{Errc::unknown_type, 2, decode_error(b, &kPh).rule});
    CHECK(peek_mh_type(b) == std::optional<std::uint8_t>{42});
  }
  SECTION("unknown MH Type and Header Len 0: unknown_type") {
    const Bytes b = with_checksum(Bytes{kIpProtoNone, 0, 9, 0, 0, 0, 0, 0});
    CHECK(decode_error(b, &kPh).code == Errc::unknown_type);
  }
  SECTION("Payload Proto 6 and Header Len below the minimum: invalid_field at 0 (Parameter Problem)") {
    Bytes b(bu.begin(), bu.begin() + 8);
    b[0] = 6;
    b[1] = 0;
    b = with_checksum(b);
    CHECK(decode_error(b, &kPh) == Error{Errc::invalid_field, 0, decode_error(b, &kPh).rule});
  }
  SECTION("framing before the checksum: Header Len past the input is truncated") {
    Bytes b = bu;
    b[1] = 5;
    CHECK(decode_error(b, &kPh) == Error{Errc::truncated, 1, decode_error(b, &kPh).rule});
    CHECK(decode_error(ByteSpan(bu).first(5), &kPh).code == Errc::truncated);
  }
}

TEST_CASE("MH malformed: options running past the end", "[mh]") {
  SECTION("known option longer than the rest") {
    // Alternate CoA at 14 declaring 16 octets with only 2 left.
    const Bytes b = bu_with({mh_opt::kPadN, 0, mh_opt::kAlternateCareOfAddress, 16});
    REQUIRE(b.size() == 16);
    const Error e = decode_error(b);
    CHECK(e.code == Errc::truncated);
    CHECK(e.offset == 14);
  }
  SECTION("unknown option longer than the rest") {
    const Bytes b = bu_with({200, 3, 1, 2});
    const Error e = decode_error(b);
    CHECK(e.code == Errc::truncated);
    CHECK(e.offset == 12);
  }
  SECTION("PadN longer than the rest") {
    Bytes b = bu_with({});
    REQUIRE(b.size() == 16);
    b[13] = 3;  // the trailing PadN now claims 3 octets of data, 2 are there
    const Error e = decode_error(b);
    CHECK(e.code == Errc::truncated);
    CHECK(e.offset == 12);
  }
  SECTION("an option type in the last octet, no length") {
    const Bytes b = bu_with({0, 0, 0, mh_opt::kNonceIndices});
    REQUIRE(b.size() == 16);
    const Error e = decode_error(b);
    CHECK(e.code == Errc::truncated);
    CHECK(e.offset == 15);
  }
  SECTION("PadN type in the last octet") {
    const Bytes b = bu_with({0, 0, 0, mh_opt::kPadN});
    CHECK(decode_error(b) == Error{Errc::truncated, 15, decode_error(b).rule});
  }
}

TEST_CASE("MH malformed: wrong and zero lengths of known options", "[mh]") {
  struct Case {
    const char* name;
    Bytes options;  // placed at offset 12 of a BU
    std::size_t offset;
  };
  // Each option is placed at its own alignment so that only the length is
  // wrong; offsets are of the Option Length octet.
  const std::vector<Case> cases = {
      {"Binding Refresh Advice length 0", {2, 0}, 13},
      {"Binding Refresh Advice length 3", {2, 3, 0, 0, 0}, 13},
      {"Alternate CoA length 15", {1, 0, 3, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 15},
      {"Alternate CoA length 17", {1, 0, 3, 17, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 15},
      {"Alternate CoA length 0", {1, 0, 3, 0}, 15},
      {"Nonce Indices length 3", {4, 3, 0, 0, 0}, 13},
      {"Nonce Indices length 0", {4, 0}, 13},
      {"Binding Authorization Data length 0", {1, 4, 0, 0, 0, 0, 5, 0}, 19},
      {"Mobile Node Identifier length 0", {8, 0}, 13},
      {"Mobile Node Identifier length 1 (subtype only)", {8, 1, 1}, 13},
      {"Binding Identifier length 5", {35, 5, 0, 1, 0, 0, 0}, 13},
      {"Binding Identifier length 0", {35, 0}, 13},
      {"Binding Identifier length 3", {35, 3, 0, 1, 0}, 13},
      {"Binding Identifier length 16", {1, 2, 0, 0, 35, 16, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 17},
  };
  // Each stays in the option list as a MalformedMobilityOption carrying the
  // error; the BU itself still decodes.
  for (const auto& c : cases) {
    INFO(c.name);
    const Error e = malformed_option_error(bu_with(c.options));
    CHECK(e.code == Errc::bad_length);
    CHECK(e.offset == c.offset);
  }
}

TEST_CASE("MH malformed: misaligned known options", "[mh]") {
  struct Case {
    const char* name;
    Bytes options;  // placed at offset 12 of a BU
    std::size_t offset;
  };
  const Bytes coa(16, 0x20);
  auto cat = [](Bytes a, const Bytes& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  };
  const std::vector<Case> cases = {
      {"Alternate CoA at 12 (needs 8n+6)", cat({3, 16}, coa), 12},
      {"Alternate CoA at 13", cat({0, 3, 16}, coa), 13},
      {"Binding Refresh Advice at 13 (needs 2n)", {0, 2, 2, 0, 1}, 13},
      {"Nonce Indices at 13 (needs 2n)", {0, 4, 4, 0, 1, 0, 2}, 13},
      {"Binding Authorization Data at 12 (needs 8n+2)", {5, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 12},
      {"Binding Identifier without CoA at 13 (needs 2n)", {0, 35, 4, 0, 1, 0, 0}, 13},
      {"Binding Identifier with IPv6 CoA at 12 (needs 8n+2)", cat({35, 20, 0, 1, 0, 0}, coa), 12},
      {"Binding Identifier with IPv4 CoA at 14 (needs 8n+2)", {1, 0, 35, 8, 0, 1, 0, 0, 192, 0, 2, 1}, 14},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    const Error e = malformed_option_error(bu_with(c.options));
    CHECK(e.code == Errc::bad_alignment);
    CHECK(e.offset == c.offset);
  }
  // The Mobile Node Identifier and unknown options may sit anywhere.
  CHECK(decode_mh(bu_with({0, 8, 2, 1, 'x'}), nullptr).ok());
  CHECK(decode_mh(bu_with({0, 99, 1, 'x'}), nullptr).ok());
}

TEST_CASE("MH malformed: a BU with a malformed BID keeps its sequence number and other options", "[mh]") {
  // RFC 5648: a malformed Binding Identifier is answered with BA status 164
  // (MCOA MALFORMED), echoing the BU's sequence number. BID length 6 at 12,
  // then a well-formed BID (2n) at 20 and an MNID.
  const Bytes b = bu_with({35, 6, 0, 9, 0, 0, 0xaa, 0xbb, 35, 4, 0, 7, 0, 0, 8, 3, 1, 'm', 'n'});
  auto r = decode_mh(b, nullptr);
  REQUIRE(r.ok());
  const auto& bu = std::get<BindingUpdate>(r.value());
  CHECK(bu.sequence == 1);
  REQUIRE(bu.options.size() == 3);
  const auto* bad = std::get_if<MalformedMobilityOption>(&bu.options[0]);
  REQUIRE(bad != nullptr);
  CHECK(bad->type == mh_opt::kBindingIdentifier);
  CHECK(bad->data == Bytes{0, 9, 0, 0, 0xaa, 0xbb});
  CHECK(bad->error.code == Errc::bad_length);
  CHECK(bad->error.offset == 13);
  CHECK(bu.options[1] == MobilityOption{BindingIdentifierOption{7, 0, false, 0, {}}});
  CHECK(bu.options[2] == MobilityOption{MobileNodeIdentifierOption{1, Bytes{'m', 'n'}}});
  CHECK(options_of<BindingIdentifierOption>(bu.options).size() == 1);
  CHECK(find_option<MobileNodeIdentifierOption>(bu.options)->identifier == Bytes{'m', 'n'});

  // The answer the daemon builds from it.
  BindingAck ba;
  ba.status = ba_status::kMcoaMalformed;
  ba.sequence = bu.sequence;
  CHECK(encode_mh(ba, &kPh).ok());

  // Re-encoding writes the malformed option back raw, unpadded, where it
  // falls; here that is where it was, so the octets are the same.
  auto again = encode_mh(r.value(), nullptr);
  REQUIRE(again.ok());
  CHECK(again.value() == b);
}

TEST_CASE("MH malformed: a misaligned option is re-encoded raw, without restoring its alignment", "[mh]") {
  // Binding Refresh Advice at 13 (needs 2n): Pad1 at 12, BRA, PadN(1).
  const Bytes b = bu_with({0, 2, 2, 0, 5});
  auto r = decode_mh(b, nullptr);
  REQUIRE(r.ok());
  const auto& opts = std::get<BindingUpdate>(r.value()).options;
  REQUIRE(opts.size() == 1);
  const auto* bad = std::get_if<MalformedMobilityOption>(&opts[0]);
  REQUIRE(bad != nullptr);
  CHECK(bad->error == Error{Errc::bad_alignment, 13, bad->error.rule});
  // Written at 12 (no padding before it), where it happens to be aligned:
  // decoding the result gives the well-formed option.
  auto again = encode_mh(r.value(), nullptr);
  REQUIRE(again.ok());
  CHECK(again.value() == bu_with({2, 2, 0, 5}));
  auto back = decode_mh(again.value(), nullptr);
  REQUIRE(back.ok());
  CHECK(std::get<BindingUpdate>(back.value()).options == std::vector<MobilityOption>{BindingRefreshAdviceOption{5}});
  check_round_trip_property(r.value());
}

TEST_CASE("MH malformed: bit flips and random bytes never crash", "[mh]") {
  // Every single-bit flip of each valid message either gives an error or
  // decodes to a value with the round-trip property.
  for (const Bytes& whole : valid_messages()) {
    for (std::size_t bit = 0; bit < whole.size() * 8; ++bit) {
      Bytes b = whole;
      b[bit / 8] = static_cast<std::uint8_t>(b[bit / 8] ^ (1u << (bit % 8)));
      auto r = decode_mh(b, nullptr);
      if (!r) {
        CHECK(r.error().offset <= b.size());
        continue;
      }
      check_round_trip_property(r.value());
    }
  }
  // Deterministic pseudo-random inputs with a plausible header.
  std::uint32_t state = 0x1234567u;
  auto next = [&state]() {
    state = state * 1664525u + 1013904223u;
    return static_cast<std::uint8_t>(state >> 24);
  };
  int decoded = 0;
  int with_malformed = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::size_t units = 1 + next() % 6;
    Bytes b(units * 8);
    for (auto& x : b) x = next();
    b[0] = kIpProtoNone;
    b[1] = static_cast<std::uint8_t>(units - 1);
    b[2] = static_cast<std::uint8_t>(next() % 9);
    auto r = decode_mh(b, nullptr);
    if (!r) continue;
    ++decoded;
    if (has_malformed(r.value())) ++with_malformed;
    check_round_trip_property(r.value());
  }
  CHECK(decoded > 0);
  CHECK(with_malformed > 0);
}
