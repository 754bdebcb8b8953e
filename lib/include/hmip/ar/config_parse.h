// Parser and validator of /etc/hmip/ard.conf (man ard.conf(5)) into the
// ArdConfig model of hmip/ar/config.h.
//
// The format is radvd.conf's (same keywords where radvd has them) plus hmip's
// MAP statements:
//
//   ControlSocket "/run/hmip/ard.sock";     # global statements
//   LogLevel info;
//   interface eth0 {
//     AdvSendAdvert on; MaxRtrAdvInterval 0.07; MinRtrAdvInterval 0.03; ...
//     prefix 2001:db8:1::/64 { AdvOnLink on; AdvAutonomous on; ... };
//     route 2001:db8:f::/48 { AdvRoutePreference high; };
//     RDNSS 2001:db8::53 { AdvRDNSSLifetime 1200; };
//     DNSSL example.net { AdvDNSSLLifetime 1200; };
//     map 2001:db8:100::1 { Dist 1; Pref 10; Probe on; ProbeInterval 10; ... };
//     MapListen off; MapUpstream fe80::1; MapRelay off;
//   };
//
// Every error the parser can find is reported in one pass, each with its line
// and column, in file order; the parser recovers at the next ';' or '}'.
// Warnings flag what radvd would warn about (and a few hmip-specific traps)
// without rejecting the file. Never throws on bad input, never crashes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/ar/config.h"
#include "hmip/core/conf_lexer.h"

namespace hmip::ar {

using ConfigError = core::conf::ConfigError;

inline constexpr std::string_view kDefaultConfigPath = "/etc/hmip/ard.conf";

struct ParseResult {
  std::optional<ArdConfig> config;  ///< set if and only if `errors` is empty
  std::vector<ConfigError> errors;  ///< sorted by line, then column (line 0: about the whole file)
  std::vector<ConfigError> warnings;

  [[nodiscard]] bool ok() const { return config.has_value(); }
};

/// Parses and validates the text of an ard.conf. Each list keeps its first
/// 1000 entries (then one line-0 entry counting the rest): only garbage
/// input gets there.
ParseResult parse_ard_config(std::string_view text);

/// Reads `path` and parses it. A file that cannot be read (or is larger than
/// 1 MiB) is one error at line 0 naming the path and the reason.
ParseResult load_ard_config(const std::string& path);

/// Human-readable messages, "path:line:col: error: ..." then the warnings,
/// one per line, for the daemon's log and `ard --check`.
std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r);

}  // namespace hmip::ar
