#include "hmip/io/nd_dad.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "hmip/wire/checksum.h"
#include "hmip/wire/ipv6.h"
#include "hmip/wire/nd.h"
#include "hmip/wire/options.h"

namespace hmip::io {

namespace {

using wire::Errc;
using wire::Error;

std::error_code last_error() { return {errno, std::system_category()}; }

bool bad_nd_target(const Ip6Addr& a) noexcept { return a.is_multicast() || a.is_unspecified() || a.is_loopback(); }

// ff02::1:ff00:0/104 (RFC 4291 §2.7.1).
bool is_solicited_node(const Ip6Addr& a) noexcept {
  static constexpr std::array<std::uint8_t, 13> kPrefix{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  return std::equal(kPrefix.begin(), kPrefix.end(), a.b.begin());
}

std::string about(const char* what, const Icmpv6Packet& p) {
  return std::string(what) + " from " + p.src.str() + " on " + std::to_string(p.ifindex);
}

}  // namespace

Ip6Addr solicited_node_multicast(const Ip6Addr& addr) noexcept {
  Ip6Addr g = Ip6Addr::must("ff02::1:ff00:0");
  g.b[13] = addr.b[13];
  g.b[14] = addr.b[14];
  g.b[15] = addr.b[15];
  return g;
}

Icmpv6SocketOptions nd_dad_socket_options() {
  Icmpv6SocketOptions o;
  o.accept_types = {wire::icmpv6::kNeighborSolicitation, wire::icmpv6::kNeighborAdvertisement};
  o.unicast_hops = wire::icmpv6::kNdHopLimit;
  o.multicast_hops = wire::icmpv6::kNdHopLimit;
  o.multicast_loop = false;
  return o;
}

wire::Result<wire::Bytes> build_dad_probe_packet(const Ip6Addr& target) {
  if (bad_nd_target(target)) return Error{Errc::invalid_field, 0, "DAD target is not a unicast address"};
  wire::NeighborSolicitation ns;
  ns.target = target;
  wire::Ipv6Header ip;
  ip.next_header = wire::kIpProtoIcmpv6;
  ip.hop_limit = wire::icmpv6::kNdHopLimit;
  ip.src = Ip6Addr{};
  ip.dst = solicited_node_multicast(target);
  const wire::PseudoHeader ph{ip.src, ip.dst};
  auto icmp = wire::encode(ns, &ph);
  if (!icmp) return icmp.error();
  return wire::build_ipv6_packet(ip, *icmp);
}

wire::Result<wire::Bytes> build_unsolicited_na(const Ip6Addr& target, wire::ByteSpan lla, bool router) {
  if (bad_nd_target(target)) return Error{Errc::invalid_field, 0, "NA target is not a unicast address"};
  if (lla.empty()) return Error{Errc::invalid_field, 0, "empty link-layer address"};
  wire::NeighborAdvertisement na;
  na.r_flag = router;
  na.s_flag = false;
  na.o_flag = true;
  na.target = target;
  na.options.emplace_back(wire::TargetLlaOption{wire::Bytes(lla.begin(), lla.end())});
  return wire::encode(na, nullptr);
}

DadObservation classify_dad(const Icmpv6Packet& p, const Ip6Addr& tentative) {
  const std::uint8_t type = p.data.empty() ? 0 : p.data[0];
  if (type != wire::icmpv6::kNeighborSolicitation && type != wire::icmpv6::kNeighborAdvertisement)
    return {DadEvent::unrelated, about("not an NS or NA", p)};
  const bool is_ns = type == wire::icmpv6::kNeighborSolicitation;
  const char* name = is_ns ? "NS" : "NA";
  // The Target field sits at offset 8 in both; look at it before judging
  // validity so that unrelated traffic is not reported as invalid.
  if (p.data.size() >= 24) {
    Ip6Addr t;
    std::memcpy(t.b.data(), &p.data[8], 16);
    if (t != tentative) return {DadEvent::unrelated, about(name, p) + " for another target " + t.str()};
  }
  if (p.truncated) return {DadEvent::invalid, about(name, p) + ": truncated by the receive buffer"};
  if (p.hop_limit != wire::icmpv6::kNdHopLimit)
    return {DadEvent::invalid, about(name, p) + ": hop limit " + std::to_string(p.hop_limit) + ", not 255"};
  const wire::PseudoHeader ph{p.src, p.dst};
  const wire::PseudoHeader* php = p.dst.is_unspecified() ? nullptr : &ph;
  if (is_ns) {
    auto ns = wire::decode_neighbor_solicitation(p.data, php);
    if (!ns) return {DadEvent::invalid, about(name, p) + ": " + wire::to_string(ns.error())};
    if (!p.src.is_unspecified())
      return {DadEvent::unrelated, about(name, p) + ": address resolution, not DAD (RFC 4862 §5.4.3)"};
    if (!is_solicited_node(p.dst))
      return {DadEvent::invalid, about(name, p) + ": from :: but not to a solicited-node group"};
    if (wire::find_nd_option<wire::SourceLlaOption>(ns->options) != nullptr)
      return {DadEvent::invalid, about(name, p) + ": from :: with a Source Link-layer Address option"};
    return {DadEvent::concurrent_probe, about("DAD NS", p) + " for " + tentative.str()};
  }
  auto na = wire::decode_neighbor_advertisement(p.data, php);
  if (!na) return {DadEvent::invalid, about(name, p) + ": " + wire::to_string(na.error())};
  if (p.dst.is_multicast() && na->s_flag)
    return {DadEvent::invalid, about(name, p) + ": Solicited flag set on a multicast NA"};
  return {DadEvent::defended, about(name, p) + " for " + tentative.str()};
}

std::error_code join_solicited_node(Icmpv6Socket& s, int ifindex, const Ip6Addr& target) {
  return s.join_group(ifindex, solicited_node_multicast(target));
}

std::error_code leave_solicited_node(Icmpv6Socket& s, int ifindex, const Ip6Addr& target) {
  return s.leave_group(ifindex, solicited_node_multicast(target));
}

std::error_code send_unsolicited_na(Icmpv6Socket& s, int ifindex, const Ip6Addr& link_local, const Ip6Addr& target,
                                    wire::ByteSpan lla, bool router) {
  auto na = build_unsolicited_na(target, lla, router);
  if (!na) return std::make_error_code(std::errc::invalid_argument);
  return s.send(*na, Ip6Addr::must("ff02::1"), ifindex, link_local);
}

DadProber::DadProber() : fd_(::socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_RAW)) {
  if (!fd_) throw std::system_error(last_error(), "raw IPv6 socket (IPPROTO_RAW)");
  const int off = 0;
  if (::setsockopt(fd_.get(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &off, sizeof off) != 0)
    throw std::system_error(last_error(), "setsockopt IPV6_MULTICAST_LOOP");
}

std::error_code DadProber::send_probe(int ifindex, const Ip6Addr& target) {
  if (ifindex <= 0) return std::make_error_code(std::errc::invalid_argument);
  auto pkt = build_dad_probe_packet(target);
  if (!pkt) return std::make_error_code(std::errc::invalid_argument);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  const Ip6Addr dst = solicited_node_multicast(target);
  std::memcpy(to.sin6_addr.s6_addr, dst.b.data(), 16);
  to.sin6_scope_id = static_cast<std::uint32_t>(ifindex);
  for (;;) {
    const ssize_t n = ::sendto(fd_.get(), pkt->data(), pkt->size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&to), sizeof to);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    if (n >= 0) return {};
    if (errno != EINTR) return last_error();
  }
}

}  // namespace hmip::io
