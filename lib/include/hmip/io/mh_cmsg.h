// Ancillary data (RFC 3542 §4, §6-§8) of a raw Mobility Header socket:
// building the control buffer of a sendmsg() and parsing the one recvmsg()
// fills. Pure functions over byte buffers, no sockets, so every malformed
// buffer can be tested; a control buffer is walked without CMSG_NXTHDR and
// never read past its end.
//
// What the Linux kernel hands up on an IPPROTO_MH raw socket (measured in
// the distro-kernel VM, shared/notes/kernel-testbed.md):
//   * IPV6_PKTINFO: the destination as the upper layer sees it (after a type
//     2 routing header was processed: the home address) and the arrival
//     interface.
//   * IPV6_HOPLIMIT: the IPv6 Hop Limit.
//   * IPV6_DSTOPTS (one per Destination Options header, in packet order): a
//     Home Address option there has been processed (RFC 6275 §9.3.1), i.e.
//     swapped with the IPv6 source, so its address field holds the CARE-OF
//     address the packet came from, and recvmsg's source is the home address.
//   * IPV6_RTHDR: a type 2 routing header after processing (RFC 6275 §9.3.4):
//     Segments Left 0 and the address field holding the care-of address the
//     packet was sent to (wire::Rh2Stage::processed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/result.h"

namespace hmip::io {

/// Extension headers a raw MH socket can be asked to send (RFC 3542 §7, §8).
enum class MhExtHeader : std::uint8_t {
  dstopts,  ///< IPV6_DSTOPTS: a Destination Options header after any routing header (the HAO's place)
  rthdr,    ///< IPV6_RTHDR: a routing header; for MIPv6 a type 2 one (Segments Left 1)
};

/// What one sendmsg() of a Mobility Header carries as ancillary data.
struct MhSendCmsgs {
  /// IPV6_PKTINFO source; nullopt (and ifindex 0) -> no IPV6_PKTINFO, the
  /// kernel chooses source and interface.
  std::optional<Ip6Addr> src;
  int ifindex = 0;  ///< IPV6_PKTINFO outgoing interface, 0 = any
  /// IPV6_HOPLIMIT, -1 = the socket's default.
  int hop_limit = -1;
  /// One extension header, verbatim (e.g. wire::encode_hao_dstopts() or
  /// wire::encode_rh2()); empty = none.
  MhExtHeader ext_kind = MhExtHeader::dstopts;
  wire::ByteSpan ext_header;
};

/// Bytes build_mh_send_cmsgs() needs for `c` (CMSG_SPACE of each message).
[[nodiscard]] std::size_t mh_send_cmsg_space(const MhSendCmsgs& c) noexcept;

/// Checks an extension header given to IPV6_DSTOPTS / IPV6_RTHDR the way
/// the kernel's ip6_datagram_send_ctl() does, so that a bad header is a
/// precise error here rather than EINVAL from sendmsg:
///   truncated     (size) fewer than 8 octets, or fewer than 8*(HEL+1)
///   bad_length    (1)    8*(HEL+1) differs from the size given (octets
///                        after the header would be sent as part of it)
///   invalid_field (2)    an IPV6_RTHDR whose Routing Type is not 2 (the only
///                        one Mobile IPv6 sends, RFC 6275 §6.4)
///   bad_length    (1)    a type 2 header whose Hdr Ext Len is not 2
///   invalid_field (3)    a type 2 header whose Segments Left is not 1
wire::Status check_ext_header(MhExtHeader kind, wire::ByteSpan header);

/// Writes the control messages of `c` into `buf` (zeroing it first) and
/// returns the length for msg_controllen (0 when `c` asks for none). `buf`
/// must be aligned for cmsghdr. Errors: too_long (offset = the space needed)
/// when `buf` is smaller than mh_send_cmsg_space(c); invalid_field (0) for a
/// hop limit over 255 or a negative ifindex; check_ext_header()'s errors.
wire::Result<std::size_t> build_mh_send_cmsgs(std::span<std::uint8_t> buf, const MhSendCmsgs& c);

/// What the ancillary data of one received datagram said.
struct MhReceiveCmsgs {
  std::optional<Ip6Addr> dst;  ///< IPV6_PKTINFO address
  int ifindex = 0;             ///< IPV6_PKTINFO interface, 0 if not given
  int hop_limit = -1;          ///< IPV6_HOPLIMIT, -1 if not given
  std::vector<wire::Bytes> dstopts;  ///< each IPV6_DSTOPTS header, in order
  std::vector<wire::Bytes> rthdrs;   ///< each IPV6_RTHDR header, in order
  friend bool operator==(const MhReceiveCmsgs&, const MhReceiveCmsgs&) = default;
};

/// Parses a received control buffer (`control` = the msg_controllen octets
/// recvmsg() filled). Control messages at level IPPROTO_IPV6 of another
/// type are skipped. Errors (offset = the start of the offending control
/// message in `control`):
///   truncated     fewer octets left than a cmsghdr (but more than 0), or
///                 cmsg_len running past the end of the buffer (the last
///                 message may lack its trailing alignment padding)
///   bad_length    cmsg_len smaller than a cmsghdr; an IPV6_PKTINFO or
///                 IPV6_HOPLIMIT whose data is not exactly the structure's
///                 size; an extension header whose Hdr Ext Len disagrees with
///                 the data length
///   invalid_field a control message at a level other than IPPROTO_IPV6
///                 (an MH socket asks for none); a second IPV6_PKTINFO or
///                 IPV6_HOPLIMIT; a hop limit outside 0..255
wire::Result<MhReceiveCmsgs> parse_mh_receive_cmsgs(wire::ByteSpan control);

/// The Home Address option among `dstopts` (as parse_mh_receive_cmsgs()
/// returns them) decoded with wire::decode_dstopts: nullopt if none holds
/// one. After the kernel processed it, the address is the CARE-OF address
/// (the packet's source on the wire; RFC 6275 §9.3.1). Errors: the first
/// decode_dstopts() error; invalid_field (0) if two headers carry a HAO.
wire::Result<std::optional<Ip6Addr>> hao_from_dstopts(std::span<const wire::Bytes> dstopts);

/// The type 2 routing header among `rthdrs` decoded with wire::decode_rh2
/// (Rh2Stage::processed): nullopt if there is none. The address is the
/// CARE-OF address the packet was sent to (RFC 6275 §9.3.4). Errors:
/// decode_rh2()'s (unknown_type for any other Routing Type: Linux drops type
/// 0 and a MIPv6 node sends no other to an MH socket); invalid_field (0) for
/// a second routing header.
wire::Result<std::optional<Ip6Addr>> rh2_from_rthdrs(std::span<const wire::Bytes> rthdrs);

}  // namespace hmip::io
