// xfrm_probe: drives kernel-glue's XfrmTable for the kernel test suite
// (test/kernel/cases/45-xfrm-*.sh), and sends a Binding Acknowledgement
// that relies on a route2 state for its type 2 routing header.
//
//   xfrm_probe serve [--prio-lo N] [--prio-hi N]
//     One XfrmTable (tags: policy priorities [lo, hi], reqid lo; default
//     0x4d490000..0x4d49ffff, mapd's range), commands on stdin, one answer
//     line per command on stdout ("ok ..." or "err ..."):
//       state-put hao|route2 SRC DST COA [wildrecv]
//       state-del hao|route2 SRC DST
//       policy-put in|out SRC/LEN DST/LEN hao|route2 TMPL_SRC TMPL_DST
//       policy-del in|out SRC/LEN DST/LEN
//       flush | leftovers | counts | quit
//       bench N   N route2 states + N out policies: put, coa update, delete;
//                 prints microseconds per operation (a benchmark, no limits)
//     End of input or quit: the table is destroyed, which flushes it.
//
//   xfrm_probe send-ba --src MAP --dst RCOA --seq N --lifetime L [--status S]
//     A BA from MAP to the RCoA over a raw IPPROTO_MH socket with nothing but
//     IPV6_PKTINFO: the kernel computes the checksum (final destination =
//     RCoA) and a route2 state + SUB out policy must add the RH2.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "hmip/core/prefix.h"
#include "hmip/wire/mh.h"
#include "xfrm_table.h"

namespace {

using hmip::Ip6Addr;
using hmip::Ip6Prefix;
using namespace hmip::kglue;
using namespace hmip::kglue::detail;

std::optional<RoProto> proto_arg(const std::string& s) {
  if (s == "hao") return RoProto::hao;
  if (s == "route2") return RoProto::route2;
  return std::nullopt;
}

std::optional<PolicyDir> dir_arg(const std::string& s) {
  if (s == "in") return PolicyDir::in;
  if (s == "out") return PolicyDir::out;
  return std::nullopt;
}

std::string status_text(const XfrmTable& t, const hmip::wire::Status& s) {
  if (s) return "ok";
  return "err " + t.last_error() + " (" + hmip::wire::to_string(s.error()) + ")";
}

double micros_per(std::chrono::steady_clock::duration d, unsigned n) {
  return std::chrono::duration<double, std::micro>(d).count() / n;
}

std::string bench(XfrmTable& t, unsigned n) {
  using clock = std::chrono::steady_clock;
  const Ip6Addr map = Ip6Addr::must("2001:db8:fe::1");
  auto rcoa = [](unsigned i) {
    Ip6Addr a = Ip6Addr::must("2001:db8:ff::");
    a.b[12] = static_cast<std::uint8_t>(i >> 24);
    a.b[13] = static_cast<std::uint8_t>(i >> 16);
    a.b[14] = static_cast<std::uint8_t>(i >> 8);
    a.b[15] = static_cast<std::uint8_t>(i);
    return a;
  };
  const Ip6Addr lcoa1 = Ip6Addr::must("2001:db8:1::10");
  const Ip6Addr lcoa2 = Ip6Addr::must("2001:db8:2::10");
  std::ostringstream out;
  auto t0 = clock::now();
  for (unsigned i = 0; i < n; ++i)
    if (!t.put_state({map, rcoa(i), RoProto::route2}, {lcoa1})) return "err bench put_state: " + t.last_error();
  auto t1 = clock::now();
  for (unsigned i = 0; i < n; ++i)
    if (!t.put_policy({Ip6Prefix::of(map, 128), Ip6Prefix::of(rcoa(i), 128), 135, PolicyDir::out},
                      {RoProto::route2, map, rcoa(i)}))
      return "err bench put_policy: " + t.last_error();
  auto t2 = clock::now();
  for (unsigned i = 0; i < n; ++i)
    if (!t.put_state({map, rcoa(i), RoProto::route2}, {lcoa2})) return "err bench update: " + t.last_error();
  auto t3 = clock::now();
  if (!t.flush()) return "err bench flush: " + t.last_error();
  auto t4 = clock::now();
  out << "ok bench n=" << n << " put_state_us=" << micros_per(t1 - t0, n) << " put_policy_us="
      << micros_per(t2 - t1, n) << " update_state_us=" << micros_per(t3 - t2, n)
      << " delete_pair_us=" << micros_per(t4 - t3, n);
  return out.str();
}

std::string run(XfrmTable& t, const std::string& line, bool& quit) {
  std::istringstream in(line);
  std::vector<std::string> w;
  for (std::string s; in >> s;) w.push_back(s);
  if (w.empty()) return "err empty command";
  const std::string& c = w[0];
  auto addr = [&](std::size_t i) { return i < w.size() ? Ip6Addr::parse(w[i]) : std::nullopt; };
  auto pfx = [&](std::size_t i) { return i < w.size() ? Ip6Prefix::parse(w[i]) : std::nullopt; };
  if (c == "state-put" || c == "state-del") {
    auto p = w.size() > 1 ? proto_arg(w[1]) : std::nullopt;
    auto src = addr(2), dst = addr(3);
    if (!p || !src || !dst) return "err usage: " + c + " hao|route2 SRC DST ...";
    const RoStateKey key{*src, *dst, *p};
    if (c == "state-del") return status_text(t, t.delete_state(key));
    auto coa = addr(4);
    if (!coa) return "err usage: state-put hao|route2 SRC DST COA [wildrecv]";
    const bool wild = w.size() > 5 && w[5] == "wildrecv";
    return status_text(t, t.put_state(key, RoStateSettings{*coa, wild}));
  }
  if (c == "policy-put" || c == "policy-del") {
    auto d = w.size() > 1 ? dir_arg(w[1]) : std::nullopt;
    auto src = pfx(2), dst = pfx(3);
    if (!d || !src || !dst) return "err usage: " + c + " in|out SRC/LEN DST/LEN ...";
    const PolicyKey key{*src, *dst, 135, *d};
    if (c == "policy-del") return status_text(t, t.delete_policy(key));
    auto tp = w.size() > 4 ? proto_arg(w[4]) : std::nullopt;
    auto ts = addr(5), td = addr(6);
    if (!tp || !ts || !td) return "err usage: policy-put in|out SRC/LEN DST/LEN hao|route2 TSRC TDST";
    return status_text(t, t.put_policy(key, PolicySettings{*tp, *ts, *td}));
  }
  if (c == "flush") return status_text(t, t.flush());
  if (c == "counts")
    return "ok states=" + std::to_string(t.state_count()) + " policies=" + std::to_string(t.policy_count());
  if (c == "leftovers") {
    auto r = t.remove_leftovers();
    if (!r) return "err " + t.last_error();
    std::string s = "ok removed=" + std::to_string(r->size());
    for (const auto& item : *r) s += " [" + item + "]";
    return s;
  }
  if (c == "bench") {
    const long n = w.size() > 1 ? std::strtol(w[1].c_str(), nullptr, 10) : 0;
    if (n <= 0 || n > 100000) return "err usage: bench N (1..100000)";
    return bench(t, static_cast<unsigned>(n));
  }
  if (c == "quit") {
    quit = true;
    return "ok bye";
  }
  return "err unknown command " + c;
}

std::optional<std::string> opt(int argc, char** argv, const char* name) {
  for (int i = 2; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::string(argv[i + 1]);
  return std::nullopt;
}

int cmd_serve(int argc, char** argv) {
  Tags tags;
  tags.xfrm_priority_lo = static_cast<std::uint32_t>(std::stoul(opt(argc, argv, "--prio-lo").value_or("0x4d490000"), nullptr, 0));
  tags.xfrm_priority_hi = static_cast<std::uint32_t>(std::stoul(opt(argc, argv, "--prio-hi").value_or("0x4d49ffff"), nullptr, 0));
  XfrmTable table(tags);
  bool quit = false;
  for (std::string line; !quit && std::getline(std::cin, line);) {
    std::cout << run(table, line, quit) << std::endl;  // one flushed line per command
  }
  return 0;
}

int cmd_send_ba(int argc, char** argv) {
  auto src = Ip6Addr::parse(opt(argc, argv, "--src").value_or(""));
  auto dst = Ip6Addr::parse(opt(argc, argv, "--dst").value_or(""));
  auto seq = opt(argc, argv, "--seq");
  auto lifetime = opt(argc, argv, "--lifetime");
  if (!src || !dst || !seq || !lifetime) {
    std::fprintf(stderr, "usage: xfrm_probe send-ba --src MAP --dst RCOA --seq N --lifetime L [--status S]\n");
    return 2;
  }
  hmip::wire::BindingAck ba;
  ba.sequence = static_cast<std::uint16_t>(std::stoul(*seq));
  ba.lifetime = static_cast<std::uint16_t>(std::stoul(*lifetime));
  ba.status = static_cast<std::uint8_t>(std::stoul(opt(argc, argv, "--status").value_or("0")));
  auto mh = hmip::wire::encode_mh(hmip::wire::MhMessage{ba}, nullptr);  // the kernel checksums
  if (!mh) {
    std::fprintf(stderr, "xfrm_probe: %s\n", hmip::wire::to_string(mh.error()).c_str());
    return 1;
  }
  const int fd = ::socket(AF_INET6, SOCK_RAW, IPPROTO_MH);
  if (fd < 0) {
    std::fprintf(stderr, "xfrm_probe: raw MH socket: %s\n", std::generic_category().message(errno).c_str());
    return 1;
  }
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  std::memcpy(&to.sin6_addr, dst->b.data(), 16);
  in6_pktinfo pi{};
  std::memcpy(&pi.ipi6_addr, src->b.data(), 16);
  alignas(cmsghdr) unsigned char cbuf[CMSG_SPACE(sizeof(in6_pktinfo))]{};
  iovec iov{mh->data(), mh->size()};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  const ssize_t n = ::sendmsg(fd, &msg, 0);
  const int saved = errno;
  ::close(fd);
  if (n < 0) {
    std::fprintf(stderr, "xfrm_probe: sendmsg to %s: %s\n", dst->str().c_str(),
                 std::generic_category().message(saved).c_str());
    return 1;
  }
  std::printf("sent BA %zd octets from %s to %s (no cmsg: RH2 from the route2 state)\n", n, src->str().c_str(),
              dst->str().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "serve") return cmd_serve(argc, argv);
    if (mode == "send-ba") return cmd_send_ba(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xfrm_probe: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr, "usage: xfrm_probe serve [--prio-lo N] [--prio-hi N] | send-ba --src A --dst B --seq N --lifetime L\n");
  return 2;
}
