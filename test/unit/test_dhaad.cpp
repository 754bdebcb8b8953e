// Dynamic Home Agent Address Discovery (RFC 6275 §6.5-§6.8, §10.5): the
// wire codecs byte for byte (hand-written from the RFC figures), every
// decode error with its offset, the Home-Agents anycast address (RFC 2526),
// and the home agent's responder with its Home Agents List.
#include <catch2/catch.hpp>
#include <algorithm>
#include <cstddef>

#include "hmip/map/dhaad_responder.h"
#include "hmip/wire/dhaad.h"
#include "hmip/wire/nd.h"

#include "nd_test_util.h"

using namespace hmip;
using namespace hmip::wire;
using nd_test::cat;
using nd_test::hex;

namespace {

const PseudoHeader kPh{Ip6Addr::must("2001:db8:5::10"), Ip6Addr::must("2001:db8:200::fdff:ffff:ffff:fffe")};

void check_error(const Error& e, Errc code, std::size_t offset) {
  INFO(to_string(e));
  CHECK(e.code == code);
  CHECK(e.offset == offset);
  CHECK_FALSE(e.rule.empty());
}

template <class T>
void round_trip(const T& m, const Bytes& expected) {
  auto enc = encode(m, nullptr);
  REQUIRE(enc.ok());
  CHECK(*enc == expected);
  auto gen = decode_icmpv6(*enc, nullptr);
  REQUIRE(gen.ok());
  CHECK(std::get<T>(*gen) == m);
  auto sum = encode(m, &kPh);
  REQUIRE(sum.ok());
  auto checked = decode_icmpv6(*sum, &kPh);
  REQUIRE(checked.ok());
  CHECK(std::get<T>(*checked) == m);
  auto generic = encode_icmpv6(IcmpMessage{m}, &kPh);
  REQUIRE(generic.ok());
  CHECK(*generic == *sum);
  CHECK(icmpv6_type(IcmpMessage{m}) == expected[0]);
}

}  // namespace

TEST_CASE("DHAAD Request and Reply: byte-exact round trips (RFC 6275 §6.5, §6.6)", "[dhaad]") {
  round_trip(DhaadRequest{0x1234, false, 0}, hex("90000000 1234 0000"));
  round_trip(DhaadRequest{0xbeef, true, 0x0101}, hex("90000000 beef 8101"));
  round_trip(DhaadReply{0x1234, false, 0, {}}, hex("91000000 1234 0000"));
  round_trip(DhaadReply{7, true, 0x7fff,
                        {Ip6Addr::must("2001:db8:200::1"), Ip6Addr::must("2001:db8:200::2")}},
             hex("91000000 0007 ffff 20010db8020000000000000000000001 20010db8020000000000000000000002"));
  auto r = decode_dhaad_request(hex("90000000 1234 8000"), nullptr);
  REQUIRE(r.ok());
  CHECK(r->mobile_router);
  CHECK(r->reserved == 0);
}

TEST_CASE("Mobile Prefix Solicitation and Advertisement: round trips (RFC 6275 §6.7, §6.8)", "[dhaad]") {
  round_trip(MobilePrefixSolicitation{0x4242, 0xffff}, hex("92000000 4242 ffff"));
  PrefixInfoOption pio;
  pio.prefix_length = 64;
  pio.a_flag = true;
  pio.r_flag = true;
  pio.valid_lifetime = 86400;
  pio.preferred_lifetime = 3600;
  pio.prefix = Ip6Addr::must("2001:db8:200::1");
  MobilePrefixAdvertisement mpa{0x4242, true, false, 0x0003, {pio}};
  round_trip(mpa, cat(hex("93000000 4242 8003"),
                      hex("0304 40 60 00015180 00000e10 00000000 20010db8020000000000000000000001")));
  mpa.m_flag = false;
  mpa.o_flag = true;
  mpa.reserved = 0;
  auto enc = encode(mpa, nullptr);
  REQUIRE(enc.ok());
  CHECK((*enc)[6] == 0x40);
}

TEST_CASE("DHAAD decode errors carry their offsets", "[dhaad]") {
  // Under 4 octets, at any size.
  for (std::size_t n = 0; n < 4; ++n) {
    const Bytes head = hex("90000000");
    const Bytes b(head.begin(), head.begin() + static_cast<std::ptrdiff_t>(n));
    check_error(decode_dhaad_request(b, nullptr).error(), Errc::truncated, 0);
    check_error(decode_icmpv6(b, nullptr).error(), Errc::truncated, 0);
  }
  // The fixed part: Identifier at 4, flags/Reserved at 6.
  check_error(decode_dhaad_request(hex("90000000 12"), nullptr).error(), Errc::truncated, 4);
  check_error(decode_dhaad_reply(hex("91000000 1234 00"), nullptr).error(), Errc::truncated, 6);
  check_error(decode_mobile_prefix_solicitation(hex("92000000"), nullptr).error(), Errc::truncated, 4);
  check_error(decode_mobile_prefix_advertisement(hex("93000000 0000"), nullptr).error(), Errc::truncated, 6);
  check_error(decode_icmpv6(hex("91000000 1234 00"), nullptr).error(), Errc::truncated, 6);
  // Code != 0, wrong Type.
  check_error(decode_dhaad_request(hex("90010000 1234 0000"), nullptr).error(), Errc::invalid_field, 1);
  check_error(decode_icmpv6(hex("93ff0000 1234 0000"), nullptr).error(), Errc::invalid_field, 1);
  check_error(decode_dhaad_reply(hex("90000000 1234 0000"), nullptr).error(), Errc::unknown_type, 0);
  check_error(decode_icmpv6(hex("94000000 1234 0000"), nullptr).error(), Errc::unknown_type, 0);
  // A reply whose address list is not a multiple of 16 octets: the offset of
  // the incomplete address.
  const Bytes one = hex("20010db8020000000000000000000001");
  check_error(decode_dhaad_reply(hex("91000000 1234 0000 20"), nullptr).error(), Errc::bad_length, 8);
  Bytes partial = cat(cat(hex("91000000 1234 0000"), one), hex("20010db802000000000000000000"));
  check_error(decode_dhaad_reply(partial, nullptr).error(), Errc::bad_length, 24);
  check_error(decode_icmpv6(partial, nullptr).error(), Errc::bad_length, 24);
  // Checksum: verified with a pseudo-header, at offset 2.
  auto good = encode(DhaadReply{1, false, 0, {Ip6Addr::must("2001:db8:200::1")}}, &kPh);
  REQUIRE(good.ok());
  CHECK(decode_dhaad_reply(*good, &kPh).ok());
  for (std::size_t i = 0; i < good->size(); ++i) {
    Bytes bad = *good;
    bad[i] ^= 0x10;
    auto d = decode_dhaad_reply(bad, &kPh);
    REQUIRE_FALSE(d.ok());
    check_error(d.error(), Errc::bad_checksum, 2);
  }
  // Mobile Prefix Advertisement: option framing errors fail it.
  check_error(decode_mobile_prefix_advertisement(hex("93000000 0000 0000 0300"), nullptr).error(),
              Errc::bad_length, 9);
  check_error(decode_mobile_prefix_advertisement(hex("93000000 0000 0000 0304 00"), nullptr).error(),
              Errc::truncated, 8);
  // ... a bad Prefix Information option does not (it is kept as malformed).
  auto mal = decode_mobile_prefix_advertisement(hex("93000000 0000 0000 0301 000000000000"), nullptr);
  REQUIRE(mal.ok());
  REQUIRE(mal->options.size() == 1);
  CHECK(std::holds_alternative<MalformedNdOption>(mal->options[0]));
}

TEST_CASE("DHAAD: extra octets of a request are ignored, encode errors", "[dhaad]") {
  auto r = decode_dhaad_request(hex("90000000 1234 0000 0102030405060708"), nullptr);
  REQUIRE(r.ok());
  CHECK(*r == DhaadRequest{0x1234, false, 0});
  auto s = decode_icmpv6(hex("92000000 1234 0000 ff"), nullptr);
  REQUIRE(s.ok());
  CHECK(std::get<MobilePrefixSolicitation>(*s) == MobilePrefixSolicitation{0x1234, 0});

  check_error(encode(DhaadRequest{1, false, 0x8000}, nullptr).error(), Errc::invalid_field, 6);
  check_error(encode(DhaadReply{1, false, 0x8000, {}}, nullptr).error(), Errc::invalid_field, 6);
  check_error(encode(MobilePrefixAdvertisement{1, false, false, 0x4000, {}}, nullptr).error(), Errc::invalid_field,
              6);
  check_error(encode(MobilePrefixAdvertisement{1, false, false, 0, {NaiOption{"a@b"}}}, nullptr).error(),
              Errc::invalid_field, 8);
  DhaadReply huge;
  huge.home_agents.assign(4096, Ip6Addr::must("2001:db8::1"));
  check_error(encode(huge, nullptr).error(), Errc::too_long, 0);
  // HoConfig may no longer take the Mobile IPv6 types.
  CHECK_FALSE(validate(HoConfig{144, 201, 253}).ok());
  CHECK_FALSE(validate(HoConfig{200, 147, 253}).ok());
  CHECK(validate(HoConfig{148, 143, 253}).ok());
}

TEST_CASE("RA H flag, Home Agent Information option and R-flag Prefix Information (RFC 6275 §7.1, §7.2, §7.4)",
          "[dhaad]") {
  RouterAdvertisement ra;
  ra.h_flag = true;
  ra.router_lifetime = 1800;
  PrefixInfoOption pio;
  pio.r_flag = true;
  pio.l_flag = true;
  pio.prefix = Ip6Addr::must("2001:db8:200::2");
  ra.options = {pio, HomeAgentInfoOption{0, -3, 600}};
  auto enc = encode(ra, nullptr);
  REQUIRE(enc.ok());
  CHECK((*enc)[5] == 0x20);  // H
  CHECK(Bytes(enc->end() - 8, enc->end()) == hex("0801 0000 fffd 0258"));
  auto dec = decode_router_advertisement(*enc, nullptr);
  REQUIRE(dec.ok());
  CHECK(*dec == ra);
  // Home Agent Lifetime 0 MUST NOT be used (§7.4): kept as malformed, the RA decodes.
  Bytes zero = *enc;
  zero[zero.size() - 1] = 0;
  zero[zero.size() - 2] = 0;
  auto z = decode_router_advertisement(zero, nullptr);
  REQUIRE(z.ok());
  const auto* bad = std::get_if<MalformedNdOption>(&z->options.back());
  REQUIRE(bad != nullptr);
  check_error(bad->error, Errc::invalid_field, enc->size() - 2);
}

TEST_CASE("Home-Agents anycast address (RFC 2526 §2)", "[dhaad]") {
  const auto any = [](std::string_view p, std::uint8_t len) { return home_agents_anycast(Ip6Addr::must(p), len); };
  // /64, EUI-64 format: universal/local bit 0 (Figure 1).
  CHECK(any("2001:db8:200::", 64) == Ip6Addr::must("2001:db8:200:0:fdff:ffff:ffff:fffe"));
  // Host bits of the prefix are ignored.
  CHECK(any("2001:db8:200::77", 64) == Ip6Addr::must("2001:db8:200:0:fdff:ffff:ffff:fffe"));
  // Shorter than /64: still an EUI-64 format identifier (Figure 1), the
  // subnet bits between the prefix and bit 64 all ones.
  CHECK(any("2001:db8:200::", 48) == Ip6Addr::must("2001:db8:200:ffff:fdff:ffff:ffff:fffe"));
  CHECK(any("2001:db8:200:12::", 60) == Ip6Addr::must("2001:db8:200:1f:fdff:ffff:ffff:fffe"));
  CHECK(any("2001:db8::", 3) == Ip6Addr::must("3fff:ffff:ffff:ffff:fdff:ffff:ffff:fffe"));
  // Longer: all ones up to the 7-bit ID (Figure 2).
  CHECK(any("2001:db8:200:1::", 80) == Ip6Addr::must("2001:db8:200:1:0:ffff:ffff:fffe"));
  CHECK(any("2001:db8:200:1:2:3:4:500", 120) == Ip6Addr::must("2001:db8:200:1:2:3:4:5fe"));
  CHECK(any("2001:db8::80", 121) == Ip6Addr::must("2001:db8::fe"));
  CHECK(any("2001:db8::", 121) == Ip6Addr::must("2001:db8::7e"));
  CHECK(any("2001:db8:1:2:3:4:5:6", 100) == Ip6Addr::must("2001:db8:1:2:3:4:fff:fffe"));
  CHECK(any("2001:db8:1:2:3:4:f005:6", 100) == Ip6Addr::must("2001:db8:1:2:3:4:ffff:fffe"));
  CHECK(any("2001:db8::", 122) == std::nullopt);
  CHECK(any("::", 0) == Ip6Addr::must("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
  // Format prefix 000 (RFC 4291 §2.5.1: no 64-bit EUI-64 identifiers
  // required): Figure 2, the u/l bit stays 1, at /64 and below.
  CHECK(any("1f00::", 64) == Ip6Addr::must("1f00::ffff:ffff:ffff:fffe"));
  CHECK(any("1f00::", 32) == Ip6Addr::must("1f00:0:ffff:ffff:ffff:ffff:ffff:fffe"));
  CHECK(is_home_agents_anycast(Ip6Addr::must("2001:db8:200:0:fdff:ffff:ffff:fffe"), Ip6Addr::must("2001:db8:200::"),
                               64));
  CHECK_FALSE(is_home_agents_anycast(Ip6Addr::must("2001:db8:200::1"), Ip6Addr::must("2001:db8:200::"), 64));
}

// ------------------------------------------------------------- responder

namespace {

using map::DhaadResponder;
const core::TimePoint kT0{core::seconds(1000)};
const Ip6Prefix kHome = *Ip6Prefix::parse("2001:db8:200::/64");
const Ip6Prefix kHome2 = *Ip6Prefix::parse("2001:db8:300::/64");
const Ip6Addr kHa = Ip6Addr::must("2001:db8:200::1");
const Ip6Addr kHa2 = Ip6Addr::must("2001:db8:300::1");
const Ip6Addr kAny = Ip6Addr::must("2001:db8:200:0:fdff:ffff:ffff:fffe");
const Ip6Addr kAny2 = Ip6Addr::must("2001:db8:300:0:fdff:ffff:ffff:fffe");
const Ip6Addr kCoa = Ip6Addr::must("2001:db8:5::10");

RouterAdvertisement ha_ra(const Ip6Addr& global, std::int16_t pref, std::uint16_t lifetime, bool h = true) {
  RouterAdvertisement ra;
  ra.h_flag = h;
  ra.router_lifetime = 1800;
  PrefixInfoOption pio;
  pio.r_flag = true;
  pio.prefix = global;
  ra.options = {pio, HomeAgentInfoOption{0, pref, lifetime}};
  return ra;
}

}  // namespace

TEST_CASE("DHAAD responder answers on the anycast address from the HA's address", "[dhaad]") {
  DhaadResponder r({{kHome, kHa, 0}, {kHome2, kHa2, 5}}, 42);
  CHECK(r.anycast_addresses() == std::vector<Ip6Addr>{kAny, kAny2});
  auto out = r.handle_request(kT0, kCoa, kAny, DhaadRequest{0x5151, false, 0});
  REQUIRE(out);
  CHECK(out->src == kHa);
  CHECK(out->dst == kCoa);
  CHECK(out->reply == DhaadReply{0x5151, false, 0, {kHa}});
  // The second prefix answers from the HA's address there.
  auto out2 = r.handle_request(kT0, kCoa, kAny2, DhaadRequest{9, false, 0});
  REQUIRE(out2);
  CHECK(out2->src == kHa2);
  CHECK(out2->reply == DhaadReply{9, false, 0, {kHa2}});
  // Not an anycast address of ours (the unicast address, another prefix's
  // anycast, ::): no reply, counted.
  CHECK_FALSE(r.handle_request(kT0, kCoa, kHa, DhaadRequest{}));
  CHECK_FALSE(r.handle_request(kT0, kCoa, Ip6Addr::must("2001:db8:400:0:fdff:ffff:ffff:fffe"), DhaadRequest{}));
  CHECK_FALSE(r.handle_request(kT0, kCoa, Ip6Addr{}, DhaadRequest{}));
  // Sources a reply must never go to.
  CHECK_FALSE(r.handle_request(kT0, Ip6Addr{}, kAny, DhaadRequest{}));
  CHECK_FALSE(r.handle_request(kT0, Ip6Addr::must("ff02::1"), kAny, DhaadRequest{}));
  CHECK_FALSE(r.handle_request(kT0, Ip6Addr::must("::1"), kAny, DhaadRequest{}));
  CHECK(r.counters().requests == 8);
  CHECK(r.counters().replies == 2);
  CHECK(r.counters().not_anycast == 3);
  CHECK(r.counters().bad_source == 3);
}

TEST_CASE("DHAAD responder: a request with R gets R set and no addresses (RFC 3963 §4.5)", "[dhaad]") {
  DhaadResponder r({{kHome, kHa, 0}}, 42);
  // Another HA on the home link is listed, but nothing says it serves mobile routers.
  r.handle_router_advertisement(kT0, Ip6Addr::must("fe80::2"), ha_ra(Ip6Addr::must("2001:db8:200::2"), 0, 1800));
  REQUIRE(r.home_agents(kT0).size() == 1);
  auto out = r.handle_request(kT0, kCoa, kAny, DhaadRequest{0x77, true, 0});
  REQUIRE(out);
  CHECK(out->src == kHa);
  CHECK(out->dst == kCoa);
  CHECK(out->reply == DhaadReply{0x77, true, 0, {}});
  CHECK(r.counters().mobile_router == 1);
  CHECK(r.counters().replies == 1);
  // It encodes: a reply with no addresses is the 8-octet ICMPv6 header, R set (RFC 6275 §6.6).
  const auto bytes = encode(out->reply, nullptr);
  REQUIRE(bytes);
  REQUIRE(bytes->size() == 8);
  CHECK((*bytes)[6] == 0x80);
  // Without R the same request lists both.
  auto plain = r.handle_request(kT0, kCoa, kAny, DhaadRequest{0x78, false, 0});
  REQUIRE(plain);
  CHECK_FALSE(plain->reply.mobile_router);
  CHECK(plain->reply.home_agents.size() == 2);
  // Still only on the anycast address, and rate-limited like the others.
  CHECK_FALSE(r.handle_request(kT0, kCoa, kHa, DhaadRequest{1, true, 0}));
  CHECK(r.counters().mobile_router == 1);
}

TEST_CASE("DHAAD responder rate-limits per source", "[dhaad]") {
  core::SourceLimits lim;
  lim.burst = 3;
  lim.interval = core::seconds(1);
  DhaadResponder r({{kHome, kHa, 0}}, 1, lim);
  int answered = 0;
  for (int i = 0; i < 10; ++i)
    if (r.handle_request(kT0, kCoa, kAny, DhaadRequest{static_cast<std::uint16_t>(i), false, 0})) ++answered;
  CHECK(answered == 3);
  CHECK(r.counters().rate_limited == 7);
  CHECK(r.limiter_counters().limited == 7);
  // Another source still gets its answer; the first one after a second.
  CHECK(r.handle_request(kT0, Ip6Addr::must("2001:db8:6::10"), kAny, DhaadRequest{}));
  CHECK(r.handle_request(kT0 + core::seconds(1), kCoa, kAny, DhaadRequest{}));
  CHECK(r.counters().replies == 5);
}

TEST_CASE("DHAAD responder: Home Agents List from RAs, preference order (RFC 6275 §10.5.1)", "[dhaad]") {
  DhaadResponder r({{kHome, kHa, 10}}, 7);
  const Ip6Addr ll_b = Ip6Addr::must("fe80::b");
  const Ip6Addr ll_c = Ip6Addr::must("fe80::c");
  const Ip6Addr ll_d = Ip6Addr::must("fe80::d");
  const Ip6Addr b = Ip6Addr::must("2001:db8:200::b");
  const Ip6Addr c = Ip6Addr::must("2001:db8:200::c");
  r.handle_router_advertisement(kT0, ll_b, ha_ra(b, 20, 100));
  r.handle_router_advertisement(kT0, ll_c, ha_ra(c, -1, 600));
  // Not a home agent (H clear), an address off the home prefix, our own RA: not listed.
  r.handle_router_advertisement(kT0, ll_d, ha_ra(Ip6Addr::must("2001:db8:200::d"), 99, 600, false));
  r.handle_router_advertisement(kT0, ll_d, ha_ra(Ip6Addr::must("2001:db8:999::d"), 99, 600));
  r.handle_router_advertisement(kT0, Ip6Addr::must("fe80::1"), ha_ra(kHa, 99, 600));
  REQUIRE(r.home_agents(kT0).size() == 2);

  auto out = r.handle_request(kT0, kCoa, kAny, DhaadRequest{1, false, 0});
  REQUIRE(out);
  CHECK(out->reply.home_agents == std::vector<Ip6Addr>{b, kHa, c});

  // Without a Home Agent Information option: preference 0, Router Lifetime.
  RouterAdvertisement plain = ha_ra(c, 0, 1);
  plain.options.pop_back();
  plain.router_lifetime = 500;
  r.handle_router_advertisement(kT0, ll_c, plain);
  auto cs = r.home_agents(kT0);
  REQUIRE(cs.size() == 2);
  CHECK(cs[1].link_local == ll_c);
  CHECK(cs[1].preference == 0);
  CHECK(cs[1].expires == kT0 + core::seconds(500));

  // b's lifetime (100 s) runs out: it leaves the list and the replies.
  const core::TimePoint t1 = kT0 + core::seconds(100);
  auto later = r.handle_request(t1, kCoa, kAny, DhaadRequest{2, false, 0});
  REQUIRE(later);
  CHECK(later->reply.home_agents == std::vector<Ip6Addr>{kHa, c});
  CHECK(r.home_agents(t1).size() == 1);
  // b comes back; an RA with H clear from a listed HA removes it, so does a
  // Router Lifetime 0 without the option.
  r.handle_router_advertisement(t1, ll_b, ha_ra(b, 20, 100));
  CHECK(r.home_agents(t1).size() == 2);
  r.handle_router_advertisement(t1, ll_c, ha_ra(c, 0, 600, false));
  CHECK(r.home_agents(t1).size() == 1);
  plain.router_lifetime = 0;
  r.handle_router_advertisement(t1, ll_b, plain);
  CHECK(r.home_agents(t1).empty());
}

TEST_CASE("DHAAD responder: equal preferences in seeded random order, bounded reply and list", "[dhaad]") {
  DhaadResponder r({{kHome, kHa, 0}}, 3);
  for (int i = 0; i < 150; ++i) {
    Ip6Addr ll = Ip6Addr::must("fe80::1:0");
    ll.b[15] = static_cast<std::uint8_t>(i);
    Ip6Addr g = Ip6Addr::must("2001:db8:200::1:0");
    g.b[15] = static_cast<std::uint8_t>(i);
    r.handle_router_advertisement(kT0, ll, ha_ra(g, 0, 600));
  }
  CHECK(r.home_agents(kT0).size() == map::kMaxHomeAgents);
  CHECK(r.counters().ha_list_full == 150 - map::kMaxHomeAgents);
  auto a = r.handle_request(kT0, kCoa, kAny, DhaadRequest{});
  auto b = r.handle_request(kT0, Ip6Addr::must("2001:db8:6::1"), kAny, DhaadRequest{});
  REQUIRE(a);
  REQUIRE(b);
  // Capped so that the reply fits the IPv6 minimum MTU (RFC 6275 §10.5).
  CHECK(a->reply.home_agents.size() == kDhaadReplyMaxAddresses);
  CHECK(a->reply.home_agents != b->reply.home_agents);  // ties reshuffled per reply
  auto sorted_a = a->reply.home_agents;
  auto sorted_b = b->reply.home_agents;
  std::sort(sorted_a.begin(), sorted_a.end());
  std::sort(sorted_b.begin(), sorted_b.end());
  CHECK(sorted_a != sorted_b);  // the cap keeps different random subsets of the ties
  auto enc = encode(a->reply, nullptr);
  REQUIRE(enc.ok());
  CHECK(enc->size() + 40 <= 1280);
}

TEST_CASE("DHAAD responder: each prefix lists the home agents on it, a /122 is not served", "[dhaad]") {
  DhaadResponder r({{kHome, kHa, 0}, {kHome2, kHa2, 0}, {*Ip6Prefix::parse("2001:db8:400::/122"), kHa, 0}}, 5);
  CHECK(r.anycast_addresses() == std::vector<Ip6Addr>{kAny, kAny2});
  const Ip6Addr other2 = Ip6Addr::must("2001:db8:300::99");
  r.handle_router_advertisement(kT0, Ip6Addr::must("fe80::99"), ha_ra(other2, 50, 600));
  auto on1 = r.handle_request(kT0, kCoa, kAny, DhaadRequest{1, false, 0});
  auto on2 = r.handle_request(kT0, kCoa, kAny2, DhaadRequest{2, false, 0});
  REQUIRE(on1);
  REQUIRE(on2);
  CHECK(on1->reply.home_agents == std::vector<Ip6Addr>{kHa});
  CHECK(on2->reply.home_agents == std::vector<Ip6Addr>{other2, kHa2});
  CHECK(on2->src == kHa2);
}
