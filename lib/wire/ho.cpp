// netmip6 HO Request / HO Response (draft-chowdhury-netmip6-01 §4). See ho.h.
#include "hmip/wire/ho.h"

#include <utility>

#include "hmip/wire/nd.h"
#include "icmpv6_internal.h"

namespace hmip::wire {
namespace {

constexpr std::size_t kHoFixedOctets = 8;  // Type, Code, Checksum, second word
constexpr auto kHo = NdOptionContext::handoff;

// The NAI option of a request: a NaiOption, or a malformed option of the NAI
// type (the request still names its NAI option; the SAR can answer it with
// status 1, poorly formatted request, echoing the Identifier).
bool is_nai(const NdOption& opt, const HoConfig& cfg) noexcept {
  if (std::holds_alternative<NaiOption>(opt)) return true;
  const auto* bad = std::get_if<MalformedNdOption>(&opt);
  return bad != nullptr && bad->type == cfg.nai_option_type;
}

// Checks that a request's options carry exactly one NAI option; offsets[i]
// is where options[i] starts in the message.
Status check_one_nai(const NdOptions& options, std::span<const std::size_t> offsets, const HoConfig& cfg) {
  int count = 0;
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (is_nai(options[i], cfg) && ++count == 2)
      return Error{Errc::invalid_field, offsets[i],
                   "HO Request carries a second NAI option (draft-chowdhury-netmip6-01 §4.1)"};
  }
  if (count == 0)
    return Error{Errc::invalid_field, kHoFixedOctets,
                 "HO Request must carry an NAI option (draft-chowdhury-netmip6-01 §4.1)"};
  return Ok{};
}

}  // namespace

Result<Bytes> encode(const HoRequest& msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = validate(cfg); !st) return st.error();
  if (msg.reserved > 0x3fff) return Error{Errc::invalid_field, 6, "HO Request reserved overlaps C/H (mask 0x3fff)"};
  Bytes out;
  ByteWriter w(out);
  w.u8(cfg.request_type);
  w.u8(0);
  w.u16(0);
  w.u16(msg.identifier);
  w.u16(static_cast<std::uint16_t>((msg.c_flag ? 0x8000 : 0) | (msg.h_flag ? 0x4000 : 0) | msg.reserved));
  std::vector<std::size_t> offsets;
  auto enc = detail::finish_message(std::move(out), msg.options, ph, cfg, kHo, &offsets);
  if (!enc) return enc;
  if (auto st = check_one_nai(msg.options, offsets, cfg); !st) return st.error();
  return enc;
}

Result<Bytes> encode(const HoResponse& msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = validate(cfg); !st) return st.error();
  Bytes out;
  ByteWriter w(out);
  w.u8(cfg.response_type);
  w.u8(0);
  w.u16(0);
  w.u16(msg.identifier);
  w.u8(static_cast<std::uint8_t>(msg.status));
  w.u8(msg.reserved);
  return detail::finish_message(std::move(out), msg.options, ph, cfg, kHo);
}

namespace detail {

Result<HoRequest> decode_ho_request_body(ByteSpan msg, const HoConfig& cfg) {
  ByteReader r(msg);
  r.skip(4);
  HoRequest m;
  m.identifier = r.u16();
  const std::uint16_t f = r.u16();
  m.c_flag = f & 0x8000;
  m.h_flag = f & 0x4000;
  m.reserved = f & 0x3fff;
  if (!r) return Error{Errc::truncated, r.offset(), "HO Request needs 8 octets (draft-chowdhury-netmip6-01 §4.1)"};
  auto opts = decode_nd_options_at(r.rest(), r.offset(), cfg, kHo);
  if (!opts) return opts.error();
  if (auto st = check_one_nai(opts->options, opts->offsets, cfg); !st) return st.error();
  m.options = std::move(opts->options);
  return m;
}

Result<HoResponse> decode_ho_response_body(ByteSpan msg, const HoConfig& cfg) {
  ByteReader r(msg);
  r.skip(4);
  HoResponse m;
  m.identifier = r.u16();
  m.status = static_cast<HoStatus>(r.u8());
  m.reserved = r.u8();
  if (!r)
    return Error{Errc::truncated, r.offset(),
                 "HO Response needs 8 octets (draft-chowdhury-netmip6-01 §4.2, Reserved octet)"};
  auto opts = decode_nd_options_at(r.rest(), r.offset(), cfg, kHo);
  if (!opts) return opts.error();
  m.options = std::move(opts->options);
  return m;
}

}  // namespace detail

Result<HoRequest> decode_ho_request(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = detail::check_message(msg, ph, cfg, cfg.request_type); !st) return st.error();
  return detail::decode_ho_request_body(msg, cfg);
}

Result<HoResponse> decode_ho_response(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = detail::check_message(msg, ph, cfg, cfg.response_type); !st) return st.error();
  return detail::decode_ho_response_body(msg, cfg);
}

}  // namespace hmip::wire
