"""Assertions shared by the mapd/mnd scenarios (test/topo/hmip/test_*.py):
the MN's registration as mnd shows it, packets in a capture that went
through an ip6ip6 tunnel (or did not), and "nothing left" in the kernel.
Every wait polls (topo.until / Daemon.wait_show); timeouts are generous:
the scenarios run in an emulated VM on a loaded host.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Optional

import kstate
from hmip_plan import PLAN
from topo import json_cmp, until

MAP_ADDR = {name: m.address for name, m in PLAN.maps.items()}


def in_prefix(addr: str, prefix: str) -> bool:
    return ipaddress.ip_address(addr) in ipaddress.ip_network(prefix)


def registered(tb, map_name: str, lcoa: Optional[str] = None, timeout: float = 120.0) -> dict:
    """The MN's primary binding at `map_name` (mnd's binding update list),
    once registered (from `lcoa` if given)."""
    want: dict[str, Any] = {"map": MAP_ADDR[map_name], "registered": True, "primary": True}
    if lcoa:
        want["lcoa"] = lcoa
    bul = tb.daemons["mnd"].wait_show("bul", [want], timeout)
    return next(b for b in bul if json_cmp(b, want) is None)


def bul_entry(tb, rcoa: str) -> Optional[dict]:
    return next((b for b in tb.daemons["mnd"].show("bul") if b["rcoa"] == rcoa), None)


def map_bids(tb, map_name: str, addr: str) -> list[dict]:
    """`map_name`'s bindings of address `addr` (RCoA or home address), one
    per BID (Multiple CoA; a regular binding is BID 0)."""
    return [b for b in tb.daemons[f"mapd-{map_name}"].show("bindings") if b["rcoa"] == addr]


def wait_map_bids(tb, map_name: str, addr: str, want: dict[int, str], timeout: float = 60.0) -> list[dict]:
    """Waits until `map_name` holds exactly the BIDs `want` ({bid: AR whose
    LCoA prefix that BID's care-of address is in}) of `addr`, installed."""
    def ok():
        bs = map_bids(tb, map_name, addr)
        if sorted(b["bid"] for b in bs) != sorted(want) or any(b["install_pending"] for b in bs):
            return None
        if not all(in_prefix(b["lcoa"], PLAN.ars[want[b["bid"]]].lcoa_prefix) for b in bs):
            return None
        return bs
    return until(ok, timeout, 0.1, f"{map_name}'s bindings of {addr}: BIDs {want}")


def _ipv6_layers(p):
    from scapy.layers.inet6 import IPv6
    outer = p.getlayer(IPv6, 1)
    inner = p.getlayer(IPv6, 2) if outer is not None else None
    return outer, inner


def _icmp_kind(layer, kind: Optional[str]) -> bool:
    if kind is None:
        return True
    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest
    return (ICMPv6EchoRequest if kind == "request" else ICMPv6EchoReply) in layer


def tunnelled(packets, outer_src: str, outer_dst: str, inner_src: Optional[str] = None,
              inner_dst: Optional[str] = None, echo: Optional[str] = None, after: float = 0.0):
    """The first captured (time, packet) from `after` on that is IPv6 in
    IPv6 from outer_src to outer_dst (whatever extension headers ip6tnl put
    between them), with the inner addresses and ICMPv6 echo kind
    ("request"/"reply") asked for; None if there is none yet."""
    for t, p in packets:
        if t < after:
            continue
        outer, inner = _ipv6_layers(p)
        if inner is None or outer.src != outer_src or outer.dst != outer_dst:
            continue
        if inner_src and inner.src != inner_src or inner_dst and inner.dst != inner_dst:
            continue
        if _icmp_kind(inner, echo):
            return t, p
    return None


def plain(packets, src: str, dst: str, echo: Optional[str] = None, after: float = 0.0):
    """The first captured (time, packet) from `after` on that is NOT
    encapsulated, from src to dst, of the echo kind asked for."""
    for t, p in packets:
        if t < after:
            continue
        outer, inner = _ipv6_layers(p)
        if outer is None or inner is not None or outer.src != src or outer.dst != dst:
            continue
        if _icmp_kind(outer, echo):
            return t, p
    return None


def wait_clean(node, kind: str, timeout: float = 30.0, what: str = "") -> None:
    """Polls until no kernel object of daemon `kind` is left in `node`."""
    last: dict = {}

    def clean() -> bool:
        nonlocal last
        last = kstate.leftovers(node, kind)
        return not last
    try:
        until(clean, timeout, 0.2, what or f"no {kind} object left in {node.name}")
    except AssertionError as e:
        raise AssertionError(f"{e}\nleft in {node.name}: {last}") from None


def wait_forgotten(node, kind: str, addr: str, timeout: float = 30.0) -> None:
    """Polls until no kernel object of `kind` in `node` names `addr`."""
    last: dict = {}

    def gone() -> bool:
        nonlocal last
        last = kstate.mentions(node, kind, addr)
        return not last
    try:
        until(gone, timeout, 0.2, f"no {kind} object naming {addr} in {node.name}")
    except AssertionError as e:
        raise AssertionError(f"{e}\nstill there: {last}") from None


def nested(packets, hops: list[tuple[str, str]], echo: Optional[str] = None, after: float = 0.0):
    """The first captured (time, packet) from `after` on whose IPv6 headers,
    outermost first, have the (src, dst) pairs `hops` (exactly that many
    IPv6 headers: e.g. MAP -> LCoA, HA -> RCoA, CN -> home address for a
    packet through the HA's tunnel nested in the MAP's), innermost of the
    echo kind asked for; None if there is none yet."""
    from scapy.layers.inet6 import IPv6
    for t, p in packets:
        if t < after:
            continue
        layers = []
        while (layer := p.getlayer(IPv6, len(layers) + 1)) is not None:
            layers.append(layer)
        if [(x.src, x.dst) for x in layers] != list(hops):
            continue
        if _icmp_kind(layers[-1], echo):
            return t, p
    return None
