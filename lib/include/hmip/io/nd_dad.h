// Neighbour Discovery pieces mapd needs for the RCoAs it defends on its
// link (RFC 5380 §6.1 / RFC 6275 §10.4.1 proxy DAD and proxy ND):
//   * a Duplicate Address Detection probe for an address the MAP does not
//     own (RFC 4862 §5.4.2): an NS from the unspecified address to the
//     target's solicited-node group, Hop Limit 255, no Source Link-layer
//     Address option;
//   * joining that solicited-node group on an Icmpv6Socket so that another
//     node's concurrent DAD probe is seen, and classifying received NS/NA
//     (RFC 4862 §5.4.3, §5.4.4);
//   * the unsolicited Neighbor Advertisement a MAP sends when it starts
//     answering for an RCoA (RFC 4861 §7.2.6, RFC 6275 §10.4.1): the kernel
//     sends none for a new proxy entry (shared/notes/kernel-testbed.md).
// Message building and classification are pure; the socket parts are thin.
//
// Timing (RetransTimer between probes, DupAddrDetectTransmits) belongs to
// the caller's core: nothing here waits.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

#include "hmip/io/fd.h"
#include "hmip/io/icmpv6_socket.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/result.h"

namespace hmip::io {

/// ff02::1:ffXX:XXXX with the low 24 bits of `addr` (RFC 4291 §2.7.1).
[[nodiscard]] Ip6Addr solicited_node_multicast(const Ip6Addr& addr) noexcept;

/// Options for the Icmpv6Socket these helpers use: NS and NA let through,
/// Hop Limit 255 for unicast and multicast (RFC 4861 §7.1: receivers drop
/// ND messages with any other), our own multicasts not looped back.
[[nodiscard]] Icmpv6SocketOptions nd_dad_socket_options();

/// The whole IPv6 packet of a DAD probe for `target` (RFC 4862 §5.4.2):
/// IPv6 header src ::, dst solicited_node_multicast(target), Hop Limit 255,
/// Next Header 58; then the Neighbor Solicitation with Target = `target`, no
/// options, and its ICMPv6 checksum computed (RFC 4443 §2.3; the packet is
/// sent on an IPPROTO_RAW socket, where the kernel computes nothing).
/// Errors: invalid_field (0) for a multicast, unspecified or loopback
/// target (RFC 4861 §7.1.1; DAD is for unicast addresses).
wire::Result<wire::Bytes> build_dad_probe_packet(const Ip6Addr& target);

/// The ICMPv6 message of an unsolicited proxy Neighbor Advertisement for
/// `target` (RFC 4861 §7.2.6; RFC 6275 §10.4.1 for a home agent, which a
/// MAP acts as, RFC 5380 §6.1): Override 1, Solicited 0, Router = `router`
/// (the proxied node's role: false for a mobile host's RCoA, RFC 6275
/// §10.4.1; true for a mobile router, RFC 3963), a Target Link-layer
/// Address option with `lla` (the MAP interface's MAC, RFC 6275 §10.4.1:
/// traffic for the RCoA then comes to the MAP). Checksum field 0: the kernel computes it on a raw
/// ICMPv6 socket. Errors: invalid_field (0) for a multicast, unspecified or
/// loopback target or an empty `lla`; the NA encoder's errors.
wire::Result<wire::Bytes> build_unsolicited_na(const Ip6Addr& target, wire::ByteSpan lla, bool router);

/// What a received ND message means for an address under DAD.
enum class DadEvent : std::uint8_t {
  unrelated,         ///< not an NS/NA about this target, or an NS from a unicast source (§5.4.3: ignored)
  invalid,           ///< about this target, but failing RFC 4861 §7.1.1/§7.1.2 validation: ignored
  defended,          ///< an NA for the target (RFC 4862 §5.4.4): another node owns it
  concurrent_probe,  ///< an NS for the target from :: (RFC 4862 §5.4.3): another node probes it too
};

/// True for the events that mean "the address is in use: DAD failed".
[[nodiscard]] constexpr bool dad_failed(DadEvent e) noexcept {
  return e == DadEvent::defended || e == DadEvent::concurrent_probe;
}

struct DadObservation {
  DadEvent event = DadEvent::unrelated;
  std::string detail;  ///< for logs: "NA for 2001:db8::5 from fe80::2 on 3"
};

/// Classifies `p` (as an Icmpv6Socket delivers it) for the tentative
/// address `tentative`. Validation before an NS/NA about `tentative` counts
/// (RFC 4861 §7.1.1, §7.1.2): Hop Limit 255 (a missing IPV6_HOPLIMIT fails),
/// not truncated, the decode with the checksum over {src, dst} (Code 0,
/// length, options, non-multicast target), for an NS from :: a
/// solicited-node destination and no Source LLA option, for an NA to a
/// multicast destination Solicited = 0.
DadObservation classify_dad(const Icmpv6Packet& p, const Ip6Addr& tentative);

/// IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP of `target`'s solicited-node group on
/// `ifindex` (RFC 4862 §5.4.2: joined before probing). Errors as
/// Icmpv6Socket::join_group / leave_group.
std::error_code join_solicited_node(Icmpv6Socket& s, int ifindex, const Ip6Addr& target);
std::error_code leave_solicited_node(Icmpv6Socket& s, int ifindex, const Ip6Addr& target);

/// Sends build_unsolicited_na(target, lla, router) to ff02::1 on `ifindex`
/// from `link_local` (the interface's link-local address: RFC 4861 §7.2.6
/// takes "an address assigned to the interface"; link-local keeps it valid
/// whatever prefixes change). `s` must have been opened with Hop Limit 255
/// (nd_dad_socket_options()). Errors: std::errc::invalid_argument when the
/// message cannot be built; Icmpv6Socket::send's.
std::error_code send_unsolicited_na(Icmpv6Socket& s, int ifindex, const Ip6Addr& link_local, const Ip6Addr& target,
                                    wire::ByteSpan lla, bool router);

/// Sends DAD probes. A raw ICMPv6 socket cannot send from the unspecified
/// address (the kernel picks a source for IPV6_PKTINFO ::), so this is an
/// AF_INET6/SOCK_RAW/IPPROTO_RAW socket carrying the IPv6 header built by
/// build_dad_probe_packet(), as UMIP does for its proxy DAD. It receives
/// nothing. Needs CAP_NET_RAW.
class DadProber {
 public:
  /// Opens the socket (multicast loop off: our own probe must not come
  /// back as a "concurrent probe"). Throws std::system_error.
  DadProber();

  /// Sends one probe for `target` out of `ifindex` (RFC 4862 §5.4.2).
  /// Never blocks. Errors: std::errc::invalid_argument (a target
  /// build_dad_probe_packet() refuses or ifindex <= 0); sendto's errno
  /// (ENODEV, ENETDOWN, EAGAIN; EADDRNOTAVAIL when the interface has no
  /// address at all for the kernel's route lookup).
  std::error_code send_probe(int ifindex, const Ip6Addr& target);

 private:
  UniqueFd fd_;
};

}  // namespace hmip::io
