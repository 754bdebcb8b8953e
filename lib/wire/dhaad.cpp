// Mobile IPv6 ICMPv6 messages (RFC 6275 §6.5-§6.8) and the Home-Agents
// anycast address (RFC 2526 §2). See dhaad.h.
#include "hmip/wire/dhaad.h"

#include <utility>

#include "hmip/wire/nd.h"
#include "icmpv6_internal.h"

namespace hmip::wire {
namespace {

constexpr std::size_t kFixedOctets = 8;  // Type, Code, Checksum, Identifier, flags/Reserved
constexpr std::size_t kAddrOctets = 16;
constexpr std::uint16_t kRFlag = 0x8000;  // RFC 3963 §4.4, §4.5
constexpr std::uint16_t kMFlag = 0x8000;  // RFC 6275 §6.8
constexpr std::uint16_t kOFlag = 0x4000;  // RFC 6275 §6.8

void begin(ByteWriter& w, std::uint8_t type, std::uint16_t identifier, std::uint16_t second) {
  w.u8(type);
  w.u8(0);
  w.u16(0);
  w.u16(identifier);
  w.u16(second);
}

Result<Bytes> finish(Bytes out, const PseudoHeader* ph) {
  if (auto st = finish_icmpv6(out, ph); !st) return st.error();
  return out;
}

// The Identifier and the second 16-bit word, after the header checks.
struct Fixed {
  std::uint16_t identifier = 0;
  std::uint16_t second = 0;
};

Result<Fixed> fixed(ByteSpan msg, std::string_view rule) {
  ByteReader r(msg);
  r.skip(4);
  Fixed f;
  f.identifier = r.u16();
  f.second = r.u16();
  if (!r) return Error{Errc::truncated, r.offset(), rule};
  return f;
}

}  // namespace

// ------------------------------------------------------------- encoders

Result<Bytes> encode(const DhaadRequest& msg, const PseudoHeader* ph) {
  if (msg.reserved > 0x7fff)
    return Error{Errc::invalid_field, 6, "DHAAD Request reserved overlaps R (mask 0x7fff, RFC 3963 §4.4)"};
  Bytes out;
  ByteWriter w(out);
  begin(w, icmpv6::kDhaadRequest, msg.identifier,
        static_cast<std::uint16_t>((msg.mobile_router ? kRFlag : 0) | msg.reserved));
  return finish(std::move(out), ph);
}

Result<Bytes> encode(const DhaadReply& msg, const PseudoHeader* ph) {
  if (msg.reserved > 0x7fff)
    return Error{Errc::invalid_field, 6, "DHAAD Reply reserved overlaps R (mask 0x7fff, RFC 3963 §4.5)"};
  Bytes out;
  ByteWriter w(out);
  begin(w, icmpv6::kDhaadReply, msg.identifier,
        static_cast<std::uint16_t>((msg.mobile_router ? kRFlag : 0) | msg.reserved));
  for (const Ip6Addr& a : msg.home_agents) w.ip6(a);
  return finish(std::move(out), ph);
}

Result<Bytes> encode(const MobilePrefixSolicitation& msg, const PseudoHeader* ph) {
  Bytes out;
  ByteWriter w(out);
  begin(w, icmpv6::kMobilePrefixSolicitation, msg.identifier, msg.reserved);
  return finish(std::move(out), ph);
}

Result<Bytes> encode(const MobilePrefixAdvertisement& msg, const PseudoHeader* ph) {
  if (msg.reserved > 0x3fff)
    return Error{Errc::invalid_field, 6, "Mobile Prefix Advertisement reserved overlaps M/O (mask 0x3fff)"};
  Bytes out;
  ByteWriter w(out);
  begin(w, icmpv6::kMobilePrefixAdvertisement, msg.identifier,
        static_cast<std::uint16_t>((msg.m_flag ? kMFlag : 0) | (msg.o_flag ? kOFlag : 0) | msg.reserved));
  return detail::finish_message(std::move(out), msg.options, ph, HoConfig{}, NdOptionContext::neighbor_discovery);
}

// ------------------------------------------------------------- bodies

namespace detail {

Result<DhaadRequest> decode_dhaad_request_body(ByteSpan msg) {
  auto f = fixed(msg, "DHAAD Request needs 8 octets (RFC 6275 §6.5)");
  if (!f) return f.error();
  return DhaadRequest{f->identifier, (f->second & kRFlag) != 0, static_cast<std::uint16_t>(f->second & 0x7fff)};
}

Result<DhaadReply> decode_dhaad_reply_body(ByteSpan msg) {
  auto f = fixed(msg, "DHAAD Reply needs 8 octets (RFC 6275 §6.6)");
  if (!f) return f.error();
  DhaadReply m;
  m.identifier = f->identifier;
  m.mobile_router = (f->second & kRFlag) != 0;
  m.reserved = static_cast<std::uint16_t>(f->second & 0x7fff);
  const std::size_t area = msg.size() - kFixedOctets;
  if (area % kAddrOctets != 0)
    return Error{Errc::bad_length, kFixedOctets + area / kAddrOctets * kAddrOctets,
                 "DHAAD Reply Home Agent Addresses are not a multiple of 16 octets (RFC 6275 §6.6)"};
  ByteReader r(msg.subspan(kFixedOctets), kFixedOctets);
  m.home_agents.reserve(area / kAddrOctets);
  while (!r.at_end()) m.home_agents.push_back(r.ip6());
  return m;
}

Result<MobilePrefixSolicitation> decode_mobile_prefix_solicitation_body(ByteSpan msg) {
  auto f = fixed(msg, "Mobile Prefix Solicitation needs 8 octets (RFC 6275 §6.7)");
  if (!f) return f.error();
  return MobilePrefixSolicitation{f->identifier, f->second};
}

Result<MobilePrefixAdvertisement> decode_mobile_prefix_advertisement_body(ByteSpan msg) {
  auto f = fixed(msg, "Mobile Prefix Advertisement needs 8 octets (RFC 6275 §6.8)");
  if (!f) return f.error();
  MobilePrefixAdvertisement m;
  m.identifier = f->identifier;
  m.m_flag = (f->second & kMFlag) != 0;
  m.o_flag = (f->second & kOFlag) != 0;
  m.reserved = static_cast<std::uint16_t>(f->second & 0x3fff);
  auto opts =
      decode_nd_options_at(msg.subspan(kFixedOctets), kFixedOctets, HoConfig{}, NdOptionContext::neighbor_discovery);
  if (!opts) return opts.error();
  m.options = std::move(opts->options);
  return m;
}

}  // namespace detail

// ------------------------------------------------------------- decoders

Result<DhaadRequest> decode_dhaad_request(ByteSpan msg, const PseudoHeader* ph) {
  if (auto h = expect_icmpv6(msg, ph, icmpv6::kDhaadRequest); !h) return h.error();
  return detail::decode_dhaad_request_body(msg);
}

Result<DhaadReply> decode_dhaad_reply(ByteSpan msg, const PseudoHeader* ph) {
  if (auto h = expect_icmpv6(msg, ph, icmpv6::kDhaadReply); !h) return h.error();
  return detail::decode_dhaad_reply_body(msg);
}

Result<MobilePrefixSolicitation> decode_mobile_prefix_solicitation(ByteSpan msg, const PseudoHeader* ph) {
  if (auto h = expect_icmpv6(msg, ph, icmpv6::kMobilePrefixSolicitation); !h) return h.error();
  return detail::decode_mobile_prefix_solicitation_body(msg);
}

Result<MobilePrefixAdvertisement> decode_mobile_prefix_advertisement(ByteSpan msg, const PseudoHeader* ph) {
  if (auto h = expect_icmpv6(msg, ph, icmpv6::kMobilePrefixAdvertisement); !h) return h.error();
  return detail::decode_mobile_prefix_advertisement_body(msg);
}

// ------------------------------------------------------------- anycast

std::optional<Ip6Addr> home_agents_anycast(const Ip6Addr& prefix, std::uint8_t len) noexcept {
  constexpr std::uint8_t kAnycastId = 0x7e;  // Mobile IPv6 Home-Agents (RFC 2526 §3)
  if (len > 121) return std::nullopt;
  Ip6Addr a = prefix;
  // Keep the first `len` bits, set every later bit (RFC 2526 Figures 1, 2;
  // with an EUI-64 format identifier the subnet bits between the prefix and
  // bit 64 are ones too) ...
  for (std::size_t i = 0; i < 16; ++i) {
    const std::size_t bit0 = i * 8;
    if (bit0 + 8 <= len) continue;
    const std::size_t keep = bit0 >= len ? 0 : len - bit0;  // bits of this octet that are prefix
    const auto prefix_mask = static_cast<std::uint8_t>(0xff00u >> keep);
    a.b[i] = static_cast<std::uint8_t>((a.b[i] & prefix_mask) | static_cast<std::uint8_t>(~prefix_mask));
  }
  // ... then the 7-bit anycast ID in the last 7 bits.
  // (The top bit of the last octet is a one bit, or the prefix's last bit
  // for a /121.)
  a.b[15] = static_cast<std::uint8_t>((a.b[15] & 0x80) | kAnycastId);
  // EUI-64 format interface identifiers (a prefix of at most 64 bits, of an
  // address type whose identifiers are 64-bit EUI-64, i.e. format prefix
  // not binary 000, RFC 4291 §2.5.1): FDFF:FFFF:FFFF:FF80 | ID, the
  // universal/local bit (0x02 of octet 8) 0 (RFC 2526 §2, Figure 1).
  const bool eui64 = len <= 64 && (prefix.b[0] & 0xe0) != 0;
  if (eui64) a.b[8] = static_cast<std::uint8_t>(a.b[8] & ~0x02);
  return a;
}

bool is_home_agents_anycast(const Ip6Addr& a, const Ip6Addr& prefix, std::uint8_t len) noexcept {
  auto any = home_agents_anycast(prefix, len);
  return any && *any == a;
}

}  // namespace hmip::wire
