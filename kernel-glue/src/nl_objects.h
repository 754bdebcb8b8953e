// The rtnetlink objects a binding is made of, as plain values, and the
// messages that add, replace and delete them (built with libnl-route-3,
// sent by NlBatch). A binding's kernel state is a list of these; an update
// is the difference between the current and the desired list (object_set.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "hmip/core/prefix.h"
#include "hmip/wire/addr.h"

struct nl_msg;
struct nl_sock;
struct nl_addr;

namespace hmip::kglue::detail {

struct NlMsgFree {
  void operator()(nl_msg* m) const noexcept;
};
/// An owned libnl message.
using NlMsgPtr = std::unique_ptr<nl_msg, NlMsgFree>;

inline constexpr std::uint32_t kMainTable = 254;  // RT_TABLE_MAIN

/// An IPv6 address on a link (RTM_NEWADDR). Key: (ifindex, addr).
struct AddrObj {
  int ifindex = 0;
  Ip6Addr addr;
  std::uint8_t prefix_len = 128;
  bool home = false;       ///< IFA_F_HOMEADDRESS (RFC 6275 §11.3.1 via the kernel's MIPv6 code)
  bool preferred = true;   ///< false: preferred_lft 0 (deprecated, not picked as source for new flows)
  // Always IFA_F_NODAD: tunnel addresses, and a home address at home (RFC
  // 6275 §11.5.5: the home agent defends it until the deregistration).
  friend bool operator==(const AddrObj&, const AddrObj&) = default;
};

/// The metric the kernel gives an IPv6 route added without one
/// (IP6_RT_PRIO_USER): every route is sent with its metric explicitly.
inline constexpr std::uint32_t kRouteMetricDefault = 1024;

/// An IPv6 unicast route (RTM_NEWROUTE) tagged with the daemon's protocol.
/// Key: (table, dst, metric): the kernel keeps routes to one destination
/// with different metrics side by side (Multiple CoA: one RCoA/128 per
/// binding, binding_layout.h), and NLM_F_REPLACE replaces the one with the
/// same metric; deletes name the metric and the device.
struct RouteObj {
  std::uint32_t table = kMainTable;
  Ip6Prefix dst;
  int oif = 0;
  Ip6Addr gateway;  ///< :: = on-link / device route
  Ip6Addr prefsrc;  ///< :: = none
  std::uint32_t metric = kRouteMetricDefault;  ///< RTA_PRIORITY
  friend bool operator==(const RouteObj&, const RouteObj&) = default;
};

/// An IPv6 policy-routing rule (RTM_NEWRULE) tagged with FRA_PROTOCOL. The
/// whole value is the key (rules are added and deleted, never replaced).
struct RuleObj {
  std::uint32_t priority = 0;
  Ip6Prefix src;                 ///< len 0 = from all
  std::uint32_t table = kMainTable;
  bool suppress_default = false;  ///< suppress_prefixlength 0
  Ip6Prefix dst;                 ///< len 0 = to all
  std::uint8_t ip_proto = 0;     ///< FRA_IP_PROTO (upper-layer protocol), 0 = any
  /// FRA_SPORT_RANGE / FRA_DPORT_RANGE (struct fib_rule_port_range, put by
  /// hand: libnl 3.7 has no setter); 0/0 = any. Need ip_proto tcp, udp,
  /// dccp or sctp (the kernel reads ports only for those).
  std::uint16_t sport_lo = 0, sport_hi = 0;
  std::uint16_t dport_lo = 0, dport_hi = 0;
  /// fib_rule_hdr tos (IPv6: the whole Traffic Class byte, ECN included,
  /// must equal it); 0 = any traffic class.
  std::uint8_t dsfield = 0;
  friend bool operator==(const RuleObj&, const RuleObj&) = default;
};

/// A proxy neighbour entry (RTM_NEWNEIGH, NTF_PROXY). Whole value is the key.
struct NeighObj {
  int ifindex = 0;
  Ip6Addr addr;
  friend bool operator==(const NeighObj&, const NeighObj&) = default;
};

using KObj = std::variant<AddrObj, RouteObj, RuleObj, NeighObj>;

/// Whether two objects name the same kernel object (so one replaces the
/// other rather than being added beside it).
bool same_key(const KObj& a, const KObj& b);
/// Whether the kernel can change the object in place (NLM_F_REPLACE):
/// addresses and routes; rules and proxy entries are added and deleted.
bool replaceable(const KObj& o);
/// "route 2001:db8::5/128 table 254 dev 7" etc., for errors and reports.
std::string describe(const KObj& o);

/// RTM_NEW* for `o` with NLM_F_CREATE (and NLM_F_REPLACE if `replace`),
/// routes and rules carrying `protocol`. nullptr if libnl cannot allocate.
NlMsgPtr build_add(const KObj& o, std::uint8_t protocol, bool replace);
/// RTM_DEL* for `o`.
NlMsgPtr build_delete(const KObj& o, std::uint8_t protocol);

/// An ip6ip6 tunnel (ip6tnl, proto IPPROTO_IPV6) that ignores the
/// encapsulation limit (IP6_TNL_F_IGN_ENCAP_LIMIT: 40 bytes of overhead,
/// no Tunnel Encapsulation Limit option).
struct TunnelObj {
  std::string name;
  Ip6Addr local, remote;
  int link = 0;            ///< underlying ifindex, 0 = any
  std::uint32_t mtu = 0;   ///< 0 = kernel default
  friend bool operator==(const TunnelObj&, const TunnelObj&) = default;
};
/// RTM_NEWLINK creating `t` (NLM_F_CREATE|NLM_F_EXCL), administratively
/// DOWN, in device group `group` (0: the default group, left unset). It is
/// brought up by build_link_up() after build_link_addr_gen_none(): an
/// IFLA_AF_SPEC in the create request is not applied by the kernel (6.1:
/// only do_setlink handles it), and once a device is up the kernel has
/// already given it a link-local address.
NlMsgPtr build_tunnel_add(const TunnelObj& t, std::uint32_t group = 0);
/// RTM_NEWLINK on `ifindex` with IFLA_AF_SPEC / AF_INET6 /
/// IFLA_INET6_ADDR_GEN_MODE = IN6_ADDR_GEN_MODE_NONE: the device gets no
/// link-local address when it comes up, hence no DAD, no MLD reports and no
/// Router Solicitations (issue 13 item 12; libnl 3.7's inet6 af setter
/// is not used: the attribute is appended to a bare link message).
NlMsgPtr build_link_addr_gen_none(int ifindex);
/// RTM_NEWLINK on `ifindex` setting IFF_UP.
NlMsgPtr build_link_up(int ifindex);
/// RTM_DELLINK of every device in device group `group` (one request, one
/// unregister_netdevice_many in the kernel: one round of RCU waits for all
/// of them instead of one per device). `group` must not be 0.
NlMsgPtr build_group_delete(std::uint32_t group);
/// RTM_NEWLINK without NLM_F_CREATE on `ifindex`: the kernel's changelink
/// updates local/remote/link/mtu in place (the device, its routes and
/// addresses stay). All tunnel parameters are sent: ip6tnl's changelink
/// zeroes the ones missing.
NlMsgPtr build_tunnel_change(const TunnelObj& t, int ifindex);
/// RTM_DELLINK of `ifindex` (name as well, for the error text).
NlMsgPtr build_link_delete(int ifindex, const std::string& name);

/// libnl address of `a`/`len` (AF_INET6); nullptr on allocation failure.
struct NlAddrFree {
  void operator()(nl_addr* a) const noexcept;
};
using NlAddrPtr = std::unique_ptr<nl_addr, NlAddrFree>;
NlAddrPtr nl_addr6(const Ip6Addr& a, int prefix_len = 128);

}  // namespace hmip::kglue::detail
