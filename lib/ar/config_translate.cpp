#include "config_translate.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>
#include <vector>

#include "ard_reader.h"
#include "config_validate.h"

namespace hmip::ar::detail {

namespace {

using core::conf::kIfNameMax;

class Translator : public StatementReader {
 public:
  using StatementReader::StatementReader;

  void run(std::string_view text) {
    static constexpr std::array<std::string_view, 1> kTop{"interface"};
    const core::conf::TreeOptions opt{.keywords = all_keywords(), .top_level = kTop};
    if (!core::conf::read_top_level(*this, text, opt, [this](const Statement& s) { statement(s); })) return;
    validate_global(cfg_, states_, *this);
    if (cfg_.interfaces.empty() && seen_interfaces_.empty())
      err(0, 0, "no interface block: ard has nothing to advertise (add 'interface NAME { ... };')");
  }

  ArdConfig take() { return std::move(cfg_); }

 private:
  void statement(const Statement& s) {
    const auto& k = s.keyword.text;
    if (k == "interface") {
      interface(s);
    } else if (k == "ControlSocket") {
      no_block(s);
      duplicate(global_, s);
      if (auto v = socket_path(s, "/run/hmip/ard.sock")) cfg_.control_socket = *v;
    } else if (k == "LogLevel") {
      no_block(s);
      duplicate(global_, s);
      if (auto v = log_level(s)) cfg_.log_level = *v;
    } else {
      unknown(s, Ctx::global);
    }
  }

  // ---- interface ----
  void interface(const Statement& s) {
    InterfaceConfig ic;
    ic.line = s.line();
    bool name_ok = false;
    if (s.args.empty()) {
      err(s.keyword, "interface needs a name, as in 'interface eth0 { ... };'");
    } else if (s.args.size() > 1) {
      err(s.args[1], "interface takes one name, got " + std::to_string(s.args.size()));
    } else {
      const Token& n = s.args[0];
      ic.name = n.text;
      if (n.text.empty() || n.text.size() > kIfNameMax)
        err(n, "interface name '" + q(n.text) + "' must be 1.." + std::to_string(kIfNameMax) + " characters long");
      else if (n.text == "." || n.text == ".." ||
               n.text.find_first_of("/ \t") != std::string::npos)
        err(n, "'" + q(n.text) + "' is not a valid interface name");
      else
        name_ok = true;
    }
    if (!s.has_block) err(s.keyword, "interface " + q(ic.name) + " needs a { ... } block");

    InterfaceState st;
    st.keyword = s.keyword;
    for (const auto& c : s.block) interface_statement(ic, st, c);
    validate_interface(ic, st, *this);

    if (name_ok) {
      if (auto it = seen_interfaces_.find(ic.name); it != seen_interfaces_.end()) {
        err(s.args[0], "interface " + ic.name + " is already configured on line " + std::to_string(it->second));
        return;
      }
      seen_interfaces_.emplace(ic.name, ic.line);
      cfg_.interfaces.push_back(std::move(ic));
      states_.push_back(std::move(st));
    }
  }

  void interface_statement(InterfaceConfig& ic, InterfaceState& st, const Statement& s) {
    const std::string& k = s.keyword.text;
    if (k == "prefix") return prefix(ic, s);
    if (k == "route") return route(ic, s);
    if (k == "RDNSS") return rdnss(ic, s);
    if (k == "DNSSL") return dnssl(ic, s);
    if (k == "map") return map(ic, s);
    if (!contains(keywords_of(Ctx::interface), k)) return unknown(s, Ctx::interface);

    no_block(s);
    if (k == "MapUpstream") {
      st.seen.note(s);  // may be repeated: the addresses accumulate
      return map_upstream(ic, s);
    }
    duplicate(st.seen, s);

    if (k == "AdvSendAdvert") {
      if (auto v = flag(s)) ic.send_advert = *v;
    } else if (k == "MaxRtrAdvInterval") {
      if (auto v = seconds(s, core::milliseconds(70), core::seconds(1800))) ic.max_interval = *v;
    } else if (k == "MinRtrAdvInterval") {
      if (auto v = seconds(s, core::milliseconds(30), core::seconds(1350))) ic.min_interval = *v;
    } else if (k == "MinDelayBetweenRAs") {
      if (auto v = seconds(s, core::milliseconds(30), core::seconds(1800))) ic.min_delay_between_ras = *v;
    } else if (k == "MaxRADelay") {
      if (auto v = seconds(s, core::milliseconds(0), core::seconds(10))) ic.max_ra_delay = *v;
    } else if (k == "AdvManagedFlag") {
      if (auto v = flag(s)) ic.managed = *v;
    } else if (k == "AdvOtherConfigFlag") {
      if (auto v = flag(s)) ic.other_config = *v;
    } else if (k == "AdvLinkMTU") {
      if (auto v = number(s, 0, kInfinity, "")) {
        if (*v != 0 && *v < 1280)
          err(s.args[0], "AdvLinkMTU " + s.args[0].text +
                             " must be 0 (no MTU option) or at least 1280, the IPv6 minimum (RFC 8200 §5)");
        else
          ic.link_mtu = static_cast<std::uint32_t>(*v);
      }
    } else if (k == "AdvReachableTime") {
      if (auto v = number(s, 0, 3'600'000, " ms")) ic.reachable_time = static_cast<std::uint32_t>(*v);
    } else if (k == "AdvRetransTimer") {
      if (auto v = number(s, 0, kInfinity, " ms")) ic.retrans_timer = static_cast<std::uint32_t>(*v);
    } else if (k == "AdvCurHopLimit") {
      if (auto v = number(s, 0, 255, "")) ic.cur_hop_limit = static_cast<std::uint8_t>(*v);
    } else if (k == "AdvDefaultLifetime") {
      if (auto v = number(s, 0, 9000, " seconds")) ic.default_lifetime = static_cast<std::uint16_t>(*v);
    } else if (k == "AdvDefaultPreference") {
      if (auto v = preference(s)) ic.default_preference = *v;
    } else if (k == "AdvSourceLLAddress") {
      if (auto v = flag(s)) ic.source_lla = *v;
    } else if (k == "AdvIntervalOpt") {
      if (auto v = flag(s)) ic.adv_interval_option = *v;
    } else if (k == "AdvRASolicitedUnicast") {
      if (auto v = flag(s)) ic.unicast_solicited = *v;
    } else if (k == "MapListen") {
      if (auto v = flag(s)) ic.map_listen = *v;
    } else if (k == "MapRelay") {
      if (auto v = flag(s)) ic.map_relay = *v;
    }
  }

  void map_upstream(InterfaceConfig& ic, const Statement& s) {
    if (s.args.empty()) {
      err(s.keyword, "MapUpstream needs the link-local addresses of the upstream routers, as in 'MapUpstream fe80::1;'");
      return;
    }
    for (const auto& a : s.args) {
      auto addr = address(a, "MapUpstream takes link-local router addresses");
      if (!addr) continue;
      if (!addr->is_link_local()) {
        err(a, "MapUpstream " + q(a.text) +
                   " is not link-local: routers send RAs from their link-local address (RFC 4861 §4.2)");
        continue;
      }
      if (std::find(ic.map_upstream.begin(), ic.map_upstream.end(), *addr) != ic.map_upstream.end()) {
        warn(a, "MapUpstream " + addr->str() + " is listed twice");
        continue;
      }
      ic.map_upstream.push_back(*addr);
    }
  }

  // ---- sub-blocks ----

  // Reads the option block of a sub-statement (prefix, route, ...), dispatching
  // each known keyword to `f` and reporting the rest.
  template <class F>
  void sub_block(const Statement& s, Ctx ctx, Seen& seen, const F& f) {
    for (const auto& c : s.block) {
      if (!contains(keywords_of(ctx), c.keyword.text)) {
        unknown(c, ctx);
        continue;
      }
      no_block(c);
      duplicate(seen, c);
      f(c);
    }
  }

  // An error when `what` (a prefix, route or MAP) is already configured on
  // the interface; `others` are its entries of the same kind.
  template <class Config, class Same>
  bool already_configured(const InterfaceConfig& ic, const std::vector<Config>& others, const Same& same,
                          const Statement& s, const std::string& what) {
    for (const auto& other : others) {
      if (!same(other)) continue;
      err(s.args[0], what + " is already configured on line " + std::to_string(other.line) + " for interface " +
                         q(ic.name));
      return true;
    }
    return false;
  }

  void prefix(InterfaceConfig& ic, const Statement& s) {
    PrefixConfig p;
    p.line = s.line();
    auto parsed = prefix_arg(s);
    Seen seen;
    sub_block(s, Ctx::prefix, seen, [&](const Statement& c) {
      const auto& k = c.keyword.text;
      if (k == "AdvOnLink") {
        if (auto v = flag(c)) p.on_link = *v;
      } else if (k == "AdvAutonomous") {
        if (auto v = flag(c)) p.autonomous = *v;
      } else if (k == "AdvRouterAddr") {
        if (auto v = flag(c)) p.router_address = *v;
      } else if (k == "AdvValidLifetime") {
        if (auto v = lifetime(c)) p.valid_lifetime = *v;
      } else if (k == "AdvPreferredLifetime") {
        if (auto v = lifetime(c)) p.preferred_lifetime = *v;
      }
    });
    if (!parsed) return;
    p.prefix = *parsed;
    validate_prefix(p, seen, s, *this);
    const auto same = [&](const PrefixConfig& other) { return other.prefix == p.prefix; };
    if (!already_configured(ic, ic.prefixes, same, s, "prefix " + p.prefix.str())) ic.prefixes.push_back(p);
  }

  void route(InterfaceConfig& ic, const Statement& s) {
    RouteConfig rc;
    rc.line = s.line();
    auto parsed = prefix_arg(s);
    Seen seen;
    sub_block(s, Ctx::route, seen, [&](const Statement& c) {
      if (c.keyword.text == "AdvRoutePreference") {
        if (auto v = preference(c)) rc.preference = *v;
      } else if (auto v = lifetime(c)) {
        rc.lifetime = *v;
      }
    });
    if (!parsed) return;
    rc.prefix = *parsed;
    const auto same = [&](const RouteConfig& other) { return other.prefix == rc.prefix; };
    if (!already_configured(ic, ic.routes, same, s, "route " + rc.prefix.str())) ic.routes.push_back(rc);
  }

  void rdnss(InterfaceConfig& ic, const Statement& s) {
    RdnssConfig rc;
    rc.line = s.line();
    bool ok = true;
    if (s.args.empty()) {
      err(s.keyword, "RDNSS needs at least one DNS server address, as in 'RDNSS 2001:db8::53 { };'");
      ok = false;
    }
    for (const auto& a : s.args) {
      auto addr = address(a, "RDNSS lists DNS server addresses");
      if (!addr) {
        ok = false;
        continue;
      }
      if (addr->is_multicast() || addr->is_unspecified()) {
        err(a, "RDNSS " + q(a.text) + " is not a unicast address");
        ok = false;
        continue;
      }
      bool dup = std::find(rc.servers.begin(), rc.servers.end(), *addr) != rc.servers.end();
      for (const auto& other : ic.rdnss)
        dup = dup || std::find(other.servers.begin(), other.servers.end(), *addr) != other.servers.end();
      if (dup) warn(a, "RDNSS server " + addr->str() + " is listed more than once on interface " + q(ic.name));
      rc.servers.push_back(*addr);
    }
    lifetime_block(s, Ctx::rdnss, rc.lifetime);
    if (ok) ic.rdnss.push_back(std::move(rc));
  }

  void dnssl(InterfaceConfig& ic, const Statement& s) {
    DnsslConfig dc;
    dc.line = s.line();
    bool ok = true;
    if (s.args.empty()) {
      err(s.keyword, "DNSSL needs at least one domain name, as in 'DNSSL example.net { };'");
      ok = false;
    }
    for (const auto& a : s.args) {
      if (!valid_domain(a.text)) {
        err(a, "'" + q(a.text) +
                   "' is not a valid domain name (labels of 1..63 letters, digits, '-' or '_', 253 characters at most)");
        ok = false;
        continue;
      }
      dc.domains.push_back(a.text);
    }
    lifetime_block(s, Ctx::dnssl, dc.lifetime);
    if (ok) ic.dnssl.push_back(std::move(dc));
  }

  // The block of an RDNSS or DNSSL statement: its one keyword is a lifetime.
  void lifetime_block(const Statement& s, Ctx ctx, std::optional<std::uint32_t>& lifetime_out) {
    Seen seen;
    sub_block(s, ctx, seen, [&](const Statement& c) {
      if (auto v = lifetime(c)) lifetime_out = *v;
    });
  }

  void map(InterfaceConfig& ic, const Statement& s) {
    MapConfig m;
    m.line = s.line();
    std::optional<Ip6Addr> addr;
    if (const Token* a = one_arg(s, "the MAP's global address, as in 'map 2001:db8:100::1 { ... };'")) {
      addr = address(*a, "a MAP's global address");
      if (addr && (addr->is_link_local() || addr->is_multicast() || addr->is_unspecified() || addr->is_loopback())) {
        err(*a, "map " + q(a->text) + ": a MAP option carries one of the MAP's global addresses (RFC 5380 §5)");
        addr.reset();
      }
    }
    Seen seen;
    sub_block(s, Ctx::map, seen, [&](const Statement& c) {
      const auto& k = c.keyword.text;
      if (k == "Dist") {
        if (auto v = number(c, 1, 15, "")) m.dist = static_cast<std::uint8_t>(*v);
      } else if (k == "Pref") {
        if (auto v = number(c, 0, 15, "")) m.pref = static_cast<std::uint8_t>(*v);
      } else if (k == "RFlag") {
        if (auto v = flag(c)) m.r_flag = *v;
      } else if (k == "ValidLifetime") {
        if (auto v = number(c, 0, kInfinity, " seconds")) m.valid_lifetime = static_cast<std::uint32_t>(*v);
      } else if (k == "Probe") {
        if (auto v = flag(c)) m.probe.enabled = *v;
      } else if (k == "ProbeInterval") {
        if (auto v = seconds(c, core::milliseconds(10), core::seconds(3600))) m.probe.interval = *v;
      } else if (k == "ProbeRetryInterval") {
        if (auto v = seconds(c, core::milliseconds(10), core::seconds(3600))) m.probe.retry_interval = *v;
      } else if (k == "ProbeFailAfter") {
        if (auto v = seconds(c, core::milliseconds(10), core::seconds(86400))) m.probe.fail_after = *v;
      } else if (k == "ProbeTimeout") {
        if (auto v = seconds(c, core::milliseconds(10), core::seconds(3600))) m.probe.reply_timeout = *v;
      } else if (k == "ProbeRestoreAfter") {
        if (auto v = number(c, 1, 1000, "")) m.probe.restore_after = static_cast<unsigned>(*v);
      } else if (k == "ProbeFailMisses") {
        if (auto v = number(c, 1, 1000, "")) m.probe.fail_misses = static_cast<unsigned>(*v);
      } else if (k == "ProbeRestoreHoldDown") {
        if (auto v = seconds(c, core::seconds(0), core::seconds(86400))) m.probe.restore_hold_down = *v;
      }
    });
    if (!addr) return;
    m.address = *addr;
    validate_map(m, seen, s, *this);
    const auto same = [&](const MapConfig& other) { return other.address == m.address; };
    if (!already_configured(ic, ic.maps, same, s, "MAP " + m.address.str())) ic.maps.push_back(m);
  }

  ArdConfig cfg_;
  Seen global_;                         // the global statements
  std::vector<InterfaceState> states_;  // parallel to cfg_.interfaces
  std::map<std::string, int, std::less<>> seen_interfaces_;
};

}  // namespace

ArdConfig read_ard_config(std::string_view text, ParseResult& r) {
  Translator t(r);
  t.run(text);
  return t.take();
}

}  // namespace hmip::ar::detail
