// Neighbor Discovery options: see nd_options.h for the formats and rules.
#include "hmip/wire/nd_options.h"

#include <iterator>
#include <string_view>
#include <type_traits>
#include <utility>

#include "icmpv6_internal.h"

namespace hmip::wire {
namespace {

constexpr std::size_t kUnit = 8;  // RFC 4861 §4.6: Length in units of 8 octets
constexpr std::size_t kMaxOptionOctets = 255 * kUnit;
constexpr std::size_t kMaxDomainOctets = 255;  // RFC 1035 §2.3.4
constexpr std::size_t kMaxLabelOctets = 63;    // RFC 1035 §2.3.4

bool is_modelled_type(std::uint8_t t) noexcept {
  switch (t) {
    case nd_opt::kSourceLla:
    case nd_opt::kTargetLla:
    case nd_opt::kPrefixInfo:
    case nd_opt::kMtu:
    case nd_opt::kAdvInterval:
    case nd_opt::kHomeAgentInfo:
    case nd_opt::kMap:
    case nd_opt::kRouteInfo:
    case nd_opt::kRdnss:
    case nd_opt::kDnssl: return true;
    default: return false;
  }
}

// True if options of type `t` are decoded (not kept as UnknownNdOption) in
// messages of kind `ctx`: the NAI option only in the HO messages.
bool is_interpreted(std::uint8_t t, const HoConfig& cfg, NdOptionContext ctx) noexcept {
  return is_modelled_type(t) || (ctx == NdOptionContext::handoff && t == cfg.nai_option_type);
}

// ---------------------------------------------------------------- encoding

// Writes one option's data (everything after Type and Length, before the
// padding). `at` is the option's start offset, for errors.
struct BodyWriter {
  ByteWriter& w;
  const HoConfig& cfg;
  NdOptionContext ctx;
  std::size_t at;

  Status operator()(const SourceLlaOption& o) const { return lla(o.address); }
  Status operator()(const TargetLlaOption& o) const { return lla(o.address); }

  Status lla(const Bytes& a) const {
    if (a.size() + 2 > kMaxOptionOctets) return Error{Errc::too_long, at, "link-layer address option over 2040 octets"};
    w.bytes(a);
    return Ok{};
  }

  Status operator()(const PrefixInfoOption& o) const {
    if (o.prefix_length > 128)
      return Error{Errc::invalid_field, at, "Prefix Information prefix length over 128 (RFC 4861 §4.6.2)"};
    if (o.reserved1 & ~0x1fu)
      return Error{Errc::invalid_field, at, "Prefix Information reserved1 overlaps L/A/R (mask 0x1f)"};
    w.u8(o.prefix_length);
    w.u8(
        static_cast<std::uint8_t>((o.l_flag ? 0x80 : 0) | (o.a_flag ? 0x40 : 0) | (o.r_flag ? 0x20 : 0) | o.reserved1));
    w.u32(o.valid_lifetime);
    w.u32(o.preferred_lifetime);
    w.u32(o.reserved2);
    w.ip6(o.prefix);
    return Ok{};
  }

  Status operator()(const MtuOption& o) const {
    w.u16(o.reserved);
    w.u32(o.mtu);
    return Ok{};
  }

  Status operator()(const AdvIntervalOption& o) const {
    w.u16(o.reserved);
    w.u32(o.interval_ms);
    return Ok{};
  }

  Status operator()(const HomeAgentInfoOption& o) const {
    if (o.lifetime == 0)
      return Error{Errc::invalid_field, at, "Home Agent Lifetime 0 MUST NOT be used (RFC 6275 §7.4)"};
    w.u16(o.reserved);
    w.u16(static_cast<std::uint16_t>(o.preference));
    w.u16(o.lifetime);
    return Ok{};
  }

  Status operator()(const MapOption& o) const {
    if (o.dist == 0) return Error{Errc::invalid_field, at, "MAP option Dist 0 MUST NOT be used (RFC 5380 §5)"};
    if (o.dist > 15) return Error{Errc::invalid_field, at, "MAP option Dist is a 4-bit field (RFC 5380 §5)"};
    if (o.pref > 15) return Error{Errc::invalid_field, at, "MAP option Pref is a 4-bit field (RFC 5380 §5)"};
    if (o.reserved > 0x7f) return Error{Errc::invalid_field, at, "MAP option reserved overlaps R (mask 0x7f)"};
    w.u8(static_cast<std::uint8_t>((o.dist << 4) | o.pref));
    w.u8(static_cast<std::uint8_t>((o.r_flag ? 0x80 : 0) | o.reserved));
    w.u32(o.valid_lifetime);
    w.ip6(o.address);
    return Ok{};
  }

  Status operator()(const RouteInfoOption& o) const {
    if (o.prefix_length > 128)
      return Error{Errc::invalid_field, at, "Route Information prefix length over 128 (RFC 4191 §2.3)"};
    auto prf = static_cast<std::uint8_t>(o.prf);
    if (prf > 3) return Error{Errc::invalid_field, at, "Route Information Prf is a 2-bit field (RFC 4191 §2.1)"};
    if (o.reserved & 0x18) return Error{Errc::invalid_field, at, "Route Information reserved overlaps Prf (mask 0xe7)"};
    w.u8(o.prefix_length);
    w.u8(static_cast<std::uint8_t>((prf << 3) | o.reserved));
    w.u32(o.route_lifetime);
    // The smallest Length for the prefix length (RFC 4191 §2.3), longer if
    // the prefix has non-zero octets beyond it, so that they survive.
    std::size_t n = o.prefix_length == 0 ? 0 : o.prefix_length <= 64 ? 8 : 16;
    for (std::size_t k = n; k < o.prefix.b.size(); ++k)
      if (o.prefix.b[k] != 0) n = k < 8 ? 8 : 16;
    w.bytes(ByteSpan(o.prefix.b).first(n));
    return Ok{};
  }

  Status operator()(const RdnssOption& o) const {
    if (o.servers.empty())
      return Error{Errc::invalid_field, at, "RDNSS option needs at least one address (RFC 8106 §5.1)"};
    if (o.servers.size() > 127) return Error{Errc::too_long, at, "RDNSS option carries at most 127 addresses"};
    w.u16(o.reserved);
    w.u32(o.lifetime);
    for (const auto& a : o.servers) w.ip6(a);
    return Ok{};
  }

  Status operator()(const DnsslOption& o) const {
    w.u16(o.reserved);
    w.u32(o.lifetime);
    for (const auto& name : o.domains)
      if (!append_name(name))
        return Error{Errc::invalid_field, at,
                     "DNSSL domain name is not dotted non-empty labels of <= 63 octets, <= 255 octets in all"};
    return Ok{};
  }

  // RFC 1035 §3.1 name encoding of a dotted name, no trailing dot.
  bool append_name(std::string_view name) const {
    if (name.empty()) return false;
    std::size_t total = 1;  // the root label
    while (true) {
      auto dot = name.find('.');
      auto label = name.substr(0, dot);
      if (label.empty() || label.size() > kMaxLabelOctets) return false;
      total += 1 + label.size();
      if (total > kMaxDomainOctets) return false;
      w.u8(static_cast<std::uint8_t>(label.size()));
      w.bytes(ByteSpan(reinterpret_cast<const std::uint8_t*>(label.data()), label.size()));
      if (dot == std::string_view::npos) break;
      name.remove_prefix(dot + 1);
    }
    w.u8(0);
    return true;
  }

  Status operator()(const NaiOption& o) const {
    if (ctx != NdOptionContext::handoff)
      return Error{Errc::invalid_field, at, "the NAI option belongs to the HO Request/Response only"};
    if (o.nai.empty()) return Error{Errc::invalid_field, at, "NAI option needs a non-empty NAI"};
    if (o.nai.size() > 255) return Error{Errc::too_long, at, "NAI option carries at most 255 octets"};
    w.u8(static_cast<std::uint8_t>(o.nai.size()));
    w.bytes(ByteSpan(reinterpret_cast<const std::uint8_t*>(o.nai.data()), o.nai.size()));
    return Ok{};
  }

  Status operator()(const UnknownNdOption& o) const {
    if (is_interpreted(o.type, cfg, ctx))
      return Error{Errc::invalid_field, at, "UnknownNdOption has the type of an option this message interprets"};
    return raw(o.data);
  }

  // Written back as received.
  Status operator()(const MalformedNdOption& o) const {
    if (!is_interpreted(o.type, cfg, ctx))
      return Error{Errc::invalid_field, at,
                   "MalformedNdOption has the type of an option this message does not interpret"};
    return raw(o.data);
  }

  Status raw(const Bytes& data) const {
    if (data.size() + 2 > kMaxOptionOctets) return Error{Errc::too_long, at, "ND option over 2040 octets"};
    if ((data.size() + 2) % kUnit != 0) return Error{Errc::bad_length, at, "raw ND option data size must be 8n-2"};
    w.bytes(data);
    return Ok{};
  }
};

Status encode_one(const NdOption& opt, Bytes& out, const HoConfig& cfg, NdOptionContext ctx) {
  const std::size_t start = out.size();
  ByteWriter w(out);
  w.u8(nd_option_type(opt, cfg));
  w.u8(0);  // Length, set below
  if (auto st = std::visit(BodyWriter{w, cfg, ctx, start}, opt); !st) return st;
  w.zeros((kUnit - (out.size() - start) % kUnit) % kUnit);
  std::size_t octets = out.size() - start;
  if (octets < 2 * kUnit && std::holds_alternative<DnsslOption>(opt)) {
    w.zeros(2 * kUnit - octets);  // RFC 8106 §5.2: minimum Length 2
    octets = 2 * kUnit;
  }
  if (octets > kMaxOptionOctets) return Error{Errc::too_long, start, "ND option over 255 units of 8 octets"};
  w.put_u8_at(start + 1, static_cast<std::uint8_t>(octets / kUnit));
  return Ok{};
}

// ---------------------------------------------------------------- decoding

Error bad_fixed_length(std::size_t at, std::string_view rule) { return Error{Errc::bad_length, at + 1, rule}; }

// Decodes the data of a DNSSL option (after Lifetime) at offset `base`.
Result<std::vector<std::string>> decode_names(ByteSpan data, std::size_t base) {
  std::vector<std::string> names;
  std::size_t i = 0;
  while (i < data.size() && data[i] != 0) {
    std::string name;
    const std::size_t name_start = i;
    while (true) {
      if (i >= data.size())
        return Error{Errc::bad_length, base + i, "DNSSL domain name runs past the end of the option (RFC 8106 §5.2)"};
      const std::uint8_t n = data[i];
      if (n == 0) break;
      if (n > kMaxLabelOctets)
        return Error{Errc::invalid_field, base + i, "DNSSL label longer than 63 octets or compressed (RFC 8106 §5.2)"};
      if (n > data.size() - i - 1)
        return Error{Errc::bad_length, base + i, "DNSSL label runs past the end of the option (RFC 8106 §5.2)"};
      if (i + 1 + n - name_start + 1 > kMaxDomainOctets)
        return Error{Errc::invalid_field, base + i, "DNSSL domain name over 255 octets (RFC 1035 §2.3.4)"};
      auto label = data.subspan(i + 1, n);
      for (std::size_t k = 0; k < n; ++k)
        if (label[k] == '.')
          return Error{Errc::invalid_field, base + i + 1 + k,
                       "DNSSL label contains '.', which a dotted name cannot carry"};
      if (!name.empty()) name += '.';
      name.append(label.begin(), label.end());
      i += 1 + n;
    }
    ++i;  // the root label
    names.push_back(std::move(name));
  }
  for (; i < data.size(); ++i)
    if (data[i] != 0)
      return Error{Errc::invalid_field, base + i, "DNSSL padding after the last name must be zero (RFC 8106 §5.2)"};
  return names;
}

// Decodes one option whose `len` units (`body`, header included) are present.
// An error here makes the option a MalformedNdOption, not the message fail.
Result<NdOption> decode_one(std::uint8_t type, std::uint8_t len, ByteSpan body, std::size_t at, const HoConfig& cfg,
                            NdOptionContext ctx) {
  ByteReader r(body.subspan(2), at + 2);
  if (ctx == NdOptionContext::handoff && type == cfg.nai_option_type) {
    const std::uint8_t n = r.u8();
    if (n == 0) return Error{Errc::invalid_field, at + 2, "NAI option needs a non-empty NAI"};
    if (n > r.remaining()) return Error{Errc::bad_length, at + 2, "NAI Length runs past the end of the NAI option"};
    auto s = r.take(n);
    return NdOption{NaiOption{std::string(s.begin(), s.end())}};
  }
  switch (type) {
    case nd_opt::kSourceLla: {
      auto s = r.rest();
      return NdOption{SourceLlaOption{Bytes(s.begin(), s.end())}};
    }
    case nd_opt::kTargetLla: {
      auto s = r.rest();
      return NdOption{TargetLlaOption{Bytes(s.begin(), s.end())}};
    }
    case nd_opt::kPrefixInfo: {
      if (len != 4) return bad_fixed_length(at, "Prefix Information Length must be 4 (RFC 4861 §4.6.2)");
      PrefixInfoOption o;
      o.prefix_length = r.u8();
      if (o.prefix_length > 128)
        return Error{Errc::invalid_field, at + 2, "Prefix Information prefix length over 128 (RFC 4861 §4.6.2)"};
      const std::uint8_t f = r.u8();
      o.l_flag = f & 0x80;
      o.a_flag = f & 0x40;
      o.r_flag = f & 0x20;
      o.reserved1 = f & 0x1f;
      o.valid_lifetime = r.u32();
      o.preferred_lifetime = r.u32();
      o.reserved2 = r.u32();
      o.prefix = r.ip6();
      return NdOption{o};
    }
    case nd_opt::kMtu: {
      if (len != 1) return bad_fixed_length(at, "MTU option Length must be 1 (RFC 4861 §4.6.4)");
      MtuOption o;
      o.reserved = r.u16();
      o.mtu = r.u32();
      return NdOption{o};
    }
    case nd_opt::kAdvInterval: {
      if (len != 1) return bad_fixed_length(at, "Advertisement Interval Length must be 1 (RFC 6275 §7.3)");
      AdvIntervalOption o;
      o.reserved = r.u16();
      o.interval_ms = r.u32();
      return NdOption{o};
    }
    case nd_opt::kHomeAgentInfo: {
      if (len != 1) return bad_fixed_length(at, "Home Agent Information Length must be 1 (RFC 6275 §7.4)");
      HomeAgentInfoOption o;
      o.reserved = r.u16();
      o.preference = static_cast<std::int16_t>(r.u16());
      o.lifetime = r.u16();
      if (o.lifetime == 0)
        return Error{Errc::invalid_field, at + 6, "Home Agent Lifetime 0 MUST NOT be used (RFC 6275 §7.4)"};
      return NdOption{o};
    }
    case nd_opt::kMap: {
      if (len != 3) return bad_fixed_length(at, "MAP option Length must be 3 (RFC 5380 §5)");
      MapOption o;
      const std::uint8_t dp = r.u8();
      o.dist = static_cast<std::uint8_t>(dp >> 4);
      o.pref = dp & 0x0f;
      if (o.dist == 0) return Error{Errc::invalid_field, at + 2, "MAP option Dist 0 MUST NOT be used (RFC 5380 §5)"};
      const std::uint8_t f = r.u8();
      o.r_flag = f & 0x80;
      o.reserved = f & 0x7f;
      o.valid_lifetime = r.u32();
      o.address = r.ip6();
      return NdOption{o};
    }
    case nd_opt::kRouteInfo: {
      if (len > 3) return bad_fixed_length(at, "Route Information Length must be 1, 2 or 3 (RFC 4191 §2.3)");
      RouteInfoOption o;
      o.prefix_length = r.u8();
      if (o.prefix_length > 128)
        return Error{Errc::invalid_field, at + 2, "Route Information prefix length over 128 (RFC 4191 §2.3)"};
      if ((o.prefix_length > 64 && len < 3) || (o.prefix_length > 0 && len < 2))
        return bad_fixed_length(at, "Route Information Length too small for its prefix length (RFC 4191 §2.3)");
      const std::uint8_t f = r.u8();
      o.prf = static_cast<RouterPreference>((f >> 3) & 0x03);
      o.reserved = f & 0xe7;
      o.route_lifetime = r.u32();
      auto p = r.rest();
      for (std::size_t k = 0; k < p.size(); ++k) o.prefix.b[k] = p[k];
      return NdOption{o};
    }
    case nd_opt::kRdnss: {
      if (len < 3 || len % 2 == 0)
        return bad_fixed_length(at, "RDNSS Length must be 1 + 2n with n >= 1 (RFC 8106 §5.1)");
      RdnssOption o;
      o.reserved = r.u16();
      o.lifetime = r.u32();
      while (!r.at_end()) o.servers.push_back(r.ip6());
      return NdOption{std::move(o)};
    }
    case nd_opt::kDnssl: {
      if (len < 2) return bad_fixed_length(at, "DNSSL Length must be at least 2 (RFC 8106 §5.2)");
      DnsslOption o;
      o.reserved = r.u16();
      o.lifetime = r.u32();
      auto names = decode_names(r.rest(), r.offset());
      if (!names) return names.error();
      o.domains = std::move(*names);
      return NdOption{std::move(o)};
    }
    default: {
      auto s = r.rest();
      return NdOption{UnknownNdOption{type, Bytes(s.begin(), s.end())}};
    }
  }
}

}  // namespace

Status validate(const HoConfig& cfg) {
  // ND (RFC 4861) and Mobile IPv6 (RFC 6275 §6.5-§6.8) types: modelled by nd.h / dhaad.h.
  auto is_nd_type = [](std::uint8_t t) { return (t >= 133 && t <= 136) || (t >= 144 && t <= 147); };
  if (cfg.request_type == cfg.response_type)
    return Error{Errc::invalid_field, 0, "HoConfig request_type and response_type must differ"};
  if (is_nd_type(cfg.request_type) || is_nd_type(cfg.response_type))
    return Error{Errc::invalid_field, 0, "HoConfig HO message type collides with an ND or Mobile IPv6 message type"};
  if (is_modelled_type(cfg.nai_option_type))
    return Error{Errc::invalid_field, 0, "HoConfig nai_option_type collides with a modelled ND option type"};
  return Ok{};
}

std::uint8_t nd_option_type(const NdOption& opt, const HoConfig& cfg) noexcept {
  // Indexed like the NdOption alternatives; the last three depend on the value.
  static constexpr std::uint8_t kByIndex[] = {
      nd_opt::kSourceLla,     nd_opt::kTargetLla, nd_opt::kPrefixInfo, nd_opt::kMtu,   nd_opt::kAdvInterval,
      nd_opt::kHomeAgentInfo, nd_opt::kMap,       nd_opt::kRouteInfo,  nd_opt::kRdnss, nd_opt::kDnssl};
  static_assert(std::size(kByIndex) + 3 == std::variant_size_v<NdOption>);
  static_assert(std::is_same_v<std::variant_alternative_t<std::size(kByIndex), NdOption>, NaiOption>);
  if (opt.index() < std::size(kByIndex)) return kByIndex[opt.index()];
  if (std::holds_alternative<NaiOption>(opt)) return cfg.nai_option_type;
  if (const auto* unknown = std::get_if<UnknownNdOption>(&opt)) return unknown->type;
  const auto* malformed = std::get_if<MalformedNdOption>(&opt);
  return malformed != nullptr ? malformed->type : 0;  // 0 only if valueless
}

ByteSpan link_layer_address(const Bytes& address, std::size_t n) noexcept {
  return ByteSpan(address).first(n < address.size() ? n : address.size());
}

namespace detail {

Status encode_nd_options_at(std::span<const NdOption> options, Bytes& out, const HoConfig& cfg, NdOptionContext ctx,
                            std::vector<std::size_t>* offsets) {
  const std::size_t original = out.size();
  for (const auto& opt : options) {
    if (offsets != nullptr) offsets->push_back(out.size());
    if (auto st = encode_one(opt, out, cfg, ctx); !st) {
      out.resize(original);
      return st;
    }
  }
  return Ok{};
}

Result<NdOptionsAt> decode_nd_options_at(ByteSpan area, std::size_t start, const HoConfig& cfg, NdOptionContext ctx) {
  NdOptionsAt result;
  std::size_t pos = 0;
  while (pos < area.size()) {
    const std::size_t at = start + pos;
    // Framing (RFC 4861 §4.6): these errors, and only these, fail the message.
    if (area.size() - pos < 2) return Error{Errc::truncated, at, "ND option header needs 2 octets (RFC 4861 §4.6)"};
    const std::uint8_t type = area[pos];
    const std::uint8_t len = area[pos + 1];
    if (len == 0) return Error{Errc::bad_length, at + 1, "ND option Length must not be 0 (RFC 4861 §4.6)"};
    const std::size_t octets = std::size_t{len} * kUnit;
    if (octets > area.size() - pos)
      return Error{Errc::truncated, at, "ND option runs past the end of the message (RFC 4861 §4.6)"};
    const ByteSpan body = area.subspan(pos, octets);
    auto opt = decode_one(type, len, body, at, cfg, ctx);
    if (opt) {
      result.options.push_back(std::move(*opt));
    } else {
      const ByteSpan data = body.subspan(2);
      result.options.emplace_back(MalformedNdOption{type, Bytes(data.begin(), data.end()), opt.error()});
    }
    result.offsets.push_back(at);
    pos += octets;
  }
  return result;
}

}  // namespace detail

Status encode_nd_options(std::span<const NdOption> options, Bytes& out, const HoConfig& cfg, NdOptionContext ctx) {
  if (auto st = validate(cfg); !st) return st;
  return detail::encode_nd_options_at(options, out, cfg, ctx, nullptr);
}

Result<NdOptions> decode_nd_options(ByteSpan area, std::size_t start, const HoConfig& cfg, NdOptionContext ctx) {
  if (auto st = validate(cfg); !st) return st.error();
  auto decoded = detail::decode_nd_options_at(area, start, cfg, ctx);
  if (!decoded) return decoded.error();
  return std::move(decoded->options);
}

}  // namespace hmip::wire
