"""Forged Mobility Header messages (RFC 6275 §6.1) for the HMIPv6 scenarios,
built with scapy and sent from a testbed namespace through a raw IPv6
socket (IPPROTO_RAW: the whole packet is ours, any source address).

  send_ipv6(node, pkt)                       one packet from node's namespace
  local_bu(lcoa, map, rcoa, seq, lifetime)   a local BU (A and M set) with HAO
  home_bu(coa, ha, hoa, seq, lifetime)       a home BU (A and H set) with HAO, as an RFC 6275 node sends it
  forged_ba(map, lcoa, rcoa, seq, ...)       a BA, with or without a type 2 RH
  unknown_mh(src, dst, mh_type, hoa=None)    an MH of a type nobody knows (for Binding Errors)
  bas(packets, ...)                          BAs in a capture, decoded
  bus(packets, ...), brrs(...), bes(...)     BUs, BRRs, Binding Errors in a capture, decoded

scapy computes the MH checksum over the pseudo-header of the final
addresses: the HAO's home address as source, the type 2 routing header's
address as destination (RFC 6275 §6.1.1), as the kernel checks it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, Optional

from topo import Node, netns

BU_FLAG_A = 0x40  # scapy's MIP6MH_BU flags: bit 6 A, 5 H, 4 L, 3 K, 2 M (RFC 5380 §5)
BU_FLAG_H = 0x20
BU_FLAG_L = 0x10
BU_FLAG_M = 0x04


def send_ipv6(node: Node, pkt: Any, count: int = 1) -> None:
    """Sends scapy packet `pkt` (an IPv6 header first) `count` times from
    `node`'s namespace; the kernel routes it by its destination."""
    raw = bytes(pkt)
    dst = pkt.dst
    with netns(node.ns):
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        for _ in range(count):
            s.sendto(raw, (dst, 0))
    finally:
        s.close()


def local_bu(lcoa: str, map_addr: str, rcoa: str, seq: int, lifetime_s: int, flags: int = BU_FLAG_A | BU_FLAG_M,
             acoa: Optional[str] = None):
    """A local binding update (RFC 5380 §6.1): from the LCoA to the MAP,
    the RCoA in a Home Address option, A and M set, lifetime in seconds
    (sent in 4-second units, rounded down); with an Alternate Care-of
    Address option if `acoa` (what a secure-mode MAP requires)."""
    from scapy.layers.inet6 import HAO, IPv6, IPv6ExtHdrDestOpt, MIP6MH_BU, MIP6OptAltCoA
    bu = MIP6MH_BU(seq=seq & 0xFFFF, flags=flags, mhtime=lifetime_s // 4)
    if acoa is not None:
        bu = MIP6MH_BU(seq=seq & 0xFFFF, flags=flags, mhtime=lifetime_s // 4, options=[MIP6OptAltCoA(acoa=acoa)])
    return IPv6(src=lcoa, dst=map_addr) / IPv6ExtHdrDestOpt(options=[HAO(hoa=rcoa)]) / bu


def home_bu(coa: str, ha: str, hoa: str, seq: int, lifetime_s: int, flags: int = BU_FLAG_A | BU_FLAG_H,
            acoa: Optional[str] = None):
    """A home registration (RFC 6275 §11.7.1) as any RFC 6275 mobile node
    sends it: from the care-of address to the home agent, the home address
    in a Home Address option, A and H set, no M (with an Alternate Care-of
    Address option if `acoa`, as a secure-mode HA requires)."""
    return local_bu(coa, ha, hoa, seq, lifetime_s, flags, acoa)


def forged_ba(map_addr: str, lcoa: str, rh2: Optional[str], seq: int, status: int = 0, lifetime_s: int = 600):
    """A binding acknowledgement as a MAP would send it to `lcoa`: with a
    type 2 routing header holding `rh2` (RFC 5380 §6.2), or none."""
    from scapy.layers.inet6 import IPv6, IPv6ExtHdrRouting, MIP6MH_BA
    ba = MIP6MH_BA(status=status, flags=0, seq=seq & 0xFFFF, mhtime=lifetime_s // 4)
    if rh2 is None:
        return IPv6(src=map_addr, dst=lcoa) / ba
    return IPv6(src=map_addr, dst=lcoa) / IPv6ExtHdrRouting(type=2, segleft=1, addresses=[rh2]) / ba


def forged_be(src: str, dst: str, status: int, hoa: str):
    """A Binding Error (RFC 6275 §6.1.9) as a home agent would send it to
    `dst`: `status` (1 unknown binding, 2 unrecognized MH type) about home
    address `hoa`."""
    from scapy.layers.inet6 import IPv6, MIP6MH_BE
    return IPv6(src=src, dst=dst) / MIP6MH_BE(status=status, ha=hoa)


def unknown_mh(src: str, dst: str, mh_type: int, hoa: Optional[str] = None):
    """A Mobility Header of MH Type `mh_type` (one RFC 6275 does not define,
    e.g. 42) with a 2-octet empty body (8 octets, Header Len 0), Payload
    Proto 59 and a valid checksum; with a Home Address option holding `hoa`
    if given (the checksum then covers `hoa` as source, RFC 6275 §6.1.1)."""
    from scapy.layers.inet6 import HAO, IPv6, IPv6ExtHdrDestOpt, MIP6MH_Generic
    mh = MIP6MH_Generic(mhtype=mh_type, res=0, msg=b"\x00\x00")
    if hoa is None:
        return IPv6(src=src, dst=dst) / mh
    return IPv6(src=src, dst=dst) / IPv6ExtHdrDestOpt(options=[HAO(hoa=hoa)]) / mh


@dataclass(frozen=True)
class Ba:
    """A binding acknowledgement seen in a capture."""
    time: float
    src: str
    dst: str            # the IPv6 destination (the LCoA the MAP sent it to)
    rh2: Optional[str]  # the type 2 routing header's address (the RCoA), None without one
    status: int
    seq: int
    lifetime_s: int


def bas(packets: list[tuple[float, Any]], after: float = 0.0, dst: Optional[str] = None) -> list[Ba]:
    """The BAs among captured (time, Ether) packets, from `after` on, to
    `dst` if given."""
    from scapy.layers.inet6 import IPv6, IPv6ExtHdrRouting, MIP6MH_BA
    out = []
    for t, p in packets:
        if t < after or IPv6 not in p or MIP6MH_BA not in p:
            continue
        ip = p[IPv6]
        if dst is not None and ip.dst != dst:
            continue
        rh = p[IPv6ExtHdrRouting] if IPv6ExtHdrRouting in p else None
        rh2 = rh.addresses[0] if rh is not None and rh.type == 2 and rh.addresses else None
        ba = p[MIP6MH_BA]
        out.append(Ba(t, ip.src, ip.dst, rh2, int(ba.status), int(ba.seq), int(ba.mhtime) * 4))
    return out


@dataclass(frozen=True)
class Mh:
    """One Mobility Header message seen in a capture, wherever it was: sent
    directly (with a Home Address option or a type 2 routing header, or
    neither) or inside an IPv6-in-IPv6 tunnel (`outer` is then the
    tunnel's (source, destination))."""
    time: float
    src: str             # the IPv6 header right in front of the MH: its source
    dst: str             # ... and destination (the care-of address with an RH2)
    hao: Optional[str]   # the Home Address option's address, None without one
    rh2: Optional[str]   # the type 2 routing header's address, None without one
    outer: Optional[tuple[str, str]]  # the tunnel's addresses when encapsulated
    msg: Any             # the scapy MH layer (MIP6MH_BU, MIP6MH_BRR, MIP6MH_BE, ...)

    @property
    def home(self) -> str:
        """The final destination as RFC 6275 §6.1.1 sees it: the RH2's
        address if there is one, else `dst`."""
        return self.rh2 or self.dst


def mh_messages(packets: list[tuple[float, Any]], cls: Any, after: float = 0.0) -> list[Mh]:
    """The messages of scapy MH class `cls` among captured (time, Ether)
    packets, from `after` on."""
    from scapy.layers.inet6 import HAO, IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting
    out = []
    for t, p in packets:
        if t < after or cls not in p:
            continue
        msg = p[cls]
        # The IPv6 header that carries the MH: the innermost one in front of it.
        ips, layer = [], p
        while layer is not None and layer is not msg:
            if isinstance(layer, IPv6):
                ips.append(layer)
            layer = layer.payload if layer.payload else None
        if not ips:
            continue
        ip = ips[-1]
        outer = (ips[0].src, ips[0].dst) if len(ips) > 1 else None
        hao = rh2 = None
        layer = ip.payload
        while layer is not None and layer is not msg:
            if isinstance(layer, IPv6ExtHdrDestOpt):
                for o in layer.options:
                    if isinstance(o, HAO):
                        hao = o.hoa
            elif isinstance(layer, IPv6ExtHdrRouting) and layer.type == 2 and layer.addresses:
                rh2 = layer.addresses[0]
            layer = layer.payload if layer.payload else None
        out.append(Mh(t, ip.src, ip.dst, hao, rh2, outer, msg))
    return out


def bus(packets: list[tuple[float, Any]], after: float = 0.0) -> list[Mh]:
    """The BUs in a capture (msg.seq, msg.mhtime * 4 s, msg.flags)."""
    from scapy.layers.inet6 import MIP6MH_BU
    return mh_messages(packets, MIP6MH_BU, after)


def brrs(packets: list[tuple[float, Any]], after: float = 0.0) -> list[Mh]:
    """The Binding Refresh Requests in a capture."""
    from scapy.layers.inet6 import MIP6MH_BRR
    return mh_messages(packets, MIP6MH_BRR, after)


def bes(packets: list[tuple[float, Any]], after: float = 0.0) -> list[Mh]:
    """The Binding Errors in a capture (msg.status, msg.ha: the home
    address, :: when the offending packet had no Home Address option)."""
    from scapy.layers.inet6 import MIP6MH_BE
    return mh_messages(packets, MIP6MH_BE, after)
