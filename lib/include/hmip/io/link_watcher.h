// Interfaces and their IPv6 addresses as the kernel reports them (rtnetlink:
// RTNLGRP_LINK, RTNLGRP_IPV6_IFADDR), read on the io_context when the
// netlink socket is readable.
//
// Incremental (issue 13 item 10): one full dump (RTM_GETLINK, then
// RTM_GETADDR for AF_INET6) at start and after the kernel reports lost
// notifications (ENOBUFS: resync, reported as the diff_links of the old and
// new tables); otherwise each RTM_NEWLINK / RTM_DELLINK / RTM_NEWADDR /
// RTM_DELADDR is applied to a table indexed by ifindex and by name
// (LinkState, link_state.h) and reported at once as the LinkChange it made.
// A notification costs O(log N), not a re-read of every link; find() by
// name is O(1).
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

namespace hmip::io {

class LinkState;

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

struct LinkWatcherCounters {
  std::uint64_t messages = 0;   ///< notification datagrams read
  std::uint64_t malformed = 0;  ///< notifications that could not be parsed (skipped)
  std::uint64_t dumps = 0;      ///< full dumps: 1 at start, +1 per resync
  std::uint64_t resyncs = 0;    ///< lost notifications (ENOBUFS) made a fresh dump necessary
};

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
  /// if netlink cannot be set up or the dump fails.
  void start();
  void stop();

  [[nodiscard]] const LinkTable& links() const noexcept;
  /// The link named `name`, or nullptr.
  [[nodiscard]] const LinkInfo* find(const std::string& name) const;
  /// The link with `ifindex`, or nullptr.
  [[nodiscard]] const LinkInfo* find(int ifindex) const;
  [[nodiscard]] const LinkWatcherCounters& counters() const noexcept { return counters_; }

 private:
  void open();
  void resync();
  void arm();
  void read_more();
  /// Reads up to a budget of datagrams; true if the budget ran out.
  bool read_budget();
  /// Reports `changes` in order; false if the watcher went away meanwhile.
  bool emit(const std::vector<LinkChange>& changes);

  boost::asio::io_context& io_;
  ChangeHandler on_change_;
  ErrorHandler on_error_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> fd_;
  std::unique_ptr<LinkState> state_;
  std::vector<std::uint8_t> buffer_;
  LinkWatcherCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};


}  // namespace hmip::io
