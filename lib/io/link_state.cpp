#include "hmip/io/link_state.h"

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace hmip::io {

namespace {

constexpr std::size_t align4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

template <class T>
bool read_struct(wire::ByteSpan b, std::size_t off, T& out) {
  if (b.size() < off + sizeof(T)) return false;
  std::memcpy(&out, b.data() + off, sizeof(T));
  return true;
}

// Calls f(type, payload) for each attribute in `b`; false if malformed.
template <class F>
bool for_each_attr(wire::ByteSpan b, F&& f) {
  std::size_t off = 0;
  while (off + sizeof(rtattr) <= b.size()) {
    rtattr a{};
    std::memcpy(&a, b.data() + off, sizeof a);
    if (a.rta_len < sizeof(rtattr) || off + a.rta_len > b.size()) return false;
    f(static_cast<unsigned>(a.rta_type & NLA_TYPE_MASK), b.subspan(off + sizeof(rtattr), a.rta_len - sizeof(rtattr)));
    off += align4(a.rta_len);
  }
  return true;
}

// Everything but the addresses.
bool same_fields(const LinkInfo& a, const LinkInfo& b) {
  return a.ifindex == b.ifindex && a.name == b.name && a.up == b.up && a.running == b.running &&
         a.multicast == b.multicast && a.loopback == b.loopback && a.mtu == b.mtu && a.mac == b.mac;
}

std::optional<LinkChange> changed(LinkChange::Kind k, const LinkInfo& l) { return LinkChange{k, l}; }

}  // namespace

const LinkInfo* LinkState::find(const std::string& name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : find(it->second);
}

const LinkInfo* LinkState::find(int ifindex) const {
  const auto it = links_.find(ifindex);
  return it == links_.end() ? nullptr : &it->second;
}

std::optional<LinkChange> LinkState::update_link(const LinkInfo& fields) {
  if (fields.ifindex <= 0) return std::nullopt;
  auto [it, fresh] = links_.try_emplace(fields.ifindex);
  LinkInfo& l = it->second;
  if (!fresh && same_fields(l, fields)) return std::nullopt;
  if (!fresh && l.name != fields.name) {
    if (auto n = by_name_.find(l.name); n != by_name_.end() && n->second == l.ifindex) by_name_.erase(n);
  }
  l.ifindex = fields.ifindex;
  l.name = fields.name;
  l.up = fields.up;
  l.running = fields.running;
  l.multicast = fields.multicast;
  l.loopback = fields.loopback;
  l.mtu = fields.mtu;
  l.mac = fields.mac;
  by_name_[l.name] = l.ifindex;
  return changed(fresh ? LinkChange::Kind::added : LinkChange::Kind::changed, l);
}

std::optional<LinkChange> LinkState::remove_link(int ifindex) {
  const auto it = links_.find(ifindex);
  if (it == links_.end()) return std::nullopt;
  LinkChange c{LinkChange::Kind::removed, std::move(it->second)};
  links_.erase(it);
  if (auto n = by_name_.find(c.link.name); n != by_name_.end() && n->second == ifindex) by_name_.erase(n);
  return c;
}

std::optional<LinkChange> LinkState::update_address(int ifindex, const LinkAddress& a) {
  const auto it = links_.find(ifindex);
  if (it == links_.end()) return std::nullopt;
  auto& v = it->second.addresses;
  const auto same = std::find_if(v.begin(), v.end(), [&](const LinkAddress& x) {
    return x.addr == a.addr && x.prefix_len == a.prefix_len;
  });
  if (same != v.end()) {
    if (*same == a) return std::nullopt;
    v.erase(same);
  }
  v.insert(std::upper_bound(v.begin(), v.end(), a), a);
  return changed(LinkChange::Kind::changed, it->second);
}

std::optional<LinkChange> LinkState::remove_address(int ifindex, const LinkAddress& a) {
  const auto it = links_.find(ifindex);
  if (it == links_.end()) return std::nullopt;
  auto& v = it->second.addresses;
  const auto same = std::find_if(v.begin(), v.end(), [&](const LinkAddress& x) {
    return x.addr == a.addr && x.prefix_len == a.prefix_len;
  });
  if (same == v.end()) return std::nullopt;
  v.erase(same);
  return changed(LinkChange::Kind::changed, it->second);
}

std::vector<LinkChange> LinkState::replace(const LinkState& fresh) {
  auto out = diff_links(links_, fresh.links_);
  links_ = fresh.links_;
  by_name_ = fresh.by_name_;
  return out;
}

std::optional<LinkChange> LinkState::apply_message(wire::ByteSpan msg, bool& malformed) {
  malformed = false;
  nlmsghdr h{};
  if (!read_struct(msg, 0, h) || h.nlmsg_len < sizeof h || h.nlmsg_len > msg.size()) {
    malformed = true;
    return std::nullopt;
  }
  const wire::ByteSpan body = msg.subspan(NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN);
  switch (h.nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      ifinfomsg ifi{};
      if (!read_struct(body, 0, ifi)) {
        malformed = true;
        return std::nullopt;
      }
      if (ifi.ifi_family != AF_UNSPEC || ifi.ifi_index <= 0) return std::nullopt;
      if (h.nlmsg_type == RTM_DELLINK) return remove_link(ifi.ifi_index);
      LinkInfo l;
      l.ifindex = ifi.ifi_index;
      l.up = (ifi.ifi_flags & IFF_UP) != 0;
      l.running = (ifi.ifi_flags & IFF_RUNNING) != 0;
      l.multicast = (ifi.ifi_flags & IFF_MULTICAST) != 0;
      l.loopback = (ifi.ifi_flags & IFF_LOOPBACK) != 0;
      const auto attr = [&](unsigned type, wire::ByteSpan v) {
        if (type == IFLA_IFNAME) {
          const auto nul = std::find(v.begin(), v.end(), std::uint8_t{0});
          l.name.assign(v.begin(), nul);
        } else if (type == IFLA_MTU && v.size() >= 4) {
          std::memcpy(&l.mtu, v.data(), 4);
        } else if (type == IFLA_ADDRESS) {
          l.mac.assign(v.begin(), v.end());
        }
      };
      const bool ok = for_each_attr(body.subspan(std::min(body.size(), NLMSG_ALIGN(sizeof ifi))), attr);
      if (!ok) {
        malformed = true;
        return std::nullopt;
      }
      if (std::all_of(l.mac.begin(), l.mac.end(), [](std::uint8_t b) { return b == 0; })) l.mac.clear();
      return update_link(l);
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      ifaddrmsg ifa{};
      if (!read_struct(body, 0, ifa)) {
        malformed = true;
        return std::nullopt;
      }
      if (ifa.ifa_family != AF_INET6) return std::nullopt;
      std::optional<Ip6Addr> address;
      std::optional<Ip6Addr> local;
      std::uint32_t flags = ifa.ifa_flags;
      const auto attr = [&](unsigned type, wire::ByteSpan v) {
        if ((type == IFA_ADDRESS || type == IFA_LOCAL) && v.size() == 16) {
          Ip6Addr a;
          std::memcpy(a.b.data(), v.data(), 16);
          (type == IFA_LOCAL ? local : address) = a;
        } else if (type == IFA_FLAGS && v.size() >= 4) {
          std::memcpy(&flags, v.data(), 4);
        }
      };
      const bool ok = for_each_attr(body.subspan(std::min(body.size(), NLMSG_ALIGN(sizeof ifa))), attr);
      if (!ok) {
        malformed = true;
        return std::nullopt;
      }
      const auto addr = local ? local : address;
      if (!addr) {
        malformed = true;
        return std::nullopt;
      }
      LinkAddress la;
      la.addr = *addr;
      la.prefix_len = ifa.ifa_prefixlen;
      la.tentative = (flags & IFA_F_TENTATIVE) != 0;
      la.dadfailed = (flags & IFA_F_DADFAILED) != 0;
      la.deprecated = (flags & IFA_F_DEPRECATED) != 0;
      la.optimistic = (flags & IFA_F_OPTIMISTIC) != 0;
      const int idx = static_cast<int>(ifa.ifa_index);
      return h.nlmsg_type == RTM_DELADDR ? remove_address(idx, la) : update_address(idx, la);
    }
    default: return std::nullopt;
  }
}

std::size_t LinkState::apply_datagram(wire::ByteSpan buffer, std::vector<LinkChange>& out) {
  std::size_t bad = 0;
  std::size_t off = 0;
  while (off + NLMSG_HDRLEN <= buffer.size()) {
    nlmsghdr h{};
    std::memcpy(&h, buffer.data() + off, sizeof h);
    if (h.nlmsg_len < NLMSG_HDRLEN || off + h.nlmsg_len > buffer.size()) return bad + 1;  // the rest is unreadable
    bool malformed = false;
    if (auto c = apply_message(buffer.subspan(off, h.nlmsg_len), malformed)) out.push_back(std::move(*c));
    if (malformed) ++bad;
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  return bad;
}

}  // namespace hmip::io
