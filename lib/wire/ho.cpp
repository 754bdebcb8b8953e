// netmip6 HO Request / HO Response (draft-chowdhury-netmip6-01 §4). See ho.h.
#include "hmip/wire/ho.h"

#include <utility>

#include "hmip/wire/nd.h"

namespace hmip::wire {
namespace {

constexpr std::size_t kHoFixedOctets = 8;  // Type, Code, Checksum, second word

// Checks that a request's options carry exactly one NAI option; `area` is
// the encoded options (already validated), starting at offset 8.
Status check_one_nai(const NdOptions& options, ByteSpan area) {
  std::size_t pos = 0;
  int count = 0;
  for (const auto& opt : options) {
    if (std::holds_alternative<NaiOption>(opt) && ++count == 2)
      return Error{Errc::invalid_field, kHoFixedOctets + pos,
                   "HO Request carries a second NAI option (draft-chowdhury-netmip6-01 §4.1)"};
    pos += std::size_t{area[pos + 1]} * 8;
  }
  if (count == 0)
    return Error{Errc::invalid_field, kHoFixedOctets,
                 "HO Request must carry an NAI option (draft-chowdhury-netmip6-01 §4.1)"};
  return Ok{};
}

Result<Bytes> finish(Bytes out, const NdOptions& options, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = encode_nd_options(options, out, cfg); !st) return st.error();
  if (auto st = finish_icmpv6(out, ph); !st) return st.error();
  return out;
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
  auto enc = finish(std::move(out), msg.options, ph, cfg);
  if (!enc) return enc;
  if (auto st = check_one_nai(msg.options, ByteSpan(*enc).subspan(kHoFixedOctets)); !st) return st.error();
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
  return finish(std::move(out), msg.options, ph, cfg);
}

Result<HoRequest> decode_ho_request(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = validate(cfg); !st) return st.error();
  if (auto h = expect_icmpv6(msg, ph, cfg.request_type); !h) return h.error();
  ByteReader r(msg);
  r.skip(4);
  HoRequest m;
  m.identifier = r.u16();
  const std::uint16_t f = r.u16();
  m.c_flag = f & 0x8000;
  m.h_flag = f & 0x4000;
  m.reserved = f & 0x3fff;
  if (!r) return Error{Errc::truncated, r.offset(), "HO Request needs 8 octets (draft-chowdhury-netmip6-01 §4.1)"};
  auto opts = decode_nd_options(r.rest(), r.offset(), cfg);
  if (!opts) return opts.error();
  if (auto st = check_one_nai(*opts, r.rest()); !st) return st.error();
  m.options = std::move(*opts);
  return m;
}

Result<HoResponse> decode_ho_response(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg) {
  if (auto st = validate(cfg); !st) return st.error();
  if (auto h = expect_icmpv6(msg, ph, cfg.response_type); !h) return h.error();
  ByteReader r(msg);
  r.skip(4);
  HoResponse m;
  m.identifier = r.u16();
  m.status = static_cast<HoStatus>(r.u8());
  m.reserved = r.u8();
  if (!r)
    return Error{Errc::truncated, r.offset(),
                 "HO Response needs 8 octets (draft-chowdhury-netmip6-01 §4.2, Reserved octet)"};
  auto opts = decode_nd_options(r.rest(), r.offset(), cfg);
  if (!opts) return opts.error();
  m.options = std::move(*opts);
  return m;
}

}  // namespace hmip::wire
