// The Mobility Header (RFC 6275 §6.1) and its BRR, BU, BA and BE messages.
#include "hmip/wire/mh.h"

#include <type_traits>

namespace hmip::wire {
namespace {

// Fixed layout (RFC 6275 §6.1.1).
constexpr std::size_t kHeaderOctets = 6;
constexpr std::size_t kHeaderLenOffset = 1;
constexpr std::size_t kTypeOffset = 2;
constexpr std::size_t kChecksumOffset = 4;
constexpr std::size_t kUnit = 8;

// Binding Update flag word (RFC 6275 §6.1.7; M RFC 5380 §4; R RFC 3963
// §4.1; P RFC 5213 §8.1).
constexpr std::uint16_t kBuA = 0x8000;
constexpr std::uint16_t kBuH = 0x4000;
constexpr std::uint16_t kBuL = 0x2000;
constexpr std::uint16_t kBuK = 0x1000;
constexpr std::uint16_t kBuM = 0x0800;
constexpr std::uint16_t kBuR = 0x0400;
constexpr std::uint16_t kBuP = 0x0200;

// Binding Acknowledgement flag byte (RFC 6275 §6.1.8; R RFC 3963 §4.2; P
// RFC 5213 §8.2).
constexpr std::uint8_t kBaK = 0x80;
constexpr std::uint8_t kBaR = 0x40;
constexpr std::uint8_t kBaP = 0x20;

/// Minimum Header Len per MH Type (RFC 6275 §9.2: "less than the length
/// specified for this particular type"): fixed message data + 6 octets of
/// header, rounded up to 8-octet units, minus the first unit.
struct TypeInfo {
  std::uint8_t min_header_len;
  std::string_view below_minimum;
};

std::optional<TypeInfo> type_info(std::uint8_t type) noexcept {
  switch (type) {
    case mh_type::kBindingRefreshRequest:
      return TypeInfo{0, ""};
    case mh_type::kBindingUpdate:
      return TypeInfo{1, "a Binding Update needs Header Len >= 1"};
    case mh_type::kBindingAck:
      return TypeInfo{1, "a Binding Acknowledgement needs Header Len >= 1"};
    case mh_type::kBindingError:
      return TypeInfo{2, "a Binding Error needs Header Len >= 2"};
    default:
      return std::nullopt;
  }
}

std::uint16_t bu_flags(const BindingUpdate& bu) noexcept {
  std::uint16_t f = bu.other_flags;
  if (bu.ack) f |= kBuA;
  if (bu.home_registration) f |= kBuH;
  if (bu.link_local_compat) f |= kBuL;
  if (bu.key_mgmt_compat) f |= kBuK;
  if (bu.map_registration) f |= kBuM;
  if (bu.mobile_router) f |= kBuR;
  if (bu.proxy_registration) f |= kBuP;
  return f;
}

std::uint8_t ba_flags(const BindingAck& ba) noexcept {
  auto f = static_cast<std::uint8_t>(ba.other_flags);
  if (ba.key_mgmt_compat) f |= kBaK;
  if (ba.mobile_router) f |= kBaR;
  if (ba.proxy_registration) f |= kBaP;
  return f;
}

/// Writes the fixed message data of `msg` after the 6-octet header.
Status write_message_data(ByteWriter& w, const MhMessage& msg) {
  return std::visit(
      [&](const auto& m) -> Status {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, BindingRefreshRequest>) {
          w.u16(0);  // Reserved (§6.1.2)
        } else if constexpr (std::is_same_v<T, BindingUpdate>) {
          if ((m.other_flags & ~BindingUpdate::kOtherFlagsMask) != 0)
            return Error{Errc::invalid_field, 8, "BindingUpdate::other_flags must fit 0x01ff"};
          w.u16(m.sequence);
          w.u16(bu_flags(m));
          w.u16(m.lifetime);
        } else if constexpr (std::is_same_v<T, BindingAck>) {
          if ((m.other_flags & ~BindingAck::kOtherFlagsMask) != 0)
            return Error{Errc::invalid_field, 7, "BindingAck::other_flags must fit 0x1f"};
          w.u8(m.status);
          w.u8(ba_flags(m));
          w.u16(m.sequence);
          w.u16(m.lifetime);
        } else {
          static_assert(std::is_same_v<T, BindingError>);
          w.u8(m.status);
          w.u8(0);  // Reserved (§6.1.9)
          w.ip6(m.home_address);
        }
        return Ok{};
      },
      msg);
}

const std::vector<MobilityOption>& message_options(const MhMessage& msg) {
  return std::visit([](const auto& m) -> const std::vector<MobilityOption>& { return m.options; }, msg);
}

/// Decodes the fixed message data of `type` from `r` (positioned at offset
/// 6) and then the options up to the end.
Result<MhMessage> read_message(std::uint8_t type, ByteReader& r) {
  MhMessage msg;
  std::string_view short_rule;
  switch (type) {
    case mh_type::kBindingRefreshRequest: {
      r.skip(2);  // Reserved
      msg = BindingRefreshRequest{};
      short_rule = "a Binding Refresh Request needs 2 octets of message data";
      break;
    }
    case mh_type::kBindingUpdate: {
      BindingUpdate bu;
      bu.sequence = r.u16();
      const std::uint16_t f = r.u16();
      bu.lifetime = r.u16();
      bu.ack = (f & kBuA) != 0;
      bu.home_registration = (f & kBuH) != 0;
      bu.link_local_compat = (f & kBuL) != 0;
      bu.key_mgmt_compat = (f & kBuK) != 0;
      bu.map_registration = (f & kBuM) != 0;
      bu.mobile_router = (f & kBuR) != 0;
      bu.proxy_registration = (f & kBuP) != 0;
      bu.other_flags = static_cast<std::uint16_t>(f & BindingUpdate::kOtherFlagsMask);
      msg = std::move(bu);
      short_rule = "a Binding Update needs 6 octets of message data";
      break;
    }
    case mh_type::kBindingAck: {
      BindingAck ba;
      ba.status = r.u8();
      const std::uint8_t f = r.u8();
      ba.sequence = r.u16();
      ba.lifetime = r.u16();
      ba.key_mgmt_compat = (f & kBaK) != 0;
      ba.mobile_router = (f & kBaR) != 0;
      ba.proxy_registration = (f & kBaP) != 0;
      ba.other_flags = static_cast<std::uint8_t>(f & BindingAck::kOtherFlagsMask);
      msg = std::move(ba);
      short_rule = "a Binding Acknowledgement needs 6 octets of message data";
      break;
    }
    default: {  // mh_type::kBindingError
      BindingError be;
      be.status = r.u8();
      r.skip(1);  // Reserved
      be.home_address = r.ip6();
      msg = std::move(be);
      short_rule = "a Binding Error needs 18 octets of message data";
      break;
    }
  }
  // Unreachable after the Header Len minimum check, kept as a guard.
  if (!r) return Error{Errc::truncated, r.offset(), short_rule};

  auto options = decode_mobility_options(r.rest(), r.offset());
  if (!options) return options.error();
  std::visit([&](auto& m) { m.options = std::move(options).value(); }, msg);
  return msg;
}

}  // namespace

std::uint8_t mh_type_of(const MhMessage& msg) noexcept {
  // Not std::visit, which may throw bad_variant_access.
  if (std::holds_alternative<BindingUpdate>(msg)) return mh_type::kBindingUpdate;
  if (std::holds_alternative<BindingAck>(msg)) return mh_type::kBindingAck;
  if (std::holds_alternative<BindingError>(msg)) return mh_type::kBindingError;
  return mh_type::kBindingRefreshRequest;
}

std::optional<std::uint8_t> peek_mh_type(ByteSpan mh) noexcept {
  if (mh.size() <= kTypeOffset) return std::nullopt;
  return mh[kTypeOffset];
}

Result<Bytes> encode_mh(const MhMessage& msg, const PseudoHeader* ph) {
  Bytes out;
  out.reserve(64);
  ByteWriter w(out);
  w.u8(kIpProtoNone);   // Payload Proto (§6.1.1)
  w.u8(0);              // Header Len, set below
  w.u8(mh_type_of(msg));
  w.u8(0);              // Reserved
  w.u16(0);             // Checksum, set below
  if (auto st = write_message_data(w, msg); !st) return st.error();
  if (auto st = encode_mobility_options(message_options(msg), out); !st) return st.error();
  if (out.size() > kMhMaxLength)
    return Error{Errc::too_long, kMhMaxLength, "a Mobility Header is at most 2048 octets"};
  w.put_u8_at(kHeaderLenOffset, static_cast<std::uint8_t>(out.size() / kUnit - 1));
  if (ph != nullptr) w.put_u16_at(kChecksumOffset, upper_layer_checksum(*ph, kIpProtoMh, out));
  return out;
}

Result<MhMessage> decode_mh(ByteSpan in, const PseudoHeader* ph) {
  // RFC 6275 §9.2, in its order, after the framing: the checksum, the MH
  // Type, Payload Proto, then Header Len against the type's minimum.
  if (in.size() < kHeaderOctets)
    return Error{Errc::truncated, in.size(), "a Mobility Header needs 6 octets of header"};
  const std::size_t declared = (std::size_t{in[kHeaderLenOffset]} + 1) * kUnit;
  if (declared > in.size())
    return Error{Errc::truncated, kHeaderLenOffset, "Header Len declares more octets than the input holds"};
  // Octets after the declared length follow a Payload Proto of 59 (No Next
  // Header): RFC 8200 §4.7 says they are ignored. The checksum covers the
  // Mobility Header only (RFC 6275 §6.1.1, "the entire Mobility Header").
  const ByteSpan mh = in.first(declared);
  if (ph != nullptr && !verify_upper_layer_checksum(*ph, kIpProtoMh, mh))
    return Error{Errc::bad_checksum, kChecksumOffset, "the Mobility Header checksum does not verify"};
  const std::uint8_t type = mh[kTypeOffset];
  const auto info = type_info(type);
  if (!info)
    return Error{Errc::unknown_type, kTypeOffset, "MH Type is not BRR, BU, BA or BE (answer with BE status 2)"};
  if (mh[0] != kIpProtoNone)
    return Error{Errc::invalid_field, 0, "Payload Proto must be 59 (IPPROTO_NONE)"};
  if (mh[kHeaderLenOffset] < info->min_header_len)
    return Error{Errc::bad_length, kHeaderLenOffset, info->below_minimum};
  ByteReader r(mh);
  r.skip(kHeaderOctets);  // Payload Proto, Header Len, MH Type, Reserved (ignored), Checksum
  return read_message(type, r);
}

}  // namespace hmip::wire
