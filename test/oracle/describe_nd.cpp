// describe() for ICMPv6 messages (RS, RA, NS, NA, netmip6 HO Request/
// Response) and ND options: the scapy spec and the tshark fields (names from
// `tshark -G fields`, Wireshark 4.0 epan/dissectors/packet-icmpv6.c), each
// with the mutation that changes it.

#include <stdexcept>
#include <variant>

#include "describe_util.h"

namespace hmip::oracle {

using namespace hmip::wire;

namespace {

template <class M>
M& icmp(Vec& v) {
  return std::get<M>(std::get<IcmpMessage>(v.msg));
}

NdOptions& nd_options(Vec& v) {
  return std::visit(
      [](auto& m) -> NdOptions& {
        if constexpr (requires { m.options; })
          return m.options;
        else
          throw std::logic_error("option mutation on a message without options");
      },
      std::get<IcmpMessage>(v.msg));
}

template <class O>
O& nd_opt(Vec& v, std::size_t i) {
  return std::get<O>(nd_options(v)[i]);
}

void bump_prf(RouterPreference& p) { p = static_cast<RouterPreference>(static_cast<std::uint8_t>(p) ^ 1); }

template <class T>
void describe_one(Fields& f, Json& s, const T& o, std::size_t i) {
  if constexpr (std::is_same_v<T, SourceLlaOption>) {
    s.set("opt", "slla").set("lladdr", hex(o.address));
    f.add("icmpv6.opt.src_linkaddr", colon_hex(o.address),
          [i](Vec& v) { nd_opt<SourceLlaOption>(v, i).address.back() ^= 1; });
  } else if constexpr (std::is_same_v<T, TargetLlaOption>) {
    s.set("opt", "tlla").set("lladdr", hex(o.address));
    f.add("icmpv6.opt.target_linkaddr", colon_hex(o.address),
          [i](Vec& v) { nd_opt<TargetLlaOption>(v, i).address.back() ^= 1; });
  } else if constexpr (std::is_same_v<T, PrefixInfoOption>) {
    s.set("opt", "pi").set("plen", o.prefix_length).set("L", o.l_flag).set("A", o.a_flag).set("R", o.r_flag)
        .set("res1", o.reserved1).set("valid", o.valid_lifetime).set("preferred", o.preferred_lifetime)
        .set("res2", o.reserved2).set("prefix", o.prefix.str());
    f.add("icmpv6.opt.prefix.length", u(o.prefix_length),
          [i](Vec& v) { nd_opt<PrefixInfoOption>(v, i).prefix_length ^= 1; });
    f.add("icmpv6.opt.prefix.flag.l", b(o.l_flag), [i](Vec& v) { flip(nd_opt<PrefixInfoOption>(v, i).l_flag); });
    f.add("icmpv6.opt.prefix.flag.a", b(o.a_flag), [i](Vec& v) { flip(nd_opt<PrefixInfoOption>(v, i).a_flag); });
    f.add("icmpv6.opt.prefix.flag.r", b(o.r_flag), [i](Vec& v) { flip(nd_opt<PrefixInfoOption>(v, i).r_flag); });
    f.add("icmpv6.opt.prefix.flag.reserved", u(o.reserved1),
          [i](Vec& v) { nd_opt<PrefixInfoOption>(v, i).reserved1 ^= 1; });
    f.add("icmpv6.opt.prefix.valid_lifetime", u(o.valid_lifetime),
          [i](Vec& v) { nd_opt<PrefixInfoOption>(v, i).valid_lifetime ^= 1; });
    f.add("icmpv6.opt.prefix.preferred_lifetime", u(o.preferred_lifetime),
          [i](Vec& v) { nd_opt<PrefixInfoOption>(v, i).preferred_lifetime ^= 1; });
    f.scapy_only("pi.reserved2", [i](Vec& v) { nd_opt<PrefixInfoOption>(v, i).reserved2 ^= 1; });
    f.add("icmpv6.opt.prefix", o.prefix.str(), [i](Vec& v) { nd_opt<PrefixInfoOption>(v, i).prefix.b[7] ^= 1; });
  } else if constexpr (std::is_same_v<T, MtuOption>) {
    s.set("opt", "mtu").set("res", o.reserved).set("mtu", o.mtu);
    f.scapy_only("mtu.reserved", [i](Vec& v) { nd_opt<MtuOption>(v, i).reserved ^= 1; });
    f.add("icmpv6.opt.mtu", u(o.mtu), [i](Vec& v) { nd_opt<MtuOption>(v, i).mtu ^= 1; });
  } else if constexpr (std::is_same_v<T, AdvIntervalOption>) {
    s.set("opt", "advint").set("res", o.reserved).set("ms", o.interval_ms);
    f.scapy_only("advint.reserved", [i](Vec& v) { nd_opt<AdvIntervalOption>(v, i).reserved ^= 1; });
    f.add("icmpv6.opt.advertisement_interval", u(o.interval_ms),
          [i](Vec& v) { nd_opt<AdvIntervalOption>(v, i).interval_ms ^= 1; });
  } else if constexpr (std::is_same_v<T, HomeAgentInfoOption>) {
    // RFC 6275 §7.4: the preference is signed; Wireshark declares the field
    // FT_UINT16 and prints the two's complement octets as unsigned.
    const auto pref = static_cast<std::uint16_t>(o.preference);
    s.set("opt", "hai").set("res", o.reserved).set("pref", pref).set("lifetime", o.lifetime);
    f.scapy_only("hai.reserved", [i](Vec& v) { nd_opt<HomeAgentInfoOption>(v, i).reserved ^= 1; });
    f.add("icmpv6.opt.home_agent_preference", u(pref), [i](Vec& v) {
      auto& p = nd_opt<HomeAgentInfoOption>(v, i).preference;
      p = static_cast<std::int16_t>(p ^ 1);
    });
    f.add("icmpv6.opt.home_agent_lifetime", u(o.lifetime),
          [i](Vec& v) { nd_opt<HomeAgentInfoOption>(v, i).lifetime ^= 1; });
  } else if constexpr (std::is_same_v<T, MapOption>) {
    s.set("opt", "map").set("dist", o.dist).set("pref", o.pref).set("R", o.r_flag).set("res", o.reserved)
        .set("valid", o.valid_lifetime).set("addr", o.address.str());
    f.add("icmpv6.opt.map.distance", u(o.dist), [i](Vec& v) {
      auto& d = nd_opt<MapOption>(v, i).dist;
      d = static_cast<std::uint8_t>(d % 15 + 1);  // stays in 1..15 (Dist 0 is invalid)
    });
    f.add("icmpv6.opt.map.preference", u(o.pref), [i](Vec& v) { nd_opt<MapOption>(v, i).pref ^= 1; });
    f.add("icmpv6.opt.map.flag.r", b(o.r_flag), [i](Vec& v) { flip(nd_opt<MapOption>(v, i).r_flag); });
    f.add("icmpv6.opt.map.flag.reserved", u(o.reserved), [i](Vec& v) { nd_opt<MapOption>(v, i).reserved ^= 1; });
    f.add("icmpv6.opt.map.valid_lifetime", u(o.valid_lifetime),
          [i](Vec& v) { nd_opt<MapOption>(v, i).valid_lifetime ^= 1; });
    f.add("icmpv6.opt.map.global_address", o.address.str(), [i](Vec& v) { flip(nd_opt<MapOption>(v, i).address); });
  } else if constexpr (std::is_same_v<T, RouteInfoOption>) {
    s.set("opt", "rio").set("plen", o.prefix_length).set("prf", static_cast<int>(o.prf)).set("res", o.reserved)
        .set("lifetime", o.route_lifetime).set("prefix", o.prefix.str());
    f.add("icmpv6.opt.prefix.length", u(o.prefix_length),
          [i](Vec& v) { nd_opt<RouteInfoOption>(v, i).prefix_length ^= 1; });
    f.add("icmpv6.opt.route_info.flag.route_preference", u(static_cast<std::uint8_t>(o.prf)),
          [i](Vec& v) { bump_prf(nd_opt<RouteInfoOption>(v, i).prf); });
    f.add("icmpv6.opt.route_info.flag.reserved", u(o.reserved),
          [i](Vec& v) { nd_opt<RouteInfoOption>(v, i).reserved ^= 1; });
    f.add("icmpv6.opt.route_lifetime", u(o.route_lifetime),
          [i](Vec& v) { nd_opt<RouteInfoOption>(v, i).route_lifetime ^= 1; });
    // Only the octets the Length carries are sent: flip a bit inside them
    // (a /0 prefix carries none, so its Prefix is checked by the length only).
    if (o.prefix_length > 0)
      f.add("icmpv6.opt.prefix", o.prefix.str(), [i](Vec& v) { nd_opt<RouteInfoOption>(v, i).prefix.b[0] ^= 0x40; });
  } else if constexpr (std::is_same_v<T, RdnssOption>) {
    Json servers = Json::array();
    for (const auto& a : o.servers) servers.push(a.str());
    s.set("opt", "rdnss").set("res", o.reserved).set("lifetime", o.lifetime).set("servers", servers);
    f.scapy_only("rdnss.reserved", [i](Vec& v) { nd_opt<RdnssOption>(v, i).reserved ^= 1; });
    f.add("icmpv6.opt.rdnss.lifetime", u(o.lifetime), [i](Vec& v) { nd_opt<RdnssOption>(v, i).lifetime ^= 1; });
    for (std::size_t k = 0; k < o.servers.size(); ++k)
      f.add("icmpv6.opt.rdnss", o.servers[k].str(), [i, k](Vec& v) { flip(nd_opt<RdnssOption>(v, i).servers[k]); });
  } else if constexpr (std::is_same_v<T, DnsslOption>) {
    Json domains = Json::array();
    for (const auto& d : o.domains) domains.push(d);
    s.set("opt", "dnssl").set("res", o.reserved).set("lifetime", o.lifetime).set("domains", domains);
    f.scapy_only("dnssl.reserved", [i](Vec& v) { nd_opt<DnsslOption>(v, i).reserved ^= 1; });
    f.add("icmpv6.opt.dnssl.lifetime", u(o.lifetime), [i](Vec& v) { nd_opt<DnsslOption>(v, i).lifetime ^= 1; });
    for (std::size_t k = 0; k < o.domains.size(); ++k)
      f.add("icmpv6.opt.dnssl", o.domains[k], [i, k](Vec& v) { nd_opt<DnsslOption>(v, i).domains[k][0] ^= 1; });
  } else if constexpr (std::is_same_v<T, NaiOption>) {
    s.set("opt", "nai").set("nai", o.nai);
    f.scapy_only("nai", [i](Vec& v) { nd_opt<NaiOption>(v, i).nai.back() ^= 1; });
  } else if constexpr (std::is_same_v<T, UnknownNdOption>) {
    s.set("opt", "unknown").set("type", o.type).set("data", hex(o.data));
    f.scapy_only("unknown.data", [i](Vec& v) { nd_opt<UnknownNdOption>(v, i).data.back() ^= 1; });
  } else {
    // Written back as received: scapy builds it as ICMPv6NDOptUnknown.
    static_assert(std::is_same_v<T, MalformedNdOption>);
    s.set("opt", "unknown").set("type", o.type).set("data", hex(o.data));
    f.scapy_only("malformed.data", [i](Vec& v) { nd_opt<MalformedNdOption>(v, i).data.back() ^= 1; });
  }
}

Json describe_option(Fields& f, const NdOption& opt, std::size_t i) {
  Json s = Json::object();
  std::visit([&](const auto& o) { describe_one(f, s, o, i); }, opt);
  return s;
}

Json describe_options(Fields& f, const NdOptions& opts) {
  Json a = Json::array();
  for (std::size_t i = 0; i < opts.size(); ++i) a.push(describe_option(f, opts[i], i));
  return a;
}

std::string reserved32(std::uint32_t r) {
  return colon_hex(wire::Bytes{static_cast<std::uint8_t>(r >> 24), static_cast<std::uint8_t>(r >> 16),
                               static_cast<std::uint8_t>(r >> 8), static_cast<std::uint8_t>(r)});
}

template <class T>
void describe_msg(Fields& f, Json& s, const T& m) {
  const HoConfig cfg;
  // tshark verifies every ICMPv6 checksum (1 = good, 0 = bad).
  f.add("icmpv6.checksum.status", "1", [](Vec& v) { v.wrong_pseudo_header = true; });
  if constexpr (std::is_same_v<T, RouterSolicitation>) {
    s.set("icmp", "rs").set("res", m.reserved);
    f.add("icmpv6.reserved", reserved32(m.reserved), [](Vec& v) { icmp<RouterSolicitation>(v).reserved ^= 1; });
  } else if constexpr (std::is_same_v<T, RouterAdvertisement>) {
    s.set("icmp", "ra").set("chlim", m.cur_hop_limit).set("M", m.m_flag).set("O", m.o_flag).set("H", m.h_flag)
        .set("prf", static_cast<int>(m.prf)).set("res", m.reserved).set("routerlifetime", m.router_lifetime)
        .set("reachable", m.reachable_time).set("retrans", m.retrans_timer);
    f.add("icmpv6.nd.ra.cur_hop_limit", u(m.cur_hop_limit),
          [](Vec& v) { icmp<RouterAdvertisement>(v).cur_hop_limit ^= 1; });
    f.add("icmpv6.nd.ra.flag.m", b(m.m_flag), [](Vec& v) { flip(icmp<RouterAdvertisement>(v).m_flag); });
    f.add("icmpv6.nd.ra.flag.o", b(m.o_flag), [](Vec& v) { flip(icmp<RouterAdvertisement>(v).o_flag); });
    f.add("icmpv6.nd.ra.flag.h", b(m.h_flag), [](Vec& v) { flip(icmp<RouterAdvertisement>(v).h_flag); });
    f.add("icmpv6.nd.ra.flag.prf", u(static_cast<std::uint8_t>(m.prf)),
          [](Vec& v) { bump_prf(icmp<RouterAdvertisement>(v).prf); });
    // The 3 bits after Prf: 0x04 is RFC 4389's Proxy (P) flag.
    f.add("icmpv6.nd.ra.flag.p", b(m.reserved & 0x04), [](Vec& v) { icmp<RouterAdvertisement>(v).reserved ^= 0x04; });
    f.add("icmpv6.nd.ra.flag.rsv", u(m.reserved & 0x03), [](Vec& v) { icmp<RouterAdvertisement>(v).reserved ^= 0x01; });
    f.add("icmpv6.nd.ra.router_lifetime", u(m.router_lifetime),
          [](Vec& v) { icmp<RouterAdvertisement>(v).router_lifetime ^= 1; });
    f.add("icmpv6.nd.ra.reachable_time", u(m.reachable_time),
          [](Vec& v) { icmp<RouterAdvertisement>(v).reachable_time ^= 1; });
    f.add("icmpv6.nd.ra.retrans_timer", u(m.retrans_timer),
          [](Vec& v) { icmp<RouterAdvertisement>(v).retrans_timer ^= 1; });
  } else if constexpr (std::is_same_v<T, NeighborSolicitation>) {
    s.set("icmp", "ns").set("res", m.reserved).set("tgt", m.target.str());
    f.add("icmpv6.reserved", reserved32(m.reserved), [](Vec& v) { icmp<NeighborSolicitation>(v).reserved ^= 1; });
    f.add("icmpv6.nd.ns.target_address", m.target.str(), [](Vec& v) { flip(icmp<NeighborSolicitation>(v).target); });
  } else if constexpr (std::is_same_v<T, NeighborAdvertisement>) {
    s.set("icmp", "na").set("R", m.r_flag).set("S", m.s_flag).set("O", m.o_flag).set("res", m.reserved)
        .set("tgt", m.target.str());
    f.add("icmpv6.nd.na.flag.r", b(m.r_flag), [](Vec& v) { flip(icmp<NeighborAdvertisement>(v).r_flag); });
    f.add("icmpv6.nd.na.flag.s", b(m.s_flag), [](Vec& v) { flip(icmp<NeighborAdvertisement>(v).s_flag); });
    f.add("icmpv6.nd.na.flag.o", b(m.o_flag), [](Vec& v) { flip(icmp<NeighborAdvertisement>(v).o_flag); });
    f.add("icmpv6.nd.na.flag.rsv", u(m.reserved), [](Vec& v) { icmp<NeighborAdvertisement>(v).reserved ^= 1; });
    f.add("icmpv6.nd.na.target_address", m.target.str(), [](Vec& v) { flip(icmp<NeighborAdvertisement>(v).target); });
  } else if constexpr (std::is_same_v<T, HoRequest>) {
    // No tshark dissector and no scapy class for draft-chowdhury-netmip6:
    // scapy checks these octets against test_scapy.py's encoding of the
    // draft's §4.1 figure (ICMPv6Unknown + ND options), tshark the framing
    // and the checksum.
    s.set("icmp", "ho_req").set("type", cfg.request_type).set("id", m.identifier).set("C", m.c_flag)
        .set("H", m.h_flag).set("res", m.reserved);
    f.add("icmpv6.type", u(cfg.request_type), [](Vec& v) {
      // The HO Response has the next type: swap the message kind.
      auto req = icmp<HoRequest>(v);
      v.msg = IcmpMessage{HoResponse{req.identifier, HoStatus::success, 0, req.options}};
    });
    f.scapy_only("ho.identifier", [](Vec& v) { icmp<HoRequest>(v).identifier ^= 1; });
    f.scapy_only("ho.c", [](Vec& v) { flip(icmp<HoRequest>(v).c_flag); });
    f.scapy_only("ho.h", [](Vec& v) { flip(icmp<HoRequest>(v).h_flag); });
    f.scapy_only("ho.reserved", [](Vec& v) { icmp<HoRequest>(v).reserved ^= 1; });
  } else if constexpr (std::is_same_v<T, HoResponse>) {
    s.set("icmp", "ho_resp").set("type", cfg.response_type).set("id", m.identifier)
        .set("status", static_cast<int>(m.status)).set("res", m.reserved);
    f.add("icmpv6.type", u(cfg.response_type), [](Vec& v) {
      auto resp = icmp<HoResponse>(v);
      NdOptions opts = resp.options;
      if (!find_nd_option<NaiOption>(opts)) opts.emplace_back(NaiOption{"swapped@mutant"});
      v.msg = IcmpMessage{HoRequest{resp.identifier, false, false, 0, opts}};
    });
    f.scapy_only("ho.identifier", [](Vec& v) { icmp<HoResponse>(v).identifier ^= 1; });
    f.scapy_only("ho.status", [](Vec& v) {
      auto& st = icmp<HoResponse>(v).status;
      st = static_cast<HoStatus>(static_cast<std::uint8_t>(st) ^ 1);
    });
    f.scapy_only("ho.reserved", [](Vec& v) { icmp<HoResponse>(v).reserved ^= 1; });
  } else if constexpr (std::is_same_v<T, DhaadRequest> || std::is_same_v<T, DhaadReply>) {
    // RFC 6275 §6.5/§6.6 with RFC 3963's R bit; Wireshark 4.0 shows the
    // R bit and the 15 reserved bits as one 2-octet icmpv6.reserved.
    constexpr bool req = std::is_same_v<T, DhaadRequest>;
    s.set("icmp", req ? "haad_req" : "haad_rep").set("id", m.identifier).set("R", m.mobile_router)
        .set("res", m.reserved);
    f.add("icmpv6.mip6.identifier", u(m.identifier), [](Vec& v) { icmp<T>(v).identifier ^= 1; });
    const auto word = static_cast<std::uint16_t>((m.mobile_router ? 0x8000 : 0) | m.reserved);
    f.add("icmpv6.reserved", colon_hex(Bytes{static_cast<std::uint8_t>(word >> 8), static_cast<std::uint8_t>(word)}),
          [](Vec& v) { icmp<T>(v).reserved ^= 1; });
    f.scapy_only("haad.R", [](Vec& v) { flip(icmp<T>(v).mobile_router); });
    if constexpr (!req) {
      Json addrs = Json::array();
      for (const auto& a : m.home_agents) addrs.push(a.str());
      s.set("addresses", addrs);
      for (std::size_t k = 0; k < m.home_agents.size(); ++k)
        f.add("icmpv6.mip6.home_agent_address", m.home_agents[k].str(),
              [k](Vec& v) { flip(icmp<DhaadReply>(v).home_agents[k]); });
    }
  } else if constexpr (std::is_same_v<T, MobilePrefixSolicitation>) {
    s.set("icmp", "mps").set("id", m.identifier).set("res", m.reserved);
    f.add("icmpv6.mip6.identifier", u(m.identifier),
          [](Vec& v) { icmp<MobilePrefixSolicitation>(v).identifier ^= 1; });
    f.add("icmpv6.reserved",
          colon_hex(Bytes{static_cast<std::uint8_t>(m.reserved >> 8), static_cast<std::uint8_t>(m.reserved)}),
          [](Vec& v) { icmp<MobilePrefixSolicitation>(v).reserved ^= 1; });
  } else if constexpr (std::is_same_v<T, MobilePrefixAdvertisement>) {
    s.set("icmp", "mpa").set("id", m.identifier).set("M", m.m_flag).set("O", m.o_flag).set("res", m.reserved);
    f.add("icmpv6.mip6.identifier", u(m.identifier),
          [](Vec& v) { icmp<MobilePrefixAdvertisement>(v).identifier ^= 1; });
    f.add("icmpv6.mip6.flag.m", b(m.m_flag), [](Vec& v) { flip(icmp<MobilePrefixAdvertisement>(v).m_flag); });
    f.add("icmpv6.mip6.flag.o", b(m.o_flag), [](Vec& v) { flip(icmp<MobilePrefixAdvertisement>(v).o_flag); });
    f.add("icmpv6.mip6.flag.rsv", u(m.reserved), [](Vec& v) { icmp<MobilePrefixAdvertisement>(v).reserved ^= 1; });
  }
}

}  // namespace

Json describe_icmp(Fields& f, const IcmpMessage& msg) {
  Json s = Json::object();
  std::visit([&](const auto& m) { describe_msg(f, s, m); }, msg);
  // tshark does not dissect the HO messages, so neither their options.
  const bool ho = std::holds_alternative<HoRequest>(msg) || std::holds_alternative<HoResponse>(msg);
  f.tshark_dissects = !ho;
  std::visit(
      [&](const auto& m) {
        if constexpr (requires { m.options; }) s.set("options", describe_options(f, m.options));
      },
      msg);
  f.tshark_dissects = true;
  return s;
}

}  // namespace hmip::oracle
