#include "hmip/ar/config_parse.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <map>
#include <span>
#include <system_error>
#include <utility>

namespace hmip::ar {

namespace {

using core::conf::closest_keyword;
using core::conf::format_seconds;
using core::conf::iequals;
using core::conf::Statement;
using core::conf::Token;
using core::conf::ValueError;

constexpr std::uint64_t kInfinity = 0xffffffffULL;
constexpr std::size_t kMaxFileSize = 1U << 20U;  // a real ard.conf is a few KiB
constexpr std::size_t kMaxDiagnostics = 1000;    // per list; garbage input stops here
constexpr std::size_t kIfNameMax = 15;    // IFNAMSIZ - 1
constexpr std::size_t kSunPathMax = 107;  // sizeof(sockaddr_un::sun_path) - 1

// ---- keywords ----------------------------------------------------------------

enum class Ctx : std::uint8_t { global, interface, prefix, route, rdnss, dnssl, map };

constexpr std::array<std::string_view, 3> kGlobalKw{"interface", "ControlSocket", "LogLevel"};
constexpr std::array<std::string_view, 24> kInterfaceKw{
    "AdvSendAdvert",    "MinRtrAdvInterval",   "MaxRtrAdvInterval",     "MinDelayBetweenRAs",
    "MaxRADelay",       "AdvManagedFlag",      "AdvOtherConfigFlag",    "AdvLinkMTU",
    "AdvReachableTime", "AdvRetransTimer",     "AdvCurHopLimit",        "AdvDefaultLifetime",
    "AdvDefaultPreference", "AdvSourceLLAddress", "AdvIntervalOpt",     "AdvRASolicitedUnicast",
    "MapListen",        "MapUpstream",         "MapRelay",              "prefix",
    "route",            "RDNSS",               "DNSSL",                 "map"};
constexpr std::array<std::string_view, 5> kPrefixKw{"AdvOnLink", "AdvAutonomous", "AdvRouterAddr", "AdvValidLifetime",
                                                    "AdvPreferredLifetime"};
constexpr std::array<std::string_view, 2> kRouteKw{"AdvRoutePreference", "AdvRouteLifetime"};
constexpr std::array<std::string_view, 1> kRdnssKw{"AdvRDNSSLifetime"};
constexpr std::array<std::string_view, 1> kDnsslKw{"AdvDNSSLLifetime"};
constexpr std::array<std::string_view, 10> kMapKw{"Dist",          "Pref",          "RFlag",
                                                  "ValidLifetime", "Probe",         "ProbeInterval",
                                                  "ProbeRetryInterval", "ProbeFailAfter", "ProbeTimeout",
                                                  "ProbeRestoreAfter"};
// radvd.conf keywords ard does not implement: a clear error instead of
// "unknown keyword" for someone migrating a radvd.conf.
constexpr std::array<std::string_view, 24> kRadvdOnly{
    "IgnoreIfMissing",     "AdvHomeAgentFlag",     "AdvHomeAgentInfo",    "HomeAgentLifetime",
    "HomeAgentPreference", "AdvMobRtrSupportFlag", "UnicastOnly",         "UnrestrictedUnicast",
    "AdvRASrcAddress",     "clients",              "abro",                "nat64prefix",
    "lowpanco",            "AdvCaptivePortalAPI",  "DeprecatePrefix",     "DecrementLifetimes",
    "Base6Interface",      "Base6to4Interface",    "RemoveRoute",         "RemoveAdvOnExit",
    "FlushRDNSS",          "FlushDNSSL",           "AdvRDNSSPreference",  "AdvRDNSSOpen"};

std::span<const std::string_view> keywords_of(Ctx c) {
  switch (c) {
    case Ctx::global: return kGlobalKw;
    case Ctx::interface: return kInterfaceKw;
    case Ctx::prefix: return kPrefixKw;
    case Ctx::route: return kRouteKw;
    case Ctx::rdnss: return kRdnssKw;
    case Ctx::dnssl: return kDnsslKw;
    case Ctx::map: return kMapKw;
  }
  return {};
}

constexpr std::array<Ctx, 7> kAllCtx{Ctx::global, Ctx::interface, Ctx::prefix, Ctx::route,
                                     Ctx::rdnss,  Ctx::dnssl,     Ctx::map};

std::string_view ctx_name(Ctx c) {
  switch (c) {
    case Ctx::global: return "the top level";
    case Ctx::interface: return "an interface block";
    case Ctx::prefix: return "a prefix block";
    case Ctx::route: return "a route block";
    case Ctx::rdnss: return "an RDNSS block";
    case Ctx::dnssl: return "a DNSSL block";
    case Ctx::map: return "a map block";
  }
  return "";
}

bool contains(std::span<const std::string_view> set, std::string_view w) {
  return std::find(set.begin(), set.end(), w) != set.end();
}

const std::vector<std::string_view>& all_keywords() {
  static const std::vector<std::string_view> all = [] {
    std::vector<std::string_view> v;
    for (const Ctx c : kAllCtx)
      for (const auto k : keywords_of(c)) v.push_back(k);
    v.insert(v.end(), kRadvdOnly.begin(), kRadvdOnly.end());
    return v;
  }();
  return all;
}

// ---- small helpers -------------------------------------------------------------

std::string q(std::string_view s) {
  constexpr std::size_t kMax = 60;
  std::string out;
  for (const char ch : s.substr(0, kMax)) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c == 0x7f) ? '?' : ch;
  }
  if (s.size() > kMax) out += "...";
  return out;
}

Duration ms_of_seconds(std::uint64_t s) { return Duration(static_cast<Duration::rep>(s) * 1000); }

bool valid_domain(std::string_view d) {
  if (d.size() > 1 && d.back() == '.') d.remove_suffix(1);
  if (d.empty() || d.size() > 253) return false;
  std::size_t label = 0;
  for (const char c : d) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

std::optional<wire::RouterPreference> parse_preference(std::string_view t) {
  if (iequals(t, "low")) return wire::RouterPreference::low;
  if (iequals(t, "medium")) return wire::RouterPreference::medium;
  if (iequals(t, "high")) return wire::RouterPreference::high;
  return std::nullopt;
}

// Which keywords a block set, and where: for duplicate warnings and for
// cross-field errors reported at the statement that set the field.
class Seen {
 public:
  // Records `s`; returns the token of an earlier statement with the same keyword.
  const Token* note(const Statement& s) {
    auto [it, inserted] = map_.try_emplace(s.keyword.text, s.keyword);
    if (inserted) return nullptr;
    previous_ = it->second;
    it->second = s.keyword;
    return &previous_;
  }
  [[nodiscard]] const Token* find(std::string_view kw) const {
    const auto it = map_.find(kw);
    return it == map_.end() ? nullptr : &it->second;
  }
  // The statement that set `kw`, else `fallback`.
  [[nodiscard]] const Token& at(std::string_view kw, const Token& fallback) const {
    const Token* t = find(kw);
    return t != nullptr ? *t : fallback;
  }

 private:
  std::map<std::string, Token, std::less<>> map_;
  Token previous_;
};

struct InterfaceState {
  Seen seen;
  Token keyword;
};

// ---- the parser ------------------------------------------------------------------

class Parser {
 public:
  explicit Parser(ParseResult& r) : r_(r) {}

  void run(std::string_view text) {
    core::conf::TreeOptions opt;
    const auto& all = all_keywords();
    opt.keywords = std::span<const std::string_view>(all.data(), all.size());
    static constexpr std::array<std::string_view, 1> kTop{"interface"};
    opt.top_level = kTop;
    const auto tree = core::conf::read_statements(text, opt, r_.errors);

    Seen global;
    for (const auto& s : tree) {
      const auto& k = s.keyword.text;
      if (k == "interface") {
        interface(s);
      } else if (k == "ControlSocket") {
        no_block(s);
        duplicate(global, s);
        control_socket(s);
      } else if (k == "LogLevel") {
        no_block(s);
        duplicate(global, s);
        log_level(s);
      } else {
        unknown(s, Ctx::global);
      }
    }
    validate_global();
    if (cfg_.interfaces.empty() && seen_interfaces_.empty())
      err(0, 0, "no interface block: ard has nothing to advertise (add 'interface NAME { ... };')");
  }

  ArdConfig take() { return std::move(cfg_); }

 private:
  // ---- diagnostics ----
  void err(int line, int col, std::string m) { r_.errors.push_back(ConfigError{line, col, std::move(m)}); }
  void err(const Token& t, std::string m) { err(t.line, t.column, std::move(m)); }
  void warn(const Token& t, std::string m) { r_.warnings.push_back(ConfigError{t.line, t.column, std::move(m)}); }

  void no_block(const Statement& s) {
    if (s.has_block) err(s.keyword, "'" + s.keyword.text + "' does not take a { ... } block");
  }

  void duplicate(Seen& seen, const Statement& s) {
    if (const Token* prev = seen.note(s))
      warn(s.keyword, s.keyword.text + " is already set on line " + std::to_string(prev->line) +
                          "; this later value replaces it");
  }

  void unknown(const Statement& s, Ctx ctx) {
    const std::string& k = s.keyword.text;
    if (contains(kRadvdOnly, k)) {
      err(s.keyword, "'" + k + "' is a radvd option that ard does not support");
      return;
    }
    for (const Ctx other : kAllCtx) {
      if (other == ctx || !contains(keywords_of(other), k)) continue;
      if (other == Ctx::global)
        err(s.keyword, "'" + k + "' is a global statement: it goes outside the interface blocks");
      else
        err(s.keyword, "'" + k + "' is not valid in " + std::string(ctx_name(ctx)) + "; it belongs in " +
                           std::string(ctx_name(other)));
      return;
    }
    std::string m = "unknown keyword '" + q(k) + "' in " + std::string(ctx_name(ctx));
    auto hint = closest_keyword(k, keywords_of(ctx));
    if (!hint) {
      const auto& all = all_keywords();
      hint = closest_keyword(k, std::span<const std::string_view>(all.data(), all.size()));
    }
    if (hint) m += "; did you mean '" + std::string(*hint) + "'?";
    err(s.keyword, std::move(m));
  }

  // ---- argument readers (each reports its own errors) ----
  const Token* one_arg(const Statement& s, std::string_view expects) {
    if (s.args.size() == 1) return &s.args[0];
    if (s.args.empty())
      err(s.keyword, s.keyword.text + " needs a value: " + std::string(expects));
    else
      err(s.args[1], s.keyword.text + " takes one value (" + std::string(expects) + "), got " +
                         std::to_string(s.args.size()));
    return nullptr;
  }

  std::optional<bool> flag(const Statement& s) {
    const Token* a = one_arg(s, "on or off");
    if (a == nullptr) return std::nullopt;
    auto v = core::conf::parse_flag(a->text);
    if (!v) err(*a, s.keyword.text + " expects on or off, got '" + q(a->text) + "'");
    return v;
  }

  std::optional<Duration> seconds(const Statement& s, Duration lo, Duration hi) {
    const Token* a = one_arg(s, "a number of seconds");
    if (a == nullptr) return std::nullopt;
    Duration d{};
    const std::string range = format_seconds(lo) + ".." + format_seconds(hi) + " seconds";
    switch (core::conf::parse_seconds(a->text, d)) {
      case ValueError::none:
        if (d < lo || d > hi) break;
        return d;
      case ValueError::syntax:
        err(*a, s.keyword.text + " expects a number of seconds (" + range + "), got '" + q(a->text) + "'");
        return std::nullopt;
      case ValueError::precision:
        err(*a, s.keyword.text + " " + q(a->text) + " is too precise: ard counts time in milliseconds (3 decimals)");
        return std::nullopt;
      case ValueError::range:
        break;
    }
    err(*a, s.keyword.text + " " + q(a->text) + " is out of range " + range);
    return std::nullopt;
  }

  std::optional<std::uint64_t> number(const Statement& s, std::uint64_t lo, std::uint64_t hi, std::string_view unit,
                                      bool infinity = false) {
    const std::string range = std::to_string(lo) + ".." + std::to_string(hi) + std::string(unit);
    const Token* a = one_arg(s, infinity ? "a number or infinity" : "a number");
    if (a == nullptr) return std::nullopt;
    if (infinity && iequals(a->text, "infinity")) return kInfinity;
    std::uint64_t v = 0;
    switch (core::conf::parse_uint(a->text, hi, v)) {
      case ValueError::none:
        if (v < lo) break;
        return v;
      case ValueError::syntax:
      case ValueError::precision:
        err(*a, s.keyword.text + " expects a number (" + range + (infinity ? " or infinity" : "") + "), got '" +
                    q(a->text) + "'");
        return std::nullopt;
      case ValueError::range:
        break;
    }
    err(*a, s.keyword.text + " " + q(a->text) + " is out of range " + range);
    return std::nullopt;
  }

  std::optional<std::uint32_t> lifetime(const Statement& s) {
    auto v = number(s, 0, kInfinity, " seconds", true);
    if (!v) return std::nullopt;
    return static_cast<std::uint32_t>(*v);
  }

  std::optional<wire::RouterPreference> preference(const Statement& s) {
    const Token* a = one_arg(s, "low, medium or high");
    if (a == nullptr) return std::nullopt;
    auto p = parse_preference(a->text);
    if (!p) err(*a, s.keyword.text + " expects low, medium or high, got '" + q(a->text) + "'");
    return p;
  }

  std::optional<Ip6Addr> address(const Token& a, std::string_view what) {
    auto addr = Ip6Addr::parse(a.text);
    if (!addr) err(a, "'" + q(a.text) + "' is not an IPv6 address (" + std::string(what) + ")");
    return addr;
  }

  // The prefix argument of a prefix or route statement.
  std::optional<Ip6Prefix> prefix_arg(const Statement& s) {
    const Token* a = one_arg(s, "an IPv6 prefix such as 2001:db8:1::/64");
    if (a == nullptr) return std::nullopt;
    auto p = Ip6Prefix::parse(a->text);
    if (!p) {
      if (Ip6Addr::parse(a->text))
        err(*a, s.keyword.text + " " + q(a->text) + " needs a prefix length, as in " + q(a->text) + "/64");
      else
        err(*a, "'" + q(a->text) + "' is not an IPv6 prefix (address/length, length 0..128)");
      return std::nullopt;
    }
    const auto slash = a->text.find('/');
    if (auto full = Ip6Addr::parse(std::string_view(a->text).substr(0, slash)); full && *full != p->addr)
      warn(*a, s.keyword.text + " " + q(a->text) + " has host bits set; they are ignored: the prefix is " + p->str());
    if (p->addr.is_link_local() && p->len >= 10) {
      err(*a, s.keyword.text + " " + p->str() + " is link-local: hosts ignore it (RFC 4861 §6.3.4)");
      return std::nullopt;
    }
    if (p->addr.is_multicast() && p->len >= 8) {
      err(*a, s.keyword.text + " " + p->str() + " is a multicast prefix");
      return std::nullopt;
    }
    return p;
  }

  // ---- global statements ----
  void control_socket(const Statement& s) {
    const Token* a = one_arg(s, "a socket path such as \"/run/hmip/ard.sock\"");
    if (a == nullptr) return;
    if (a->text.empty() || a->text.front() != '/') {
      err(*a, "ControlSocket '" + q(a->text) + "' must be an absolute path");
      return;
    }
    if (a->text.size() > kSunPathMax) {
      err(*a, "ControlSocket path is " + std::to_string(a->text.size()) + " bytes long; a UNIX socket path holds at most " +
                  std::to_string(kSunPathMax));
      return;
    }
    cfg_.control_socket = a->text;
  }

  void log_level(const Statement& s) {
    const Token* a = one_arg(s, "error, warning, notice, info or debug");
    if (a == nullptr) return;
    static constexpr std::array<std::pair<std::string_view, LogLevel>, 5> kLevels{{{"error", LogLevel::error},
                                                                                   {"warning", LogLevel::warning},
                                                                                   {"notice", LogLevel::notice},
                                                                                   {"info", LogLevel::info},
                                                                                   {"debug", LogLevel::debug}}};
    for (const auto& [name, level] : kLevels) {
      if (iequals(a->text, name)) {
        cfg_.log_level = level;
        return;
      }
    }
    err(*a, "LogLevel expects error, warning, notice, info or debug, got '" + q(a->text) + "'");
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
    validate_interface(ic, st);

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
    if (!contains(kInterfaceKw, k)) return unknown(s, Ctx::interface);

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
    if (p.preferred_lifetime > p.valid_lifetime) {
      const Token& at = seen.at("AdvPreferredLifetime", seen.at("AdvValidLifetime", s.keyword));
      err(at, "AdvPreferredLifetime " + lifetime_str(p.preferred_lifetime) + " of prefix " + p.prefix.str() +
                  " is longer than its AdvValidLifetime " + lifetime_str(p.valid_lifetime) +
                  " (hosts ignore such a prefix, RFC 4862 §5.5.3)");
    }
    if (p.autonomous && p.prefix.len != 64)
      warn(s.args[0], "prefix " + p.prefix.str() + " has AdvAutonomous on but length " + std::to_string(p.prefix.len) +
                          ": SLAAC on Ethernet needs a /64 (RFC 4862 §5.5.3, RFC 2464 §4)");
    for (const auto& other : ic.prefixes) {
      if (other.prefix == p.prefix) {
        err(s.args[0], "prefix " + p.prefix.str() + " is already configured on line " + std::to_string(other.line) +
                           " for interface " + q(ic.name));
        return;
      }
    }
    ic.prefixes.push_back(p);
  }

  static std::string lifetime_str(std::uint32_t v) { return v == kInfinity ? "infinity" : std::to_string(v); }

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
    for (const auto& other : ic.routes) {
      if (other.prefix == rc.prefix) {
        err(s.args[0], "route " + rc.prefix.str() + " is already configured on line " + std::to_string(other.line) +
                           " for interface " + q(ic.name));
        return;
      }
    }
    ic.routes.push_back(rc);
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
    Seen seen;
    sub_block(s, Ctx::rdnss, seen, [&](const Statement& c) {
      if (auto v = lifetime(c)) rc.lifetime = *v;
    });
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
    Seen seen;
    sub_block(s, Ctx::dnssl, seen, [&](const Statement& c) {
      if (auto v = lifetime(c)) dc.lifetime = *v;
    });
    if (ok) ic.dnssl.push_back(std::move(dc));
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
      }
    });
    if (!addr) return;
    m.address = *addr;
    const std::string who = "MAP " + m.address.str();
    const auto& p = m.probe;
    if (p.fail_after < p.retry_interval) {
      const Token& at = seen.at("ProbeFailAfter", seen.at("ProbeRetryInterval", s.keyword));
      err(at, who + ": ProbeFailAfter " + format_seconds(p.fail_after) + " must be at least ProbeRetryInterval " +
                  format_seconds(p.retry_interval) + " (at least one retry before declaring the MAP failed)");
    }
    if (p.reply_timeout > p.interval) {
      const Token& at = seen.at("ProbeTimeout", seen.at("ProbeInterval", s.keyword));
      err(at, who + ": ProbeTimeout " + format_seconds(p.reply_timeout) + " must be at most ProbeInterval " +
                  format_seconds(p.interval));
    }
    if (m.pref == 0)
      warn(seen.at("Pref", s.keyword),
           who + ": Pref 0 tells mobile nodes not to use this MAP for new bindings (RFC 5380 §7.1)");
    if (m.valid_lifetime == 0)
      warn(seen.at("ValidLifetime", s.keyword),
           who + ": ValidLifetime 0 advertises this MAP as failed (RFC 5380 §10)");
    for (const auto& other : ic.maps) {
      if (other.address == m.address) {
        err(s.args[0], who + " is already configured on line " + std::to_string(other.line) + " for interface " +
                           q(ic.name));
        return;
      }
    }
    ic.maps.push_back(m);
  }

  // ---- cross-field checks ----
  void validate_interface(const InterfaceConfig& ic, const InterfaceState& st) {
    const Seen& seen = st.seen;
    const Token& kw = st.keyword;
    const std::string name = q(ic.name);
    const Duration max = ic.max_interval;
    const std::string max_s = format_seconds(max);

    if (ic.min_interval) {
      const Duration limit(max.count() * 3 / 4);
      if (*ic.min_interval > limit)
        err(seen.at("MinRtrAdvInterval", kw), "MinRtrAdvInterval " + format_seconds(*ic.min_interval) +
                                                  " must be at most 0.75 * MaxRtrAdvInterval (" + max_s + "), i.e. " +
                                                  format_seconds(limit) + " seconds (RFC 4861 §6.2.1)");
    }
    if (ic.default_lifetime && *ic.default_lifetime != 0 && core::seconds(*ic.default_lifetime) < max)
      err(seen.at("AdvDefaultLifetime", kw), "AdvDefaultLifetime " + std::to_string(*ic.default_lifetime) +
                                                 " must be 0 or between MaxRtrAdvInterval (" + max_s +
                                                 ") and 9000 seconds (RFC 4861 §6.2.1)");
    if (ic.send_advert) {
      const Duration min = effective_min_interval(ic);
      if (ic.min_delay_between_ras > min)
        warn(seen.at("MinDelayBetweenRAs", seen.at("MaxRtrAdvInterval", kw)),
             "MinDelayBetweenRAs " + format_seconds(ic.min_delay_between_ras) + " is longer than MinRtrAdvInterval " +
                 format_seconds(min) + " on " + name +
                 ": RAs cannot go out faster than MinDelayBetweenRAs (RFC 6275 §7.5 allows 0.03)");
      if (seen.find("AdvDefaultPreference") != nullptr && effective_default_lifetime(ic) == 0 &&
          ic.default_preference != wire::RouterPreference::medium)
        warn(*seen.find("AdvDefaultPreference"),
             "AdvDefaultPreference is sent as medium while AdvDefaultLifetime is 0 (RFC 4191 §2.2)");
      if (max < core::seconds(4) && !ic.adv_interval_option)
        warn(seen.at("AdvIntervalOpt", kw), "AdvIntervalOpt is off while MaxRtrAdvInterval is " + max_s +
                                                " s: mobile nodes then cannot tell a lost router from a slow one "
                                                "(RFC 6275 §7.3)");
    }
    if (ic.max_ra_delay > core::milliseconds(500))
      warn(seen.at("MaxRADelay", kw), "MaxRADelay " + format_seconds(ic.max_ra_delay) +
                                          " is longer than RFC 4861's MAX_RA_DELAY_TIME (0.5 s)");

    if (ic.map_listen && ic.map_upstream.empty())
      err(seen.at("MapListen", kw), "MapListen is on for " + name +
                                        " but MapUpstream is not set: list the link-local addresses of the routers "
                                        "whose MAP options ard may learn");
    if (!ic.map_listen && seen.find("MapUpstream") != nullptr)
      warn(*seen.find("MapUpstream"), "MapUpstream has no effect on " + name + " while MapListen is off");
    if (ic.map_relay && !ic.send_advert)
      err(seen.at("MapRelay", kw), "MapRelay is on for " + name +
                                       " but AdvSendAdvert is off: relayed MAP options go out in RAs");
    if (ic.map_relay && ic.map_listen)
      warn(seen.at("MapRelay", kw), "MapRelay and MapListen are both on for " + name +
                                        ": MAP options learned there are re-sent on the link they came from");
    if (!ic.send_advert) {
      const Token& at = seen.at("AdvSendAdvert", kw);
      if (!ic.prefixes.empty() || !ic.routes.empty() || !ic.rdnss.empty() || !ic.dnssl.empty() || !ic.maps.empty())
        warn(at, "AdvSendAdvert is off for " + name + ": its prefix, route, RDNSS, DNSSL and map options are not sent");
      if (!ic.map_listen) warn(at, "interface " + name + " neither advertises (AdvSendAdvert off) nor listens (MapListen off)");
    }

    // Lifetimes shorter than the advertisement interval expire between RAs.
    auto short_lifetime = [&](std::optional<std::uint32_t> lt, int line, const std::string& what) {
      if (lt && *lt != 0 && *lt != kInfinity && ms_of_seconds(*lt) < max)
        r_.warnings.push_back(ConfigError{line, 0,
                                          what + " lifetime " + std::to_string(*lt) +
                                              " is shorter than MaxRtrAdvInterval (" + max_s +
                                              "): it expires between advertisements"});
    };
    if (ic.send_advert) {
      for (const auto& p : ic.prefixes) short_lifetime(p.valid_lifetime, p.line, "prefix " + p.prefix.str() + " valid");
      for (const auto& r : ic.rdnss) short_lifetime(r.lifetime, r.line, "RDNSS");
      for (const auto& d : ic.dnssl) short_lifetime(d.lifetime, d.line, "DNSSL");
      for (const auto& m : ic.maps) short_lifetime(m.valid_lifetime, m.line, "MAP " + m.address.str() + " valid");
    }
  }

  void validate_global() {
    const bool any_listen =
        std::any_of(cfg_.interfaces.begin(), cfg_.interfaces.end(), [](const auto& i) { return i.map_listen; });
    if (any_listen) return;
    for (std::size_t i = 0; i < cfg_.interfaces.size(); ++i)
      if (cfg_.interfaces[i].map_relay)
        warn(states_[i].seen.at("MapRelay", states_[i].keyword),
             "MapRelay is on for " + cfg_.interfaces[i].name +
                 " but no interface has MapListen on: there are no learned MAP options to relay");
  }

  ParseResult& r_;
  ArdConfig cfg_;
  std::vector<InterfaceState> states_;  // parallel to cfg_.interfaces
  std::map<std::string, int, std::less<>> seen_interfaces_;
};

void sort_diagnostics(std::vector<ConfigError>& v, std::string_view what) {
  std::stable_sort(v.begin(), v.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  if (v.size() > kMaxDiagnostics) {
    const std::size_t more = v.size() - kMaxDiagnostics;
    v.resize(kMaxDiagnostics);
    v.push_back(ConfigError{0, 0, std::to_string(more) + " more " + std::string(what) + " not shown"});
  }
}

}  // namespace

ParseResult parse_ard_config(std::string_view text) {
  ParseResult r;
  Parser p(r);
  p.run(text);
  sort_diagnostics(r.errors, "errors");
  sort_diagnostics(r.warnings, "warnings");
  if (r.errors.empty()) r.config = p.take();
  return r;
}

ParseResult load_ard_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int e = errno;
    ParseResult r;
    r.errors.push_back(ConfigError{0, 0, "cannot open " + path + ": " + (e != 0 ? std::generic_category().message(e) : std::string("unknown error"))});
    return r;
  }
  std::string text;
  std::array<char, 65536> buf{};
  while (in) {
    in.read(buf.data(), buf.size());
    text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxFileSize) {
      ParseResult r;
      r.errors.push_back(ConfigError{0, 0, path + " is larger than 1 MiB; not a configuration file?"});
      return r;
    }
  }
  if (in.bad()) {
    ParseResult r;
    r.errors.push_back(ConfigError{0, 0, "cannot read " + path});
    return r;
  }
  return parse_ard_config(text);
}

std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r) {
  std::vector<std::string> out;
  out.reserve(r.errors.size() + r.warnings.size());
  for (const auto& e : r.errors) out.push_back(core::conf::format_diagnostic(path, e, "error"));
  for (const auto& w : r.warnings) out.push_back(core::conf::format_diagnostic(path, w, "warning"));
  return out;
}

}  // namespace hmip::ar
