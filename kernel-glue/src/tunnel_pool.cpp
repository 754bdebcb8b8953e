#include "tunnel_pool.h"

namespace hmip::kglue::detail {

const TunnelPool::Entry* TunnelPool::find(const TunnelKey& k) const {
  auto it = tunnels_.find(k);
  return it == tunnels_.end() ? nullptr : &it->second;
}

const TunnelPool::Entry& TunnelPool::insert(const TunnelObj& t, int ifindex, std::size_t users) {
  Entry& e = tunnels_[tunnel_key(t)];
  e = Entry{t, ifindex, users};
  return e;
}

const TunnelPool::Entry* TunnelPool::add_user(const TunnelKey& k) {
  auto it = tunnels_.find(k);
  if (it == tunnels_.end()) return nullptr;
  ++it->second.users;
  return &it->second;
}

std::optional<TunnelPool::Entry> TunnelPool::drop_user(const TunnelKey& k) {
  auto it = tunnels_.find(k);
  if (it == tunnels_.end()) return std::nullopt;
  if (it->second.users > 1) {
    --it->second.users;
    return std::nullopt;
  }
  Entry last = it->second;
  last.users = 0;
  tunnels_.erase(it);
  return last;
}

TunnelPool::Move TunnelPool::plan_move(const TunnelKey& from, const TunnelKey& to) const {
  if (from == to) return Move::same;
  if (tunnels_.count(to) != 0) return Move::join;
  auto it = tunnels_.find(from);
  if (it != tunnels_.end() && it->second.users == 1) return Move::in_place;
  return Move::create;
}

void TunnelPool::rekey(const TunnelKey& from, const TunnelObj& t) {
  auto node = tunnels_.extract(from);
  if (node.empty()) return;
  node.key() = tunnel_key(t);
  node.mapped().obj = t;
  tunnels_.insert(std::move(node));
}

void TunnelPool::update(const TunnelObj& t) {
  auto it = tunnels_.find(tunnel_key(t));
  if (it != tunnels_.end()) it->second.obj = t;
}

}  // namespace hmip::kglue::detail
