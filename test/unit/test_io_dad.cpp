// lib/io's DAD and proxy-NA helpers (nd_dad.h): the messages they build and
// how received NS/NA are classified (RFC 4862 §5.4, RFC 4861 §7.1, §7.2.6).
#include <array>
#include <catch2/catch.hpp>

#include "hmip/io/nd_dad.h"
#include "hmip/wire/ipv6.h"
#include "hmip/wire/nd.h"

using namespace hmip;
using namespace hmip::io;

namespace {

const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::5:1234:5678");
const std::array<std::uint8_t, 6> kMac{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};

// A received packet with a correct checksum over (src, dst).
Icmpv6Packet packet(const wire::IcmpMessage& m, const Ip6Addr& src, const Ip6Addr& dst, int hop_limit = 255) {
  const wire::PseudoHeader ph{src, dst};
  auto b = wire::encode_icmpv6(m, &ph);
  REQUIRE(b);
  Icmpv6Packet p;
  p.data = *b;
  p.src = src;
  p.dst = dst;
  p.ifindex = 3;
  p.hop_limit = hop_limit;
  return p;
}

wire::NeighborSolicitation ns_for(const Ip6Addr& target) {
  wire::NeighborSolicitation ns;
  ns.target = target;
  return ns;
}

wire::NeighborAdvertisement na_for(const Ip6Addr& target) {
  wire::NeighborAdvertisement na;
  na.target = target;
  na.o_flag = true;
  return na;
}

}  // namespace

TEST_CASE("dad: solicited-node multicast address", "[io][dad]") {
  CHECK(solicited_node_multicast(kRcoa) == Ip6Addr::must("ff02::1:ff34:5678"));
  CHECK(solicited_node_multicast(Ip6Addr::must("fe80::1")) == Ip6Addr::must("ff02::1:ff00:1"));
}

TEST_CASE("dad: the probe is an NS from :: to the solicited-node group, hop limit 255", "[io][dad]") {
  auto pkt = build_dad_probe_packet(kRcoa);
  REQUIRE(pkt);
  auto ip = wire::parse_ipv6_packet(*pkt);
  REQUIRE(ip);
  CHECK(ip->header.src.is_unspecified());
  CHECK(ip->header.dst == Ip6Addr::must("ff02::1:ff34:5678"));
  CHECK(ip->header.hop_limit == 255);
  CHECK(ip->header.next_header == 58);
  const wire::PseudoHeader ph{ip->header.src, ip->header.dst};
  auto ns = wire::decode_neighbor_solicitation(ip->payload, &ph);  // checksum verified
  REQUIRE(ns);
  CHECK(ns->target == kRcoa);
  CHECK(ns->options.empty());  // no Source LLA from :: (RFC 4861 §7.1.1)
  CHECK(pkt->size() == 40 + 24);

  for (const char* bad : {"ff02::1", "::", "::1"})
    CHECK(build_dad_probe_packet(Ip6Addr::must(bad)).error().code == wire::Errc::invalid_field);
}

TEST_CASE("dad: the unsolicited proxy NA", "[io][dad]") {
  for (bool router : {false, true}) {
    auto b = build_unsolicited_na(kRcoa, kMac, router);
    REQUIRE(b);
    auto na = wire::decode_neighbor_advertisement(*b, nullptr);
    REQUIRE(na);
    CHECK(na->o_flag);
    CHECK_FALSE(na->s_flag);
    CHECK(na->r_flag == router);
    CHECK(na->target == kRcoa);
    const auto* tlla = wire::find_nd_option<wire::TargetLlaOption>(na->options);
    REQUIRE(tlla != nullptr);
    const auto mac = wire::link_layer_address(tlla->address, 6);
    CHECK(std::equal(mac.begin(), mac.end(), kMac.begin(), kMac.end()));
    CHECK((*b)[2] == 0);  // checksum left to the kernel
    CHECK((*b)[3] == 0);
  }
  CHECK(build_unsolicited_na(Ip6Addr::must("ff02::1"), kMac, false).error().code == wire::Errc::invalid_field);
  CHECK(build_unsolicited_na(kRcoa, wire::ByteSpan{}, false).error().code == wire::Errc::invalid_field);
}

TEST_CASE("dad: classifying received NS and NA", "[io][dad]") {
  const Ip6Addr any{};
  const Ip6Addr sol = solicited_node_multicast(kRcoa);
  const Ip6Addr all_nodes = Ip6Addr::must("ff02::1");
  const Ip6Addr peer = Ip6Addr::must("fe80::2");

  SECTION("an NA for the target: defended (RFC 4862 §5.4.4)") {
    const auto o = classify_dad(packet(na_for(kRcoa), peer, all_nodes), kRcoa);
    CHECK(o.event == DadEvent::defended);
    CHECK(dad_failed(o.event));
    CHECK(o.detail.find("fe80::2") != std::string::npos);
    // Unicast and solicited to us counts as well.
    auto na = na_for(kRcoa);
    na.s_flag = true;
    CHECK(classify_dad(packet(na, peer, Ip6Addr::must("fe80::1")), kRcoa).event == DadEvent::defended);
  }
  SECTION("an NS for the target from :: : another node's probe (RFC 4862 §5.4.3)") {
    const auto o = classify_dad(packet(ns_for(kRcoa), any, sol), kRcoa);
    CHECK(o.event == DadEvent::concurrent_probe);
    CHECK(dad_failed(o.event));
  }
  SECTION("unrelated") {
    CHECK(classify_dad(packet(ns_for(kRcoa), peer, sol), kRcoa).event == DadEvent::unrelated);  // resolution
    CHECK(classify_dad(packet(ns_for(Ip6Addr::must("2001:db8::7")), any, sol), kRcoa).event == DadEvent::unrelated);
    CHECK(classify_dad(packet(na_for(Ip6Addr::must("2001:db8::7")), peer, all_nodes), kRcoa).event ==
          DadEvent::unrelated);
    CHECK(classify_dad(packet(wire::RouterSolicitation{}, peer, Ip6Addr::must("ff02::2")), kRcoa).event ==
          DadEvent::unrelated);
    CHECK_FALSE(dad_failed(DadEvent::unrelated));
    CHECK_FALSE(dad_failed(DadEvent::invalid));
  }
  SECTION("invalid: RFC 4861 §7.1 validation") {
    CHECK(classify_dad(packet(na_for(kRcoa), peer, all_nodes, 64), kRcoa).event == DadEvent::invalid);
    CHECK(classify_dad(packet(na_for(kRcoa), peer, all_nodes, -1), kRcoa).event == DadEvent::invalid);
    auto bad_sum = packet(na_for(kRcoa), peer, all_nodes);
    bad_sum.data[2] ^= 0x55;
    CHECK(classify_dad(bad_sum, kRcoa).event == DadEvent::invalid);
    auto trunc = packet(na_for(kRcoa), peer, all_nodes);
    trunc.truncated = true;
    CHECK(classify_dad(trunc, kRcoa).event == DadEvent::invalid);
    auto solicited = na_for(kRcoa);
    solicited.s_flag = true;
    CHECK(classify_dad(packet(solicited, peer, all_nodes), kRcoa).event == DadEvent::invalid);
    auto with_slla = ns_for(kRcoa);
    with_slla.options.emplace_back(wire::SourceLlaOption{wire::Bytes(kMac.begin(), kMac.end())});
    CHECK(classify_dad(packet(with_slla, any, sol), kRcoa).event == DadEvent::invalid);
    CHECK(classify_dad(packet(ns_for(kRcoa), any, all_nodes), kRcoa).event == DadEvent::invalid);
    auto short_one = packet(na_for(kRcoa), peer, all_nodes);
    short_one.data.resize(10);
    CHECK(classify_dad(short_one, kRcoa).event == DadEvent::invalid);
  }
  SECTION("never crashes on any prefix of a valid message") {
    const auto full = packet(na_for(kRcoa), peer, all_nodes);
    for (std::size_t n = 0; n <= full.data.size(); ++n) {
      auto p = full;
      p.data.resize(n);
      const auto o = classify_dad(p, kRcoa);
      CHECK((n == full.data.size()) == (o.event == DadEvent::defended));
    }
  }
}

TEST_CASE("dad: the socket options are the ND ones", "[io][dad]") {
  const auto o = nd_dad_socket_options();
  CHECK(o.unicast_hops == 255);
  CHECK(o.multicast_hops == 255);
  CHECK_FALSE(o.multicast_loop);
  CHECK(o.accept_types == std::vector<std::uint8_t>{135, 136});
}
