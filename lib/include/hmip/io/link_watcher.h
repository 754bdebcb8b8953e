// Interfaces and their IPv6 addresses as the kernel reports them (rtnetlink
// through libnl-route-3's cache manager: RTNLGRP_LINK, RTNLGRP_IPV6_IFADDR),
// read on the io_context when the netlink socket is readable.
//
// The watcher keeps a snapshot of every link and, after each batch of kernel
// notifications, reports what changed as LinkChange values (diff_links).
// Tentative addresses (DAD still running, RFC 4862 §5.4) are reported with
// their flag: a link-local that is tentative must not be used as the source
// of a Router Advertisement yet (RFC 4861 §6.2.2 wants a usable link-local).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"

struct nl_cache_mngr;
struct nl_cache;

namespace hmip::io {

/// One IPv6 address on a link (RTM_NEWADDR, IFA_F_* flags).
struct LinkAddress {
  Ip6Addr addr;
  std::uint8_t prefix_len = 128;
  bool tentative = false;   ///< IFA_F_TENTATIVE: DAD not finished
  bool dadfailed = false;   ///< IFA_F_DADFAILED: a duplicate was found
  bool deprecated = false;  ///< IFA_F_DEPRECATED: preferred lifetime over
  bool optimistic = false;  ///< IFA_F_OPTIMISTIC (RFC 4429)
  [[nodiscard]] bool usable() const noexcept { return !tentative && !dadfailed; }
  friend auto operator<=>(const LinkAddress&, const LinkAddress&) = default;  // NOLINT(modernize-use-nullptr)
  friend bool operator==(const LinkAddress&, const LinkAddress&) = default;
};

/// One interface (RTM_NEWLINK) with its IPv6 addresses.
struct LinkInfo {
  int ifindex = 0;
  std::string name;
  bool up = false;         ///< IFF_UP: administratively up
  bool running = false;    ///< IFF_RUNNING: operationally up (carrier)
  bool multicast = false;  ///< IFF_MULTICAST
  bool loopback = false;   ///< IFF_LOOPBACK
  std::uint32_t mtu = 0;
  wire::Bytes mac;         ///< link-layer address (IFLA_ADDRESS), empty if none
  std::vector<LinkAddress> addresses;  ///< IPv6 only, sorted

  /// The first usable (not tentative, not DAD-failed) link-local address.
  [[nodiscard]] std::optional<Ip6Addr> usable_link_local() const;
  /// Whether this link can carry Router Advertisements now.
  [[nodiscard]] bool operational() const noexcept { return up && running; }
  friend bool operator==(const LinkInfo&, const LinkInfo&) = default;
};

using LinkTable = std::map<int, LinkInfo>;  ///< by ifindex

struct LinkChange {
  enum class Kind : std::uint8_t { added, changed, removed };
  Kind kind = Kind::added;
  LinkInfo link;  ///< the new state (the last known one for `removed`)
  friend bool operator==(const LinkChange&, const LinkChange&) = default;
};

/// What turns `before` into `after`: removals first, then additions and
/// changes, each in ifindex order. A link whose ifindex is kept but whose
/// name changed is reported as changed.
std::vector<LinkChange> diff_links(const LinkTable& before, const LinkTable& after);

/// "aa:bb:cc:dd:ee:ff" (lower-case hex, ':'-separated); "" for an empty address.
std::string format_mac(wire::ByteSpan mac);

class LinkWatcher {
 public:
  using ChangeHandler = std::function<void(const LinkChange&)>;
  using ErrorHandler = std::function<void(const std::string&)>;

  LinkWatcher(boost::asio::io_context& io, ChangeHandler on_change, ErrorHandler on_error);
  LinkWatcher(const LinkWatcher&) = delete;
  LinkWatcher& operator=(const LinkWatcher&) = delete;
  ~LinkWatcher();

  /// Subscribes, dumps the current links and addresses and reports each as
  /// `added`; then reports changes as they arrive. Throws std::system_error
  /// if netlink cannot be set up.
  void start();
  void stop();

  [[nodiscard]] const LinkTable& links() const noexcept { return links_; }
  /// The link named `name`, or nullptr.
  [[nodiscard]] const LinkInfo* find(const std::string& name) const;

 private:
  struct MngrDeleter {
    void operator()(nl_cache_mngr* m) const noexcept;
  };
  void open();
  void arm();
  void on_readable();
  void publish();
  [[nodiscard]] LinkTable snapshot() const;

  boost::asio::io_context& io_;
  ChangeHandler on_change_;
  ErrorHandler on_error_;
  std::unique_ptr<nl_cache_mngr, MngrDeleter> mngr_;
  nl_cache* link_cache_ = nullptr;  // owned by mngr_
  nl_cache* addr_cache_ = nullptr;  // owned by mngr_
  std::unique_ptr<boost::asio::posix::stream_descriptor> fd_;
  LinkTable links_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace hmip::io
