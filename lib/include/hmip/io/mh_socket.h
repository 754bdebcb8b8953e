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
// Receiving under a flood (issue 13 item 15). A raw MH socket gets a copy
// of every Mobility Header the host receives; a flood of junk must neither
// crowd the legitimate messages out of the receive queue nor starve the
// daemon's other event sources. So:
//   * MhSocketOptions::type_filter installs a classic BPF socket filter
//     (SO_ATTACH_FILTER, mh_type_filter()) on MH types and length (at most
//     wire::kMhMaxLength octets); the kernel drops what fails before it is
//     queued, uncounted (SK_MEMINFO_DROPS does not count filter refusals:
//     measured, unit test "mh socket: the kernel runs mapd's filter").
//     mapd drops the types a MAP only ignores (BRR, BA, BE)
//     and keeps Binding Updates and unknown types (those get a rate-limited
//     Binding Error, RFC 6275 §9.2).
//   * socket_receive_buffer sets SO_RCVBUFFORCE (SO_RCVBUF, capped at
//     net.core.rmem_max, without CAP_NET_ADMIN) so a burst fits the queue.
//   * Reads are batched (recvmmsg, `batch` datagrams a call) and bounded
//     (`max_per_wakeup` datagrams, then the next batch is posted to the
//     io_context behind the handlers that are ready: timers, netlink and the
//     control socket get their turn during a flood).
// Per-source limits are the daemon's (core::SourceRateLimiter): the socket
// only delivers.
//
// Needs CAP_NET_RAW. Not thread-safe: use from the io_context's thread.
#pragma once

#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
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

/// Which MH types a socket's kernel filter lets through.
struct MhTypeFilter {
  bool allow_list = true;             ///< true: only `types` pass; false: all but `types`
  std::vector<std::uint8_t> types;    ///< at most 250 are used
};

struct MhSocketOptions {
  /// Largest datagram accepted; larger ones are dropped and counted as
  /// truncated (a Mobility Header is at most 2048 octets, wire::kMhMaxLength).
  std::size_t receive_buffer = 4096;
  /// Room for received control messages; a datagram whose control data did
  /// not fit (MSG_CTRUNC) is dropped and counted.
  std::size_t control_buffer = 8192;
  /// A kernel socket filter on MH types (and length); nullopt: none.
  std::optional<MhTypeFilter> type_filter;
  /// The socket's receive queue in bytes (SO_RCVBUFFORCE, else SO_RCVBUF);
  /// 0 keeps the kernel's default.
  int socket_receive_buffer = 0;
  /// Datagrams read by one recvmmsg() call.
  std::size_t batch = 32;
  /// Datagrams delivered per readiness event before the socket yields to the
  /// io_context (the rest is read from a posted handler).
  std::size_t max_per_wakeup = 128;
};

/// One classic BPF instruction, as struct sock_filter (linux/filter.h).
struct BpfInsn {
  std::uint16_t code = 0;
  std::uint8_t jt = 0;
  std::uint8_t jf = 0;
  std::uint32_t k = 0;
  friend bool operator==(const BpfInsn&, const BpfInsn&) = default;
};

/// The socket filter MhSocket attaches for `f`: run on a raw IPv6 socket,
/// offset 0 is the Mobility Header's first octet (the kernel has pulled the
/// IPv6 and extension headers). Keeps a datagram (returns 0xffffffff: all of
/// it) of at most `max_length` octets whose MH Type octet (offset 2) is in
/// `f.types` (allow list) or not in it (deny list); drops (returns 0) the
/// rest, including datagrams too short to have a type.
std::vector<BpfInsn> mh_type_filter(const MhTypeFilter& f, std::uint32_t max_length);

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
  std::uint64_t read_calls = 0;         ///< recvmmsg() calls that returned datagrams
  std::uint64_t yields = 0;             ///< wake-ups that hit max_per_wakeup and posted the rest
  /// The receive queue size the kernel granted (SO_RCVBUF as read back; the
  /// kernel doubles the requested value for its bookkeeping).
  std::uint64_t socket_receive_buffer = 0;
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
  /// event is read before the socket waits again, at most max_per_wakeup
  /// of them per io_context handler. Call once.
  void start_receive(ReceiveHandler on_packet, ErrorHandler on_error);

  /// Stops receiving and closes both sockets.
  void close();

  /// The counters, with kernel_drops read from the kernel now.
  [[nodiscard]] MhSocketCounters counters() const noexcept;
  [[nodiscard]] int native_handle() { return socket_.native_handle(); }

 private:
  void arm();
  void read_more();
  /// Reads up to the per-wake-up budget; true if the budget ran out (more
  /// may be queued).
  bool read_budget();
  /// One recvmmsg(); false when the queue is empty (or the socket failed).
  bool read_batch(std::size_t want, std::size_t& delivered);
  void drop(std::uint64_t& counter, std::errc ec, std::string_view detail);
  std::error_code send_msg(int fd, wire::ByteSpan mh, const Ip6Addr& dst, const MhSendCmsgs& c);

  boost::asio::generic::raw_protocol::socket socket_;
  UniqueFd user_checksum_fd_;  ///< send-only, IPV6_CHECKSUM -1; opened on first send_with_header()
  std::size_t buffer_size_;
  std::size_t control_size_;
  std::size_t batch_;
  std::size_t max_per_wakeup_;
  std::vector<std::uint8_t> buffers_;   ///< batch_ datagram buffers of buffer_size_
  std::vector<std::uint8_t> controls_;  ///< batch_ control buffers of control_size_ (cmsghdr-aligned)
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  ///< for posted continuations
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
