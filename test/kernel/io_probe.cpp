// io_probe: drives lib/io's MhSocket and nd_dad helpers against the real
// kernel for the kernel suite (test/kernel/cases/50-io-*.sh). Prints JSON
// lines; the case scripts check them.
//
//   io_probe recv [--count N] [--timeout S] [--ready FILE]
//       MhSocket receive loop: one JSON line per delivered Mobility Header
//       (src, dst, ifindex, hao, rh2, hop_limit, the decoded message,
//       whether the checksum verifies over {src, dst}), then the counters.
//   io_probe send-bu --src RCOA --dst MAP --seq N --lifetime L [--corrupt-checksum]
//       MhSocket::send (kernel checksum): the kernel's hao state inserts the
//       HAO. --corrupt-checksum sends it instead from a socket with
//       IPV6_CHECKSUM -1 and a wrong checksum (to see the receiver drop it).
//   io_probe send-bu-hao --src LCOA --home RCOA --dst MAP --seq N --lifetime L
//       MhSocket::send_with_header with a user-built HAO (IPV6_DSTOPTS).
//   io_probe send-ba --src MAP --dst RCOA --seq N --lifetime L [--status S]
//       MhSocket::send: the kernel's route2 state inserts the RH2.
//   io_probe send-ba-rh2 --src MAP --dst RCOA --coa LCOA --seq N --lifetime L [--status S]
//       MhSocket::send_with_header with a user-built RH2 (IPV6_RTHDR).
//   io_probe dad --ifname IF --target A [--timeout S]
//       joins A's solicited-node group, sends one DAD probe, prints the
//       verdict ("in_use" with the event, or "free" after the timeout).
//   io_probe na --ifname IF --target A [--router]
//       sends an unsolicited proxy NA for A from IF's link-local address
//       with IF's MAC in the Target LLA option.
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>

#include "hmip/io/mh_socket.h"
#include "hmip/io/nd_dad.h"
#include "hmip/wire/checksum.h"
#include "hmip/wire/ext_headers.h"
#include "hmip/wire/mh.h"

namespace {

using hmip::Ip6Addr;
namespace io = hmip::io;
namespace wire = hmip::wire;
using nlohmann::json;

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "io_probe: %s\n", msg.c_str());
  std::exit(2);
}

struct Args {
  std::string mode;
  std::map<std::string, std::string> kv;
  [[nodiscard]] bool has(const std::string& k) const { return kv.count(k) != 0; }
  [[nodiscard]] std::string str(const std::string& k) const {
    auto it = kv.find(k);
    if (it == kv.end()) die("missing --" + k);
    return it->second;
  }
  [[nodiscard]] Ip6Addr addr(const std::string& k) const {
    auto a = Ip6Addr::parse(str(k));
    if (!a) die("--" + k + " is not an IPv6 address");
    return *a;
  }
  [[nodiscard]] unsigned long num(const std::string& k, unsigned long dflt) const {
    if (!has(k)) return dflt;
    char* end = nullptr;
    const std::string s = str(k);
    const unsigned long v = std::strtoul(s.c_str(), &end, 0);
    if (s.empty() || *end != '\0') die("bad --" + k);
    return v;
  }
};

Args parse_args(int argc, char** argv) {
  if (argc < 2) die("no mode");
  Args a;
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0) die("options are --name [value]");
    k = k.substr(2);
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      a.kv[k] = argv[++i];
    } else {
      a.kv[k] = "1";
    }
  }
  return a;
}

json decoded_json(const wire::MhMessage& m) {
  json j;
  j["mh_type"] = wire::mh_type_of(m);
  if (const auto* bu = std::get_if<wire::BindingUpdate>(&m)) {
    j["seq"] = bu->sequence;
    j["lifetime"] = bu->lifetime;
    j["a"] = bu->ack;
    j["m"] = bu->map_registration;
    j["h"] = bu->home_registration;
  } else if (const auto* ba = std::get_if<wire::BindingAck>(&m)) {
    j["seq"] = ba->sequence;
    j["lifetime"] = ba->lifetime;
    j["status"] = ba->status;
  }
  return j;
}

int cmd_recv(const Args& a) {
  boost::asio::io_context ctx;
  io::MhSocket sock(ctx, io::MhSocketOptions{});
  const unsigned long want = a.num("count", 1);
  unsigned long got = 0;
  sock.start_receive(
      [&](const io::ReceivedMhPacket& p) {
        json j;
        j["src"] = p.src.str();
        j["dst"] = p.dst.str();
        j["ifindex"] = p.ifindex;
        j["hao"] = p.hao ? json(p.hao->str()) : json(nullptr);
        j["rh2"] = p.rh2 ? json(p.rh2->str()) : json(nullptr);
        j["hop_limit"] = p.hop_limit;
        j["length"] = p.bytes.size();
        // The kernel verified the checksum already; this re-checks it over
        // the addresses the socket reports (RFC 6275 §6.1.1).
        const wire::PseudoHeader ph{p.src, p.dst};
        j["checksum_ok"] = wire::verify_upper_layer_checksum(ph, wire::kIpProtoMh, p.bytes);
        auto m = wire::decode_mh(p.bytes, nullptr);
        if (m) {
          j["mh"] = decoded_json(*m);
        } else {
          j["mh_error"] = wire::to_string(m.error());
        }
        std::printf("%s\n", j.dump().c_str());
        if (++got >= want) ctx.stop();
      },
      [](const std::error_code& ec, std::string_view detail) {
        std::fprintf(stderr, "io_probe: receive error %s: %.*s\n", ec.message().c_str(), static_cast<int>(detail.size()),
                     detail.data());
      });
  boost::asio::steady_timer timer(ctx, std::chrono::seconds(a.num("timeout", 20)));
  timer.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) ctx.stop();
  });
  if (a.has("ready")) std::ofstream(a.str("ready")) << "ready\n";
  ctx.run();
  const auto c = sock.counters();
  json cj{{"counters",
           {{"received", c.received},
            {"receive_errors", c.receive_errors},
            {"truncated", c.truncated},
            {"control_truncated", c.control_truncated},
            {"bad_cmsg", c.bad_cmsg},
            {"kernel_drops", c.kernel_drops}}}};
  std::printf("%s\n", cj.dump().c_str());
  return got >= want ? 0 : 1;
}

wire::Bytes encode_or_die(const wire::MhMessage& m) {
  auto b = wire::encode_mh(m, nullptr);
  if (!b) die(wire::to_string(b.error()));
  return *b;
}

wire::BindingUpdate bu_of(const Args& a) {
  wire::BindingUpdate bu;
  bu.sequence = static_cast<std::uint16_t>(a.num("seq", 0));
  bu.lifetime = static_cast<std::uint16_t>(a.num("lifetime", 0));
  bu.ack = true;
  bu.map_registration = true;
  return bu;
}

wire::BindingAck ba_of(const Args& a) {
  wire::BindingAck ba;
  ba.sequence = static_cast<std::uint16_t>(a.num("seq", 0));
  ba.lifetime = static_cast<std::uint16_t>(a.num("lifetime", 0));
  ba.status = static_cast<std::uint8_t>(a.num("status", 0));
  return ba;
}

int report_send(const char* what, const std::error_code& ec) {
  if (ec) {
    std::printf("%s\n", json{{"sent", what}, {"error", ec.message()}}.dump().c_str());
    return 1;
  }
  std::printf("%s\n", json{{"sent", what}}.dump().c_str());
  return 0;
}

// A BU with a wrong checksum, sent so that the kernel does not fix it.
int send_corrupt_bu(const Args& a) {
  wire::Bytes mh = encode_or_die(bu_of(a));
  const wire::PseudoHeader ph{a.addr("src"), a.addr("dst")};
  const std::uint16_t sum = wire::upper_layer_checksum(ph, wire::kIpProtoMh, mh) ^ 0x5a5a;
  mh[4] = static_cast<std::uint8_t>(sum >> 8);
  mh[5] = static_cast<std::uint8_t>(sum & 0xff);
  io::UniqueFd fd(::socket(AF_INET6, SOCK_RAW, IPPROTO_MH));
  const int off = -1;
  if (!fd || ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof off) != 0) die("raw MH socket");
  const Ip6Addr src = a.addr("src");
  const Ip6Addr dst = a.addr("dst");
  // bind() sets the source; the hao state then applies as for a normal BU.
  sockaddr_in6 me{};
  me.sin6_family = AF_INET6;
  std::memcpy(me.sin6_addr.s6_addr, src.b.data(), 16);
  sockaddr_in6 to{};
  to.sin6_family = AF_INET6;
  std::memcpy(to.sin6_addr.s6_addr, dst.b.data(), 16);
  // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast)
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&me), sizeof me) != 0) die("bind");
  if (::sendto(fd.get(), mh.data(), mh.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
    return report_send("bu-corrupt", {errno, std::system_category()});
  // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
  return report_send("bu-corrupt", {});
}

int cmd_send(const Args& a) {
  boost::asio::io_context ctx;
  io::MhSocket sock(ctx, io::MhSocketOptions{});
  if (a.mode == "send-bu") {
    if (a.has("corrupt-checksum")) return send_corrupt_bu(a);
    return report_send("bu", sock.send(encode_or_die(bu_of(a)), a.addr("src"), a.addr("dst")));
  }
  if (a.mode == "send-bu-hao") {
    const wire::Bytes hao = wire::encode_hao_dstopts(wire::kIpProtoMh, a.addr("home"));
    return report_send("bu-hao", sock.send_with_header(encode_or_die(bu_of(a)), a.addr("src"), a.addr("dst"),
                                                       io::MhExtHeader::dstopts, hao));
  }
  if (a.mode == "send-ba") return report_send("ba", sock.send(encode_or_die(ba_of(a)), a.addr("src"), a.addr("dst")));
  const wire::Bytes rh2 = wire::encode_rh2(wire::kIpProtoMh, a.addr("coa"));
  return report_send("ba-rh2", sock.send_with_header(encode_or_die(ba_of(a)), a.addr("src"), a.addr("dst"),
                                                     io::MhExtHeader::rthdr, rh2));
}

struct IfInfo {
  int ifindex = 0;
  std::optional<Ip6Addr> link_local;
  wire::Bytes mac;
};

IfInfo if_info(const std::string& name) {
  IfInfo info;
  info.ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  if (info.ifindex == 0) die("no interface " + name);
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) die("getifaddrs");
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || name != i->ifa_name) continue;
    // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast)
    if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* s6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      Ip6Addr a;
      std::memcpy(a.b.data(), s6->sin6_addr.s6_addr, 16);
      if (a.is_link_local()) info.link_local = a;
    } else if (i->ifa_addr->sa_family == AF_PACKET) {
      const auto* ll = reinterpret_cast<const sockaddr_ll*>(i->ifa_addr);
      info.mac.assign(ll->sll_addr, ll->sll_addr + ll->sll_halen);
    }
    // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
  }
  ::freeifaddrs(list);
  return info;
}

int cmd_dad(const Args& a) {
  const IfInfo info = if_info(a.str("ifname"));
  const Ip6Addr target = a.addr("target");
  boost::asio::io_context ctx;
  io::Icmpv6Socket sock(ctx, io::nd_dad_socket_options());
  if (auto ec = io::join_solicited_node(sock, info.ifindex, target)) die("join: " + ec.message());
  json verdict{{"target", target.str()}, {"verdict", "free"}};
  sock.start_receive(
      [&](const io::Icmpv6Packet& p) {
        const auto o = io::classify_dad(p, target);
        std::printf("%s\n", json{{"seen", o.detail}, {"event", static_cast<int>(o.event)}}.dump().c_str());
        if (io::dad_failed(o.event)) {
          verdict["verdict"] = "in_use";
          verdict["event"] = o.event == io::DadEvent::defended ? "defended" : "concurrent_probe";
          verdict["detail"] = o.detail;
          ctx.stop();
        }
      },
      {});
  io::DadProber prober;
  if (auto ec = prober.send_probe(info.ifindex, target)) die("probe: " + ec.message());
  boost::asio::steady_timer timer(ctx, std::chrono::seconds(a.num("timeout", 2)));
  timer.async_wait([&](const boost::system::error_code& ec) {
    if (!ec) ctx.stop();
  });
  ctx.run();
  (void)io::leave_solicited_node(sock, info.ifindex, target);
  std::printf("%s\n", verdict.dump().c_str());
  return 0;
}

int cmd_na(const Args& a) {
  const IfInfo info = if_info(a.str("ifname"));
  if (!info.link_local) die("no link-local address on " + a.str("ifname"));
  boost::asio::io_context ctx;
  io::Icmpv6Socket sock(ctx, io::nd_dad_socket_options());
  const auto ec =
      io::send_unsolicited_na(sock, info.ifindex, *info.link_local, a.addr("target"), info.mac, a.has("router"));
  if (ec) die("send NA: " + ec.message());
  std::string m;
  for (auto b : info.mac) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%s%02x", m.empty() ? "" : ":", b);
    m += hex;
  }
  std::printf("%s\n", json{{"sent", "na"}, {"from", info.link_local->str()}, {"mac", m}}.dump().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const Args a = parse_args(argc, argv);
  try {
    if (a.mode == "recv" || a.mode == "recv-bu" || a.mode == "recv-ba") return cmd_recv(a);
    if (a.mode == "send-bu" || a.mode == "send-bu-hao" || a.mode == "send-ba" || a.mode == "send-ba-rh2")
      return cmd_send(a);
    if (a.mode == "dad") return cmd_dad(a);
    if (a.mode == "na") return cmd_na(a);
  } catch (const std::exception& e) {
    die(e.what());
  }
  die("unknown mode " + a.mode);
}
