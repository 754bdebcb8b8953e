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

using core::conf::keywords::kMapdOnly;
using core::conf::keywords::kMndIke;
using core::conf::keywords::kMndTop;

constexpr std::array<KeywordContext, 2> kContexts{KeywordContext{"mnd.conf", kMndTop},
                                                  KeywordContext{"an Ike block", kMndIke}};

class Translator : public core::conf::ConfigTranslator<ParseResult, MndConfig, MndSources> {
 public:
  using ConfigTranslator::ConfigTranslator;

  void run(std::string_view text) {
    // The Ike block is mnd.conf's only one: a top-level keyword of either
    // file met inside it means its '}' is missing.
    const core::conf::TreeOptions opt{
        .keywords = core::conf::keywords::kBoth, .top_level = core::conf::keywords::kBothTop, .max_depth = 1};
    if (core::conf::read_top_level(*this, text, opt, [this](const Statement& s) { statement(s); }))
      validate_mnd(cfg_, src_, *this);
  }

 private:
  void statement(const Statement& s) {
    const std::string& k = s.keyword.text;
    if (std::find(kMndTop.begin(), kMndTop.end(), k) == kMndTop.end())
      return core::conf::report_unknown(*this, s, kContexts[0], kContexts, kMapdOnly, "mapd.conf(5)");
    if (k == "Ike") return ike_block(s);
    no_block(s);
    if (k == "Interface") return interfaces(s);
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

  void interfaces(const Statement& s) {
    src_.global.note(s);
    if (s.args.empty()) {
      err(s.keyword, "Interface needs one or more interface names, as in 'Interface wlan0;'");
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
    }
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
