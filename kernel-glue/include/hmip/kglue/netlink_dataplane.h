// The Dataplane on a Linux kernel: libnl-3 route (ip6tnl links, addresses,
// routes, rules, proxy neighbours, batched), libnl-xfrm-3 (route-optimisation
// states and SUB policies, kernel-glue/src/xfrm_table.h) and libnftables
// (the MAP's ingress check, nft_ingress.h).
//
// Every object carries the daemon's tags (dataplane.h, Tags): link names
// start with tags.link_prefix, routes have rtm_protocol = route_protocol,
// rules FRA_PROTOCOL = route_protocol and priorities in the rule range, MN
// tables come from the table range, XFRM policies from the priority range
// (states reqid = xfrm_priority_lo), nftables table tags.nft_table. What
// this instance installed is mirrored in memory; flush() and the destructor
// remove it; adopt_map_bindings() mirrors a previous run's complete MAP
// bindings without touching them (netlink_adopt.cpp); reconcile() removes
// the tagged objects it neither installed nor adopted.
//
// Tunnels: ip6tnl <prefix><hex> (ignore encap limit, proto ipv6, device
// group tags.link_group, IPv6 addr_gen_mode none so the kernel gives it no
// link-local address and sends no DAD, MLD or Router Solicitation through
// it, then up). One device per (local, remote, link), shared by every
// binding with those endpoints and counted (src/tunnel_pool.h): the kernel
// refuses a second ip6tnl with the same endpoints. It is deleted when its
// last binding goes.
//
// Per MAP binding: the tunnel (local MAP, remote LCoA); route RCoA/128 dev
// TUN proto TAG (main); proxy neighbour RCoA on proxy_ifindex; route2 state
// MAP->RCoA coa LCoA and SUB OUT policy MAP/128->RCoA/128 proto 135. A new
// LCoA changes the tunnel's remote in place (changelink) when the binding is
// its only user and no tunnel to the new LCoA exists; otherwise the RCoA
// route moves into the tunnel to the new LCoA (joined or created) and the
// old tunnel loses a user. The route2 state is replaced.
//
// Multiple CoA (several keys {rcoa, bid} of one address; dataplane.h):
// every binding's tunnel gets RCoA/128 in main at metric 1024 + its
// position in rank order, the address's proxy entries and route2 state sit
// with its top-ranked binding (binding_layout.h map_address_layout); each
// install or removal re-lays out that address only, in one batch; an
// address with several bindings also has each (RCoA, tunnel) pair in the
// ingress check's nft set (nft_ingress.h kMcoaPathSet). Flow
// policies: table tags.table_lo + 1.. per BID named (RCoA/128 dev TUN for
// each binding with that BID), rule tags.rule_priority_lo + 1 + i per
// policy. A reload of the policy set re-lays out the addresses with a
// binding whose BID gained or lost a table (it scans the bindings once).
//
// Per BA without a binding (install_ba_route): route2 state MAP->RCoA coa
// LCoA and SUB OUT policy as a binding's; route RCoA/128 via the kernel's
// route to the LCoA (RTM_GETROUTE) in table tags.table_lo, and rule
// tags.rule_priority_lo `from MAP/128 to RCoA/128 ipproto 135 lookup` it,
// both proto TAG (the kernel routes the BA to the RCoA first: without any
// route there it refused the send, issue 13 item 6).
//
// Per MN home binding (away): the tunnel (local CoA, remote HA; link
// ifindex in plain mode); HoA/128 home nodad on it; table H (from the MN
// table range, as a binding's T): `default dev HTUN src HoA`; its twin S
// (as a binding's LCoA table): nested `HA/128 dev MAP_TUN src RCoA`, plain
// `HA/128 via router dev ifindex` (+ `default via router`); rules at
// lo+4..lo+9 (binding_layout.h, kRuleHome*): plain `main suppress`, `from
// CoA lookup S` (no router: `from CoA lookup main`); `from HoA to HA
// ipproto 135 lookup S`, `from HoA lookup H`, `lookup H`; hao state HoA->HA
// coa CoA and SUB OUT policy HoA/128->HA/128 proto 135. At home: HoA/len
// with DAD on the home link, nothing else.
//
// Per MN binding: the tunnel (local LCoA, remote MAP, link ifindex, mtu); RCoA/128
// home nodad on it (deprecated unless primary); table T: `default dev TUN src
// RCoA` and `MAP/128 via router dev ifindex`; rules at priorities lo..lo+3:
// `from LCoA lookup main`, `lookup main suppress_prefixlength 0`, `from RCoA
// lookup T`, primary only `lookup T` (lo+10, after the home rules); hao state RCoA->MAP coa LCoA and SUB
// OUT policy RCoA/128->MAP/128 proto 135.
//
// flush() deletes in batches: the proxy entries, rules and routes that do
// not go with the tunnels in one rtnetlink batch, then every tunnel with one
// group delete (tags.link_group), then the XFRM states and policies.
//
// Proxy entries carry no tag: reconcile() removes the proxy entries for
// addresses that a leftover tagged route (RCoA/128 proto TAG) pointed into a
// leftover tunnel, and every proxy entry inside `Options::rcoa_prefixes`
// that this instance did not install.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "hmip/core/prefix.h"
#include "hmip/kglue/dataplane.h"

namespace hmip::kglue {

namespace detail {
struct TunnelObj;
struct TunnelMove;
class TunnelPool;
class RouteSocket;
class XfrmTable;
class SysctlSetter;
struct MapState;
struct MnState;
struct MnHomeState;
struct MnHomeExtra;
struct XfrmSet;
struct BaState;
struct MapFlowState;
}  // namespace detail
class NftIngress;

class NetlinkDataplane final : public Dataplane {
 public:
  struct Options {
    Tags tags;
    /// MAP: links whose sysctls install_map_signalling() sets (forwarding,
    /// proxy_ndp, neigh proxy_delay 0); the links of bindings' proxy_ifindex
    /// get them too when first used.
    std::vector<int> proxy_links;
    /// MAP: the RCoA prefixes it serves; reconcile() removes untracked proxy
    /// entries inside them.
    std::vector<Ip6Prefix> rcoa_prefixes;
    /// Send/receive buffer of the route socket.
    int socket_buffer = 1 << 20;
    /// Where the sysctls live (tests may point elsewhere).
    std::string proc_sys = "/proc/sys";
  };

  /// Opens the route and XFRM sockets (and the nftables context when
  /// tags.nft_table is set). Throws std::invalid_argument for unusable tags
  /// (check_tags) and std::system_error if a socket cannot be opened.
  explicit NetlinkDataplane(Options options);
  ~NetlinkDataplane() override;

  wire::Result<std::vector<AdoptedMapBinding>> adopt_map_bindings() override;
  wire::Result<ReconcileReport> reconcile() override;
  Status flush() override;
  void keep_kernel_state() override { keep_ = true; }
  Status install_map_signalling(const MapSignallingSettings& s) override;
  wire::Result<MapBindingObjects> install_map_binding(const MapBindingKey& k, const MapBindingSettings& s) override;
  Status remove_map_binding(const MapBindingKey& k) override;
  Status install_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa) override;
  Status remove_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa) override;
  Status refresh_proxies(int ifindex) override;
  Status install_map_flow_policies(const std::vector<MapFlowPolicy>& p) override;
  Status install_mn_signalling(const MnSignallingSettings& s) override;
  wire::Result<MnBindingObjects> install_mn_binding(const MnBindingKey& k, const MnBindingSettings& s) override;
  Status remove_mn_binding(const MnBindingKey& k) override;
  wire::Result<MnHomeObjects> install_mn_home_binding(const MnHomeKey& k, const MnHomeSettings& s) override;
  Status remove_mn_home_binding(const MnHomeKey& k) override;
  /// Reads the ingress check's nft counter (zeros when there is no table).
  [[nodiscard]] DataplaneCounters counters() override;

  /// The full text of the last failure: which object, which request, the
  /// errno text. (A Status carries a static rule and the errno as offset.)
  [[nodiscard]] const std::string& last_error() const { return last_error_; }
  [[nodiscard]] std::string last_error_text() const override { return last_error_; }
  [[nodiscard]] std::size_t map_binding_count() const { return map_.size(); }
  [[nodiscard]] std::size_t mn_binding_count() const { return mn_.size(); }
  [[nodiscard]] std::size_t mn_home_binding_count() const { return home_.size(); }
  /// ip6tnl devices this instance holds (several bindings may share one).
  [[nodiscard]] std::size_t tunnel_count() const;

 private:
  Status set_proxy_sysctls(int ifindex);
  /// Creates an ip6tnl named from the next free tunnel number (down,
  /// addr_gen_mode none, then up); fills t.name and returns the new ifindex.
  wire::Result<int> create_tunnel(detail::TunnelObj& t);
  /// The tunnel with `want`'s endpoints: the existing one (one more user)
  /// or a new device. Returns it as created (name, endpoints) and its ifindex.
  wire::Result<std::pair<detail::TunnelObj, int>> acquire_tunnel(detail::TunnelObj want);
  /// One user less of `t`'s tunnel; deletes the device after its last user.
  Status release_tunnel(const detail::TunnelObj& t);
  /// A binding's tunnel from `cur` to `want`'s endpoints (tunnel_pool.h,
  /// plan_move; dataplane_state.h, TunnelMove): undo_tunnel_move() if the
  /// rest of the update fails, finish_tunnel_move() when it succeeded.
  wire::Result<detail::TunnelMove> begin_tunnel_move(const detail::TunnelObj& cur, int cur_ifindex,
                                                     detail::TunnelObj want);
  void undo_tunnel_move(const detail::TunnelMove& m, const detail::TunnelObj& cur, int cur_ifindex);
  void finish_tunnel_move(const detail::TunnelMove& m, const detail::TunnelObj& cur);
  Status change_tunnel(const detail::TunnelObj& t, int ifindex);
  Status delete_tunnel(int ifindex, const std::string& name);
  /// Every tunnel of the pool: one group delete (tags.link_group), else one
  /// batch of per-device deletes.
  Status delete_all_tunnels();
  Status ensure_ingress();
  Status remove_map_state(detail::MapState& b);
  /// Multiple CoA (netlink_dataplane_mcoa.cpp): lays the bindings of `rcoa`
  /// out again (binding_layout.h map_address_layout) with binding `k` in
  /// state `*next` (k == nullptr: no binding changes, e.g. new flow tables;
  /// next == nullptr: k is gone) and installs the difference as one
  /// make-before-break diff of routes and proxy entries, then the route2
  /// state. O(bindings of rcoa). On success every mirror of the address
  /// (and *next) holds its new objects; on failure nothing changed.
  Status relayout_map_address(const Ip6Addr& rcoa, const MapBindingKey* k, detail::MapState* next);
  /// relayout_map_address() for every address with a binding whose BID is
  /// in `bids` (a change of flow tables). Returns the first failure.
  Status relayout_map_bids(const std::set<std::uint16_t>& bids);
  Status remove_mn_state(detail::MnState& b);
  Status remove_home_state(detail::MnHomeState& h);
  /// Multiple CoA: `next.more` (and next.settings.more_coas) for `s`: the
  /// tunnels of `old` still wanted kept, the others released, new ones made;
  /// the BIDs whose new tunnel could not be made are left out and added to
  /// `failed` (the first error is returned and in last_error()).
  Status update_home_extras(const MnHomeKey& k, const MnHomeSettings& s, const std::vector<detail::MnHomeExtra>& old,
                            detail::MnHomeState& next, std::vector<std::uint16_t>& failed);
  /// The lowest free table of the lower half of the tag range (MN and home
  /// bindings), or an error.
  wire::Result<std::uint32_t> allocate_mn_table(const std::string& what);
  /// After an update of MN binding `k`: nested home bindings through it
  /// follow its tunnel (their HA/128 route names the tunnel's ifindex).
  void repoint_home_bindings(const MnBindingKey& k);
  Status fail(const wire::Error& e, std::string detail);
  /// Tagged ip6tnl devices this instance does not track, with no underlying
  /// link (a MAP binding's), by ifindex (netlink_adopt.cpp).
  std::map<int, detail::TunnelObj> leftover_map_tunnels();
  void reconcile_links(ReconcileReport& r);
  void reconcile_routes(ReconcileReport& r, std::set<Ip6Addr>& leftover_rcoas);
  void reconcile_rules(ReconcileReport& r);
  /// Tagged addresses (IFA_PROTO = the route protocol) it does not track.
  void reconcile_addrs(ReconcileReport& r);
  Status reconcile_proxies(ReconcileReport& r, const std::set<Ip6Addr>& leftover_rcoas);

  Options opt_;
  std::unique_ptr<detail::RouteSocket> sock_;
  std::unique_ptr<detail::XfrmTable> xfrm_;
  std::unique_ptr<NftIngress> nft_;
  std::unique_ptr<detail::SysctlSetter> sysctl_;
  std::unique_ptr<detail::TunnelPool> tunnels_;
  std::map<MapBindingKey, detail::MapState> map_;
  std::map<MnBindingKey, detail::MnState> mn_;
  std::map<MnHomeKey, detail::MnHomeState> home_;
  std::map<std::pair<Ip6Addr, Ip6Addr>, detail::BaState> ba_;
  std::set<int> proxy_links_done_;
  /// Addresses install_map_signalling() has served (once per address),
  /// and the XFRM set installed for all of them together.
  std::map<Ip6Addr, MapSignallingSettings> map_signalled_;  ///< by address (install_map_signalling)
  std::unique_ptr<detail::XfrmSet> map_sig_xfrm_;
  std::unique_ptr<detail::MapFlowState> flow_;  ///< install_map_flow_policies
  bool keep_ = false;  ///< keep_kernel_state(): the destructor flushes nothing
  bool mn_signalling_ = false;
  std::uint32_t next_tunnel_ = 1;
  std::string last_error_;
};

}  // namespace hmip::kglue
