#include "hmip/io/link_watcher.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "hmip/io/fd.h"
#include "hmip/io/link_state.h"

namespace hmip::io {

namespace asio = boost::asio;

std::optional<Ip6Addr> LinkInfo::usable_link_local() const {
  for (const auto& a : addresses)
    if (a.addr.is_link_local() && a.usable()) return a.addr;
  return std::nullopt;
}

std::vector<LinkChange> diff_links(const LinkTable& before, const LinkTable& after) {
  std::vector<LinkChange> out;
  for (const auto& [idx, link] : before)
    if (!after.contains(idx)) out.push_back({LinkChange::Kind::removed, link});
  for (const auto& [idx, link] : after) {
    auto it = before.find(idx);
    if (it == before.end())
      out.push_back({LinkChange::Kind::added, link});
    else if (!(it->second == link))
      out.push_back({LinkChange::Kind::changed, link});
  }
  return out;
}

std::string format_mac(wire::ByteSpan mac) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < mac.size(); ++i) {
    if (i != 0) s += ':';
    s += kHex[mac[i] >> 4];
    s += kHex[mac[i] & 0x0f];
  }
  return s;
}

namespace {

std::system_error sys_error(const std::string& what) { return {std::error_code(errno, std::system_category()), what}; }

constexpr std::size_t kBufferSize = std::size_t{64} * 1024;  // larger than a dump part (NLMSG_GOODSIZE) and any notification
constexpr int kReceiveQueue = 1 << 20;          // bursts (many interfaces appearing at once)
constexpr int kDatagramsPerWakeup = 256;

// One dump request (RTM_GETLINK or RTM_GETADDR for `family`) answered into `state`.
// Returns false if the kernel marked the dump interrupted (to be retried).
bool dump_one(int fd, std::uint16_t type, std::uint8_t family, std::uint32_t seq, LinkState& state,
              std::vector<std::uint8_t>& buf) {
  struct {
    nlmsghdr h;
    ifinfomsg body;  // ifaddrmsg is smaller: family is the first octet of both
  } req{};
  req.h.nlmsg_len = NLMSG_LENGTH(type == RTM_GETLINK ? sizeof(ifinfomsg) : sizeof(ifaddrmsg));
  req.h.nlmsg_type = type;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.h.nlmsg_seq = seq;
  req.body.ifi_family = family;
  if (::send(fd, &req, req.h.nlmsg_len, 0) < 0) throw sys_error("netlink dump request");
  bool intact = true;
  for (;;) {
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw sys_error("netlink dump");
    }
    std::size_t off = 0;
    const auto len = static_cast<std::size_t>(n);
    while (off + NLMSG_HDRLEN <= len) {
      nlmsghdr h{};
      std::memcpy(&h, buf.data() + off, sizeof h);
      if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > len) break;
      const wire::ByteSpan msg(buf.data() + off, h.nlmsg_len);
      off += NLMSG_ALIGN(h.nlmsg_len);
      if (h.nlmsg_seq != seq) continue;
      if ((h.nlmsg_flags & NLM_F_DUMP_INTR) != 0) intact = false;
      if (h.nlmsg_type == NLMSG_DONE) return intact;
      if (h.nlmsg_type == NLMSG_ERROR) {
        nlmsgerr e{};
        if (msg.size() >= NLMSG_HDRLEN + sizeof e) std::memcpy(&e, msg.data() + NLMSG_HDRLEN, sizeof e);
        if (e.error == -EINTR || e.error == -EBUSY) return false;
        errno = e.error < 0 ? -e.error : EIO;
        throw sys_error("netlink dump");
      }
      bool malformed = false;
      (void)state.apply_message(msg, malformed);
    }
  }
}

}  // namespace

LinkState dump_links() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) throw sys_error("netlink socket");
  timeval tv{5, 0};
  (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<std::uint8_t> buf(kBufferSize);
  for (std::uint32_t attempt = 1;; ++attempt) {
    LinkState s;
    // Links first: an address is kept only for a known link.
    if (dump_one(fd.get(), RTM_GETLINK, AF_UNSPEC, 2 * attempt, s, buf) &&
        dump_one(fd.get(), RTM_GETADDR, AF_INET6, 2 * attempt + 1, s, buf))
      return s;
    if (attempt == 5) {
      errno = EAGAIN;
      throw sys_error("netlink dump interrupted 5 times");
    }
  }
}

LinkWatcher::LinkWatcher(asio::io_context& io, ChangeHandler on_change, ErrorHandler on_error)
    : io_(io),
      on_change_(std::move(on_change)),
      on_error_(std::move(on_error)),
      state_(std::make_unique<LinkState>()),
      buffer_(kBufferSize) {}

LinkWatcher::~LinkWatcher() {
  *alive_ = false;
  stop();
}

const LinkTable& LinkWatcher::links() const noexcept { return state_->links(); }

const LinkInfo* LinkWatcher::find(const std::string& name) const { return state_->find(name); }

const LinkInfo* LinkWatcher::find(int ifindex) const { return state_->find(ifindex); }

void LinkWatcher::open() {
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
  if (!fd) throw sys_error("netlink socket");
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveQueue, sizeof kReceiveQueue) != 0)
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &kReceiveQueue, sizeof kReceiveQueue);
  sockaddr_nl sa{};
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV6_IFADDR;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0)  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    throw sys_error("netlink subscribe");
  fd_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd.release());
}

void LinkWatcher::start() {
  open();  // subscribed before the dump: nothing that changes during it is missed
  resync();
  arm();
}

void LinkWatcher::stop() {
  if (fd_) {
    boost::system::error_code ignored;
    fd_->cancel(ignored);
    fd_->close(ignored);
    fd_.reset();
  }
}

bool LinkWatcher::emit(const std::vector<LinkChange>& changes) {
  std::weak_ptr<bool> alive = alive_;
  for (const auto& c : changes) {
    if (on_change_) on_change_(c);
    if (alive.expired() || !fd_) return false;
  }
  return true;
}

void LinkWatcher::resync() {
  // Notifications queued now are older than the dump: drop them. Those
  // that arrive during the dump are applied after it (the last word on
  // each object is the kernel's latest).
  if (fd_) {
    while (::recv(fd_->native_handle(), buffer_.data(), buffer_.size(), MSG_DONTWAIT) > 0 || errno == ENOBUFS) {
    }
  }
  LinkState fresh = dump_links();
  ++counters_.dumps;
  (void)emit(state_->replace(fresh));
}

void LinkWatcher::arm() {
  if (!fd_) return;
  std::weak_ptr<bool> alive = alive_;
  fd_->async_wait(asio::posix::descriptor_base::wait_read, [this, alive](const boost::system::error_code& ec) {
    if (alive.expired() || ec == asio::error::operation_aborted) return;
    if (ec) {
      if (on_error_) on_error_("netlink wait: " + ec.message());
      return;
    }
    read_more();
  });
}

void LinkWatcher::read_more() {
  std::weak_ptr<bool> alive = alive_;
  const bool more = read_budget();
  if (alive.expired() || !fd_) return;
  if (!more) {
    arm();
    return;
  }
  // Budget used up: the reactor is edge-triggered, so come back from a
  // posted handler, after what else is ready.
  asio::post(io_, [this, alive] {
    if (alive.expired() || !fd_) return;
    read_more();
  });
}

bool LinkWatcher::read_budget() {
  std::vector<LinkChange> changes;
  for (int i = 0; i < kDatagramsPerWakeup; ++i) {
    if (!fd_) return false;
    const ssize_t n = ::recv(fd_->native_handle(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
      if (errno == ENOBUFS) {
        // Notifications were lost: start over from a fresh dump.
        ++counters_.resyncs;
        if (on_error_) on_error_("netlink: notifications lost (ENOBUFS); resynchronising");
        try {
          resync();
        } catch (const std::system_error& e) {
          if (on_error_) on_error_(std::string("netlink resync: ") + e.what());
        }
        continue;
      }
      if (on_error_) on_error_("netlink receive: " + std::error_code(errno, std::system_category()).message());
      return false;
    }
    changes.clear();
    const wire::ByteSpan datagram(buffer_.data(), static_cast<std::size_t>(n));
    counters_.malformed += state_->apply_datagram(datagram, changes);
    ++counters_.messages;
    if (!emit(changes)) return false;
  }
  return true;
}

}  // namespace hmip::io
