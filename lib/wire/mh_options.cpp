// Mobility options (RFC 6275 §6.2, RFC 4283 §3, RFC 5648, RFC 6089).
#include "hmip/wire/mh_options.h"

#include <string_view>
#include <type_traits>

#include "ip6_tlv.h"

namespace hmip::wire {
namespace {

// Option Length values fixed by the RFCs.
constexpr std::uint8_t kBraLength = 2;        // RFC 6275 §6.2.4
constexpr std::uint8_t kAltCoaLength = 16;    // RFC 6275 §6.2.5
constexpr std::uint8_t kNonceLength = 4;      // RFC 6275 §6.2.6
constexpr std::uint8_t kBidBaseLength = 4;    // RFC 5648: BID, Status, H|BID-PRI
constexpr std::uint8_t kBidV4Length = 8;      // + IPv4 care-of address
constexpr std::uint8_t kBidV6Length = 20;     // + IPv6 care-of address
constexpr std::size_t kMaxOptionData = 255;   // one-octet Option Length
constexpr std::uint8_t kBidHFlag = 0x80;
constexpr std::uint8_t kBidPriMask = 0x7f;

static_assert(mh_opt::kPad1 == detail::kTlvPad1 && mh_opt::kPadN == detail::kTlvPadN);

bool is_modelled_type(std::uint8_t type) noexcept {
  switch (type) {
    case mh_opt::kPad1:
    case mh_opt::kPadN:
    case mh_opt::kBindingRefreshAdvice:
    case mh_opt::kAlternateCareOfAddress:
    case mh_opt::kNonceIndices:
    case mh_opt::kBindingAuthorizationData:
    case mh_opt::kMobileNodeIdentifier:
    case mh_opt::kBindingIdentifier:
      return true;
    default:
      return false;
  }
}

/// Octets of padding needed so that an option starting at `pos` (from the
/// start of the MH) meets xn+y.
std::size_t padding_for(std::size_t pos, OptionAlignment a) noexcept { return detail::tlv_padding_for(pos, a.x, a.y); }

Error encode_error(Errc code, std::size_t offset, std::string_view rule) { return Error{code, offset, rule}; }

/// Writes the option (type, length, data) without padding. Returns an error
/// for values the wire cannot carry.
Status write_option(ByteWriter& w, const MobilityOption& opt, std::size_t at) {
  return std::visit(
      [&](const auto& o) -> Status {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, BindingRefreshAdviceOption>) {
          w.u8(mh_opt::kBindingRefreshAdvice);
          w.u8(kBraLength);
          w.u16(o.refresh_interval);
        } else if constexpr (std::is_same_v<T, AlternateCareOfAddressOption>) {
          w.u8(mh_opt::kAlternateCareOfAddress);
          w.u8(kAltCoaLength);
          w.ip6(o.care_of_address);
        } else if constexpr (std::is_same_v<T, NonceIndicesOption>) {
          w.u8(mh_opt::kNonceIndices);
          w.u8(kNonceLength);
          w.u16(o.home_nonce_index);
          w.u16(o.care_of_nonce_index);
        } else if constexpr (std::is_same_v<T, BindingAuthorizationDataOption>) {
          if (o.authenticator.empty())
            return encode_error(Errc::invalid_field, at, "Binding Authorization Data needs an authenticator");
          if (o.authenticator.size() > kMaxOptionData)
            return encode_error(Errc::too_long, at, "Binding Authorization Data carries at most 255 octets");
          w.u8(mh_opt::kBindingAuthorizationData);
          w.u8(static_cast<std::uint8_t>(o.authenticator.size()));
          w.bytes(o.authenticator);
        } else if constexpr (std::is_same_v<T, MobileNodeIdentifierOption>) {
          if (o.identifier.empty())
            return encode_error(Errc::invalid_field, at, "Mobile Node Identifier needs an identifier");
          if (o.identifier.size() > kMaxOptionData - 1)
            return encode_error(Errc::too_long, at, "Mobile Node Identifier carries at most 254 octets");
          w.u8(mh_opt::kMobileNodeIdentifier);
          w.u8(static_cast<std::uint8_t>(o.identifier.size() + 1));
          w.u8(o.subtype);
          w.bytes(o.identifier);
        } else if constexpr (std::is_same_v<T, BindingIdentifierOption>) {
          if (o.bid_pri > kBidPriMask)
            return encode_error(Errc::invalid_field, at, "BID-PRI is a 7-bit field");
          w.u8(mh_opt::kBindingIdentifier);
          if (std::holds_alternative<Ip4Addr>(o.care_of_address)) {
            w.u8(kBidV4Length);
          } else if (std::holds_alternative<Ip6Addr>(o.care_of_address)) {
            w.u8(kBidV6Length);
          } else {
            w.u8(kBidBaseLength);
          }
          w.u16(o.bid);
          w.u8(o.status);
          w.u8(static_cast<std::uint8_t>((o.simultaneous_home_and_foreign ? kBidHFlag : 0) | o.bid_pri));
          if (const auto* v4 = std::get_if<Ip4Addr>(&o.care_of_address)) w.ip4(*v4);
          if (const auto* v6 = std::get_if<Ip6Addr>(&o.care_of_address)) w.ip6(*v6);
        } else if constexpr (std::is_same_v<T, MalformedMobilityOption>) {
          // Written back raw, where it falls (its alignment is not restored).
          if (!is_modelled_type(o.type) || o.type == mh_opt::kPad1 || o.type == mh_opt::kPadN)
            return encode_error(Errc::invalid_field, at, "a malformed mobility option must have a modelled type");
          if (o.data.size() > kMaxOptionData)
            return encode_error(Errc::too_long, at, "a mobility option carries at most 255 octets");
          w.u8(o.type);
          w.u8(static_cast<std::uint8_t>(o.data.size()));
          w.bytes(o.data);
        } else {
          static_assert(std::is_same_v<T, UnknownMobilityOption>);
          if (is_modelled_type(o.type))
            return encode_error(Errc::invalid_field, at,
                                "an unknown mobility option cannot use a padding or modelled type");
          if (o.data.size() > kMaxOptionData)
            return encode_error(Errc::too_long, at, "a mobility option carries at most 255 octets");
          w.u8(o.type);
          w.u8(static_cast<std::uint8_t>(o.data.size()));
          w.bytes(o.data);
        }
        return Ok{};
      },
      opt);
}

// ---- decoding ------------------------------------------------------------

/// Checks that the option at MH offset `at` meets its alignment.
bool aligned(std::size_t at, OptionAlignment a) noexcept { return detail::tlv_aligned(at, a.x, a.y); }

/// Decodes the data of a known option (its length already validated to fit
/// the buffer). `at` is the MH offset of the Option Type octet. An error
/// here makes the option a MalformedMobilityOption, not the message fail.
Result<MobilityOption> decode_known(std::uint8_t type, ByteSpan data, std::size_t at) {
  const std::size_t len_at = at + 1;
  ByteReader r(data, at + 2);
  switch (type) {
    case mh_opt::kBindingRefreshAdvice: {
      if (data.size() != kBraLength)
        return Error{Errc::bad_length, len_at, "Binding Refresh Advice has Option Length 2"};
      if (!aligned(at, {2, 0})) return Error{Errc::bad_alignment, at, "Binding Refresh Advice needs 2n alignment"};
      return MobilityOption{BindingRefreshAdviceOption{r.u16()}};
    }
    case mh_opt::kAlternateCareOfAddress: {
      if (data.size() != kAltCoaLength)
        return Error{Errc::bad_length, len_at, "Alternate Care-of Address has Option Length 16"};
      if (!aligned(at, {8, 6}))
        return Error{Errc::bad_alignment, at, "Alternate Care-of Address needs 8n+6 alignment"};
      return MobilityOption{AlternateCareOfAddressOption{r.ip6()}};
    }
    case mh_opt::kNonceIndices: {
      if (data.size() != kNonceLength) return Error{Errc::bad_length, len_at, "Nonce Indices has Option Length 4"};
      if (!aligned(at, {2, 0})) return Error{Errc::bad_alignment, at, "Nonce Indices needs 2n alignment"};
      NonceIndicesOption o;
      o.home_nonce_index = r.u16();
      o.care_of_nonce_index = r.u16();
      return MobilityOption{o};
    }
    case mh_opt::kBindingAuthorizationData: {
      if (data.empty())
        return Error{Errc::bad_length, len_at, "Binding Authorization Data needs a non-empty authenticator"};
      if (!aligned(at, {8, 2}))
        return Error{Errc::bad_alignment, at, "Binding Authorization Data needs 8n+2 alignment"};
      return MobilityOption{BindingAuthorizationDataOption{Bytes(data.begin(), data.end())}};
    }
    case mh_opt::kMobileNodeIdentifier: {
      if (data.size() < 2)
        return Error{Errc::bad_length, len_at, "Mobile Node Identifier needs a subtype and an identifier"};
      MobileNodeIdentifierOption o;
      o.subtype = data[0];
      o.identifier.assign(data.begin() + 1, data.end());
      return MobilityOption{std::move(o)};
    }
    default: {  // mh_opt::kBindingIdentifier
      if (data.size() != kBidBaseLength && data.size() != kBidV4Length && data.size() != kBidV6Length)
        return Error{Errc::bad_length, len_at, "Binding Identifier has Option Length 4, 8 or 20"};
      const bool has_coa = data.size() != kBidBaseLength;
      if (!aligned(at, has_coa ? OptionAlignment{8, 2} : OptionAlignment{2, 0}))
        return Error{Errc::bad_alignment, at,
                     has_coa ? "Binding Identifier with a care-of address needs 8n+2 alignment"
                             : "Binding Identifier without a care-of address needs 2n alignment"};
      BindingIdentifierOption o;
      o.bid = r.u16();
      o.status = r.u8();
      const std::uint8_t flags = r.u8();
      o.simultaneous_home_and_foreign = (flags & kBidHFlag) != 0;
      o.bid_pri = static_cast<std::uint8_t>(flags & kBidPriMask);
      if (data.size() == kBidV4Length) o.care_of_address = r.ip4();
      if (data.size() == kBidV6Length) o.care_of_address = r.ip6();
      return MobilityOption{o};
    }
  }
}

}  // namespace

// std::get_if rather than std::visit: visit may throw bad_variant_access,
// and these helpers are noexcept.
std::uint8_t option_type(const MobilityOption& opt) noexcept {
  if (std::holds_alternative<BindingRefreshAdviceOption>(opt)) return mh_opt::kBindingRefreshAdvice;
  if (std::holds_alternative<AlternateCareOfAddressOption>(opt)) return mh_opt::kAlternateCareOfAddress;
  if (std::holds_alternative<NonceIndicesOption>(opt)) return mh_opt::kNonceIndices;
  if (std::holds_alternative<BindingAuthorizationDataOption>(opt)) return mh_opt::kBindingAuthorizationData;
  if (std::holds_alternative<MobileNodeIdentifierOption>(opt)) return mh_opt::kMobileNodeIdentifier;
  if (std::holds_alternative<BindingIdentifierOption>(opt)) return mh_opt::kBindingIdentifier;
  if (const auto* unknown = std::get_if<UnknownMobilityOption>(&opt)) return unknown->type;
  const auto* malformed = std::get_if<MalformedMobilityOption>(&opt);
  return malformed != nullptr ? malformed->type : mh_opt::kPadN;  // PadN only if valueless
}

OptionAlignment option_alignment(const MobilityOption& opt) noexcept {
  if (std::holds_alternative<BindingRefreshAdviceOption>(opt) || std::holds_alternative<NonceIndicesOption>(opt))
    return {2, 0};
  if (std::holds_alternative<AlternateCareOfAddressOption>(opt)) return {8, 6};
  if (std::holds_alternative<BindingAuthorizationDataOption>(opt)) return {8, 2};
  if (const auto* bid = std::get_if<BindingIdentifierOption>(&opt))
    return std::holds_alternative<std::monostate>(bid->care_of_address) ? OptionAlignment{2, 0}
                                                                         : OptionAlignment{8, 2};
  // Mobile Node Identifier (RFC 4283), unknown and malformed options: none.
  return {1, 0};
}

Status encode_mobility_options(std::span<const MobilityOption> options, Bytes& out) {
  const std::size_t original = out.size();
  ByteWriter w(out);
  for (const auto& opt : options) {
    detail::write_tlv_padding(w, padding_for(out.size(), option_alignment(opt)));
    if (auto st = write_option(w, opt, out.size()); !st) {
      out.resize(original);
      return st;
    }
  }
  detail::write_tlv_padding(w, padding_for(out.size(), {8, 0}));
  return Ok{};
}

Result<std::vector<MobilityOption>> decode_mobility_options(ByteSpan area, std::size_t start) {
  std::vector<MobilityOption> options;
  detail::TlvReader r(area, start, detail::PadRules::lenient);  // PadN data ignored (§6.2.3)
  while (r.next()) {
    const detail::Tlv& t = r.tlv();
    if (!is_modelled_type(t.type)) {  // RFC 6275 §6.2.1: kept raw
      options.emplace_back(UnknownMobilityOption{t.type, Bytes(t.data.begin(), t.data.end())});
      continue;
    }
    auto opt = decode_known(t.type, t.data, t.offset);
    if (opt) {
      options.push_back(std::move(opt).value());
    } else {
      options.emplace_back(MalformedMobilityOption{t.type, Bytes(t.data.begin(), t.data.end()), opt.error()});
    }
  }
  if (!r.ok()) return r.error();
  return options;
}

}  // namespace hmip::wire
