// The links and IPv6 addresses a LinkWatcher keeps, updated incrementally
// from rtnetlink messages (issue 13 item 10): each RTM_NEWLINK, RTM_DELLINK,
// RTM_NEWADDR and RTM_DELADDR is applied to a table indexed by ifindex and
// by name, and yields the one LinkChange it made (if any). Work per message:
// O(log N) in the number of links plus O(k) in that link's addresses; a
// lookup by name is O(1). Pure (no sockets): unit-tested by feeding
// messages; LinkWatcher feeds it from the netlink socket.
//
// Which messages count: only AF_UNSPEC link messages are the link; the
// kernel also sends per-family RTM_NEWLINK/RTM_DELLINK (AF_INET6 from
// addrconf, AF_BRIDGE for bridge ports) that are partial, and a bridge
// port's AF_BRIDGE RTM_DELLINK does not delete the interface: those are
// ignored. Addresses: IPv6 only; IFA_LOCAL if present, else IFA_ADDRESS;
// flags from IFA_FLAGS when present (it holds the flags above 8 bits),
// else ifa_flags. An address for a link not known (yet) is ignored: the
// kernel announces a link before its addresses.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "hmip/io/link_watcher.h"
#include "hmip/wire/bytes.h"

namespace hmip::io {

class LinkState {
 public:
  /// Applies every netlink message in `buffer` (one datagram as recv()
  /// returned it: messages aligned to 4 octets); appends the changes to
  /// `out`. Messages other than the four above (NLMSG_DONE, NLMSG_ERROR,
  /// ...) and malformed ones are skipped; returns the number skipped as
  /// malformed.
  std::size_t apply_datagram(wire::ByteSpan buffer, std::vector<LinkChange>& out);
  /// One message (header included).
  std::optional<LinkChange> apply_message(wire::ByteSpan msg, bool& malformed);

  /// A link's own fields (its `addresses` are ignored: the known ones stay).
  std::optional<LinkChange> update_link(const LinkInfo& fields);
  std::optional<LinkChange> remove_link(int ifindex);
  /// Adds or replaces (same address and prefix length) one address.
  std::optional<LinkChange> update_address(int ifindex, const LinkAddress& a);
  std::optional<LinkChange> remove_address(int ifindex, const LinkAddress& a);

  /// Replaces the whole table (after a full dump); returns what changed
  /// (diff_links order).
  std::vector<LinkChange> replace(const LinkState& fresh);

  [[nodiscard]] const LinkTable& links() const noexcept { return links_; }
  [[nodiscard]] const LinkInfo* find(const std::string& name) const;
  [[nodiscard]] const LinkInfo* find(int ifindex) const;

 private:
  LinkTable links_;
  std::unordered_map<std::string, int> by_name_;
};

/// A full dump of the links and their IPv6 addresses over a fresh
/// rtnetlink socket (blocking, 5 s timeout), retried when the kernel marks
/// it interrupted (NLM_F_DUMP_INTR). Throws std::system_error.
LinkState dump_links();

}  // namespace hmip::io
