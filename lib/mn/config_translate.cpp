#include "config_translate.h"

#include <algorithm>
#include <array>
#include <utility>

#include "config_validate.h"
#include "hmip/core/conf_ike.h"
#include "hmip/core/conf_keywords.h"
#include "hmip/core/conf_parse.h"

namespace hmip::mn::config_detail {

namespace {

using core::conf::KeywordContext;
using core::conf::q;
using core::conf::Statement;
using core::conf::Token;

/// BU Lifetime: 16 bits of 4-second units (RFC 6275 §6.1.7).
constexpr std::uint64_t kMaxLifetime = std::uint64_t{0xffff} * 4U;

using core::conf::keywords::kFlowPolicy;
using core::conf::keywords::kMapdOnly;
using core::conf::keywords::kMndHome;
using core::conf::keywords::kMndIke;
using core::conf::keywords::kMndInterface;
using core::conf::keywords::kMndTop;

constexpr std::array<KeywordContext, 5> kContexts{
    KeywordContext{"mnd.conf", kMndTop}, KeywordContext{"an Ike block", kMndIke},
    KeywordContext{"a Home block", kMndHome}, KeywordContext{"an Interface block", kMndInterface},
    KeywordContext{"a FlowPolicy block", kFlowPolicy}};

class Translator : public core::conf::ConfigTranslator<ParseResult, MndConfig, MndSources> {
 public:
  using ConfigTranslator::ConfigTranslator;

  void run(std::string_view text) {
    // The Ike and Home blocks: a top-level keyword of either file met
    // inside one (but BindingLifetime, which the Home block has too) means
    // its '}' is missing.
    const core::conf::TreeOptions opt{
        .keywords = core::conf::keywords::kBoth, .top_level = core::conf::keywords::kMndBlockEnders, .max_depth = 1};
    if (core::conf::read_top_level(*this, text, opt, [this](const Statement& s) { statement(s); }))
      validate_mnd(cfg_, src_, *this);
  }

 private:
  void statement(const Statement& s) {
    const std::string& k = s.keyword.text;
    if (std::find(kMndTop.begin(), kMndTop.end(), k) == kMndTop.end())
      return core::conf::report_unknown(*this, s, kContexts[0], kContexts, kMapdOnly, "mapd.conf(5)");
    if (k == "Ike") return ike_block(s);
    if (k == "Home") return home_block(s);
    if (k == "FlowPolicy") return flow_policy(s);
    if (k == "Interface") return interfaces(s);
    no_block(s);
    duplicate(src_.global, s);

    if (k == "MapSelection") {
      map_selection(s);
    } else if (k == "BindingLifetime") {
      if (auto v = lifetime(s)) cfg_.binding_lifetime = *v;
    } else if (k == "PreviousMapLifetime") {
      if (auto v = lifetime(s)) cfg_.previous_map_lifetime = *v;
    } else if (k == "RefreshPercent") {
      if (auto v = number(s, 1, 90, " percent")) cfg_.refresh_percent = static_cast<unsigned>(*v);
    } else if (k == "InitialBindackTimeoutFirstReg") {
      if (auto v = seconds(s, core::milliseconds(10), core::seconds(60))) cfg_.initial_bindack_timeout_first_reg = *v;
    } else if (k == "InitialBindackTimeout") {
      if (auto v = seconds(s, core::milliseconds(10), core::seconds(60))) cfg_.initial_bindack_timeout = *v;
    } else if (k == "MaxBindackTimeout") {
      if (auto v = seconds(s, core::milliseconds(10), core::seconds(3600))) cfg_.max_bindack_timeout = *v;
    } else if (k == "SolicitOnLinkChange") {
      if (auto v = flag(s)) cfg_.solicit_on_link_change = *v;
    } else if (k == "DeregisterOnStop") {
      if (auto v = flag(s)) cfg_.deregister_on_stop = *v;
    } else if (k == "ControlSocket") {
      if (auto v = socket_path(s)) cfg_.control_socket = *v;
    } else if (k == "LogLevel") {
      if (auto v = log_level(s)) cfg_.log_level = *v;
    } else if (k == "MultipleCoa") {
      multiple_coa(s);
    } else if (k == "InsecureTestbedSignalling") {
      if (auto v = flag(s)) {
        cfg_.insecure = *v;
        cfg_.insecure_line = s.line();
      }
    }
  }

  void ike_block(const Statement& s) {
    src_.global.note(s);
    core::conf::read_ike_block(*this, s, cfg_.ike, src_.ike, kIkeWording,
                               {kContexts[1], kContexts, kMapdOnly, "mapd.conf(5)"},
                               [this](const Statement& c) { ike_statement(c); });
  }

  // The Ike block's own statements: EapSecret, MapIdentity, IkeTimeout.
  void ike_statement(const Statement& c) {
    const auto& k = c.keyword.text;
    if (k == "EapSecret") {
      core::conf::read_ike_file(*this, c, cfg_.ike.eap_secret, src_.ike, "/etc/hmip/mn1.eap");
      return;
    }
    duplicate(src_.ike.seen, c);
    if (k == "MapIdentity") {
      const Token* a = one_arg(c, "the IKE identity MAPs must prove, as in 'MapIdentity \"*.map.example.net\";'");
      if (a != nullptr && identity_arg(*a, k, "*.map.example.net")) cfg_.ike.map_identity = a->text;
    } else if (auto v = seconds(c, core::seconds(1), core::seconds(120))) {
      cfg_.ike.ike_timeout = *v;  // IkeTimeout
    }
  }

  // The Home block (issue 14): the home address with its prefix length,
  // the home agent (or DHAAD), the home BUs' lifetime, Hmipv6, and for
  // secure mode (RFC 4877) the identity the HA must prove and whether to
  // ask for the payload child.
  void home_block(const Statement& s) {
    if (const Token* before = src_.global.find("Home")) {
      err(s.keyword, "a second Home block: mnd registers one home address (the first Home block is on line " +
                         std::to_string(before->line) + ")");
      return;
    }
    src_.global.note(s);
    src_.home_block = s.keyword;
    if (!s.args.empty()) err(s.args[0], "Home takes no argument, only a block: 'Home { Address ...; HomeAgent ...; };'");
    if (!s.has_block) {
      err(s.keyword, "Home needs a block, as in 'Home { Address 2001:db8:200::10/64; HomeAgent 2001:db8:200::1; };'");
      return;
    }
    HomeConfig h;
    h.line = s.line();
    bool address_ok = false;
    bool agent_ok = false;
    for (const auto& c : s.block) {
      const auto& k = c.keyword.text;
      if (std::find(kMndHome.begin(), kMndHome.end(), k) == kMndHome.end()) {
        core::conf::report_unknown(*this, c, kContexts[2], kContexts, kMapdOnly, "mapd.conf(5)");
        continue;
      }
      no_block(c);
      duplicate(src_.home, c);
      if (k == "Address") {
        address_ok = home_address(c, h);
      } else if (k == "HomeAgent") {
        agent_ok = home_agent(c, h);
      } else if (k == "BindingLifetime") {
        if (auto v = lifetime(c)) h.binding_lifetime = *v;
      } else if (k == "HomeAgentIdentity") {
        const Token* a = one_arg(c, "the IKE identity the home agent must prove, as in "
                                    "'HomeAgentIdentity \"ha.example.net\";'");
        if (a != nullptr && identity_arg(*a, k, "ha.example.net")) h.home_agent_identity = a->text;
      } else if (k == "ProtectTraffic") {
        if (auto v = flag(c)) h.protect_traffic = *v;
      } else if (auto v = flag(c)) {
        h.hmipv6 = *v;  // Hmipv6
      }
    }
    if (src_.home.find("Address") == nullptr)
      err(s.keyword, "the Home block needs the home address and its prefix length, as in "
                     "'Address 2001:db8:200::10/64;'");
    if (src_.home.find("HomeAgent") == nullptr)
      err(s.keyword, "the Home block needs the home agent: 'HomeAgent 2001:db8:200::1;' or 'HomeAgent discover;' "
                     "(RFC 6275 §11.4.1)");
    if (address_ok && agent_ok) cfg_.home = h;
  }

  // Address ADDR/LEN: a global unicast home address and its prefix length.
  bool home_address(const Statement& c, HomeConfig& h) {
    const Token* a = one_arg(c, "the home address and its prefix length, as in 'Address 2001:db8:200::10/64;'");
    if (a == nullptr) return false;
    const auto slash = a->text.find('/');
    const auto addr = Ip6Addr::parse(std::string_view(a->text).substr(0, slash));
    const auto pfx = Ip6Prefix::parse(a->text);
    if (!addr || !pfx || slash == std::string::npos) {
      err(*a, addr && slash == std::string::npos
                  ? "Address " + q(a->text) + " needs the home prefix's length, as in " + q(a->text) + "/64"
                  : "'" + q(a->text) + "' is not an IPv6 address with a prefix length, as in 2001:db8:200::10/64");
      return false;
    }
    if (addr->is_link_local() || addr->is_multicast() || addr->is_loopback() || addr->is_unspecified()) {
      err(*a, "Address " + addr->str() + " cannot be a home address: it must be a global unicast address");
      return false;
    }
    if (pfx->len < 1 || pfx->len > 120) {
      err(*a, "Address " + q(a->text) + ": the home prefix length must be 1..120 (RFC 2526 reserves the last 7 bits "
              "of a subnet for anycast identifiers)");
      return false;
    }
    if (*addr == pfx->addr) {
      err(*a, "Address " + addr->str() + " is the home prefix's Subnet-Router anycast address (RFC 4291 §2.6.1), "
              "not a home address");
      return false;
    }
    h.address = *addr;
    h.prefix_len = pfx->len;
    return true;
  }

  // HomeAgent ADDR | discover.
  bool home_agent(const Statement& c, HomeConfig& h) {
    const Token* a = one_arg(c, "the home agent's address, or discover (DHAAD, RFC 6275 §11.4.1)");
    if (a == nullptr) return false;
    if (core::conf::iequals(a->text, "discover")) {
      h.home_agent.reset();
      return true;
    }
    const auto addr = address(*a, "the home agent's address, or discover");
    if (!addr) return false;
    if (addr->is_link_local() || addr->is_multicast() || addr->is_loopback() || addr->is_unspecified()) {
      err(*a, "HomeAgent " + addr->str() + " must be a global unicast address (home BUs go to it from afar)");
      return false;
    }
    h.home_agent = *addr;
    return true;
  }

  // A BU lifetime in seconds: 4..262140, a multiple of 4 (else a warning).
  std::optional<std::uint32_t> lifetime(const Statement& s) {
    auto v = number(s, 4, kMaxLifetime, " seconds");
    if (!v) return std::nullopt;
    if (*v % 4 != 0)
      warn(s.args[0], s.keyword.text + " " + s.args[0].text +
                          " is not a multiple of 4: BU lifetimes go out in 4-second units (RFC 6275 §6.1.7), so " +
                          std::to_string(*v / 4 * 4) + " seconds are asked for");
    return static_cast<std::uint32_t>(*v);
  }

  // `Interface NAME [NAME...];` or `Interface NAME { Bid N; Priority P; };`
  // (issue 15: one name per block).
  void interfaces(const Statement& s) {
    src_.global.note(s);
    if (s.args.empty()) {
      err(s.keyword, "Interface needs one or more interface names, as in 'Interface wlan0;'");
      return;
    }
    if (s.has_block && s.args.size() != 1) {
      err(s.args[1], "an Interface block names one interface, as in 'Interface wlan0 { Bid 1; Priority 1; };'");
      return;
    }
    for (const auto& a : s.args) {
      if (!interface_name(a, "Interface")) continue;
      if (const auto it = std::find(cfg_.interfaces.begin(), cfg_.interfaces.end(), a.text);
          it != cfg_.interfaces.end()) {
        warn(a, "Interface " + a.text + " is already listed on line " +
                    std::to_string(interface_lines_[static_cast<std::size_t>(it - cfg_.interfaces.begin())]));
        continue;
      }
      cfg_.interfaces.push_back(a.text);
      interface_lines_.push_back(a.line);
      src_.interfaces.push_back(a);
      InterfaceOptions o;
      if (s.has_block) interface_block(s, o);
      if (o == InterfaceOptions{}) continue;
      cfg_.interface_options.resize(cfg_.interfaces.size());
      cfg_.interface_options.back() = o;
    }
  }

  void interface_block(const Statement& s, InterfaceOptions& o) {
    core::conf::Seen seen;
    for (const auto& c : s.block) {
      const auto& k = c.keyword.text;
      if (std::find(kMndInterface.begin(), kMndInterface.end(), k) == kMndInterface.end()) {
        core::conf::report_unknown(*this, c, kContexts[3], kContexts, kMapdOnly, "mapd.conf(5)");
        continue;
      }
      no_block(c);
      duplicate(seen, c);
      if (k == "Bid") {
        if (auto v = number(c, 1, 65535, "")) o.bid = static_cast<std::uint16_t>(*v);
      } else if (auto v = number(c, 1, 127, " (BID-PRI, RFC 6089: lower is preferred)")) {
        o.priority = static_cast<std::uint8_t>(*v);  // Priority
      }
    }
  }

  void multiple_coa(const Statement& s) {
    const Token* a = one_arg(s, "auto, on or off");
    if (a == nullptr) return;
    if (core::conf::iequals(a->text, "auto")) {
      cfg_.multiple_coa = MultipleCoaMode::automatic;
    } else if (core::conf::iequals(a->text, "on") || core::conf::iequals(a->text, "yes")) {
      cfg_.multiple_coa = MultipleCoaMode::on;
    } else if (core::conf::iequals(a->text, "off") || core::conf::iequals(a->text, "no")) {
      cfg_.multiple_coa = MultipleCoaMode::off;
    } else {
      err(*a, "MultipleCoa expects auto (on with two or more Interfaces), on or off, got '" + q(a->text) + "'");
    }
  }

  // FlowPolicy { Bid N; Protocol tcp|udp|icmpv6|NUMBER; SourcePort P[-Q];
  // DestinationPort P[-Q]; Dscp D; From PREFIX; To PREFIX; } (issue 15).
  void flow_policy(const Statement& s) {
    if (!s.args.empty()) err(s.args[0], "FlowPolicy takes no argument, only a block: 'FlowPolicy { Bid 2; Protocol udp; };'");
    if (!s.has_block) {
      err(s.keyword, "FlowPolicy needs a block, as in 'FlowPolicy { Bid 2; Protocol udp; DestinationPort 5060; };'");
      return;
    }
    FlowPolicyConfig f;
    f.line = s.line();
    core::conf::Seen seen;
    bool ok = true;
    bool any_match = false;
    const Token* port_stmt = nullptr;
    for (const auto& c : s.block) {
      const auto& k = c.keyword.text;
      if (std::find(kFlowPolicy.begin(), kFlowPolicy.end(), k) == kFlowPolicy.end()) {
        core::conf::report_unknown(*this, c, kContexts[4], kContexts, kMapdOnly, "mapd.conf(5)");
        ok = false;
        continue;
      }
      no_block(c);
      duplicate(seen, c);
      if (k == "Bid") {
        if (auto v = number(c, 1, 65535, "")) f.bid = static_cast<std::uint16_t>(*v);
        else ok = false;
        continue;
      }
      any_match = true;
      if (k == "Protocol") {
        ok = protocol(c, f.match) && ok;
      } else if (k == "SourcePort" || k == "DestinationPort") {
        port_stmt = &c.keyword;
        ok = (k == "SourcePort" ? port_range(c, f.match.sport_lo, f.match.sport_hi)
                                : port_range(c, f.match.dport_lo, f.match.dport_hi)) && ok;
      } else if (k == "Dscp") {
        if (auto v = number(c, 1, 63, " (a kernel rule cannot match DSCP 0: its dsfield 0 means any)"))
          f.match.dscp = static_cast<std::uint8_t>(*v);
        else ok = false;
      } else if (const Token* a = one_arg(c, "an IPv6 prefix, as in 2001:db8:5::/48")) {  // From, To
        auto p = prefix(*a, k);
        if (p) (k == "From" ? f.match.from : f.match.to) = *p;
        else ok = false;
      } else {
        ok = false;
      }
    }
    if (seen.find("Bid") == nullptr) {
      err(s.keyword, "a FlowPolicy needs the BID of the interface its flows use: 'Bid 2;' (an Interface's Bid, "
                     "by default its position in the file)");
      ok = false;
    }
    if (!any_match) {
      err(s.keyword, "a FlowPolicy needs at least one of Protocol, SourcePort, DestinationPort, Dscp, From, To "
                     "(a policy matching everything would replace the default binding)");
      ok = false;
    }
    if (port_stmt != nullptr && f.match.ip_proto != 6 && f.match.ip_proto != 17 && f.match.ip_proto != 132 &&
        f.match.ip_proto != 33) {
      err(*port_stmt, "ports need 'Protocol tcp;' or 'Protocol udp;' (or 132 for SCTP, 33 for DCCP) in the same "
                      "FlowPolicy");
      ok = false;
    }
    if (ok) cfg_.flow_policies.push_back(f);
  }

  bool protocol(const Statement& c, FlowMatch& m) {
    const Token* a = one_arg(c, "tcp, udp, icmpv6 or a protocol number 1..255");
    if (a == nullptr) return false;
    if (core::conf::iequals(a->text, "tcp")) m.ip_proto = 6;
    else if (core::conf::iequals(a->text, "udp")) m.ip_proto = 17;
    else if (core::conf::iequals(a->text, "icmpv6")) m.ip_proto = 58;
    else if (auto v = number(c, 1, 255, "")) m.ip_proto = static_cast<std::uint8_t>(*v);
    else return false;
    return true;
  }

  // P or P-Q, 1..65535, P <= Q.
  bool port_range(const Statement& c, std::uint16_t& lo, std::uint16_t& hi) {
    const Token* a = one_arg(c, "a port or a range, as in 5060 or 5000-5100");
    if (a == nullptr) return false;
    const auto dash = a->text.find('-');
    const auto parse = [](std::string_view t) -> std::optional<std::uint16_t> {
      if (t.empty() || t.size() > 5) return std::nullopt;
      unsigned v = 0;
      for (char ch : t) {
        if (ch < '0' || ch > '9') return std::nullopt;
        v = v * 10 + static_cast<unsigned>(ch - '0');
      }
      if (v < 1 || v > 65535) return std::nullopt;
      return static_cast<std::uint16_t>(v);
    };
    const std::string_view t = a->text;
    const auto p = parse(t.substr(0, dash));
    const auto r = dash == std::string_view::npos ? p : parse(t.substr(dash + 1));
    if (!p || !r || *r < *p) {
      err(*a, c.keyword.text + " '" + q(a->text) + "': expected a port 1..65535 or a range P-Q with P <= Q");
      return false;
    }
    lo = *p;
    hi = *r;
    return true;
  }

  void map_selection(const Statement& s) {
    const Token* a = one_arg(s, "furthest or preference");
    if (a == nullptr) return;
    if (core::conf::iequals(a->text, "furthest"))
      cfg_.selection = MapSelection::furthest;
    else if (core::conf::iequals(a->text, "preference"))
      cfg_.selection = MapSelection::highest_preference;
    else
      err(*a, "MapSelection expects furthest (RFC 5380 §9.1) or preference (RFC 5380 §7.1), got '" + q(a->text) + "'");
  }

  std::vector<int> interface_lines_;  // parallel to cfg_.interfaces
};

}  // namespace

MndConfig read_mnd_config(std::string_view text, ParseResult& r, std::vector<core::conf::FileRef>* files) {
  return core::conf::translate<Translator>(text, r, files);
}

}  // namespace hmip::mn::config_detail
