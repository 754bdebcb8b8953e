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
// remove it; reconcile() removes the tagged objects it did not install.
//
// Per MAP binding: ip6tnl <prefix><hex> (local MAP, remote LCoA, ignore
// encap limit, proto ipv6, up); route RCoA/128 dev TUN proto TAG (main);
// proxy neighbour RCoA on proxy_ifindex; route2 state MAP->RCoA coa LCoA and
// SUB OUT policy MAP/128->RCoA/128 proto 135. A new LCoA changes the tunnel's
// remote in place (changelink) and updates the state (XFRM_MSG_UPDSA).
//
// Per MN binding: ip6tnl (local LCoA, remote MAP, link ifindex, mtu); RCoA/128
// home nodad on it (deprecated unless primary); table T: `default dev TUN src
// RCoA` and `MAP/128 via router dev ifindex`; rules at priorities lo..lo+3:
// `from LCoA lookup main`, `lookup main suppress_prefixlength 0`, `from RCoA
// lookup T`, primary only `lookup T`; hao state RCoA->MAP coa LCoA and SUB
// OUT policy RCoA/128->MAP/128 proto 135.
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
class RouteSocket;
class XfrmTable;
class SysctlSetter;
struct MapState;
struct MnState;
struct BaState;
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

  wire::Result<ReconcileReport> reconcile() override;
  Status flush() override;
  Status install_map_signalling(const MapSignallingSettings& s) override;
  wire::Result<MapBindingObjects> install_map_binding(const MapBindingKey& k, const MapBindingSettings& s) override;
  Status remove_map_binding(const MapBindingKey& k) override;
  Status install_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa) override;
  Status remove_ba_route(const Ip6Addr& map_address, const Ip6Addr& rcoa) override;
  Status refresh_proxies(int ifindex) override;
  Status install_mn_signalling(const MnSignallingSettings& s) override;
  wire::Result<MnBindingObjects> install_mn_binding(const MnBindingKey& k, const MnBindingSettings& s) override;
  Status remove_mn_binding(const MnBindingKey& k) override;
  /// Reads the ingress check's nft counter (zeros when there is no table).
  [[nodiscard]] DataplaneCounters counters() override;

  /// The full text of the last failure: which object, which request, the
  /// errno text. (A Status carries a static rule and the errno as offset.)
  [[nodiscard]] const std::string& last_error() const { return last_error_; }
  [[nodiscard]] std::string last_error_text() const override { return last_error_; }
  [[nodiscard]] std::size_t map_binding_count() const { return map_.size(); }
  [[nodiscard]] std::size_t mn_binding_count() const { return mn_.size(); }

 private:
  Status set_proxy_sysctls(int ifindex);
  /// Creates an ip6tnl named from the next free tunnel number; fills
  /// t.name and returns the new ifindex.
  wire::Result<int> create_tunnel(detail::TunnelObj& t);
  Status change_tunnel(const detail::TunnelObj& t, int ifindex);
  Status delete_tunnel(int ifindex, const std::string& name);
  Status ensure_ingress();
  Status remove_map_state(detail::MapState& b);
  Status remove_mn_state(detail::MnState& b);
  Status fail(const wire::Error& e, std::string detail);
  void reconcile_links(ReconcileReport& r);
  void reconcile_routes(ReconcileReport& r, std::set<Ip6Addr>& leftover_rcoas);
  void reconcile_rules(ReconcileReport& r);
  Status reconcile_proxies(ReconcileReport& r, const std::set<Ip6Addr>& leftover_rcoas);

  Options opt_;
  std::unique_ptr<detail::RouteSocket> sock_;
  std::unique_ptr<detail::XfrmTable> xfrm_;
  std::unique_ptr<NftIngress> nft_;
  std::unique_ptr<detail::SysctlSetter> sysctl_;
  std::map<MapBindingKey, detail::MapState> map_;
  std::map<MnBindingKey, detail::MnState> mn_;
  std::map<std::pair<Ip6Addr, Ip6Addr>, detail::BaState> ba_;
  std::set<int> proxy_links_done_;
  bool map_signalling_ = false;
  bool mn_signalling_ = false;
  std::uint32_t next_tunnel_ = 1;
  std::string last_error_;
};

}  // namespace hmip::kglue
