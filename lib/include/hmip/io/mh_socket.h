// A raw Mobility Header socket (AF_INET6, SOCK_RAW, IPPROTO_MH) as an Asio
// object, for mapd and mnd (RFC 6275 §6.1, RFC 5380 §4; RFC 3542 API).
//
// Checksum. Linux treats an IPPROTO_MH raw socket like ICMPv6: checksum at
// offset 4, computed on send and verified on receive (net/ipv6/raw.c). The
// pseudo-header the kernel uses on receive is the IPv6 header's addresses
// AFTER the kernel processed the extension headers, which is exactly RFC
// 6275 §6.1.1's rule: source = the home address when a Home Address option
// came with the packet, destination = the home address when a type 2 routing
// header did; i.e. {ReceivedMhPacket::src, ReceivedMhPacket::dst}. A datagram
// that fails is discarded inside recvmsg() and never reaches the handler
// (MhSocketCounters::kernel_drops counts it; measured in the distro-kernel
// VM, test/kernel/cases/50-io-mh.sh). The daemon therefore
// decodes with wire::decode_mh(bytes, nullptr), or with PseudoHeader{src,
// dst} to re-check (it always verifies then).
//
// Two ways to send:
//   * send(): the kernel computes the checksum over the flow's addresses
//     (IPV6_PKTINFO source, destination), before XFRM runs. This is the
//     path on which the kernel's route-optimisation states insert the HAO
//     (a "proto hao" state + SUB OUT policy on the MN: the BU is sent FROM
//     the RCoA) and the RH2 (a "proto route2" state + policy on the MAP: the
//     BA is sent TO the RCoA), so the checksum covers the home address as
//     RFC 6275 §6.1.1 wants. Encode the message with wire::encode_mh(msg,
//     nullptr): checksum field 0 (a non-zero field would also work, the
//     kernel subtracts it, but 0 is the contract).
//   * send_with_header(): the caller's own Destination Options (HAO) or type
//     2 routing header in an IPV6_DSTOPTS / IPV6_RTHDR control message. The
//     kernel would checksum the HAO case over the care-of source (and the
//     MAP would drop it), so this goes through a second, send-only socket
//     with IPV6_CHECKSUM -1 and the checksum is computed here. For tests and
//     for kernels without MIPv6 route-optimisation states; it cannot be
//     combined with RCoA-keyed IPsec (shared/notes/kernel-testbed.md).
//
// Needs CAP_NET_RAW. Not thread-safe: use from the io_context's thread.
#pragma once

#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

#include "hmip/io/fd.h"
#include "hmip/io/mh_cmsg.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"

namespace hmip::io {

/// One received Mobility Header message and what came with it.
struct ReceivedMhPacket {
  Ip6Addr src;  ///< source as the upper layer sees it: the home address if a HAO came with it
  Ip6Addr dst;  ///< destination (IPV6_PKTINFO): the home address if an RH2 came with it
  int ifindex = 0;  ///< arrival interface (IPV6_PKTINFO)
  /// The Home Address option's address as the kernel hands it up after the
  /// swap (RFC 6275 §9.3.1): the CARE-OF address (the wire source). For a
  /// local BU at the MAP: the LCoA, with src = the RCoA.
  std::optional<Ip6Addr> hao;
  /// The type 2 routing header's address after processing (RFC 6275
  /// §9.3.4): the CARE-OF address the packet was sent to (the wire
  /// destination). For a BA at the MN: the LCoA, with dst = the RCoA.
  std::optional<Ip6Addr> rh2;
  int hop_limit = -1;  ///< IPV6_HOPLIMIT, -1 if the kernel gave none
  wire::Bytes bytes;   ///< the Mobility Header, from its Payload Proto octet
};

struct MhSocketOptions {
  /// Largest datagram accepted; larger ones are dropped and counted as
  /// truncated (a Mobility Header is at most 2048 octets, wire::kMhMaxLength).
  std::size_t receive_buffer = 4096;
  /// Room for received control messages; a datagram whose control data did
  /// not fit (MSG_CTRUNC) is dropped and counted.
  std::size_t control_buffer = 8192;
};

/// What the socket did; monotonic.
struct MhSocketCounters {
  std::uint64_t received = 0;           ///< datagrams delivered to the handler
  std::uint64_t receive_errors = 0;     ///< recvmsg() failures (not EAGAIN/EINTR)
  std::uint64_t truncated = 0;          ///< dropped: larger than receive_buffer (MSG_TRUNC)
  std::uint64_t control_truncated = 0;  ///< dropped: control data did not fit (MSG_CTRUNC)
  std::uint64_t bad_cmsg = 0;           ///< dropped: control data, HAO or RH2 malformed, or no IPV6_PKTINFO
  /// Datagrams the kernel dropped for this socket (SO_MEMINFO's
  /// SK_MEMINFO_DROPS, read when counters() is called): those whose MH
  /// checksum failed inside recvmsg() and those that found the receive
  /// queue full.
  std::uint64_t kernel_drops = 0;
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;
};

class MhSocket {
 public:
  using ReceiveHandler = std::function<void(const ReceivedMhPacket&)>;
  /// A receive error (`detail` says what; the loop goes on). For a dropped
  /// datagram `ec` is std::errc::bad_message (bad control data) or
  /// std::errc::message_size (truncation).
  using ErrorHandler = std::function<void(const std::error_code& ec, std::string_view detail)>;

  /// Opens the socket, non-blocking, with IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT,
  /// IPV6_RECVDSTOPTS and IPV6_RECVRTHDR on; the kernel's checksum stays on
  /// (offset 4). Throws std::system_error (EPERM without CAP_NET_RAW,
  /// EPROTONOSUPPORT... on a kernel without IPv6).
  MhSocket(boost::asio::io_context& io, const MhSocketOptions& opts);
  MhSocket(const MhSocket&) = delete;
  MhSocket& operator=(const MhSocket&) = delete;
  ~MhSocket();

  /// Sends the Mobility Header `mh` to `dst` from `src` (IPV6_PKTINFO; ::
  /// lets the kernel choose) out of `ifindex` (0 = by route); the kernel
  /// computes the checksum (see the file comment: encode with ph = nullptr).
  /// Never blocks. Errors: errno of sendmsg (EAGAIN when the send buffer is
  /// full, EADDRNOTAVAIL for a source not on this host, ENETUNREACH...),
  /// bad_file_descriptor after close().
  std::error_code send(wire::ByteSpan mh, const Ip6Addr& src, const Ip6Addr& dst, int ifindex = 0);

  /// Sends `mh` with the extension header `header` (IPV6_DSTOPTS or
  /// IPV6_RTHDR, checked with check_ext_header()) from `src` to `dst`; per
  /// RFC 3542 §7 `dst` is the FINAL destination and a type 2 routing header
  /// holds the first hop (the care-of address). The checksum is computed
  /// here over the upper-layer addresses (RFC 6275 §6.1.1): source = the
  /// HAO's address when `header` holds a Home Address option, else `src`;
  /// destination = `dst`; whatever `mh` has at offset 4 is replaced.
  /// Errors: std::errc::invalid_argument for an MH under 6 octets or a header
  /// that check_ext_header() or wire::decode_dstopts() refuses; the errno of
  /// opening the send-only socket or of sendmsg.
  std::error_code send_with_header(wire::ByteSpan mh, const Ip6Addr& src, const Ip6Addr& dst, MhExtHeader kind,
                                   wire::ByteSpan header, int ifindex = 0);

  /// Starts receiving: `on_packet` for every datagram that passed, `on_error`
  /// for each failure (may be empty). Every datagram queued at a readiness
  /// event is read before the socket waits again. Call once.
  void start_receive(ReceiveHandler on_packet, ErrorHandler on_error);

  /// Stops receiving and closes both sockets.
  void close();

  /// The counters, with kernel_drops read from the kernel now.
  [[nodiscard]] MhSocketCounters counters() const noexcept;
  [[nodiscard]] int native_handle() { return socket_.native_handle(); }

 private:
  void arm();
  void read_all();
  void read_one(bool& more);
  void drop(std::uint64_t& counter, std::errc ec, std::string_view detail);
  std::error_code send_msg(int fd, wire::ByteSpan mh, const Ip6Addr& dst, const MhSendCmsgs& c);

  boost::asio::generic::raw_protocol::socket socket_;
  UniqueFd user_checksum_fd_;  ///< send-only, IPV6_CHECKSUM -1; opened on first send_with_header()
  std::vector<std::uint8_t> buffer_;
  std::vector<std::uint8_t> control_;
  ReceiveHandler on_packet_;
  ErrorHandler on_error_;
  MhSocketCounters counters_;
};

/// Turns a received datagram's pieces into a ReceivedMhPacket: parses the
/// control data (parse_mh_receive_cmsgs), decodes the HAO and RH2. `src` is
/// recvmsg's source address. Errors: those of parse_mh_receive_cmsgs,
/// hao_from_dstopts and rh2_from_rthdrs; invalid_field (0) when there is no
/// IPV6_PKTINFO (the destination is unknown). Pure: used by MhSocket and
/// unit-tested without a socket.
wire::Result<ReceivedMhPacket> make_received_mh_packet(const Ip6Addr& src, wire::ByteSpan control,
                                                       wire::ByteSpan datagram);

}  // namespace hmip::io
