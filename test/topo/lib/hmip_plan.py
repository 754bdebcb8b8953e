"""The HMIPv6 testbed's addressing plan (test/topo/README.md has it as a table).

    CN --- core --+-- MAP1 --+-- AR1 ==br1==.
                  |          +-- AR2 ==br2== }  the MN's mn0 is patched into one
                  +-- MAP2 ----- AR3 ==br3== }  of br1..br3 or brh (namespace "sw")
                  +-- HA  ===========brh=='   (brh: the MN's home link)

With Options.second_mn_interface the MN has a second interface, mn1, whose
peer is patched into a bridge independently of mn0's (Multiple CoA, RFC
5648: e.g. mn0 on br1 under AR1 and mn1 on br2 under AR2, one LCoA each in
MAP1's domain).

IPv6 only, inside 2001:db8::/32 (RFC 3849). Each MAP domain has a /48:
MAP1 2001:db8:1::/48, MAP2 2001:db8:2::/48. The /64 of the core-MAP link
is the MAP's RCoA prefix (the MAP address is ::1 on it, the core is ::fe):
the RCoAs live on that link, the MAP answers Neighbour Solicitations for
them (proxy ND, RFC 5380 §6.2). AR access links carry the LCoA prefixes,
MAP-AR links are transit /64s. The home network (issue 14): the HA
(mapd in the home-agent role) hangs off the core by a transit /64 and
routes the home prefix, whose link (bridge brh) the MN can move onto to be
at home; the MN's home address is on that prefix. Pure data: no
namespaces are touched here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Interface names inside the namespaces.
MN_IF = "mn0"      # the MN's one access interface (a veth; its peer is patched between bridges)
MN_PEER = "mnp"    # the peer end of mn0, in the switch namespace
MN_IF2 = "mn1"     # the MN's second access interface (Options.second_mn_interface: Multiple CoA)
MN_PEER2 = "mnp1"  # the peer end of mn1, in the switch namespace, patched independently of mnp
MN_PEERS = {MN_IF: MN_PEER, MN_IF2: MN_PEER2}  # each MN interface -> its peer in sw
ACCESS_IF = "acc0"  # an AR's access interface (ard advertises on it)
UPLINK_IF = "up0"   # a router's interface towards its parent


@dataclass(frozen=True)
class ArPlan:
    name: str
    map: str            # the MAP of its domain ("map1", "map2")
    lcoa_prefix: str    # advertised on the access link (SLAAC)
    addr: str           # the AR's own address on the access link
    bridge: str         # the bridge in the switch namespace that is its access link


@dataclass(frozen=True)
class MapPlan:
    name: str
    address: str        # the MAP address (in MAP options, BU destination)
    rcoa_prefix: str    # on the core-MAP link
    domain: str         # the domain's /48 (core routes it to the MAP)
    ars: tuple[str, ...]


@dataclass(frozen=True)
class HomePlan:
    ha: str = "2001:db8:200::1"            # the HA's address on the home link (HomeAgent Address)
    prefix: str = "2001:db8:200::/64"      # the home prefix (HomePrefix, on the home link)
    home_address: str = "2001:db8:200::10"  # the MN's home address
    bridge: str = "brh"                     # the home link in the switch namespace
    uplink_prefix: str = "2001:db8:2f::/64"  # core - HA transit link
    uplink_ha: str = "2001:db8:2f::1"
    uplink_core: str = "2001:db8:2f::fe"


HOME_IF = "home0"   # the HA's interface on the home link


@dataclass(frozen=True)
class Plan:
    cn: str = "2001:db8:c::c"
    cn_prefix: str = "2001:db8:c::/64"
    core_cn_addr: str = "2001:db8:c::1"
    maps: dict[str, MapPlan] = field(default_factory=lambda: {
        "map1": MapPlan("map1", "2001:db8:1::1", "2001:db8:1::/64", "2001:db8:1::/48", ("ar1", "ar2")),
        "map2": MapPlan("map2", "2001:db8:2::1", "2001:db8:2::/64", "2001:db8:2::/48", ("ar3",)),
    })
    ars: dict[str, ArPlan] = field(default_factory=lambda: {
        "ar1": ArPlan("ar1", "map1", "2001:db8:1:11::/64", "2001:db8:1:11::1", "br1"),
        "ar2": ArPlan("ar2", "map1", "2001:db8:1:12::/64", "2001:db8:1:12::1", "br2"),
        "ar3": ArPlan("ar3", "map2", "2001:db8:2:13::/64", "2001:db8:2:13::1", "br3"),
    })
    home: HomePlan = field(default_factory=HomePlan)
    # The core's address on each core-MAP link (the MAP's default gateway).
    core_on_map_link: str = "::fe"
    # MAP-AR transit links: 2001:db8:<d>:f<n>::/64, MAP ::1, AR ::2.

    def transit(self, ar: str) -> tuple[str, str, str]:
        """(prefix, MAP address, AR address) of the MAP-AR link of `ar`."""
        a = self.ars[ar]
        dom = self.maps[a.map].domain.split("::")[0]  # "2001:db8:1"
        n = a.name[2:]
        return f"{dom}:f{n}::/64", f"{dom}:f{n}::1", f"{dom}:f{n}::2"

    def core_addr(self, map_name: str) -> str:
        """The core's address on the core-MAP link of `map_name`."""
        return self.maps[map_name].rcoa_prefix.split("::")[0] + self.core_on_map_link

    def table(self) -> list[tuple[str, str, str]]:
        """(link, prefix, addresses) rows: the README's plan table."""
        rows = [("CN - core", self.cn_prefix, f"CN {self.cn}, core {self.core_cn_addr}")]
        for m in self.maps.values():
            rows.append((f"core - {m.name.upper()} (RCoA link)", m.rcoa_prefix,
                         f"{m.name.upper()} {m.address}, core {self.core_addr(m.name)}; RCoAs by proxy ND"))
        for a in self.ars.values():
            p, ma, aa = self.transit(a.name)
            rows.append((f"{a.map.upper()} - {a.name.upper()}", p, f"{a.map.upper()} {ma}, {a.name.upper()} {aa}"))
        for a in self.ars.values():
            rows.append((f"{a.name.upper()} access ({a.bridge})", a.lcoa_prefix,
                         f"{a.name.upper()} {a.addr}; MN LCoA by SLAAC"))
        h = self.home
        rows.append(("core - HA", h.uplink_prefix, f"HA {h.uplink_ha}, core {h.uplink_core}"))
        rows.append((f"home link ({h.bridge})", h.prefix, f"HA {h.ha}; MN home address {h.home_address}"))
        return rows

    def bridge_of(self, link: str) -> str:
        """The switch-namespace bridge of an access link the MN can be
        patched into: an AR's name, or "home" (the home link)."""
        return self.home.bridge if link == "home" else self.ars[link].bridge


PLAN = Plan()
