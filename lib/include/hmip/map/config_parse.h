// Parser and validator of /etc/hmip/mapd.conf (man mapd.conf(5)) into the
// MapdConfig model of hmip/map/config.h.
//
// The syntax is ard.conf's (radvd-like, hmip/core/conf_lexer.h):
//
//   MapAddress 2001:db8:100::1;
//   MaxBindingLifetime 600;  AdvertisedValidLifetime 3600;
//   BrrLead 10;  BrrInterval 2;  RcoaDad on;  RcoaDadTimeout 1;  TunnelMtu 0;
//   MaxBindings 16384;  MaxBindingsPerIdentity 16;  MaxPendingRegistrations 1024;
//   MaxConcurrentDad 256;  # MaxBindingsPerTrustedPrefix N; (testbed mode)
//   ControlSocket "/run/hmip/mapd.sock";  LogLevel info;
//   RcoaPrefix 2001:db8:100::/64 { Interface eth1; ValidLifetime 86400; };
//   LcoaPrefix 2001:db8:10:1::/64 2001:db8:10:2::/64;
//   NeighbourPrefix 2001:db8:30::/48;
//   Ike {                            # required unless InsecureTestbedSignalling yes
//       ViciSocket "/run/charon.vici";  Identity "map1.example.net";
//       Certificate "/etc/swanctl/x509/map1.pem";
//       PrivateKey "/etc/swanctl/private/map1.pem";
//       CaCertificate "/etc/swanctl/x509ca/ca.pem";
//       AuthorizedIdentity "*@mn.example.net";
//       RcoaPool 2001:db8:100::1000-2001:db8:100::1fff;  DpdDelay 30;
//   };
//   # testbeds only, instead of Ike:
//   InsecureTestbedSignalling yes;  TrustedPrefix 2001:db8:10::/48;
//   HomeAgent {                      # the home agent role (RFC 6275 §10, RFC 4877)
//       Address 2001:db8:200::1;
//       HomePrefix 2001:db8:200::/64 { Interface eth2; ValidLifetime 86400; };
//       MaxBindingLifetime 600;  HomeDad on;  HomeDadTimeout 1;  Preference 0;
//       HomeAddress 2001:db8:200::10 "mn1@mn.example.net";  # secure mode: one or more
//       ProtectTraffic off;
//   };
//   # MapAddress, RcoaPrefix and LcoaPrefix are optional with a HomeAgent block.
//   # Multiple Care-of Addresses (RFC 5648), both roles:
//   MultipleCoa on;  BulkRegistration on;  MaxCareOfAddresses 8;  McoaSelection recent;
//   FlowPolicy { Bid 2; Protocol udp; DestinationPort 5004-5005; Dscp 46;
//                From 2001:db8:5::/48; To 2001:db8:100::/64; };  # repeatable, first match wins
//
// Every error the parser can find is reported in one pass, each with its line
// and column, sorted by position; warnings flag settings that are legal but
// probably not meant, and insecure signalling when it is on. Never throws on
// bad input, never crashes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/core/conf_lexer.h"
#include "hmip/map/config.h"

namespace hmip::map {

using ConfigError = core::conf::ConfigError;

inline constexpr std::string_view kDefaultConfigPath = "/etc/hmip/mapd.conf";

/// BU/BA Lifetime fields count 4-second units in 16 bits (RFC 6275 §6.1.7,
/// §6.1.8): the longest lifetime a binding can have, in seconds.
inline constexpr std::uint32_t kMaxBindingLifetimeSeconds = 0xffffU * 4U;

/// The largest values the caps take (mapd.conf(5)): MaxBindings and the
/// per-identity / per-prefix caps; MaxPendingRegistrations; MaxConcurrentDad
/// (each DAD holds a solicited-node group membership on one socket, which
/// the kernel bounds by net.core.optmem_max).
inline constexpr std::uint32_t kMaxBindingsCap = 1U << 24;
inline constexpr std::uint32_t kMaxPendingCap = 1U << 16;
inline constexpr std::uint32_t kMaxConcurrentDadCap = 4096;

/// The warning mapd.conf gives whenever InsecureTestbedSignalling is on
/// (what `mapd --check-config` prints; tests look for this text).
inline constexpr std::string_view kInsecureWarning =
    "InsecureTestbedSignalling is on: binding updates are accepted without IPsec: testbed only";

struct ParseResult {
  std::optional<MapdConfig> config;  ///< set if and only if `errors` is empty
  std::vector<ConfigError> errors;   ///< sorted by line, then column (line 0: about the whole file)
  std::vector<ConfigError> warnings;

  [[nodiscard]] bool ok() const { return config.has_value(); }
};

/// Parses and validates the text of a mapd.conf. Each diagnostics list keeps
/// its first 1000 entries (then one line-0 entry counting the rest).
/// Errors: syntax (with recovery), unknown keywords (with the closest one),
/// values out of range, no MapAddress / RcoaPrefix / LcoaPrefix (without a
/// HomeAgent block, or once one of them is there), a HomeAgent block
/// overlapping the RCoA prefixes or, in secure mode, without a HomeAddress
/// or on MapAddress, a HomeAddress off the home prefixes, prefixes
/// overlapping where that makes no sense (an LcoaPrefix inside an
/// RcoaPrefix...), InsecureTestbedSignalling without TrustedPrefix, neither
/// an Ike block nor InsecureTestbedSignalling (RFC 5380 §12.1), an
/// incomplete Ike block, an RcoaPool outside one RcoaPrefix. Never opens
/// the files the Ike block names.
ParseResult parse_mapd_config(std::string_view text);

/// Reads `path` and parses it. A file that cannot be read (or is larger than
/// 1 MiB) is one error at line 0 naming the path and the reason.
ParseResult load_mapd_config(const std::string& path);

/// "path:line:col: error: ..." lines, then the warnings, for the daemon's
/// log and `mapd --check-config`.
std::vector<std::string> format_diagnostics(std::string_view path, const ParseResult& r);

/// One line for `mapd --check-config` after the diagnostics: "MAP
/// 2001:db8:100::1, 1 RCoA prefix, 2 LCoA prefixes, 0 neighbour prefixes,
/// binding updates: IPsec through charon at unix:///run/charon.vici,
/// identity map1.example.net, RCoA pool 2001:db8:100::1000-2001:db8:100::1fff"
/// (or "binding updates: INSECURE testbed mode, accepted without IPsec from
/// 1 trusted prefix").
std::string config_summary(const MapdConfig& c);

/// What `mapd --check-config FILE` prints: loads `path` (and, when the Ike
/// block is in effect, reports each Certificate, PrivateKey and
/// CaCertificate file that cannot be read as an error at its path), returns
/// the diagnostics (format_diagnostics), then "FILE: OK, <config_summary>" when
/// there is no error, else "FILE: N error(s), M warning(s)". `exit_status`
/// is set to 0 (no error; warnings alone do not fail) or 1.
std::vector<std::string> check_config_text(const std::string& path, int& exit_status);

/// `c` as mapd.conf text that parses back to `c` (apart from the `line`
/// fields): every setting written, defaults included. For `hmipctl mapd
/// show config` and for round-trip tests.
std::string to_conf_text(const MapdConfig& c);

}  // namespace hmip::map
