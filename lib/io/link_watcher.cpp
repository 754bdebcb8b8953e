#include "hmip/io/link_watcher.h"

#include <linux/if_addr.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

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

void LinkWatcher::MngrDeleter::operator()(nl_cache_mngr* m) const noexcept { nl_cache_mngr_free(m); }

LinkWatcher::LinkWatcher(asio::io_context& io, ChangeHandler on_change, ErrorHandler on_error)
    : io_(io), on_change_(std::move(on_change)), on_error_(std::move(on_error)) {}

LinkWatcher::~LinkWatcher() {
  *alive_ = false;
  stop();
}

namespace {

std::system_error nl_error(int err, const char* what) {
  return {std::make_error_code(std::errc::io_error), std::string(what) + ": " + nl_geterror(err)};
}

}  // namespace

void LinkWatcher::open() {
  nl_cache_mngr* m = nullptr;
  int err = nl_cache_mngr_alloc(nullptr, NETLINK_ROUTE, NL_AUTO_PROVIDE, &m);
  if (err < 0) throw nl_error(err, "netlink cache manager");
  mngr_.reset(m);
  if ((err = nl_cache_mngr_add(m, "route/link", nullptr, nullptr, &link_cache_)) < 0)
    throw nl_error(err, "netlink link cache");
  if ((err = nl_cache_mngr_add(m, "route/addr", nullptr, nullptr, &addr_cache_)) < 0)
    throw nl_error(err, "netlink address cache");
  const int fd = nl_cache_mngr_get_fd(m);
  // Bursts (many interfaces appearing at once) must not overrun the socket.
  const int rcvbuf = 1 << 20;
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  fd_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
}

void LinkWatcher::start() {
  open();
  publish();
  arm();
}

void LinkWatcher::stop() {
  if (fd_) {
    boost::system::error_code ignored;
    fd_->cancel(ignored);
    (void)fd_->release();  // the cache manager owns (and closes) the descriptor
    fd_.reset();
  }
  link_cache_ = nullptr;
  addr_cache_ = nullptr;
  mngr_.reset();
}

const LinkInfo* LinkWatcher::find(const std::string& name) const {
  for (const auto& [idx, link] : links_)
    if (link.name == name) return &link;
  return nullptr;
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
    on_readable();
  });
}

void LinkWatcher::on_readable() {
  const int err = nl_cache_mngr_data_ready(mngr_.get());
  if (err < 0) {
    // Typically ENOBUFS: notifications were lost. Start over from a fresh
    // dump; publish() reports the difference.
    if (on_error_) on_error_(std::string("netlink: ") + nl_geterror(err) + "; resynchronising");
    stop();
    try {
      open();
    } catch (const std::system_error& e) {
      if (on_error_) on_error_(e.what());
      return;
    }
  }
  publish();
  arm();
}

LinkTable LinkWatcher::snapshot() const {
  LinkTable t;
  if (link_cache_ == nullptr) return t;
  for (nl_object* o = nl_cache_get_first(link_cache_); o != nullptr; o = nl_cache_get_next(o)) {
    auto* l = reinterpret_cast<rtnl_link*>(o);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    // The kernel also sends per-family RTM_NEWLINKs (AF_INET6 from addrconf,
    // AF_BRIDGE); libnl keys its objects by (family, ifindex), so those are
    // separate, partial, and never deleted with the link: only the
    // AF_UNSPEC object is the link.
    if (rtnl_link_get_family(l) != AF_UNSPEC) continue;
    LinkInfo info;
    info.ifindex = rtnl_link_get_ifindex(l);
    if (info.ifindex <= 0) continue;
    const char* name = rtnl_link_get_name(l);
    info.name = name != nullptr ? name : "";
    const unsigned flags = rtnl_link_get_flags(l);
    info.up = (flags & IFF_UP) != 0;
    info.running = (flags & IFF_RUNNING) != 0;
    info.multicast = (flags & IFF_MULTICAST) != 0;
    info.loopback = (flags & IFF_LOOPBACK) != 0;
    info.mtu = rtnl_link_get_mtu(l);
    if (nl_addr* a = rtnl_link_get_addr(l); a != nullptr) {
      const auto* p = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(a));
      info.mac.assign(p, p + nl_addr_get_len(a));
      if (std::all_of(info.mac.begin(), info.mac.end(), [](std::uint8_t b) { return b == 0; })) info.mac.clear();
    }
    t.emplace(info.ifindex, std::move(info));
  }
  if (addr_cache_ == nullptr) return t;
  for (nl_object* o = nl_cache_get_first(addr_cache_); o != nullptr; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    if (rtnl_addr_get_family(a) != AF_INET6) continue;
    auto it = t.find(rtnl_addr_get_ifindex(a));
    if (it == t.end()) continue;
    nl_addr* local = rtnl_addr_get_local(a);
    if (local == nullptr || nl_addr_get_len(local) != 16) continue;
    LinkAddress la;
    std::memcpy(la.addr.b.data(), nl_addr_get_binary_addr(local), 16);
    la.prefix_len = static_cast<std::uint8_t>(rtnl_addr_get_prefixlen(a));
    const unsigned f = rtnl_addr_get_flags(a);
    la.tentative = (f & IFA_F_TENTATIVE) != 0;
    la.dadfailed = (f & IFA_F_DADFAILED) != 0;
    la.deprecated = (f & IFA_F_DEPRECATED) != 0;
    la.optimistic = (f & IFA_F_OPTIMISTIC) != 0;
    it->second.addresses.push_back(la);
  }
  for (auto& [idx, link] : t) std::sort(link.addresses.begin(), link.addresses.end());
  return t;
}

void LinkWatcher::publish() {
  LinkTable now = snapshot();
  const auto changes = diff_links(links_, now);
  links_ = std::move(now);
  std::weak_ptr<bool> alive = alive_;
  for (const auto& c : changes) {
    if (on_change_) on_change_(c);
    if (alive.expired()) return;
  }
}

}  // namespace hmip::io
