// What the mobile node core shows through state() (hmipctl mnd show ...):
// MAPs seen per interface, the chosen MAP, the binding update list, the
// tunnel, counters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "hmip/core/time.h"
#include "hmip/mn/config.h"
#include "hmip/wire/addr.h"

namespace hmip::mn {

/// Everything the core counts (never reset; kept across reloads).
struct MnCounters {
  std::uint64_t rs_sent = 0;
  std::uint64_t ra_received = 0;            ///< RAs processed on watched, up interfaces
  std::uint64_t ra_ignored = 0;             ///< on an interface not watched or down, or source not link-local
  std::uint64_t map_options_received = 0;
  std::uint64_t map_r_flag_skipped = 0;     ///< MAP options whose R flag does not suit the mode (R = 1 insecure, R = 0 secure)
  std::uint64_t map_failures = 0;           ///< MAP options with Valid Lifetime 0 for a MAP we had a binding with
  std::uint64_t map_failures_untrusted = 0; ///< ignored: Valid Lifetime 0 from a router that had not advertised that MAP on that interface
  std::uint64_t ra_routers_refused = 0;     ///< RAs ignored: from a new router while kMaxRoutersPerInterface are known there
  std::uint64_t prefixes_refused = 0;       ///< prefixes not learned: kMaxPrefixesPerInterface reached
  std::uint64_t maps_refused = 0;           ///< MAP options not learned: kMaxMapsPerInterface reached
  std::uint64_t link_changes = 0;           ///< movement hints: a watched link came up or changed
  std::uint64_t router_changes = 0;          ///< moves seen as an RA from a new router with new prefixes, carrier up
  std::uint64_t known_link_returns = 0;     ///< first RA after a change from the same router with the same prefixes
  std::uint64_t bu_sent = 0;                ///< every BU, retransmissions included
  std::uint64_t bu_retransmitted = 0;
  std::uint64_t ba_received = 0;            ///< every BA handed in
  std::uint64_t ba_accepted = 0;
  std::uint64_t ba_refused = 0;             ///< matching BAs with status >= 128 (134 and 135 included)
  std::uint64_t ba_no_rh2 = 0;              ///< ignored: no type 2 routing header (RFC 5380 §6.1)
  std::uint64_t ba_wrong_rh2 = 0;           ///< ignored: RH2 address is none of our RCoAs
  std::uint64_t ba_wrong_source = 0;        ///< ignored: not from the MAP of that RCoA
  std::uint64_t ba_unexpected = 0;          ///< ignored: no BU outstanding for that binding
  std::uint64_t ba_wrong_sequence = 0;      ///< ignored: sequence of no outstanding BU
  std::uint64_t sequence_resyncs = 0;       ///< status 135 handled
  std::uint64_t dad_retries = 0;            ///< status 134: new interface identifier
  std::uint64_t brr_received = 0;
  std::uint64_t brr_answered = 0;
  std::uint64_t brr_ignored = 0;            ///< for no binding we refresh
  std::uint64_t be_received = 0;
  std::uint64_t mh_ignored = 0;             ///< MH types a mobile node does not handle (BU)
  std::uint64_t intra_map_moves = 0;        ///< new LCoA, same MAP: one BU, same RCoA
  std::uint64_t inter_map_moves = 0;        ///< new MAP: new RCoA, BU to the previous MAP
  std::uint64_t bindings_expired = 0;
  std::uint64_t no_map_events = 0;          ///< times HMIPv6 became unusable (no selectable MAP)
  std::uint64_t ike_requested = 0;          ///< secure mode: SecureMap for a new protection
  std::uint64_t ike_established = 0;        ///< handle_security_up answered one
  std::uint64_t ike_failed = 0;             ///< setting up failed or timed out (IkeTimeout)
  std::uint64_t ike_lost = 0;               ///< an established protection went away (DPD, MAP restart)
  std::uint64_t ike_reestablished = 0;      ///< re-established from a new LCoA (intra-MAP move)
  // Multiple CoA (RFC 5648, issue 15): MAP registrations and, in plain mode,
  // the home registration (mn_home_mcoa.cpp) alike (home BUs also count in home_*)
  std::uint64_t mcoa_bu_sent = 0;            ///< BUs with BID options (retransmissions included)
  std::uint64_t mcoa_bulk_bu_sent = 0;       ///< ... with more than one
  std::uint64_t mcoa_bids_registered = 0;    ///< BIDs accepted (refreshes included)
  std::uint64_t mcoa_bids_refused = 0;       ///< BIDs refused on their own (BA status 4, or per BID)
  std::uint64_t mcoa_bids_deregistered = 0;  ///< BIDs whose lifetime-0 BU was answered
  std::uint64_t mcoa_bid_unexpected = 0;     ///< BID options in a BA for no BID of its BU (ignored)
  std::uint64_t mcoa_ba_malformed = 0;       ///< BA status 4 without BID options (ignored: the BU is resent)
  std::uint64_t mcoa_interface_losses = 0;   ///< members lost (carrier, LCoA, MAP no longer heard there)
  std::uint64_t mcoa_interfaces_joined = 0;  ///< members added to a registration (an interface back or new)
  std::uint64_t mcoa_primary_changes = 0;    ///< the signalling/primary member moved to another BID
  std::uint64_t mcoa_fallbacks = 0;          ///< MAPs (or the HA) that do not do Multiple CoA: one regular binding
  std::uint64_t mcoa_clearings = 0;          ///< 165: regular bindings deregistered before registering BIDs
  // Home registration (the Home block; RFC 6275 §11, RFC 5380 §6.1)
  std::uint64_t home_bu_sent = 0;           ///< every home BU, retransmissions and deregistrations included
  std::uint64_t home_bu_retransmitted = 0;
  std::uint64_t home_ba_accepted = 0;
  std::uint64_t home_ba_refused = 0;        ///< matching home BAs with status >= 128 (134 and 135 included)
  std::uint64_t home_ba_ignored = 0;        ///< home BAs not from the HA, without RH2 = home address, no BU outstanding, wrong sequence
  std::uint64_t home_sequence_resyncs = 0;  ///< status 135 from the HA handled
  std::uint64_t home_dad_failures = 0;      ///< status 134: the home address is in use on the home link
  std::uint64_t home_be_received = 0;       ///< Binding Errors from the HA
  std::uint64_t home_be_ignored = 0;        ///< ... status 2 in secure mode: unprotected, only logged
  std::uint64_t home_brr_answered = 0;      ///< BRRs from the HA answered with a home BU
  std::uint64_t home_coa_changes = 0;       ///< home BUs for a new care-of address (new MAP, plain-mode move, mode switch)
  std::uint64_t home_deregistrations = 0;   ///< lifetime-0 home BUs (return home, stop) answered or given up
  std::uint64_t home_expired = 0;           ///< the home binding's lifetime ran out unrefreshed
  std::uint64_t returns_home = 0;           ///< RA with the home prefix on a watched link: back home (RFC 6275 §11.5.5)
  std::uint64_t dhaad_requests_sent = 0;    ///< retransmissions included
  std::uint64_t dhaad_replies_accepted = 0;
  std::uint64_t dhaad_replies_ignored = 0;  ///< no request outstanding, wrong identifier, no HA listed
  // Secure mode: the protection of home registrations (RFC 4877)
  std::uint64_t home_ike_requested = 0;      ///< SecureHome for a new protection (none up)
  std::uint64_t home_ike_established = 0;    ///< handle_home_security_up answered one
  std::uint64_t home_ike_reestablished = 0;  ///< SecureHome from a new care-of address with a protection up
  std::uint64_t home_ike_failed = 0;         ///< setting up failed or timed out (IkeTimeout)
  std::uint64_t home_ike_lost = 0;           ///< an established protection went away (DPD, HA restart, charon)
  friend bool operator==(const MnCounters&, const MnCounters&) = default;
};

/// Why a seen MAP is (not) selectable.
enum class MapStatus : std::uint8_t { usable, refresh_only, failed, r_flag, held_down };
std::string_view to_string(MapStatus s) noexcept;

struct MapSeenView {
  Ip6Addr address;
  std::uint8_t dist = 1;
  std::uint8_t pref = 0;
  bool r_flag = false;
  std::uint32_t lifetime = 0;      ///< remaining valid lifetime, seconds
  Ip6Addr router;                  ///< link-local source of the RA that carried it
  core::Duration age{};            ///< since that RA
  MapStatus status = MapStatus::usable;
};

struct PrefixView {
  Ip6Addr prefix;
  std::uint8_t length = 64;
  Ip6Addr router;
  std::uint32_t valid = 0;  ///< remaining, seconds
};

struct MnInterfaceView {
  std::string name;
  std::optional<unsigned> ifindex;
  bool up = false;
  bool ra_seen = false;                 ///< an RA arrived since the last link change
  unsigned rs_remaining = 0;            ///< solicitations still to send
  std::optional<Ip6Addr> lcoa;          ///< the care-of address usable on it now
  std::vector<MapSeenView> maps;
  std::vector<PrefixView> prefixes;
};

enum class BindingRole : std::uint8_t {
  current,        ///< with the chosen MAP, refreshed
  previous,       ///< the MAP before an inter-MAP move: never refreshed, removed when it expires (§8, §9)
  deregistering,  ///< lifetime 0 BU sent on stop
};
std::string_view to_string(BindingRole r) noexcept;

/// Multiple CoA: one BID of a registration (one interface).
struct BidView {
  std::uint16_t bid = 0;
  std::string interface;
  Ip6Addr lcoa;
  std::uint8_t priority = 0;                 ///< BID-PRI (0 = none)
  bool registered = false;                   ///< the MAP accepted this BID
  bool primary = false;                      ///< the signalling member (BUs, the RCoA's own packets; the default uplink once registered)
  bool pending = false;                      ///< in the outstanding BU
  std::optional<std::uint8_t> last_status;   ///< this BID's status in the last BA
  std::optional<core::Duration> expires_in;
  std::vector<std::size_t> flow_policies;    ///< indexes into MnState::flow_policies with this BID
};

/// One binding update list entry (RFC 6275 §11.1).
struct BulEntryView {
  Ip6Addr map;
  Ip6Addr rcoa;
  Ip6Addr lcoa;
  std::string interface;
  Ip6Addr router;
  BindingRole role = BindingRole::current;
  bool registered = false;                       ///< a BA accepted it
  bool primary = false;
  std::uint16_t last_sequence = 0;
  std::uint32_t requested_lifetime = 0;          ///< seconds, of the last BU
  std::uint32_t granted_lifetime = 0;            ///< seconds, of the last accepted BA
  std::optional<core::Duration> expires_in;
  std::optional<core::Duration> refresh_in;
  std::optional<core::Duration> retransmit_in;   ///< a BU is outstanding
  std::optional<core::Duration> backoff;         ///< its current timeout
  std::uint64_t bu_sent = 0;
  std::optional<std::uint8_t> last_status;       ///< of the last matching BA
  std::uint16_t bid = 0;                         ///< the kernel binding's BID (Multiple CoA: the primary member's)
  bool multiple_coa = false;                     ///< registered with BID options (RFC 5648)
  std::vector<BidView> bids;                     ///< Multiple CoA: per BID, in configuration order
  std::vector<std::uint16_t> leaving;            ///< BIDs whose lifetime-0 BU is due or outstanding (after a reload that renumbered: due once the new BIDs are registered)
  std::vector<std::uint16_t> receiving;          ///< former members' BIDs whose kernel binding still receives until the BA to the regular BU replacing them (Multiple CoA turned off by a reload)
};

/// A FlowPolicy block of mnd.conf and whether its BID is registered now.
struct FlowPolicyView {
  std::uint16_t bid = 0;
  FlowMatch match;
  std::string interface;  ///< the interface with that BID
  bool active = false;    ///< the current binding has that BID registered (the flows use its tunnel)
};

struct TunnelView {
  Ip6Addr local;   ///< LCoA
  Ip6Addr remote;  ///< MAP
  Ip6Addr rcoa;
  std::uint32_t mtu = 0;
  std::string interface;
};

struct HoldDownView {
  Ip6Addr map;
  std::string reason;
  core::Duration remaining{};
};

/// Secure mode: the protection of signalling with one MAP.
struct IkeView {
  Ip6Addr map;
  Ip6Addr lcoa;                  ///< the IKE SA's local end
  std::optional<Ip6Addr> rcoa;   ///< the leased RCoA, once protected
  std::optional<core::Duration> timeout_in;  ///< while being set up
};

/// How the home binding is registered.
enum class HomeStatus : std::uint8_t {
  idle,         ///< nothing to register yet (no care-of address, or waiting for the MAP's BA)
  discovering,  ///< DHAAD outstanding (HomeAgent discover)
  registering,  ///< a home BU outstanding
  registered,   ///< the HA accepted the care-of address
  at_home,      ///< on the home link, deregistered (or deregistering)
  held_down,    ///< the HA refused; resting before trying again
};
std::string_view to_string(HomeStatus s) noexcept;

/// Secure mode: the protection of the home registration (RFC 4877).
enum class HomeProtection : std::uint8_t {
  none,        ///< none (insecure mode, or none needed or possible now)
  setting_up,  ///< SecureHome asked, no answer yet: no home BU goes out
  up,          ///< charon holds the CHILD_SA protecting MH with the HA
};
std::string_view to_string(HomeProtection p) noexcept;

/// The home binding (the Home block), for hmipctl.
struct HomeView {
  Ip6Addr home_address;
  std::uint8_t prefix_len = 64;
  std::optional<Ip6Addr> home_agent;   ///< configured or discovered
  bool discover = false;               ///< HomeAgent discover (DHAAD)
  bool hmipv6 = true;                  ///< the Hmipv6 setting
  HomeStatus status = HomeStatus::idle;
  bool at_home = false;
  bool plain_mode = false;             ///< the LCoA is registered (no MAP, or Hmipv6 off)
  std::optional<Ip6Addr> coa;          ///< the care-of address registered (or being registered)
  std::optional<Ip6Addr> via_map;      ///< HMIPv6: the MAP whose tunnel carries the HA tunnel
  std::uint32_t tunnel_mtu = 0;
  std::uint16_t last_sequence = 0;
  std::uint32_t requested_lifetime = 0;  ///< seconds, of the last home BU
  std::uint32_t granted_lifetime = 0;    ///< seconds, of the last accepted home BA
  std::optional<core::Duration> expires_in;
  std::optional<core::Duration> refresh_in;
  std::optional<core::Duration> retransmit_in;
  std::optional<core::Duration> held_down_for;
  std::string held_down_reason;
  std::uint64_t bu_sent = 0;
  std::optional<std::uint8_t> last_status;
  HomeProtection protection = HomeProtection::none;
  std::optional<Ip6Addr> ike_coa;                ///< where the IKE SA runs from (or is being set up from)
  std::optional<Ip6Addr> ike_moving_to;          ///< up: being re-established from this care-of address
  std::optional<core::Duration> ike_timeout_in;  ///< setting up: IkeTimeout left
};

struct MnState {
  bool stopping = false;
  bool finished = false;                 ///< stopped and nothing left to do
  MapSelection selection = MapSelection::furthest;
  bool hmipv6_active = false;            ///< a current binding exists
  std::string status;                    ///< one line: "registered with ...", "no usable MAP: ...", ...
  std::optional<Ip6Addr> chosen_map;
  std::vector<MnInterfaceView> interfaces;  ///< in configuration order
  std::vector<BulEntryView> bul;
  std::optional<TunnelView> tunnel;         ///< the primary binding's
  std::vector<HoldDownView> held_down;
  bool secure = true;                       ///< BUs protected through IKEv2/ESP (not insecure testbed mode)
  std::vector<IkeView> ike;
  std::optional<HomeView> home;             ///< the Home block's binding; nullopt: local mobility mode
  bool multiple_coa = false;                ///< Multiple CoA in effect (MultipleCoa on, or auto with 2+ Interfaces)
  std::vector<FlowPolicyView> flow_policies;
  MnCounters counters;
};

}  // namespace hmip::mn
