// rtnetlink messages built by hand, as the kernel sends them, for the
// LinkState tests and the link-state benchmark.
#pragma once

#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"

namespace nltest {

inline void put_attr(hmip::wire::Bytes& m, std::uint16_t type, const void* data, std::size_t len) {
  rtattr a{};
  a.rta_len = static_cast<std::uint16_t>(RTA_LENGTH(len));
  a.rta_type = type;
  hmip::wire::Bytes attr(RTA_SPACE(len), 0);
  std::memcpy(attr.data(), &a, sizeof a);
  if (len != 0) std::memcpy(attr.data() + RTA_LENGTH(0), data, len);
  m.insert(m.end(), attr.begin(), attr.end());
}

inline hmip::wire::Bytes finish(hmip::wire::Bytes m, std::uint16_t type) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<std::uint32_t>(m.size());
  h.nlmsg_type = type;
  std::memcpy(m.data(), &h, sizeof h);
  return m;
}

struct LinkMsg {
  std::uint16_t type = RTM_NEWLINK;
  int ifindex = 2;
  std::uint8_t family = AF_UNSPEC;
  unsigned flags = IFF_UP | IFF_RUNNING | IFF_MULTICAST;
  std::string name = "eth0";
  std::uint32_t mtu = 1500;
  hmip::wire::Bytes mac{0x02, 0, 0, 0, 0, 0x01};
};

inline hmip::wire::Bytes link_msg(const LinkMsg& l) {
  hmip::wire::Bytes m(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifinfomsg)), 0);
  ifinfomsg ifi{};
  ifi.ifi_family = l.family;
  ifi.ifi_index = l.ifindex;
  ifi.ifi_flags = l.flags;
  std::memcpy(m.data() + NLMSG_HDRLEN, &ifi, sizeof ifi);
  put_attr(m, IFLA_IFNAME, l.name.c_str(), l.name.size() + 1);
  put_attr(m, IFLA_MTU, &l.mtu, 4);
  if (!l.mac.empty()) put_attr(m, IFLA_ADDRESS, l.mac.data(), l.mac.size());
  return finish(std::move(m), l.type);
}

struct AddrMsg {
  std::uint16_t type = RTM_NEWADDR;
  int ifindex = 2;
  std::uint8_t family = AF_INET6;
  std::uint8_t prefix_len = 64;
  std::uint8_t ifa_flags = 0;
  std::optional<std::uint32_t> flags_attr{};  ///< IFA_FLAGS
  hmip::Ip6Addr addr = hmip::Ip6Addr::must("fe80::1");
};

inline hmip::wire::Bytes addr_msg(const AddrMsg& a) {
  hmip::wire::Bytes m(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(ifaddrmsg)), 0);
  ifaddrmsg ifa{};
  ifa.ifa_family = a.family;
  ifa.ifa_prefixlen = a.prefix_len;
  ifa.ifa_flags = a.ifa_flags;
  ifa.ifa_index = static_cast<std::uint32_t>(a.ifindex);
  std::memcpy(m.data() + NLMSG_HDRLEN, &ifa, sizeof ifa);
  if (a.family == AF_INET6)
    put_attr(m, IFA_ADDRESS, a.addr.b.data(), 16);
  else
    put_attr(m, IFA_ADDRESS, a.addr.b.data(), 4);
  if (a.flags_attr) put_attr(m, IFA_FLAGS, &*a.flags_attr, 4);
  return finish(std::move(m), a.type);
}

}  // namespace nltest
