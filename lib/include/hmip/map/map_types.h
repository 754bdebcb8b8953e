// The values MapAgent (hmip/map/map_agent.h) takes and gives: the binding
// key, received Mobility Headers, the actions the daemon carries out, the
// counters and the state() views for hmipctl.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hmip/core/log_level.h"
#include "hmip/core/time.h"
#include "hmip/map/config.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/error.h"
#include "hmip/wire/mh.h"

namespace hmip::map {

using core::Duration;
using core::LogLevel;
using core::TimePoint;

/// BA status values RFC 6275 does not define but that a MAP answers with
/// for flags of other mobility protocols it does not serve.
namespace ba_status_ext {
inline constexpr std::uint8_t kMobileRouterOperationNotPermitted = 140;  // RFC 3963 §6.6 (R flag)
inline constexpr std::uint8_t kProxyRegistrationNotEnabled = 152;        // RFC 5213 §8.9 (P flag)
}  // namespace ba_status_ext

/// Which of mapd's roles a binding belongs to: the MAP's local binding of
/// an RCoA (RFC 5380 §6.2, BU with M set) or the home agent's binding of a
/// home address (RFC 6275 §10.3.1, BU with H set and M clear).
enum class BindingRole : std::uint8_t { map, home };
std::string_view to_string(BindingRole r) noexcept;

/// A binding of mapd's cache: the binding's address and a Binding ID
/// (Multiple CoA, RFC 5648: the BID of a Binding Identifier option; 0 for a
/// regular binding, registered without one). The field keeps its historical name `rcoa`: it is the
/// binding's address, the RCoA (map role, the "home address" of a local BU)
/// or the home address (home role). The roles' prefixes never overlap
/// (mapd.conf validation), so one address has one role.
struct BindingKey {
  Ip6Addr rcoa;
  std::uint16_t bid = 0;
  friend bool operator==(const BindingKey&, const BindingKey&) = default;
};

/// Byte order of (rcoa, bid).
struct BindingKeyLess {
  bool operator()(const BindingKey& x, const BindingKey& y) const noexcept;
};
/// Hash of (rcoa, bid) for the binding cache.
struct BindingKeyHash {
  std::size_t operator()(const BindingKey& k) const noexcept;
};

/// A Mobility Header the daemon received and decoded (wire::decode_mh with
/// the checksum verified). Failures go to MapAgent::handle_invalid_mh.
struct ReceivedMh {
  /// The IPv6 source as the socket reports it: the home address (the RCoA of
  /// a local BU) once the kernel has swapped in the Home Address option, or
  /// the plain source if the packet had none.
  Ip6Addr src;
  Ip6Addr dst;                  ///< IPv6 destination (the MAP address)
  std::optional<Ip6Addr> lcoa;  ///< the care-of address the HAO carried (IPV6_DSTOPTS); nullopt: no HAO
  wire::MhMessage msg;
  /// The interface the packet arrived on (its name; IPV6_PKTINFO's
  /// ifindex); "" unknown. Only a home agent's deregistration from the
  /// home link looks at it (MapAgent::home_link_deregistration).
  std::string interface = {};
};

// ---------------------------------------------------------------------------
// Actions (drained with MapAgent::poll_action(), carried out in order)

/// Why a binding is installed.
enum class InstallReason : std::uint8_t {
  create,  ///< a new binding (after DAD when that runs)
  move,    ///< the LCoA changed: update in place (make-before-break)
  reload,  ///< the configuration changed the binding's settings
  adopt,   ///< an adopted binding's kernel settings differ from what the configuration asks (MapAgent::adopt)
  rank,    ///< Multiple CoA: only the binding's rank changed (a new BID-PRI, McoaSelection priority): update in place
};
std::string_view to_string(InstallReason r) noexcept;

/// Install or update (in place) the kernel state of one binding
/// (kglue::Dataplane::install_map_binding). The daemon MUST answer every
/// InstallBinding with exactly one MapAgent::handle_dataplane_result for the
/// same key, synchronously or later; the BA waits for it.
struct InstallBinding {
  BindingKey key;
  InstallReason reason = InstallReason::create;
  Ip6Addr map_address;          ///< tunnel local end: MapAddress (map role) or HomeAgent Address (home role)
  Ip6Addr lcoa;                 ///< tunnel remote end (the care-of address)
  std::string proxy_interface;  ///< link of the proxy ND entry for the address; empty: none (routed prefix)
  std::uint32_t tunnel_mtu = 0; ///< MapdConfig::tunnel_mtu (0: kernel default)
  BindingRole role = BindingRole::map;
  /// Home role, L flag (RFC 6275 §10.3.1, §10.4.1): also proxy
  /// fe80::<interface id of the home address> on proxy_interface.
  bool link_local_proxy = false;
  /// Multiple CoA: the binding's rank among the bindings of its address
  /// (kglue::MapBindingSettings::rank): the highest carries the address's
  /// traffic, equal ranks: the lower BID. A BID binding's rank is at least
  /// 1; a regular binding (bid 0) gets kRegularRank while BID bindings of
  /// its address still exist (it replaces them, make-before-break), else 0
  /// (alone). map_agent.h, "Multiple CoA", says how ranks are computed.
  std::uint64_t rank = 0;
};

/// The rank of a regular binding installed while BID bindings of its
/// address still exist: above them all (InstallBinding::rank).
inline constexpr std::uint64_t kRegularRank = ~std::uint64_t{0};

/// Why a binding is removed.
enum class RemoveReason : std::uint8_t {
  expired,         ///< lifetime ran out
  deregistered,    ///< BU with lifetime 0 or LCoA == RCoA
  prefix_removed,  ///< reload: the RCoA is in no configured RCoA prefix any more
  reload_failed,   ///< reload: re-installing with the new settings failed
  stale,           ///< a successful install the core no longer wants (superseded while pending)
  not_adopted,     ///< start-up: a previous run's binding the configuration no longer allows (MapAgent::adopt)
  owner_changed,   ///< reload, secure mode: the home address's HomeAddress owner changed (or its line went)
  replaced,        ///< Multiple CoA: BID bindings replaced by a regular binding, or an adopted regular one by BID bindings
};
std::string_view to_string(RemoveReason r) noexcept;

/// Remove the kernel state of one binding (Dataplane::remove_map_binding;
/// idempotent, no result expected).
struct RemoveBinding {
  BindingKey key;
  RemoveReason reason = RemoveReason::expired;
};

/// Send a Binding Acknowledgement from `src` to `rcoa` with a type 2
/// routing header (RFC 5380 §6.2; RFC 6275 §10.3.1 for the home role: `src`
/// the HomeAgent Address, `rcoa` the home address), to the care-of address `lcoa`.
/// `transient_route`: no installed binding routes RCoA -> `lcoa` right now
/// (refused BU, deregistration, failed install, or a BA to a CoA other than
/// the bound one): install Dataplane::install_ba_route(src, rcoa, lcoa) for
/// this BA and remove it afterwards. When lcoa == rcoa (a BU without HAO)
/// the BA goes straight to the RCoA.
struct SendBa {
  Ip6Addr src;
  Ip6Addr rcoa;
  Ip6Addr lcoa;
  wire::BindingAck ba;
  bool transient_route = false;
};

/// Send a Binding Refresh Request (RFC 6275 §9.5.5, §6.1.2) from `src` to
/// `rcoa`, through the binding (its route2 state / tunnel to `lcoa`).
/// `bid` != 0 (Multiple CoA): the BRR carries a Binding Identifier option
/// with that BID (RFC 5648 §6.4) and goes to that binding's care-of
/// address `lcoa`; `transient_route`: the binding is not its address's
/// top-ranked one, so the route2 state does not lead to `lcoa`: install
/// Dataplane::install_ba_route(src, rcoa, lcoa) for this BRR and remove it
/// afterwards, as for SendBa.
struct SendBrr {
  Ip6Addr src;
  Ip6Addr rcoa;
  Ip6Addr lcoa;
  std::uint16_t bid = 0;
  bool transient_route = false;
};

/// Send a Binding Error (RFC 6275 §9.2, §6.1.9) from `src` to `dst` (the
/// packet's source: its care-of address when it had a HAO), no routing header.
struct SendBindingError {
  Ip6Addr src;
  Ip6Addr dst;
  wire::BindingError be;
};

/// Run duplicate address detection for `rcoa` on `interface` (4140bis §6.1;
/// RFC 6275 §10.3.1 for a home address, and for its link-local address when
/// the home BU had L: then two StartDads share one registration, reported
/// with handle_dad_result for either address):
/// NS from :: for it; report a duplicate (an NA for it, or an NS for it from
/// ::) with MapAgent::handle_dad_result(duplicate = true) within `timeout`.
/// The core declares success itself when `timeout` passes; the daemon may
/// stop listening then. DAD never blocks: other BUs go on meanwhile.
struct StartDad {
  Ip6Addr rcoa;
  std::string interface;
  Duration timeout{};
};

/// The DAD for `rcoa` (a StartDad) ended before its timeout for a reason
/// the daemon did not report (the registration was deregistered or removed
/// by a reload, or DAD succeeded early): stop listening for it and leave
/// its solicited-node group (unless another running DAD shares the group),
/// so that the groups joined stay within MaxConcurrentDad. Idempotent.
struct StopDad {
  Ip6Addr rcoa;
};

/// Send an unsolicited Neighbour Advertisement for `rcoa` on `interface`
/// (Override set, the MAP's link-layer address) so neighbours update their
/// caches when a binding is created or moves (RFC 6275 §10.4.1).
struct SendUnsolicitedNa {
  Ip6Addr rcoa;
  std::string interface;
};

/// Re-add the proxy ND entries on `interface` (the kernel drops them when
/// the link goes admin down, and some kernels on carrier loss):
/// Dataplane::refresh_proxies.
struct RefreshProxies {
  std::string interface;
};

/// Secure mode: charon's SA events showed that some were missed (a rekey or
/// a child of an IKE SA the core never saw). Ask charon for all its SAs
/// (VICI list-sas, off the BU path) and hand them to
/// MapAgent::handle_ike_sas. At most one is outstanding.
struct ResyncIke {};

/// Secure mode: terminate charon's IKE SA `uniqueid` (VICI terminate, off
/// the event callback): it took its identity's leases over
/// MaxBindingsPerIdentity. Its lease goes back to the pool.
struct TerminateIke {
  std::string uniqueid;
};

struct LogEvent {
  LogLevel level = LogLevel::info;
  std::string text;
};

using Action = std::variant<InstallBinding, RemoveBinding, SendBa, SendBrr, SendBindingError, StartDad, StopDad,
                            SendUnsolicitedNa, RefreshProxies, ResyncIke, TerminateIke, LogEvent>;

// ---------------------------------------------------------------------------
// Adoption (mapd restarting over a previous run's kernel state)

/// A complete binding a previous mapd run left in the kernel
/// (kglue::Dataplane::adopt_map_bindings), offered to MapAgent::adopt at
/// start. Only what the kernel knows: neither the last sequence number nor
/// the granted lifetime survive a crash.
struct LeftoverBinding {
  BindingKey key;
  Ip6Addr map_address;          ///< the tunnel's local end (the MAP address the node registered with)
  Ip6Addr lcoa;                 ///< the tunnel's remote end
  std::string proxy_interface;  ///< link of the RCoA's proxy ND entry; empty: none
  std::uint32_t tunnel_mtu = 0; ///< the tunnel device's MTU as the kernel reports it
  /// A proxy ND entry for fe80::<interface id> on proxy_interface too (a
  /// home binding registered with L; kglue::MapBindingSettings::link_local_proxy)
  bool link_local_proxy = false;
};

/// What MapAgent::adopt did with a LeftoverBinding.
enum class AdoptVerdict : std::uint8_t {
  adopted,            ///< in the binding cache now (short lifetime, BRR)
  adopted_reinstall,  ///< adopted; its kernel settings differ from the configuration's: InstallBinding (adopt)
  outside_prefixes,   ///< address in no RcoaPrefix and no HomePrefix (or the role's own address): RemoveBinding (not_adopted)
  other_map_address,  ///< bound to another MapAddress (HomeAgent Address, home role) than the configured one: RemoveBinding
  lcoa_not_allowed,   ///< map role: LCoA outside LcoaPrefix and NeighbourPrefix, or inside an RCoA prefix; home role: a CoA a home BU could not bind: RemoveBinding
  lifetime_capped,    ///< a lifetime cap below one 4 s unit leaves nothing to grant: RemoveBinding
  no_holder,          ///< secure mode: no IKE identity (alone) holds the RCoA in charon's SA list: RemoveBinding
  not_owner,          ///< secure mode, home role: the identity holding the home address is not its owner (HomeAddress): RemoveBinding
  already_bound,      ///< the key is bound or pending already: nothing done
};
std::string_view to_string(AdoptVerdict v) noexcept;
[[nodiscard]] constexpr bool is_adopted(AdoptVerdict v) noexcept {
  return v == AdoptVerdict::adopted || v == AdoptVerdict::adopted_reinstall;
}

// ---------------------------------------------------------------------------
// Counters and views

/// Why a received Mobility Header was dropped before processing.
enum class InvalidMhReason : std::uint8_t {
  bad_checksum,   ///< RFC 6275 §9.2: silently discarded
  unknown_type,   ///< MH Type the MAP does not know: Binding Error status 2
  bad_payload_proto,  ///< Payload Proto != 59 (ICMP Parameter Problem: the daemon's job)
  bad_length,     ///< Header Len too small for the type
  truncated,      ///< framing
  other,
};
inline constexpr std::size_t kInvalidMhReasonCount = 6;
std::string_view to_string(InvalidMhReason r) noexcept;
/// The reason for a wire::decode_mh error.
InvalidMhReason invalid_mh_reason(const wire::Error& e) noexcept;

struct MapCounters {
  std::uint64_t bu_received = 0;
  std::uint64_t bu_accepted = 0;            ///< BAs with status 0 (registrations, refreshes, deregistrations)
  std::map<std::uint8_t, std::uint64_t> bu_refused;  ///< BAs with status >= 128, by status
  std::uint64_t bu_unprotected_dropped = 0; ///< no IPsec and not allowed by insecure mode (RFC 6275 §9.5.1)
  std::uint64_t bu_no_ike_sa = 0;           ///< secure mode: no IKE SA holds the BU's RCoA: discarded
  std::uint64_t bu_ike_lease_only = 0;      ///< secure mode: an IKE SA holds the RCoA, no installed CHILD_SA protects it: discarded
  std::uint64_t bu_ike_contested = 0;       ///< secure mode: IKE SAs of two identities hold the RCoA: discarded
  std::uint64_t bu_ike_coa_moving = 0;      ///< secure mode: accepted (CHILD_SA installed) while the holder's IKE SA follows the move
  std::uint64_t bu_no_acoa = 0;             ///< secure mode: no Alternate Care-of Address option: discarded (RFC 4877 §4)
  std::uint64_t bu_acoa_differs = 0;        ///< secure mode: the ACoA differs from the HAO's CoA (the ACoA is bound)
  std::uint64_t ike_events = 0;             ///< charon SA events fed in
  std::uint64_t ike_resyncs = 0;            ///< full SA lists fed in (connect, reconnect, ResyncIke)
  std::uint64_t ike_missed_events = 0;      ///< events naming SAs or children never seen (ResyncIke asked)
  std::uint64_t bu_malformed_option = 0;    ///< a malformed mobility option: discarded (RFC 6275 §9.2)
  std::uint64_t bu_wrong_destination = 0;   ///< not sent to MapAddress: discarded
  std::uint64_t bu_absorbed = 0;            ///< arrived while DAD or an install ran for its RCoA
  std::uint64_t bu_h_with_m = 0;            ///< H and M both set: refused (129, map_agent.h)
  /// Home registrations (RFC 6275 §10.3.1; BUs with H set and M clear to
  /// the HomeAgent Address), a subset of bu_received / bu_accepted / bu_refused.
  std::uint64_t home_bu_received = 0;
  std::uint64_t home_bu_accepted = 0;       ///< BAs with status 0 (registrations, refreshes, deregistrations)
  std::map<std::uint8_t, std::uint64_t> home_bu_refused;  ///< BAs with status >= 128, by status
  std::uint64_t bu_no_role = 0;             ///< M to a mapd without the MAP role, H to one without the home agent role (also in bu_refused)
  std::uint64_t home_bindings_created = 0;  ///< also in bindings_created
  std::uint64_t home_deregistrations = 0;   ///< also in deregistrations
  /// Home BUs from the home link let past TrustedPrefix (insecure mode: a
  /// node back home deregistering from its home address, map_agent.h)
  std::uint64_t home_bu_from_home_link = 0;
  /// Home registrations with L whose link-local address another binding
  /// proxies (or a pending one claims) on the same link: refused (134)
  std::uint64_t home_link_local_taken = 0;
  /// Secure mode: home BUs whose CHILD_SA is held by an identity other than
  /// the home address's owner (HomeAddress), or for a home address no
  /// HomeAddress line names: discarded (RFC 4877 §4.3)
  std::uint64_t bu_home_not_owner = 0;
  /// Insecure mode: BUs from the home link (home_link_deregistration's
  /// shape) whose Binding Identifier options could do more than deregister:
  /// not exempt from TrustedPrefix (then counted in bu_unprotected_dropped)
  std::uint64_t home_bu_home_link_bid = 0;
  std::uint64_t bu_bid_ignored = 0;         ///< MultipleCoa ignore: BUs whose Binding Identifier options were skipped
  /// Multiple CoA (RFC 5648; map_agent.h "Multiple CoA"). BID refusals are
  /// counted in bu_refused by status, one per BID option (a whole BU
  /// refused: one); bu_accepted counts BAs with status 0.
  std::uint64_t mcoa_bu_received = 0;       ///< BUs with Binding Identifier options, processed as Multiple CoA
  std::uint64_t mcoa_bulk_bu = 0;           ///< of those, with more than one Binding Identifier option
  std::uint64_t mcoa_bids_registered = 0;   ///< BID bindings created
  std::uint64_t mcoa_bids_refreshed = 0;    ///< BID bindings refreshed or moved
  std::uint64_t mcoa_bids_deregistered = 0; ///< BID bindings removed (or pending ones cancelled) by a BU
  std::uint64_t mcoa_ba_not_complete = 0;   ///< BAs with status 4 (MCOA NOTCOMPLETE): BIDs of one BU with different outcomes
  std::uint64_t mcoa_regular_replaced = 0;  ///< regular BUs (no BID) that replaced an address's BID bindings
  std::uint64_t mcoa_adopted_replaced = 0;  ///< adopted regular bindings replaced by a Multiple CoA registration
  std::uint64_t mcoa_rank_reinstalls = 0;   ///< bindings re-installed in place for a new rank alone
  /// Multiple CoA BUs still in flight 2 x DAD timeout + kTxnMargin after
  /// their arrival: withdrawn without a BA (a backstop; should stay 0)
  std::uint64_t mcoa_txn_abandoned = 0;
  /// New BIDs of a Multiple CoA BU cancelled because the BU was withdrawn
  /// (a newer deregistration of some of its BIDs, a regular
  /// deregistration, the backstop)
  std::uint64_t mcoa_bids_cancelled = 0;
  std::uint64_t bindings_created = 0;
  std::uint64_t bindings_moved = 0;         ///< LCoA changed
  std::uint64_t bindings_refreshed = 0;
  std::uint64_t deregistrations = 0;
  std::uint64_t expired = 0;
  std::uint64_t removed_by_reload = 0;
  std::uint64_t ba_sent = 0;
  std::uint64_t brr_sent = 0;
  std::uint64_t be_sent = 0;
  std::uint64_t be_rate_limited = 0;
  std::uint64_t ba_refusal_rate_limited = 0;  ///< refusal BAs not sent: the sending care-of address's token bucket was empty
  std::uint64_t dad_started = 0;
  std::uint64_t dad_duplicate = 0;
  std::uint64_t dad_succeeded = 0;
  std::uint64_t dad_unmatched = 0;          ///< results for no running DAD
  std::uint64_t dataplane_failures = 0;
  std::uint64_t dataplane_unmatched = 0;    ///< results for no pending install
  std::uint64_t unexpected_mh = 0;          ///< BA, BE or BRR sent to the MAP: ignored
  std::array<std::uint64_t, kInvalidMhReasonCount> invalid_mh{};  ///< by InvalidMhReason
  std::uint64_t proxies_refreshed = 0;
  /// New registrations refused with 130 by a cap (issue 13 item 14), by cap;
  /// also counted in bu_refused[130].
  std::uint64_t cap_bindings = 0;           ///< MaxBindings reached
  std::uint64_t cap_identity = 0;           ///< MaxBindingsPerIdentity / MaxBindingsPerTrustedPrefix reached
  std::uint64_t cap_pending = 0;            ///< MaxPendingRegistrations reached
  std::uint64_t cap_dad = 0;                ///< MaxConcurrentDad reached
  std::uint64_t cap_care_of_addresses = 0;  ///< Multiple CoA: MaxCareOfAddresses reached (a new BID of an address)
  std::uint64_t dad_join_failed = 0;        ///< the daemon could not join the RCoA's solicited-node group: 130
  std::uint64_t cap_leases = 0;             ///< secure mode: IKE SAs terminated, their identity's leases over MaxBindingsPerIdentity
  std::uint64_t bindings_adopted = 0;       ///< start-up: a previous run's bindings taken over from the kernel
  std::uint64_t adoption_refused = 0;       ///< start-up: a previous run's bindings removed (the configuration no longer allows them)
  std::uint64_t adopted_reinstalled = 0;    ///< adopted with kernel settings the configuration changed: re-installed in place
  std::uint64_t brr_adopted_sent = 0;       ///< BRRs to adopted bindings (also in brr_sent)
  std::uint64_t adopted_reregistered = 0;   ///< adopted bindings whose node re-registered
  std::uint64_t adopted_expired = 0;        ///< adopted bindings that expired (also in expired): no BU came
  std::uint64_t bu_adopted_any_sequence = 0;  ///< first BUs for adopted bindings, let past the sequence check (later checks may still refuse them)
  [[nodiscard]] std::uint64_t refused_total() const noexcept;
  [[nodiscard]] std::uint64_t refused(std::uint8_t status) const noexcept;
  friend bool operator==(const MapCounters&, const MapCounters&) = default;
};

/// One binding cache entry (state() view).
struct BindingView {
  BindingKey key;                      ///< key.rcoa: the RCoA (map role) or the home address (home role)
  BindingRole role = BindingRole::map;
  Ip6Addr lcoa;                        ///< the care-of address bound
  std::uint16_t sequence = 0;          ///< last accepted
  std::uint16_t lifetime_units = 0;    ///< granted by the last BA (4 s units)
  Duration remaining{};                ///< until expiry
  Duration since_registered{};         ///< since the last accepted BU
  Duration age{};                      ///< since creation
  std::optional<Duration> next_brr_in; ///< when the next BRR goes
  std::uint32_t brr_sent = 0;          ///< since the last accepted BU
  std::string proxy_interface;         ///< "" when the RCoA (home) prefix is routed
  bool from_neighbour = false;         ///< LCoA in a neighbouring domain's prefix (RFC 5380 §8)
  bool home_flag = false;              ///< the BU had H set (home role; a local BU with H is refused)
  bool link_local_proxy = false;       ///< home role, L flag: the link-local address is proxied too
  bool install_pending = false;        ///< an update of its kernel state awaits its result
  bool adopted = false;                ///< taken over from a previous run at start; no BU accepted since
  /// Multiple CoA: the rank installed (InstallBinding::rank), whether this
  /// is the top-ranked binding of its address (the one carrying its traffic
  /// by default), and the BID-PRI its last BU gave (RFC 6089; 0 none).
  std::uint64_t rank = 0;
  bool active = true;
  std::uint8_t bid_pri = 0;
};

/// A new binding waiting for DAD or its first install (state() view).
struct PendingView {
  BindingKey key;
  BindingRole role = BindingRole::map;
  Ip6Addr lcoa;
  std::uint16_t sequence = 0;
  bool dad_running = false;            ///< else: install pending
  std::optional<Duration> dad_remaining;
};

/// What the caps count now (MapdConfig's Max* keywords).
struct CapUsage {
  std::size_t bindings = 0;            ///< bindings plus new registrations pending (MaxBindings)
  std::size_t pending = 0;             ///< new registrations waiting for DAD or the kernel
  std::size_t dad_running = 0;         ///< DADs running (solicited-node groups the daemon holds)
  std::size_t owners = 0;              ///< identities (or TrustedPrefixes) holding bindings
  std::size_t max_owner = 0;           ///< the most any one of them holds
};

/// One FlowPolicy (state() view): the policy and how many bindings have its BID.
struct FlowPolicyView {
  FlowPolicyConfig policy;
  std::size_t bindings = 0;
};

struct MapState {
  std::vector<BindingView> bindings;   ///< by key
  std::vector<FlowPolicyView> flow_policies;  ///< in configuration order
  std::vector<PendingView> pending;    ///< by key
  MapCounters counters;
  CapUsage usage;
};

}  // namespace hmip::map
