// ard's sans-IO core: a Router Advertisement daemon for the access routers
// of an HMIPv6 MAP domain (RFC 4861 §6.2, RFC 6275 §7.3-7.5, RFC 5380 §5 and
// §10, draft-ietf-mipshop-4140bis §7.1 and §10).
//
// Events and the current time go in (handle_*), actions come out
// (poll_action()); no sockets, netlink, clocks, threads or stderr. The I/O
// side:
//   * feeds every link it learns from netlink (handle_link, also before
//     handle_start), received RS/RA (already decoded, IP hop limit 255
//     checked; failures go to handle_invalid), Echo Replies, reloads;
//   * runs one OS timer set to poll_timeout() and calls handle_timeout()
//     when it fires (any handle_* also does the work that is due);
//   * drains poll_action() after every call: SendRa (from the interface's
//     link-local address, hop limit 255), SendEcho (ICMPv6 Echo Request with
//     exactly this Identifier and Sequence: use a raw ICMPv6 socket, a Linux
//     ping socket rewrites the Identifier), LogEvent (the I/O side filters
//     by level and writes them).
// Interfaces are configured by name and bound to the link of that name.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hmip/ar/config.h"
#include "hmip/ar/map_health.h"
#include "hmip/core/time.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/bytes.h"
#include "hmip/wire/error.h"
#include "hmip/wire/nd.h"

namespace hmip::ar {

using core::TimePoint;

/// RFC 4861 §10 protocol constants.
inline constexpr unsigned kMaxInitialRtrAdvertisements = 3;                      // MAX_INITIAL_RTR_ADVERTISEMENTS
inline constexpr core::Duration kMaxInitialRtrAdvertInterval = core::seconds(16);  // MAX_INITIAL_RTR_ADVERT_INTERVAL
/// How long a learned MAP option with Valid Lifetime 0 (MAP failed
/// upstream) is still relayed after the last RA that carried it, at least
/// (see AccessRouter: at least 3 of the upstream's advertised intervals).
inline constexpr core::Duration kWithdrawnHold = kMaxInitialRtrAdvertInterval * kMaxInitialRtrAdvertisements;
/// At most this many MAP addresses learned by dynamic discovery.
inline constexpr std::size_t kMaxLearnedMaps = 256;
/// At most this many unicast RS answers pending per interface; beyond, one
/// multicast answer (rate limited) serves them all.
inline constexpr std::size_t kMaxPendingUnicast = 32;

/// A network interface as netlink reports it.
struct LinkState {
  unsigned ifindex = 0;
  std::string name;
  bool up = false;                     ///< IFF_UP and IFF_RUNNING (carrier)
  std::optional<Ip6Addr> link_local;   ///< a usable (not tentative) link-local address
  std::vector<Ip6Addr> globals;        ///< usable global addresses (for PrefixConfig::router_address)
  wire::Bytes lladdr;                  ///< link-layer address (empty: no Source LLA option)
  std::uint32_t mtu = 0;               ///< link MTU (0: unknown, 1280 assumed for RA sizing)
  friend bool operator==(const LinkState&, const LinkState&) = default;
};

enum class RaKind : std::uint8_t {
  unsolicited,           ///< periodic or fast (initial / after a change), to ff02::1
  solicited_multicast,   ///< answer to RS(s), to ff02::1
  solicited_unicast,     ///< answer to one RS, to its source
  final,                 ///< Router Lifetime 0: shutdown or interface no longer advertising (RFC 4861 §6.2.5)
};
std::string_view to_string(RaKind k) noexcept;

/// Send `ra` on `ifindex` from `src` (the link-local) to `dst`, hop limit 255.
struct SendRa {
  unsigned ifindex = 0;
  Ip6Addr src;
  Ip6Addr dst;
  RaKind kind = RaKind::unsolicited;
  wire::RouterAdvertisement ra;
};

/// Send an ICMPv6 Echo Request to a MAP (any source address the routing
/// table picks, no payload needed).
struct SendEcho {
  Ip6Addr dst;
  std::uint16_t id = 0;
  std::uint16_t seq = 0;
};

struct LogEvent {
  LogLevel level = LogLevel::info;
  std::string text;
};

using Action = std::variant<SendRa, SendEcho, LogEvent>;

/// Why a received ND message was dropped (counted per interface).
enum class InvalidReason : std::uint8_t {
  hop_limit,                 ///< IP Hop Limit != 255 (RFC 4861 §6.1.1, §6.1.2)
  bad_checksum,              ///< ICMPv6 checksum
  bad_code,                  ///< ICMP Code != 0
  truncated,                 ///< shorter than the message or an option says
  bad_length,                ///< an option Length 0 or wrong for its type
  bad_option,                ///< an option field the RFC forbids (e.g. MAP Dist 0)
  ra_source_not_link_local,  ///< RA from a source that is not link-local (RFC 4861 §6.1.2)
  rs_unspecified_with_slla,  ///< RS from :: with a Source LLA option (RFC 4861 §6.1.1)
  other,
};
inline constexpr std::size_t kInvalidReasonCount = 9;
std::string_view to_string(InvalidReason r) noexcept;
/// The reason for a wire decode error (bad_checksum, Code != 0 at offset 1, ...).
InvalidReason invalid_reason(const wire::Error& e) noexcept;

/// Per-interface counters (kept across reloads that keep the interface).
struct InterfaceCounters {
  std::uint64_t ra_unsolicited = 0;        ///< multicast RAs sent unsolicited
  std::uint64_t ra_solicited_multicast = 0;
  std::uint64_t ra_solicited_unicast = 0;
  std::uint64_t ra_final = 0;              ///< Router Lifetime 0 RAs
  std::uint64_t rs_received = 0;           ///< valid RSs
  std::uint64_t rs_ignored = 0;            ///< valid RSs on an interface not advertising (down, no link-local, AdvSendAdvert off)
  std::uint64_t rs_coalesced = 0;          ///< RSs answered by an RA already scheduled
  std::uint64_t ra_received = 0;           ///< valid RAs from other routers
  std::uint64_t ra_not_upstream = 0;       ///< RAs with MAP options on a listening interface from a router not in MapUpstream
  std::uint64_t ra_inconsistent = 0;       ///< RAs disagreeing with ours (RFC 4861 §6.2.7)
  std::uint64_t map_options_received = 0;  ///< MAP options accepted for learning
  std::uint64_t options_malformed = 0;     ///< options of received RS/RA that break their format (skipped, the rest is used)
  std::array<std::uint64_t, kInvalidReasonCount> invalid{};  ///< indexed by InvalidReason
  [[nodiscard]] std::uint64_t invalid_total() const noexcept;
  friend bool operator==(const InterfaceCounters&, const InterfaceCounters&) = default;
};

/// Where a MAP option comes from.
enum class MapOrigin : std::uint8_t { configured, learned };

/// One MAP as ard sees it (state() view).
struct MapView {
  Ip6Addr address;
  MapOrigin origin = MapOrigin::configured;
  MapHealthState health = MapHealthState::up;  ///< configured: the probe's verdict; learned: up, or failed when withdrawn upstream
  bool admin_override = false;                 ///< configured: state forced by handle_map_admin()
  std::uint8_t dist = 1;                       ///< configured: as configured; learned: as received (relayed with +1)
  std::uint8_t pref = 0;
  bool r_flag = false;
  std::uint32_t lifetime = 0;                  ///< Valid Lifetime the next RA carries (configured: 0 when failed; learned: remaining, 0 when withdrawn)
  std::optional<core::Duration> remaining;     ///< learned: until it expires / is dropped
  std::vector<std::string> advertised_on;      ///< interfaces whose RAs carry it
  // Learned only:
  std::string learned_on;                      ///< interface of the best (smallest Dist) source
  Ip6Addr learned_from;                        ///< upstream router (link-local)
  std::size_t sources = 0;                     ///< (interface, router) pairs that advertise it
  bool shadowed = false;                       ///< learned: also configured here (the configured option wins where
                                               ///< configured); configured: also learned from upstream
  // Configured with probing only:
  bool probed = false;
  std::uint16_t probe_id = 0;
  std::uint64_t probes_sent = 0, probe_replies = 0, probe_misses = 0, probe_stale = 0;
  unsigned consecutive_replies = 0;
  std::uint64_t failures = 0, restores = 0;
  std::optional<core::Duration> last_rtt;
  std::optional<core::Duration> since_last_reply;
  std::optional<core::Duration> failed_for;
};

/// One configured interface (state() view).
struct InterfaceView {
  std::string name;
  std::optional<unsigned> ifindex;    ///< bound link, if netlink reported one of that name
  bool up = false;
  std::optional<Ip6Addr> link_local;
  bool send_advert = true;
  bool advertising = false;           ///< sending RAs now (send_advert, up, link-local)
  bool map_listen = false;
  bool map_relay = false;
  unsigned fast_ras_remaining = 0;    ///< initial / after-change RAs still to go at the fast interval
  std::optional<core::Duration> next_ra_in;
  std::optional<core::Duration> since_last_ra;
  std::size_t pending_unicast = 0;
  /// What the next unsolicited RA carries (unsplit), when advertising.
  std::optional<wire::RouterAdvertisement> next_ra;
  InterfaceCounters counters;
};

struct ArdState {
  bool started = false;
  bool shutting_down = false;
  std::vector<InterfaceView> interfaces;  ///< in configuration order
  std::vector<MapView> maps;              ///< configured (config order, once per address), then learned (by address)
  std::uint64_t ignored_unconfigured = 0; ///< RS/RA/invalid on interfaces not configured
  std::uint64_t echo_unmatched = 0;       ///< Echo Replies matching no MAP probe (address or Identifier)
  std::uint64_t learned_table_full = 0;   ///< MAP options not learned: kMaxLearnedMaps reached
};

/// Manual control of a configured MAP (4140bis §10: "by manual intervention").
enum class MapAdmin : std::uint8_t {
  automatic,    ///< the probe decides (back to up when probing is off)
  force_failed, ///< advertise with lifetime 0 until set back to automatic
  force_up,     ///< advertise normally whatever the probe says
};

/// Byte order of addresses (avoids the defaulted operator<=>, which
/// clang-tidy 14's modernize-use-nullptr misreports).
struct Ip6AddrLess {
  bool operator()(const Ip6Addr& x, const Ip6Addr& y) const noexcept {
    return std::lexicographical_compare(x.b.begin(), x.b.end(), y.b.begin(), y.b.end());
  }
};

class AccessRouter {
 public:
  /// `cfg` is assumed valid (config_parse checks it). `rng_seed` seeds all
  /// jitter and Echo Identifiers.
  AccessRouter(ArdConfig cfg, std::uint64_t rng_seed);

  /// Starts advertising (interfaces whose link is up with a link-local)
  /// and probing. Links may be reported before.
  void handle_start(TimePoint now);
  /// A link appeared or changed (up/down, addresses, lladdr, MTU, name).
  void handle_link(const LinkState& link, TimePoint now);
  void handle_link_removed(unsigned ifindex, TimePoint now);
  /// A valid RS (hop limit 255 checked by the caller) received on ifindex.
  void handle_rs(unsigned ifindex, const Ip6Addr& src, const wire::RouterSolicitation& rs, TimePoint now);
  /// A valid RA (hop limit 255 checked by the caller) received on ifindex.
  /// Our own (src == our link-local) are ignored.
  void handle_ra(unsigned ifindex, const Ip6Addr& src, const wire::RouterAdvertisement& ra, TimePoint now);
  void handle_echo_reply(const Ip6Addr& from, std::uint16_t id, std::uint16_t seq, TimePoint now);
  /// An ND message the caller dropped (counted per interface).
  void handle_invalid(unsigned ifindex, InvalidReason why);
  /// New configuration: keeps learned MAPs (from interfaces still listening
  /// to the same upstreams), the probe state of MAPs still configured, the
  /// counters of interfaces still configured; a changed interface gets up
  /// to 3 fast RAs; an interface removed or no longer advertising gets a
  /// final RA (Router Lifetime 0).
  void handle_reload(ArdConfig cfg, TimePoint now);
  /// Manual failure/restore of a configured MAP. False if not configured.
  bool handle_map_admin(const Ip6Addr& map, MapAdmin admin, TimePoint now);
  /// A final RA (Router Lifetime 0) on every advertising interface, at
  /// once; afterwards every input is ignored and poll_timeout() is nullopt.
  void handle_shutdown(TimePoint now);
  /// Does whatever is due at `now`.
  void handle_timeout(TimePoint now);

  /// The earliest deadline, if any (set the OS timer to it).
  [[nodiscard]] std::optional<TimePoint> poll_timeout() const;
  /// The next action, in order; nullopt when drained.
  std::optional<Action> poll_action();

  [[nodiscard]] ArdState state(TimePoint now) const;
  [[nodiscard]] const ArdConfig& config() const noexcept { return cfg_; }

 private:
  struct PendingUnicast {
    Ip6Addr dst;
    TimePoint at;
  };
  struct Iface {
    InterfaceConfig cfg;
    bool advertising = false;
    unsigned fast_remaining = 0;
    std::optional<TimePoint> next_unsolicited;
    std::optional<TimePoint> solicited_at;  ///< pending multicast answer
    std::vector<PendingUnicast> unicast;    ///< pending unicast answers
    std::map<Ip6Addr, TimePoint, Ip6AddrLess> last_unicast;
    std::optional<TimePoint> last_multicast;
    std::optional<TimePoint> last_ra;
    std::optional<wire::RouterAdvertisement> content;  ///< last advertised content, lifetimes normalised
    std::optional<Ip6Addr> content_src;
    std::vector<Ip6Addr> warned_inconsistent;
    bool warned_router_address = false;
    InterfaceCounters counters;
    /// The earlier of the pending unsolicited and solicited multicast RAs.
    [[nodiscard]] std::optional<TimePoint> next_multicast() const;
    /// Whether the configuration has a MAP option for `map`.
    [[nodiscard]] bool configures_map(const Ip6Addr& map) const;
  };
  struct Monitor {
    Ip6Addr address;
    MapHealth health;
    EchoProber prober;
    MapAdmin admin = MapAdmin::automatic;
    bool probing = false;
    /// The probe's verdict unless handle_map_admin() overrides it.
    [[nodiscard]] MapHealthState advertised_health() const;
  };
  struct LearnedSource {
    std::string iface;
    Ip6Addr router;
    wire::MapOption opt;  ///< as received
    TimePoint received;
    TimePoint expires;    ///< received + lifetime, or received + hold when withdrawn
    /// The Valid Lifetime to relay at `now`: counted down from receipt, 0
    /// only when withdrawn.
    [[nodiscard]] std::uint32_t lifetime_at(TimePoint now) const;
  };

  void service(TimePoint now);
  void refresh(TimePoint now);
  void service_maps(TimePoint now);
  void service_learned(TimePoint now);
  void service_ras(TimePoint now);
  void start_iface(Iface& i, TimePoint now);
  void trigger_fast(Iface& i, TimePoint now);
  void send_multicast(Iface& i, const LinkState& l, RaKind kind, TimePoint now);
  void send_final(Iface& i, const LinkState& l, TimePoint now);
  void send_final_if_advertising(Iface& i, TimePoint now);
  static void stop_advertising(Iface& i);
  void emit_ras(Iface& i, const LinkState& l, const Ip6Addr& dst, RaKind kind, bool final, TimePoint now);
  [[nodiscard]] wire::RouterAdvertisement build_ra(const Iface& i, const LinkState& l, bool final, TimePoint now) const;
  [[nodiscard]] std::vector<wire::MapOption> map_options(const Iface& i, TimePoint now) const;
  [[nodiscard]] const LearnedSource* best_learned(const Ip6Addr& addr) const;
  [[nodiscard]] bool relays_on(const Ip6Addr& addr, const LearnedSource& best, const Iface& i) const;
  [[nodiscard]] wire::RouterAdvertisement content_key(const Iface& i, const LinkState& l, TimePoint now) const;
  [[nodiscard]] const LinkState* link_of(const Iface& i) const;
  [[nodiscard]] Iface* iface_by_index(unsigned ifindex);
  [[nodiscard]] Iface* receiving_iface(unsigned ifindex);
  [[nodiscard]] Iface* begin_receive(unsigned ifindex, TimePoint now);
  [[nodiscard]] bool should_advertise(const Iface& i) const;
  [[nodiscard]] TimePoint earliest_multicast(const Iface& i, TimePoint t) const;
  [[nodiscard]] Monitor* monitor(const Ip6Addr& a);
  [[nodiscard]] const Monitor* monitor(const Ip6Addr& a) const;
  void rebuild_monitors(TimePoint now);
  void check_consistency(Iface& i, const Ip6Addr& src, const wire::RouterAdvertisement& ra);
  void learn(Iface& i, const Ip6Addr& src, const wire::RouterAdvertisement& ra, TimePoint now);
  void prune_learned(TimePoint now);
  void log(LogLevel level, std::string text);

  ArdConfig cfg_;
  core::Rng rng_;
  bool started_ = false;
  bool shutdown_ = false;
  std::vector<Iface> ifaces_;
  std::map<unsigned, LinkState> links_;
  std::vector<Monitor> monitors_;
  std::map<Ip6Addr, std::vector<LearnedSource>, Ip6AddrLess> learned_;
  std::deque<Action> actions_;
  std::uint64_t ignored_unconfigured_ = 0;
  std::uint64_t echo_unmatched_ = 0;
  std::uint64_t learned_table_full_ = 0;
};

}  // namespace hmip::ar
