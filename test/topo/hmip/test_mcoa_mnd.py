"""Multiple Care-of Addresses (RFC 5648) end to end: mnd with two interfaces
(issue 15, "Then with mnd").

One testbed for the module: ard on AR1 and AR2, mapd on MAP1, the MN's mn0
on AR1's link and mn1 on AR2's, mnd with both interfaces (`Interface mn0;
Interface mn1;`: MultipleCoa auto = on, BID = the position in the file, so
mn0 is BID 1 and mn1 BID 2). Mobility Headers are captured on mn0 and mn1
from before mnd starts.

Tests, in order:
  * the registration: every BU carries BID options and leaves from one of
    the MN's LCoAs (a BID option without a CoA field is the BID of the LCoA
    the BU leaves from); a bulk BU carries BID 1 and BID 2 with each
    interface's LCoA and MAP1's BA to it both BID options (status 0); MAP1's
    cache holds both BIDs. (mnd registers the interface it hears MAP1 on
    first, mn0 or mn1 as the ARs' RAs happen to come; the other's RA comes
    tens of ms later, so the first BU may carry that one BID alone, and the
    bulk BU follows before its answer: the MAP absorbs it and answers its
    retransmission.)
  * a CN -> RCoA stream; the interface MAP1 sends it to loses its carrier:
    a lifetime-0 BU for its BID leaves by the other interface, MAP1 keeps
    only the other BID and the stream goes on; carrier back: that
    interface's BID is registered again (two BIDs in MAP1's cache);
  * a reload with `MultipleCoa off`: MAP1 holds one regular binding (BID 0)
    in place of the two BIDs, the BUs since carry no BID option, and a CN
    stream to the RCoA that MAP1 sends through BID 2 (a FlowPolicy) loses
    not one packet across it (make-before-break: the MAP installs the
    regular binding before removing the BIDs, mnd keeps the other
    interface's tunnel until the BA);
  * fallback (RFC 5648 §5.x): mnd restarted against MAP1 with `MultipleCoa
    ignore`: its BU's BID options go unanswered (BA without them), mnd keeps
    one regular binding (BID 0 at MAP1) and sends no more BID options; CN
    reaches the RCoA.
  * Multiple CoA towards the home agent in plain Mobile IPv6 mode (Hmipv6
    off; the HA, mapd in the home-agent role, started here): the HA holds
    two BIDs of the home address, one per interface's LCoA; a CN -> home
    address stream; the interface the HA sends it to loses its carrier: a
    lifetime-0 home BU for its BID leaves by the other interface, the HA
    keeps only the other BID, and the stream goes on, counted on the MN's
    home tunnel from the remaining LCoA (rx counters).
"""

from __future__ import annotations

import re
import time

import pytest
from handover import MoveMark, format_gaps, handover_gaps
from hmip_conf import mnd_config, mnd_home_block
from hmip_plan import MN_IF, MN_IF2, PLAN
from hmip_topo import Options, mapd_config
from inter_map import mn_rcoa
from mh_forge import MH_ONLY_BPF, bas, bids_of, bus
from mobility import MAP_ADDR, map_bids, wait_clean, wait_map_bids
from probe import ProbeStream
from topo import until

MAP1 = MAP_ADDR["map1"]
HA, HOA = PLAN.home.ha, PLAN.home.home_address
WHERE = {MN_IF: "ar1", MN_IF2: "ar2"}    # each MN interface's AR
BID = {MN_IF: 1, MN_IF2: 2}               # mnd's default: the position in mnd.conf


@pytest.fixture(scope="module")
def mc(module_testbed):
    tb = module_testbed(Options(second_mn_interface=True))
    tb.start_ards(("ar1", "ar2"))
    tb.start_mapds(("map1",))
    for i, ar in WHERE.items():
        tb.attach(ar, iface=i)
    for i, ar in WHERE.items():
        tb.wait_lcoa(ar, iface=i)
    caps = {i: tb.topo.sniff(tb.n("mn"), i, f"{i}-mh", MH_ONLY_BPF) for i in WHERE}
    tb.start_mnd()
    yield tb, caps
    for c in caps.values():
        c.stop()


def map_bindings(tb, rcoa: str) -> list[dict]:
    return map_bids(tb, "map1", rcoa)


def wait_bids(tb, rcoa: str, want: dict[int, str], timeout: float = 60.0) -> list[dict]:
    return wait_map_bids(tb, "map1", rcoa, want, timeout)


def rcoa_of(tb) -> str:
    return str(until(lambda: mn_rcoa(tb, "map1"), 60, 0.1, "the MN's RCoA from MAP1"))


def test_one_bulk_bu_registers_both(mc):
    tb, caps = mc
    lcoa = {i: tb.wait_lcoa(ar, iface=i) for i, ar in WHERE.items()}
    rcoa = rcoa_of(tb)
    bs = wait_bids(tb, rcoa, {BID[i]: ar for i, ar in WHERE.items()})
    assert {b["bid"]: b["lcoa"] for b in bs} == {BID[i]: lcoa[i] for i in WHERE}, bs
    assert len([b for b in bs if b["active"]]) == 1, bs
    # The registration as it went over the wire: BUs for the RCoA up to the
    # first BA that has both BIDs, each from one of the MN's LCoAs with BIDs.
    both = {BID[i]: lcoa[i] for i in WHERE}
    answers = sorted((b for c in caps.values() for b in bas(c.packets()) if b.rh2 == rcoa and b.bids),
                     key=lambda b: b.time)
    bulk_ba = next((b for b in answers if {x.bid: x.coa for x in b.bids} == both), None)
    assert bulk_ba is not None, f"no BA with BIDs {both}: {answers}"
    assert bulk_ba.status == 0 and [x.status for x in bulk_ba.bids] == [0, 0], bulk_ba
    sent = sorted((m for c in caps.values() for m in bus(c.packets()) if m.hao == rcoa and m.time <= bulk_ba.time),
                  key=lambda m: m.time)
    bid_of = {lcoa[i]: BID[i] for i in WHERE}
    assert sent and all(m.src in bid_of and bids_of(m) for m in sent), [(m.time, m.src, bids_of(m)) for m in sent]
    # RFC 5648: a BID option without a CoA field names the BU's source.
    bare = [(m.src, b.bid) for m in sent for b in bids_of(m) if b.coa is None]
    assert all(bid_of[src] == bid for src, bid in bare), bare
    bulk = [m for m in sent if int(m.msg.seq) == bulk_ba.seq]
    assert bulk and {b.bid: b.coa for b in bids_of(bulk[0])} == both, [(m.time, bids_of(m)) for m in sent]


def test_carrier_loss_keeps_the_stream(mc):
    tb, caps = mc
    rcoa = rcoa_of(tb)
    bs = wait_bids(tb, rcoa, {BID[i]: ar for i, ar in WHERE.items()})
    act = next(b for b in bs if b["active"])
    dead = next(i for i in WHERE if act["lcoa"] in tb.lcoas(iface=i))
    alive = next(i for i in WHERE if i != dead)
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), rcoa, tb.outdir, name="mcoa-loss", interval=0.02).start()
    try:
        until(lambda: len(probe.arrivals()) >= 20, 60, 0.1, "the CN stream at the RCoA")
        mv = tb.detach(dead)
        until(lambda: len([a for a in probe.arrivals() if a.recv > mv.carrier_down]) >= 20, 60, 0.1,
              f"the stream going on after {dead}'s carrier loss")
        wait_bids(tb, rcoa, {BID[alive]: WHERE[alive]}, 60)
        # mnd's lifetime-0 BU for the lost BID left by the remaining interface.
        dereg = [m for m in bus(caps[alive].packets(), after=mv.carrier_down)
                 if m.hao == rcoa and int(m.msg.mhtime) == 0 and [b.bid for b in bids_of(m)] == [BID[dead]]]
        assert dereg, f"no lifetime-0 BU for BID {BID[dead]} on {alive}"
        gaps = handover_gaps(probe.arrivals(), [MoveMark(f"{dead} off", mv.carrier_down, mv.carrier_down)])
        print(format_gaps(gaps))

        # Carrier back: registered again, both BIDs.
        back = tb.attach(WHERE[dead], iface=dead)
        wait_bids(tb, rcoa, {BID[i]: ar for i, ar in WHERE.items()}, 60)
        until(lambda: [a for a in probe.arrivals() if a.recv > time.time() - 1 and a.recv > back.t_end], 30, 0.1,
              "the stream after the interface came back")
    finally:
        probe.stop()


def test_reload_multiple_coa_off_keeps_the_stream(mc):
    tb, caps = mc
    mnd, mapd = tb.daemons["mnd"], tb.daemons["mapd-map1"]
    rcoa = rcoa_of(tb)
    wait_bids(tb, rcoa, {BID[i]: ar for i, ar in WHERE.items()})
    # The stream goes through BID 2 (mn1), not the signalling interface:
    # MAP1 may send through that BID until it has the regular binding.
    mapd.conf.write_text(mapd_config(PLAN, "map1", mapd.sock, "FlowPolicy { Bid 2; Protocol udp; DestinationPort 5555; };\n",
                                     tb.served_ars("map1")))
    r = mapd.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 0 and "reloaded" in r.stdout, r
    mapd.wait_show("flows", [{"bid": 2, "bindings": 1}], 10)
    e = next(x for x in mnd.show("bul") if x["rcoa"] == rcoa)
    assert [b["bid"] for b in e["bids"] if b["primary"]] == [BID[MN_IF]], e   # the signalling is mn0's
    lcoa2 = next(b["lcoa"] for b in e["bids"] if b["bid"] == BID[MN_IF2])
    tun2 = mn_tunnels(tb, MAP1).get(lcoa2)
    assert tun2, (lcoa2, mn_tunnels(tb, MAP1))
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), rcoa, tb.outdir, name="mcoa-off", interval=0.01, port=5555).start()
    try:
        until(lambda: len(probe.arrivals()) >= 20, 60, 0.1, "the CN stream at the RCoA")
        rx = rx_packets(tb, tun2)
        until(lambda: rx_packets(tb, tun2) >= rx + 20, 30, 0.1, f"the stream through mn1's tunnel {tun2}")
        c0 = mnd.show("counters")
        t0 = time.time()
        mnd.conf.write_text(mnd_config(mnd.sock, "MultipleCoa off;\n", None, tb.mn_interfaces()))
        r = mnd.hmipctl("reload", json_out=False, check=False)
        assert r.returncode == 0 and "reloaded" in r.stdout, r
        # MAP1: one regular binding (BID 0) in place of the two BIDs.
        def regular():
            v = map_bindings(tb, rcoa)
            return v if [b["bid"] for b in v] == [0] and not v[0]["install_pending"] else None
        bs = until(regular, 60, 0.1, "MAP1's regular binding of the RCoA")
        e = until(lambda: [x for x in mnd.show("bul") if x["rcoa"] == rcoa and x["registered"]
                           and not x["multiple_coa"]], 30, 0.1, "mnd's regular binding of the RCoA")
        assert len(e) == 1 and e[0]["bids"] == [], e
        assert bs[0]["lcoa"] in tb.lcoas(iface=MN_IF) + tb.lcoas(iface=MN_IF2), bs
        # The wire: from mnd's first BU without BID option on, no BU for
        # the RCoA carries one.
        after = sorted((m for c in caps.values() for m in bus(c.packets(), after=t0) if m.hao == rcoa),
                       key=lambda m: m.time)
        first = next((m.time for m in after if not bids_of(m)), None)
        assert first is not None, [(m.time, bids_of(m)) for m in after]
        assert not [m for m in after if m.time >= first and bids_of(m)], [(m.time, bids_of(m)) for m in after]
        # Make-before-break at both ends: not one probe lost across it (up
        # to the first arrival sent after the window).
        t1 = time.time()
        until(lambda: [a for a in probe.arrivals() if a.sent > t1 + 0.5], 30, 0.1, "the stream after the reload")
        got = probe.arrivals()
        lo = min(a.seq for a in got if a.sent >= t0 - 1.0)
        hi = min(a.seq for a in got if a.sent > t1 + 0.5)
        missing = sorted(set(range(lo, hi)) - {a.seq for a in got})
        assert not missing, f"{len(missing)} probes lost across the reload: {missing[:20]}"
        assert mnd.show("counters")["mcoa_fallbacks"] == c0["mcoa_fallbacks"]
    finally:
        probe.stop()


def test_fallback_when_the_map_ignores_bids(mc):
    tb, caps = mc
    mnd, mapd = tb.daemons["mnd"], tb.daemons["mapd-map1"]
    old = rcoa_of(tb)
    mnd.stop()
    mapd.wait_show("bindings", lambda v: not [b for b in v if b["rcoa"] == old], 30)
    mapd.conf.write_text(mapd_config(PLAN, "map1", mapd.sock, "MultipleCoa ignore;\n", tb.served_ars("map1")))
    r = mapd.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 0 and "reloaded" in r.stdout, r
    ignored0 = mapd.show("counters")["bu_bid_ignored"]
    t0 = time.time()
    tb.start_mnd()
    rcoa = rcoa_of(tb)
    bs = until(lambda: [b for b in map_bindings(tb, rcoa) if not b["install_pending"]], 60, 0.1,
               "MAP1's binding of the RCoA")
    assert [b["bid"] for b in bs] == [0], bs
    assert mapd.show("counters")["bu_bid_ignored"] > ignored0
    until(lambda: tb.ping("cn", rcoa), 60, 0.5, "CN reaching the RCoA")
    # After the BA without BID options, mnd sends no more of them (one binding).
    first_ba = min((b.time for c in caps.values() for b in bas(c.packets(), after=t0) if b.rh2 == rcoa), default=None)
    assert first_ba is not None, "MAP1's BA to the restarted mnd not captured"
    assert not [b for c in caps.values() for b in bas(c.packets(), after=t0) if b.bids], "a BA with BID options"
    later = [m for c in caps.values() for m in bus(c.packets(), after=first_ba + 0.01) if bids_of(m)]
    assert not later, [(m.time, bids_of(m)) for m in later]
    assert [b["bid"] for b in map_bindings(tb, rcoa)] == [0]


def ha_bids(tb, want: dict[int, str], timeout: float = 60.0) -> list[dict]:
    """Waits until the HA holds exactly the BIDs `want` ({bid: AR whose
    prefix the LCoA is in}) of the home address, installed."""
    return wait_map_bids(tb, "ha", HOA, want, timeout)


def mn_tunnels(tb, remote: str = HA) -> dict[str, str]:
    """The MN's ip6tnl devices to `remote` (the HA unless said): {local address: device}."""
    out = tb.n("mn").run("ip", "-d", "-o", "link", "show", "type", "ip6tnl")
    tun = {}
    for line in out.splitlines():
        m = re.search(r"^\d+: ([^:@]+)[:@].* remote (\S+) local (\S+)", line)
        if m and m.group(2) == remote:
            tun[m.group(3)] = m.group(1)
    return tun


def rx_packets(tb, dev: str) -> int:
    return int(tb.n("mn").run("cat", f"/sys/class/net/{dev}/statistics/rx_packets").strip())


def test_plain_home_mcoa(mc):
    tb, caps = mc
    for i, ar in WHERE.items():
        if tb.attached_to.get(i) is None:
            tb.attach(ar, iface=i)
    lcoa = {i: tb.wait_lcoa(ar, iface=i) for i, ar in WHERE.items()}
    tb.daemons["mnd"].stop()
    wait_clean(tb.n("mn"), "mnd")
    tb.start_ha()
    tb.start_mnd(extra=mnd_home_block(PLAN, hmipv6=False))
    mnd = tb.daemons["mnd"]
    bs = ha_bids(tb, {BID[i]: ar for i, ar in WHERE.items()})
    assert {b["bid"]: b["lcoa"] for b in bs} == {BID[i]: lcoa[i] for i in WHERE}, bs
    assert len([b for b in bs if b["active"]]) == 1, bs
    assert not mnd.show("bul"), "a MAP binding in plain Mobile IPv6 mode"
    # One home tunnel per registered LCoA on the MN.
    tun = mn_tunnels(tb)
    assert set(tun) == set(lcoa.values()), tun
    act = next(b for b in bs if b["active"])
    dead = next(i for i in WHERE if lcoa[i] == act["lcoa"])
    alive = next(i for i in WHERE if i != dead)
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), HOA, tb.outdir, name="home-mcoa", interval=0.02).start()
    try:
        until(lambda: len(probe.arrivals()) >= 20, 60, 0.1, "the CN stream at the home address")
        rx0 = rx_packets(tb, tun[lcoa[alive]])
        mv = tb.detach(dead)
        ha_bids(tb, {BID[alive]: WHERE[alive]}, 60)
        until(lambda: len([a for a in probe.arrivals() if a.recv > mv.carrier_down]) >= 20, 60, 0.1,
              f"the stream to the home address going on after {dead}'s carrier loss")
        # It came through the home tunnel from the remaining LCoA (the same
        # device: the receive-only tunnel became the primary's).
        after = mn_tunnels(tb)
        assert after.get(lcoa[alive]) == tun[lcoa[alive]], (tun, after)
        assert lcoa[dead] not in after, after
        got = rx_packets(tb, tun[lcoa[alive]]) - rx0
        assert got >= 20, f"{got} packets through {tun[lcoa[alive]]} ({alive}) after {dead}'s loss"
        # mnd's lifetime-0 home BU for the lost BID left by the remaining interface.
        dereg = [m for m in bus(caps[alive].packets(), after=mv.carrier_down)
                 if m.hao == HOA and m.dst == HA and int(m.msg.mhtime) == 0
                 and [b.bid for b in bids_of(m)] == [BID[dead]]]
        assert dereg and dereg[0].src == lcoa[alive], f"no lifetime-0 home BU for BID {BID[dead]} from {alive}"
        gaps = handover_gaps(probe.arrivals(), [MoveMark(f"{dead} off", mv.carrier_down, mv.carrier_down)])
        print(format_gaps(gaps))
    finally:
        probe.stop()
    # Carrier back: its BID registered again.
    tb.attach(WHERE[dead], iface=dead)
    ha_bids(tb, {BID[i]: ar for i, ar in WHERE.items()}, 60)
