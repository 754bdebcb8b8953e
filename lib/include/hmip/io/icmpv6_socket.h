// A raw ICMPv6 socket as an Asio object (RFC 3542 advanced API): ICMP6_FILTER,
// IPV6_RECVPKTINFO / IPV6_RECVHOPLIMIT on receive, IPV6_PKTINFO on send,
// multicast group membership per interface.
//
// The kernel computes and verifies the ICMPv6 checksum of every message on an
// IPPROTO_ICMPV6 raw socket (RFC 3542 §3.1); Linux refuses IPV6_CHECKSUM on
// such a socket (EINVAL), so none is set and messages are sent with the
// checksum field 0 (wire::encode_icmpv6 with ph == nullptr).
//
// Needs CAP_NET_RAW. Not thread-safe: use from the io_context's thread.
#pragma once

#include <netinet/icmp6.h>
#include <sys/socket.h>

#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"

namespace hmip::io {

/// One received ICMPv6 message and what the ancillary data said about it.
struct Icmpv6Packet {
  wire::Bytes data;      ///< the ICMPv6 message, from its Type octet
  Ip6Addr src;           ///< IPv6 source address
  Ip6Addr dst;           ///< IPv6 destination address (IPV6_PKTINFO), :: if unknown
  int ifindex = 0;       ///< arrival interface (IPV6_PKTINFO), 0 if unknown
  int hop_limit = -1;    ///< IPv6 Hop Limit (IPV6_HOPLIMIT), -1 if unknown
  bool truncated = false;  ///< MSG_TRUNC: the message was larger than the buffer
};

struct Icmpv6SocketOptions {
  /// ICMPv6 types let through ICMP6_FILTER; everything else is blocked.
  std::vector<std::uint8_t> accept_types;
  /// IPV6_UNICAST_HOPS / IPV6_MULTICAST_HOPS; -1 keeps the kernel default.
  int unicast_hops = -1;
  int multicast_hops = -1;
  /// IPV6_MULTICAST_LOOP: whether our own multicasts come back to us.
  bool multicast_loop = false;
  /// Largest message accepted on receive (larger ones arrive truncated).
  std::size_t receive_buffer = 65536;
};

/// The ICMP6_FILTER that passes exactly `types` (RFC 3542 §3.2).
icmp6_filter make_icmp6_filter(std::span<const std::uint8_t> types) noexcept;

/// What IPV6_PKTINFO / IPV6_HOPLIMIT control messages of a received message
/// say. Unknown control messages are skipped.
struct ReceiveMeta {
  std::optional<Ip6Addr> dst;
  int ifindex = 0;
  int hop_limit = -1;
};
ReceiveMeta parse_receive_cmsgs(const msghdr& msg) noexcept;

/// Fills `buf` with one IPV6_PKTINFO control message (source `src`, or ::
/// to let the kernel choose, and outgoing interface `ifindex`) and returns
/// the control length to put in msg_controllen.
std::size_t build_pktinfo_cmsg(std::span<std::uint8_t> buf, const Ip6Addr& src, int ifindex) noexcept;
/// Bytes build_pktinfo_cmsg() needs.
std::size_t pktinfo_cmsg_space() noexcept;

class Icmpv6Socket {
 public:
  using ReceiveHandler = std::function<void(const Icmpv6Packet&)>;
  using ErrorHandler = std::function<void(const std::error_code&)>;

  /// Opens the socket and applies `opts`. Throws std::system_error (e.g.
  /// EPERM without CAP_NET_RAW).
  Icmpv6Socket(boost::asio::io_context& io, const Icmpv6SocketOptions& opts);
  Icmpv6Socket(const Icmpv6Socket&) = delete;
  Icmpv6Socket& operator=(const Icmpv6Socket&) = delete;
  ~Icmpv6Socket();

  /// IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP of `group` on interface `ifindex`.
  /// Joining twice is EADDRINUSE, leaving what was not joined EADDRNOTAVAIL.
  std::error_code join_group(int ifindex, const Ip6Addr& group);
  std::error_code leave_group(int ifindex, const Ip6Addr& group);

  /// Sends `msg` (an ICMPv6 message, checksum field ignored) to `dst`.
  /// `ifindex` != 0 or `src` set -> an IPV6_PKTINFO control message picks
  /// the outgoing interface / source (needed for link-local and multicast
  /// destinations). Never blocks: a full send buffer is an error.
  std::error_code send(wire::ByteSpan msg, const Ip6Addr& dst, int ifindex, const std::optional<Ip6Addr>& src);

  /// Starts receiving: `on_packet` is called for every message, `on_error`
  /// for a receive error (the loop goes on; ECANCELED after close() ends
  /// it). Call once.
  void start_receive(ReceiveHandler on_packet, ErrorHandler on_error);

  /// Stops receiving and closes the socket.
  void close();

  [[nodiscard]] int native_handle() { return socket_.native_handle(); }

 private:
  void arm();
  /// Reads up to a budget of datagrams; true if the budget ran out (more
  /// may be queued).
  bool read_all();
  /// read_all(), then either waits for readiness again or, if the budget
  /// ran out, posts itself for the next batch.
  void read_more();

  boost::asio::generic::raw_protocol::socket socket_;
  std::vector<std::uint8_t> buffer_;
  ReceiveHandler on_packet_;
  ErrorHandler on_error_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  ///< expires with the socket (posted reads)
};

}  // namespace hmip::io
