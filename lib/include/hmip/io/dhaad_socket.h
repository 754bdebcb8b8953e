// Raw ICMPv6 sockets for Dynamic Home Agent Address Discovery (RFC 6275
// §10.5, §11.4.1), on top of Icmpv6Socket (icmpv6_socket.h):
//
// - DhaadHaSocket (home agent): passes ICMPv6 type 144 only (ICMP6_FILTER)
//   and joins the Home-Agents anycast address of each home prefix on the
//   home interface (Linux IPV6_JOIN_ANYCAST, needs CAP_NET_ADMIN; the
//   kernel then delivers packets to that address locally; on an interface
//   with forwarding off it also requires the address to be on one of the
//   interface's prefixes, else EINVAL or EADDRNOTAVAIL, depending on the
//   kernel). Memberships are left when the
//   socket closes (and the kernel drops them with the socket anyway).
//   The socket is NOT bound to the home interface (SO_BINDTODEVICE): a
//   mobile node away from home sends its request from its care-of address,
//   so it reaches the home agent through whatever interface routes to the
//   home link (usually not the home link itself), and Linux's raw delivery
//   would drop it on a socket bound to the home interface. Which prefix a
//   request is about is told by its destination (IPV6_PKTINFO), which the
//   responder (map/dhaad_responder.h) checks.
// - DhaadMnSocket (mobile node): passes type 145 only; sends a request from
//   a given source (the care-of address, IPV6_PKTINFO) to the anycast
//   address.
//
// Received messages are decoded with the checksum verified over the
// pseudo-header (the raw socket hands us ICMPv6 messages before icmpv6_rcv
// has looked at them); a message that is truncated by the buffer, has no
// known destination, or does not decode is reported as DhaadDropped with a
// one-line reason, never handed on. Needs CAP_NET_RAW. Not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <span>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "hmip/io/icmpv6_socket.h"
#include "hmip/wire/dhaad.h"

namespace hmip::io {

struct DhaadRequestReceived {
  Ip6Addr src;      ///< the mobile node's care-of address
  Ip6Addr dst;      ///< the anycast address it was sent to
  int ifindex = 0;  ///< arrival interface
  wire::DhaadRequest request;
};

struct DhaadReplyReceived {
  Ip6Addr src;  ///< the answering home agent
  Ip6Addr dst;
  int ifindex = 0;
  wire::DhaadReply reply;
};

/// A message that is not handed on, and why ("DHAAD request from 2001:db8::5:
/// ICMPv6 checksum does not verify (RFC 4443 §2.3) at offset 2").
struct DhaadDropped {
  std::string detail;
};

/// Checks, in order: not truncated by the receive buffer, a known
/// destination (IPV6_PKTINFO), then decodes with the checksum.
std::variant<DhaadRequestReceived, DhaadDropped> classify_dhaad_request(const Icmpv6Packet& p);
std::variant<DhaadReplyReceived, DhaadDropped> classify_dhaad_reply(const Icmpv6Packet& p);

/// Linux IPV6_JOIN_ANYCAST / IPV6_LEAVE_ANYCAST of `addr` on `ifindex` for
/// socket `fd`: 0 or the errno as an error_code.
std::error_code join_anycast(int fd, int ifindex, const Ip6Addr& addr) noexcept;
std::error_code leave_anycast(int fd, int ifindex, const Ip6Addr& addr) noexcept;

class DhaadHaSocket {
 public:
  using RequestHandler = std::function<void(const DhaadRequestReceived&)>;
  using DropHandler = std::function<void(const DhaadDropped&)>;
  using ErrorHandler = Icmpv6Socket::ErrorHandler;

  /// Opens the socket and joins every address of `anycast` on
  /// `home_ifindex`. Throws std::system_error naming the address that could
  /// not be joined (after leaving the ones already joined).
  DhaadHaSocket(boost::asio::io_context& io, int home_ifindex, std::span<const Ip6Addr> anycast);
  DhaadHaSocket(const DhaadHaSocket&) = delete;
  DhaadHaSocket& operator=(const DhaadHaSocket&) = delete;
  ~DhaadHaSocket();

  /// Sends `reply` from `src` (the HA's unicast address) to `dst`.
  std::error_code send_reply(const Ip6Addr& src, const Ip6Addr& dst, const wire::DhaadReply& reply);

  /// Starts receiving; call once. `on_error` as Icmpv6Socket::start_receive.
  void start_receive(RequestHandler on_request, DropHandler on_drop, ErrorHandler on_error);

  /// Leaves the anycast addresses and closes the socket.
  void close();

  [[nodiscard]] const std::vector<Ip6Addr>& joined() const noexcept { return joined_; }
  [[nodiscard]] int home_ifindex() const noexcept { return ifindex_; }

 private:
  Icmpv6Socket socket_;
  int ifindex_;
  std::vector<Ip6Addr> joined_;
};

class DhaadMnSocket {
 public:
  using ReplyHandler = std::function<void(const DhaadReplyReceived&)>;
  using DropHandler = std::function<void(const DhaadDropped&)>;
  using ErrorHandler = Icmpv6Socket::ErrorHandler;

  /// Throws std::system_error (e.g. EPERM without CAP_NET_RAW).
  explicit DhaadMnSocket(boost::asio::io_context& io);

  /// Sends `request` from `src` (the care-of address; :: lets the kernel
  /// choose) to `dst` (the home prefix's Home-Agents anycast address).
  std::error_code send_request(const Ip6Addr& src, const Ip6Addr& dst, const wire::DhaadRequest& request);

  void start_receive(ReplyHandler on_reply, DropHandler on_drop, ErrorHandler on_error);
  void close();

 private:
  Icmpv6Socket socket_;
};

}  // namespace hmip::io
