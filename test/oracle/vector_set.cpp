// The oracle vectors: every message and option family, with many distinct,
// non-default field values so that a swapped, shifted or dropped field shows.
//
// Addresses (RFC 3849 documentation prefix): the MN's LCoA 2001:db8:1::10,
// the MAP 2001:db8:1::1 (global address 2001:db8:aa::1), the RCoA
// 2001:db8:99::5. A BU to the MAP carries the RCoA in a Home Address option
// (RFC 5380 §6.1); the MAP's BA carries it in a type 2 routing header.

#include "vectors.h"

namespace hmip::oracle {

using namespace hmip::wire;

namespace {

const Ip6Addr kLcoa = Ip6Addr::must("2001:db8:1::10");
const Ip6Addr kMap = Ip6Addr::must("2001:db8:1::1");
const Ip6Addr kRcoa = Ip6Addr::must("2001:db8:99::5");
const Ip6Addr kRouterLl = Ip6Addr::must("fe80::1:2ff:fe03:405");
const Ip6Addr kHostLl = Ip6Addr::must("fe80::a8bb:ccff:fedd:eeff");

Ipv6Header ip(const Ip6Addr& src, const Ip6Addr& dst, std::uint8_t tc, std::uint32_t fl, std::uint8_t hlim) {
  Ipv6Header h;
  h.src = src;
  h.dst = dst;
  h.traffic_class = tc;
  h.flow_label = fl;
  h.hop_limit = hlim;
  return h;
}

Vec bu_vec(std::string name, BindingUpdate bu, std::uint8_t tc, std::uint32_t fl) {
  return Vec{std::move(name), ip(kLcoa, kMap, tc, fl, 64), kRcoa, std::nullopt, MhMessage{std::move(bu)}};
}

Vec ba_vec(std::string name, BindingAck ba, std::uint8_t tc, std::uint32_t fl) {
  return Vec{std::move(name), ip(kMap, kLcoa, tc, fl, 63), std::nullopt, kRcoa, MhMessage{std::move(ba)}};
}

Vec nd_vec(std::string name, const Ip6Addr& src, const Ip6Addr& dst, IcmpMessage m, std::uint32_t fl = 0) {
  return Vec{std::move(name), ip(src, dst, 0xe0, fl, 255), std::nullopt, std::nullopt, std::move(m)};
}

BindingUpdate bu(std::uint16_t seq, std::uint16_t lifetime) {
  BindingUpdate m;
  m.sequence = seq;
  m.lifetime = lifetime;
  return m;
}

BindingAck ba(std::uint8_t status, std::uint16_t seq, std::uint16_t lifetime) {
  BindingAck m;
  m.status = status;
  m.sequence = seq;
  m.lifetime = lifetime;
  return m;
}

Bytes str_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

MapOption map_opt(std::uint8_t dist, std::uint8_t pref, bool r, std::uint32_t valid, const char* addr,
                  std::uint8_t reserved = 0) {
  return MapOption{dist, pref, r, reserved, valid, Ip6Addr::must(addr)};
}

std::vector<Vec> mh_vectors() {
  std::vector<Vec> out;

  // --- Binding Update to the MAP (HAO = RCoA), flag permutations.
  {
    auto m = bu(0xbeef, 0x0a0b);
    m.ack = m.map_registration = true;
    out.push_back(bu_vec("bu.a_m", m, 0x2e, 0x54321));
  }
  {
    auto m = bu(0x8001, 0xfffe);
    m.ack = m.home_registration = m.link_local_compat = m.key_mgmt_compat = true;
    m.map_registration = m.mobile_router = m.proxy_registration = true;
    out.push_back(bu_vec("bu.all_flags", m, 0, 0));
  }
  {
    auto m = bu(0x0102, 0x0304);
    m.home_registration = m.key_mgmt_compat = true;
    m.other_flags = 0x0140;  // F (RFC 5555) and B (RFC 6058) in the low 9 bits, T clear
    out.push_back(bu_vec("bu.h_k_low_flags", m, 0x01, 1));
  }
  {
    auto m = bu(7, 0);  // a deregistration (lifetime 0) with L, R, P and the T bit
    m.link_local_compat = m.mobile_router = m.proxy_registration = true;
    m.other_flags = 0x0083;
    out.push_back(bu_vec("bu.l_r_p_dereg", m, 0xfc, 0xfffff));
  }
  // --- Binding Update options.
  {
    auto m = bu(0x4242, 0x0120);
    m.ack = m.map_registration = true;
    m.options = {AlternateCareOfAddressOption{Ip6Addr::must("2001:db8:1::11")},
                 NonceIndicesOption{0x1357, 0x2468},
                 BindingAuthorizationDataOption{{0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b,
                                                 0x5c}}};
    out.push_back(bu_vec("bu.acoa_ni_bad", m, 0x10, 0x10000));
  }
  {
    // What mnd sends a MAP in secure mode (issue 13 item 8): A, M and the
    // LCoA in an Alternate Care-of Address option, nothing else.
    auto m = bu(0x1234, 150);
    m.ack = m.map_registration = true;
    m.options = {AlternateCareOfAddressOption{Ip6Addr::must("2001:db8:1:12::f0")}};
    out.push_back(bu_vec("bu.mn_secure_acoa", m, 0, 0));
  }
  {
    auto m = bu(0x0bad, 0x0200);
    m.ack = m.map_registration = true;
    m.options = {MobileNodeIdentifierOption{kMnIdSubtypeNai, str_bytes("mn-17@hmip.example")}};
    out.push_back(bu_vec("bu.mnid", m, 0x08, 0xabcde));
  }
  {
    auto m = bu(0x1001, 0x0033);
    m.ack = m.home_registration = true;
    m.options = {BindingIdentifierOption{0x0007, 0, false, 0, {}}};
    out.push_back(bu_vec("bu.bid_no_coa", m, 0x28, 0x0f0f0));
  }
  {
    auto m = bu(0x1002, 0x0044);
    m.ack = m.home_registration = true;
    m.options = {BindingIdentifierOption{0x0102, 0, true, 0, Ip4Addr{{192, 0, 2, 33}}}};
    out.push_back(bu_vec("bu.bid_ipv4_coa_h", m, 0x30, 0x00ff0));
  }
  {
    auto m = bu(0x1003, 0x0055);
    m.ack = m.home_registration = true;
    m.options = {BindingIdentifierOption{0xfedc, 0, true, 0x55, Ip6Addr::must("2001:db8:2::22")}};
    out.push_back(bu_vec("bu.bid_ipv6_coa_h_pri", m, 0x38, 0x12345));
  }
  {
    // Bulk registration (RFC 5648 §5.3): several BIDs, then an MNID.
    auto m = bu(0x1004, 0x0066);
    m.ack = m.home_registration = m.key_mgmt_compat = true;
    m.options = {BindingIdentifierOption{1, 0, false, 0, Ip6Addr::must("2001:db8:3::33")},
                 BindingIdentifierOption{2, 0, true, 0x7f, Ip4Addr{{198, 51, 100, 7}}},
                 BindingIdentifierOption{3, 0, false, 1, {}},
                 MobileNodeIdentifierOption{kMnIdSubtypeNai, str_bytes("bulk@hmip.example")}};
    out.push_back(bu_vec("bu.bid_bulk_mnid", m, 0x48, 0x77777));
  }

  {
    // RFC 5648: a BU whose Binding Identifier is malformed (Option Length 6)
    // still decodes, sequence number included, so that the MAP can answer
    // with BA status 164 (MCOA MALFORMED); the well-formed BID after it is
    // kept too. The malformed option sits unpadded at 12, where it was.
    auto m = bu(0x1005, 0x0077);
    m.ack = m.home_registration = true;
    // The error is exactly what decode_mh reports (check_decodes compares).
    const Error bad_length{Errc::bad_length, 13, "Binding Identifier has Option Length 4, 8 or 20"};
    m.options = {MalformedMobilityOption{mh_opt::kBindingIdentifier, {0x00, 0x09, 0x00, 0x00, 0xaa, 0xbb}, bad_length},
                 BindingIdentifierOption{0x000a, 0, false, 0, {}}};
    out.push_back(bu_vec("bu.malformed_bid", m, 0x50, 0x0b1d0));
  }

  // --- Binding Acknowledgements from the MAP (RH2 = RCoA).
  {
    auto m = ba(ba_status::kAccepted, 0xbeef, 0x0a0a);
    m.key_mgmt_compat = true;
    m.options = {BindingRefreshAdviceOption{0x01e0}};
    out.push_back(ba_vec("ba.0_k_bra", m, 0x2e, 0x54321));
  }
  {
    auto m = ba(ba_status::kAdministrativelyProhibited, 0x1234, 0);
    m.mobile_router = true;
    out.push_back(ba_vec("ba.129_r", m, 0x04, 0x00001));
  }
  {
    auto m = ba(ba_status::kNotHomeSubnet, 0x5678, 0x0001);
    m.proxy_registration = true;
    m.other_flags = 0x10;  // T (RFC 5845)
    out.push_back(ba_vec("ba.132_p_t", m, 0x05, 0x00002));
  }
  {
    auto m = ba(ba_status::kDuplicateAddressDetectionFailed, 0x9abc, 0x0002);
    m.key_mgmt_compat = m.mobile_router = m.proxy_registration = true;
    m.other_flags = 0x0b;  // B (RFC 6058) and two unnamed bits
    out.push_back(ba_vec("ba.134_krp", m, 0x06, 0x00003));
  }
  {
    auto m = ba(ba_status::kSequenceNumberOutOfWindow, 0xffff, 0xffff);
    out.push_back(ba_vec("ba.135", m, 0x07, 0x00004));
  }
  {
    // Bulk reply: BA status 4 (MCoA not complete), per-BID statuses.
    auto m = ba(ba_status::kMcoaNotComplete, 0x1004, 0x0066);
    m.key_mgmt_compat = true;
    m.options = {BindingIdentifierOption{1, 0, false, 0, {}},
                 BindingIdentifierOption{2, ba_status::kMcoaMalformed, true, 0, {}},
                 BindingRefreshAdviceOption{0x0020}};
    out.push_back(ba_vec("ba.4_bid_status", m, 0x48, 0x77777));
  }

  // --- Binding Refresh Request and Binding Error (MAP -> MN, no RH2).
  {
    Vec v{"brr.plain", ip(kMap, kRcoa, 0x0c, 0x0beef, 62), std::nullopt, std::nullopt,
          MhMessage{BindingRefreshRequest{}}};
    out.push_back(v);
    v.name = "brr.bid";
    v.msg = MhMessage{BindingRefreshRequest{{BindingIdentifierOption{0x0909, 0, false, 0, {}}}}};
    out.push_back(v);
  }
  {
    Vec v{"be.1_home", ip(kMap, kLcoa, 0x0d, 0x0cafe, 61), std::nullopt, std::nullopt,
          MhMessage{BindingError{be_status::kUnknownBindingForHomeAddressDestOption, kRcoa, {}}}};
    out.push_back(v);
    v.name = "be.2_unspecified";
    v.msg = MhMessage{BindingError{be_status::kUnrecognizedMhType, Ip6Addr::must("2001:db8:99::77"), {}}};
    out.push_back(v);
  }
  return out;
}

std::vector<Vec> nd_vectors() {
  std::vector<Vec> out;
  const Bytes router_mac{0x02, 0x02, 0x03, 0x04, 0x05, 0x06};
  const Bytes host_mac{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

  out.push_back(nd_vec("rs.slla", kHostLl, Ip6Addr::must("ff02::2"),
                       RouterSolicitation{0, {SourceLlaOption{host_mac}}}));
  out.push_back(nd_vec("rs.reserved", kHostLl, Ip6Addr::must("ff02::2"), RouterSolicitation{0x01020304, {}}, 0x11));

  {
    // A MAP-domain access router (RFC 5380 §5): M/O/H, high preference, the
    // MAP option, Prefix Information with L/A/R, MTU, Advertisement Interval
    // and Home Agent Information (RFC 6275 §7), SLLA.
    RouterAdvertisement ra;
    ra.cur_hop_limit = 64;
    ra.m_flag = ra.o_flag = ra.h_flag = true;
    ra.prf = RouterPreference::high;
    ra.router_lifetime = 1800;
    ra.reachable_time = 30000;
    ra.retrans_timer = 1000;
    ra.options = {SourceLlaOption{router_mac},
                  MtuOption{0, 1480},
                  PrefixInfoOption{64, true, true, true, 0, 2592000, 604800, 0,
                                   Ip6Addr::must("2001:db8:1::1")},
                  AdvIntervalOption{0, 1500},
                  HomeAgentInfoOption{0, -3, 1700},
                  map_opt(1, 15, true, 0x00ffff00, "2001:db8:aa::1")};
    out.push_back(nd_vec("ra.map_pi_mtu_adv_hai", kRouterLl, Ip6Addr::must("ff02::1"), ra));
  }
  {
    // Several MAPs (RFC 5380 §5: one option per MAP), various Dist/Pref/R/lifetime.
    RouterAdvertisement ra;
    ra.cur_hop_limit = 255;
    ra.o_flag = true;
    ra.prf = RouterPreference::low;
    ra.router_lifetime = 9000;
    ra.reachable_time = 0x7fffffff;
    ra.retrans_timer = 0xfffffffe;
    ra.options = {map_opt(2, 9, false, 3600, "2001:db8:bb::2"),
                  map_opt(15, 0, true, 0xffffffff, "2001:db8:cc::3"),
                  map_opt(7, 4, false, 1, "2001:db8:dd::4", 0x15),
                  PrefixInfoOption{48, false, true, false, 0x05, 86400, 0, 0x0badcafe,
                                   Ip6Addr::must("2001:db8:cc::")}};
    out.push_back(nd_vec("ra.three_maps", Ip6Addr::must("fe80::77"), Ip6Addr::must("ff02::1"), ra, 0x9));
  }
  {
    // RFC 4191 Route Information with each Length, RDNSS and DNSSL (RFC 8106),
    // reserved bits set where the encoder allows them.
    RouterAdvertisement ra;
    ra.cur_hop_limit = 1;
    ra.h_flag = true;
    ra.prf = RouterPreference::medium;
    ra.reserved = 0x05;  // P (RFC 4389) and one unnamed bit
    ra.router_lifetime = 0;
    ra.options = {RouteInfoOption{0, RouterPreference::high, 0, 600, Ip6Addr{}},
                  RouteInfoOption{48, RouterPreference::low, 0x01, 0x10000, Ip6Addr::must("2001:db8:7::")},
                  RouteInfoOption{96, RouterPreference::medium, 0x80, 0xffffffff,
                                  Ip6Addr::must("2001:db8:8:9:a:b::")},
                  RdnssOption{0x0001, 1200, {Ip6Addr::must("2001:db8::53"), Ip6Addr::must("2001:db8::5353")}},
                  DnsslOption{0x0002, 2400, {"corp.example", "hmip.example.org"}},
                  MtuOption{0x0102, 9000}};
    out.push_back(nd_vec("ra.rio_rdnss_dnssl", kRouterLl, kHostLl, ra, 0xfffff));
  }

  out.push_back(nd_vec("ns.slla", Ip6Addr::must("2001:db8:1::10"), Ip6Addr::must("ff02::1:ff00:1"),
                       NeighborSolicitation{0, Ip6Addr::must("2001:db8:1::1"), {SourceLlaOption{host_mac}}}));
  out.push_back(nd_vec("ns.reserved", kHostLl, kRouterLl,
                       NeighborSolicitation{0x00a0b0c0, Ip6Addr::must("fe80::1:2ff:fe03:405"), {}}));
  out.push_back(nd_vec("na.r_s_tlla", kRouterLl, kHostLl,
                       NeighborAdvertisement{true, true, false, 0, kRouterLl, {TargetLlaOption{router_mac}}}));
  out.push_back(nd_vec("na.o_reserved", Ip6Addr::must("2001:db8:99::5"), Ip6Addr::must("ff02::1"),
                       NeighborAdvertisement{false, false, true, 0x00123456, kRcoa, {TargetLlaOption{host_mac}}},
                       0x33));

  // netmip6 inter-AR messages (draft-chowdhury-netmip6-01 §4).
  const Ip6Addr tar = Ip6Addr::must("2001:db8:2::1");
  const Ip6Addr sar = Ip6Addr::must("2001:db8:3::1");
  out.push_back(nd_vec("ho.request_c_h", tar, sar,
                       HoRequest{0x5a5a, true, true, 0, {NaiOption{"mn-17@hmip.example"}}}));
  out.push_back(nd_vec("ho.request_h_slla", tar, sar,
                       HoRequest{0x0001, false, true, 0x0021, {SourceLlaOption{host_mac}, NaiOption{"x@y"}}}));
  out.push_back(nd_vec("ho.response_0", sar, tar, HoResponse{0x5a5a, HoStatus::success, 0, {}}));
  out.push_back(nd_vec("ho.response_3_nai", sar, tar,
                       HoResponse{0x0001, HoStatus::context_not_found, 0x7e, {NaiOption{"x@y"}}}));
  return out;
}

// Mobile IPv6 ICMPv6 messages (RFC 6275 §6.5-§6.8): the mobile node's
// care-of address asks its home prefix's Home-Agents anycast address (RFC
// 2526); the home agent answers from its own address. Hop limit 64: these
// are not ND messages.
std::vector<Vec> mip6_icmp_vectors() {
  const Ip6Addr coa = Ip6Addr::must("2001:db8:5::10");
  const Ip6Addr ha = Ip6Addr::must("2001:db8:200::1");
  const Ip6Addr anycast = Ip6Addr::must("2001:db8:200:0:fdff:ffff:ffff:fffe");
  auto vec = [](std::string name, const Ip6Addr& src, const Ip6Addr& dst, IcmpMessage m, std::uint8_t tc) {
    return Vec{std::move(name), ip(src, dst, tc, 0x2468a, 64), std::nullopt, std::nullopt, std::move(m)};
  };
  std::vector<Vec> out;
  out.push_back(vec("dhaad.request", coa, anycast, DhaadRequest{0xa55a, false, 0}, 0));
  out.push_back(vec("dhaad.request_r_res", coa, anycast, DhaadRequest{0x0102, true, 0x1234}, 0x28));
  out.push_back(vec("dhaad.reply_empty", ha, coa, DhaadReply{0xa55a, false, 0, {}}, 0));
  out.push_back(vec("dhaad.reply_three", ha, coa,
                    DhaadReply{0xfffe, true, 0x0101,
                               {ha, Ip6Addr::must("2001:db8:200::2"), Ip6Addr::must("2001:db8:200::abcd:3")}},
                    0x10));
  out.push_back(vec("mps", coa, ha, MobilePrefixSolicitation{0x7777, 0xbeef}, 0));
  PrefixInfoOption pio;
  pio.prefix_length = 64;
  pio.a_flag = true;
  pio.r_flag = true;
  pio.valid_lifetime = 86400;
  pio.preferred_lifetime = 14400;
  pio.prefix = ha;
  PrefixInfoOption pio2 = pio;
  pio2.prefix_length = 48;
  pio2.r_flag = false;
  pio2.l_flag = true;
  pio2.prefix = Ip6Addr::must("2001:db8:300::");
  out.push_back(vec("mpa.m_pio", ha, coa, MobilePrefixAdvertisement{0x7777, true, false, 0x0123, {pio}}, 0));
  out.push_back(vec("mpa.o_two_pio", ha, coa, MobilePrefixAdvertisement{0x0001, false, true, 0, {pio, pio2}}, 0));
  return out;
}

}  // namespace

std::vector<Vec> all_vectors() {
  std::vector<Vec> out = mh_vectors();
  for (auto& v : nd_vectors()) out.push_back(std::move(v));
  for (auto& v : mip6_icmp_vectors()) out.push_back(std::move(v));
  return out;
}

}  // namespace hmip::oracle
