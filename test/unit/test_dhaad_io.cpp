// DHAAD through real sockets in a private network namespace: the mobile
// node's DhaadMnSocket sends a request to the Home-Agents anycast address,
// which the home agent's DhaadHaSocket joined (IPV6_JOIN_ANYCAST); the
// DhaadResponder answers and the reply comes back to the mobile node's
// socket. Needs CAP_SYS_ADMIN (unshare), CAP_NET_ADMIN and CAP_NET_RAW:
// without them the test says so and checks nothing else.
#include <catch2/catch.hpp>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <array>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "hmip/io/dhaad_socket.h"
#include "hmip/map/dhaad_responder.h"
#include "nl_test_util.h"
#include "private_netns.h"

using namespace hmip;
using namespace hmip::io;

namespace {

// Adds `addr`/`len` to interface `ifindex` without DAD (RTM_NEWADDR with
// an ack): "" or the kernel's error.
std::string add_address(int ifindex, const Ip6Addr& addr, std::uint8_t len) {
  nltest::AddrMsg a;
  a.ifindex = ifindex;
  a.prefix_len = len;
  a.ifa_flags = IFA_F_NODAD;
  a.addr = addr;
  wire::Bytes m = nltest::addr_msg(a);
  nlmsghdr h{};
  std::memcpy(&h, m.data(), sizeof h);
  h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
  h.nlmsg_seq = 1;
  std::memcpy(m.data(), &h, sizeof h);
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return "netlink socket: " + std::generic_category().message(errno);
  std::string err;
  if (::send(fd, m.data(), m.size(), 0) < 0) {
    err = "send: " + std::generic_category().message(errno);
  } else {
    alignas(nlmsghdr) std::array<std::uint8_t, 4096> buf{};
    const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast)
    const auto* ack = reinterpret_cast<const nlmsghdr*>(buf.data());
    if (n < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))) || ack->nlmsg_type != NLMSG_ERROR) {
      err = "no netlink ack";
    } else {
      const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(ack));
      if (e->error != 0) err = "RTM_NEWADDR " + addr.str() + ": " + std::generic_category().message(-e->error);
    }
  }
  ::close(fd);
  return err;
}

// Waits (polling, at most ~2 s) until `addr` receives what is sent to it:
// the kernel installs the local route of a new address from its addrconf
// work queue, after RTM_NEWADDR has been acknowledged. A UDP datagram the
// address sends itself arrives once that route is there.
bool wait_until_local(const Ip6Addr& addr) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    std::memcpy(&sa.sin6_addr, addr.b.data(), 16);
    socklen_t len = sizeof sa;
    auto* any = reinterpret_cast<sockaddr*>(&sa);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
    bool got = false;
    if (::bind(fd, any, sizeof sa) == 0 && ::getsockname(fd, any, &len) == 0) {
      const char ping = 'p';
      if (::sendto(fd, &ping, 1, 0, any, sizeof sa) == 1) {
        pollfd p{fd, POLLIN, 0};
        got = ::poll(&p, 1, 20) == 1;
      }
    }
    ::close(fd);
    if (got) return true;
    ::poll(nullptr, 0, 20);  // the address is not usable yet
  }
  return false;
}

}  // namespace

TEST_CASE("dhaad sockets: request to the anycast address, reply from the HA's address", "[dhaad][io][raw]") {
  const test::PrivateNetns ns;
  if (!ns.ok()) {
    WARN("no private network namespace here (" << ns.error() << "): DHAAD socket exchange not run");
    return;
  }
  const int lo = static_cast<int>(::if_nametoindex("lo"));
  REQUIRE(lo > 0);
  const Ip6Prefix home = *Ip6Prefix::parse("2001:db8:200::/64");
  const Ip6Addr ha = Ip6Addr::must("2001:db8:200::1");
  const Ip6Addr coa = Ip6Addr::must("2001:db8:5::10");
  const Ip6Addr anycast = *map::home_agents_anycast(home);
  // The home prefix on the "home link" (lo: with forwarding off the kernel
  // joins an anycast address only on a prefix of the interface).
  REQUIRE(add_address(lo, ha, 64).empty());
  REQUIRE(add_address(lo, coa, 64).empty());
  REQUIRE(wait_until_local(ha));
  REQUIRE(wait_until_local(coa));

  boost::asio::io_context io;
  map::DhaadResponder responder({{home, ha, 0}}, 99);
  REQUIRE(responder.anycast_addresses() == std::vector<Ip6Addr>{anycast});
  std::unique_ptr<DhaadHaSocket> has;
  std::unique_ptr<DhaadMnSocket> mns;
  try {
    has = std::make_unique<DhaadHaSocket>(io, lo, responder.anycast_addresses());
    mns = std::make_unique<DhaadMnSocket>(io);
  } catch (const std::system_error& e) {
    WARN("no raw ICMPv6 socket / anycast membership here (" << e.what() << "): DHAAD socket exchange not run");
    return;
  }
  CHECK(has->joined() == std::vector<Ip6Addr>{anycast});

  std::vector<DhaadRequestReceived> requests;
  std::vector<std::string> drops;
  std::vector<std::error_code> errors;
  has->start_receive(
      [&](const DhaadRequestReceived& r) {
        requests.push_back(r);
        auto out = responder.handle_request(core::Clock::now(), r.src, r.dst, r.request);
        if (out) CHECK_FALSE(has->send_reply(out->src, out->dst, out->reply));
      },
      [&](const DhaadDropped& d) { drops.push_back(d.detail); },
      [&](const std::error_code& ec) { errors.push_back(ec); });
  std::optional<DhaadReplyReceived> reply;
  mns->start_receive(
      [&](const DhaadReplyReceived& r) {
        reply = r;
        io.stop();
      },
      [&](const DhaadDropped& d) { drops.push_back(d.detail); },
      [&](const std::error_code& ec) { errors.push_back(ec); });

  REQUIRE_FALSE(mns->send_request(coa, anycast, wire::DhaadRequest{0x4d4e, false, 0}));
  io.run_for(std::chrono::seconds(5));

  INFO("drops: " << drops.size() << ", replies " << responder.counters().replies << ", errors " << errors.size());
  CHECK(drops.empty());
  CHECK(errors.empty());
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].src == coa);
  CHECK(requests[0].dst == anycast);
  CHECK(requests[0].request.identifier == 0x4d4e);
  REQUIRE(reply);
  CHECK(reply->src == ha);
  CHECK(reply->dst == coa);
  CHECK(reply->reply == wire::DhaadReply{0x4d4e, false, 0, {ha}});
  CHECK(responder.counters().replies == 1);

  // After close() the membership is gone: the same address can be joined
  // again by a new socket (a second join on one socket would be EINVAL/EEXIST).
  has->close();
  CHECK(has->joined().empty());
  DhaadHaSocket again(io, lo, responder.anycast_addresses());
  CHECK(again.joined() == std::vector<Ip6Addr>{anycast});
}

TEST_CASE("dhaad sockets: a join that fails names the address", "[dhaad][io][raw]") {
  const test::PrivateNetns ns;
  if (!ns.ok()) {
    WARN("no private network namespace here (" << ns.error() << "): not run");
    return;
  }
  boost::asio::io_context io;
  const int lo = static_cast<int>(::if_nametoindex("lo"));
  // No address of lo is on 2001:db8:77::/64 and lo does not forward: refused
  // (EINVAL, or EADDRNOTAVAIL on recent kernels).
  const Ip6Addr any = Ip6Addr::must("2001:db8:77:0:fdff:ffff:ffff:fffe");
  try {
    DhaadHaSocket s(io, lo, std::vector<Ip6Addr>{any});
    FAIL("joined an anycast address off every prefix of lo");
  } catch (const std::system_error& e) {
    const std::string what = e.what();
    if (e.code() == std::errc::operation_not_permitted) {
      WARN("no raw ICMPv6 socket here (" << what << "): not run");
      return;
    }
    CHECK(what.find(any.str()) != std::string::npos);
    CHECK((e.code() == std::errc::invalid_argument || e.code() == std::errc::address_not_available));
  }
}

TEST_CASE("dhaad sockets: classify drops what cannot be checked or decoded", "[dhaad][io]") {
  Icmpv6Packet p;
  p.src = Ip6Addr::must("2001:db8:5::10");
  p.dst = Ip6Addr::must("2001:db8:200:0:fdff:ffff:ffff:fffe");
  const wire::PseudoHeader ph{p.src, p.dst};
  p.data = *wire::encode(wire::DhaadRequest{5, false, 0}, &ph);
  REQUIRE(std::holds_alternative<DhaadRequestReceived>(classify_dhaad_request(p)));
  Icmpv6Packet bad = p;
  bad.data[5] ^= 1;  // checksum no longer verifies
  auto d = classify_dhaad_request(bad);
  REQUIRE(std::holds_alternative<DhaadDropped>(d));
  CHECK(std::get<DhaadDropped>(d).detail.find("checksum") != std::string::npos);
  Icmpv6Packet nodst = p;
  nodst.dst = Ip6Addr{};
  CHECK(std::holds_alternative<DhaadDropped>(classify_dhaad_request(nodst)));
  Icmpv6Packet trunc = p;
  trunc.truncated = true;
  CHECK(std::holds_alternative<DhaadDropped>(classify_dhaad_request(trunc)));
  // A reply with half an address.
  Icmpv6Packet rep;
  rep.src = Ip6Addr::must("2001:db8:200::1");
  rep.dst = p.src;
  const wire::PseudoHeader rph{rep.src, rep.dst};
  rep.data = *wire::encode(wire::DhaadReply{5, false, 0, {rep.src}}, &rph);
  REQUIRE(std::holds_alternative<DhaadReplyReceived>(classify_dhaad_reply(rep)));
  rep.data.resize(rep.data.size() - 8);
  auto r = classify_dhaad_reply(rep);
  REQUIRE(std::holds_alternative<DhaadDropped>(r));
  CHECK(std::get<DhaadDropped>(r).detail.find("DHAAD reply from 2001:db8:200::1") == 0);
}
