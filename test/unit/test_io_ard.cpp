// ard's I/O glue without sockets: RFC 4861 §6.1 validation of received
// RS/RA (hmip/io/nd_receive.h), links as the core sees them and the control
// socket's JSON views of the core (hmip/io/ard_view.h).
#include <catch2/catch.hpp>

#include "hmip/ar/access_router.h"
#include "hmip/io/ard_view.h"
#include "hmip/io/nd_receive.h"
#include "hmip/wire/nd.h"

using namespace hmip;
using namespace hmip::io;

namespace {

const Ip6Addr kRouterLl = Ip6Addr::must("fe80::1");
const Ip6Addr kHostLl = Ip6Addr::must("fe80::2");
const Ip6Addr kAllRouters = Ip6Addr::must("ff02::2");
const Ip6Addr kAllNodes = Ip6Addr::must("ff02::1");

Icmpv6Packet packet(const wire::IcmpMessage& m, const Ip6Addr& src, const Ip6Addr& dst) {
  const wire::PseudoHeader ph{src, dst};
  auto bytes = wire::encode_icmpv6(m, &ph);
  REQUIRE(bytes);
  Icmpv6Packet p;
  p.data = *bytes;
  p.src = src;
  p.dst = dst;
  p.ifindex = 3;
  p.hop_limit = 255;
  return p;
}

wire::RouterSolicitation rs_with_slla() {
  wire::RouterSolicitation rs;
  rs.options.emplace_back(wire::SourceLlaOption{{0x02, 0, 0, 0, 0, 1}});
  return rs;
}

const NdInvalid& invalid(const NdReceived& r) {
  REQUIRE(std::holds_alternative<NdInvalid>(r));
  return std::get<NdInvalid>(r);
}

}  // namespace

TEST_CASE("nd receive: valid RS and RA pass with their addresses", "[io]") {
  auto r = classify_nd(packet(rs_with_slla(), kHostLl, kAllRouters));
  REQUIRE(std::holds_alternative<RsReceived>(r));
  CHECK(std::get<RsReceived>(r).ifindex == 3);
  CHECK(std::get<RsReceived>(r).src == kHostLl);
  CHECK(std::get<RsReceived>(r).rs == rs_with_slla());

  wire::RouterAdvertisement ra;
  ra.router_lifetime = 1800;
  ra.options.emplace_back(wire::MapOption{1, 10, false, 0, 3600, Ip6Addr::must("2001:db8::1")});
  r = classify_nd(packet(ra, kRouterLl, kAllNodes));
  REQUIRE(std::holds_alternative<RaReceived>(r));
  CHECK(std::get<RaReceived>(r).ra == ra);

  // RS from :: without options is fine (RFC 4861 §6.1.1 forbids only the SLLA).
  r = classify_nd(packet(wire::RouterSolicitation{}, Ip6Addr{}, kAllRouters));
  CHECK(std::holds_alternative<RsReceived>(r));
}

TEST_CASE("nd receive: RFC 4861 §6.1 failures are invalid with their reason", "[io]") {
  auto p = packet(rs_with_slla(), kHostLl, kAllRouters);
  p.hop_limit = 64;
  CHECK(invalid(classify_nd(p)).reason == ar::InvalidReason::hop_limit);
  CHECK(invalid(classify_nd(p)).detail == "RS from fe80::2 on ifindex 3: hop limit 64, not 255");
  p.hop_limit = -1;
  CHECK(invalid(classify_nd(p)).reason == ar::InvalidReason::hop_limit);

  p = packet(wire::RouterAdvertisement{}, Ip6Addr::must("2001:db8::9"), kAllNodes);
  CHECK(invalid(classify_nd(p)).reason == ar::InvalidReason::ra_source_not_link_local);

  p = packet(rs_with_slla(), Ip6Addr{}, kAllRouters);
  CHECK(invalid(classify_nd(p)).reason == ar::InvalidReason::rs_unspecified_with_slla);

  p = packet(rs_with_slla(), kHostLl, kAllRouters);
  p.data[2] ^= 0xff;  // checksum
  CHECK(invalid(classify_nd(p)).reason == ar::InvalidReason::bad_checksum);

  // Code 1, checksum recomputed so only the code is wrong.
  p = packet(rs_with_slla(), kHostLl, kAllRouters);
  p.data[1] = 1;
  p.data[2] = p.data[3] = 0;
  const auto sum = wire::upper_layer_checksum({kHostLl, kAllRouters}, wire::kIpProtoIcmpv6, p.data);
  p.data[2] = static_cast<std::uint8_t>(sum >> 8);
  p.data[3] = static_cast<std::uint8_t>(sum);
  CHECK(invalid(classify_nd(p)).reason == ar::InvalidReason::bad_code);

  // Without a known destination the checksum cannot be checked; an RA
  // shorter than 16 octets is still truncated.
  p = packet(wire::RouterAdvertisement{}, kRouterLl, kAllNodes);
  p.data.resize(12);
  p.dst = Ip6Addr{};
  CHECK(invalid(classify_nd(p)).reason == ar::InvalidReason::truncated);

  p = packet(rs_with_slla(), kHostLl, kAllRouters);
  p.truncated = true;
  CHECK(invalid(classify_nd(p)).reason == ar::InvalidReason::truncated);

  // An option with Length 0.
  p = packet(wire::RouterSolicitation{}, kHostLl, kAllRouters);
  p.data.insert(p.data.end(), {1, 0, 0, 0, 0, 0, 0, 0});
  p.dst = Ip6Addr{};
  CHECK(invalid(classify_nd(p)).reason == ar::InvalidReason::bad_length);
}

TEST_CASE("nd receive: other types and unknown interfaces are ignored", "[io]") {
  wire::NeighborSolicitation ns;
  ns.target = kRouterLl;
  CHECK(std::holds_alternative<NdIgnored>(classify_nd(packet(ns, kHostLl, kRouterLl))));
  auto p = packet(rs_with_slla(), kHostLl, kAllRouters);
  p.ifindex = 0;
  CHECK(std::holds_alternative<NdIgnored>(classify_nd(p)));
  CHECK(std::holds_alternative<NdIgnored>(classify_nd(Icmpv6Packet{})));
}

TEST_CASE("ard view: links as the core sees them", "[io]") {
  LinkInfo l{4, "eth1", true, false, true, false, 1500, {0x02, 0, 0, 0, 0, 9}, {}};
  l.addresses = {
      {Ip6Addr::must("2001:db8::1"), 64, false, false, false, false},
      {Ip6Addr::must("2001:db8::2"), 64, true, false, false, false},  // tentative
      {Ip6Addr::must("2001:db8::3"), 64, false, false, true, false},  // deprecated
      {Ip6Addr::must("fe80::9"), 64, true, false, false, false},      // tentative link-local
  };
  auto s = to_link_state(l);
  CHECK(s.ifindex == 4);
  CHECK(s.name == "eth1");
  CHECK_FALSE(s.up);  // no carrier
  CHECK_FALSE(s.link_local);
  CHECK(s.globals == std::vector<Ip6Addr>{Ip6Addr::must("2001:db8::1")});
  CHECK(s.lladdr == l.mac);
  CHECK(s.mtu == 1500);

  l.running = true;
  l.addresses.back().tentative = false;
  s = to_link_state(l);
  CHECK(s.up);
  CHECK(s.link_local == Ip6Addr::must("fe80::9"));

  for (auto lvl : {LogLevel::error, LogLevel::warning, LogLevel::notice, LogLevel::info, LogLevel::debug})
    CHECK(to_io_level(to_ar_level(lvl)) == lvl);
}

TEST_CASE("ard view: the control socket's JSON of a running core", "[io]") {
  ar::ArdConfig cfg;
  ar::InterfaceConfig ic;
  ic.name = "eth1";
  ar::PrefixConfig pc;
  pc.prefix = *Ip6Prefix::parse("2001:db8:1::/64");
  pc.router_address = true;
  ic.prefixes.push_back(pc);
  ar::MapConfig mc;
  mc.address = Ip6Addr::must("2001:db8:100::1");
  mc.pref = 12;
  ic.maps.push_back(mc);
  cfg.interfaces.push_back(ic);

  ar::AccessRouter core(cfg, 1);
  const auto t0 = core::TimePoint{} + core::seconds(100);
  LinkInfo l{4, "eth1", true, true, true, false, 1500, {0x02, 0, 0, 0, 0, 9}, {}};
  l.addresses = {{Ip6Addr::must("fe80::9"), 64, false, false, false, false}};
  core.handle_link(to_link_state(l), t0);
  core.handle_start(t0);
  core.handle_invalid(4, ar::InvalidReason::hop_limit);
  while (core.poll_action()) {
  }
  const auto st = core.state(t0);
  const LinkTable links{{4, l}};

  const Json ifs = show_json("interfaces", st, cfg, links, Json::object());
  REQUIRE(ifs.size() == 1);
  CHECK(ifs[0]["name"] == "eth1");
  CHECK(ifs[0]["ifindex"] == 4);
  CHECK(ifs[0]["link_local"] == "fe80::9");
  CHECK(ifs[0]["mac"] == "02:00:00:00:00:09");
  CHECK(ifs[0]["advertising"] == true);
  CHECK(ifs[0].begin().key() == "name");

  const Json prefixes = show_json("prefixes", st, cfg, links, Json::object());
  REQUIRE(prefixes.size() == 1);
  CHECK(prefixes[0]["prefix"] == "2001:db8:1::/64");
  CHECK(prefixes[0]["flags"] == "LAR");
  CHECK(prefixes[0]["advertised"] == true);

  const Json maps = show_json("maps", st, cfg, links, Json::object());
  REQUIRE(maps.size() == 1);
  CHECK(maps[0]["address"] == "2001:db8:100::1");
  CHECK(maps[0]["origin"] == "configured");
  CHECK(maps[0]["state"] == "up");
  CHECK(maps[0]["admin"] == false);
  CHECK(maps[0]["pref"] == 12);
  CHECK(maps[0]["advertised_on"] == Json::array({"eth1"}));

  const Json counters = show_json("counters", st, cfg, links, Json{{"ra_sent", 7}});
  CHECK(counters["ra_sent"] == 7);
  CHECK(counters["interfaces"]["eth1"]["invalid_hop_limit"] == 1);
  CHECK(counters["interfaces"]["eth1"]["invalid_total"] == 1);
  CHECK(counters["interfaces"]["eth1"]["ra_unsolicited"] == 1);

  CHECK_THROWS_AS(show_json("cats", st, cfg, links, Json::object()), ControlError);
}
