"""Did an inter-MAP move really happen? The checks the demo
(hmip_testbed_cli.py demo) and the secure move scenario
(test/topo/hmip/test_security_move.py) share (issue 13 item 1): after the
MN moved into `map_name`'s domain, with LCoA `lcoa` there,

  1. the MN holds an RCoA from that MAP's prefix,
  2. mnd's binding update list shows it registered (primary) at that MAP
     from `lcoa`,
  3. the MAP's binding cache (hmipctl mapd show bindings -j in its
     namespace) binds that RCoA to `lcoa`,
  4. packets the CN sends to the new RCoA reach the MN through the MAP's
     tunnel (they arrive on the MN's ip6tnl whose remote is that MAP).

Each check polls; a failure raises InterMapFailure saying which step
failed and what was seen instead. No sleeps.
"""

from __future__ import annotations

import ipaddress
import json
from dataclasses import dataclass, field
from typing import Optional

from hmip_plan import PLAN
from probe import Arrival, ProbeStream
from topo import json_cmp, until


class InterMapFailure(AssertionError):
    """The inter-MAP registration did not complete; the message says which
    step failed."""


@dataclass
class InterMapResult:
    map_name: str
    lcoa: str
    rcoa: str = ""
    bul: dict = field(default_factory=dict)
    binding: dict = field(default_factory=dict)
    tunnel: str = ""                      # the MN's tunnel device to the MAP
    tunnel_ifindex: int = 0
    arrivals: list[Arrival] = field(default_factory=list)  # the stream to the new RCoA


def mn_rcoa(tb, map_name: str) -> Optional[str]:
    """The MN's address inside `map_name`'s RCoA prefix (wherever mnd put
    it), or None. Reads `ip -6 addr`, not mnd's view."""
    net = ipaddress.ip_network(PLAN.maps[map_name].rcoa_prefix)
    data = json.loads(tb.n("mn").run("ip", "-j", "-6", "addr", "show") or "[]")
    for link in data:
        for a in link.get("addr_info", []):
            if a.get("scope") == "global" and ipaddress.ip_address(a["local"]) in net:
                return a["local"]
    return None


def mn_tunnel_to(tb, map_name: str) -> Optional[tuple[str, int]]:
    """(name, ifindex) of the MN's ip6tnl whose remote is `map_name`'s
    address, or None."""
    want = ipaddress.ip_address(PLAN.maps[map_name].address)
    for link in json.loads(tb.n("mn").run("ip", "-d", "-j", "link", "show") or "[]"):
        info = link.get("linkinfo", {})
        remote = info.get("info_data", {}).get("remote")
        if info.get("info_kind") != "ip6tnl" or not remote:
            continue
        try:
            if ipaddress.ip_address(remote) == want:
                return link["ifname"], link["ifindex"]
        except ValueError:  # ip6tnl0, the fallback device: remote "any"
            continue
    return None


def _poll(pred, timeout: float, step: str):
    try:
        return until(pred, timeout, 0.2, step)
    except AssertionError as e:
        raise InterMapFailure(f"{step}: {e}") from None


def _poll_json(get, expected, timeout: float, step: str):
    last = None

    def match():
        nonlocal last
        last = get()
        return json_cmp(last, expected) is None
    try:
        until(match, timeout, 0.2, step)
    except AssertionError:
        raise InterMapFailure(f"{step}: not seen within {timeout:.0f} s; last: {json.dumps(last)[:1500]}") from None
    return last


def check_inter_map_move(tb, map_name: str, lcoa: str, timeout: float = 60.0, packets: int = 20,
                         first_seq: int = 0, interval: float = 0.02, port: int = 5556) -> InterMapResult:
    """Runs checks 1-4 above (module comment); returns what was found, or
    raises InterMapFailure. The stream of check 4 is CN -> new RCoA on UDP
    `port`, numbered from `first_seq` (to continue another stream's
    numbering in a plot); it stops after `packets` arrivals through the
    tunnel."""
    mp = PLAN.maps[map_name]
    r = InterMapResult(map_name, lcoa)
    r.rcoa = _poll(lambda: mn_rcoa(tb, map_name), timeout,
                   f"the MN holding an RCoA from {map_name.upper()} ({mp.rcoa_prefix})")
    want = {"map": mp.address, "rcoa": r.rcoa, "lcoa": lcoa, "registered": True, "primary": True}
    bul = _poll_json(lambda: tb.daemons["mnd"].show("bul"), [want], timeout,
                     f"the MN's binding update list showing RCoA {r.rcoa} registered at "
                     f"{map_name.upper()} {mp.address} from LCoA {lcoa}")
    r.bul = next(b for b in bul if json_cmp(b, want) is None)
    cache = _poll_json(lambda: tb.daemons[f"mapd-{map_name}"].show("bindings"), [{"rcoa": r.rcoa, "lcoa": lcoa}],
                       timeout, f"{map_name.upper()}'s binding cache binding {r.rcoa} to {lcoa}")
    r.binding = next(b for b in cache if b["rcoa"] == r.rcoa)
    tun = _poll(lambda: mn_tunnel_to(tb, map_name), timeout, f"the MN's tunnel to {map_name.upper()}")
    r.tunnel, ifindex = tun
    r.tunnel_ifindex = ifindex
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), r.rcoa, tb.outdir, name=f"probe-{map_name}", port=port,
                        interval=interval, first_seq=first_seq).start()
    try:
        def through() -> list[Arrival]:
            arr = [a for a in probe.arrivals() if a.dst == r.rcoa and a.ifindex == ifindex]
            return arr if len(arr) >= packets else []
        try:
            until(through, timeout, 0.2, "")
        except AssertionError:
            seen = probe.arrivals()
            raise InterMapFailure(
                f"the CN's packets to the new RCoA {r.rcoa} arriving at the MN through {map_name.upper()}'s "
                f"tunnel {r.tunnel} (ifindex {ifindex}): {len(seen)} arrived in {timeout:.0f} s, "
                f"{sum(a.ifindex == ifindex for a in seen)} of them on the tunnel") from None
    finally:
        r.arrivals = probe.stop()
    return r
