// lib/io helpers testable without privileges: ICMPv6 filter and ancillary
// data, Echo messages, the link table diff, the netlink watcher's initial
// dump, logging.
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstring>

#include "hmip/io/icmpv6_echo.h"
#include "hmip/io/icmpv6_socket.h"
#include "hmip/io/link_watcher.h"
#include "hmip/io/log.h"
#include "hmip/io/notify.h"
#include "hmip/io/xfrm_stat.h"

using namespace hmip;
using namespace hmip::io;

TEST_CASE("icmpv6 socket: ICMP6_FILTER passes exactly the given types", "[io]") {
  const std::array<std::uint8_t, 3> types{133, 134, 129};
  const icmp6_filter f = make_icmp6_filter(types);
  for (int t = 0; t < 256; ++t) {
    const bool pass = t == 133 || t == 134 || t == 129;
    CHECK(ICMP6_FILTER_WILLPASS(t, &f) == pass);
  }
}

TEST_CASE("icmpv6 socket: IPV6_PKTINFO control message round trip", "[io]") {
  alignas(cmsghdr) std::array<std::uint8_t, 128> buf{};
  const Ip6Addr src = Ip6Addr::must("fe80::1");
  const std::size_t len = build_pktinfo_cmsg(buf, src, 7);
  REQUIRE(len == pktinfo_cmsg_space());

  msghdr mh{};
  mh.msg_control = buf.data();
  mh.msg_controllen = len;
  ReceiveMeta m = parse_receive_cmsgs(mh);
  REQUIRE(m.dst);
  CHECK(*m.dst == src);
  CHECK(m.ifindex == 7);
  CHECK(m.hop_limit == -1);

  // A second message: IPV6_HOPLIMIT after the PKTINFO.
  cmsghdr* c = CMSG_NXTHDR(&mh, CMSG_FIRSTHDR(&mh));
  REQUIRE(c == nullptr);  // only one so far
  mh.msg_controllen = len + CMSG_SPACE(sizeof(int));
  c = CMSG_NXTHDR(&mh, CMSG_FIRSTHDR(&mh));
  REQUIRE(c != nullptr);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_HOPLIMIT;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  const int hl = 255;
  std::memcpy(CMSG_DATA(c), &hl, sizeof hl);
  m = parse_receive_cmsgs(mh);
  CHECK(m.hop_limit == 255);
  CHECK(m.ifindex == 7);

  CHECK(build_pktinfo_cmsg(std::span<std::uint8_t>(buf.data(), 4), src, 1) == 0);  // too small
}

TEST_CASE("icmpv6 echo: request encoding and reply decoding", "[io]") {
  const Echo e{0x1234, 0x0005, {0xde, 0xad}};
  CHECK(encode_echo_request(e) == wire::Bytes{128, 0, 0, 0, 0x12, 0x34, 0x00, 0x05, 0xde, 0xad});
  const wire::Bytes reply{129, 0, 0xab, 0xcd, 0x12, 0x34, 0x00, 0x05, 0xde, 0xad};
  auto d = decode_echo_reply(reply);
  REQUIRE(d);
  CHECK(*d == e);
  CHECK_FALSE(decode_echo_reply(wire::Bytes{129, 0, 0, 0, 0x12, 0x34, 0x00}));      // short
  CHECK_FALSE(decode_echo_reply(wire::Bytes{128, 0, 0, 0, 0x12, 0x34, 0x00, 0x05}));  // a request
  CHECK_FALSE(decode_echo_reply(wire::Bytes{129, 1, 0, 0, 0x12, 0x34, 0x00, 0x05}));  // code 1
}

TEST_CASE("links: diff reports additions, changes and removals", "[io]") {
  LinkInfo a{1, "lo", true, true, false, true, 65536, {}, {}};
  LinkInfo b{2, "eth0", true, false, true, false, 1500, {0, 1, 2, 3, 4, 5}, {}};
  LinkTable before{{1, a}, {2, b}};

  LinkInfo b2 = b;
  b2.running = true;
  b2.addresses.push_back({Ip6Addr::must("fe80::1"), 64, true, false, false, false});
  LinkInfo c{3, "eth1", false, false, true, false, 1500, {}, {}};
  LinkTable after{{2, b2}, {3, c}};

  const auto d = diff_links(before, after);
  REQUIRE(d.size() == 3);
  CHECK(d[0].kind == LinkChange::Kind::removed);
  CHECK(d[0].link.name == "lo");
  CHECK(d[1].kind == LinkChange::Kind::changed);
  CHECK(d[1].link == b2);
  CHECK(d[2].kind == LinkChange::Kind::added);
  CHECK(d[2].link.ifindex == 3);
  CHECK(diff_links(after, after).empty());
}

TEST_CASE("links: a tentative link-local is not usable", "[io]") {
  LinkInfo l{2, "eth0", true, true, true, false, 1500, {}, {}};
  CHECK_FALSE(l.usable_link_local());
  l.addresses.push_back({Ip6Addr::must("2001:db8::1"), 64, false, false, false, false});
  l.addresses.push_back({Ip6Addr::must("fe80::1"), 64, true, false, false, false});
  CHECK_FALSE(l.usable_link_local());
  l.addresses.back().tentative = false;
  REQUIRE(l.usable_link_local());
  CHECK(*l.usable_link_local() == Ip6Addr::must("fe80::1"));
  l.addresses.back().dadfailed = true;
  CHECK_FALSE(l.usable_link_local());
  CHECK(format_mac(wire::Bytes{0x02, 0x00, 0x5e, 0x10, 0xab, 0xff}) == "02:00:5e:10:ab:ff");
  CHECK(format_mac({}).empty());
}

TEST_CASE("links: the watcher's first dump holds the loopback", "[io]") {
  // rtnetlink dumps need no privilege.
  boost::asio::io_context io;
  std::vector<LinkChange> seen;
  std::vector<std::string> errors;
  LinkWatcher w(
      io, [&](const LinkChange& c) { seen.push_back(c); }, [&](const std::string& e) { errors.push_back(e); });
  w.start();
  CHECK(errors.empty());
  REQUIRE_FALSE(seen.empty());
  const LinkInfo* lo = w.find("lo");
  REQUIRE(lo != nullptr);
  CHECK(lo->loopback);
  for (const auto& c : seen) CHECK(c.kind == LinkChange::Kind::added);
  CHECK(seen.size() == w.links().size());
  w.stop();
}

TEST_CASE("log: levels, JOURNAL_STREAM matching, sinks", "[io]") {
  CHECK(parse_log_level("warn") == LogLevel::warning);
  CHECK(parse_log_level("debug") == LogLevel::debug);
  CHECK_FALSE(parse_log_level("loud"));
  CHECK(syslog_priority(LogLevel::error) == 3);
  CHECK(syslog_priority(LogLevel::debug) == 7);
  CHECK(format_log_line(LogLevel::notice, "hello") == "notice: hello");

  CHECK(journal_stream_matches("8:1234", 8, 1234));
  CHECK_FALSE(journal_stream_matches("8:1235", 8, 1234));
  CHECK_FALSE(journal_stream_matches("8:", 8, 0));
  CHECK_FALSE(journal_stream_matches(":1", 0, 1));
  CHECK_FALSE(journal_stream_matches("8:12x", 8, 12));
  CHECK_FALSE(journal_stream_matches(nullptr, 0, 0));

  Logger log("test", Logger::Target::stderr_text, LogLevel::notice);
  std::vector<std::pair<LogLevel, std::string>> got;
  log.set_sink([&](LogLevel l, std::string_view m) { got.emplace_back(l, std::string(m)); });
  log.info("dropped");
  log.warning("kept");
  log.set_level(LogLevel::debug);
  log.debug("now kept");
  REQUIRE(got.size() == 2);
  CHECK(got[0] == std::pair<LogLevel, std::string>{LogLevel::warning, "kept"});
  CHECK(got[1].second == "now kept");
}

TEST_CASE("notify: status lines stay one assignment", "[io]") {
  CHECK(notify::status_line("a\nb") == "STATUS=a b");
  // Outside systemd (no NOTIFY_SOCKET in the test environment) nothing is sent.
  if (std::getenv("NOTIFY_SOCKET") == nullptr) CHECK_FALSE(notify::ready("x"));
}

TEST_CASE("xfrm_stat: the kernel's XFRM counters by name; junk lines skipped", "[io][ike]") {
  const auto m = hmip::io::parse_xfrm_stat(
      "XfrmInError             \t0\nXfrmInTmplMismatch      \t7\nXfrmInNoPols            \t18446744073709551615\n"
      "garbage line here\nXfrmOutBundleGenError   x\nXfrmFwdHdrError 99999999999999999999999\n");
  CHECK(m.at("XfrmInError") == 0);
  CHECK(m.at("XfrmInTmplMismatch") == 7);
  CHECK(m.at("XfrmInNoPols") == 18446744073709551615ULL);
  CHECK(m.count("XfrmOutBundleGenError") == 0);
  CHECK(m.count("XfrmFwdHdrError") == 0);  // out of range
  CHECK(hmip::io::parse_xfrm_stat("").empty());
}
