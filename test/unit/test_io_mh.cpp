// lib/io's raw Mobility Header socket: the ancillary data builders and
// parsers (mh_cmsg.h) without sockets, make_received_mh_packet, and one
// loopback exchange through MhSocket when the process may open raw sockets.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <chrono>
#include <memory>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <system_error>
#include <variant>
#include <vector>

#include "hmip/io/mh_cmsg.h"
#include "hmip/io/mh_socket.h"
#include "private_netns.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/ext_headers.h"
#include "hmip/wire/mh.h"

using namespace hmip;
using namespace hmip::io;

namespace {

const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:1::10");
const Ip6Addr kMap = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::5");

// One control message of `level`/`type` with `data`, as the kernel lays it out.
wire::Bytes cmsg(int level, int type, wire::ByteSpan data) {
  wire::Bytes out(CMSG_SPACE(data.size()), 0);
  cmsghdr h{};
  h.cmsg_level = level;
  h.cmsg_type = type;
  h.cmsg_len = CMSG_LEN(data.size());
  std::memcpy(out.data(), &h, sizeof h);
  if (!data.empty()) std::memcpy(out.data() + CMSG_LEN(0), data.data(), data.size());
  return out;
}

wire::Bytes pktinfo(const Ip6Addr& a, unsigned ifindex) {
  in6_pktinfo pi{};
  std::memcpy(pi.ipi6_addr.s6_addr, a.b.data(), 16);
  pi.ipi6_ifindex = ifindex;
  wire::Bytes raw(sizeof pi);
  std::memcpy(raw.data(), &pi, sizeof pi);
  return cmsg(IPPROTO_IPV6, IPV6_PKTINFO, raw);
}

wire::Bytes hoplimit(int hl) {
  wire::Bytes raw(sizeof(int));
  std::memcpy(raw.data(), &hl, sizeof hl);
  return cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, raw);
}

wire::Bytes operator+(wire::Bytes a, const wire::Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A type 2 routing header as the kernel hands it up: Segments Left 0.
wire::Bytes processed_rh2(const Ip6Addr& coa) {
  wire::Bytes rh = wire::encode_rh2(wire::kIpProtoMh, coa);
  rh[3] = 0;
  return rh;
}

}  // namespace

TEST_CASE("mh cmsg: send control data round trips through the receive parser", "[io][mh]") {
  const wire::Bytes rh = wire::encode_rh2(wire::kIpProtoMh, kLcoa);
  MhSendCmsgs c;
  c.src = kMap;
  c.ifindex = 4;
  c.hop_limit = 64;
  c.ext_kind = MhExtHeader::rthdr;
  c.ext_header = rh;
  alignas(cmsghdr) std::array<std::uint8_t, 256> buf{};
  auto len = build_mh_send_cmsgs(buf, c);
  REQUIRE(len);
  CHECK(*len == mh_send_cmsg_space(c));
  CHECK(*len == CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(int)) + CMSG_SPACE(24));
  auto parsed = parse_mh_receive_cmsgs(wire::ByteSpan(buf.data(), *len));
  REQUIRE(parsed);
  CHECK(parsed->dst == kMap);
  CHECK(parsed->ifindex == 4);
  CHECK(parsed->hop_limit == 64);
  CHECK(parsed->dstopts.empty());
  REQUIRE(parsed->rthdrs.size() == 1);
  CHECK(parsed->rthdrs[0] == rh);

  SECTION("nothing asked, nothing built") {
    auto none = build_mh_send_cmsgs(buf, MhSendCmsgs{});
    REQUIRE(none);
    CHECK(*none == 0);
  }
  SECTION("a buffer too small is too_long with the space needed") {
    auto small = build_mh_send_cmsgs(std::span<std::uint8_t>(buf.data(), 40), c);
    REQUIRE_FALSE(small);
    CHECK(small.error().code == wire::Errc::too_long);
    CHECK(small.error().offset == mh_send_cmsg_space(c));
  }
  SECTION("hop limit and ifindex out of range") {
    c.hop_limit = 256;
    CHECK(build_mh_send_cmsgs(buf, c).error().code == wire::Errc::invalid_field);
    c.hop_limit = -1;
    c.ifindex = -3;
    CHECK(build_mh_send_cmsgs(buf, c).error().code == wire::Errc::invalid_field);
  }
}

TEST_CASE("mh cmsg: extension headers to send are checked as the kernel would", "[io][mh]") {
  const wire::Bytes hao = wire::encode_hao_dstopts(wire::kIpProtoMh, kRcoa);
  const wire::Bytes rh = wire::encode_rh2(wire::kIpProtoMh, kLcoa);
  CHECK(check_ext_header(MhExtHeader::dstopts, hao));
  CHECK(check_ext_header(MhExtHeader::rthdr, rh));

  CHECK(check_ext_header(MhExtHeader::dstopts, wire::ByteSpan(hao.data(), 7)).error().code == wire::Errc::truncated);
  CHECK(check_ext_header(MhExtHeader::dstopts, wire::ByteSpan(hao.data(), 16)).error().code == wire::Errc::truncated);
  wire::Bytes longer = hao;
  longer.resize(32, 0);
  const auto too_long = check_ext_header(MhExtHeader::dstopts, longer);
  CHECK(too_long.error().code == wire::Errc::bad_length);
  CHECK(too_long.error().offset == 1);
  wire::Bytes rh0 = rh;
  rh0[2] = 0;
  CHECK(check_ext_header(MhExtHeader::rthdr, rh0).error().code == wire::Errc::invalid_field);
  CHECK(check_ext_header(MhExtHeader::rthdr, rh0).error().offset == 2);
  wire::Bytes sl0 = rh;
  sl0[3] = 0;
  CHECK(check_ext_header(MhExtHeader::rthdr, sl0).error().offset == 3);

  // build_mh_send_cmsgs refuses them too, before writing anything.
  MhSendCmsgs c;
  c.ext_kind = MhExtHeader::rthdr;
  c.ext_header = rh0;
  alignas(cmsghdr) std::array<std::uint8_t, 128> buf{};
  CHECK_FALSE(build_mh_send_cmsgs(buf, c));
}

TEST_CASE("mh cmsg: malformed received control data gives errors", "[io][mh]") {
  const wire::Bytes good = pktinfo(kRcoa, 2) + hoplimit(255);
  REQUIRE(parse_mh_receive_cmsgs(good));
  CHECK(parse_mh_receive_cmsgs(wire::ByteSpan{})->dst == std::nullopt);

  SECTION("ends inside a cmsghdr") {
    auto r = parse_mh_receive_cmsgs(wire::ByteSpan(good.data(), 10));
    CHECK(r.error() == wire::Error{wire::Errc::truncated, 0, r.error().rule});
  }
  SECTION("cmsg_len past the end") {
    auto r = parse_mh_receive_cmsgs(wire::ByteSpan(good.data(), CMSG_LEN(0) + 4));
    CHECK(r.error().code == wire::Errc::truncated);
  }
  SECTION("cmsg_len shorter than a cmsghdr") {
    wire::Bytes b = good;
    cmsghdr h{};
    std::memcpy(&h, b.data(), sizeof h);
    h.cmsg_len = 3;
    std::memcpy(b.data(), &h, sizeof h);
    CHECK(parse_mh_receive_cmsgs(b).error().code == wire::Errc::bad_length);
  }
  SECTION("a level other than IPPROTO_IPV6") {
    const std::array<std::uint8_t, 8> ts{};
    const wire::Bytes b = good + cmsg(SOL_SOCKET, SO_TIMESTAMP, ts);
    auto r = parse_mh_receive_cmsgs(b);
    CHECK(r.error().code == wire::Errc::invalid_field);
    CHECK(r.error().offset == good.size());
  }
  SECTION("wrong sizes and duplicates") {
    const std::array<std::uint8_t, 3> three{};
    CHECK(parse_mh_receive_cmsgs(cmsg(IPPROTO_IPV6, IPV6_PKTINFO, three)).error().code == wire::Errc::bad_length);
    CHECK(parse_mh_receive_cmsgs(cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, three)).error().code == wire::Errc::bad_length);
    CHECK(parse_mh_receive_cmsgs(good + pktinfo(kMap, 1)).error().code == wire::Errc::invalid_field);
    CHECK(parse_mh_receive_cmsgs(hoplimit(7) + hoplimit(7)).error().code == wire::Errc::invalid_field);
    CHECK(parse_mh_receive_cmsgs(hoplimit(300)).error().code == wire::Errc::invalid_field);
    CHECK(parse_mh_receive_cmsgs(hoplimit(-2)).error().code == wire::Errc::invalid_field);
  }
  SECTION("an extension header whose Hdr Ext Len disagrees") {
    wire::Bytes hao = wire::encode_hao_dstopts(wire::kIpProtoMh, kLcoa);
    hao[1] = 5;
    CHECK(parse_mh_receive_cmsgs(cmsg(IPPROTO_IPV6, IPV6_DSTOPTS, hao)).error().code == wire::Errc::bad_length);
    const std::array<std::uint8_t, 1> one{};
    CHECK(parse_mh_receive_cmsgs(cmsg(IPPROTO_IPV6, IPV6_RTHDR, one)).error().code == wire::Errc::bad_length);
  }
  SECTION("another IPv6 control message is skipped") {
    const std::array<std::uint8_t, 4> tclass{};
    auto r = parse_mh_receive_cmsgs(cmsg(IPPROTO_IPV6, IPV6_TCLASS, tclass) + good);
    REQUIRE(r);
    CHECK(r->dst == kRcoa);
    CHECK(r->hop_limit == 255);
  }
  SECTION("the last message without its alignment padding") {
    const wire::Bytes hl = hoplimit(9);
    auto r = parse_mh_receive_cmsgs(wire::ByteSpan(hl.data(), CMSG_LEN(sizeof(int))));
    REQUIRE(r);
    CHECK(r->hop_limit == 9);
  }
}

TEST_CASE("mh cmsg: every prefix and every single-octet change of a buffer parses or fails cleanly", "[io][mh]") {
  const wire::Bytes hao = wire::encode_hao_dstopts(wire::kIpProtoMh, kLcoa);
  const wire::Bytes full = pktinfo(kRcoa, 2) + hoplimit(64) + cmsg(IPPROTO_IPV6, IPV6_DSTOPTS, hao) +
                           cmsg(IPPROTO_IPV6, IPV6_RTHDR, processed_rh2(kLcoa));
  std::size_t ok = 0;
  for (std::size_t n = 0; n <= full.size(); ++n) {
    auto r = make_received_mh_packet(kMap, wire::ByteSpan(full.data(), n), wire::Bytes{});
    if (r) ++ok;
  }
  CHECK(ok >= 1);  // at least the whole buffer
  CHECK(make_received_mh_packet(kMap, full, wire::Bytes{}));
  std::size_t failed = 0;
  for (std::size_t i = 0; i < full.size(); ++i) {
    for (int v : {0x00, 0x01, 0x7f, 0xff}) {
      wire::Bytes b = full;
      b[i] = static_cast<std::uint8_t>(v);
      if (!make_received_mh_packet(kMap, b, wire::Bytes{})) ++failed;
    }
  }
  CHECK(failed > 0);
}

TEST_CASE("mh packet: HAO and RH2 from the control data, as the kernel hands them up", "[io][mh]") {
  const wire::Bytes mh{59, 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  SECTION("a BU at the MAP: source RCoA, HAO carries the LCoA") {
    const wire::Bytes control = pktinfo(kMap, 3) + hoplimit(64) +
                                cmsg(IPPROTO_IPV6, IPV6_DSTOPTS, wire::encode_hao_dstopts(wire::kIpProtoMh, kLcoa));
    auto p = make_received_mh_packet(kRcoa, control, mh);
    REQUIRE(p);
    CHECK(p->src == kRcoa);
    CHECK(p->dst == kMap);
    CHECK(p->ifindex == 3);
    CHECK(p->hop_limit == 64);
    CHECK(p->hao == kLcoa);
    CHECK_FALSE(p->rh2);
    CHECK(p->bytes == mh);
  }
  SECTION("a BA at the MN: destination RCoA, RH2 (Segments Left 0) carries the LCoA") {
    const wire::Bytes control = pktinfo(kRcoa, 5) + cmsg(IPPROTO_IPV6, IPV6_RTHDR, processed_rh2(kLcoa));
    auto p = make_received_mh_packet(kMap, control, mh);
    REQUIRE(p);
    CHECK(p->dst == kRcoa);
    CHECK(p->rh2 == kLcoa);
    CHECK_FALSE(p->hao);
    CHECK(p->hop_limit == -1);
  }
  SECTION("an unprocessed RH2 (Segments Left 1) is an error") {
    const wire::Bytes control =
        pktinfo(kRcoa, 5) + cmsg(IPPROTO_IPV6, IPV6_RTHDR, wire::encode_rh2(wire::kIpProtoMh, kLcoa));
    CHECK(make_received_mh_packet(kMap, control, mh).error().code == wire::Errc::invalid_field);
  }
  SECTION("two routing headers, two HAOs, no PKTINFO") {
    const wire::Bytes rh = cmsg(IPPROTO_IPV6, IPV6_RTHDR, processed_rh2(kLcoa));
    CHECK_FALSE(make_received_mh_packet(kMap, pktinfo(kRcoa, 1) + rh + rh, mh));
    const wire::Bytes d = cmsg(IPPROTO_IPV6, IPV6_DSTOPTS, wire::encode_hao_dstopts(wire::kIpProtoMh, kLcoa));
    CHECK(make_received_mh_packet(kMap, pktinfo(kRcoa, 1) + d + d, mh).error().code == wire::Errc::invalid_field);
    CHECK(make_received_mh_packet(kMap, hoplimit(1), mh).error().code == wire::Errc::invalid_field);
  }
}

// Needs CAP_NET_RAW; without it the test says so and checks nothing else.
TEST_CASE("mh socket: loopback exchange with a user-built Destination Options header", "[io][mh][raw]") {
  const test::PrivateNetns ns;  // other tests' MH on loopback would be counted too
  if (!ns.ok()) {
    WARN("no private network namespace here (" << ns.error() << "): loopback exchange not run");
    return;
  }
  boost::asio::io_context io;
  std::unique_ptr<MhSocket> rx;
  try {
    rx = std::make_unique<MhSocket>(io, MhSocketOptions{});
  } catch (const std::system_error& e) {
    WARN("no raw MH socket here (" << e.what() << "): loopback exchange not run");
    return;
  }
  const Ip6Addr lo = Ip6Addr::must("::1");
  std::vector<ReceivedMhPacket> got;
  rx->start_receive([&](const ReceivedMhPacket& p) { got.push_back(p); }, {});

  wire::BindingRefreshRequest brr;
  auto mh = wire::encode_mh(wire::MhMessage{brr}, nullptr);
  REQUIRE(mh);
  // A Destination Options header with only padding: no HAO, so nothing for
  // a kernel without MIPv6 to refuse; the checksum is computed by
  // send_with_header over (::1, ::1).
  const wire::Bytes pad_only{wire::kIpProtoMh, 0, 1, 4, 0, 0, 0, 0};
  for (int i = 0; i < 3; ++i)
    REQUIRE_FALSE(rx->send_with_header(*mh, lo, lo, MhExtHeader::dstopts, pad_only, 1));
  CHECK(rx->send_with_header(*mh, lo, lo, MhExtHeader::rthdr, pad_only, 1) ==
        std::make_error_code(std::errc::invalid_argument));

  // One readiness event drains everything queued.
  for (int spins = 0; spins < 200 && got.size() < 3; ++spins) io.run_one_for(std::chrono::milliseconds(10));
  REQUIRE(got.size() == 3);
  for (const auto& p : got) {
    CHECK(p.src == lo);
    CHECK(p.dst == lo);
    CHECK(p.ifindex == 1);
    CHECK(p.hop_limit == 64);
    CHECK_FALSE(p.hao);
    CHECK_FALSE(p.rh2);
    const wire::PseudoHeader ph{lo, lo};
    auto m = wire::decode_mh(p.bytes, &ph);
    REQUIRE(m);
    CHECK(std::holds_alternative<wire::BindingRefreshRequest>(*m));
  }
  CHECK(rx->counters().received == 3);
  CHECK(rx->counters().sent == 3);
  CHECK(rx->counters().send_errors == 1);
  CHECK(rx->counters().bad_cmsg == 0);
  rx->close();
  CHECK(rx->send(*mh, lo, lo) == std::make_error_code(std::errc::bad_file_descriptor));
}
