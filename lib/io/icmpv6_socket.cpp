#include "hmip/io/icmpv6_socket.h"

#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace hmip::io {

namespace asio = boost::asio;

namespace {

std::error_code last_error() { return {errno, std::system_category()}; }

void set_int_option(int fd, int level, int name, int value) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0)
    throw std::system_error(last_error(), "setsockopt");
}

in6_addr to_in6(const Ip6Addr& a) noexcept {
  in6_addr r{};
  std::memcpy(r.s6_addr, a.b.data(), 16);
  return r;
}

Ip6Addr from_in6(const in6_addr& a) noexcept {
  Ip6Addr r;
  std::memcpy(r.b.data(), a.s6_addr, 16);
  return r;
}

}  // namespace

icmp6_filter make_icmp6_filter(std::span<const std::uint8_t> types) noexcept {
  icmp6_filter f{};
  ICMP6_FILTER_SETBLOCKALL(&f);
  for (auto t : types) ICMP6_FILTER_SETPASS(t, &f);
  return f;
}

ReceiveMeta parse_receive_cmsgs(const msghdr& msg) noexcept {
  ReceiveMeta meta;
  // CMSG_NXTHDR takes a non-const msghdr; it does not modify it.
  auto* m = const_cast<msghdr*>(&msg);  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  for (cmsghdr* c = CMSG_FIRSTHDR(m); c != nullptr; c = CMSG_NXTHDR(m, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(in6_pktinfo))) {
      in6_pktinfo pi{};
      std::memcpy(&pi, CMSG_DATA(c), sizeof pi);
      meta.dst = from_in6(pi.ipi6_addr);
      meta.ifindex = static_cast<int>(pi.ipi6_ifindex);
    } else if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int hl = 0;
      std::memcpy(&hl, CMSG_DATA(c), sizeof hl);
      meta.hop_limit = hl;
    }
  }
  return meta;
}

std::size_t pktinfo_cmsg_space() noexcept { return CMSG_SPACE(sizeof(in6_pktinfo)); }

std::size_t build_pktinfo_cmsg(std::span<std::uint8_t> buf, const Ip6Addr& src, int ifindex) noexcept {
  const std::size_t space = pktinfo_cmsg_space();
  if (buf.size() < space) return 0;
  std::fill(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(space), std::uint8_t{0});
  cmsghdr hdr{};
  hdr.cmsg_level = IPPROTO_IPV6;
  hdr.cmsg_type = IPV6_PKTINFO;
  hdr.cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  std::memcpy(buf.data(), &hdr, sizeof hdr);
  in6_pktinfo pi{};
  pi.ipi6_addr = to_in6(src);
  pi.ipi6_ifindex = static_cast<unsigned>(ifindex);
  // CMSG_DATA of the first header is at CMSG_LEN(0) from its start.
  std::memcpy(buf.data() + CMSG_LEN(0), &pi, sizeof pi);
  return space;
}

Icmpv6Socket::Icmpv6Socket(asio::io_context& io, const Icmpv6SocketOptions& opts)
    : socket_(io), buffer_(std::max<std::size_t>(opts.receive_buffer, 1280)) {
  boost::system::error_code ec;
  socket_.open(asio::generic::raw_protocol(AF_INET6, IPPROTO_ICMPV6), ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) throw std::system_error(std::error_code(ec.value(), std::system_category()), "raw ICMPv6 socket");
  const int fd = socket_.native_handle();
  const icmp6_filter filter = make_icmp6_filter(opts.accept_types);
  if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof filter) != 0)
    throw std::system_error(last_error(), "setsockopt ICMP6_FILTER");
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
  if (opts.unicast_hops >= 0) set_int_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, opts.unicast_hops);
  if (opts.multicast_hops >= 0) set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, opts.multicast_hops);
  set_int_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, opts.multicast_loop ? 1 : 0);
}

Icmpv6Socket::~Icmpv6Socket() { close(); }

std::error_code Icmpv6Socket::join_group(int ifindex, const Ip6Addr& group) {
  ipv6_mreq mr{};
  mr.ipv6mr_multiaddr = to_in6(group);
  mr.ipv6mr_interface = static_cast<unsigned>(ifindex);
  if (::setsockopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof mr) != 0) return last_error();
  return {};
}

std::error_code Icmpv6Socket::leave_group(int ifindex, const Ip6Addr& group) {
  ipv6_mreq mr{};
  mr.ipv6mr_multiaddr = to_in6(group);
  mr.ipv6mr_interface = static_cast<unsigned>(ifindex);
  if (::setsockopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_LEAVE_GROUP, &mr, sizeof mr) != 0) return last_error();
  return {};
}

std::error_code Icmpv6Socket::send(wire::ByteSpan msg, const Ip6Addr& dst, int ifindex,
                                   const std::optional<Ip6Addr>& src) {
  if (!socket_.is_open()) return std::make_error_code(std::errc::bad_file_descriptor);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = to_in6(dst);
  // A link-scoped destination needs its zone; IPV6_PKTINFO gives it too,
  // but the scope id keeps the kernel from asking for one.
  if (dst.is_link_local() || (dst.is_multicast() && (dst.b[1] & 0x0f) <= 2))
    to.sin6_scope_id = static_cast<std::uint32_t>(ifindex);

  iovec iov{};
  iov.iov_base = const_cast<std::uint8_t*>(msg.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  iov.iov_len = msg.size();

  // Aligned storage for one IPV6_PKTINFO control message.
  alignas(cmsghdr) std::array<std::uint8_t, 64> control{};
  msghdr mh{};
  mh.msg_name = &to;
  mh.msg_namelen = sizeof to;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (ifindex != 0 || src) {
    const std::size_t len = build_pktinfo_cmsg(control, src.value_or(Ip6Addr{}), ifindex);
    mh.msg_control = control.data();
    mh.msg_controllen = len;
  }
  for (;;) {
    const ssize_t n = ::sendmsg(socket_.native_handle(), &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return {};
    if (errno != EINTR) return last_error();
  }
}

void Icmpv6Socket::start_receive(ReceiveHandler on_packet, ErrorHandler on_error) {
  on_packet_ = std::move(on_packet);
  on_error_ = std::move(on_error);
  arm();
}

void Icmpv6Socket::arm() {
  if (!socket_.is_open()) return;
  socket_.async_wait(asio::socket_base::wait_read, [this](const boost::system::error_code& ec) {
    // After close() (or destruction, which closes) the wait completes
    // with operation_aborted; `this` must not be touched then.
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      if (on_error_) on_error_(ec);
      arm();
    } else {
      read_more();
    }
  });
}

void Icmpv6Socket::read_more() {
  if (!read_all()) {
    arm();
    return;
  }
  // Budget used up with datagrams possibly still queued: the reactor is
  // edge-triggered and would not wake us for them, so come back for the
  // next batch after the other handlers had their turn (a flood never
  // starves timers and other sockets).
  asio::post(socket_.get_executor(), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired() || !socket_.is_open()) return;
    read_more();
  });
}

bool Icmpv6Socket::read_all() {
  // Drain what is queued; a bounded number per wakeup keeps other sources fair.
  for (int budget = 64; budget > 0; --budget) {
    if (!socket_.is_open()) return false;
    sockaddr_in6 from{};
    iovec iov{buffer_.data(), buffer_.size()};
    alignas(cmsghdr) std::array<std::uint8_t, 256> control{};
    msghdr mh{};
    mh.msg_name = &from;
    mh.msg_namelen = sizeof from;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control.data();
    mh.msg_controllen = control.size();
    const ssize_t n = ::recvmsg(socket_.native_handle(), &mh, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      if (on_error_) on_error_(last_error());
      return false;
    }
    Icmpv6Packet p;
    p.data.assign(buffer_.begin(), buffer_.begin() + n);
    p.src = from_in6(from.sin6_addr);
    p.truncated = (mh.msg_flags & MSG_TRUNC) != 0;
    const ReceiveMeta meta = parse_receive_cmsgs(mh);
    p.dst = meta.dst.value_or(Ip6Addr{});
    p.ifindex = meta.ifindex != 0 ? meta.ifindex : static_cast<int>(from.sin6_scope_id);
    p.hop_limit = meta.hop_limit;
    if (on_packet_) on_packet_(p);
  }
  return true;
}

void Icmpv6Socket::close() {
  boost::system::error_code ignored;
  if (socket_.is_open()) socket_.close(ignored);
}

}  // namespace hmip::io
