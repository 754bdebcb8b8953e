// netmip6 inter-AR Handoff messages (draft-chowdhury-netmip6-01 §4): the
// target AR sends an HO Request to the serving AR, which answers with an HO
// Response carrying the mobile node's context.
//
// HO Request (draft §4.1, as drafted):
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |     Type      |     Code      |          Checksum             |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |          Identifier           |C|H|        Reserved           |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |  Options (RFC 4861 §4.6 format) ...
//    +-+-+-+-+-+-+-+-+-+-+-+-+-
//   C: the sender requests context transfer for the identified MN.
//   H: the reason for the request is a handoff of the identified MN.
//   The options MUST include exactly one NAI option (see nd_options.h) naming
//   the MN: a request without one, or with two, is invalid_field. A
//   malformed NAI option (a MalformedNdOption of the NAI type, e.g. NAI
//   Length 0) counts as that one option: the request still decodes, so that
//   the SAR can answer it by Identifier with status 1 (poorly formatted).
//
// HO Response (draft §4.2 stops after Identifier and Status Code; we define
// the fourth octet of the second word as Reserved and let ND-format options
// follow, exactly as in the request, so the message is 8 octets + options):
//     0                   1                   2                   3
//     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |     Type      |     Code      |          Checksum             |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |          Identifier           |  Status Code  |   Reserved    |
//    +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//    |  Options (RFC 4861 §4.6 format, NAI option allowed) ...
//    +-+-+-+-+-+-+-+-+-+-+-+-+-
//   A 7-octet response (the draft figure read literally) is truncated.
//
// Types: the draft leaves the ICMPv6 types to IANA (§8); HoConfig (see
// nd_options.h) defaults to 200/201 (RFC 4443 private experimentation). The
// Code is "TBD" in the draft; we send 0 and require 0 (else invalid_field,
// offset 1). The draft requires hop limit 255 and recommends an IPsec AH;
// both are the socket layer's job, not the codec's.
#pragma once

#include <cstdint>

#include "hmip/wire/bytes.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/nd_options.h"
#include "hmip/wire/result.h"

namespace hmip::wire {

/// HO Response Status Code (draft-chowdhury-netmip6-01 §4.2). Values 5-255
/// are "reserved": the decoder keeps them (a receiver treats any value other
/// than success as a failure) so that a response can still be matched to
/// its request by Identifier.
enum class HoStatus : std::uint8_t {
  success = 0,
  poorly_formatted_request = 1,
  authentication_failed = 2,
  context_not_found = 3,  ///< "Unable to locate Context"
  administratively_prohibited = 4,
};

/// HO Request (draft-chowdhury-netmip6-01 §4.1).
struct HoRequest {
  std::uint16_t identifier = 0;  ///< echoed in the response
  bool c_flag = false;           ///< context transfer requested (0x8000)
  bool h_flag = false;           ///< reason is a handoff (0x4000)
  std::uint16_t reserved = 0;    ///< the other 14 bits (mask 0x3fff)
  NdOptions options;             ///< exactly one NaiOption, plus any others
  friend bool operator==(const HoRequest&, const HoRequest&) = default;
};

/// HO Response (draft-chowdhury-netmip6-01 §4.2, completed as above).
struct HoResponse {
  std::uint16_t identifier = 0;  ///< copied from the request
  HoStatus status = HoStatus::success;
  std::uint8_t reserved = 0;
  NdOptions options;
  friend bool operator==(const HoResponse&, const HoResponse&) = default;
};

/// Encodes a whole ICMPv6 message. ph == nullptr leaves the checksum 0 (a
/// raw ICMPv6 socket has the kernel fill it); otherwise it is computed.
/// Errors: invalid_field (no or two NAI options in a request, reserved bits
/// out of range, bad HoConfig, bad option), too_long (over 65535 octets),
/// and the option errors of encode_nd_options().
Result<Bytes> encode(const HoRequest& msg, const PseudoHeader* ph, const HoConfig& cfg = {});
Result<Bytes> encode(const HoResponse& msg, const PseudoHeader* ph, const HoConfig& cfg = {});

/// Decodes a whole ICMPv6 message, checking in this order: the HoConfig
/// (invalid_field, offset 0), at least 4 octets (truncated, offset 0), with
/// ph the checksum (bad_checksum, offset 2), the Type (unknown_type, offset
/// 0: not cfg.request_type / cfg.response_type), Code 0 (invalid_field,
/// offset 1), 8 octets (truncated), the option framing errors of
/// decode_nd_options() (options of the NAI type are NaiOption here), then,
/// for a request, exactly one NAI option (invalid_field at offset 8 if
/// there is none, at the second one's offset if there are two).
Result<HoRequest> decode_ho_request(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg = {});
Result<HoResponse> decode_ho_response(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg = {});

}  // namespace hmip::wire
