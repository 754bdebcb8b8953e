// DHAAD sockets (RFC 6275 §10.5, §11.4.1). See dhaad_socket.h.
#include "hmip/io/dhaad_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace hmip::io {

namespace {

Icmpv6SocketOptions options_for(std::uint8_t type) {
  Icmpv6SocketOptions o;
  o.accept_types = {type};
  return o;  // the default 64 KiB buffer holds any ICMPv6 message a peer can send
}

// The common checks: not truncated, destination known (the checksum needs
// it); the reason to drop, or nothing.
std::optional<std::string> precheck(const Icmpv6Packet& p, const std::string& what) {
  if (p.truncated) return what + ": larger than the receive buffer";
  if (p.dst.is_unspecified()) return what + ": destination unknown (no IPV6_PKTINFO)";
  return std::nullopt;
}

std::error_code setsockopt_anycast(int fd, int opt, int ifindex, const Ip6Addr& addr) noexcept {
  ipv6_mreq mr{};
  std::memcpy(&mr.ipv6mr_multiaddr, addr.b.data(), 16);
  mr.ipv6mr_interface = static_cast<unsigned>(ifindex);
  if (::setsockopt(fd, IPPROTO_IPV6, opt, &mr, sizeof mr) != 0) return {errno, std::generic_category()};
  return {};
}

}  // namespace

std::variant<DhaadRequestReceived, DhaadDropped> classify_dhaad_request(const Icmpv6Packet& p) {
  const std::string what = "DHAAD request from " + p.src.str();
  if (auto why = precheck(p, what)) return DhaadDropped{*why};
  const wire::PseudoHeader ph{p.src, p.dst};
  auto req = wire::decode_dhaad_request(p.data, &ph);
  if (!req) return DhaadDropped{what + ": " + wire::to_string(req.error())};
  return DhaadRequestReceived{p.src, p.dst, p.ifindex, *req};
}

std::variant<DhaadReplyReceived, DhaadDropped> classify_dhaad_reply(const Icmpv6Packet& p) {
  const std::string what = "DHAAD reply from " + p.src.str();
  if (auto why = precheck(p, what)) return DhaadDropped{*why};
  const wire::PseudoHeader ph{p.src, p.dst};
  auto rep = wire::decode_dhaad_reply(p.data, &ph);
  if (!rep) return DhaadDropped{what + ": " + wire::to_string(rep.error())};
  return DhaadReplyReceived{p.src, p.dst, p.ifindex, std::move(rep).value()};
}

std::error_code join_anycast(int fd, int ifindex, const Ip6Addr& addr) noexcept {
  return setsockopt_anycast(fd, IPV6_JOIN_ANYCAST, ifindex, addr);
}

std::error_code leave_anycast(int fd, int ifindex, const Ip6Addr& addr) noexcept {
  return setsockopt_anycast(fd, IPV6_LEAVE_ANYCAST, ifindex, addr);
}

// ------------------------------------------------------------- home agent

DhaadHaSocket::DhaadHaSocket(boost::asio::io_context& io, int home_ifindex, std::span<const Ip6Addr> anycast)
    : socket_(io, options_for(wire::icmpv6::kDhaadRequest)), ifindex_(home_ifindex) {
  for (const Ip6Addr& a : anycast) {
    if (auto ec = join_anycast(socket_.native_handle(), ifindex_, a)) {
      close();
      throw std::system_error(ec, "IPV6_JOIN_ANYCAST " + a.str() + " on ifindex " + std::to_string(home_ifindex));
    }
    joined_.push_back(a);
  }
}

DhaadHaSocket::~DhaadHaSocket() { close(); }

std::error_code DhaadHaSocket::send_reply(const Ip6Addr& src, const Ip6Addr& dst, const wire::DhaadReply& reply) {
  auto msg = wire::encode(reply, nullptr);  // the kernel fills the checksum
  if (!msg) return std::make_error_code(std::errc::message_size);
  return socket_.send(*msg, dst, 0, src);
}

void DhaadHaSocket::start_receive(RequestHandler on_request, DropHandler on_drop, ErrorHandler on_error) {
  socket_.start_receive(
      [on_request = std::move(on_request), on_drop = std::move(on_drop)](const Icmpv6Packet& p) {
        auto got = classify_dhaad_request(p);
        if (auto* req = std::get_if<DhaadRequestReceived>(&got)) {
          if (on_request) on_request(*req);
        } else if (on_drop) {
          on_drop(std::get<DhaadDropped>(got));
        }
      },
      std::move(on_error));
}

void DhaadHaSocket::close() {
  for (const Ip6Addr& a : joined_) (void)leave_anycast(socket_.native_handle(), ifindex_, a);
  joined_.clear();
  socket_.close();
}

// ------------------------------------------------------------- mobile node

DhaadMnSocket::DhaadMnSocket(boost::asio::io_context& io) : socket_(io, options_for(wire::icmpv6::kDhaadReply)) {}

std::error_code DhaadMnSocket::send_request(const Ip6Addr& src, const Ip6Addr& dst,
                                            const wire::DhaadRequest& request) {
  auto msg = wire::encode(request, nullptr);
  if (!msg) return std::make_error_code(std::errc::invalid_argument);
  std::optional<Ip6Addr> from;
  if (!src.is_unspecified()) from = src;
  return socket_.send(*msg, dst, 0, from);
}

void DhaadMnSocket::start_receive(ReplyHandler on_reply, DropHandler on_drop, ErrorHandler on_error) {
  socket_.start_receive(
      [on_reply = std::move(on_reply), on_drop = std::move(on_drop)](const Icmpv6Packet& p) {
        auto got = classify_dhaad_reply(p);
        if (auto* rep = std::get_if<DhaadReplyReceived>(&got)) {
          if (on_reply) on_reply(*rep);
        } else if (on_drop) {
          on_drop(std::get<DhaadDropped>(got));
        }
      },
      std::move(on_error));
}

void DhaadMnSocket::close() { socket_.close(); }

}  // namespace hmip::io
