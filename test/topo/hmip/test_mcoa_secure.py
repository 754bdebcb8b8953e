"""Multiple CoA in secure mode (issue 15 with RFC 5380 §12): charon on MAP1
and on the MN, mapd and mnd driving them over VICI, the MN's mn0 on AR1's
link and mn1 on AR2's (both under MAP1, which advertises R = 1), mnd with
both interfaces (BID 1 and BID 2).

One testbed for the module, the tests in file order:
  * the RCoA leased from MAP1's pool through IKEv2 is registered with both
    BIDs (MAP1's cache: BID 1 at the AR1 LCoA, BID 2 at the AR2 LCoA);
    between the signalling LCoA and MAP1 only ESP, never a cleartext
    Mobility Header (on either interface); CN reaches the RCoA;
  * a forger on AR2's link sends cleartext BUs with BID options for the
    RCoA (BID 2 moved to its own address, a new BID 3 there, and a
    lifetime-0 BU for BID 1): the kernel drops them (XfrmInTmplMismatch)
    before mapd sees them, and MAP1's two BIDs stay as they were;
  * the interface carrying the signalling loses its carrier while the
    forger repeats its BUs (the worst moment: the protection moving to the
    other LCoA): the CN stream goes on through the other interface, MAP1
    keeps only the other BID (never the forger's), mnd's protection is up
    again from the remaining LCoA; the carrier back: both BIDs again.
"""

from __future__ import annotations

import time

import pytest
from hmip_plan import MN_IF, MN_IF2
from hmip_secure import SecureDomain, esp_and_clear_mh
from hmip_topo import Options
from inter_map import mn_rcoa
from mh_forge import Bid, mcoa_bu, send_ipv6
from mobility import MAP_ADDR, map_bids, wait_map_bids
from probe import ProbeStream
from topo import until

MAP1 = MAP_ADDR["map1"]
WHERE = {MN_IF: "ar1", MN_IF2: "ar2"}    # each MN interface's AR
BID = {MN_IF: 1, MN_IF2: 2}               # mnd's default: the position in mnd.conf
FG = "2001:db8:1:12::f0"                  # a forger on AR2's link (AR2's LCoA prefix)


@pytest.fixture(scope="module")
def sm(module_testbed):
    tb = module_testbed(Options(map_r_flag=True, second_mn_interface=True))
    sd = SecureDomain(tb, maps=("map1",))
    tb.start_ards(("ar1", "ar2"))
    tb.start_mapd("map1", secure=sd.mapd_ike("map1"))
    for i, ar in WHERE.items():
        tb.attach(ar, iface=i)
    for i, ar in WHERE.items():
        tb.wait_lcoa(ar, iface=i)
    caps = {i: tb.topo.sniff(tb.n("mn"), i, f"{i}-secure", "ip6") for i in WHERE}
    fg = tb.add_host("fg", "ar2", [FG])
    tb.mnd_started = time.time()
    tb.start_mnd(secure=sd.mnd_ike())
    yield tb, sd, caps, fg
    for c in caps.values():
        c.stop()


def both(tb, rcoa: str, timeout: float = 120.0) -> list[dict]:
    return wait_map_bids(tb, "map1", rcoa, {BID[i]: ar for i, ar in WHERE.items()}, timeout)


def rcoa_of(tb) -> str:
    return str(until(lambda: mn_rcoa(tb, "map1"), 120, 0.2, "the MN's RCoA from MAP1"))


def forge(fg, lcoa_of_mn: dict[str, str], rcoa: str, seq: int) -> None:
    """Cleartext BUs with BID options for the MN's RCoA from the forger: its
    own address for BID 2 and a new BID 3, then BID 1 deregistered."""
    send_ipv6(fg, mcoa_bu(FG, MAP1, rcoa, seq, 600, [Bid(2, coa=FG), Bid(3, coa=FG)]))
    send_ipv6(fg, mcoa_bu(FG, MAP1, rcoa, seq + 1, 0, [Bid(1, coa=lcoa_of_mn[MN_IF])]))


def test_leased_rcoa_registered_with_both_bids_over_esp(sm):
    tb, sd, caps, _ = sm
    t0 = tb.mnd_started
    rcoa = rcoa_of(tb)
    assert sd.in_pool("map1", rcoa), rcoa        # leased over IKEv2, not formed statelessly
    bs = both(tb, rcoa)
    lcoa = {i: tb.wait_lcoa(ar, iface=i) for i, ar in WHERE.items()}
    assert {b["bid"]: b["lcoa"] for b in bs} == {BID[i]: lcoa[i] for i in WHERE}, bs
    mnd, mapd = tb.daemons["mnd"], tb.daemons["mapd-map1"]
    e = until(lambda: [x for x in mnd.show("bul") if x["rcoa"] == rcoa and x["registered"] and x["multiple_coa"]],
              30, 0.2, "mnd's Multiple CoA binding")
    assert sorted(b["bid"] for b in e[0]["bids"] if b["registered"]) == [1, 2], e
    ike = mnd.wait_show("ike", {"secure": True, "maps": [{"map": MAP1, "state": "protected", "rcoa": rcoa}]}, 30)
    sig = ike["maps"][0]["lcoa"]
    assert sig in lcoa.values(), (ike, lcoa)
    until(lambda: tb.ping("cn", rcoa), 60, 0.5, f"CN reaches the RCoA {rcoa}")
    # On the signalling interface: ESP with MAP1; on neither a cleartext MH.
    sig_if = next(i for i in WHERE if lcoa[i] == sig)
    esp, clear = caps[sig_if].wait(lambda p: (lambda r: r if r[0] >= 2 else None)(esp_and_clear_mh(p, sig, MAP1, t0)),
                                   30, "ESP between the signalling LCoA and MAP1")
    assert clear == 0, (esp, clear)
    for i in WHERE:
        assert esp_and_clear_mh(caps[i].packets(), lcoa[i], MAP1, t0)[1] == 0, f"a cleartext MH on {i}"
    c = mapd.show("counters")
    assert c["bu_no_ike_sa"] == 0 and c["bu_ike_contested"] == 0, c


def test_forged_cleartext_bid_bus_are_dropped(sm):
    tb, _, _, fg = sm
    mapd = tb.daemons["mapd-map1"]
    rcoa = rcoa_of(tb)
    before = both(tb, rcoa)
    lcoa = {i: tb.wait_lcoa(ar, iface=i) for i, ar in WHERE.items()}
    c0 = mapd.show("counters")
    forge(fg, lcoa, rcoa, 50000)
    until(lambda: mapd.show("counters").get("kernel_XfrmInTmplMismatch", 0) >=
          c0.get("kernel_XfrmInTmplMismatch", 0) + 2, 30, 0.2, "the kernel counts the forged BUs")
    c = mapd.show("counters")
    assert c["bu_received"] == c0["bu_received"], "a forged BU reached mapd"
    after = both(tb, rcoa, 10)
    assert [(b["bid"], b["lcoa"]) for b in after] == [(b["bid"], b["lcoa"]) for b in before], after
    assert FG not in [b["lcoa"] for b in map_bids(tb, "map1", rcoa)]


def test_signalling_interface_lost_while_forged(sm):
    tb, _, _, fg = sm
    mnd, mapd = tb.daemons["mnd"], tb.daemons["mapd-map1"]
    rcoa = rcoa_of(tb)
    both(tb, rcoa)
    lcoa = {i: tb.wait_lcoa(ar, iface=i) for i, ar in WHERE.items()}
    ike = mnd.wait_show("ike", {"maps": [{"map": MAP1, "state": "protected", "rcoa": rcoa}]}, 30)
    dead = next(i for i in WHERE if lcoa[i] == ike["maps"][0]["lcoa"])
    alive = next(i for i in WHERE if i != dead)
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), rcoa, tb.outdir, name="mcoa-secure-loss", interval=0.02).start()
    try:
        until(lambda: len(probe.arrivals()) >= 20, 60, 0.1, "the CN stream at the RCoA")
        c0, n0 = mapd.show("counters"), mnd.show("counters")
        mv = tb.detach(dead)
        for k in range(5):  # while mnd moves its signalling and protection
            forge(fg, lcoa, rcoa, 50100 + 2 * k)
            time.sleep(0.05)
        until(lambda: len([a for a in probe.arrivals() if a.recv > mv.carrier_down]) >= 20, 60, 0.1,
              f"the stream going on after {dead}'s carrier loss")
        wait_map_bids(tb, "map1", rcoa, {BID[alive]: WHERE[alive]}, 60)
        mnd.wait_show("ike", {"maps": [{"map": MAP1, "state": "protected", "rcoa": rcoa, "lcoa": lcoa[alive]}]}, 60)
        c, n = mapd.show("counters"), mnd.show("counters")
        assert c.get("kernel_XfrmInTmplMismatch", 0) >= c0.get("kernel_XfrmInTmplMismatch", 0) + 10, (c0, c)
        # Nothing forged reached mapd: every BU it took is one mnd sent.
        assert c["bu_received"] - c0["bu_received"] <= n["bu_sent"] - n0["bu_sent"], (c0, c, n0, n)
        assert (c["bu_no_ike_sa"], c["bu_ike_contested"]) == (c0["bu_no_ike_sa"], c0["bu_ike_contested"]), (c0, c)
        assert FG not in [b["lcoa"] for b in map_bids(tb, "map1", rcoa)]
        # Carrier back: both BIDs again, still protected.
        tb.attach(WHERE[dead], iface=dead)
        both(tb, rcoa, 60)
        mnd.wait_show("ike", {"maps": [{"map": MAP1, "state": "protected", "rcoa": rcoa}]}, 30)
        t1 = time.time()
        until(lambda: [a for a in probe.arrivals() if a.recv > t1], 30, 0.1, "the stream with both BIDs back")
    finally:
        probe.stop()
