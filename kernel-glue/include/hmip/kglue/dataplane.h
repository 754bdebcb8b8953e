// The one interface between hmip's daemons and the kernel's data path.
//
// The sans-IO cores (lib/map, lib/mn) decide *what* must exist; a daemon
// turns their actions into calls on a Dataplane, which owns *how*: ip6tnl
// devices, routes, policy rules, proxy neighbours, XFRM states and SUB
// policies, the nftables ingress check. Two implementations:
//   * NetlinkDataplane (netlink_dataplane.h): libnl-3 route/xfrm + libnftables,
//     netlink work batched, every object tagged (see Tags), mirrored, complete
//     MAP bindings adopted and the rest reconciled at start, flushed at stop;
//   * RecordingDataplane (recording_dataplane.h): records every call and keeps
//     the resulting "installed" set in memory, for tests and simulations.
//
// Each operation takes a key (how the object set is identified) and settings
// (what it should look like now). install_* is idempotent and updates in
// place: calling it again for an existing key with new settings changes the
// existing objects without a moment where the old state is gone and the new
// one is not there yet (make-before-break). remove_* of an unknown key is a
// no-op returning success.
//
// Failure: every call returns a Status whose error text says which kernel
// object failed and why (errno text). A failed install leaves no partial
// objects of that key behind (it rolls back what it added); a failed update
// keeps the previous settings installed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "hmip/core/prefix.h"
#include "hmip/wire/addr.h"
#include "hmip/wire/result.h"

namespace hmip::kglue {

using wire::Status;

/// How hmip recognises its own kernel objects (one Tags per daemon, so that
/// a mapd and an mnd on one host never touch each other's objects).
struct Tags {
  std::string link_prefix;            ///< ip6tnl device names start with this ("hmipm", "hmipn"); <= 6 chars
  std::uint8_t route_protocol = 0;    ///< rtm_protocol of routes and FRA_PROTOCOL of rules
  std::uint32_t xfrm_priority_lo = 0; ///< XFRM policies use priorities in [lo, hi]
  std::uint32_t xfrm_priority_hi = 0;
  std::uint32_t rule_priority_lo = 0; ///< policy-routing rules use priorities in [lo, hi]
  std::uint32_t rule_priority_hi = 0;
  std::uint32_t table_lo = 0;         ///< routing tables used are in [lo, hi] (mnd: a binding's
                                      ///< table in the lower half, its LCoA table in the upper;
                                      ///< mapd: lo, with rule_priority_lo, for a refused BA's route)
  std::uint32_t table_hi = 0;
  std::string nft_table;              ///< nftables table name (family inet) for the ingress check ("" = none)
  /// Device group of the ip6tnl devices (IFLA_GROUP), so that flush() deletes
  /// all of them in one request (one round of the kernel's RCU waits instead
  /// of one per device). 0 = none: devices are deleted one by one. Never a
  /// group other software uses: a group delete takes every device in it.
  std::uint32_t link_group = 0;

  static Tags mapd();  ///< hmipm, protocol 203, xfrm prio 0x4d490000.., rule prio 1900..1999, tables 0x4d4900.. (BA routes), nft "hmip_mapd", group 0x4d490000
  static Tags mnd();   ///< hmipn, protocol 204, xfrm prio 0x4d4e0000.., rule prio 2000..2099, tables 0x4d4e00.., group 0x4d4e0000
};

// ---------------------------------------------------------------------------
// MAP side (mapd)

/// MIPv6 signalling state the MAP needs once (not per binding): a wildcard
/// `proto hao mode ro flag wildrecv` state and a SUB IN policy for protocol
/// 135 with a `hao` template at level use, so binding updates carrying a Home
/// Address option are delivered with the RCoA as source (kernel-testbed.md).
/// Secure mode adds, per prefix of `esp_required_from`, a MAIN IN policy
/// for protocol 135 from that prefix to map_address/128 with a required ESP
/// transport template (any SA): the SPD entry of RFC 4877 §4, so a
/// cleartext BU for an RCoA of those prefixes is dropped by the kernel
/// (XfrmInTmplMismatch) even before any CHILD_SA exists. charon's per-RCoA
/// /128 MAIN policies have numerically lower priorities and win where they
/// exist; the SUB hao policy combines with either.
///
/// Several addresses (issue 14: one mapd running the MAP role on its
/// MapAddress and the home agent role on another address): the wildcard
/// state and SUB IN policy match any destination, so they are installed
/// once and serve every address; only the MAIN ESP policies name
/// map_address, so a call for another address adds that address's ESP
/// policies. A later call for an address already signalled replaces that
/// address's MAIN policies with the new settings' (a reload: other
/// prefixes, ProtectTraffic switched); the same settings again change
/// nothing.
///
/// `esp_required_tunnel` (the home agent's ProtectTraffic, RFC 4877 §5):
/// also MAIN policies requiring ESP (transport, any SA) for IP protocol 41
/// from anywhere to map_address (in) and from map_address to anywhere
/// (out). charon's per-CoA /128 policies of the payload child win where
/// they exist; where none exists yet (a care-of address that changed
/// before the node's IKE SA followed it), home-tunnel packets are dropped,
/// never carried in clear.
struct MapSignallingSettings {
  Ip6Addr map_address;  ///< the MAP's own address (BUs arrive to it)
  std::vector<Ip6Prefix> esp_required_from;  ///< secure mode: the RCoA prefixes (the home prefixes for an HA)
  bool esp_required_tunnel = false;          ///< the HA's ProtectTraffic: ip6ip6 to and from it only in ESP
  friend bool operator==(const MapSignallingSettings&, const MapSignallingSettings&) = default;
};

/// One binding of the MAP's cache as the kernel must carry it.
/// The bid is the seam for Multiple CoA (RFC 5648): 0 = no BID option.
struct MapBindingKey {
  Ip6Addr rcoa;
  std::uint16_t bid = 0;
  friend auto operator<=>(const MapBindingKey&, const MapBindingKey&) = default;  // NOLINT(modernize-use-nullptr): see addr.h
};

struct MapBindingSettings {
  Ip6Addr map_address;       ///< tunnel local end (the MAP address the MN registered with)
  Ip6Addr lcoa;              ///< tunnel remote end
  int proxy_ifindex = 0;     ///< link on which the MAP answers ND for the RCoA (proxy entry); 0 = routed RCoA prefix, no proxy entry
  std::uint32_t tunnel_mtu = 0;  ///< 0 = kernel default (link MTU - 40: the tunnel ignores the encapsulation limit)
  /// Home agent role, RFC 6275 §10.3.1 (the BU's L flag): also a proxy
  /// neighbour entry on proxy_ifindex for fe80::<interface identifier of
  /// the home address (the key's rcoa)>, so the home agent defends the
  /// mobile node's link-local address on the home link too. Tracked,
  /// removed, adopted and reconciled like the home address's proxy entry;
  /// ignored when proxy_ifindex is 0.
  bool link_local_proxy = false;
  /// Multiple CoA (RFC 5648): this binding's rank among the bindings of its
  /// address (every key with the same rcoa); the highest carries the
  /// address's traffic (equal ranks: the lower BID). 0 for a lone regular
  /// binding. A change of rank alone re-installs in place: routes are
  /// re-metricked make-before-break (see "Multiple CoA" below).
  std::uint64_t rank = 0;
  friend bool operator==(const MapBindingSettings&, const MapBindingSettings&) = default;
};

// Multiple CoA (RFC 5648) on the MAP: several keys {rcoa, bid} of one
// address, each with its own LCoA and tunnel (shared per (map_address,
// lcoa) as any binding's). The kernel carries them as follows:
//   * main table: a route RCoA/128 into EVERY binding's tunnel, with
//     metrics in rank order (the top-ranked binding the lowest metric), so
//     downlink traffic takes the top-ranked binding and removing the top
//     binding fails over to the next at once (its route is already there).
//   * the ingress check passes reverse-tunnelled packets from every
//     binding's tunnel and still drops a forged inner source on any of
//     them: the fib rule alone would not (its lookup finds the top
//     binding's route, and goes through the flow policies' rules), so an
//     address with several bindings has its (RCoA, tunnel) pairs in an nft
//     set checked first (nft_ingress.h kMcoaPathSet). Changes of rank or
//     of the set of bindings re-metric make-before-break: a route at its
//     new metric is added before the old one is deleted.
//   * one route2 state + SUB OUT policy per (map_address, rcoa): BAs and
//     BRRs leave with the top-ranked binding's LCoA in the type 2 routing
//     header; install_ba_route() borrows it for a BA to another CoA as for
//     a single binding.
//   * one proxy neighbour entry per address: added with its first binding,
//     removed with its last.
//   * flow policies (install_map_flow_policies): see MapFlowPolicy.
// "Top-ranked": the highest rank; equal ranks, the lower BID.

/// Whether a binding (rank ra, BID bid_a) of an address ranks above
/// another one (rb, bid_b) of the same address.
constexpr bool map_ranks_above(std::uint64_t ra, std::uint16_t bid_a, std::uint64_t rb, std::uint16_t bid_b) {
  return ra != rb ? ra > rb : bid_a < bid_b;
}

/// One mapd.conf FlowPolicy: downlink packets matching every field set go
/// to the binding with `bid` of their destination address when it has one;
/// otherwise (no binding with that BID) they take the address's ranked
/// default (the top-ranked binding).
///
/// NetlinkDataplane: a routing table per BID that some policy names (from
/// the tag table range; mapd's BA table stays tags.table_lo), holding
/// RCoA/128 into the tunnel of every binding with that BID; one rule per
/// policy, at the tags' rule priorities in the order given: [from] [to]
/// [ipproto] [sport range] [dport range] [dsfield] lookup that table. No
/// route there: the lookup falls through to the next rule and finally to
/// main (the ranked default).
///
/// dscp: the rule carries dsfield = dscp << 2. The plan expected
/// the kernel to compare it with the whole Traffic Class byte, ECN bits
/// included; measured on Debian's 6.1 (test/kernel case 47) it compares
/// the DSCP only: a packet with traffic class 0x29 (DSCP 10 + ECT(1))
/// matches a Dscp 10 policy like 0x28 does, so ECN marking never moves a
/// flow off its policy's binding (Linux keeps the rule's value as a DSCP
/// since the dscp_t conversion of fib6 rules, and refuses a dsfield with
/// ECN bits). Dscp 0 cannot be expressed (a rule's dsfield 0 means "any
/// traffic class"): check_map_flow_policies refuses it.
struct MapFlowPolicy {
  std::uint16_t bid = 0;                     ///< 1..65535
  std::uint8_t ip_proto = 0;                 ///< 0 = any
  std::uint16_t sport_lo = 0, sport_hi = 0;  ///< 0/0 = any; else lo <= hi (needs ip_proto)
  std::uint16_t dport_lo = 0, dport_hi = 0;  ///< 0/0 = any; else lo <= hi (needs ip_proto)
  std::optional<std::uint8_t> dscp;          ///< 1..63 (0 is refused, see above)
  std::optional<Ip6Prefix> from;             ///< the sender's (CN's) source
  std::optional<Ip6Prefix> to;               ///< destination (inside the RCoA/home prefixes)
  friend bool operator==(const MapFlowPolicy&, const MapFlowPolicy&) = default;
};

/// What a MAP binding looks like in the kernel (for views and tests).
/// Bindings with the same (map_address, lcoa) share one tunnel: the kernel
/// refuses a second ip6tnl with the same endpoints (issue 13 item 4).
struct MapBindingObjects {
  std::string tunnel;     ///< ip6tnl device name (hmipm + hex of a tunnel number)
  int tunnel_ifindex = 0;
};

// ---------------------------------------------------------------------------
// MN side (mnd)

/// Signalling state the MN needs once: a wildcard `proto route2 mode ro flag
/// wildrecv` state and a SUB IN policy for protocol 135 with a route2
/// template at level use, so BAs carrying a type 2 routing header reach mnd.
struct MnSignallingSettings {};

/// One MN-MAP binding (one RCoA registered at one MAP through one LCoA).
/// Multiple CoA (RFC 5648, issue 15): `bid` is the Binding Identifier of
/// one of the RCoA's care-of addresses (the mnd.conf interface's BID): one
/// tunnel and table per (map, rcoa, bid); 0 = a regular binding.
struct MnBindingKey {
  Ip6Addr map_address;
  Ip6Addr rcoa;
  std::uint16_t bid = 0;
  friend auto operator<=>(const MnBindingKey&, const MnBindingKey&) = default;  // NOLINT(modernize-use-nullptr): see addr.h
};

/// Multiple CoA: an uplink flow (mnd.conf FlowPolicy) that leaves through
/// this binding's tunnel: a rule `from RCoA [from] [to] [ipproto] [sport
/// range] [dport range] [dsfield] lookup <this binding's table>` (the From
/// prefix, when given, replaces RCoA/128 as the source selector), among
/// the `from LCoA` rules (priority kRuleLcoa: their sources are disjoint),
/// so after the on-link suppression and before `from RCoA`. Unset/0 = any.
struct MnFlowRule {
  std::uint8_t ip_proto = 0;
  std::uint16_t sport_lo = 0, sport_hi = 0;
  std::uint16_t dport_lo = 0, dport_hi = 0;
  std::optional<std::uint8_t> dscp;  ///< 0..63 (the rule's dsfield is dscp << 2)
  std::optional<Ip6Prefix> from;
  std::optional<Ip6Prefix> to;
  friend bool operator==(const MnFlowRule&, const MnFlowRule&) = default;
};

struct MnBindingSettings {
  Ip6Addr lcoa;               ///< tunnel local end, source of everything sent outside the tunnel
  int ifindex = 0;            ///< interface the LCoA is on
  Ip6Addr router;             ///< default router on that interface (link-local), for the host route to the MAP
  std::uint32_t tunnel_mtu = 0;  ///< link MTU - 40 (RFC 5380 §11), 0 = kernel default
  /// The RCoA new connections use as source (the default route through this
  /// binding's tunnel, RCoA preferred). Exactly one binding is primary; the
  /// others (e.g. the previous MAP's, until it expires) keep carrying traffic
  /// sourced from their RCoA, and their RCoA is deprecated (preferred 0).
  bool primary = true;
  /// Signalling to the MAP: a `proto hao mode ro` state src RCoA dst MAP with
  /// care-of address LCoA, and a SUB OUT policy for protocol 135 RCoA->MAP
  /// with a hao template, so a BU sent from the RCoA leaves from the LCoA
  /// with a Home Address option (and RCoA-keyed ESP can sit on top).
  /// Multiple CoA: only the binding with `signalling` has these and the
  /// `from RCoA` rule (exactly one per RCoA: the primary interface's); the
  /// others have the RCoA on their tunnel (home flag, nodad, deprecated
  /// unless primary), their table and LCoA rules, and their flow rules.
  /// A binding installed with `signalling` while another binding of the
  /// same (map, rcoa) still has it takes it over make-before-break (the hao
  /// state updated in place, the new `from RCoA` rule added before the old
  /// one goes); the other's record then no longer holds it.
  bool signalling = true;
  /// Multiple CoA: the flows that use this binding (see MnFlowRule).
  std::vector<MnFlowRule> flows = {};
  friend bool operator==(const MnBindingSettings&, const MnBindingSettings&) = default;
};

struct MnBindingObjects {
  std::string tunnel;
  int tunnel_ifindex = 0;
  std::uint32_t table = 0;  ///< routing table holding this binding's default route
};

// ---------------------------------------------------------------------------
// MN side: home registration (RFC 6275 §11, RFC 5380 §6.1; issue 14)

/// One home registration: a home address registered with one home agent.
struct MnHomeKey {
  Ip6Addr home_agent;
  Ip6Addr home_address;
  friend auto operator<=>(const MnHomeKey&, const MnHomeKey&) = default;  // NOLINT(modernize-use-nullptr): see addr.h
};

enum class MnHomeMode : std::uint8_t {
  away,     ///< registered with the home agent through a care-of address
  at_home,  ///< on the home link: the home address is an ordinary address there
};

/// Multiple CoA towards the home agent in plain mode (RFC 5648, issue 15;
/// mnd's lib/mn/mn_home_mcoa.cpp): a further care-of address registered
/// for the home address under its own BID. It gets its own home tunnel
/// `coa` -> home agent on `ifindex` (tunnel_mtu), which only RECEIVES: the
/// home agent sends the home address's downlink through whichever BID it
/// ranks first, and the packets decapsulated there reach the home address
/// (which is NOT on that tunnel: it stays on the primary home tunnel only;
/// the decapsulated packets are delivered locally to it wherever it is,
/// kernel case 49). No route or rule points into it: the uplink, the
/// home BUs and the tunnel's outer packets stay with the primary CoA
/// (MnHomeSettings::coa). `router` is kept for the record (the outer
/// packets of a receive-only tunnel need no route).
struct MnHomeCoa {
  std::uint16_t bid = 0;
  Ip6Addr coa;
  int ifindex = 0;
  Ip6Addr router;
  std::uint32_t tunnel_mtu = 0;
  friend bool operator==(const MnHomeCoa&, const MnHomeCoa&) = default;
};

/// What a home registration looks like in the kernel. Mirrors
/// mn::HomeSettings (hmip/mn/mn_types.h).
struct MnHomeSettings {
  MnHomeMode mode = MnHomeMode::away;
  /// away: the care-of address registered with the home agent, the home
  /// tunnel's local end: the RCoA (HMIPv6, `via` set) or the LCoA (plain
  /// Mobile IPv6, `via` unset).
  Ip6Addr coa;
  /// away, HMIPv6: the MN-MAP binding (installed through this Dataplane,
  /// its rcoa == coa) whose tunnel carries the home tunnel (nested: HA ->
  /// RCoA inside MAP -> LCoA). Unset: plain mode, the home tunnel runs over
  /// `ifindex` via `router`.
  std::optional<MnBindingKey> via;
  int ifindex = 0;         ///< away, plain mode: the LCoA's interface; at_home: the home link
  Ip6Addr router;          ///< away, plain mode: default router there (link-local), :: = home agent on-link
  std::uint8_t prefix_len = 64;  ///< at_home: the home address's prefix length on the home link
  std::uint32_t tunnel_mtu = 0;  ///< away: MTU of the home tunnel (both encapsulations taken off), 0 = kernel default
  /// away: ProtectTraffic (RFC 4877 §5): MAIN policies requiring ESP
  /// (transport, any SA) for IP protocol 41 to and from the home agent, so
  /// the home tunnel's packets leave and arrive only inside the payload
  /// CHILD_SA charon sets up (its /128 policies win where they exist);
  /// without one (the care-of address changed, its IKE SA not yet moved)
  /// they are dropped, never sent in clear.
  bool protect_traffic = false;
  /// Secure mode (RFC 4877 §4; away and at home): MAIN policies requiring
  /// ESP for MH to the home agent (out, from any source) and from it (in,
  /// to any destination), below charon's /128 ones: no home BU ever leaves
  /// in clear (a CHILD_SA being restored, an SA not yet up), and a
  /// cleartext BA, BRR or Binding Error claiming to come from the home
  /// agent is dropped by the kernel (XfrmInNoPols / XfrmInTmplMismatch).
  bool protect_signalling = false;
  /// away, plain mode (`via` unset), Multiple CoA: the other BIDs' care-of
  /// addresses, one receive-only tunnel each (MnHomeCoa). BIDs unique, no
  /// entry with `coa` == the primary's (check_mn_home_binding refuses
  /// both: the kernel refuses two ip6tnl with the same endpoints). An
  /// install that moves the primary CoA onto a former extra one (a swap)
  /// releases the extra tunnels no longer wanted first, then moves the
  /// primary tunnel, then creates the new extra tunnels.
  std::vector<MnHomeCoa> more_coas = {};
  friend bool operator==(const MnHomeSettings&, const MnHomeSettings&) = default;
};

/// The receive-only tunnel of one MnHomeCoa.
struct MnHomeCoaObjects {
  std::uint16_t bid = 0;
  std::string tunnel;
  int tunnel_ifindex = 0;
  friend bool operator==(const MnHomeCoaObjects&, const MnHomeCoaObjects&) = default;
};

struct MnHomeObjects {
  std::string tunnel;        ///< away: the home tunnel (ip6tnl coa -> home agent); "" at home
  int tunnel_ifindex = 0;
  std::uint32_t table = 0;   ///< away: the home table (default route through the home tunnel); 0 at home
  std::vector<MnHomeCoaObjects> more = {};  ///< Multiple CoA: the extra CoAs' tunnels, in more_coas order
  /// Multiple CoA: the BIDs of more_coas whose receive-only tunnel could
  /// not be made (last_error() says why). The install still succeeds: the
  /// primary state and the other extras are in place (an extra CoA's
  /// failure never takes the working home binding down); the caller holds
  /// those members down (mnd: MobileNode::handle_home_extras_failed).
  std::vector<std::uint16_t> failed_bids = {};
};

// ---------------------------------------------------------------------------

/// Counters the kernel keeps for hmip's objects.
struct DataplaneCounters {
  std::uint64_t ingress_dropped_packets = 0;  ///< reverse-tunnelled packets whose inner source is not the bound RCoA
  std::uint64_t ingress_dropped_bytes = 0;
};

/// A complete MAP binding a previous run left in the kernel, taken over by
/// Dataplane::adopt_map_bindings() (issue 13 item 13).
struct AdoptedMapBinding {
  MapBindingKey key;            ///< bid 0: the kernel objects carry no BID
  MapBindingSettings settings;  ///< as the kernel holds them; tunnel_mtu is the device's MTU
  MapBindingObjects objects;    ///< the tunnel it was found in (ifindex unchanged)
};

/// What reconcile() found at start.
struct ReconcileReport {
  std::vector<std::string> removed;  ///< leftover tagged objects removed ("link hmipm0001", "route ...", ...)
};

class Dataplane {
 public:
  virtual ~Dataplane() = default;
  Dataplane() = default;
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  /// At start, before reconcile(): finds every COMPLETE MAP binding a
  /// previous run left (a tagged ip6tnl MAP -> LCoA with no underlying link,
  /// a tagged RCoA/128 route in the main table into it, the route2 state MAP
  /// -> RCoA whose care-of address is the tunnel's remote and its SUB OUT
  /// policy for protocol 135; the RCoA's proxy entry when there is one) and
  /// takes it into this instance's tracking as if install_map_binding() had
  /// made it, without changing it in the kernel: the tunnel keeps its
  /// ifindex, traffic to the RCoA goes on. Bindings found in one tunnel
  /// share it as installed ones do. From then on each is updated, removed
  /// and flushed like any other binding; what the caller does not want it
  /// removes with remove_map_binding(). The ingress check is (re)installed
  /// in one nftables transaction when anything was adopted. Incomplete
  /// leftovers stay untracked for reconcile() to remove. MN bindings are
  /// never adopted.
  virtual wire::Result<std::vector<AdoptedMapBinding>> adopt_map_bindings() = 0;
  /// At start: finds every object carrying this daemon's tags that is not
  /// installed through this instance (leftovers of a crashed run; with
  /// adopt_map_bindings() first: what was not adopted) and removes it.
  virtual wire::Result<ReconcileReport> reconcile() = 0;
  /// Removes everything this instance installed (clean stop), in batches
  /// (NetlinkDataplane: one rtnetlink batch for proxy entries, rules and
  /// routes, one group delete for every tunnel; measured in
  /// test/bench/bench_map_kernel.cpp). Also run by NetlinkDataplane's
  /// destructor if not called.
  virtual Status flush() = 0;
  /// Forgets everything this instance tracks without removing it from the
  /// kernel: its destructor then flushes nothing. For a start that fails
  /// after adopt_map_bindings(): the kernel is left as a crash would leave
  /// it, so that the next start adopts the bindings again (everything is
  /// tagged; reconcile() removes what is not adopted).
  virtual void keep_kernel_state() = 0;

  // MAP ---------------------------------------------------------------------
  /// Installs the MAP's signalling states and policy; also turns on
  /// forwarding, proxy_ndp and proxy_delay 0 on `proxy_ifindex`'s link.
  virtual Status install_map_signalling(const MapSignallingSettings& s) = 0;
  /// Binding: ip6tnl map_address -> lcoa (encaplimit none, no IPv6 address
  /// generation: no link-local address, DAD, MLD or RS through it), shared
  /// with every other binding of the same (map_address, lcoa) and deleted
  /// with the last of them; route RCoA/128 into it, proxy neighbour for the
  /// RCoA, a route2 state (src MAP, dst RCoA, coa LCoA) + SUB OUT policy for
  /// protocol 135 MAP->RCoA so BAs leave with a type 2 routing header; the
  /// ingress check (one static nftables table) then lets exactly the RCoAs
  /// routed into the tunnel pass as inner sources, no link-local one.
  /// A new lcoa for an existing key changes the tunnel in place if the
  /// binding is its only user and no tunnel to the new lcoa exists, else
  /// moves the RCoA route into the new lcoa's tunnel (joined or created).
  virtual wire::Result<MapBindingObjects> install_map_binding(const MapBindingKey& k,
                                                               const MapBindingSettings& s) = 0;
  virtual Status remove_map_binding(const MapBindingKey& k) = 0;
  /// A route2 state + SUB OUT policy for one refused BA (no binding): the BA
  /// to `rcoa` leaves to `lcoa` with a type 2 routing header. The kernel
  /// routes the BA to `rcoa` first, so NetlinkDataplane also adds a route
  /// for `rcoa` toward `lcoa` (the kernel's route to it) in a table of its
  /// own, used only by a rule for protocol 135 from map_address to rcoa: a
  /// MAP without any route to the RCoA can still answer, and no existing
  /// route to the address is taken over. Removed by remove_ba_route(); at
  /// most a few exist at a time. With a binding of `rcoa` at map_address
  /// (a BA to another CoA), its route2 state is re-pointed instead.
  virtual Status install_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa) = 0;
  virtual Status remove_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa) = 0;
  /// Re-adds the proxy neighbour entries on `ifindex` that are missing (the
  /// kernel flushes them when the link goes admin down; Debian's 6.1 keeps
  /// them on a carrier loss alone: test/kernel case 43). Idempotent.
  virtual Status refresh_proxies(int ifindex) = 0;
  /// Multiple CoA: replaces the whole flow policy set (start, reload) with
  /// `p`, in order (the first matching policy wins); idempotent (the same
  /// set again changes nothing). Bindings installed before or after the
  /// call follow it. Fails (changing nothing) for an invalid policy (see
  /// check_map_flow_policies) or more policies or BIDs than the tag ranges
  /// hold; the previous set then stays installed. flush() removes it.
  virtual Status install_map_flow_policies(const std::vector<MapFlowPolicy>& p) = 0;

  // MN ----------------------------------------------------------------------
  virtual Status install_mn_signalling(const MnSignallingSettings& s) = 0;
  /// Binding: RCoA/128 with the home flag (nodad) on the tunnel, ip6tnl
  /// lcoa -> map (encaplimit none, no IPv6 address generation; shared by
  /// the bindings of one (lcoa, ifindex, map) as on the MAP side), a table
  /// with `default dev TUN src RCoA`
  /// and `MAP/128 via router dev ifindex`, rules (from LCoA -> main;
  /// main with suppress_prefixlength 0; from RCoA -> table; primary only:
  /// all -> table, after a home binding's catch-all), the hao state and SUB
  /// OUT policy for the BU. A change of the binding's tunnel re-points the
  /// home bindings nested in it.
  virtual wire::Result<MnBindingObjects> install_mn_binding(const MnBindingKey& k,
                                                             const MnBindingSettings& s) = 0;
  virtual Status remove_mn_binding(const MnBindingKey& k) = 0;
  /// Home registration (RFC 6275 §11.3.1, RFC 5380 §6.1).
  ///
  /// away: ip6tnl coa -> home_agent (encaplimit none, no IPv6 address
  /// generation, tagged and shared like the MAP tunnels; link = ifindex in
  /// plain mode, none when nested; MTU tunnel_mtu); the home address /128
  /// with the home flag (nodad) on it; a table of its own from the tag
  /// range (the lower half, as MN bindings; its upper-half twin is the
  /// home binding's signalling table) with `default dev HOME_TUN src HoA`;
  /// the signalling table with the route to the home agent that keeps the
  /// home BU and the home tunnel's outer packets out of the home tunnel:
  /// nested `HA/128 dev MAP_TUN src RCoA` (the MAP binding named by `via`,
  /// whose `from RCoA` rule also catches the outer packets: HA -> RCoA
  /// inside MAP -> LCoA), plain `HA/128 via router dev ifindex` (and the
  /// CoA's own traffic: `default via router dev ifindex`). Rules, at
  /// priorities between the MAP bindings' `from RCoA` and their primary
  /// catch-all: (plain: `lookup main suppress_prefixlength 0`, `from CoA
  /// lookup SIGNAL`, no router: `from CoA lookup main`), `from HoA to HA
  /// ipproto 135 lookup SIGNAL`, `from HoA lookup HOME`, `lookup HOME`: new
  /// connections take the home table and the home address as source; when
  /// the home binding goes, the MAP binding's rules stand again. Signalling:
  /// a `proto hao mode ro` state src HoA dst HA coa CoA and a SUB OUT policy
  /// for protocol 135 HoA -> HA with a hao template, so the home BU sent
  /// from the home address leaves from the CoA with a Home Address option;
  /// BAs (dst CoA, type 2 routing header = HoA) pass the wildcard route2
  /// state of install_mn_signalling() (the home flag on the HoA is what
  /// the kernel needs besides).
  ///
  /// at_home: the home address /prefix_len on the home link `ifindex` as an
  /// ordinary address WITHOUT DAD (IFA_F_NODAD); no tunnel, table, rules or
  /// XFRM. The order on return home (RFC 6275 §11.5.5): this first, then
  /// the deregistration BU, which leaves from the home address on the home
  /// link. The home agent defends the address by proxy ND until it accepts
  /// the deregistration, so DAD would fail (and a tentative address could
  /// not send the BU); the home agent ran DAD for it at the first
  /// registration.
  ///
  /// A nested binding needs its `via` MAP binding installed; an update of
  /// that MAP binding that changes its tunnel re-points the home route to
  /// the new tunnel. Remove (or re-point) the home binding before the MAP
  /// binding it nests in. Updates (new coa or via after an inter-MAP move,
  /// away <-> at_home) are make-before-break; a failed install or update
  /// rolls back, except for Multiple CoA extras (more_coas): an extra
  /// CoA's receive tunnel that cannot be made is left out and reported in
  /// MnHomeObjects::failed_bids while the rest succeeds (one CoA's failure
  /// never takes the working binding down); remove_mn_home_binding() and
  /// flush() remove everything,
  /// reconcile() the tagged leftovers.
  virtual wire::Result<MnHomeObjects> install_mn_home_binding(const MnHomeKey& k, const MnHomeSettings& s) = 0;
  virtual Status remove_mn_home_binding(const MnHomeKey& k) = 0;

  [[nodiscard]] virtual DataplaneCounters counters() = 0;
  /// The full text of the last failure (which object, which request, the
  /// kernel's errno text): wire::Error carries only a fixed description.
  [[nodiscard]] virtual std::string last_error_text() const { return {}; }
};

}  // namespace hmip::kglue
