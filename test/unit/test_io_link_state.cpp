// lib/io's LinkState (issue 13 item 10): rtnetlink messages applied one at
// a time to the table indexed by ifindex and name, and the change each
// raises; dump_links() and LinkWatcher against this host's kernel.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "hmip/io/link_state.h"
#include "hmip/io/link_watcher.h"
#include "nl_test_util.h"

using namespace hmip;
using namespace hmip::io;
using nltest::addr_msg;
using nltest::AddrMsg;
using nltest::link_msg;
using nltest::LinkMsg;

namespace {

std::optional<LinkChange> feed(LinkState& s, const wire::Bytes& m) {
  bool malformed = false;
  auto c = s.apply_message(m, malformed);
  CHECK_FALSE(malformed);
  return c;
}

}  // namespace

TEST_CASE("link state: RTM_NEWLINK / RTM_DELLINK raise added, changed, removed; repeats raise nothing",
          "[io][link]") {
  LinkState s;
  auto c = feed(s, link_msg({}));
  REQUIRE(c);
  CHECK(c->kind == LinkChange::Kind::added);
  CHECK(c->link.ifindex == 2);
  CHECK(c->link.name == "eth0");
  CHECK(c->link.operational());
  CHECK(c->link.multicast);
  CHECK(c->link.mtu == 1500);
  CHECK(format_mac(c->link.mac) == "02:00:00:00:00:01");
  CHECK_FALSE(feed(s, link_msg({})));  // the same state again: nothing

  // Carrier lost.
  c = feed(s, link_msg({.flags = IFF_UP | IFF_MULTICAST}));
  REQUIRE(c);
  CHECK(c->kind == LinkChange::Kind::changed);
  CHECK_FALSE(c->link.operational());

  // Per-family messages are not the link: ignored, also a bridge port's DELLINK.
  CHECK_FALSE(feed(s, link_msg({.family = AF_INET6, .flags = 0, .name = "eth0", .mtu = 9000})));
  CHECK_FALSE(feed(s, link_msg({.type = RTM_DELLINK, .family = AF_BRIDGE})));
  REQUIRE(s.find(2));
  CHECK(s.find(2)->mtu == 1500);

  // An all-zero link-layer address is none.
  c = feed(s, link_msg({.ifindex = 3, .name = "tnl0", .mac = {0, 0, 0, 0}}));
  REQUIRE(c);
  CHECK(c->link.mac.empty());

  // Rename: found by the new name only.
  c = feed(s, link_msg({.flags = IFF_UP | IFF_MULTICAST, .name = "wan0"}));
  REQUIRE(c);
  CHECK(c->kind == LinkChange::Kind::changed);
  CHECK(s.find("eth0") == nullptr);
  REQUIRE(s.find("wan0"));
  CHECK(s.find("wan0")->ifindex == 2);

  c = feed(s, link_msg({.type = RTM_DELLINK, .name = "wan0"}));
  REQUIRE(c);
  CHECK(c->kind == LinkChange::Kind::removed);
  CHECK(c->link.name == "wan0");
  CHECK(s.find("wan0") == nullptr);
  CHECK(s.find(2) == nullptr);
  CHECK_FALSE(feed(s, link_msg({.type = RTM_DELLINK})));  // unknown: nothing
  CHECK(s.links().size() == 1);
}

TEST_CASE("link state: RTM_NEWADDR / RTM_DELADDR update the link's IPv6 addresses", "[io][link]") {
  LinkState s;
  REQUIRE(feed(s, link_msg({})));
  // A tentative link-local: the link changes, but has no usable link-local.
  auto c = feed(s, addr_msg({.ifa_flags = IFA_F_TENTATIVE}));
  REQUIRE(c);
  CHECK(c->kind == LinkChange::Kind::changed);
  REQUIRE(c->link.addresses.size() == 1);
  CHECK(c->link.addresses[0].tentative);
  CHECK_FALSE(c->link.usable_link_local());
  // DAD done (IFA_FLAGS wins over ifa_flags, which only holds 8 bits).
  c = feed(s, addr_msg({.ifa_flags = IFA_F_TENTATIVE, .flags_attr = 0}));
  REQUIRE(c);
  CHECK(c->link.usable_link_local() == Ip6Addr::must("fe80::1"));
  CHECK_FALSE(feed(s, addr_msg({.flags_attr = 0})));  // no change
  // A global one, kept sorted; a link update keeps the addresses.
  c = feed(s, addr_msg({.flags_attr = IFA_F_DEPRECATED, .addr = Ip6Addr::must("2001:db8::5")}));
  REQUIRE(c);
  REQUIRE(c->link.addresses.size() == 2);
  CHECK(c->link.addresses[0].addr == Ip6Addr::must("2001:db8::5"));
  CHECK(c->link.addresses[0].deprecated);
  c = feed(s, link_msg({.mtu = 1400}));
  REQUIRE(c);
  CHECK(c->link.addresses.size() == 2);
  // Same address, another prefix length: a second entry; DELADDR removes one.
  REQUIRE(feed(s, addr_msg({.prefix_len = 128, .addr = Ip6Addr::must("2001:db8::5")})));
  CHECK(s.find(2)->addresses.size() == 3);
  c = feed(s, addr_msg({.type = RTM_DELADDR, .prefix_len = 128, .addr = Ip6Addr::must("2001:db8::5")}));
  REQUIRE(c);
  CHECK(c->link.addresses.size() == 2);
  CHECK_FALSE(feed(s, addr_msg({.type = RTM_DELADDR, .addr = Ip6Addr::must("2001:db8::77")})));
  // IPv4 and addresses of unknown links: nothing.
  CHECK_FALSE(feed(s, addr_msg({.family = AF_INET})));
  CHECK_FALSE(feed(s, addr_msg({.ifindex = 99})));
  c = feed(s, addr_msg({.type = RTM_DELADDR}));
  REQUIRE(c);
  CHECK_FALSE(c->link.usable_link_local());
}

TEST_CASE("link state: a datagram of several messages; malformed ones are skipped and counted", "[io][link]") {
  LinkState s;
  wire::Bytes d = link_msg({});
  const auto a = addr_msg({});
  d.insert(d.end(), a.begin(), a.end());
  auto bad = link_msg({.ifindex = 4, .name = "x"});
  bad[NLMSG_HDRLEN + sizeof(ifinfomsg) + 0] = 200;  // first attribute's length runs past the message
  bad[NLMSG_HDRLEN + sizeof(ifinfomsg) + 1] = 0;
  d.insert(d.end(), bad.begin(), bad.end());
  const auto l5 = link_msg({.ifindex = 5, .name = "eth5"});
  d.insert(d.end(), l5.begin(), l5.end());
  std::vector<LinkChange> out;
  CHECK(s.apply_datagram(d, out) == 1);
  REQUIRE(out.size() == 3);
  CHECK(out[0].kind == LinkChange::Kind::added);
  CHECK(out[1].kind == LinkChange::Kind::changed);
  CHECK(out[2].link.name == "eth5");
  CHECK(s.find(4) == nullptr);
  // A truncated trailing header ends the datagram.
  wire::Bytes cut = link_msg({.ifindex = 6, .name = "eth6"});
  cut.resize(cut.size() - 4);
  out.clear();
  CHECK(s.apply_datagram(cut, out) == 1);
  CHECK(out.empty());
}

TEST_CASE("link state: replace() after a resync reports the difference", "[io][link]") {
  LinkState s;
  REQUIRE(feed(s, link_msg({})));
  REQUIRE(feed(s, link_msg({.ifindex = 3, .name = "eth1"})));
  LinkState fresh;
  REQUIRE(feed(fresh, link_msg({.flags = IFF_UP})));
  REQUIRE(feed(fresh, link_msg({.ifindex = 7, .name = "eth7"})));
  const auto changes = s.replace(fresh);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].kind == LinkChange::Kind::removed);
  CHECK(changes[0].link.ifindex == 3);
  CHECK(changes[1].kind == LinkChange::Kind::changed);
  CHECK(changes[2].kind == LinkChange::Kind::added);
  CHECK(s.find("eth1") == nullptr);
  REQUIRE(s.find("eth7"));
}

TEST_CASE("link watcher: this host's links from the kernel's dump", "[io][link]") {
  const LinkState d = dump_links();
  const LinkInfo* lo = d.find("lo");
  REQUIRE(lo);
  CHECK(lo->loopback);
  boost::asio::io_context io;
  std::vector<LinkChange> seen;
  LinkWatcher w(io, [&](const LinkChange& c) { seen.push_back(c); }, {});
  w.start();
  CHECK(seen.size() == w.links().size());
  for (const auto& c : seen) CHECK(c.kind == LinkChange::Kind::added);
  REQUIRE(w.find("lo"));
  CHECK(w.find(w.find("lo")->ifindex) == w.find("lo"));
  CHECK(w.counters().dumps == 1);
  w.stop();
}
