// kglue_probe: drives a NetlinkDataplane from commands on stdin, one per
// line, one answer line each ("ok ..." or "error <rule>: <detail>"), so a
// kernel case can hold the dataplane's state while it inspects the kernel
// (test/kernel/cases/4x-kglue-*.sh, test/kernel/README.md).
//
// Usage: kglue_probe map|mn [--proxy-link IFNAME]... [--rcoa-prefix P]...
// Commands:
//   map-signalling [ADDR [ESP-PREFIX...] [tunnel]]        (tunnel: esp_required_tunnel, ProtectTraffic)
//   map-bind RCOA MAP LCOA PROXY-IFNAME|- [MTU] [ll] -> ok TUNNEL IFINDEX   (ll: link_local_proxy, the L flag)
//   map-unbind RCOA
//   mcoa-bind RCOA BID RANK MAP LCOA PROXY-IFNAME|- -> ok TUNNEL IFINDEX   (Multiple CoA: key {RCOA, BID})
//   mcoa-unbind RCOA BID
//   flow-policies [SPEC...]   SPEC: bid=N[,proto=N][,sport=A-B][,dport=A-B][,dscp=N][,from=P][,to=P]
//   ba-route MAP RCOA LCOA / ba-unroute MAP RCOA
//   refresh IFNAME
//   mn-signalling
//   mn-bind MAP RCOA LCOA IFNAME ROUTER|- primary|secondary [MTU] -> ok TUNNEL IFINDEX TABLE
//   mn-unbind MAP RCOA
//   home-bind HA HOA away COA via MAP RCOA [MTU] [protect]          -> ok TUNNEL IFINDEX TABLE   (nested)
//   home-bind HA HOA away COA plain IFNAME ROUTER|- [MTU] [protect] [coa=BID,COA,IFNAME[,ROUTER]]...
//                                                        -> ok TUNNEL IFINDEX TABLE [BID:TUNNEL]... [failed:BID,...]
//     (coa=: Multiple CoA, an extra CoA's receive-only tunnel; MTU before it applies to it too)
//     (protect: protect_traffic, ProtectTraffic)
//   home-bind HA HOA home IFNAME PREFIXLEN                -> ok - 0 0
//   home-unbind HA HOA
//   counters                                          -> ok PACKETS BYTES
//   adopt                                             -> ok N adopted: RCOA MAP LCOA PROXY|- TUNNEL IFINDEX; ...
//   reconcile                                         -> ok N removed: A; B; ...
//   flush
//   quit  (leaves without flush() only if given "quit noflush")
#include <net/if.h>

#include <array>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "hmip/kglue/netlink_dataplane.h"
#include "hmip/wire/error.h"

using namespace hmip;
using namespace hmip::kglue;

namespace {

std::optional<Ip6Addr> addr(const std::string& s) { return Ip6Addr::parse(s); }

int ifindex(const std::string& name) {
  if (name == "-") return 0;
  return static_cast<int>(if_nametoindex(name.c_str()));
}

bool port_range(const std::string& v, std::uint16_t& lo, std::uint16_t& hi) {
  const auto dash = v.find('-');
  lo = static_cast<std::uint16_t>(std::stoul(v.substr(0, dash)));
  hi = dash == std::string::npos ? lo : static_cast<std::uint16_t>(std::stoul(v.substr(dash + 1)));
  return true;
}

/// bid=N[,proto=N][,sport=A-B][,dport=A-B][,dscp=N][,from=P][,to=P]
std::optional<MapFlowPolicy> flow_policy(const std::string& spec) {
  MapFlowPolicy f;
  std::istringstream in(spec);
  for (std::string kv; std::getline(in, kv, ',');) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos) return std::nullopt;
    const std::string k = kv.substr(0, eq);
    const std::string v = kv.substr(eq + 1);
    if (k == "bid") {
      f.bid = static_cast<std::uint16_t>(std::stoul(v));
    } else if (k == "proto") {
      f.ip_proto = static_cast<std::uint8_t>(std::stoul(v));
    } else if (k == "sport") {
      port_range(v, f.sport_lo, f.sport_hi);
    } else if (k == "dport") {
      port_range(v, f.dport_lo, f.dport_hi);
    } else if (k == "dscp") {
      f.dscp = static_cast<std::uint8_t>(std::stoul(v));
    } else if (k == "from" || k == "to") {
      auto p = Ip6Prefix::parse(v);
      if (!p) return std::nullopt;
      (k == "from" ? f.from : f.to) = *p;
    } else {
      return std::nullopt;
    }
  }
  return f;
}

std::string err(const NetlinkDataplane& dp, const wire::Error& e) {
  return "error " + std::string(e.rule) + ": " + dp.last_error();
}

std::string run(NetlinkDataplane& dp, const std::vector<std::string>& w) {
  const std::string& c = w[0];
  auto A = [&](std::size_t i) { return i < w.size() ? addr(w[i]) : std::nullopt; };
  if (c == "map-signalling") {
    MapSignallingSettings ms;
    if (w.size() > 1) {
      if (!A(1)) return "error bad address";
      ms.map_address = *A(1);
    }
    for (std::size_t i = 2; i < w.size(); ++i) {
      if (w[i] == "tunnel") {
        ms.esp_required_tunnel = true;
        continue;
      }
      auto p = Ip6Prefix::parse(w[i]);
      if (!p) return "error bad prefix " + w[i];
      ms.esp_required_from.push_back(*p);
    }
    auto st = dp.install_map_signalling(ms);
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "map-bind" && w.size() >= 5 && A(1) && A(2) && A(3)) {
    MapBindingSettings s;
    s.map_address = *A(2);
    s.lcoa = *A(3);
    s.proxy_ifindex = ifindex(w[4]);
    for (std::size_t i = 5; i < w.size(); ++i) {
      if (w[i] == "ll") {
        s.link_local_proxy = true;
      } else {
        s.tunnel_mtu = static_cast<std::uint32_t>(std::stoul(w[i]));
      }
    }
    auto r = dp.install_map_binding({*A(1), 0}, s);
    return r ? "ok " + r->tunnel + " " + std::to_string(r->tunnel_ifindex) : err(dp, r.error());
  }
  if (c == "map-unbind" && A(1)) {
    auto st = dp.remove_map_binding({*A(1), 0});
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "mcoa-bind" && w.size() == 7 && A(1) && A(4) && A(5)) {
    MapBindingSettings s;
    s.map_address = *A(4);
    s.lcoa = *A(5);
    s.proxy_ifindex = ifindex(w[6]);
    s.rank = std::stoull(w[3]);
    auto r = dp.install_map_binding({*A(1), static_cast<std::uint16_t>(std::stoul(w[2]))}, s);
    return r ? "ok " + r->tunnel + " " + std::to_string(r->tunnel_ifindex) : err(dp, r.error());
  }
  if (c == "mcoa-unbind" && w.size() == 3 && A(1)) {
    auto st = dp.remove_map_binding({*A(1), static_cast<std::uint16_t>(std::stoul(w[2]))});
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "flow-policies") {
    std::vector<MapFlowPolicy> policies;
    for (std::size_t i = 1; i < w.size(); ++i) {
      auto f = flow_policy(w[i]);
      if (!f) return "error bad flow policy " + w[i];
      policies.push_back(*f);
    }
    auto st = dp.install_map_flow_policies(policies);
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "ba-route" && A(1) && A(2) && A(3)) {
    auto st = dp.install_ba_route(*A(1), *A(2), *A(3));
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "ba-unroute" && A(1) && A(2)) {
    auto st = dp.remove_ba_route(*A(1), *A(2));
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "refresh" && w.size() == 2) {
    auto st = dp.refresh_proxies(ifindex(w[1]));
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "mn-signalling") {
    auto st = dp.install_mn_signalling({});
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "mn-bind" && w.size() >= 7 && A(1) && A(2) && A(3)) {
    MnBindingSettings s;
    s.lcoa = *A(3);
    s.ifindex = ifindex(w[4]);
    if (w[5] != "-") {
      if (!A(5)) return "error bad router";
      s.router = *A(5);
    }
    s.primary = w[6] == "primary";
    if (w.size() > 7) s.tunnel_mtu = static_cast<std::uint32_t>(std::stoul(w[7]));
    auto r = dp.install_mn_binding({*A(1), *A(2)}, s);
    return r ? "ok " + r->tunnel + " " + std::to_string(r->tunnel_ifindex) + " " + std::to_string(r->table)
             : err(dp, r.error());
  }
  if (c == "mn-unbind" && A(1) && A(2)) {
    auto st = dp.remove_mn_binding({*A(1), *A(2)});
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "home-bind" && w.size() >= 6 && A(1) && A(2)) {
    const MnHomeKey k{*A(1), *A(2)};
    MnHomeSettings s;
    if (w[3] == "home") {
      s.mode = MnHomeMode::at_home;
      s.ifindex = ifindex(w[4]);
      s.prefix_len = static_cast<std::uint8_t>(std::stoul(w[5]));
    } else if (w[3] == "away" && w.size() >= 8 && A(4)) {
      s.coa = *A(4);
      std::size_t next = 0;
      if (w[5] == "via" && A(6) && A(7)) {
        s.via = MnBindingKey{*A(6), *A(7)};
        next = 8;
      } else if (w[5] == "plain") {
        s.ifindex = ifindex(w[6]);
        if (w[7] != "-") {
          if (!A(7)) return "error bad router";
          s.router = *A(7);
        }
        next = 8;
      } else {
        return "error home-bind: via MAP RCOA or plain IFNAME ROUTER";
      }
      for (std::size_t i = next; i < w.size(); ++i) {
        if (w[i] == "protect") {
          s.protect_traffic = true;
        } else if (w[i].rfind("coa=", 0) == 0) {  // coa=BID,COA,IFNAME[,ROUTER]: Multiple CoA
          std::vector<std::string> f;
          std::stringstream ss(w[i].substr(4));
          for (std::string x; std::getline(ss, x, ',');) f.push_back(x);
          if (f.size() < 3 || !addr(f[1])) return "error coa=BID,COA,IFNAME[,ROUTER]";
          MnHomeCoa extra;
          extra.bid = static_cast<std::uint16_t>(std::stoul(f[0]));
          extra.coa = *addr(f[1]);
          extra.ifindex = ifindex(f[2]);
          if (f.size() > 3 && addr(f[3])) extra.router = *addr(f[3]);
          extra.tunnel_mtu = s.tunnel_mtu;
          s.more_coas.push_back(extra);
        } else {
          s.tunnel_mtu = static_cast<std::uint32_t>(std::stoul(w[i]));
        }
      }
    } else {
      return "error malformed home-bind";
    }
    auto r = dp.install_mn_home_binding(k, s);
    if (!r) return err(dp, r.error());
    std::string more;
    for (const auto& m : r->more) more += " " + std::to_string(m.bid) + ":" + m.tunnel;
    for (std::size_t i = 0; i < r->failed_bids.size(); ++i)
      more += (i == 0 ? " failed:" : ",") + std::to_string(r->failed_bids[i]);
    return "ok " + (r->tunnel.empty() ? std::string("-") : r->tunnel) + " " + std::to_string(r->tunnel_ifindex) + " " +
           std::to_string(r->table) + more;
  }
  if (c == "home-unbind" && A(1) && A(2)) {
    auto st = dp.remove_mn_home_binding({*A(1), *A(2)});
    return st ? "ok" : err(dp, st.error());
  }
  if (c == "counters") {
    auto k = dp.counters();
    return "ok " + std::to_string(k.ingress_dropped_packets) + " " + std::to_string(k.ingress_dropped_bytes);
  }
  if (c == "adopt") {
    auto r = dp.adopt_map_bindings();
    if (!r) return err(dp, r.error());
    std::string s = "ok " + std::to_string(r->size()) + " adopted:";
    for (const auto& b : *r) {
      std::array<char, IF_NAMESIZE> proxy{'-'};
      if (b.settings.proxy_ifindex != 0) (void)if_indextoname(static_cast<unsigned>(b.settings.proxy_ifindex), proxy.data());
      s += " " + b.key.rcoa.str() + " " + b.settings.map_address.str() + " " + b.settings.lcoa.str() + " " +
           std::string(proxy.data()) + " " + b.objects.tunnel + " " + std::to_string(b.objects.tunnel_ifindex) + ";";
    }
    return s;
  }
  if (c == "reconcile") {
    auto r = dp.reconcile();
    if (!r) return err(dp, r.error());
    std::string s = "ok " + std::to_string(r->removed.size()) + " removed:";
    for (const auto& x : r->removed) s += " " + x + ";";
    return s;
  }
  if (c == "flush") {
    auto st = dp.flush();
    return st ? "ok" : err(dp, st.error());
  }
  return "error unknown or malformed command: " + c;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: kglue_probe map|mn [--proxy-link IF]... [--rcoa-prefix P]...\n");
    return 2;
  }
  const std::string role = argv[1];
  NetlinkDataplane::Options o;
  o.tags = role == "mn" ? Tags::mnd() : Tags::mapd();
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string opt = argv[i];
    if (opt == "--proxy-link") {
      o.proxy_links.push_back(ifindex(argv[i + 1]));
    } else if (opt == "--rcoa-prefix") {
      auto p = Ip6Prefix::parse(argv[i + 1]);
      if (!p) return 2;
      o.rcoa_prefixes.push_back(*p);
    } else {
      std::fprintf(stderr, "kglue_probe: unknown option %s\n", opt.c_str());
      return 2;
    }
  }
  try {
    NetlinkDataplane dp(o);
    std::cout << "ready" << std::endl;
    std::string line;
    while (std::getline(std::cin, line)) {
      std::istringstream in(line);
      std::vector<std::string> w;
      for (std::string x; in >> x;) w.push_back(x);
      if (w.empty()) continue;
      if (w[0] == "quit") {
        std::cout << "ok bye" << std::endl;
        return 0;
      }
      std::cout << run(dp, w) << std::endl;
    }
  } catch (const std::exception& e) {
    std::cout << "error " << e.what() << std::endl;
    return 1;
  }
  return 0;
}
