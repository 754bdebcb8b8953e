// ICMPv6 framing, the four Neighbor Discovery messages (RFC 4861 §4.1-4.4)
// and the generic ICMPv6 codec. See nd.h.
#include "hmip/wire/nd.h"

#include <type_traits>
#include <utility>

#include "icmpv6_internal.h"

namespace hmip::wire {
namespace {

constexpr std::size_t kIcmpv6HeaderOctets = 4;   // RFC 4443 §2.1
constexpr std::size_t kMaxIcmpv6Octets = 65535;  // IPv6 Payload Length (RFC 8200 §3)

// Starts a message: Type, Code 0, Checksum 0 (set by finish_icmpv6).
void begin(ByteWriter& w, std::uint8_t type) {
  w.u8(type);
  w.u8(0);
  w.u16(0);
}

// The options of an ND message (RS, RA, NS, NA), after ph and cfg are known
// to be fine: the NAI option type is not interpreted there.
Result<Bytes> finish_nd(Bytes out, const NdOptions& options, const PseudoHeader* ph, const HoConfig& cfg) {
  return detail::finish_message(std::move(out), options, ph, cfg, NdOptionContext::neighbor_discovery);
}

Result<NdOptions> decode_nd(const ByteReader& r, const HoConfig& cfg) {
  auto opts = detail::decode_nd_options_at(r.rest(), r.offset(), cfg, NdOptionContext::neighbor_discovery);
  if (!opts) return opts.error();
  return std::move(opts->options);
}

Error truncated(const ByteReader& r, std::string_view rule) { return Error{Errc::truncated, r.offset(), rule}; }

}  // namespace

Result<Icmpv6Header> decode_icmpv6_header(ByteSpan msg, const PseudoHeader* ph) {
  ByteReader r(msg);
  Icmpv6Header h;
  h.type = r.u8();
  h.code = r.u8();
  h.checksum = r.u16();
  if (!r) return Error{Errc::truncated, 0, "ICMPv6 header needs 4 octets (RFC 4443 §2.1)"};
  if (ph != nullptr && !verify_upper_layer_checksum(*ph, kIpProtoIcmpv6, msg))
    return Error{Errc::bad_checksum, 2, "ICMPv6 checksum does not verify (RFC 4443 §2.3)"};
  return h;
}

Result<Icmpv6Header> expect_icmpv6(ByteSpan msg, const PseudoHeader* ph, std::uint8_t type) {
  auto h = decode_icmpv6_header(msg, ph);
  if (!h) return h;
  if (h->type != type) return Error{Errc::unknown_type, 0, "ICMPv6 Type is not the expected message type"};
  if (h->code != 0) return Error{Errc::invalid_field, 1, "ICMPv6 Code must be 0 (RFC 4861 §6.1, §7.1)"};
  return h;
}

Status finish_icmpv6(Bytes& msg, const PseudoHeader* ph) {
  if (msg.size() < kIcmpv6HeaderOctets)
    return Error{Errc::truncated, msg.size(), "ICMPv6 header needs 4 octets (RFC 4443 §2.1)"};
  if (msg.size() > kMaxIcmpv6Octets) return Error{Errc::too_long, 0, "ICMPv6 message over 65535 octets"};
  ByteWriter w(msg);
  w.put_u16_at(2, 0);
  if (ph != nullptr) w.put_u16_at(2, upper_layer_checksum(*ph, kIpProtoIcmpv6, msg));
  return Ok{};
}

// ------------------------------------------------------------- encoders

Result<Bytes> encode(const RouterSolicitation& msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = validate(cfg); !st) return st.error();
  Bytes out;
  ByteWriter w(out);
  begin(w, icmpv6::kRouterSolicitation);
  w.u32(msg.reserved);
  return finish_nd(std::move(out), msg.options, ph, cfg);
}

Result<Bytes> encode(const RouterAdvertisement& msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = validate(cfg); !st) return st.error();
  auto prf = static_cast<std::uint8_t>(msg.prf);
  if (prf > 3) return Error{Errc::invalid_field, 5, "Router Advertisement Prf is a 2-bit field (RFC 4191 §2.2)"};
  if (msg.reserved > 0x07)
    return Error{Errc::invalid_field, 5, "Router Advertisement reserved overlaps M/O/H/Prf (mask 0x07)"};
  Bytes out;
  ByteWriter w(out);
  begin(w, icmpv6::kRouterAdvertisement);
  w.u8(msg.cur_hop_limit);
  w.u8(static_cast<std::uint8_t>((msg.m_flag ? 0x80 : 0) | (msg.o_flag ? 0x40 : 0) | (msg.h_flag ? 0x20 : 0) |
                                 (prf << 3) | msg.reserved));
  w.u16(msg.router_lifetime);
  w.u32(msg.reachable_time);
  w.u32(msg.retrans_timer);
  return finish_nd(std::move(out), msg.options, ph, cfg);
}

Result<Bytes> encode(const NeighborSolicitation& msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = validate(cfg); !st) return st.error();
  if (msg.target.is_multicast())
    return Error{Errc::invalid_field, 8, "Neighbor Solicitation Target must not be multicast (RFC 4861 §7.1.1)"};
  Bytes out;
  ByteWriter w(out);
  begin(w, icmpv6::kNeighborSolicitation);
  w.u32(msg.reserved);
  w.ip6(msg.target);
  return finish_nd(std::move(out), msg.options, ph, cfg);
}

Result<Bytes> encode(const NeighborAdvertisement& msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = validate(cfg); !st) return st.error();
  if (msg.reserved > 0x1fffffffu)
    return Error{Errc::invalid_field, 4, "Neighbor Advertisement reserved overlaps R/S/O (mask 0x1fffffff)"};
  if (msg.target.is_multicast())
    return Error{Errc::invalid_field, 8, "Neighbor Advertisement Target must not be multicast (RFC 4861 §7.1.2)"};
  Bytes out;
  ByteWriter w(out);
  begin(w, icmpv6::kNeighborAdvertisement);
  w.u32((msg.r_flag ? 0x80000000u : 0u) | (msg.s_flag ? 0x40000000u : 0u) | (msg.o_flag ? 0x20000000u : 0u) |
        msg.reserved);
  w.ip6(msg.target);
  return finish_nd(std::move(out), msg.options, ph, cfg);
}

// ------------------------------------------------------------- decoders

namespace {

// Message bodies: after the ICMPv6 header checks and validate(cfg).

Result<RouterSolicitation> rs_body(ByteSpan msg, const HoConfig& cfg) {
  ByteReader r(msg);
  r.skip(kIcmpv6HeaderOctets);
  RouterSolicitation m;
  m.reserved = r.u32();
  if (!r) return truncated(r, "Router Solicitation needs 8 octets (RFC 4861 §4.1)");
  auto opts = decode_nd(r, cfg);
  if (!opts) return opts.error();
  m.options = std::move(*opts);
  return m;
}

Result<RouterAdvertisement> ra_body(ByteSpan msg, const HoConfig& cfg) {
  ByteReader r(msg);
  r.skip(kIcmpv6HeaderOctets);
  RouterAdvertisement m;
  m.cur_hop_limit = r.u8();
  const std::uint8_t f = r.u8();
  m.m_flag = f & 0x80;
  m.o_flag = f & 0x40;
  m.h_flag = f & 0x20;
  m.prf = static_cast<RouterPreference>((f >> 3) & 0x03);
  m.reserved = f & 0x07;
  m.router_lifetime = r.u16();
  m.reachable_time = r.u32();
  m.retrans_timer = r.u32();
  if (!r) return truncated(r, "Router Advertisement needs 16 octets (RFC 4861 §4.2)");
  auto opts = decode_nd(r, cfg);
  if (!opts) return opts.error();
  m.options = std::move(*opts);
  return m;
}

Result<NeighborSolicitation> ns_body(ByteSpan msg, const HoConfig& cfg) {
  ByteReader r(msg);
  r.skip(kIcmpv6HeaderOctets);
  NeighborSolicitation m;
  m.reserved = r.u32();
  m.target = r.ip6();
  if (!r) return truncated(r, "Neighbor Solicitation needs 24 octets (RFC 4861 §4.3)");
  if (m.target.is_multicast())
    return Error{Errc::invalid_field, 8, "Neighbor Solicitation Target must not be multicast (RFC 4861 §7.1.1)"};
  auto opts = decode_nd(r, cfg);
  if (!opts) return opts.error();
  m.options = std::move(*opts);
  return m;
}

Result<NeighborAdvertisement> na_body(ByteSpan msg, const HoConfig& cfg) {
  ByteReader r(msg);
  r.skip(kIcmpv6HeaderOctets);
  NeighborAdvertisement m;
  const std::uint32_t f = r.u32();
  m.r_flag = f & 0x80000000u;
  m.s_flag = f & 0x40000000u;
  m.o_flag = f & 0x20000000u;
  m.reserved = f & 0x1fffffffu;
  m.target = r.ip6();
  if (!r) return truncated(r, "Neighbor Advertisement needs 24 octets (RFC 4861 §4.4)");
  if (m.target.is_multicast())
    return Error{Errc::invalid_field, 8, "Neighbor Advertisement Target must not be multicast (RFC 4861 §7.1.2)"};
  auto opts = decode_nd(r, cfg);
  if (!opts) return opts.error();
  m.options = std::move(*opts);
  return m;
}

}  // namespace

namespace detail {

Status check_message(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg, std::uint8_t type) {
  if (auto st = validate(cfg); !st) return st;
  if (auto h = expect_icmpv6(msg, ph, type); !h) return h.error();
  return Ok{};
}

Result<Bytes> finish_message(Bytes out, std::span<const NdOption> options, const PseudoHeader* ph, const HoConfig& cfg,
                             NdOptionContext ctx, std::vector<std::size_t>* offsets) {
  if (auto st = encode_nd_options_at(options, out, cfg, ctx, offsets); !st) return st.error();
  if (auto st = finish_icmpv6(out, ph); !st) return st.error();
  return out;
}

}  // namespace detail

Result<RouterSolicitation> decode_router_solicitation(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = detail::check_message(msg, ph, cfg, icmpv6::kRouterSolicitation); !st) return st.error();
  return rs_body(msg, cfg);
}

Result<RouterAdvertisement> decode_router_advertisement(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = detail::check_message(msg, ph, cfg, icmpv6::kRouterAdvertisement); !st) return st.error();
  return ra_body(msg, cfg);
}

Result<NeighborSolicitation> decode_neighbor_solicitation(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = detail::check_message(msg, ph, cfg, icmpv6::kNeighborSolicitation); !st) return st.error();
  return ns_body(msg, cfg);
}

Result<NeighborAdvertisement> decode_neighbor_advertisement(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = detail::check_message(msg, ph, cfg, icmpv6::kNeighborAdvertisement); !st) return st.error();
  return na_body(msg, cfg);
}

// ------------------------------------------------------------- generic

std::uint8_t icmpv6_type(const IcmpMessage& msg, const HoConfig& cfg) noexcept {
  if (std::holds_alternative<RouterSolicitation>(msg)) return icmpv6::kRouterSolicitation;
  if (std::holds_alternative<RouterAdvertisement>(msg)) return icmpv6::kRouterAdvertisement;
  if (std::holds_alternative<NeighborSolicitation>(msg)) return icmpv6::kNeighborSolicitation;
  if (std::holds_alternative<NeighborAdvertisement>(msg)) return icmpv6::kNeighborAdvertisement;
  if (std::holds_alternative<HoRequest>(msg)) return cfg.request_type;
  if (std::holds_alternative<HoResponse>(msg)) return cfg.response_type;
  if (std::holds_alternative<DhaadRequest>(msg)) return icmpv6::kDhaadRequest;
  if (std::holds_alternative<DhaadReply>(msg)) return icmpv6::kDhaadReply;
  if (std::holds_alternative<MobilePrefixSolicitation>(msg)) return icmpv6::kMobilePrefixSolicitation;
  return icmpv6::kMobilePrefixAdvertisement;
}

Result<Bytes> encode_icmpv6(const IcmpMessage& msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = validate(cfg); !st) return st.error();
  return std::visit(
      [&](const auto& m) -> Result<Bytes> {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, DhaadRequest> || std::is_same_v<T, DhaadReply> ||
                      std::is_same_v<T, MobilePrefixSolicitation> || std::is_same_v<T, MobilePrefixAdvertisement>)
          return encode(m, ph);  // no HoConfig: the types are IANA's (RFC 6275 §6.5-§6.8)
        else
          return encode(m, ph, cfg);
      },
      msg);
}

namespace {
template <class T>
Result<IcmpMessage> widen(Result<T> r) {
  if (!r) return r.error();
  return IcmpMessage{std::move(*r)};
}
}  // namespace

Result<IcmpMessage> decode_icmpv6(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg) {
  // Each check once: the configuration, the checksum, the Type, the Code.
  if (auto st = validate(cfg); !st) return st.error();
  auto h = decode_icmpv6_header(msg, ph);
  if (!h) return h.error();
  const std::uint8_t type = h->type;
  const bool nd = type >= icmpv6::kRouterSolicitation && type <= icmpv6::kNeighborAdvertisement;
  const bool mip6 = type >= icmpv6::kDhaadRequest && type <= icmpv6::kMobilePrefixAdvertisement;
  if (!nd && !mip6 && type != cfg.request_type && type != cfg.response_type)
    return Error{Errc::unknown_type, 0, "ICMPv6 Type is not an ND, Mobile IPv6 or HO message type"};
  if (h->code != 0) return Error{Errc::invalid_field, 1, "ICMPv6 Code must be 0 (RFC 4861 §6.1, §7.1)"};
  switch (type) {
    case icmpv6::kRouterSolicitation: return widen(rs_body(msg, cfg));
    case icmpv6::kRouterAdvertisement: return widen(ra_body(msg, cfg));
    case icmpv6::kNeighborSolicitation: return widen(ns_body(msg, cfg));
    case icmpv6::kNeighborAdvertisement: return widen(na_body(msg, cfg));
    case icmpv6::kDhaadRequest: return widen(detail::decode_dhaad_request_body(msg));
    case icmpv6::kDhaadReply: return widen(detail::decode_dhaad_reply_body(msg));
    case icmpv6::kMobilePrefixSolicitation: return widen(detail::decode_mobile_prefix_solicitation_body(msg));
    case icmpv6::kMobilePrefixAdvertisement: return widen(detail::decode_mobile_prefix_advertisement_body(msg));
    default: break;
  }
  if (type == cfg.request_type) return widen(detail::decode_ho_request_body(msg, cfg));
  return widen(detail::decode_ho_response_body(msg, cfg));
}

}  // namespace hmip::wire
