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
#include "hmip/wire/mh.h"

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

// The MH Type octet (RFC 6275 §6.1.1).
constexpr std::uint32_t kMhTypeOffset = 2;

std::size_t round_up(std::size_t n, std::size_t to) { return (n + to - 1) / to * to; }

}  // namespace

std::vector<BpfInsn> mh_type_filter(const MhTypeFilter& f, std::uint32_t max_length) {
  //   0      ld len
  //   1      jgt max_length -> the "ret 0" below
  //   2      ldb [2]                      (MH Type; too short: the filter returns 0)
  //   3+i    jeq types[i] -> matched      (i < n)
  //   3+n    not matched: ret (allow list ? 0 : all)
  //   4+n    matched:     ret (allow list ? all : 0)
  // Every jump is forward and shorter than 256 instructions.
  constexpr std::uint32_t kAll = 0xffffffffU;
  const std::size_t n = std::min<std::size_t>(f.types.size(), 250);
  std::vector<BpfInsn> p;
  p.push_back({BPF_LD | BPF_W | BPF_LEN, 0, 0, 0});
  p.push_back({BPF_JMP | BPF_JGT | BPF_K, static_cast<std::uint8_t>(f.allow_list ? n + 1 : n + 2), 0, max_length});
  p.push_back({BPF_LD | BPF_B | BPF_ABS, 0, 0, kMhTypeOffset});
  for (std::size_t i = 0; i < n; ++i)
    p.push_back({BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint8_t>(n - i), 0, f.types[i]});
  p.push_back({BPF_RET | BPF_K, 0, 0, f.allow_list ? 0 : kAll});
  p.push_back({BPF_RET | BPF_K, 0, 0, f.allow_list ? kAll : 0});
  return p;
}

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
      buffer_size_(std::max<std::size_t>(opts.receive_buffer, 1280)),
      control_size_(round_up(std::max<std::size_t>(opts.control_buffer, 512), alignof(std::max_align_t))),
      batch_(std::clamp<std::size_t>(opts.batch, 1, 1024)),
      max_per_wakeup_(std::max<std::size_t>(opts.max_per_wakeup, 1)),
      buffers_(batch_ * buffer_size_),
      controls_(batch_ * control_size_) {
  boost::system::error_code ec;
  socket_.open(asio::generic::raw_protocol(AF_INET6, IPPROTO_MH), ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) throw std::system_error(std::error_code(ec.value(), std::system_category()), "raw MH socket");
  const int fd = socket_.native_handle();
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "setsockopt IPV6_RECVPKTINFO");
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "setsockopt IPV6_RECVHOPLIMIT");
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVDSTOPTS, 1, "setsockopt IPV6_RECVDSTOPTS");
  set_int_option(fd, IPPROTO_IPV6, IPV6_RECVRTHDR, 1, "setsockopt IPV6_RECVRTHDR");
  if (opts.type_filter) {
    const auto insns = mh_type_filter(*opts.type_filter, static_cast<std::uint32_t>(wire::kMhMaxLength));
    std::vector<sock_filter> code;
    code.reserve(insns.size());
    for (const auto& i : insns) code.push_back({i.code, i.jt, i.jf, i.k});
    sock_fprog prog{static_cast<unsigned short>(code.size()), code.data()};
    if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
      throw std::system_error(last_error(), "setsockopt SO_ATTACH_FILTER");
  }
  if (opts.socket_receive_buffer > 0) {
    // FORCE needs CAP_NET_ADMIN (mapd has it); without, the kernel caps at rmem_max.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &opts.socket_receive_buffer, sizeof(int)) != 0)
      set_int_option(fd, SOL_SOCKET, SO_RCVBUF, opts.socket_receive_buffer, "setsockopt SO_RCVBUF");
  }
  int granted = 0;
  socklen_t len = sizeof granted;
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &len) == 0 && granted > 0)
    counters_.socket_receive_buffer = static_cast<std::uint64_t>(granted);
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
      arm();
      return;
    }
    read_more();
  });
}

void MhSocket::drop(std::uint64_t& counter, std::errc ec, std::string_view detail) {
  ++counter;
  if (on_error_) on_error_(std::make_error_code(ec), detail);
}

void MhSocket::read_more() {
  if (!read_budget()) {
    arm();
    return;
  }
  // Budget used up with datagrams possibly still queued. Asio's epoll
  // reactor is edge-triggered and async_wait() is not speculative, so a
  // wait would not wake up for them: come back from a posted handler, after
  // the handlers already ready (timers, netlink, control) had their turn.
  ++counters_.yields;
  asio::post(socket_.get_executor(), [this, alive = std::weak_ptr<bool>(alive_)] {
    if (alive.expired() || !socket_.is_open()) return;
    read_more();
  });
}

bool MhSocket::read_budget() {
  std::size_t delivered = 0;
  while (delivered < max_per_wakeup_) {
    if (!socket_.is_open()) return false;
    if (!read_batch(std::min(batch_, max_per_wakeup_ - delivered), delivered)) return false;
  }
  return socket_.is_open();
}

bool MhSocket::read_batch(std::size_t want, std::size_t& delivered) {
  const int fd = socket_.native_handle();
  std::vector<sockaddr_in6> from(want);
  std::vector<iovec> iov(want);
  std::vector<mmsghdr> msgs(want);
  for (std::size_t i = 0; i < want; ++i) {
    iov[i] = {buffers_.data() + i * buffer_size_, buffer_size_};
    msghdr& h = msgs[i].msg_hdr;
    h.msg_name = &from[i];
    h.msg_namelen = sizeof(sockaddr_in6);
    h.msg_iov = &iov[i];
    h.msg_iovlen = 1;
    h.msg_control = controls_.data() + i * control_size_;
    h.msg_controllen = control_size_;
  }
  const int n = ::recvmmsg(fd, msgs.data(), static_cast<unsigned>(want), MSG_DONTWAIT, nullptr);
  if (n < 0) {
    if (errno == EINTR) return true;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // The kernel verifies the checksum inside recvmsg and discards a
      // failing datagram with EAGAIN; what is queued behind it is still there.
      return readable_now(fd);
    }
    ++counters_.receive_errors;
    if (on_error_) on_error_(last_error(), "recvmmsg");
    return false;
  }
  ++counters_.read_calls;
  for (int i = 0; i < n && socket_.is_open(); ++i) {
    ++delivered;
    const msghdr& h = msgs[static_cast<std::size_t>(i)].msg_hdr;
    const std::size_t len = msgs[static_cast<std::size_t>(i)].msg_len;
    if ((h.msg_flags & MSG_TRUNC) != 0) {
      drop(counters_.truncated, std::errc::message_size, "datagram truncated");
      continue;
    }
    if ((h.msg_flags & MSG_CTRUNC) != 0) {
      drop(counters_.control_truncated, std::errc::message_size, "control data truncated");
      continue;
    }
    const sockaddr_in6& f = from[static_cast<std::size_t>(i)];
    Ip6Addr src;
    std::memcpy(src.b.data(), f.sin6_addr.s6_addr, 16);
    const auto idx = static_cast<std::size_t>(i);
    const wire::ByteSpan control(controls_.data() + idx * control_size_, h.msg_controllen);
    auto p = make_received_mh_packet(src, control, wire::ByteSpan(buffers_.data() + idx * buffer_size_, len));
    if (!p) {
      const std::string detail = "from " + src.str() + ": " + wire::to_string(p.error());
      drop(counters_.bad_cmsg, std::errc::bad_message, detail);
      continue;
    }
    if (p->ifindex == 0) p->ifindex = static_cast<int>(f.sin6_scope_id);
    ++counters_.received;
    if (on_packet_) on_packet_(*p);
  }
  // A short batch: the queue is probably empty (or a datagram whose
  // checksum failed ended it); the next call finds out.
  return socket_.is_open();
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
  alive_ = std::make_shared<bool>(true);  // continuations posted before see theirs expired
  boost::system::error_code ignored;
  if (socket_.is_open()) socket_.close(ignored);
  user_checksum_fd_.reset();
}

}  // namespace hmip::io
