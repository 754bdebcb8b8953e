// Parser and validator of /etc/hmip/mnd.conf (man mnd.conf(5)) into the
// MndConfig model of hmip/mn/config.h.
//
// The syntax is ard.conf's (radvd-like, hmip/core/conf_lexer.h):
//
//   Interface wlan0 eth0;
//   MapSelection furthest;           # or preference
//   BindingLifetime 600;  PreviousMapLifetime 12;  RefreshPercent 20;
//   InitialBindackTimeoutFirstReg 1.5;  InitialBindackTimeout 1;
//   MaxBindackTimeout 32;
//   SolicitOnLinkChange on;  DeregisterOnStop on;
//   ControlSocket "/run/hmip/mnd.sock";  LogLevel info;
//   Ike {                            # required unless InsecureTestbedSignalling yes
//       ViciSocket "/run/charon.vici";  Identity "mn1@mn.example.net";
//       Certificate "/etc/swanctl/x509/mn1.pem";
//       PrivateKey "/etc/swanctl/private/mn1.pem";
//       CaCertificate "/etc/swanctl/x509ca/ca.pem";
//       MapIdentity "*.map.example.net";  DpdDelay 30;  IkeTimeout 10;
//   };
//   InsecureTestbedSignalling no;    # yes: no IPsec, stateless RCoA (testbeds only)
//
// Every error the parser can find is reported in one pass, each with its line
// and column, sorted by position; warnings flag settings that are legal but
// probably not meant. Never throws on bad input, never crashes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/core/conf_lexer.h"
#include "hmip/mn/config.h"

namespace hmip::mn {

using ConfigError = core::conf::ConfigError;

inline constexpr std::string_view kDefaultConfigPath = "/etc/hmip/mnd.conf";

/// The warning mnd.conf gives whenever InsecureTestbedSignalling is on
/// (what `mnd --check-config` prints; tests look for this text).
inline constexpr std::string_view kInsecureWarning =
    "InsecureTestbedSignalling is on: binding updates go out without IPsec and the RCoA is formed statelessly: "
    "testbed only";

struct ParseResult {
  std::optional<MndConfig> config;  ///< set if and only if `errors` is empty
  std::vector<ConfigError> errors;  ///< sorted by line, then column (line 0: about the whole file)
  std::vector<ConfigError> warnings;

  [[nodiscard]] bool ok() const { return config.has_value(); }
};

/// Parses and validates the text of an mnd.conf. Each diagnostics list keeps
/// its first 1000 entries (then one line-0 entry counting the rest).
/// Errors: syntax (with recovery), unknown keywords (with the closest one),
/// values out of range, no Interface, an initial BA timeout longer than
/// MaxBindackTimeout (RFC 6275 §11.8), neither an Ike block nor
/// InsecureTestbedSignalling (RFC 5380 §12.1), an incomplete Ike block.
/// Never opens the files the Ike block names.
ParseResult parse_mnd_config(std::string_view text);

/// Reads `path` and parses it. A file that cannot be read (or is larger than
/// 1 MiB) is one error at line 0 naming the path and the reason.
ParseResult load_mnd_config(const std::string& path);

/// "path:line:col: error: ..." lines, then the warnings, for the daemon's
/// log and `mnd --check-config`.
std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r);

/// One line for `mnd --check-config` after the diagnostics: "2 interfaces
/// (wlan0 eth0), MAP selection furthest (RFC 5380 §9.1), binding lifetime
/// 600 s, binding updates: IPsec through charon at unix:///run/charon.vici,
/// identity mn1@mn.example.net" (or "binding updates: INSECURE testbed
/// mode, sent without IPsec").
std::string config_summary(const MndConfig& c);

/// What `mnd --check-config FILE` prints: loads `path` (and, when the Ike
/// block is in effect, reports each Certificate, PrivateKey and
/// CaCertificate file that cannot be read as an error at its path), returns
/// the diagnostics (format_diagnostics), then "FILE: OK, <config_summary>" when
/// there is no error, else "FILE: N error(s), M warning(s)". `exit_status`
/// is set to 0 (no error; warnings alone do not fail) or 1.
std::vector<std::string> check_config_text(const std::string& path, int& exit_status);

/// `c` as mnd.conf text that parses back to `c`: every setting written,
/// defaults included. For `hmipctl mnd show config` and round-trip tests.
std::string to_conf_text(const MndConfig& c);

}  // namespace hmip::mn
