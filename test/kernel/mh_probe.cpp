// mh_probe: sends and receives one Mobility Header message over a raw
// IPPROTO_MH socket, for the kernel test suite (test/kernel/cases). The
// messages are built with hmip's encoders and what arrives is read with
// hmip's decoders; the receiving modes check every field against what the
// sender was told to send and exit non-zero on any difference.
//
//   mh_probe send-bu --src A --dst B --seq N --lifetime L [--flags AM] [--hao LCOA]
//   mh_probe recv-bu --expect-src A --expect-dst B --expect-hao X --seq N --lifetime L
//                    [--flags AM] [--timeout S] [--ready FILE]
//   mh_probe send-ba --src B --dst A --rh2 LCOA --seq N --lifetime L [--status S]
//   mh_probe recv-ba --expect-src B --expect-dst A --expect-rh2 X --seq N --lifetime L
//                    [--status S] [--timeout S] [--ready FILE]
//
// The kernel's rules (shared/notes/kernel-testbed.md, "Mobility Header with
// HAO and RH2"):
//   * send-bu without --hao sends from A (IPV6_PKTINFO) and leaves the
//     checksum to the kernel: an XFRM "proto hao" state + OUT policy makes
//     the kernel send from the care-of address and insert the Home Address
//     option itself.
//   * send-bu --hao LCOA sends from LCOA with an IPV6_DSTOPTS cmsg holding
//     the HAO (address A). The kernel would checksum with LCOA as source, so
//     IPV6_CHECKSUM is off and the checksum is computed here with src = A.
//   * send-ba sends to the final destination A (the RCoA) with an IPV6_RTHDR
//     cmsg holding LCOA (the socket API's first hop: the kernel puts LCOA in
//     the IPv6 destination and A in the routing header); checksum computed
//     here with dst = A.
//   * The receiver sees the addresses as the upper layer does (source = home
//     address after the HAO swap; destination = home address after the RH2
//     swap) and the extension header in its cmsg as the kernel left it after
//     processing: the HAO/RH2 address field then holds the care-of address.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/wire/addr.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/ext_headers.h"
#include "hmip/wire/mh.h"

namespace {

using hmip::Ip6Addr;
namespace wire = hmip::wire;

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr, "mh_probe: %s\n", msg);
  std::fprintf(stderr,
               "usage: mh_probe send-bu|recv-bu|send-ba|recv-ba [--src A] [--dst B] [--hao X] "
               "[--rh2 X] [--expect-src A] [--expect-dst B] [--expect-hao X] [--expect-rh2 X] "
               "--seq N --lifetime L [--flags LETTERS] [--status S] [--timeout S] [--ready FILE]\n");
  std::exit(2);
}

struct Args {
  std::string mode;
  std::map<std::string, std::string> kv;

  [[nodiscard]] bool has(const std::string& k) const { return kv.count(k) != 0; }
  [[nodiscard]] std::string str(const std::string& k) const {
    auto it = kv.find(k);
    if (it == kv.end()) usage(("missing --" + k).c_str());
    return it->second;
  }
  [[nodiscard]] Ip6Addr addr(const std::string& k) const {
    auto a = Ip6Addr::parse(str(k));
    if (!a) usage(("--" + k + " is not an IPv6 address").c_str());
    return *a;
  }
  [[nodiscard]] unsigned long num(const std::string& k, unsigned long max, unsigned long dflt,
                                  bool required) const {
    if (!has(k)) {
      if (required) usage(("missing --" + k).c_str());
      return dflt;
    }
    const std::string s = str(k);
    char* end = nullptr;
    errno = 0;
    unsigned long v = std::strtoul(s.c_str(), &end, 0);
    if (s.empty() || *end != '\0' || errno != 0 || v > max) usage(("bad --" + k).c_str());
    return v;
  }
};

Args parse_args(int argc, char** argv) {
  if (argc < 2) usage("no mode");
  Args a;
  a.mode = argv[1];
  for (int i = 2; i < argc; i += 2) {
    std::string_view k = argv[i];
    if (k.substr(0, 2) != "--" || i + 1 >= argc) usage("options are --name value pairs");
    a.kv[std::string(k.substr(2))] = argv[i + 1];
  }
  return a;
}

int failures = 0;

template <class T>
void expect(const char* what, const T& got, const T& want) {
  if (got == want) return;
  std::printf("MISMATCH %s\n", what);
  ++failures;
}

void expect_addr(const char* what, const Ip6Addr& got, const Ip6Addr& want) {
  if (got == want) {
    std::printf("  %s = %s\n", what, got.str().c_str());
    return;
  }
  std::printf("MISMATCH %s: got %s, want %s\n", what, got.str().c_str(), want.str().c_str());
  ++failures;
}

void expect_num(const char* what, unsigned long got, unsigned long want) {
  if (got == want) {
    std::printf("  %s = %lu\n", what, got);
    return;
  }
  std::printf("MISMATCH %s: got %lu, want %lu\n", what, got, want);
  ++failures;
}

int open_mh_socket() {
  int fd = ::socket(AF_INET6, SOCK_RAW, IPPROTO_MH);
  if (fd < 0) {
    std::perror("mh_probe: socket(AF_INET6, SOCK_RAW, IPPROTO_MH)");
    std::exit(1);
  }
  return fd;
}

void setopt(int fd, int level, int name, int value, const char* what) {
  if (::setsockopt(fd, level, name, &value, sizeof value) != 0) {
    std::fprintf(stderr, "mh_probe: setsockopt(%s): %s\n", what, std::strerror(errno));
    std::exit(1);
  }
}

in6_addr to_in6(const Ip6Addr& a) {
  in6_addr r{};
  std::memcpy(r.s6_addr, a.b.data(), 16);
  return r;
}

Ip6Addr from_in6(const in6_addr& a) {
  Ip6Addr r;
  std::memcpy(r.b.data(), a.s6_addr, 16);
  return r;
}

// Flag letters for the BU: A H L K M R P.
void apply_bu_flags(wire::BindingUpdate& bu, std::string_view letters) {
  for (char c : letters) {
    switch (c) {
      case 'A': bu.ack = true; break;
      case 'H': bu.home_registration = true; break;
      case 'L': bu.link_local_compat = true; break;
      case 'K': bu.key_mgmt_compat = true; break;
      case 'M': bu.map_registration = true; break;
      case 'R': bu.mobile_router = true; break;
      case 'P': bu.proxy_registration = true; break;
      default: usage("BU flags are letters of AHLKMRP");
    }
  }
}

void apply_ba_flags(wire::BindingAck& ba, std::string_view letters) {
  for (char c : letters) {
    switch (c) {
      case 'K': ba.key_mgmt_compat = true; break;
      case 'R': ba.mobile_router = true; break;
      case 'P': ba.proxy_registration = true; break;
      default: usage("BA flags are letters of KRP");
    }
  }
}

wire::BindingUpdate bu_from_args(const Args& a) {
  wire::BindingUpdate bu;
  bu.sequence = static_cast<std::uint16_t>(a.num("seq", 0xffff, 0, true));
  bu.lifetime = static_cast<std::uint16_t>(a.num("lifetime", 0xffff, 0, true));
  apply_bu_flags(bu, a.has("flags") ? a.str("flags") : "AM");
  return bu;
}

wire::BindingAck ba_from_args(const Args& a) {
  wire::BindingAck ba;
  ba.sequence = static_cast<std::uint16_t>(a.num("seq", 0xffff, 0, true));
  ba.lifetime = static_cast<std::uint16_t>(a.num("lifetime", 0xffff, 0, true));
  ba.status = static_cast<std::uint8_t>(a.num("status", 0xff, 0, false));
  apply_ba_flags(ba, a.has("flags") ? a.str("flags") : "");
  return ba;
}

void hexdump(const char* what, wire::ByteSpan b) {
  std::printf("  %s (%zu octets):", what, b.size());
  for (std::size_t i = 0; i < b.size(); ++i) std::printf("%s%02x", i % 8 == 0 ? " " : "", b[i]);
  std::printf("\n");
}

// Sends `mh` to `dst` from `src` with optional ancillary extension headers.
int send_mh(const wire::Bytes& mh, const Ip6Addr& src, const Ip6Addr& dst, int exthdr_type,
            const wire::Bytes& exthdr, bool kernel_checksum) {
  int fd = open_mh_socket();
  if (!kernel_checksum) setopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, -1, "IPV6_CHECKSUM -1");

  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  to.sin6_addr = to_in6(dst);

  alignas(cmsghdr) unsigned char cbuf[CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(64)]{};
  iovec iov{const_cast<std::uint8_t*>(mh.data()), mh.size()};
  msghdr msg{};
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo)) +
                       (exthdr.empty() ? 0 : CMSG_SPACE(exthdr.size()));

  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  in6_pktinfo pi{};
  pi.ipi6_addr = to_in6(src);
  std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
  if (!exthdr.empty()) {
    if (exthdr.size() > 64) usage("extension header too long");
    c = CMSG_NXTHDR(&msg, c);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = exthdr_type;
    c->cmsg_len = CMSG_LEN(exthdr.size());
    std::memcpy(CMSG_DATA(c), exthdr.data(), exthdr.size());
  }
  ssize_t n = ::sendmsg(fd, &msg, 0);
  if (n < 0) {
    std::fprintf(stderr, "mh_probe: sendmsg to %s: %s\n", dst.str().c_str(), std::strerror(errno));
    return 1;
  }
  ::close(fd);
  std::printf("sent %zd octets from %s to %s\n", n, src.str().c_str(), dst.str().c_str());
  hexdump("mh", mh);
  if (!exthdr.empty()) hexdump(exthdr_type == IPV6_DSTOPTS ? "dstopts cmsg" : "rthdr cmsg", exthdr);
  return 0;
}

int cmd_send_bu(const Args& a) {
  const Ip6Addr home = a.addr("src");  // the RCoA
  const Ip6Addr map = a.addr("dst");
  const wire::MhMessage msg = bu_from_args(a);
  if (!a.has("hao")) {
    // The kernel's hao state + OUT policy inserts the HAO; it checksums
    // with the RCoA as the upper layer's source, which is what the MAP checks.
    auto mh = wire::encode_mh(msg, nullptr);
    if (!mh) usage(wire::to_string(mh.error()).c_str());
    return send_mh(*mh, home, map, 0, {}, true);
  }
  const Ip6Addr coa = a.addr("hao");
  const wire::PseudoHeader ph{home, map};
  auto mh = wire::encode_mh(msg, &ph);
  if (!mh) usage(wire::to_string(mh.error()).c_str());
  return send_mh(*mh, coa, map, IPV6_DSTOPTS, wire::encode_hao_dstopts(wire::kIpProtoMh, home),
                 false);
}

int cmd_send_ba(const Args& a) {
  const Ip6Addr map = a.addr("src");
  const Ip6Addr home = a.addr("dst");  // the RCoA: final destination
  const Ip6Addr coa = a.addr("rh2");   // first hop: the LCoA
  const wire::PseudoHeader ph{map, home};
  auto mh = wire::encode_mh(wire::MhMessage{ba_from_args(a)}, &ph);
  if (!mh) usage(wire::to_string(mh.error()).c_str());
  // Socket API (RFC 3542 §7): the cmsg lists the hops before the final
  // destination; the kernel swaps them into place on the wire.
  return send_mh(*mh, map, home, IPV6_RTHDR, wire::encode_rh2(wire::kIpProtoMh, coa), false);
}

struct Received {
  wire::Bytes mh;
  Ip6Addr src;
  std::optional<Ip6Addr> dst;  // from IPV6_PKTINFO
  std::optional<wire::Bytes> dstopts;
  std::optional<wire::Bytes> rthdr;
};

// Opens the socket, signals readiness, waits for one message.
Received receive_one(const Args& a) {
  int fd = open_mh_socket();
  setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO");
  setopt(fd, IPPROTO_IPV6, IPV6_RECVDSTOPTS, 1, "IPV6_RECVDSTOPTS");
  setopt(fd, IPPROTO_IPV6, IPV6_RECVRTHDR, 1, "IPV6_RECVRTHDR");
  if (a.has("ready")) {
    std::ofstream(a.str("ready")) << "ready\n";
  }
  const int timeout_ms = static_cast<int>(a.num("timeout", 3600, 20, false) * 1000);
  pollfd p{fd, POLLIN, 0};
  int r = ::poll(&p, 1, timeout_ms);
  if (r <= 0) {
    std::printf("FAIL: nothing arrived within %d ms\n", timeout_ms);
    std::exit(1);
  }
  Received out;
  out.mh.resize(4096);
  sockaddr_in6 from{};
  alignas(cmsghdr) unsigned char cbuf[1024];
  iovec iov{out.mh.data(), out.mh.size()};
  msghdr msg{};
  msg.msg_name = &from;
  msg.msg_namelen = sizeof from;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = cbuf;
  msg.msg_controllen = sizeof cbuf;
  ssize_t n = ::recvmsg(fd, &msg, 0);
  if (n < 0) {
    std::perror("mh_probe: recvmsg");
    std::exit(1);
  }
  if ((msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    std::printf("FAIL: message or control data truncated\n");
    std::exit(1);
  }
  out.mh.resize(static_cast<std::size_t>(n));
  out.src = from_in6(from.sin6_addr);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    const auto* data = reinterpret_cast<const std::uint8_t*>(CMSG_DATA(c));
    const std::size_t len = c->cmsg_len - CMSG_LEN(0);
    if (c->cmsg_type == IPV6_PKTINFO && len >= sizeof(in6_pktinfo)) {
      in6_pktinfo pi{};
      std::memcpy(&pi, data, sizeof pi);
      out.dst = from_in6(pi.ipi6_addr);
    } else if (c->cmsg_type == IPV6_DSTOPTS) {
      out.dstopts = wire::Bytes(data, data + len);
    } else if (c->cmsg_type == IPV6_RTHDR) {
      out.rthdr = wire::Bytes(data, data + len);
    }
  }
  ::close(fd);
  std::printf("received %zd octets\n", n);
  hexdump("mh", out.mh);
  if (out.dstopts) hexdump("dstopts cmsg", *out.dstopts);
  if (out.rthdr) hexdump("rthdr cmsg", *out.rthdr);
  return out;
}

// Checks the addresses and decodes the message, verifying the checksum over
// the addresses as the upper layer sees them.
std::optional<wire::MhMessage> check_and_decode(const Args& a, const Received& rx) {
  expect_addr("source", rx.src, a.addr("expect-src"));
  if (!rx.dst) {
    std::printf("MISMATCH destination: no IPV6_PKTINFO cmsg\n");
    ++failures;
    return std::nullopt;
  }
  expect_addr("destination", *rx.dst, a.addr("expect-dst"));
  const wire::PseudoHeader ph{rx.src, *rx.dst};
  auto m = wire::decode_mh(rx.mh, &ph);
  if (!m) {
    std::printf("MISMATCH decode_mh: %s\n", wire::to_string(m.error()).c_str());
    ++failures;
    return std::nullopt;
  }
  std::printf("  decode_mh: ok, checksum verified (src %s, dst %s)\n", rx.src.str().c_str(),
              rx.dst->str().c_str());
  return *m;
}

int finish(const char* what) {
  if (failures == 0) {
    std::printf("OK %s\n", what);
    return 0;
  }
  std::printf("FAIL %s: %d mismatch(es)\n", what, failures);
  return 1;
}

int cmd_recv_bu(const Args& a) {
  const Received rx = receive_one(a);
  const auto m = check_and_decode(a, rx);
  if (m) {
    const auto* bu = std::get_if<wire::BindingUpdate>(&*m);
    if (bu == nullptr) {
      std::printf("MISMATCH MH type: got %u, want 5 (BU)\n", wire::mh_type_of(*m));
      ++failures;
    } else {
      const wire::BindingUpdate want = bu_from_args(a);
      expect_num("BU sequence", bu->sequence, want.sequence);
      expect_num("BU lifetime", bu->lifetime, want.lifetime);
      expect_num("BU A flag", bu->ack, want.ack);
      expect_num("BU M flag", bu->map_registration, want.map_registration);
      expect_num("BU H flag", bu->home_registration, want.home_registration);
      expect("BU (all fields)", *bu, want);
    }
  }
  if (!rx.dstopts) {
    std::printf("MISMATCH no IPV6_DSTOPTS cmsg: the BU carried no Home Address option\n");
    ++failures;
  } else {
    auto d = wire::decode_dstopts(*rx.dstopts);
    if (!d) {
      std::printf("MISMATCH decode_dstopts: %s\n", wire::to_string(d.error()).c_str());
      ++failures;
    } else if (!d->home_address) {
      std::printf("MISMATCH the Destination Options header holds no Home Address option\n");
      ++failures;
    } else {
      expect_addr("HAO address (as processed by the kernel)", *d->home_address,
                  a.addr("expect-hao"));
      expect_num("dstopts next header", d->next_header, wire::kIpProtoMh);
    }
  }
  return finish("recv-bu");
}

int cmd_recv_ba(const Args& a) {
  const Received rx = receive_one(a);
  const auto m = check_and_decode(a, rx);
  if (m) {
    const auto* ba = std::get_if<wire::BindingAck>(&*m);
    if (ba == nullptr) {
      std::printf("MISMATCH MH type: got %u, want 6 (BA)\n", wire::mh_type_of(*m));
      ++failures;
    } else {
      const wire::BindingAck want = ba_from_args(a);
      expect_num("BA status", ba->status, want.status);
      expect_num("BA sequence", ba->sequence, want.sequence);
      expect_num("BA lifetime", ba->lifetime, want.lifetime);
      expect("BA (all fields)", *ba, want);
    }
  }
  if (!rx.rthdr) {
    std::printf("MISMATCH no IPV6_RTHDR cmsg: the BA carried no type 2 routing header\n");
    ++failures;
  } else {
    const wire::Bytes& rh = *rx.rthdr;
    // The kernel hands over the routing header as it left it after
    // processing: Segments Left decremented to 0 and the address swapped
    // with the IPv6 destination (wire::Rh2Stage::processed).
    if (rh.size() >= 4) expect_num("RH2 segments left (after kernel processing)", rh[3], 0);
    auto d = wire::decode_rh2(rh, wire::Rh2Stage::processed);
    if (!d) {
      std::printf("MISMATCH decode_rh2: %s\n", wire::to_string(d.error()).c_str());
      ++failures;
    } else {
      expect_addr("RH2 address (as processed by the kernel)", d->home_address,
                  a.addr("expect-rh2"));
      expect_num("RH2 next header", d->next_header, wire::kIpProtoMh);
    }
  }
  return finish("recv-ba");
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const Args a = parse_args(argc, argv);
  if (a.mode == "send-bu") return cmd_send_bu(a);
  if (a.mode == "send-ba") return cmd_send_ba(a);
  if (a.mode == "recv-bu") return cmd_recv_bu(a);
  if (a.mode == "recv-ba") return cmd_recv_ba(a);
  usage("unknown mode");
}
