// The mobile node core's inputs and actions (hmip/mn/mobile_node.h), as plain
// values: the daemon converts netlink's view (hmip/io/link_watcher.h) and
// received Mobility Headers into these, and turns the actions into ICMPv6 /
// MH sends and kernel-glue calls (hmip/kglue/dataplane.h). hmip_core does not
// depend on kernel-glue: BindingKey / BindingSettings mirror MnBindingKey /
// MnBindingSettings field for field so that the daemon maps them 1:1.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "hmip/core/log_level.h"
#include "hmip/core/prefix.h"
#include "hmip/mn/config.h"
#include "hmip/core/time.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/mh.h"

namespace hmip::mn {

using core::LogLevel;
using core::TimePoint;

/// RFC 4861 §10 host constants for Router Solicitations (the first one is
/// sent at once on a link change: movement detection, RFC 6059 §4.1 spirit).
inline constexpr unsigned kMaxRtrSolicitations = 3;                           // MAX_RTR_SOLICITATIONS
inline constexpr core::Duration kRtrSolicitationInterval = core::seconds(4);  // RTR_SOLICITATION_INTERVAL

/// How long a MAP that refused a Binding Update (BA status >= 128 other than
/// 134/135) is not selected again. A refusal such as 129 (administratively
/// prohibited) or 132 (not home subnet) is a configuration matter that will
/// not change within seconds; retrying at once would only loop. 60 s is
/// short enough that a fixed MAP is used again soon, and while held down
/// another MAP, if any, is used.
inline constexpr core::Duration kRefusedMapHoldDown = core::seconds(60);
/// Multiple CoA fallback (RFC 5648: a BA without BID option, 164, 166, a
/// Binding Error 2): that MAP gets regular bindings for this long, then
/// Multiple CoA is tried again (a reload also clears it).
inline constexpr core::Duration kMcoaFallbackHoldDown = core::seconds(600);
/// How long a MAP with which IKE could not be established (timeout,
/// authentication refused, no lease) is not selected again. Shorter than a
/// BA refusal: a MAP that restarts should be used again soon.
inline constexpr core::Duration kIkeFailureHoldDown = core::seconds(10);
/// At most this many new interface identifiers after BA status 134 (DAD
/// failed at the MAP, 4140bis §6.1) before the MAP is held down.
inline constexpr unsigned kMaxDadRetries = 3;
/// At most this many resynchronisations after status 135 for one BU
/// transaction (a MAP that keeps answering 135 is held down).
inline constexpr unsigned kMaxSequenceResyncs = 3;
/// A MAP option with Valid Lifetime 0 (MAP failed, RFC 5380 §10) is kept this
/// long to show in state() and keep the MAP unselectable, unless an RA of the
/// same router advertises it again with a non-zero lifetime.
inline constexpr core::Duration kFailedMapMemory = core::seconds(60);
/// Caps on what Router Advertisements can make the mobile node remember per
/// interface (issue 13 item 7): without them any host on the link could grow
/// the tables without bound with RAs from made-up link-local sources. A link
/// has a handful of routers, prefixes and MAPs; what goes beyond a cap is
/// not learned and is counted (MnCounters ra_routers_refused,
/// prefixes_refused, maps_refused). Forgetting the link (a link change, a
/// move) empties the tables.
inline constexpr std::size_t kMaxRoutersPerInterface = 8;
inline constexpr std::size_t kMaxPrefixesPerInterface = 32;
inline constexpr std::size_t kMaxMapsPerInterface = 16;

/// The IPv6 header ip6tnl adds (RFC 5380 §11: the tunnel MTU is the link MTU
/// minus the encapsulation; encaplimit none, so 40 and not 48).
inline constexpr std::uint32_t kTunnelOverhead = 40;
inline constexpr std::uint32_t kIpv6MinMtu = 1280;

/// RFC 6275 §12: INITIAL_DHAAD_TIMEOUT 3 s (doubled per retransmission),
/// DHAAD_RETRIES 4 (§11.4.1).
inline constexpr core::Duration kInitialDhaadTimeout = core::seconds(3);
inline constexpr unsigned kDhaadRetries = 4;
/// How long the home registration rests after the HA refused it (BA status
/// >= 128 other than 135, Binding Error status 2) or DHAAD found no HA:
/// kHomeHoldDown the first time, doubled at each refusal in a row up to
/// kMaxHomeHoldDown, back to the start once a home BU is accepted. A refusal
/// is a configuration matter at the HA (134: the home address is in use on
/// the home link); retrying faster would only storm the HA.
inline constexpr core::Duration kHomeHoldDown = core::seconds(30);
inline constexpr core::Duration kMaxHomeHoldDown = core::seconds(960);

/// Byte order of addresses (avoids the defaulted operator<=>, which
/// clang-tidy 14's modernize-use-nullptr misreports).
struct AddrLess {
  bool operator()(const Ip6Addr& x, const Ip6Addr& y) const noexcept {
    return std::lexicographical_compare(x.b.begin(), x.b.end(), y.b.begin(), y.b.end());
  }
};

/// One IPv6 address on a link (IFA_F_* flags), as hmip::io::LinkAddress.
struct LinkAddress {
  Ip6Addr addr;
  std::uint8_t prefix_len = 128;
  bool tentative = false;   ///< DAD still running (RFC 4862 §5.4)
  bool optimistic = false;  ///< optimistic DAD (RFC 4429): usable while tentative
  bool dadfailed = false;   ///< duplicate found: never usable
  bool deprecated = false;  ///< preferred lifetime over: used only if nothing better
  friend bool operator==(const LinkAddress&, const LinkAddress&) = default;
};

/// A network interface as netlink reports it.
struct LinkState {
  unsigned ifindex = 0;
  std::string name;
  bool up = false;                     ///< IFF_UP and IFF_RUNNING (carrier)
  std::uint32_t mtu = 0;               ///< link MTU (0: unknown; the tunnel MTU is then the kernel default)
  std::vector<LinkAddress> addresses;  ///< IPv6 addresses with their flags
  friend bool operator==(const LinkState&, const LinkState&) = default;
};

/// A Mobility Header the MH socket received (already decoded, checksum
/// verified). For a BA the kernel has processed the type 2 routing header:
/// `dst` is then the RCoA and `rh2_home` the address the header carried.
struct ReceivedMh {
  Ip6Addr src;
  Ip6Addr dst;
  std::optional<Ip6Addr> rh2_home;  ///< from the type 2 routing header; nullopt if there was none
  wire::MhMessage msg;
};

/// Mirrors hmip::kglue::MnBindingKey: one RCoA registered at one MAP,
/// through one care-of address. `bid` is the RFC 5648 Binding Identifier
/// of a Multiple CoA registration (one key per interface registered; the
/// interface's Bid in mnd.conf), 0 for a regular binding (no BID option).
struct BindingKey {
  Ip6Addr map_address;
  Ip6Addr rcoa;
  std::uint16_t bid = 0;
  friend bool operator==(const BindingKey& x, const BindingKey& y) = default;
};

/// Mirrors hmip::kglue::MnBindingSettings (see there for what each field
/// makes the kernel do).
struct BindingSettings {
  Ip6Addr lcoa;                  ///< tunnel local end; the care-of address of the BU
  int ifindex = 0;               ///< interface the LCoA is on
  Ip6Addr router;                ///< default router there (link-local): host route to the MAP
  std::uint32_t tunnel_mtu = 0;  ///< link MTU - 40 (RFC 5380 §11); 0 = kernel default
  bool primary = false;          ///< the RCoA new connections use (one binding at most)
  /// The binding that carries its RCoA's own packets: the `from RCoA` rule
  /// and the hao state (the BUs for the RCoA leave from its LCoA). Always
  /// set for a regular binding (bid 0); among the BIDs of one Multiple CoA
  /// registration exactly one has it, the primary interface's (RFC 5648:
  /// the node sends its signalling from its preferred interface). Moving it
  /// to another BID is make-before-break: the new one is installed first.
  bool signalling = true;
  /// Multiple CoA (mnd.conf FlowPolicy blocks naming this binding's BID):
  /// uplink packets from the RCoA matching one of these leave through this
  /// binding's tunnel (kglue::MnFlowRule; in configuration order).
  std::vector<FlowMatch> flows = {};
  friend bool operator==(const BindingSettings&, const BindingSettings&) = default;
};

// ---------------------------------------------------------------------------
// Actions (poll_action)

/// Send a Router Solicitation on `ifindex` (to ff02::2, hop limit 255).
struct SendRs {
  unsigned ifindex = 0;
  friend bool operator==(const SendRs&, const SendRs&) = default;
};

/// Send `bu` from `src` (the RCoA) to `dst` (the MAP). A home BU (H set, M
/// clear, RFC 6275 §11.7.1) goes from `src` = the home address to `dst` =
/// the HA with `lcoa` = the care-of address registered (the RCoA, or the
/// LCoA in plain mode; the home address itself when deregistering at home,
/// then without HAO); the home binding's kernel state (InstallHomeBinding,
/// always emitted before) does the same as a MAP binding's. The kernel's hao
/// state for this binding (InstallBinding, always emitted before) puts
/// `lcoa` in the IPv6 source and the RCoA in a Home Address option; `lcoa`
/// is given for logging and checks only. The checksum uses src = RCoA.
struct SendBu {
  Ip6Addr src;
  Ip6Addr dst;
  Ip6Addr lcoa;
  wire::BindingUpdate bu;
  friend bool operator==(const SendBu&, const SendBu&) = default;
};

/// Install or update (in place) the kernel state of one binding.
struct InstallBinding {
  BindingKey key;
  BindingSettings settings;
  friend bool operator==(const InstallBinding&, const InstallBinding&) = default;
};

/// Remove the kernel state of one binding (unknown key: no-op).
struct RemoveBinding {
  BindingKey key;
  friend bool operator==(const RemoveBinding&, const RemoveBinding&) = default;
};

/// Secure mode (RFC 5380 §12): protect signalling with the MAP at `map`
/// through charon. Without `rcoa`: an IKE SA from `lcoa` that leases an RCoA
/// (IKEv2 configuration payload), then the CHILD_SA protecting MH between
/// that RCoA and the MAP; answer with handle_security_up (or _down). With
/// `rcoa` (the MN moved to `lcoa`): re-establish the IKE SA and its CHILD_SA
/// from the new LCoA, make-before-break; no answer needed.
struct SecureMap {
  Ip6Addr map;
  Ip6Addr lcoa;
  std::optional<Ip6Addr> rcoa;
  friend bool operator==(const SecureMap&, const SecureMap&) = default;
};

/// Secure mode: the IKE SAs and connections with `map` are no longer needed.
struct ReleaseMap {
  Ip6Addr map;
  friend bool operator==(const ReleaseMap&, const ReleaseMap&) = default;
};

// ---------------------------------------------------------------------------
// Home registration (RFC 6275 §11, RFC 5380 §6.1): the Home block of mnd.conf

/// Where the home binding's kernel state puts the node.
enum class HomeMode : std::uint8_t {
  away,     ///< a tunnel to the HA from the care-of address, hao state for the home address
  at_home,  ///< on the home link: the home address there natively, no tunnel, no HAO (RFC 6275 §11.5.5)
};

/// Mirrors hmip::kglue::MnHomeKey: one home address registered with one HA.
struct HomeKey {
  Ip6Addr home_agent;
  Ip6Addr home_address;
  friend bool operator==(const HomeKey&, const HomeKey&) = default;
};

/// Multiple CoA towards the home agent in plain mode (RFC 5648; mirrors
/// hmip::kglue::MnHomeCoa): a further care-of address registered for the
/// home address under its own BID, whose home tunnel only RECEIVES (the
/// home agent may send the downlink through any registered BID's CoA).
struct HomeCoa {
  std::uint16_t bid = 0;
  Ip6Addr coa;                   ///< the interface's LCoA: the tunnel's local end
  int ifindex = 0;               ///< the LCoA's interface
  Ip6Addr router;                ///< its default router (link-local), :: = none
  std::uint32_t tunnel_mtu = 0;  ///< as HomeSettings::tunnel_mtu
  friend bool operator==(const HomeCoa&, const HomeCoa&) = default;
};

/// Mirrors hmip::kglue::MnHomeSettings (see there for what each field makes
/// the kernel do).
struct HomeSettings {
  HomeMode mode = HomeMode::away;
  /// away: the tunnel's local end = the care-of address registered with the
  /// HA (the RCoA, or the LCoA in plain Mobile IPv6 mode).
  Ip6Addr coa;
  /// away, HMIPv6: the MAP binding whose tunnel carries the HA tunnel
  /// (nested: HA -> RCoA -> MAP -> LCoA); unset in plain mode.
  std::optional<BindingKey> via;
  int ifindex = 0;               ///< away, plain mode: the LCoA's interface; at_home: the home link
  Ip6Addr router;                ///< away, plain mode: the default router there (link-local)
  std::uint8_t prefix_len = 64;  ///< at_home: the home address's prefix length on the home link
  /// away: MTU of the tunnel to the HA, both encapsulations taken off (the
  /// MAP tunnel's MTU - 40, or the LCoA link's MTU - 40 in plain mode),
  /// never below 1280; 0 = kernel default (link MTU unknown).
  std::uint32_t tunnel_mtu = 0;
  /// away, secure mode with ProtectTraffic (RFC 4877 §5): the kernel
  /// carries the home tunnel's packets only in ESP (kglue::MnHomeSettings);
  /// the MTU above leaves room for it too.
  bool protect_traffic = false;
  /// Secure mode (away and at home): the kernel carries MH to and from the
  /// home agent only in ESP (kglue::MnHomeSettings::protect_signalling).
  bool protect_signalling = false;
  /// away, plain mode, Multiple CoA (lib/mn/mn_home_mcoa.cpp): the other
  /// registered (or being registered) BIDs' care-of addresses, each with a
  /// receive-only home tunnel; `coa` above is the primary interface's (its
  /// tunnel carries the uplink and the home BUs). Never lists `coa` itself.
  std::vector<HomeCoa> more_coas = {};
  friend bool operator==(const HomeSettings&, const HomeSettings&) = default;
};

/// Install or update (in place) the kernel state of the home binding,
/// always before the home BU that needs it (the away hao state puts the
/// care-of address in that BU's source; at_home puts the home address on
/// the home link, from which the deregistration BU leaves without HAO).
struct InstallHomeBinding {
  HomeKey key;
  HomeSettings settings;
  friend bool operator==(const InstallHomeBinding&, const InstallHomeBinding&) = default;
};

/// Remove the kernel state of the home binding (unknown key: no-op).
struct RemoveHomeBinding {
  HomeKey key;
  friend bool operator==(const RemoveHomeBinding&, const RemoveHomeBinding&) = default;
};

/// Send a Home Agent Address Discovery Request (ICMPv6 144, RFC 6275
/// §6.5, §11.4.1) with identifier `id` from `src` (the current care-of
/// address) to `dst`, the Mobile IPv6 Home-Agents anycast address of the
/// home prefix (RFC 2526). Answer with MobileNode::handle_dhaad_reply.
struct SendDhaadRequest {
  Ip6Addr src;
  Ip6Addr dst;
  std::uint16_t id = 0;
  friend bool operator==(const SendDhaadRequest&, const SendDhaadRequest&) = default;
};

/// Back on the home link, the deregistration accepted (RFC 6275 §11.5.5):
/// multicast an unsolicited Neighbour Advertisement for `address` on
/// `ifindex` (Override set, the interface's link-layer address), so that
/// the home link's nodes replace the home agent's proxy entry for it.
struct AnnounceHomeAddress {
  unsigned ifindex = 0;
  Ip6Addr address;
  friend bool operator==(const AnnounceHomeAddress&, const AnnounceHomeAddress&) = default;
};

/// Secure mode (RFC 4877; the model is in hmip/ike/charon_conn.h, "Home
/// registrations"): protect the signalling with the home agent `home_agent`
/// for `home_address` through charon: an IKE SA from `coa` (the RCoA in
/// HMIPv6 mode, the LCoA in plain mode, the home address itself at home)
/// with the CHILD_SA "mh" (ESP transport, MH between the home address and
/// the HA) and, with `protect_traffic`, the payload child (RFC 4877 §5).
/// If a protection exists from another care-of address, it is
/// re-established from `coa` make-before-break (the ESP SAs do not depend
/// on the care-of address: home BUs keep going meanwhile). Answer:
/// handle_home_security_up (or _down).
struct SecureHome {
  Ip6Addr home_agent;
  Ip6Addr home_address;
  Ip6Addr coa;
  bool protect_traffic = false;
  friend bool operator==(const SecureHome&, const SecureHome&) = default;
};

/// Secure mode: the IKE SAs and the connection with the home agent
/// `home_agent` are no longer needed (deregistered, stopped, given up).
struct ReleaseHome {
  Ip6Addr home_agent;
  friend bool operator==(const ReleaseHome&, const ReleaseHome&) = default;
};

struct LogEvent {
  LogLevel level = LogLevel::info;
  std::string text;
  friend bool operator==(const LogEvent&, const LogEvent&) = default;
};

using Action = std::variant<SendRs, SendBu, InstallBinding, RemoveBinding, SecureMap, ReleaseMap, LogEvent,
                            InstallHomeBinding, RemoveHomeBinding, SendDhaadRequest, AnnounceHomeAddress, SecureHome,
                            ReleaseHome>;

}  // namespace hmip::mn
