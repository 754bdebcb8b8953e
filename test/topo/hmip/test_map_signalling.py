"""mapd's answers to forged local binding updates (RFC 5380 §6.2 with the
home-agent rules of RFC 6275 §9.5, §10.3): 129 for an LCoA outside the
accepted prefixes (and no kernel state left for it), 132 for an RCoA
outside the MAP's prefix, 135 with the last accepted sequence number for a
stale one; a deregistration removes what the binding installed.

A testbed with mapd on MAP1 only (no ard, no mnd) and a forging host "fg"
on AR1's access link with two addresses: FG_IN in AR1's LCoA prefix and
FG_OUT in 2001:db8:1:19::/64, which MAP1 trusts (TrustedPrefix, so its
updates are read) but accepts as neither LcoaPrefix nor NeighbourPrefix.
fg sends the BUs (scapy, raw socket) and captures MAP1's BAs, which come
to the care-of address with a type 2 routing header holding the RCoA.
"""

from __future__ import annotations

import time

import kstate
import pytest
from hmip_topo import Options
from mh_forge import bas, local_bu, send_ipv6
from mobility import MAP_ADDR, wait_forgotten
from topo import until

MAP1 = MAP_ADDR["map1"]
FG_IN = "2001:db8:1:11::f0"
FG_OUT = "2001:db8:1:19::f0"


@pytest.fixture(scope="module")
def sig(module_testbed):
    tb = module_testbed(Options())
    tb.start_mapds(("map1",), extra="TrustedPrefix 2001:db8:1:19::/64;\n")
    fg = tb.add_host("fg", "ar1", [FG_IN, FG_OUT])
    cap = tb.topo.sniff(fg, "fg0", "fg0", "ip6")
    yield tb, cap
    cap.stop()


def exchange(tb, cap, lcoa: str, rcoa: str, seq: int, lifetime_s: int, timeout: float = 60.0):
    """Sends fg's BU (LCoA `lcoa`, RCoA `rcoa`) to MAP1 and returns MAP1's
    first BA to it. The BU is resent every second while none has come (a new
    binding's first BU is absorbed while MAP1 runs DAD for the RCoA)."""
    t0 = time.time()
    last_sent = [0.0]

    def answer():
        if time.time() - last_sent[0] > 1.0:
            send_ipv6(tb.n("fg"), local_bu(lcoa, MAP1, rcoa, seq, lifetime_s))
            last_sent[0] = time.time()
        got = bas(cap.packets(), after=t0, dst=lcoa)
        return got[0] if got else None
    return until(answer, timeout, 0.1, f"MAP1's BA to {lcoa} for RCoA {rcoa} seq {seq}")


def refused(mapd, status: int) -> int:
    return mapd.show("counters")["bu_refused"].get(str(status), 0)


def test_lcoa_outside_prefixes_gets_129(sig):
    tb, cap = sig
    mapd = tb.daemons["mapd-map1"]
    rcoa = "2001:db8:1::5:1"
    n0 = refused(mapd, 129)
    ba = exchange(tb, cap, FG_OUT, rcoa, 100, 60)
    assert (ba.status, ba.rh2, ba.src) == (129, rcoa, MAP1), ba
    mapd.wait_show("counters", {"bu_refused": {"129": n0 + 1}}, 30)
    assert not [b for b in mapd.show("bindings") if b["rcoa"] == rcoa]
    assert not [p for p in mapd.show("pending") if p["rcoa"] == rcoa]
    # No kernel state: the BA's transient route2 state is gone too.
    wait_forgotten(tb.n("map1"), "mapd", rcoa)
    objs = kstate.objects(tb.n("map1"), "mapd")
    assert not objs["links"] and not objs["routes"] and not objs["proxies"], objs


def test_rcoa_outside_map_prefix_gets_132(sig):
    tb, cap = sig
    mapd = tb.daemons["mapd-map1"]
    rcoa = "2001:db8:2::5:2"  # MAP2's RCoA prefix
    n0 = refused(mapd, 132)
    ba = exchange(tb, cap, FG_IN, rcoa, 200, 60)
    assert (ba.status, ba.rh2) == (132, rcoa), ba
    mapd.wait_show("counters", {"bu_refused": {"132": n0 + 1}}, 30)
    assert not [b for b in mapd.show("bindings") if b["rcoa"] == rcoa]
    wait_forgotten(tb.n("map1"), "mapd", rcoa)


def test_stale_sequence_gets_135_then_deregistration(sig):
    tb, cap = sig
    mapd = tb.daemons["mapd-map1"]
    rcoa = "2001:db8:1::7:1"
    ba = exchange(tb, cap, FG_IN, rcoa, 1000, 60)
    assert (ba.status, ba.seq, ba.rh2) == (0, 1000, rcoa), ba
    mapd.wait_show("bindings", [{"rcoa": rcoa, "lcoa": FG_IN, "sequence": 1000, "install_pending": False}], 30)
    objs = kstate.objects(tb.n("map1"), "mapd")
    assert [x for x in objs["links"] if x.endswith(f"remote {FG_IN}")], objs
    assert f"proxy {rcoa} dev up0" in objs["proxies"], objs

    n0 = refused(mapd, 135)
    # Older, equal, and 2^15 - 1 back (still "less than" modulo 2^16, RFC 6275 §9.5.1).
    for stale in (999, 1000, (1000 - 0x7FFF) & 0xFFFF):
        ba = exchange(tb, cap, FG_IN, rcoa, stale, 60)
        assert (ba.status, ba.seq) == (135, 1000), f"BU seq {stale}: {ba}"
    mapd.wait_show("counters", {"bu_refused": {"135": n0 + 3}}, 30)
    mapd.wait_show("bindings", [{"rcoa": rcoa, "lcoa": FG_IN, "sequence": 1000}], 10)

    # A newer number is accepted: lifetime 0 deregisters; nothing remains.
    ba = exchange(tb, cap, FG_IN, rcoa, 1001, 0)
    assert (ba.status, ba.seq) == (0, 1001), ba
    mapd.wait_show("bindings", lambda v: not [b for b in v if b["rcoa"] == rcoa], 30)
    wait_forgotten(tb.n("map1"), "mapd", rcoa)
    assert not kstate.objects(tb.n("map1"), "mapd")["links"]
