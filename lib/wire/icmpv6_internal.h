// Internal to hmip_wire (not a public header): the pieces nd.cpp, ho.cpp
// and nd_options.cpp share, so that each message is encoded and decoded with
// the HoConfig validated once and the options walked once.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "hmip/wire/bytes.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/dhaad.h"
#include "hmip/wire/ho.h"
#include "hmip/wire/nd_options.h"
#include "hmip/wire/result.h"

namespace hmip::wire::detail {

/// Options as decoded, with the offset (from the start of the ICMPv6
/// message) of each one's Type octet: offsets[i] belongs to options[i].
struct NdOptionsAt {
  NdOptions options;
  std::vector<std::size_t> offsets;
};

/// decode_nd_options() for a `cfg` the caller has already validated.
Result<NdOptionsAt> decode_nd_options_at(ByteSpan area, std::size_t start, const HoConfig& cfg, NdOptionContext ctx);

/// encode_nd_options() for a `cfg` the caller has already validated; if
/// `offsets` is not null it receives the offset in `out` of each option.
Status encode_nd_options_at(std::span<const NdOption> options, Bytes& out, const HoConfig& cfg, NdOptionContext ctx,
                            std::vector<std::size_t>* offsets);

/// The tail of every ICMPv6 encoder (`out` holds the message up to its
/// options, `cfg` validated): appends the options and stores the checksum.
Result<Bytes> finish_message(Bytes out, std::span<const NdOption> options, const PseudoHeader* ph, const HoConfig& cfg,
                             NdOptionContext ctx, std::vector<std::size_t>* offsets = nullptr);

/// validate(cfg), then expect_icmpv6(msg, ph, type): the checks every
/// per-message decoder starts with.
Status check_message(ByteSpan msg, const PseudoHeader* ph, const HoConfig& cfg, std::uint8_t type);

/// The HO messages after check_message() (or its equivalent in
/// decode_icmpv6): fixed fields and options only.
Result<HoRequest> decode_ho_request_body(ByteSpan msg, const HoConfig& cfg);
Result<HoResponse> decode_ho_response_body(ByteSpan msg, const HoConfig& cfg);

/// The Mobile IPv6 messages (dhaad.h) after the ICMPv6 header checks.
Result<DhaadRequest> decode_dhaad_request_body(ByteSpan msg);
Result<DhaadReply> decode_dhaad_reply_body(ByteSpan msg);
Result<MobilePrefixSolicitation> decode_mobile_prefix_solicitation_body(ByteSpan msg);
Result<MobilePrefixAdvertisement> decode_mobile_prefix_advertisement_body(ByteSpan msg);

}  // namespace hmip::wire::detail
