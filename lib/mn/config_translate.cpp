#include "config_translate.h"

#include <algorithm>
#include <array>
#include <utility>

#include "hmip/core/conf_reader.h"

namespace hmip::mn::config_detail {

namespace {

using core::conf::format_seconds;
using core::conf::KeywordContext;
using core::conf::q;
using core::conf::Seen;
using core::conf::Statement;
using core::conf::Token;

/// BU Lifetime: 16 bits of 4-second units (RFC 6275 §6.1.7).
constexpr std::uint64_t kMaxLifetime = std::uint64_t{0xffff} * 4U;

constexpr std::array<std::string_view, 12> kKw{"Interface",
                                               "MapSelection",
                                               "BindingLifetime",
                                               "PreviousMapLifetime",
                                               "RefreshPercent",
                                               "InitialBindackTimeoutFirstReg",
                                               "InitialBindackTimeout",
                                               "MaxBindackTimeout",
                                               "SolicitOnLinkChange",
                                               "DeregisterOnStop",
                                               "ControlSocket",
                                               "LogLevel"};
// mapd.conf's own keywords: a clear error when one lands in mnd.conf.
constexpr std::array<std::string_view, 14> kMapdOnlyKw{
    "MapAddress",  "MaxBindingLifetime", "AdvertisedValidLifetime", "BrrLead",         "BrrInterval",
    "RcoaDad",     "RcoaDadTimeout",     "TunnelMtu",               "RcoaPrefix",      "LcoaPrefix",
    "NeighbourPrefix", "InsecureTestbedSignalling", "TrustedPrefix", "ValidLifetime"};
constexpr std::array<KeywordContext, 1> kContexts{KeywordContext{"mnd.conf", kKw}};
// Both files' keywords: a known keyword starting a line ends an unterminated
// statement (mapd.conf's are then reported as such).
constexpr std::array<std::string_view, 26> kAllKw{
    "Interface", "MapSelection", "BindingLifetime", "PreviousMapLifetime", "RefreshPercent",
    "InitialBindackTimeoutFirstReg", "InitialBindackTimeout", "MaxBindackTimeout", "SolicitOnLinkChange",
    "DeregisterOnStop", "ControlSocket", "LogLevel", "MapAddress", "MaxBindingLifetime", "AdvertisedValidLifetime",
    "BrrLead", "BrrInterval", "RcoaDad", "RcoaDadTimeout", "TunnelMtu", "RcoaPrefix", "LcoaPrefix",
    "NeighbourPrefix", "InsecureTestbedSignalling", "TrustedPrefix", "ValidLifetime"};

class Translator : public core::conf::StatementReader {
 public:
  explicit Translator(ParseResult& r) : StatementReader(r.errors, r.warnings) {}

  void run(std::string_view text) {
    core::conf::TreeOptions opt;
    opt.keywords = kAllKw;
    opt.top_level = kAllKw;  // mnd.conf has no blocks
    opt.max_depth = 1;
    const auto tree = core::conf::read_statements(text, opt, errors());
    for (const auto& s : tree) statement(s);
    validate();
  }

  MndConfig take() { return std::move(cfg_); }

 private:
  void statement(const Statement& s) {
    const std::string& k = s.keyword.text;
    if (std::find(kKw.begin(), kKw.end(), k) == kKw.end())
      return core::conf::report_unknown(*this, s, kContexts[0], kContexts, kMapdOnlyKw, "mapd.conf(5)");
    no_block(s);
    if (k == "Interface") return interfaces(s);
    duplicate(seen_, s);

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
    }
  }

  // A BU lifetime in seconds: 4..262140, a multiple of 4 (else a warning).
  std::optional<std::uint32_t> lifetime(const Statement& s) {
    auto v = number(s, 4, kMaxLifetime, " seconds");
    if (!v) return std::nullopt;
    if (*v % 4 != 0)
      warn(s.args[0], s.keyword.text + " " + s.args[0].text +
                          " is not a multiple of 4: BU lifetimes go out in 4-second units (RFC 6275 §6.1.7), so " +
                          std::to_string((*v + 3) / 4 * 4) + " seconds are asked for");
    return static_cast<std::uint32_t>(*v);
  }

  void interfaces(const Statement& s) {
    seen_.note(s);
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

  // The rules between fields.
  void validate() {
    const Token none;
    if (cfg_.interfaces.empty() && seen_.find("Interface") == nullptr)
      err(0, 0, "no Interface: mnd needs the access interface(s) to watch for Router Advertisements (add "
                "'Interface wlan0;')");
    const auto check_initial = [&](std::string_view kw, Duration initial) {
      if (initial <= cfg_.max_bindack_timeout) return;
      err(seen_.at(kw, seen_.at("MaxBindackTimeout", none)),
          std::string(kw) + " " + format_seconds(initial) + " is longer than MaxBindackTimeout " +
              format_seconds(cfg_.max_bindack_timeout) + ": retransmissions back off from it up to the latter "
              "(RFC 6275 §11.8)");
    };
    check_initial("InitialBindackTimeoutFirstReg", cfg_.initial_bindack_timeout_first_reg);
    check_initial("InitialBindackTimeout", cfg_.initial_bindack_timeout);
    if (cfg_.initial_bindack_timeout_first_reg < core::seconds(1))
      warn(seen_.at("InitialBindackTimeoutFirstReg", none),
           "InitialBindackTimeoutFirstReg " + format_seconds(cfg_.initial_bindack_timeout_first_reg) +
               " is shorter than a MAP's RCoA duplicate address detection (1 s by default, RFC 6275 §13): a new "
               "binding's BU is retransmitted before the MAP can answer (fine on a testbed with a short "
               "RcoaDadTimeout)");
    if (cfg_.previous_map_lifetime > cfg_.binding_lifetime)
      warn(seen_.at("PreviousMapLifetime", seen_.at("BindingLifetime", none)),
           "PreviousMapLifetime " + std::to_string(cfg_.previous_map_lifetime) + " is longer than BindingLifetime " +
               std::to_string(cfg_.binding_lifetime) +
               ": the previous MAP only needs to forward packets in flight (RFC 5380 §8)");
  }

  MndConfig cfg_;
  Seen seen_;
  std::vector<int> interface_lines_;  // parallel to cfg_.interfaces
};

}  // namespace

MndConfig read_mnd_config(std::string_view text, ParseResult& r) {
  Translator t(r);
  t.run(text);
  return t.take();
}

}  // namespace hmip::mn::config_detail
