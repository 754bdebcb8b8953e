"""Forged Mobility Header messages (RFC 6275 §6.1) for the HMIPv6 scenarios,
built with scapy and sent from a testbed namespace through a raw IPv6
socket (IPPROTO_RAW: the whole packet is ours, any source address).

  send_ipv6(node, pkt)                       one packet from node's namespace
  local_bu(lcoa, map, rcoa, seq, lifetime)   a local BU (A and M set) with HAO
  home_bu(coa, ha, hoa, seq, lifetime)       a home BU (A and H set) with HAO, as an RFC 6275 node sends it
  forged_ba(map, lcoa, rcoa, seq, ...)       a BA, with or without a type 2 RH
  unknown_mh(src, dst, mh_type, hoa=None)    an MH of a type nobody knows (for Binding Errors)
  mcoa_bu(lcoa, map, rcoa, seq, lifetime, [Bid(...), ...])
                                             a local BU with Binding Identifier options (RFC 5648)
  bas(packets, ...)                          BAs in a capture, decoded (with their BID options)
  bus(packets, ...), brrs(...), bes(...)     BUs, BRRs, Binding Errors in a capture, decoded

scapy computes the MH checksum over the pseudo-header of the final
addresses: the HAO's home address as source, the type 2 routing header's
address as destination (RFC 6275 §6.1.1), as the kernel checks it.

Binding Identifier options (RFC 5648 §6.2, type 35): scapy 2.5 has no class
for them (and mis-dissects them as MIP6OptUnknown), so `Bid.encode()` writes
the option's octets and `option_area()` lays out a list of options with the
padding RFC 6275 §6.2 asks for (alignment counted from the start of the
Mobility Header: 2n without a care-of address, 8n+2 with one): Pad1 for a
one-octet gap, else one PadN with zero data, and the area padded so that the
message is a multiple of 8 octets. That is the layout lib/wire's encoder
writes too (mh_options.h). The BU is built with scapy's automatic padding
off and the area as raw bytes. `decode_options()` reads the options back from
a message's raw octets (the BA's BID options in `Ba.bids`), independently
of scapy's dissection.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from topo import Node, netns

# tcpdump filter: Mobility Header messages only (a BU has Destination Options
# first, a BA a type 2 routing header, others none), not the tunnelled data.
MH_ONLY_BPF = "ip6 proto 135 or ((ip6[6] == 60 or ip6[6] == 43) and ip6[40] == 135)"

BU_FLAG_A = 0x40  # scapy's MIP6MH_BU flags: bit 6 A, 5 H, 4 L, 3 K, 2 M (RFC 5380 §5)
BU_FLAG_H = 0x20
BU_FLAG_L = 0x10
BU_FLAG_M = 0x04


def send_ipv6(node: Node, pkt: Any, count: int = 1, dev: Optional[str] = None) -> None:
    """Sends scapy packet `pkt` (an IPv6 header first) `count` times from
    `node`'s namespace; the kernel routes it by its destination (out of
    interface `dev` only, if given: SO_BINDTODEVICE, e.g. the MN's mn1 for a
    packet from the LCoA it formed there)."""
    raw = bytes(pkt)
    dst = pkt.dst
    with netns(node.ns):
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
    try:
        if dev is not None:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
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


MH_OPT_PAD1 = 0
MH_OPT_PADN = 1
MH_OPT_BID = 35        # Binding Identifier (RFC 5648 §6.2, IANA)
BID_H = 0x80           # the flag octet: H (simultaneous home and foreign binding) ...
BID_PRI_MASK = 0x7F    # ... and BID-PRI (RFC 6089 §5: lower is preferred, 0 none)
MH_OPTIONS_AT = 12     # a BU's and a BA's options start 12 octets into the Mobility Header


@dataclass(frozen=True)
class Bid:
    """One Binding Identifier option: BID, Status (0 in a BU), H flag,
    BID-PRI, and the IPv6 care-of address field (None: Length 4, no CoA)."""
    bid: int
    status: int = 0
    h: bool = False
    pri: int = 0
    coa: Optional[str] = None

    def encode(self) -> bytes:
        """Type 35, Length 4 or 20, BID, Status, H|BID-PRI, [CoA]."""
        body = struct.pack("!HBB", self.bid, self.status, (BID_H if self.h else 0) | (self.pri & BID_PRI_MASK))
        if self.coa is not None:
            body += ipaddress.IPv6Address(self.coa).packed
        return bytes([MH_OPT_BID, len(body)]) + body

    def alignment(self) -> tuple[int, int]:
        """(x, y) of RFC 6275's xn+y: 8n+2 with a care-of address, else 2n."""
        return (8, 2) if self.coa is not None else (2, 0)


def _pad(gap: int) -> bytes:
    """`gap` octets of padding: Pad1, or one PadN with zero data."""
    if gap == 0:
        return b""
    if gap == 1:
        return bytes([MH_OPT_PAD1])
    return bytes([MH_OPT_PADN, gap - 2]) + bytes(gap - 2)


def option_area(options: Sequence[Any], start: int = MH_OPTIONS_AT) -> bytes:
    """The mobility options area for `options` (Bid, or (bytes, (x, y)) for
    any other option: its octets and alignment; (bytes, None) is written
    where it falls, unaligned, e.g. a deliberately misplaced option), with
    the minimal padding before each option so that its Type octet sits at
    x*n+y octets from the Mobility Header's start (`start`: where the area
    begins), and after the last one up to a multiple of 8."""
    out = b""
    pos = start
    for o in options:
        raw, al = (o.encode(), o.alignment()) if isinstance(o, Bid) else o
        if al is not None:
            x, y = al
            gap = (y - pos) % x
            out += _pad(gap)
            pos += gap
        out += raw
        pos += len(raw)
    return out + _pad((8 - pos % 8) % 8)


def decode_options(mh: bytes, start: int = MH_OPTIONS_AT) -> list[Any]:
    """The mobility options of the Mobility Header message `mh` (its raw
    octets, from the Payload Proto field; Header Len gives its end): Bid for
    each well-formed Binding Identifier option, (type, data, offset) for the
    others and for a BID option of a wrong length or alignment; padding is
    skipped. Raises ValueError on an option running past the end."""
    if len(mh) < 2:
        raise ValueError("no Mobility Header")
    end = 8 * (mh[1] + 1)
    if end > len(mh):
        raise ValueError(f"Header Len says {end} octets, {len(mh)} captured")
    out: list[Any] = []
    pos = start
    while pos < end:
        t = mh[pos]
        if t == MH_OPT_PAD1:
            pos += 1
            continue
        if pos + 2 > end or pos + 2 + mh[pos + 1] > end:
            raise ValueError(f"option type {t} at {pos} runs past the message's end {end}")
        data = mh[pos + 2:pos + 2 + mh[pos + 1]]
        if t == MH_OPT_BID and len(data) in (4, 20):
            bid, status, flags = struct.unpack("!HBB", data[:4])
            coa = str(ipaddress.IPv6Address(data[4:20])) if len(data) == 20 else None
            b = Bid(bid, status, bool(flags & BID_H), flags & BID_PRI_MASK, coa)
            x, y = b.alignment()
            out.append(b if pos % x == y else (t, data, pos))
        elif t != MH_OPT_PADN:
            out.append((t, data, pos))
        pos += 2 + len(data)
    return out


def mcoa_bu(lcoa: str, map_addr: str, rcoa: str, seq: int, lifetime_s: int, bids: Sequence[Any],
            flags: int = BU_FLAG_A | BU_FLAG_M):
    """A local BU (as local_bu: from `lcoa` to the MAP, HAO = `rcoa`, A and
    M set) carrying the options `bids` (Bid, or raw (bytes, alignment) items
    as option_area takes them) in that order, padded as RFC 6275 §6.2 asks."""
    from scapy.layers.inet6 import HAO, IPv6, IPv6ExtHdrDestOpt, MIP6MH_BU
    from scapy.packet import Raw
    area = option_area(bids)
    bu = MIP6MH_BU(seq=seq & 0xFFFF, flags=flags, mhtime=lifetime_s // 4, autopad=0, options=[Raw(area)])
    return IPv6(src=lcoa, dst=map_addr) / IPv6ExtHdrDestOpt(options=[HAO(hoa=rcoa)]) / bu


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
    bids: tuple = ()    # its Binding Identifier options (Bid), in order, from the raw octets
    other_options: tuple = ()  # any other option (padding aside), or a BID option of wrong length/alignment


def _raw_mh(layer) -> bytes:
    """The Mobility Header message's octets as captured (scapy keeps them
    in .original; rebuilding would re-pad)."""
    return bytes(layer.original) if getattr(layer, "original", None) else bytes(layer)


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
        opts = decode_options(_raw_mh(ba))
        out.append(Ba(t, ip.src, ip.dst, rh2, int(ba.status), int(ba.seq), int(ba.mhtime) * 4,
                      tuple(o for o in opts if isinstance(o, Bid)), tuple(o for o in opts if not isinstance(o, Bid))))
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


def bids_of(mh: Mh) -> list[Bid]:
    """The Binding Identifier options of a captured BU (or any MH message
    whose options start 12 octets in), from its raw octets."""
    return [o for o in decode_options(_raw_mh(mh.msg)) if isinstance(o, Bid)]


def brrs(packets: list[tuple[float, Any]], after: float = 0.0) -> list[Mh]:
    """The Binding Refresh Requests in a capture."""
    from scapy.layers.inet6 import MIP6MH_BRR
    return mh_messages(packets, MIP6MH_BRR, after)


def bes(packets: list[tuple[float, Any]], after: float = 0.0) -> list[Mh]:
    """The Binding Errors in a capture (msg.status, msg.ha: the home
    address, :: when the offending packet had no Home Address option)."""
    from scapy.layers.inet6 import MIP6MH_BE
    return mh_messages(packets, MIP6MH_BE, after)
