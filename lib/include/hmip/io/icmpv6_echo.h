// ICMPv6 Echo Request / Echo Reply (RFC 4443 §4.1, §4.2), for ard's MAP
// probes:  | Type (128/129) | Code 0 | Checksum | Identifier | Sequence | Data |
// The checksum is left 0: raw ICMPv6 sockets have the kernel fill it in and
// verify it on receipt (see icmpv6_socket.h).
#pragma once

#include <cstdint>
#include <optional>

#include "hmip/wire/bytes.h"

namespace hmip::io {

inline constexpr std::uint8_t kIcmpv6EchoRequest = 128;
inline constexpr std::uint8_t kIcmpv6EchoReply = 129;

struct Echo {
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
  wire::Bytes data;
  friend bool operator==(const Echo&, const Echo&) = default;
};

/// An Echo Request carrying `e` (checksum 0).
wire::Bytes encode_echo_request(const Echo& e);

/// The Echo Reply in `msg`; nullopt if `msg` is not one (under 8 octets,
/// another Type, Code != 0).
std::optional<Echo> decode_echo_reply(wire::ByteSpan msg);

}  // namespace hmip::io
