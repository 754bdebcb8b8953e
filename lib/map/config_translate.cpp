#include "config_translate.h"

#include <algorithm>
#include <array>
#include <utility>

#include "config_home.h"
#include "config_mcoa.h"
#include "config_validate.h"
#include "hmip/core/conf_ike.h"
#include "hmip/core/conf_keywords.h"
#include "hmip/core/conf_parse.h"

namespace hmip::map::config_detail {

namespace {

using core::conf::KeywordContext;
using core::conf::kInfinity;
using core::conf::q;
using core::conf::Statement;

using core::conf::keywords::kFlowPolicy;
using core::conf::keywords::kMapdHomeAgent;
using core::conf::keywords::kMapdHomePrefix;
using core::conf::keywords::kMapdIke;
using core::conf::keywords::kMapdRcoa;
using core::conf::keywords::kMapdTop;
using core::conf::keywords::kMndOnly;

constexpr std::array<KeywordContext, 6> kContexts{KeywordContext{"the top level", kMapdTop},
                                                  KeywordContext{"an RcoaPrefix block", kMapdRcoa},
                                                  KeywordContext{"an Ike block", kMapdIke},
                                                  KeywordContext{"a HomeAgent block", kMapdHomeAgent},
                                                  KeywordContext{"a HomePrefix block", kMapdHomePrefix},
                                                  KeywordContext{"a FlowPolicy block", kFlowPolicy}};

// Top-level keywords that end an open block (its '}' missing): not those
// a HomeAgent block has too (MaxBindingLifetime).
constexpr auto kMapdTopOnly = core::conf::keywords::without<kMapdTop, kMapdHomeAgent>();

constexpr std::string_view kPoolExample = "'RcoaPool 2001:db8:100::1000-2001:db8:100::1fff;'";

class Translator : public core::conf::ConfigTranslator<ParseResult, MapdConfig, MapdSources> {
 public:
  using ConfigTranslator::ConfigTranslator;

  void run(std::string_view text) {
    // A top-level keyword met inside an RcoaPrefix block: its '}' is missing.
    // HomeAgent { HomePrefix P { ... }; }: three levels.
    const core::conf::TreeOptions opt{.keywords = core::conf::keywords::kBoth, .top_level = kMapdTopOnly, .max_depth = 3};
    if (core::conf::read_top_level(*this, text, opt, [this](const Statement& s) { statement(s); })) {
      finish_home_agent(cfg_, src_);
      validate_mapd(cfg_, src_, *this);
    }
  }

 private:
  void statement(const Statement& s) {
    const std::string& k = s.keyword.text;
    if (std::find(kMapdTop.begin(), kMapdTop.end(), k) == kMapdTop.end())
      return core::conf::report_unknown(*this, s, kContexts[0], kContexts, kMndOnly, "mnd.conf(5)");
    if (k == "RcoaPrefix") return rcoa_prefix(s);
    if (k == "Ike") return ike_block(s);
    if (k == "HomeAgent") {
      duplicate(src_.global, s);
      return read_home_agent(*this, s, cfg_, src_, kContexts, kMndOnly);
    }
    if (is_mcoa_keyword(k)) return read_mcoa_statement(*this, s, cfg_, src_, kContexts, kMndOnly);
    no_block(s);
    if (k == "LcoaPrefix") return prefix_list(s, cfg_.lcoa_prefixes, src_.lcoa);
    if (k == "NeighbourPrefix") return prefix_list(s, cfg_.neighbour_prefixes, src_.neighbour);
    if (k == "TrustedPrefix") return prefix_list(s, cfg_.insecure.trusted_prefixes, src_.trusted);
    duplicate(src_.global, s);

    if (k == "MapAddress") {
      map_address(s);
    } else if (k == "MaxBindingLifetime") {
      read_max_binding_lifetime(*this, s, cfg_.max_binding_lifetime);
    } else if (k == "AdvertisedValidLifetime") {
      if (auto v = number(s, 1, kInfinity, " seconds", true))
        cfg_.advertised_valid_lifetime = static_cast<std::uint32_t>(*v);
    } else if (k == "BrrLead") {
      if (auto v = seconds(s, core::seconds(0), core::seconds(kMaxBindingLifetimeSeconds))) cfg_.brr_lead = *v;
    } else if (k == "BrrInterval") {
      if (auto v = seconds(s, core::milliseconds(10), core::seconds(3600))) cfg_.brr_interval = *v;
    } else if (k == "RcoaDad") {
      if (auto v = flag(s)) cfg_.dad = *v;
    } else if (k == "RcoaDadTimeout") {
      if (auto v = seconds(s, core::milliseconds(10), core::seconds(60))) cfg_.dad_timeout = *v;
    } else if (k == "TunnelMtu") {
      if (auto v = number(s, 0, 65535, "")) {
        if (*v != 0 && *v < 1280)
          err(s.args[0], "TunnelMtu " + s.args[0].text +
                             " must be 0 (the link MTU - 40) or at least 1280, the IPv6 minimum (RFC 8200 §5)");
        else
          cfg_.tunnel_mtu = static_cast<std::uint32_t>(*v);
      }
    } else if (k == "MaxBindings") {
      if (auto v = number(s, 1, kMaxBindingsCap, "")) cfg_.max_bindings = static_cast<std::uint32_t>(*v);
    } else if (k == "MaxBindingsPerIdentity") {
      if (auto v = number(s, 1, kMaxBindingsCap, "")) cfg_.max_bindings_per_identity = static_cast<std::uint32_t>(*v);
    } else if (k == "MaxBindingsPerTrustedPrefix") {
      if (auto v = number(s, 1, kMaxBindingsCap, "")) cfg_.max_bindings_per_trusted_prefix = static_cast<std::uint32_t>(*v);
    } else if (k == "MaxPendingRegistrations") {
      if (auto v = number(s, 1, kMaxPendingCap, "")) cfg_.max_pending_registrations = static_cast<std::uint32_t>(*v);
    } else if (k == "MaxConcurrentDad") {
      if (auto v = number(s, 1, kMaxConcurrentDadCap, "")) cfg_.max_concurrent_dad = static_cast<std::uint32_t>(*v);
    } else if (k == "ControlSocket") {
      if (auto v = socket_path(s)) cfg_.control_socket = *v;
    } else if (k == "LogLevel") {
      if (auto v = log_level(s)) cfg_.log_level = *v;
    } else if (k == "InsecureTestbedSignalling") {
      if (auto v = flag(s)) {
        cfg_.insecure.enabled = *v;
        cfg_.insecure.line = s.line();
      }
    }
  }

  void map_address(const Statement& s) {
    const Token* a = one_arg(s, "the MAP's global address, as in 'MapAddress 2001:db8:100::1;'");
    if (a == nullptr) return;
    auto addr = address(*a, "the MAP's global address");
    if (!addr) return;
    if (addr->is_link_local() || addr->is_multicast() || addr->is_unspecified() || addr->is_loopback()) {
      err(*a, "MapAddress " + q(a->text) +
                  " is not a global unicast address: mobile nodes send binding updates to it from other links "
                  "(RFC 5380 §5)");
      return;
    }
    cfg_.map_address = *addr;
    src_.map_address_set = true;
  }

  // LcoaPrefix / NeighbourPrefix / TrustedPrefix: one or more prefixes per
  // statement, the statement repeatable; a prefix listed twice is a warning.
  void prefix_list(const Statement& s, std::vector<Ip6Prefix>& out, std::vector<Token>& at) {
    src_.global.note(s);
    if (s.args.empty()) {
      err(s.keyword, s.keyword.text + " needs one or more IPv6 prefixes, as in '" + s.keyword.text +
                         " 2001:db8:10::/48;'");
      return;
    }
    for (const auto& a : s.args) {
      auto p = prefix(a, s.keyword.text);
      if (!p) continue;
      if (const auto it = std::find(out.begin(), out.end(), *p); it != out.end()) {
        warn(a, s.keyword.text + " " + p->str() + " is already listed on line " +
                    std::to_string(at[static_cast<std::size_t>(it - out.begin())].line));
        continue;
      }
      out.push_back(*p);
      at.push_back(a);
    }
  }

  void rcoa_prefix(const Statement& s) {
    src_.global.note(s);
    RcoaPrefixConfig rc;
    rc.line = s.line();
    std::optional<Ip6Prefix> parsed;
    if (const Token* a = one_arg(s, "an IPv6 prefix such as 2001:db8:100::/64")) parsed = prefix(*a, "RcoaPrefix");
    Seen seen;
    for (const auto& c : s.block) {
      const auto& k = c.keyword.text;
      if (std::find(kMapdRcoa.begin(), kMapdRcoa.end(), k) == kMapdRcoa.end()) {
        core::conf::report_unknown(*this, c, kContexts[1], kContexts, kMndOnly, "mnd.conf(5)");
        continue;
      }
      no_block(c);
      duplicate(seen, c);
      if (k == "Interface") {
        if (const Token* a = one_arg(c, "the name of the link the RCoAs live on, as in 'Interface eth1;'"))
          if (interface_name(*a, "Interface")) rc.interface = a->text;
      } else if (auto v = number(c, 1, kInfinity, " seconds", true)) {
        rc.valid_lifetime = static_cast<std::uint32_t>(*v);
      }
    }
    if (!parsed) return;
    rc.prefix = *parsed;
    for (std::size_t i = 0; i < cfg_.rcoa_prefixes.size(); ++i) {
      if (cfg_.rcoa_prefixes[i].prefix != rc.prefix) continue;
      err(s.args[0], "RcoaPrefix " + rc.prefix.str() + " is already configured on line " +
                         std::to_string(cfg_.rcoa_prefixes[i].line));
      return;
    }
    cfg_.rcoa_prefixes.push_back(std::move(rc));
    src_.rcoa.push_back(s.args[0]);
    src_.rcoa_seen.push_back(std::move(seen));
  }

  void ike_block(const Statement& s) {
    src_.global.note(s);
    core::conf::read_ike_block(*this, s, cfg_.ike, src_.ike, kIkeWording,
                               {kContexts[2], kContexts, kMndOnly, "mnd.conf(5)"},
                               [this](const Statement& c) { ike_statement(c); });
  }

  // The Ike block's own statements: AuthorizedIdentity, EapSecrets, RcoaPool.
  void ike_statement(const Statement& c) {
    if (c.keyword.text == "AuthorizedIdentity") {
      authorized_identities(c);
    } else if (c.keyword.text == "EapSecrets") {
      core::conf::read_ike_file(*this, c, cfg_.ike.eap_secrets, src_.ike, "/etc/hmip/eap.secrets");
    } else {
      duplicate(src_.ike.seen, c);
      rcoa_pool(c);
    }
  }

  // AuthorizedIdentity: one or more per statement, the statement repeatable.
  void authorized_identities(const Statement& s) {
    src_.ike.seen.note(s);
    auto& out = cfg_.ike.authorized_identities;
    if (s.args.empty()) {
      err(s.keyword, "AuthorizedIdentity needs one or more IKE identities, as in 'AuthorizedIdentity "
                     "\"*@mn.example.net\";'");
      return;
    }
    for (const auto& a : s.args) {
      if (!identity_arg(a, s.keyword.text, "*@mn.example.net")) continue;
      if (const auto it = std::find(out.begin(), out.end(), a.text); it != out.end()) {
        warn(a, "AuthorizedIdentity '" + q(a.text) + "' is already listed on line " +
                    std::to_string(src_.authorized[static_cast<std::size_t>(it - out.begin())].line));
        continue;
      }
      out.push_back(a.text);
      src_.authorized.push_back(a);
    }
  }

  // RcoaPool FIRST-LAST, one word (where the range lies is validate_mapd's).
  void rcoa_pool(const Statement& s) {
    if (s.args.size() == 3 && s.args[1].text == "-") {
      err(s.args[1], "RcoaPool takes its range as one word, FIRST-LAST without spaces, as in " +
                         std::string(kPoolExample));
      return;
    }
    const Token* a = one_arg(s, "a range of addresses FIRST-LAST, as in " + std::string(kPoolExample));
    if (a == nullptr) return;
    const auto dash = a->text.find('-');
    if (dash == std::string::npos) {
      err(*a, "RcoaPool '" + q(a->text) + "' is not a range FIRST-LAST, as in " + std::string(kPoolExample));
      return;
    }
    auto first = pool_address(*a, std::string_view(a->text).substr(0, dash), "the first address of the RcoaPool range");
    auto last = pool_address(*a, std::string_view(a->text).substr(dash + 1), "the last address of the RcoaPool range");
    if (!first || !last) return;
    if (*first > *last) {
      err(*a, "RcoaPool " + q(a->text) + ": the first address is greater than the last (FIRST-LAST, lowest first)");
      return;
    }
    cfg_.ike.pool = RcoaPoolConfig{*first, *last, s.line()};
    src_.pool = *a;
  }

  // One address of an RcoaPool range, reported at the range's token.
  std::optional<Ip6Addr> pool_address(const Token& at, std::string_view text, std::string_view what) {
    auto addr = Ip6Addr::parse(text);
    if (!addr) err(at, "'" + q(text) + "' is not an IPv6 address (" + std::string(what) + ")");
    return addr;
  }
};

}  // namespace

MapdConfig read_mapd_config(std::string_view text, ParseResult& r, std::vector<core::conf::FileRef>* files) {
  return core::conf::translate<Translator>(text, r, files);
}

}  // namespace hmip::map::config_detail
