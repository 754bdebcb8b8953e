// What a binding is made of in the kernel: pure functions from a key and
// settings to the tunnel, the rtnetlink objects and the XFRM states and
// policies (dataplane.h describes each; netlink_dataplane.h sums them up).
// No I/O: NetlinkDataplane installs the result, the unit tests read it.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hmip/kglue/dataplane.h"
#include "nl_objects.h"
#include "object_set.h"

namespace hmip::kglue::detail {

/// The MN's policy-routing rules, at tags.rule_priority_lo + these offsets.
/// MN-MAP bindings (mn_objects): 0..3 and the primary's catch-all at 10;
/// home bindings (mn_home_objects) in between, so that a home binding's
/// catch-all wins over the MAP binding's while RCoA- and LCoA-sourced
/// traffic still meets the MAP binding's rules first.
inline constexpr std::uint32_t kRuleLcoaSignal = 0;    ///< from LCoA -> T, suppress_prefixlength 0 (MAP/128)
inline constexpr std::uint32_t kRuleMainSuppress = 1;  ///< main, suppress_prefixlength 0 (on-link, link-local)
inline constexpr std::uint32_t kRuleLcoa = 2;          ///< from LCoA -> LCoA table (or main)
inline constexpr std::uint32_t kRuleRcoa = 3;          ///< from RCoA -> T
inline constexpr std::uint32_t kRuleHomeMainSuppress = 4;  ///< plain home: main, suppress_prefixlength 0
inline constexpr std::uint32_t kRuleHomeCoa = 5;       ///< plain home: from CoA -> signalling table
inline constexpr std::uint32_t kRuleHomeCoaMain = 6;   ///< plain home without router: from CoA -> main
inline constexpr std::uint32_t kRuleHomeSignal = 7;    ///< from HoA to HA ipproto 135 -> signalling table
inline constexpr std::uint32_t kRuleHomeFrom = 8;      ///< from HoA -> home table
inline constexpr std::uint32_t kRuleHomeAll = 9;       ///< all -> home table
inline constexpr std::uint32_t kRulePrimary = 10;      ///< all -> T of the primary MAP binding

/// MAP binding tunnel: local MAP address, remote LCoA.
TunnelObj map_tunnel(const std::string& name, const MapBindingSettings& s);
/// RCoA/128 dev TUN (main table) and, if proxy_ifindex != 0, the proxy
/// entry, and with link_local_proxy also the one for wire::link_local_of(RCoA).
std::vector<KObj> map_objects(const MapBindingKey& k, const MapBindingSettings& s, int tunnel_ifindex);
/// Multiple CoA (RFC 5648): one binding of an address as the address's
/// layout sees it (map_address_layout).
struct MapBindingView {
  std::uint16_t bid = 0;
  const MapBindingSettings* settings = nullptr;
  int tunnel_ifindex = 0;
};
/// Routes of an address's bindings in main: the top-ranked binding's at
/// kRouteMetricDefault (1024, so that a lone binding's route is what the
/// kernel makes without a metric, as before issue 15), the next at 1025,
/// and so on in rank order.
inline constexpr std::uint32_t kMapMetricBase = kRouteMetricDefault;
/// What the bindings of one address are made of, per binding (in the order
/// given) so that each binding's mirror holds its own part:
///   * main: RCoA/128 dev TUN metric kMapMetricBase + its position in rank
///     order (dataplane.h map_ranks_above), so every binding's tunnel has a
///     route back to the RCoA (the ingress check) and the top one carries
///     downlink traffic;
///   * if `flow_tables` gives its BID a table: RCoA/128 dev TUN there too
///     (flow policies, map_flow_rules);
///   * the proxy entries (RCoA and, with link_local_proxy, its link-local
///     twin) once per address: in the list of the highest-ranked binding
///     that wants each, so the entry stays while any binding wants it.
/// xfrm: the route2 state and SUB OUT policy per MAP address, in the list
/// of the highest-ranked binding at that MAP address (BAs and BRRs leave
/// with its LCoA in the type 2 routing header).
/// Installing the concatenation of the lists as one diff against the
/// concatenation of the current ones (object_set.h) is make-before-break:
/// the same metric slot is replaced in place, new slots are added before
/// vacated ones are deleted.
struct MapAddressLayout {
  std::vector<std::vector<KObj>> objects;  ///< per binding, in input order
  std::vector<XfrmSet> xfrm;               ///< per binding, in input order
  std::vector<std::size_t> rank_order;     ///< input indexes, top-ranked first
};
MapAddressLayout map_address_layout(const Ip6Addr& rcoa, const std::vector<MapBindingView>& bindings,
                                    const std::map<std::uint16_t, std::uint32_t>& flow_tables);
/// Flow policies (dataplane.h MapFlowPolicy): one rule per policy, at
/// tags.rule_priority_lo + 1 + its index (lo is the BA rule), `[from] [to]
/// [ipproto] [sport] [dport] [tos dscp<<2] lookup flow_tables[bid]`. The
/// caller checked the policies and that the priorities fit the range.
std::vector<KObj> map_flow_rules(const Tags& tags, const std::vector<MapFlowPolicy>& policies,
                                 const std::map<std::uint16_t, std::uint32_t>& flow_tables);
/// The tables of `policies`' BIDs: those `current` already gives a BID
/// named again keep theirs (their routes stay), new BIDs get the lowest
/// free table of (tags.table_lo, tags.table_hi] (table_lo is the BA
/// table). nullopt: not enough tables.
std::optional<std::map<std::uint16_t, std::uint32_t>> map_flow_tables(
    const Tags& tags, const std::vector<MapFlowPolicy>& policies,
    const std::map<std::uint16_t, std::uint32_t>& current);

/// route2 state MAP->RCoA coa LCoA; SUB OUT policy MAP/128->RCoA/128 proto 135
/// with a route2 template (RFC 6275 §6.4: the BA reaches the MN's care-of
/// address with the RCoA in a type 2 routing header).
XfrmSet ba_xfrm(const Ip6Addr& map_address, const Ip6Addr& rcoa, const Ip6Addr& lcoa);
/// The route a BA without a binding needs (issue 13 item 6): the kernel
/// routes the BA to the RCoA before the route2 state's bundle re-routes it
/// to the care-of address, so a MAP with no route to the RCoA (one outside
/// its prefixes, and no default route) failed the send with ENETUNREACH.
/// Route RCoA/128 via `hop` (the kernel's route to the LCoA) in the table
/// tags.table_lo, and a rule at tags.rule_priority_lo `from MAP/128 to
/// RCoA/128 ipproto 135 lookup` that table: only the MAP's own Mobility
/// Headers to that RCoA use it, so no route to the address is taken over.
/// Route first (deleted last). Empty when the tags give no table or rule
/// range.
std::vector<KObj> ba_objects(const Tags& tags, const Ip6Addr& map_address, const Ip6Addr& rcoa, int oif,
                             const Ip6Addr& gateway);
/// MAP signalling: wildrecv hao state and SUB IN policy (BUs with a HAO).
XfrmSet map_signalling_xfrm(const MapSignallingSettings& s);

/// MN binding tunnel: local LCoA, remote MAP, on `ifindex`, mtu.
TunnelObj mn_tunnel(const std::string& name, const MnBindingKey& k, const MnBindingSettings& s);
/// How many MN bindings the tags' table range serves: each binding has two
/// tables, `table` (the tunnel default and the MAP host route) in the lower
/// half and its LCoA table (default via the current router) in the upper.
std::uint32_t mn_table_count(const Tags& tags);
/// The LCoA table of the binding whose table is `table`.
std::uint32_t mn_lcoa_table(const Tags& tags, std::uint32_t table);
/// RCoA on the tunnel, table routes and rules (priorities from tags).
/// Multiple CoA: `from RCoA` only with s.signalling; a rule per flow of
/// mn_flow_rules at kRuleLcoa (`from RCoA [to] [ipproto] [sport] [dport]
/// [tos dscp<<2] lookup table`).
std::vector<KObj> mn_objects(const Tags& tags, const MnBindingKey& k, const MnBindingSettings& s, int tunnel_ifindex,
                             std::uint32_t table);
/// The flows of `s` this binding's rules carry (duplicates merged): all but
/// those whose From does not contain the RCoA (they match nothing here).
std::vector<MnFlowRule> mn_flow_rules(const MnBindingKey& k, const MnBindingSettings& s);
/// hao state RCoA->MAP coa LCoA (only with s.signalling); SUB OUT policy RCoA/128->MAP/128 proto 135
/// with a hao template (RFC 6275 §6.3, RFC 5380 §6.1: the BU to the MAP is
/// sent from the RCoA with a Home Address option, from the LCoA).
XfrmSet mn_xfrm(const MnBindingKey& k, const MnBindingSettings& s);
/// MN signalling: wildrecv route2 state and SUB IN policy (BAs with an RH2).
XfrmSet mn_signalling_xfrm();


/// Home tunnel: local coa, remote home agent; link ifindex in plain mode,
/// none when nested (the RCoA is on the MAP binding's tunnel).
TunnelObj mn_home_tunnel(const std::string& name, const MnHomeKey& k, const MnHomeSettings& s);
/// Multiple CoA: an extra CoA's receive-only home tunnel: local c.coa,
/// remote home agent, link c.ifindex, c.tunnel_mtu. No address, route or
/// rule goes with it (dataplane.h MnHomeCoa).
TunnelObj mn_home_extra_tunnel(const std::string& name, const MnHomeKey& k, const MnHomeCoa& c);
/// A home binding's objects (dataplane.h, install_mn_home_binding): away,
/// the HoA on the home tunnel, the home table `table` (default through the
/// tunnel), its signalling table mn_lcoa_table(table) (HA/128 into the
/// `via` binding's tunnel `via_ifindex`, or via the router) and the rules
/// kRuleHome*; at home, the HoA/prefix_len with DAD on the home link.
std::vector<KObj> mn_home_objects(const Tags& tags, const MnHomeKey& k, const MnHomeSettings& s, int tunnel_ifindex,
                                  std::uint32_t table, int via_ifindex);
/// away: hao state HoA->HA coa CoA and SUB OUT policy HoA/128->HA/128 proto
/// 135 with a hao template (the home BU leaves from the CoA with a HAO,
/// RFC 6275 §11.7.1); at home: nothing.
XfrmSet mn_home_xfrm(const MnHomeKey& k, const MnHomeSettings& s);

}  // namespace hmip::kglue::detail
