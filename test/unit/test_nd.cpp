// Neighbor Discovery messages and options: round trips, byte-exact vectors
// (built by hand from the RFC figures; the checksummed ones also agree with
// scapy 2.5), checksums.
#include <catch2/catch.hpp>
#include <algorithm>

#include "hmip/wire/nd.h"
#include "hmip/wire/nd_options.h"

#include "nd_test_util.h"

using namespace hmip;
using namespace hmip::wire;
using nd_test::hex;

namespace {

// One of every option, every field non-default.
NdOptions all_options() {
  PrefixInfoOption pio;
  pio.prefix_length = 64;
  pio.l_flag = true;
  pio.a_flag = true;
  pio.r_flag = true;
  pio.reserved1 = 0x05;
  pio.valid_lifetime = 2592000;
  pio.preferred_lifetime = 604800;
  pio.reserved2 = 0xdeadbeef;
  pio.prefix = Ip6Addr::must("2001:db8:1::1");

  MapOption map;
  map.dist = 3;
  map.pref = 12;
  map.r_flag = true;
  map.reserved = 0x55;
  map.valid_lifetime = 7200;
  map.address = Ip6Addr::must("2001:db8:99::1");

  RouteInfoOption rio0{0, RouterPreference::low, 0x81, 100, {}};
  RouteInfoOption rio48{48, RouterPreference::high, 0, 600, Ip6Addr::must("2001:db8:2::")};
  RouteInfoOption rio128{128, RouterPreference::reserved, 0x20, 0xffffffff, Ip6Addr::must("2001:db8::7")};

  return {
      SourceLlaOption{hex("001122334455")},
      TargetLlaOption{hex("66778899aabb")},
      SourceLlaOption{hex("0102030405060708090a0b0c0d0e")},  // 14 octets: no padding needed
      pio,
      MtuOption{0x1234, 1280},
      AdvIntervalOption{7, 1500},
      HomeAgentInfoOption{9, -5, 1200},
      map,
      rio0,
      rio48,
      rio128,
      RdnssOption{3, 900, {Ip6Addr::must("2001:db8::53"), Ip6Addr::must("2001:db8::54")}},
      DnsslOption{4, 900, {"example.com", "corp.example.org"}},
      DnsslOption{0, 0, {}},
      NaiOption{"mn1@example.com"},
      UnknownNdOption{200, hex("0102030405 06")},
      UnknownNdOption{14, hex("00000000000000000000000000ff")},
  };
}

// all_options() without the NAI option, which only the HO messages carry.
NdOptions nd_options() {
  NdOptions opts = all_options();
  std::erase_if(opts, [](const NdOption& o) { return std::holds_alternative<NaiOption>(o); });
  return opts;
}

constexpr auto kHandoff = NdOptionContext::handoff;

const PseudoHeader kPh{Ip6Addr::must("fe80::1"), Ip6Addr::must("ff02::1")};

template <class T>
T round_trip(const T& msg, const PseudoHeader* ph = nullptr) {
  auto enc = encode(msg, ph);
  REQUIRE(enc.ok());
  auto dec = decode_icmpv6(*enc, ph);
  INFO((dec.ok() ? std::string("ok") : to_string(dec.error())));
  REQUIRE(dec.ok());
  REQUIRE(std::holds_alternative<T>(*dec));
  auto again = encode_icmpv6(*dec, ph);
  REQUIRE(again.ok());
  CHECK(*again == *enc);  // encode(decode(b)) == b
  return std::get<T>(*dec);
}

}  // namespace

TEST_CASE("every ND option round-trips field by field", "[nd][options]") {
  const auto opts = all_options();
  Bytes area;
  REQUIRE(encode_nd_options(opts, area, {}, kHandoff).ok());  // with the NAI option
  CHECK(area.size() % 8 == 0);
  auto dec = decode_nd_options(area, 16, {}, kHandoff);
  REQUIRE(dec.ok());
  REQUIRE(dec->size() == opts.size());
  for (std::size_t i = 0; i < opts.size(); ++i) {
    INFO("option " << i << " type " << int(nd_option_type(opts[i])));
    CHECK((*dec)[i] == opts[i]);
  }
  const auto& pio = std::get<PrefixInfoOption>((*dec)[3]);
  CHECK(pio.prefix_length == 64);
  CHECK(pio.l_flag);
  CHECK(pio.a_flag);
  CHECK(pio.r_flag);
  CHECK(pio.reserved1 == 0x05);
  CHECK(pio.valid_lifetime == 2592000u);
  CHECK(pio.preferred_lifetime == 604800u);
  CHECK(pio.reserved2 == 0xdeadbeefu);
  CHECK(pio.prefix == Ip6Addr::must("2001:db8:1::1"));
  const auto& map = std::get<MapOption>((*dec)[7]);
  CHECK(map.dist == 3);
  CHECK(map.pref == 12);
  CHECK(map.r_flag);
  CHECK(map.reserved == 0x55);
  CHECK(map.valid_lifetime == 7200u);
  CHECK(map.address == Ip6Addr::must("2001:db8:99::1"));
  CHECK(std::get<HomeAgentInfoOption>((*dec)[6]).preference == -5);
  CHECK(std::get<AdvIntervalOption>((*dec)[5]).interval_ms == 1500u);
  CHECK(std::get<MtuOption>((*dec)[4]).mtu == 1280u);
  CHECK(std::get<DnsslOption>((*dec)[12]).domains == std::vector<std::string>{"example.com", "corp.example.org"});
  CHECK(std::get<NaiOption>((*dec)[14]).nai == "mn1@example.com");

  Bytes again;
  REQUIRE(encode_nd_options(*dec, again, {}, kHandoff).ok());
  CHECK(again == area);
}

TEST_CASE("option byte layouts match the RFC figures", "[nd][options]") {
  auto enc1 = [](NdOption o, NdOptionContext ctx = NdOptionContext::neighbor_discovery) {
    Bytes b;
    REQUIRE(encode_nd_options(std::span<const NdOption>(&o, 1), b, {}, ctx).ok());
    auto d = decode_nd_options(b, 0, {}, ctx);
    REQUIRE(d.ok());
    REQUIRE(d->size() == 1);
    CHECK(d->front() == o);
    return b;
  };
  // RFC 4861 §4.6.2
  CHECK(enc1(PrefixInfoOption{64, true, true, false, 0, 2592000, 604800, 0, Ip6Addr::must("2001:db8:1::")}) ==
        hex("0304 40c0 00278d00 00093a80 00000000 20010db8000100000000000000000000"));
  CHECK(enc1(MtuOption{0, 1280}) == hex("0501 0000 00000500"));                   // RFC 4861 §4.6.4
  CHECK(enc1(AdvIntervalOption{0, 1500}) == hex("0701 0000 000005dc"));           // RFC 6275 §7.3
  CHECK(enc1(HomeAgentInfoOption{0, -5, 1200}) == hex("0801 0000 fffb 04b0"));    // RFC 6275 §7.4
  CHECK(enc1(SourceLlaOption{hex("001122334455")}) == hex("0101 001122334455"));  // RFC 4861 §4.6.1
  // RFC 5380 §5: Dist 2 | Pref 15, R | reserved, lifetime, address.
  CHECK(enc1(MapOption{2, 15, true, 0, 0xffffffff, Ip6Addr::must("2001:db8::1")}) ==
        hex("1703 2f80 ffffffff 20010db8000000000000000000000001"));
  // RFC 4191 §2.3: prefix length 48 fits Length 2; Prf high = 01 -> 0x08.
  CHECK(enc1(RouteInfoOption{48, RouterPreference::high, 0, 600, Ip6Addr::must("2001:db8:2::")}) ==
        hex("1802 3008 00000258 20010db800020000"));
  CHECK(enc1(RouteInfoOption{0, RouterPreference::low, 0, 60, {}}) == hex("1801 0018 0000003c"));
  // RFC 8106 §5.1, §5.2
  CHECK(enc1(RdnssOption{0, 900, {Ip6Addr::must("2001:db8::53"), Ip6Addr::must("2001:db8::54")}}) ==
        hex("1905 0000 00000384 20010db8000000000000000000000053 20010db8000000000000000000000054"));
  CHECK(enc1(DnsslOption{0, 900, {"example.com", "corp.example.org"}}) ==
        hex("1f05 0000 00000384 076578616d706c6503636f6d00 04636f7270076578616d706c65036f726700 00"));
  CHECK(enc1(DnsslOption{0, 900, {}}) == hex("1f02 0000 00000384 0000000000000000"));
  // Our NAI option: Type 253 | Length | NAI Length | NAI | zero padding.
  CHECK(enc1(NaiOption{"mn1@example.com"}, kHandoff) == hex("fd03 0f 6d6e31406578616d706c652e636f6d 000000000000"));
  CHECK(enc1(UnknownNdOption{14, hex("aabbccddeeff")}) == hex("0e01 aabbccddeeff"));
}

TEST_CASE("link-layer address options pad and trim", "[nd][options]") {
  NdOptions o{TargetLlaOption{hex("0011223344556677")}};  // e.g. an EUI-64
  Bytes b;
  REQUIRE(encode_nd_options(o, b).ok());
  CHECK(b == hex("0202 0011223344556677 000000000000"));
  auto d = decode_nd_options(b, 0);
  REQUIRE(d.ok());
  const auto& t = std::get<TargetLlaOption>(d->front());
  CHECK(t.address.size() == 14);  // padding is not distinguishable from the address
  auto trimmed = link_layer_address(t.address, 8);
  CHECK(Bytes(trimmed.begin(), trimmed.end()) == hex("0011223344556677"));
  CHECK(link_layer_address(t.address, 99).size() == 14);
}

TEST_CASE("Route Information accepts a longer Length than needed", "[nd][options]") {
  // scapy 2.5 sends prefix length 48 with Length 3.
  auto d = decode_nd_options(hex("1803 3008 00000258 20010db8000200000000000000000000"), 0);
  REQUIRE(d.ok());
  CHECK(std::get<RouteInfoOption>(d->front()) ==
        RouteInfoOption{48, RouterPreference::high, 0, 600, Ip6Addr::must("2001:db8:2::")});
}

TEST_CASE("Router Solicitation round-trips", "[nd]") {
  RouterSolicitation rs;
  rs.reserved = 0x01020304;
  rs.options = {SourceLlaOption{hex("001122334455")}, UnknownNdOption{99, hex("000102030405")}};
  CHECK(round_trip(rs) == rs);
  CHECK(round_trip(rs, &kPh) == rs);
  CHECK(round_trip(RouterSolicitation{}) == RouterSolicitation{});
  rs.reserved = 0;
  rs.options.pop_back();
  auto enc = encode(rs, nullptr);
  REQUIRE(enc.ok());
  CHECK(*enc == hex("85000000 00000000 0101001122334455"));
}

TEST_CASE("Router Advertisement round-trips every field", "[nd]") {
  RouterAdvertisement ra;
  ra.cur_hop_limit = 255;
  ra.m_flag = true;
  ra.o_flag = true;
  ra.h_flag = true;
  ra.prf = RouterPreference::low;
  ra.reserved = 0x04;  // RFC 4389 P
  ra.router_lifetime = 9000;
  ra.reachable_time = 30000;
  ra.retrans_timer = 1000;
  ra.options = nd_options();
  auto back = round_trip(ra, &kPh);
  CHECK(back == ra);
  CHECK(back.cur_hop_limit == 255);
  CHECK(back.m_flag);
  CHECK(back.o_flag);
  CHECK(back.h_flag);
  CHECK(back.prf == RouterPreference::low);
  CHECK(back.reserved == 0x04);
  CHECK(back.router_lifetime == 9000);
  CHECK(back.reachable_time == 30000u);
  CHECK(back.retrans_timer == 1000u);

  RouterAdvertisement flags;
  flags.cur_hop_limit = 255;
  flags.m_flag = flags.o_flag = flags.h_flag = true;
  flags.prf = RouterPreference::low;
  flags.reserved = 0x04;
  flags.router_lifetime = 9000;
  flags.reachable_time = 30000;
  flags.retrans_timer = 1000;
  auto enc = encode(flags, nullptr);
  REQUIRE(enc.ok());
  CHECK(*enc == hex("86000000 fffc2328 00007530 000003e8"));  // as scapy builds it

  for (auto p : {RouterPreference::medium, RouterPreference::high, RouterPreference::reserved}) {
    RouterAdvertisement x;
    x.prf = p;
    CHECK(round_trip(x).prf == p);
  }
}

TEST_CASE("RA with a MAP option: byte-exact vector from RFC 4861 §4.2 and RFC 5380 §5", "[nd]") {
  // Cur Hop Limit 64, no flags, Router Lifetime 1800; MAP Dist 1, Pref 10,
  // R 0, Valid Lifetime 3600, 2001:db8:99::1.
  const Bytes wire =
      hex("86 00 0000  40 00 0708  00000000  00000000"
          "17 03 1a 00  00000e10  20010db8009900000000000000000001");
  RouterAdvertisement ra;
  ra.cur_hop_limit = 64;
  ra.router_lifetime = 1800;
  ra.options = {MapOption{1, 10, false, 0, 3600, Ip6Addr::must("2001:db8:99::1")}};

  auto enc = encode(ra, nullptr);
  REQUIRE(enc.ok());
  CHECK(*enc == wire);
  auto dec = decode_router_advertisement(wire, nullptr);
  REQUIRE(dec.ok());
  CHECK(*dec == ra);
  const auto* map = find_nd_option<MapOption>(dec->options);
  REQUIRE(map != nullptr);
  CHECK(map->dist == 1);
  CHECK(map->pref == 10);
  CHECK_FALSE(map->r_flag);
  CHECK(map->valid_lifetime == 3600u);

  // With the checksum for fe80::1 -> ff02::1 (scapy 2.5 computes 0xc7a8).
  auto sum = encode(ra, &kPh);
  REQUIRE(sum.ok());
  Bytes with_sum = wire;
  with_sum[2] = 0xc7;
  with_sum[3] = 0xa8;
  CHECK(*sum == with_sum);
  CHECK(decode_icmpv6(with_sum, &kPh).ok());
}

TEST_CASE("Neighbor Solicitation and Advertisement: vectors and round trips", "[nd]") {
  // RFC 4861 §4.3; checksum for fe80::1 -> ff02::1:ff00:2 (scapy agrees).
  const PseudoHeader ns_ph{Ip6Addr::must("fe80::1"), Ip6Addr::must("ff02::1:ff00:2")};
  NeighborSolicitation ns;
  ns.target = Ip6Addr::must("fe80::2");
  ns.options = {SourceLlaOption{hex("001122334455")}};
  const Bytes ns_wire = hex("870015ff 00000000 fe800000000000000000000000000002 0101001122334455");
  auto ns_enc = encode(ns, &ns_ph);
  REQUIRE(ns_enc.ok());
  CHECK(*ns_enc == ns_wire);
  auto ns_dec = decode_neighbor_solicitation(ns_wire, &ns_ph);
  REQUIRE(ns_dec.ok());
  CHECK(*ns_dec == ns);

  // RFC 4861 §4.4: R=1 S=1 O=0; checksum for fe80::2 -> fe80::1.
  const PseudoHeader na_ph{Ip6Addr::must("fe80::2"), Ip6Addr::must("fe80::1")};
  NeighborAdvertisement na;
  na.r_flag = true;
  na.s_flag = true;
  na.target = Ip6Addr::must("fe80::2");
  na.options = {TargetLlaOption{hex("66778899aabb")}};
  const Bytes na_wire = hex("8800204f c0000000 fe800000000000000000000000000002 020166778899aabb");
  auto na_enc = encode(na, &na_ph);
  REQUIRE(na_enc.ok());
  CHECK(*na_enc == na_wire);
  auto na_dec = decode_neighbor_advertisement(na_wire, &na_ph);
  REQUIRE(na_dec.ok());
  CHECK(*na_dec == na);

  ns.reserved = 0xffffffff;
  ns.options = nd_options();
  CHECK(round_trip(ns, &kPh) == ns);
  for (int bits = 0; bits < 8; ++bits) {
    NeighborAdvertisement x;
    x.r_flag = bits & 4;
    x.s_flag = bits & 2;
    x.o_flag = bits & 1;
    x.reserved = 0x10000001u * static_cast<std::uint32_t>(bits & 1);
    x.target = Ip6Addr::must("2001:db8::2");
    auto back = round_trip(x);
    CHECK(back.r_flag == x.r_flag);
    CHECK(back.s_flag == x.s_flag);
    CHECK(back.o_flag == x.o_flag);
    CHECK(back.reserved == x.reserved);
  }
}

TEST_CASE("checksum: zero without a pseudo-header, verified with one", "[nd][checksum]") {
  RouterAdvertisement ra;
  ra.router_lifetime = 1800;
  ra.options = {PrefixInfoOption{}, MtuOption{0, 1500}};
  auto raw = encode(ra, nullptr);
  REQUIRE(raw.ok());
  CHECK((*raw)[2] == 0);
  CHECK((*raw)[3] == 0);
  CHECK(decode_icmpv6(*raw, nullptr).ok());  // not verified without ph

  auto sum = encode_icmpv6(ra, &kPh);
  REQUIRE(sum.ok());
  CHECK(verify_upper_layer_checksum(kPh, kIpProtoIcmpv6, *sum));
  CHECK(decode_icmpv6(*sum, &kPh).ok());
  CHECK(decode_icmpv6(*sum, nullptr).ok());

  auto bad = decode_icmpv6(*raw, &kPh);  // checksum 0 does not verify
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::bad_checksum);
  CHECK(bad.error().offset == 2);

  for (std::size_t i = 0; i < sum->size(); ++i) {
    Bytes flipped = *sum;
    flipped[i] ^= 0x01;
    auto r = decode_icmpv6(flipped, &kPh);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Errc::bad_checksum);
  }
  const PseudoHeader other{Ip6Addr::must("fe80::9"), Ip6Addr::must("ff02::1")};
  auto wrong = decode_icmpv6(*sum, &other);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error() == Error{Errc::bad_checksum, 2, wrong.error().rule});
  CHECK_FALSE(wrong.error().rule.empty());
}

TEST_CASE("icmpv6_type, find_nd_option and HoConfig validation", "[nd]") {
  CHECK(icmpv6_type(RouterSolicitation{}) == 133);
  CHECK(icmpv6_type(RouterAdvertisement{}) == 134);
  CHECK(icmpv6_type(NeighborSolicitation{}) == 135);
  CHECK(icmpv6_type(NeighborAdvertisement{}) == 136);
  CHECK(icmpv6_type(HoRequest{}) == 200);
  CHECK(icmpv6_type(HoResponse{}, HoConfig{150, 151, 254}) == 151);
  CHECK(nd_option_type(NaiOption{"a"}) == 253);
  CHECK(nd_option_type(NaiOption{"a"}, HoConfig{200, 201, 254}) == 254);
  const auto opts = all_options();
  CHECK(find_nd_option<RdnssOption>(opts) != nullptr);
  CHECK(find_nd_option<MtuOption>(NdOptions{}) == nullptr);

  CHECK(validate(HoConfig{}).ok());
  CHECK_FALSE(validate(HoConfig{200, 200, 253}).ok());
  CHECK_FALSE(validate(HoConfig{134, 201, 253}).ok());
  CHECK_FALSE(validate(HoConfig{200, 136, 253}).ok());
  CHECK_FALSE(validate(HoConfig{200, 201, 23}).ok());
  auto bad = encode_icmpv6(RouterSolicitation{}, nullptr, HoConfig{200, 201, 3});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == Errc::invalid_field);
  auto bad_dec = decode_icmpv6(hex("85000000 00000000"), nullptr, HoConfig{200, 200, 253});
  REQUIRE_FALSE(bad_dec.ok());
  CHECK(bad_dec.error().code == Errc::invalid_field);
}

TEST_CASE("a malformed option does not hide the others (RFC 4861 §6.1.2)", "[nd][options]") {
  // An RA with a good MAP, a MAP with Dist 0 (RFC 5380 §5: MUST NOT be
  // used), a Prefix Information option of Length 3 and a good PIO.
  const Bytes wire =
      hex("86000000 40000708 00000000 00000000"
          "1703 1a00 00000e10 20010db8009900000000000000000001"
          "1703 0a00 00000e10 20010db8009900000000000000000002"
          "0303 40c0 00278d00 00093a80 00000000 20010db800010000"
          "0304 40c0 00278d00 00093a80 00000000 20010db8000200000000000000000000");
  auto ra = decode_router_advertisement(wire, nullptr);
  REQUIRE(ra.ok());
  REQUIRE(ra->options.size() == 4);
  CHECK(ra->router_lifetime == 1800);

  const auto maps = options_of<MapOption>(ra->options);
  REQUIRE(maps.size() == 1);
  CHECK(maps[0]->address == Ip6Addr::must("2001:db8:99::1"));
  const auto pios = options_of<PrefixInfoOption>(ra->options);
  REQUIRE(pios.size() == 1);
  CHECK(pios[0]->prefix == Ip6Addr::must("2001:db8:2::"));
  CHECK(find_nd_option<PrefixInfoOption>(ra->options) == pios[0]);

  const auto bad = options_of<MalformedNdOption>(ra->options);
  REQUIRE(bad.size() == 2);
  CHECK(bad[0]->type == nd_opt::kMap);
  CHECK(bad[0]->data == Bytes(wire.begin() + 42, wire.begin() + 64));
  CHECK(bad[0]->error == Error{Errc::invalid_field, 42, bad[0]->error.rule});
  CHECK(bad[1]->type == nd_opt::kPrefixInfo);
  CHECK(bad[1]->data.size() == 22);
  CHECK(bad[1]->error == Error{Errc::bad_length, 65, bad[1]->error.rule});
  CHECK(nd_option_type(*std::find_if(ra->options.begin(), ra->options.end(), [](const NdOption& o) {
          return std::holds_alternative<MalformedNdOption>(o);
        })) == nd_opt::kMap);

  // Written back as received.
  auto again = encode(*ra, nullptr);
  REQUIRE(again.ok());
  CHECK(*again == wire);
}

TEST_CASE("MalformedNdOption and UnknownNdOption: what the encoder accepts in each context", "[nd][options]") {
  auto enc = [](NdOption o, NdOptionContext ctx) {
    Bytes out = hex("aabb");
    auto st = encode_nd_options(std::span<const NdOption>(&o, 1), out, {}, ctx);
    if (!st) CHECK(out == hex("aabb"));
    return st;
  };
  const auto nd = NdOptionContext::neighbor_discovery;
  // The NAI type (253 by default) is interpreted in the HO messages only.
  CHECK(enc(UnknownNdOption{253, hex("000000000000")}, nd).ok());
  CHECK(enc(UnknownNdOption{253, hex("000000000000")}, kHandoff).error().code == Errc::invalid_field);
  CHECK(enc(NaiOption{"a@b"}, nd).error() == Error{Errc::invalid_field, 2, enc(NaiOption{"a@b"}, nd).error().rule});
  CHECK(enc(NaiOption{"a@b"}, kHandoff).ok());
  CHECK(enc(MalformedNdOption{253, hex("000000000000"), {}}, kHandoff).ok());
  CHECK(enc(MalformedNdOption{253, hex("000000000000"), {}}, nd).error().code == Errc::invalid_field);
  CHECK(enc(MalformedNdOption{nd_opt::kMap, hex("000000000000"), {}}, nd).ok());
  CHECK(enc(MalformedNdOption{99, hex("000000000000"), {}}, nd).error().code == Errc::invalid_field);
  CHECK(enc(MalformedNdOption{nd_opt::kMap, hex("0000000000"), {}}, nd).error().code == Errc::bad_length);
  CHECK(enc(MalformedNdOption{nd_opt::kMap, Bytes(2046), {}}, nd).error().code == Errc::too_long);
}

TEST_CASE("options_of works on ND and mobility option lists alike", "[nd][options]") {
  RouterAdvertisement ra;
  ra.options = {MapOption{1, 5, false, 0, 60, Ip6Addr::must("2001:db8:a::1")}, PrefixInfoOption{},
                MapOption{2, 9, true, 0, 60, Ip6Addr::must("2001:db8:b::1")}, MtuOption{0, 1280}};
  const auto maps = options_of<MapOption>(ra.options);
  REQUIRE(maps.size() == 2);
  CHECK(maps[0]->pref == 5);
  CHECK(maps[1]->pref == 9);
  CHECK(options_of<RdnssOption>(ra.options).empty());
  CHECK(find_option<MtuOption>(ra.options)->mtu == 1280u);
  CHECK(find_nd_option<MapOption>(ra.options) == maps[0]);
}
