// Which ip6tnl devices exist and how many bindings use each (issue 13 item
// 4). The kernel refuses a second ip6tnl whose (local, remote, link) equal
// an existing one's, with EEXIST like a name clash: two RCoAs bound through
// one LCoA (a node back with a new RCoA while its old binding lives, several
// RCoAs of one node) cannot each have their own device. So a binding's
// tunnel is shared: one device per (local, remote, link), several bindings'
// routes (MAP) or addresses (MN) in it, counted here; the device goes when
// its last user leaves.
//
// A binding whose tunnel endpoints change (a move to a new LCoA) is planned
// by plan_move(): changed in place if it is the tunnel's only user and no
// tunnel with the new endpoints exists (the device, its ifindex and routes
// stay: no loss window), joins the existing tunnel with the new endpoints,
// or gets a new tunnel; in the last two cases it leaves the old one.
// Pure bookkeeping: NetlinkDataplane does the kernel work.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <tuple>

#include "nl_objects.h"

namespace hmip::kglue::detail {

/// What makes two ip6tnl devices the same to the kernel.
struct TunnelKey {
  Ip6Addr local, remote;
  int link = 0;
  friend auto operator<=>(const TunnelKey&, const TunnelKey&) = default;  // NOLINT(modernize-use-nullptr): see addr.h
};
inline TunnelKey tunnel_key(const TunnelObj& t) { return TunnelKey{t.local, t.remote, t.link}; }

class TunnelPool {
 public:
  struct Entry {
    TunnelObj obj;  ///< as created (or last changed): name, endpoints, mtu
    int ifindex = 0;
    std::size_t users = 0;
  };
  enum class Move {
    same,      ///< endpoints unchanged
    in_place,  ///< only user, nothing at the new endpoints: change the device
    join,      ///< a tunnel with the new endpoints exists: use it, leave the old
    create,    ///< the old one is shared: a new tunnel, leave the old
  };

  [[nodiscard]] const Entry* find(const TunnelKey& k) const;
  /// A new device with `users` users (0: a device still in the kernel that
  /// no binding uses, e.g. one whose delete failed: tracked so that flush
  /// removes it and a binding to the same endpoints joins it).
  const Entry& insert(const TunnelObj& t, int ifindex, std::size_t users = 1);
  /// One more user of an existing tunnel; nullptr if there is none.
  const Entry* add_user(const TunnelKey& k);
  /// One user less. Returns the entry when that was its last user (it is
  /// gone from the pool: the caller deletes the device); nullopt otherwise.
  std::optional<Entry> drop_user(const TunnelKey& k);
  [[nodiscard]] Move plan_move(const TunnelKey& from, const TunnelKey& to) const;
  /// After an in-place change: the entry of `from` now has `t`'s endpoints.
  void rekey(const TunnelKey& from, const TunnelObj& t);
  /// A changed device (same endpoints, e.g. the MTU).
  void update(const TunnelObj& t);
  [[nodiscard]] std::size_t size() const { return tunnels_.size(); }
  [[nodiscard]] const std::map<TunnelKey, Entry>& all() const { return tunnels_; }
  void clear() { tunnels_.clear(); }

 private:
  std::map<TunnelKey, Entry> tunnels_;
};

}  // namespace hmip::kglue::detail
