#include "hmip/io/mh_socket.h"

#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "hmip/wire/checksum.h"
#include "hmip/wire/ext_headers.h"

namespace hmip::io {

namespace asio = boost::asio;

namespace {

std::error_code last_error() { return {errno, std::system_category()}; }

void set_int_option(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) throw std::system_error(last_error(), what);
}

// The MH checksum field (RFC 6275 §6.1.1).
constexpr std::size_t kMhChecksumOffset = 4;
constexpr std::size_t kMhMinLength = 6;

// True if `fd` has a datagram queued (poll with no wait).
bool readable_now(int fd) noexcept {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

}  // namespace

wire::Result<ReceivedMhPacket> make_received_mh_packet(const Ip6Addr& src, wire::ByteSpan control,
                                                       wire::ByteSpan datagram) {
  auto meta = parse_mh_receive_cmsgs(control);
  if (!meta) return meta.error();
  if (!meta->dst) return wire::Error{wire::Errc::invalid_field, 0, "no IPV6_PKTINFO: destination unknown"};
  auto hao = hao_from_dstopts(meta->dstopts);
  if (!hao) return hao.error();
  auto rh2 = rh2_from_rthdrs(meta->rthdrs);
  if (!rh2) return rh2.error();
  ReceivedMhPacket p;
  p.src = src;
  p.dst = *meta->dst;
  p.ifindex = meta->ifindex;
  p.hao = *hao;
  p.rh2 = *rh2;
  p.hop_limit = meta->hop_limit;
  p.bytes.assign(datagram.begin(), datagram.end());
  return p;
}

MhSocket::MhSocket(asio::io_context& io, const MhSocketOptions& opts)
    : socket_(io),
      buffer_(std::max<std::size_t>(opts.receive_buffer, 1280)),
      control_(std::max<std::size_t>(opts.control_buffer, 512)) {
  boost::system::error_code ec;
  socket_.open(asio::generic::raw_protocol(AF_INET6, IPPROTO_MH), ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) throw std::system_error(std::error_code(ec.value(), std::system_category()), "raw MH socket");
  const int fd = socket_.native_handle();
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "setsockopt IPV6_RECVPKTINFO");
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "setsockopt IPV6_RECVHOPLIMIT");
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVDSTOPTS, 1, "setsockopt IPV6_RECVDSTOPTS");
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVRTHDR, 1, "setsockopt IPV6_RECVRTHDR");
}

MhSocket::~MhSocket() { close(); }

std::error_code MhSocket::send_msg(int fd, wire::ByteSpan mh, const Ip6Addr& dst, const MhSendCmsgs& c) {
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  std::memcpy(to.sin6_addr.s6_addr, dst.b.data(), 16);
  if (dst.is_link_local() || (dst.is_multicast() && (dst.b[1] & 0x0f) <= 2))
    to.sin6_scope_id = static_cast<std::uint32_t>(c.ifindex);

  iovec iov{};
  iov.iov_base = const_cast<std::uint8_t*>(mh.data());  // NOLINT(cppcoreguidelines-pro-type-const-cast)
  iov.iov_len = mh.size();
  // PKTINFO + one extension header of at most 2048 octets.
  alignas(cmsghdr) std::array<std::uint8_t, 2048 + 128> control{};
  auto len = build_mh_send_cmsgs(control, c);
  if (!len) {
    ++counters_.send_errors;
    return std::make_error_code(std::errc::invalid_argument);
  }
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (*len != 0) {
    msg.msg_control = control.data();
    msg.msg_controllen = *len;
  }
  for (;;) {
    if (::sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
      ++counters_.sent;
      return {};
    }
    if (errno != EINTR) {
      ++counters_.send_errors;
      return last_error();
    }
  }
}

std::error_code MhSocket::send(wire::ByteSpan mh, const Ip6Addr& src, const Ip6Addr& dst, int ifindex) {
  if (!socket_.is_open()) return std::make_error_code(std::errc::bad_file_descriptor);
  MhSendCmsgs c;
  c.src = src;
  c.ifindex = ifindex;
  return send_msg(socket_.native_handle(), mh, dst, c);
}

std::error_code MhSocket::send_with_header(wire::ByteSpan mh, const Ip6Addr& src, const Ip6Addr& dst,
                                           MhExtHeader kind, wire::ByteSpan header, int ifindex) {
  if (!socket_.is_open()) return std::make_error_code(std::errc::bad_file_descriptor);
  if (mh.size() < kMhMinLength || !check_ext_header(kind, header)) {
    ++counters_.send_errors;
    return std::make_error_code(std::errc::invalid_argument);
  }
  // The upper layer's addresses (RFC 6275 §6.1.1).
  wire::PseudoHeader ph{src, dst};
  if (kind == MhExtHeader::dstopts) {
    auto d = wire::decode_dstopts(header);
    if (!d) {
      ++counters_.send_errors;
      return std::make_error_code(std::errc::invalid_argument);
    }
    if (d->home_address) ph.src = *d->home_address;
  }
  wire::Bytes msg(mh.begin(), mh.end());
  msg[kMhChecksumOffset] = 0;
  msg[kMhChecksumOffset + 1] = 0;
  const std::uint16_t sum = wire::upper_layer_checksum(ph, wire::kIpProtoMh, msg);
  msg[kMhChecksumOffset] = static_cast<std::uint8_t>(sum >> 8);
  msg[kMhChecksumOffset + 1] = static_cast<std::uint8_t>(sum & 0xff);

  if (!user_checksum_fd_) {
    UniqueFd fd(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_MH));
    const int off = -1;
    if (!fd || ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof off) != 0) {
      ++counters_.send_errors;
      return last_error();
    }
    // Send-only: a raw socket gets a copy of every MH datagram; a filter
    // that accepts nothing keeps its receive queue empty.
    std::array<sock_filter, 1> drop_all{{BPF_STMT(BPF_RET | BPF_K, 0)}};
    sock_fprog prog{static_cast<unsigned short>(drop_all.size()), drop_all.data()};
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0) {
      ++counters_.send_errors;
      return last_error();
    }
    user_checksum_fd_ = std::move(fd);
  }
  MhSendCmsgs c;
  c.src = src;
  c.ifindex = ifindex;
  c.ext_kind = kind;
  c.ext_header = header;
  return send_msg(user_checksum_fd_.get(), msg, dst, c);
}

void MhSocket::start_receive(ReceiveHandler on_packet, ErrorHandler on_error) {
  on_packet_ = std::move(on_packet);
  on_error_ = std::move(on_error);
  arm();
}

void MhSocket::arm() {
  if (!socket_.is_open()) return;
  socket_.async_wait(asio::socket_base::wait_read, [this](const boost::system::error_code& ec) {
    // After close() (or destruction, which closes) the wait completes with
    // operation_aborted; `this` must not be touched then.
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      ++counters_.receive_errors;
      if (on_error_) on_error_(std::error_code(ec.value(), std::system_category()), "wait for readability");
    } else {
      read_all();
    }
    arm();
  });
}

void MhSocket::drop(std::uint64_t& counter, std::errc ec, std::string_view detail) {
  ++counter;
  if (on_error_) on_error_(std::make_error_code(ec), detail);
}

void MhSocket::read_all() {
  // Until the queue is empty: Asio's epoll reactor is edge-triggered and
  // async_wait() is not speculative, so a datagram left queued here would
  // wait for the next one to arrive.
  bool more = true;
  while (more && socket_.is_open()) read_one(more);
}

void MhSocket::read_one(bool& more) {
  const int fd = socket_.native_handle();
  sockaddr_in6 from{};
  iovec iov{buffer_.data(), buffer_.size()};
  msghdr mh{};
  mh.msg_name = &from;
  mh.msg_namelen = sizeof from;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control_.data();
  mh.msg_controllen = control_.size();
  const ssize_t n = ::recvmsg(fd, &mh, MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EINTR) return;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // The kernel verifies the checksum inside recvmsg and discards a
      // failing datagram with EAGAIN; what is queued behind it is still there.
      more = readable_now(fd);
      return;
    }
    ++counters_.receive_errors;
    if (on_error_) on_error_(last_error(), "recvmsg");
    more = false;
    return;
  }
  if ((mh.msg_flags & MSG_TRUNC) != 0) return drop(counters_.truncated, std::errc::message_size, "datagram truncated");
  if ((mh.msg_flags & MSG_CTRUNC) != 0)
    return drop(counters_.control_truncated, std::errc::message_size, "control data truncated");
  Ip6Addr src;
  std::memcpy(src.b.data(), from.sin6_addr.s6_addr, 16);
  const wire::ByteSpan control(control_.data(), mh.msg_controllen);
  auto p = make_received_mh_packet(src, control, wire::ByteSpan(buffer_.data(), static_cast<std::size_t>(n)));
  if (!p) {
    const std::string detail = "from " + src.str() + ": " + wire::to_string(p.error());
    return drop(counters_.bad_cmsg, std::errc::bad_message, detail);
  }
  if (p->ifindex == 0) p->ifindex = static_cast<int>(from.sin6_scope_id);
  ++counters_.received;
  if (on_packet_) on_packet_(*p);
}

MhSocketCounters MhSocket::counters() const noexcept {
  MhSocketCounters c = counters_;
  std::array<std::uint32_t, SK_MEMINFO_VARS> mem{};
  socklen_t len = sizeof mem;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): native_handle() is not const in Asio
  auto& sock = const_cast<asio::generic::raw_protocol::socket&>(socket_);
  if (sock.is_open() && ::getsockopt(sock.native_handle(), SOL_SOCKET, SO_MEMINFO, mem.data(), &len) == 0 &&
      len >= sizeof(std::uint32_t) * (SK_MEMINFO_DROPS + 1))
    c.kernel_drops = mem[SK_MEMINFO_DROPS];
  return c;
}

void MhSocket::close() {
  boost::system::error_code ignored;
  if (socket_.is_open()) socket_.close(ignored);
  user_checksum_fd_.reset();
}

}  // namespace hmip::io
