// ard's configuration: what /etc/hmip/ard.conf says (man ard.conf(5)),
// as plain values. Parsed by hmip/ar/config_parse.h, consumed by the
// sans-IO AccessRouter core (hmip/ar/access_router.h). Defaults are RFC 4861
// §6.2.1's unless a field says otherwise.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hmip/core/log_level.h"
#include "hmip/core/prefix.h"
#include "hmip/core/time.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/nd_options.h"

namespace hmip::ar {

using core::Duration;

/// One Prefix Information option (RFC 4861 §4.6.2, R flag RFC 6275 §7.2).
struct PrefixConfig {
  Ip6Prefix prefix;
  bool on_link = true;                     ///< AdvOnLink (L)
  bool autonomous = true;                  ///< AdvAutonomous (A)
  bool router_address = false;             ///< AdvRouterAddr (R): send the router's own address in the prefix field
  std::uint32_t valid_lifetime = 2592000;  ///< AdvValidLifetime, seconds (30 days)
  std::uint32_t preferred_lifetime = 604800;  ///< AdvPreferredLifetime, seconds (7 days)
  int line = 0;                            ///< where it was configured, for messages
  friend bool operator==(const PrefixConfig&, const PrefixConfig&) = default;
};

/// One Route Information option (RFC 4191 §2.3).
struct RouteConfig {
  Ip6Prefix prefix;
  wire::RouterPreference preference = wire::RouterPreference::medium;  ///< AdvRoutePreference
  std::optional<std::uint32_t> lifetime;  ///< AdvRouteLifetime, seconds; default 3 * MaxRtrAdvInterval
  int line = 0;
  friend bool operator==(const RouteConfig&, const RouteConfig&) = default;
};

/// One RDNSS option (RFC 8106 §5.1).
struct RdnssConfig {
  std::vector<Ip6Addr> servers;
  std::optional<std::uint32_t> lifetime;  ///< AdvRDNSSLifetime, seconds; default 3 * MaxRtrAdvInterval (RFC 8106 §5.1)
  int line = 0;
  friend bool operator==(const RdnssConfig&, const RdnssConfig&) = default;
};

/// One DNSSL option (RFC 8106 §5.2).
struct DnsslConfig {
  std::vector<std::string> domains;
  std::optional<std::uint32_t> lifetime;  ///< AdvDNSSLLifetime, seconds; default 3 * MaxRtrAdvInterval (RFC 8106 §5.1)
  int line = 0;
  friend bool operator==(const DnsslConfig&, const DnsslConfig&) = default;
};

/// How ard decides a MAP has failed (RFC 5380 §10, 4140bis §10): ICMPv6 Echo
/// Requests to the MAP's address. An echo reply proves the host is up, not
/// that mapd is; the prober is one implementation of a probe the core can
/// swap for a stronger one (a secured mapd health query, RFC 5380 §10).
struct MapProbeConfig {
  bool enabled = true;                                ///< Probe
  Duration interval = core::seconds(10);              ///< ProbeInterval: between probes while the MAP answers
  Duration retry_interval = core::seconds(5);         ///< ProbeRetryInterval: between probes after a miss
  Duration fail_after = core::seconds(15);            ///< ProbeFailAfter: unanswered this long after the first miss -> failed
  Duration reply_timeout = core::seconds(2);          ///< ProbeTimeout: a probe unanswered this long is a miss
  unsigned restore_after = 3;                         ///< ProbeRestoreAfter: consecutive replies that restore a failed MAP
  /// Damping (issue 13 item 17): a failure takes at least this many probes
  /// in a row unanswered (as well as ProbeFailAfter since the first), so one
  /// lost burst of echoes does not fail the MAP for every mobile node.
  unsigned fail_misses = 3;                           ///< ProbeFailMisses
  /// Damping: a failed MAP is not restored before this long after it failed
  /// (however many replies), so a flapping MAP does not make the mobile
  /// nodes switch back and forth.
  Duration restore_hold_down = core::seconds(30);     ///< ProbeRestoreHoldDown
  friend bool operator==(const MapProbeConfig&, const MapProbeConfig&) = default;
};

/// One MAP option this router advertises (RFC 5380 §5).
struct MapConfig {
  Ip6Addr address;                       ///< the MAP's global address
  std::uint8_t dist = 1;                 ///< Dist, 1..15
  std::uint8_t pref = 10;                ///< Pref, 0..15 (0: do not use for new bindings)
  bool r_flag = false;                   ///< R: the MAP allocates RCoAs through IKEv2
  std::uint32_t valid_lifetime = 3600;   ///< ValidLifetime, seconds
  MapProbeConfig probe;
  int line = 0;
  friend bool operator==(const MapConfig&, const MapConfig&) = default;
};

/// Everything ard advertises on one interface and how it times it.
struct InterfaceConfig {
  std::string name;
  bool send_advert = true;  ///< AdvSendAdvert: off = the interface only listens (dynamic MAP discovery)

  /// MinRtrAdvInterval / MaxRtrAdvInterval. RFC 4861 §6.2.1: Max 4..1800 s,
  /// Min 3 s..0.75*Max (default 0.33*Max). RFC 6275 §7.5 lets mobility
  /// routers go down to Max 70 ms, Min 30 ms; ard accepts that range.
  Duration max_interval = core::seconds(600);
  std::optional<Duration> min_interval;  ///< default: 0.33 * max_interval (>= 3 s if max >= 9 s)
  /// MIN_DELAY_BETWEEN_RAS (RFC 4861 §10: 3 s; RFC 6275 §7.5 allows 30 ms).
  Duration min_delay_between_ras = core::seconds(3);
  /// Random delay before answering a Router Solicitation, 0..this
  /// (MAX_RA_DELAY_TIME, RFC 4861 §6.2.6: 500 ms). 0 answers at once: a
  /// deviation for mobility testbeds (RFC 6275 §7.5 relaxes the intervals,
  /// not this delay), documented in ard.conf(5).
  Duration max_ra_delay = core::milliseconds(500);
  bool unicast_solicited = true;  ///< AdvRASolicitedUnicast: answer an RS with a specified source by unicast (§6.2.6)

  bool managed = false;                  ///< AdvManagedFlag (M)
  bool other_config = false;             ///< AdvOtherConfigFlag (O)
  std::uint8_t cur_hop_limit = 64;       ///< AdvCurHopLimit
  std::optional<std::uint16_t> default_lifetime;  ///< AdvDefaultLifetime, s; default 3 * Max, at most 9000
  wire::RouterPreference default_preference = wire::RouterPreference::medium;  ///< AdvDefaultPreference
  std::uint32_t reachable_time = 0;      ///< AdvReachableTime, ms
  std::uint32_t retrans_timer = 0;       ///< AdvRetransTimer, ms
  std::uint32_t link_mtu = 0;            ///< AdvLinkMTU: 0 = no MTU option
  bool source_lla = true;                ///< AdvSourceLLAddress
  bool adv_interval_option = true;       ///< AdvIntervalOpt (RFC 6275 §7.3): helps mobile nodes detect movement

  std::vector<PrefixConfig> prefixes;
  std::vector<RouteConfig> routes;
  std::vector<RdnssConfig> rdnss;
  std::vector<DnsslConfig> dnssl;
  std::vector<MapConfig> maps;

  /// Dynamic MAP discovery (4140bis §7.1), off by default (RFC 5380 makes
  /// manual configuration the norm). map_listen: learn MAP options from RAs
  /// received on this interface, only from routers in map_upstream (their
  /// link-local addresses; required when listening). map_relay: re-send
  /// learned MAP options on this interface with Dist + 1.
  bool map_listen = false;
  std::vector<Ip6Addr> map_upstream;
  bool map_relay = false;

  int line = 0;
  friend bool operator==(const InterfaceConfig&, const InterfaceConfig&) = default;
};

using LogLevel = core::LogLevel;

struct ArdConfig {
  std::vector<InterfaceConfig> interfaces;
  std::string control_socket = "/run/hmip/ard.sock";  ///< ControlSocket (hmipctl)
  LogLevel log_level = LogLevel::info;                ///< LogLevel
  friend bool operator==(const ArdConfig&, const ArdConfig&) = default;
};

/// Effective values of the optional fields (RFC 4861 §6.2.1 defaults).
Duration effective_min_interval(const InterfaceConfig& c);
std::uint16_t effective_default_lifetime(const InterfaceConfig& c);

}  // namespace hmip::ar
