// Malformed ND and HO messages: every decoder failure mode with its Errc and
// offset, truncation at every length, encoder rejections, random mutations.
#include <catch2/catch.hpp>
#include <random>
#include <string_view>

#include "hmip/wire/ho.h"
#include "hmip/wire/nd.h"

#include "nd_test_util.h"

using namespace hmip;
using namespace hmip::wire;
using nd_test::hex;
using nd_test::cat;

namespace {

// RA header: Cur Hop Limit 64, Router Lifetime 1800, 16 octets.
const Bytes kRaHead = hex("86000000 40000708 00000000 00000000");
const Bytes kSlla = hex("0101 001122334455");
const Bytes kPio = hex("0304 40c0 00278d00 00093a80 00000000 20010db8000100000000000000000000");
const Bytes kMap = hex("1703 1a00 00000e10 20010db8009900000000000000000001");
const Bytes kNai = hex("fd03 0f 6d6e31406578616d706c652e636f6d 000000000000");
const Bytes kMtu = hex("0501 0000 000005dc");

// Decodes `wire` with an option appended to an RA; returns the error.
Error ra_error(const Bytes& option) {
  auto r = decode_icmpv6(cat(kRaHead, option), nullptr);
  REQUIRE_FALSE(r.ok());
  CHECK_FALSE(r.error().rule.empty());
  return r.error();
}

// The options of `m`; none for the DHAAD Request/Reply and the Mobile
// Prefix Solicitation, which carry no ND options.
const NdOptions& options_or_none(const IcmpMessage& m) {
  static const NdOptions kNone;
  return std::visit(
      [](const auto& msg) -> const NdOptions& {
        if constexpr (requires { msg.options; })
          return msg.options;
        else
          return kNone;
      },
      m);
}

// Decodes `wire`, which must decode, and returns its only MalformedNdOption
// (a malformed option does not fail the message).
MalformedNdOption malformed_option(const Bytes& wire) {
  auto r = decode_icmpv6(wire, nullptr);
  INFO((r.ok() ? std::string("decoded") : to_string(r.error())));
  REQUIRE(r.ok());
  const NdOptions& opts = options_or_none(*r);
  const auto bad = options_of<MalformedNdOption>(opts);
  REQUIRE(bad.size() == 1);
  CHECK_FALSE(bad.front()->error.rule.empty());
  CHECK((bad.front()->data.size() + 2) % 8 == 0);
  return *bad.front();
}

Error malformed_error(const Bytes& wire) { return malformed_option(wire).error; }

// An RA with `option` appended: the RA decodes, the option is kept as a
// MalformedNdOption of its type, with its data.
Error ra_bad(const Bytes& option) {
  const MalformedNdOption m = malformed_option(cat(kRaHead, option));
  CHECK(m.type == option[0]);
  CHECK(m.data == Bytes(option.begin() + 2, option.end()));
  return m.error;
}

// An HO Response (options start at 8) with an MTU option and then `option`,
// so that `option` starts at 16 as in an RA.
Error ho_malformed(const Bytes& option) { return malformed_error(cat(cat(hex("c9000000 12340000"), kMtu), option)); }

// `m` with the offsets of its MalformedNdOption errors set to 0.
IcmpMessage without_malformed_offsets(IcmpMessage m) {
  std::visit(
      [](auto& msg) {
        if constexpr (requires { msg.options; })  // DHAAD Request/Reply and MPS have none
          for (auto& o : msg.options)
            if (auto* bad = std::get_if<MalformedNdOption>(&o)) bad->error.offset = 0;
      },
      m);
  return m;
}

void check_error(const Error& e, Errc code, std::size_t offset) {
  INFO(to_string(e));
  CHECK(e.code == code);
  CHECK(e.offset == offset);
}

// Decodes every proper prefix of `wire` (fixed part `fixed` octets, then
// options). A prefix ending on an option boundary is a valid, shorter
// message unless `nai_at` (the offset of the only NAI option of an HO
// Request) is cut off; any other prefix is truncated at the start of the
// field or option that does not fit.
void check_truncations(const Bytes& wire, std::size_t fixed, std::size_t nai_at = 0) {
  std::vector<std::size_t> boundaries{fixed};
  for (std::size_t pos = fixed; pos < wire.size(); pos += std::size_t{wire[pos + 1]} * 8)
    boundaries.push_back(pos + std::size_t{wire[pos + 1]} * 8);
  for (std::size_t n = 0; n < wire.size(); ++n) {
    INFO("prefix of " << n << " octets");
    auto r = decode_icmpv6(ByteSpan(wire).first(n), nullptr);
    if (n < 4) {
      REQUIRE_FALSE(r.ok());
      check_error(r.error(), Errc::truncated, 0);
    } else if (n < fixed) {
      REQUIRE_FALSE(r.ok());
      CHECK(r.error().code == Errc::truncated);
      CHECK(r.error().offset >= 4);
      CHECK(r.error().offset <= n);
    } else if (std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end()) {
      if (nai_at != 0 && n <= nai_at) {
        REQUIRE_FALSE(r.ok());
        check_error(r.error(), Errc::invalid_field, fixed);
      } else {
        CHECK(r.ok());
      }
    } else {
      REQUIRE_FALSE(r.ok());
      auto start = *std::prev(std::upper_bound(boundaries.begin(), boundaries.end(), n));
      check_error(r.error(), Errc::truncated, start);
    }
  }
  CHECK(decode_icmpv6(wire, nullptr).ok());
}

}  // namespace

TEST_CASE("truncation at every length never reads past the end", "[nd][malformed]") {
  check_truncations(cat(cat(cat(kRaHead, kSlla), kPio), kMap), 16);
  check_truncations(cat(hex("85000000 00000000"), kSlla), 8);
  check_truncations(cat(hex("87000000 00000000 fe800000000000000000000000000002"), kSlla), 24);
  check_truncations(cat(hex("88000000 c0000000 fe800000000000000000000000000002"), hex("0201 66778899aabb")), 24);
  check_truncations(
      cat(kRaHead, hex("1f05 0000 00000384 076578616d706c6503636f6d00 04636f7270076578616d706c65036f726700 00")), 16);
}

TEST_CASE("HO messages truncated at every length", "[ho][malformed]") {
  check_truncations(cat(cat(hex("c8000000 1234c000"), kMtu), kNai), 8, 16);
  check_truncations(cat(hex("c8000000 1234c000"), kNai), 8, 8);
  check_truncations(cat(cat(hex("c9000000 12340300"), kNai), kMtu), 8);
  // The draft's response figure read literally (7 octets) is truncated.
  auto seven = decode_icmpv6(hex("c9000000 123400"), nullptr);
  REQUIRE_FALSE(seven.ok());
  check_error(seven.error(), Errc::truncated, 7);
}

TEST_CASE("option framing errors", "[nd][malformed]") {
  check_error(ra_error(hex("0100 001122334455")), Errc::bad_length, 17);               // Length 0
  check_error(ra_error(cat(kSlla, hex("0500 0000 000005dc"))), Errc::bad_length, 25);  // second option Length 0
  check_error(ra_error(hex("0102 001122334455")), Errc::truncated, 16);                // runs past the end
  check_error(ra_error(cat(kSlla, hex("03ff 0000"))), Errc::truncated, 24);
  check_error(ra_error(hex("01")), Errc::truncated, 16);  // lone Type octet
  check_error(ra_error(cat(kMap, hex("17"))), Errc::truncated, 40);
}

TEST_CASE("wrong fixed option lengths", "[nd][malformed]") {
  check_error(ra_bad(hex("1702 1a00 00000e10 20010db800990000")), Errc::bad_length, 17);  // MAP 2
  Bytes map4 = cat(kMap, hex("0000000000000000"));
  map4[1] = 4;
  check_error(ra_bad(map4), Errc::bad_length, 17);                                                          // MAP 4
  check_error(ra_bad(hex("0303 40c0 00278d00 00093a80 00000000 20010db800010000")), Errc::bad_length, 17);  // PIO 3
  check_error(ra_bad(hex("0502 0000 000005dc 0000000000000000")), Errc::bad_length, 17);                    // MTU 2
  check_error(ra_bad(hex("0702 0000 000005dc 0000000000000000")), Errc::bad_length, 17);   // Adv. Interval 2
  check_error(ra_bad(hex("0802 0000 0000 0708 0000000000000000")), Errc::bad_length, 17);  // HA Info 2
  check_error(ra_bad(hex("1904 0000 00000384 20010db8000000000000000000000053 0000000000000000")), Errc::bad_length,
              17);                                                         // RDNSS even
  check_error(ra_bad(hex("1901 0000 00000384")), Errc::bad_length, 17);  // RDNSS without addresses
  check_error(ra_bad(hex("1f01 0000 00000384")), Errc::bad_length, 17);  // DNSSL 1
  check_error(ra_bad(hex("1804 3008 00000258 20010db8000200000000000000000000 0000000000000000")), Errc::bad_length,
              17);                                                                          // RIO 4
  check_error(ra_bad(hex("1801 0808 00000258")), Errc::bad_length, 17);                   // RIO /8 in Length 1
  check_error(ra_bad(hex("1802 4108 00000258 20010db800020000")), Errc::bad_length, 17);  // RIO /65 in Length 2
}

TEST_CASE("forbidden option field values", "[nd][malformed]") {
  check_error(ra_bad(hex("1703 0a00 00000e10 20010db8009900000000000000000001")), Errc::invalid_field,
              18);  // MAP Dist 0
  check_error(ra_bad(hex("1703 0f80 00000e10 20010db8009900000000000000000001")), Errc::invalid_field, 18);
  check_error(ra_bad(hex("0304 81c0 00278d00 00093a80 00000000 20010db8000100000000000000000000")),
              Errc::invalid_field, 18);  // PIO /129
  check_error(ra_bad(hex("1803 8108 00000258 20010db8000200000000000000000000")), Errc::invalid_field,
              18);                                                             // RIO /129
  check_error(ra_bad(hex("0801 0000 0005 0000")), Errc::invalid_field, 22);  // HA lifetime 0
  // The NAI option belongs to the HO messages (in an RA type 253 is unknown).
  check_error(ho_malformed(hex("fd01 00 0000000000")), Errc::invalid_field, 18);  // NAI length 0
  check_error(ho_malformed(hex("fd01 06 6162636465")), Errc::bad_length, 18);  // NAI Length 6, 5 octets left
  CHECK(std::get<RouterAdvertisement>(*decode_icmpv6(cat(kRaHead, hex("fd01 00 0000000000")), nullptr)).options ==
        NdOptions{UnknownNdOption{253, hex("00 0000000000")}});
  // DNSSL (RFC 8106 §5.2): the names start at offset 24.
  check_error(ra_bad(hex("1f02 0000 00000384 40616263 00000000")), Errc::invalid_field, 24);  // label of 64
  check_error(ra_bad(hex("1f02 0000 00000384 c00c0000 00000000")), Errc::invalid_field, 24);  // compression
  check_error(ra_bad(hex("1f02 0000 00000384 0a616263 64656667")), Errc::bad_length, 24);     // label past the end
  check_error(ra_bad(hex("1f02 0000 00000384 03616263 03646566")), Errc::bad_length, 32);     // no root label
  check_error(ra_bad(hex("1f02 0000 00000384 03616263 00000100")), Errc::invalid_field, 30);  // non-zero padding
  check_error(ra_bad(hex("1f02 0000 00000384 03612e63 00000000")), Errc::invalid_field, 26);  // '.' in a label
}

TEST_CASE("message-level errors: code, type, target", "[nd][malformed]") {
  const std::vector<Bytes> valid{hex("85000000 00000000"),
                                 kRaHead,
                                 hex("87000000 00000000 fe800000000000000000000000000002"),
                                 hex("88000000 00000000 fe800000000000000000000000000002"),
                                 cat(hex("c8000000 00010000"), kNai),
                                 hex("c9000000 00010000")};
  for (const auto& v : valid) {
    REQUIRE(decode_icmpv6(v, nullptr).ok());
    Bytes coded = v;
    coded[1] = 1;
    auto r = decode_icmpv6(coded, nullptr);
    REQUIRE_FALSE(r.ok());
    check_error(r.error(), Errc::invalid_field, 1);
  }
  for (int t : {0, 1, 128, 129, 130, 137, 199, 202, 253, 255}) {
    Bytes b = kRaHead;
    b[0] = static_cast<std::uint8_t>(t);
    auto r = decode_icmpv6(b, nullptr);
    REQUIRE_FALSE(r.ok());
    check_error(r.error(), Errc::unknown_type, 0);
  }
  for (std::size_t n : {0, 1, 3}) {
    auto r = decode_icmpv6(ByteSpan(kRaHead).first(n), nullptr);
    REQUIRE_FALSE(r.ok());
    check_error(r.error(), Errc::truncated, 0);
  }
  // A per-message decoder given another message.
  auto wrong = decode_neighbor_solicitation(kRaHead, nullptr);
  REQUIRE_FALSE(wrong.ok());
  check_error(wrong.error(), Errc::unknown_type, 0);
  auto wrong_ho = decode_ho_response(cat(hex("c8000000 00010000"), kNai), nullptr);
  REQUIRE_FALSE(wrong_ho.ok());
  check_error(wrong_ho.error(), Errc::unknown_type, 0);
  // RFC 4861 §7.1.1 / §7.1.2: multicast targets.
  for (int type : {0x87, 0x88}) {
    Bytes b = hex("87000000 00000000 ff020000000000000000000000000001");
    b[0] = static_cast<std::uint8_t>(type);
    auto r = decode_icmpv6(b, nullptr);
    REQUIRE_FALSE(r.ok());
    check_error(r.error(), Errc::invalid_field, 8);
  }
  // A bad checksum is reported before anything else but the length.
  const PseudoHeader ph{Ip6Addr::must("fe80::1"), Ip6Addr::must("ff02::1")};
  Bytes unknown = kRaHead;
  unknown[0] = 1;
  auto r = decode_icmpv6(unknown, &ph);
  REQUIRE_FALSE(r.ok());
  check_error(r.error(), Errc::bad_checksum, 2);
}

TEST_CASE("HO Request with bad or missing options", "[ho][malformed]") {
  const Bytes head = hex("c8000000 1234c000");
  auto err = [&](const Bytes& options) {
    auto r = decode_icmpv6(cat(head, options), nullptr);
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  check_error(err({}), Errc::invalid_field, 8);                                                   // no options
  check_error(err(kMtu), Errc::invalid_field, 8);                                                 // no NAI
  check_error(err(cat(cat(kNai, kMtu), kNai)), Errc::invalid_field, 40);                          // second NAI
  check_error(err(hex("fd00 0f6d6e3140657861")), Errc::bad_length, 9);                            // Length 0
  check_error(err(hex("fd04 0f6d6e3140657861")), Errc::truncated, 8);                             // past the end
  check_error(err(cat(kNai, hex("01"))), Errc::truncated, 32);
  // Malformed options are kept (the request decodes, by Identifier); a
  // malformed NAI option still counts as the request's NAI option.
  auto req_malformed = [&](const Bytes& options) { return malformed_error(cat(head, options)); };
  check_error(req_malformed(hex("fd01 00 0000000000")), Errc::invalid_field, 10);                // empty NAI
  check_error(req_malformed(hex("fd01 07 6d6e314065")), Errc::bad_length, 10);  // NAI Length 7, 5 octets left
  check_error(req_malformed(cat(kNai, hex("1702 1a00 00000e10 20010db800990000"))), Errc::bad_length, 33);  // MAP 2

  const Bytes rsp = hex("c9000000 12340000");
  auto rerr = [&](const Bytes& options) {
    auto r = decode_icmpv6(cat(rsp, options), nullptr);
    REQUIRE_FALSE(r.ok());
    return r.error();
  };
  check_error(rerr(hex("0500 0000 000005dc")), Errc::bad_length, 9);
  check_error(rerr(hex("0502 0000 000005dc")), Errc::truncated, 8);
  check_error(malformed_error(cat(rsp, cat(kMtu, hex("1703 0a00 00000e10 20010db8009900000000000000000001")))),
              Errc::invalid_field, 18);
}

TEST_CASE("encoders reject values the format cannot carry", "[nd][malformed]") {
  auto opt_err = [](NdOption o) {
    Bytes out = hex("aabb");
    auto st = encode_nd_options(std::span<const NdOption>(&o, 1), out);
    REQUIRE_FALSE(st.ok());
    CHECK(out == hex("aabb"));  // left as it was
    CHECK(st.error().offset == 2);
    return st.error().code;
  };
  CHECK(opt_err(MapOption{0, 1, false, 0, 1, {}}) == Errc::invalid_field);
  CHECK(opt_err(MapOption{16, 1, false, 0, 1, {}}) == Errc::invalid_field);
  CHECK(opt_err(MapOption{1, 16, false, 0, 1, {}}) == Errc::invalid_field);
  CHECK(opt_err(MapOption{1, 1, false, 0x80, 1, {}}) == Errc::invalid_field);
  CHECK(opt_err(PrefixInfoOption{129, false, false, false, 0, 0, 0, 0, {}}) == Errc::invalid_field);
  CHECK(opt_err(PrefixInfoOption{64, false, false, false, 0x20, 0, 0, 0, {}}) == Errc::invalid_field);
  CHECK(opt_err(RouteInfoOption{129, RouterPreference::medium, 0, 0, {}}) == Errc::invalid_field);
  CHECK(opt_err(RouteInfoOption{0, RouterPreference::medium, 0x08, 0, {}}) == Errc::invalid_field);
  CHECK(opt_err(RouteInfoOption{0, static_cast<RouterPreference>(4), 0, 0, {}}) == Errc::invalid_field);
  CHECK(opt_err(HomeAgentInfoOption{0, 0, 0}) == Errc::invalid_field);
  CHECK(opt_err(RdnssOption{}) == Errc::invalid_field);
  CHECK(opt_err(RdnssOption{0, 0, std::vector<Ip6Addr>(128)}) == Errc::too_long);
  for (const char* name : {"", ".", "a..b", ".a", "a.", "x.-"}) {
    if (std::string_view(name) == "x.-") continue;  // '-' is a fine label octet
    INFO(name);
    CHECK(opt_err(DnsslOption{0, 0, {name}}) == Errc::invalid_field);
  }
  CHECK(opt_err(DnsslOption{0, 0, {std::string(64, 'a')}}) == Errc::invalid_field);
  std::string long_name;
  for (int i = 0; i < 4; ++i) long_name += std::string(63, 'a') + ".";
  long_name.pop_back();  // 4 * 64 + 1 = 257 encoded octets
  CHECK(opt_err(DnsslOption{0, 0, {long_name}}) == Errc::invalid_field);
  CHECK(opt_err(UnknownNdOption{3, hex("000000000000")}) == Errc::invalid_field);
  CHECK(opt_err(UnknownNdOption{nd_opt::kMap, hex("000000000000")}) == Errc::invalid_field);
  CHECK(opt_err(NaiOption{"a@b"}) == Errc::invalid_field);  // not in an ND message
  CHECK(opt_err(MalformedNdOption{99, hex("000000000000"), {}}) == Errc::invalid_field);
  CHECK(opt_err(MalformedNdOption{nd_opt::kMtu, hex("00"), {}}) == Errc::bad_length);
  CHECK(opt_err(UnknownNdOption{99, hex("0000000000")}) == Errc::bad_length);
  CHECK(opt_err(UnknownNdOption{99, Bytes(2046)}) == Errc::too_long);
  CHECK(opt_err(SourceLlaOption{Bytes(2039)}) == Errc::too_long);
  CHECK(opt_err(NaiOption{}) == Errc::invalid_field);
  // In the HO messages the NAI type is interpreted.
  auto ho_err = [](NdOption o) {
    Bytes out = hex("aabb");
    auto st = encode_nd_options(std::span<const NdOption>(&o, 1), out, {}, NdOptionContext::handoff);
    REQUIRE_FALSE(st.ok());
    CHECK(out == hex("aabb"));
    CHECK(st.error().offset == 2);
    return st.error().code;
  };
  CHECK(ho_err(UnknownNdOption{253, hex("000000000000")}) == Errc::invalid_field);
  CHECK(ho_err(NaiOption{}) == Errc::invalid_field);
  CHECK(ho_err(NaiOption{std::string(256, 'a')}) == Errc::too_long);

  RouterAdvertisement ra;
  ra.reserved = 0x08;
  CHECK(encode(ra, nullptr).error().code == Errc::invalid_field);
  ra.reserved = 0;
  ra.prf = static_cast<RouterPreference>(4);
  CHECK(encode(ra, nullptr).error().code == Errc::invalid_field);
  NeighborAdvertisement na;
  na.reserved = 0x20000000;
  CHECK(encode(na, nullptr).error().code == Errc::invalid_field);
  NeighborSolicitation ns;
  ns.target = Ip6Addr::must("ff02::1");
  CHECK(encode(ns, nullptr).error() == Error{Errc::invalid_field, 8, encode(ns, nullptr).error().rule});
  RouterSolicitation big;
  big.options.assign(40, UnknownNdOption{99, Bytes(2038)});
  CHECK(encode(big, nullptr).error().code == Errc::too_long);
}

TEST_CASE("random mutations: errors or canonical values, never a crash", "[nd][ho][malformed]") {
  RouterAdvertisement ra;
  ra.options = {SourceLlaOption{hex("001122334455")},
                PrefixInfoOption{},
                MapOption{},
                RouteInfoOption{48, RouterPreference::high, 0, 600, Ip6Addr::must("2001:db8:2::")},
                RdnssOption{0, 1, {Ip6Addr::must("2001:db8::53")}},
                DnsslOption{0, 1, {"a.example", "b"}},
                HomeAgentInfoOption{},
                AdvIntervalOption{},
                MtuOption{}};
  HoRequest req;
  req.options = {NaiOption{"mn1@example.com"}, MtuOption{}};
  HoResponse rsp;
  rsp.options = {NaiOption{"mn1@example.com"}, UnknownNdOption{77, Bytes(14)}};
  std::vector<Bytes> seeds;
  for (const IcmpMessage& m : std::vector<IcmpMessage>{ra, req, rsp, NeighborAdvertisement{}, RouterSolicitation{}})
    seeds.push_back(*encode_icmpv6(m, nullptr));

  std::mt19937 rng(4861);
  int decoded = 0;
  int with_malformed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    Bytes b = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 4) {
        case 0: b[rng() % b.size()] = static_cast<std::uint8_t>(rng()); break;
        case 1: b[rng() % b.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8)); break;
        case 2: b.resize(rng() % (b.size() + 1)); break;
        default:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(rng() % (b.size() + 1)), static_cast<std::uint8_t>(rng()));
          break;
      }
      if (b.empty()) b.push_back(0x86);
    }
    auto d = decode_icmpv6(b, nullptr);
    if (!d.ok()) {
      CHECK(d.error().offset <= b.size());
      continue;
    }
    ++decoded;
    const NdOptions& opts = options_or_none(*d);
    if (!options_of<MalformedNdOption>(opts).empty()) ++with_malformed;
    auto enc = encode_icmpv6(*d, nullptr);
    REQUIRE(enc.ok());
    auto again = decode_icmpv6(*enc, nullptr);
    REQUIRE(again.ok());
    // A malformed option comes back the same, but where the canonical
    // encoding of the options before it put it (its error offset moves).
    REQUIRE(without_malformed_offsets(*again) == without_malformed_offsets(*d));
    auto twice = encode_icmpv6(*again, nullptr);
    REQUIRE(twice.ok());
    REQUIRE(*twice == *enc);
  }
  CHECK(decoded > 100);
  CHECK(with_malformed > 20);
}
