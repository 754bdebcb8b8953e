// Oracle test vectors: packets our encoders build, described field by field
// so that two implementations we did not write (scapy, tshark) can check
// them. See test/oracle/README.md.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "hmip/wire/ipv6.h"
#include "hmip/wire/mh.h"
#include "hmip/wire/nd.h"
#include "json.h"

namespace hmip::oracle {

/// One packet: the fixed IPv6 header, optional MIPv6 extension headers and
/// one upper-layer message. Extension headers go in RFC 8200 §4.1 order:
/// routing header, then the destination options header (RFC 6275 §6.3).
struct Vec {
  std::string name;
  wire::Ipv6Header ip;             ///< next_header is filled in by build()
  std::optional<Ip6Addr> hao;      ///< Destination Options with a Home Address option
  std::optional<Ip6Addr> rh2;      ///< type 2 routing header
  std::variant<wire::MhMessage, wire::IcmpMessage> msg;
  /// Mutation knob, never set by a vector: compute the upper-layer checksum
  /// over the addresses as they are on the wire (IPv6 src/dst) instead of the
  /// ones the upper layer sees (HAO home address, RH2 home address), or, for
  /// a packet without either, with the source's last bit flipped.
  bool wrong_pseudo_header = false;
};

/// One field value a dissector should find. `tshark` is the tshark field
/// name, or empty for a value only the scapy comparison can check (tshark
/// does not dissect it). `mutate` changes exactly that value in a copy of
/// the vector.
struct Field {
  std::string label;   ///< unique within the vector: tshark name or scapy-only label, #n for repeats
  std::string tshark;  ///< tshark field name or ""
  std::string value;   ///< as tshark prints it (-T json)
  std::function<void(Vec&)> mutate;
};

/// What describe() tells the Python side: the spec scapy builds the packet
/// from, and the fields.
struct Description {
  Json spec;
  std::vector<Field> fields;
};

/// The packet bytes (IPv6 header + extension headers + upper layer, with the
/// upper-layer checksum). Throws std::runtime_error if an encoder fails.
wire::Bytes build(const Vec& v);

/// Decodes `packet` with our decoders (IPv6, RH2, HAO, MH or ICMPv6 with the
/// checksum verified) and throws std::runtime_error unless it gives back
/// exactly `v`: the vectors double as decoder round-trip tests.
void check_decodes(const Vec& v, wire::ByteSpan packet);

/// The spec and fields of `v` (independent of the encoders: read from the
/// structs).
Description describe(const Vec& v);

/// Every vector.
std::vector<Vec> all_vectors();

}  // namespace hmip::oracle
