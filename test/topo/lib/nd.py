"""Neighbor Discovery helpers for the scenario tests: RA summaries from
scapy-dissected captures (for json_cmp subset matches), RS/RA builders, and
tshark field extraction."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Iterable, Optional

from scapy.layers.inet6 import (ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptAdvInterval, ICMPv6NDOptDNSSL,
                                ICMPv6NDOptMAP, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS,
                                ICMPv6NDOptRouteInfo, ICMPv6NDOptSrcLLAddr, IPv6)
from scapy.layers.l2 import Ether

ALL_NODES = "ff02::1"
ALL_ROUTERS = "ff02::2"


def ra_summary(ts: float, pkt) -> dict:
    """One captured RA as a plain dict: addresses, header fields, options."""
    ip = pkt[IPv6]
    ra = pkt[ICMPv6ND_RA]
    d: dict[str, Any] = {
        "time": ts, "eth_dst": pkt[Ether].dst, "src": ip.src, "dst": ip.dst, "hlim": ip.hlim,
        "cur_hop_limit": ra.chlim, "m": ra.M, "o": ra.O, "prf": ra.prf, "router_lifetime": ra.routerlifetime,
        "reachable_time": ra.reachabletime, "retrans_timer": ra.retranstimer,
        "prefixes": [], "maps": [], "rdnss": [], "dnssl": [], "routes": [],
    }
    opt = ra.payload
    while opt is not None and opt.__class__.__name__ != "NoPayload":
        if isinstance(opt, ICMPv6NDOptPrefixInfo):
            d["prefixes"].append({"prefix": opt.prefix, "length": opt.prefixlen, "l": opt.L, "a": opt.A, "r": opt.R,
                                  "valid": opt.validlifetime, "preferred": opt.preferredlifetime})
        elif isinstance(opt, ICMPv6NDOptMAP):
            d["maps"].append({"address": opt.addr, "dist": opt.dist, "pref": opt.pref, "r": opt.R,
                              "valid": opt.validlifetime})
        elif isinstance(opt, ICMPv6NDOptMTU):
            d["mtu"] = opt.mtu
        elif isinstance(opt, ICMPv6NDOptAdvInterval):
            d["adv_interval"] = opt.advint
        elif isinstance(opt, ICMPv6NDOptSrcLLAddr):
            d["slla"] = opt.lladdr
        elif isinstance(opt, ICMPv6NDOptRDNSS):
            d["rdnss"].append({"lifetime": opt.lifetime, "servers": list(opt.dns)})
        elif isinstance(opt, ICMPv6NDOptDNSSL):
            d["dnssl"].append({"lifetime": opt.lifetime, "domains": [x.decode() if isinstance(x, bytes) else x
                                                                     for x in opt.searchlist]})
        elif isinstance(opt, ICMPv6NDOptRouteInfo):
            d["routes"].append({"prefix": opt.prefix, "length": opt.plen, "prf": opt.prf,
                                "lifetime": opt.rtlifetime})
        opt = opt.payload
    return d


def ras(packets: Iterable[tuple[float, Any]], src: Optional[str] = None, dst: Optional[str] = None,
        after: float = 0.0) -> list[dict]:
    """The RAs among captured packets (optionally from src / to dst / later
    than `after`), summarised."""
    out = []
    for ts, p in packets:
        if ts <= after or ICMPv6ND_RA not in p or IPv6 not in p:
            continue
        if src and p[IPv6].src != src:
            continue
        if dst and p[IPv6].dst != dst:
            continue
        out.append(ra_summary(ts, p))
    return out


def map_of(ra: dict, address: str) -> Optional[dict]:
    return next((m for m in ra["maps"] if m["address"] == address), None)


def rss(packets: Iterable[tuple[float, Any]], src: Optional[str] = None) -> list[tuple[float, Any]]:
    return [(ts, p) for ts, p in packets if ICMPv6ND_RS in p and (src is None or p[IPv6].src == src)]


def rs_frame(mac: str, src: str, slla: bool = True, hlim: int = 255, dst: str = ALL_ROUTERS, code: int = 0):
    """An Ethernet frame with a Router Solicitation (scapy computes the checksum)."""
    eth_dst = "33:33:00:00:00:02" if dst == ALL_ROUTERS else "33:33:00:00:00:01"
    f = Ether(src=mac, dst=eth_dst) / IPv6(src=src, dst=dst, hlim=hlim) / ICMPv6ND_RS(code=code)
    if slla:
        f = f / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    return f


def ra_frame(mac: str, src: str, hlim: int = 255, code: int = 0, options=None, router_lifetime: int = 0):
    """An Ethernet frame with a Router Advertisement to all nodes."""
    f = Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src=src, dst=ALL_NODES, hlim=hlim) / \
        ICMPv6ND_RA(code=code, routerlifetime=router_lifetime, chlim=0)
    f = f / ICMPv6NDOptSrcLLAddr(lladdr=mac)
    for o in options or []:
        f = f / o
    return f


def tshark_fields(pcap: Path, display_filter: str, fields: list[str]) -> list[dict[str, list[str]]]:
    """`tshark -T json -e FIELD...`: per matching packet, each field's values
    (every occurrence, in packet order; absent fields are left out)."""
    args = ["tshark", "-r", str(pcap), "-T", "json", "-Y", display_filter]
    for f in fields:
        args += ["-e", f]
    with tempfile.TemporaryDirectory(prefix="tshark-home-") as home:  # no user profile
        r = subprocess.run(args, text=True, capture_output=True, env={**os.environ, "HOME": home}, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"tshark failed: {r.stderr}")
    return [p["_source"]["layers"] for p in json.loads(r.stdout or "[]")]
