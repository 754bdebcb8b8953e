"""Multiple Care-of Addresses (RFC 5648) at the MAP, with a forged mobile
node (issue 15): mapd on MAP1, no mnd.

One testbed for the module: ard on AR1 and AR2, mapd on MAP1, the MN with
two interfaces, mn0 on AR1's link (LCoA1) and mn1 on AR2's (LCoA2), both in
MAP1's domain. The test plays the mobile node: it puts the RCoA on the MN's
lo and two ip6ip6 tunnels LCoA1 -> MAP1 (mt1, over mn0) and LCoA2 -> MAP1
(mt2, over mn1) on it, and sends the Binding Updates itself (scapy, raw BID
options: lib/mh_forge.py), each out of the interface its source LCoA belongs
to. BAs are captured on mn0/mn1 and their BID options decoded from the raw
octets; tshark decodes the bulk BU and its BA independently (mip6.bi.*).

Tests, in order (each builds on the state the one before left):
  * the bulk BU (BID 1 CoA LCoA1, BID 2 CoA LCoA2, from LCoA1) is on the
    wire as meant (tshark); BA status 0 with both BID options; the cache
    holds both BIDs, BID 1 active (its CoA is the BU's own: the newest);
    MAP1 has a tunnel to each LCoA;
  * a CN -> RCoA stream arrives through mt1 only (the receiver's ifindex,
    the tunnels' rx counters); a lifetime-0 BU for BID 1 (from LCoA2) moves
    it to mt2 with no other BU; BID 1 registered again becomes active;
  * RCoA -> CN through each tunnel reaches the CN (MAP1's ingress check
    passes both), a forged inner source through either is dropped (counted);
  * a FlowPolicy (reload) puts UDP to port 5555 on BID 2, pings stay on 1;
  * the status paths over the wire: 164 (BID 0, the same BID twice), 165 (a
    regular binding exists), 167 (bulk, no CoA, unknown BID), 169 (H), 4
    (one BID's CoA outside LcoaPrefix: 129 for it, the other bound), 133
    (lifetime 0 for an unknown BID); by reload: 166 (MultipleCoa off), 168
    (BulkRegistration off), and MultipleCoa ignore: a BA without BID option.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import count

import kstate
import pytest
from hmip_plan import MN_IF, MN_IF2, PLAN
from hmip_topo import Options, mapd_config
from mh_forge import MH_ONLY_BPF, Bid, bas, local_bu, mcoa_bu, send_ipv6
from mobility import MAP_ADDR
from nd import tshark_fields
from probe import ProbeStream
from topo import until

MAP1, CN = MAP_ADDR["map1"], PLAN.cn
RCOA = "2001:db8:1::15:1"          # the forged MN's RCoA (MAP1's prefix)
OUTSIDE = "2001:db8:1:19::f0"      # a CoA in no LcoaPrefix of MAP1 (BID status 129)
TUN = {1: "mt1", 2: "mt2"}          # the MN's tunnel of each BID
PORT = 5555                         # the probe stream's UDP port (FlowPolicy)


class Mn:
    """The forged mobile node's state: LCoAs, captures, sequence numbers."""

    def __init__(self, tb):
        self.tb = tb
        self.node = tb.n("mn")
        self.mapd = tb.daemons["mapd-map1"]
        self.lcoa = {1: tb.wait_lcoa("ar1"), 2: tb.wait_lcoa("ar2", iface=MN_IF2)}
        self.dev = {1: MN_IF, 2: MN_IF2}
        self.cap = {i: tb.topo.sniff(self.node, self.dev[i], f"{self.dev[i]}-mh", MH_ONLY_BPF) for i in (1, 2)}
        self.seqs: dict[str, count] = {}
        self.extra = ""

    def seq(self, rcoa: str) -> int:
        """The next sequence number for `rcoa` (per address, RFC 5648 §5.3)."""
        return next(self.seqs.setdefault(rcoa, count(100)))

    def exchange(self, rcoa: str, bids, lifetime_s: int = 120, via: int = 1, timeout: float = 30.0):
        """Sends a BU for `rcoa` from LCoA `via` out of its interface (with
        the BID options `bids`; None: a plain RFC 5380 BU) and returns MAP1's
        BA to it (matched by RH2 and sequence number). Resent every 2 s while
        none came (MAP1 answers a new address after its DAD, 0.3 s; a
        resend counts as one more BU in MAP1's counters)."""
        seq = self.seq(rcoa)
        src = self.lcoa[via]
        pkt = (local_bu(src, MAP1, rcoa, seq, lifetime_s) if bids is None
               else mcoa_bu(src, MAP1, rcoa, seq, lifetime_s, bids))
        t0 = time.time()
        last = [0.0]

        def answer():
            if time.time() - last[0] > 2.0:
                send_ipv6(self.node, pkt, dev=self.dev[via])
                last[0] = time.time()
            got = [b for b in bas(self.cap[via].packets(), after=t0, dst=src) if b.rh2 == rcoa and b.seq == seq]
            return got[0] if got else None
        return until(answer, timeout, 0.05, f"MAP1's BA to {src} for {rcoa} seq {seq}")

    def bindings(self, rcoa: str) -> dict[int, dict]:
        return {b["bid"]: b for b in self.mapd.show("bindings") if b["rcoa"] == rcoa}

    def wait_bids(self, rcoa: str, bids: dict[int, str], active: int | None, timeout: float = 30.0) -> dict:
        """Waits until MAP1's cache holds exactly the BIDs `bids` ({bid:
        LCoA}) of `rcoa`, installed, with `active` the active one."""
        def ok():
            got = self.bindings(rcoa)
            if {k: v["lcoa"] for k, v in got.items()} != bids:
                return None
            if any(v["install_pending"] for v in got.values()):
                return None
            if active is not None and [k for k, v in got.items() if v.get("active")] != [active]:
                return None
            return got
        try:
            return until(ok, timeout, 0.1, f"MAP1's bindings of {rcoa}: {bids}, active {active}")
        except AssertionError as e:
            raise AssertionError(f"{e}\nbindings: {json.dumps(self.bindings(rcoa), indent=1)}") from None

    def reload(self, extra: str) -> None:
        """mapd.conf with `extra` lines, reloaded (`hmipctl mapd reload`:
        synchronous, exit 0 once the new file is in force)."""
        d = self.mapd
        d.conf.write_text(mapd_config(PLAN, "map1", d.sock, extra, self.tb.served_ars("map1")))
        r = d.hmipctl("reload", json_out=False, check=False)
        assert r.returncode == 0 and "reloaded" in r.stdout, f"mapd reload with {extra!r}: {r.stdout}{r.stderr}"
        self.extra = extra

    def tunnel_stats(self) -> dict[str, dict]:
        """{tunnel: {"ifindex", "rx", "tx"}} of mt1/mt2 (packets)."""
        out = {}
        for x in json.loads(self.node.run("ip", "-j", "-s", "link", "show")):
            if x["ifname"] in TUN.values():
                st = x.get("stats64", x.get("stats", {}))
                out[x["ifname"]] = {"ifindex": x["ifindex"], "rx": st["rx"]["packets"], "tx": st["tx"]["packets"]}
        return out

    def refused(self) -> dict[str, int]:
        return dict(self.mapd.show("counters")["bu_refused"])


@pytest.fixture(scope="module")
def mn(module_testbed):
    tb = module_testbed(Options(second_mn_interface=True))
    tb.start_ards(("ar1", "ar2"), wait=False)  # mapd starts meanwhile; SLAAC waits for their RAs
    tb.start_mapds(("map1",), extra="")
    tb.attach("ar1")
    tb.attach("ar2", iface=MN_IF2)
    m = Mn(tb)
    # The forged MN's data path: the RCoA (lo) and one tunnel per LCoA, bound
    # to the LCoA's interface. The LCoAs are optimistic (usable at once). No
    # link-local address on the tunnels: their MLD reports would reach MAP1
    # as reverse-tunnelled packets from fe80:: and count as ingress drops.
    tb._ip_batch(m.node, [f"addr add {RCOA}/128 dev lo nodad"] + [
        x for i in (1, 2) for x in (f"link add {TUN[i]} type ip6tnl mode ip6ip6 local {m.lcoa[i]} remote {MAP1} "
                                    f"dev {m.dev[i]}", f"link set {TUN[i]} addrgenmode none",
                                    f"link set {TUN[i]} up")])
    yield m
    for c in m.cap.values():
        c.stop()


def test_bulk_registration(mn):
    """The bulk BU with BIDs 1 and 2 (tshark decodes it as meant), MAP1's BA
    with both BID options (status 0), both in the cache, BID 1 active, a
    MAP1 tunnel to each LCoA with the RCoA routed into both."""
    l1, l2 = mn.lcoa[1], mn.lcoa[2]
    ba = mn.exchange(RCOA, [Bid(1, coa=l1), Bid(2, coa=l2)], 600)
    # The BU as it left mn0 and the BA, read by Wireshark's dissector: one
    # tshark run in the background (it takes 10-20 s to start in the VM).
    pcap = mn.cap[1].snapshot("mn0-bulk.pcap")
    fields = ["mip6.mhtype", "mip6.bu.seqnr", "mip6.ba.seqnr", "mip6.ba.status", "mip6.bu.m_flag", "mip6.bi.bid",
              "mip6.bi.status", "mip6.bi.h_flag", "mip6.bi.coa_ipv6", "ipv6.opt.mipv6.home_address", "_ws.expert"]
    with ThreadPoolExecutor(1) as pool:
        dissected = pool.submit(tshark_fields, pcap, f"(mip6.mhtype == 5 && mip6.bu.seqnr == {ba.seq}) || "
                                                     f"(mip6.mhtype == 6 && mip6.ba.seqnr == {ba.seq})", fields)
        _check_bulk_registration(mn, ba)
        seen = dissected.result(timeout=120)
    bus = [x for x in seen if x["mip6.mhtype"] == ["5"]]
    tshark_bas = [x for x in seen if x["mip6.mhtype"] == ["6"]]
    assert bus, f"tshark found no BU seq {ba.seq} in {pcap}: {seen}"
    bu = bus[0]
    assert (bu["mip6.bi.bid"], bu["mip6.bi.status"], bu["mip6.bi.coa_ipv6"]) == \
        (["1", "2"], ["0", "0"], [l1, l2]), bu
    assert bu["mip6.bi.h_flag"] in (["0", "0"], ["False", "False"]), bu
    assert bu["ipv6.opt.mipv6.home_address"] == [RCOA] and "_ws.expert" not in bu, bu
    assert tshark_bas and tshark_bas[0].get("mip6.bi.bid") == ["1", "2"] and \
        tshark_bas[0].get("mip6.bi.status") == ["0", "0"], tshark_bas


def _check_bulk_registration(mn, ba) -> None:
    """MAP1's answer to the bulk BU and its state (while tshark runs)."""
    l1, l2 = mn.lcoa[1], mn.lcoa[2]
    # One BA, status 0, both BID options copied (status 0), read from its octets.
    assert (ba.status, ba.src, ba.lifetime_s > 0) == (0, MAP1, True), ba
    assert [(b.bid, b.status, b.h, b.coa) for b in ba.bids] == [(1, 0, False, l1), (2, 0, False, l2)], ba
    assert not ba.other_options, ba
    got = mn.wait_bids(RCOA, {1: l1, 2: l2}, active=1)
    assert got[1]["rank"] > got[2]["rank"], got
    # MAP1's kernel: a tunnel to each LCoA, the RCoA routed into both (main table).
    map1 = mn.tb.n("map1")
    tunnels = {x["ifname"]: kstate.tunnel_remote(x) for x in kstate.links(map1, kstate.TAGS["mapd"]["link"])}
    assert sorted(r for r in tunnels.values()) == sorted([l1, l2]), tunnels
    routes = json.loads(map1.run("ip", "-6", "-j", "route", "show", f"{RCOA}/128", "proto", "203"))
    assert sorted(r["dev"] for r in routes) == sorted(tunnels), (routes, tunnels)


def _stream_arrivals(probe, after: float, n: int, what: str) -> list:
    """The probe's arrivals received after `after`, once there are `n`."""
    def enough():
        got = [x for x in probe.arrivals() if x.recv > after]
        return got if len(got) >= n else None
    return until(enough, 60, 0.1, what)


def test_stream_follows_the_active_binding(mn):
    """CN -> RCoA arrives through BID 1's tunnel only; deregistering BID 1
    (from LCoA2) moves it to BID 2's with no other BU; BID 1 back."""
    from scapy.layers.inet6 import MIP6MH_BU
    l1, l2 = mn.lcoa[1], mn.lcoa[2]
    mn.wait_bids(RCOA, {1: l1, 2: l2}, active=1)
    s0 = mn.tunnel_stats()
    probe = ProbeStream(mn.tb.n("cn"), mn.node, RCOA, mn.tb.outdir, name="mcoa-stream", interval=0.02).start()
    try:
        first = _stream_arrivals(probe, 0, 20, "20 packets of the CN stream at the RCoA")
        s1 = mn.tunnel_stats()
        assert {a.ifindex for a in first} == {s0["mt1"]["ifindex"]}, (first[:3], s0)
        assert s1["mt1"]["rx"] - s0["mt1"]["rx"] >= 20 and s1["mt2"]["rx"] == s0["mt2"]["rx"], (s0, s1)

        # BID 1 deregistered (its interface about to go): from LCoA2.
        ba = mn.exchange(RCOA, [Bid(1)], 0, via=2)
        assert ba.status == 0 and [(b.bid, b.status) for b in ba.bids] == [(1, 0)], ba
        t_ba = ba.time
        mn.wait_bids(RCOA, {2: l2}, active=2)
        after = _stream_arrivals(probe, t_ba + 0.5, 20, "20 packets after BID 1's deregistration")
        assert {a.ifindex for a in after} == {s0["mt2"]["ifindex"]}, after[:3]
        # Nothing but the one BU went to MAP1 in between (the forged MN sends nothing else).
        bus_sent = [p for c in mn.cap.values() for t, p in c.packets() if t > t_ba and MIP6MH_BU in p]
        assert not bus_sent, bus_sent
    finally:
        probe.stop()

    # BID 1 again, a single-BID BU from LCoA1: the newest, so active again.
    ba = mn.exchange(RCOA, [Bid(1, coa=l1)], 600, via=1)
    assert ba.status == 0 and [(b.bid, b.status) for b in ba.bids] == [(1, 0)], ba
    mn.wait_bids(RCOA, {1: l1, 2: l2}, active=1)


def test_reverse_traffic_and_ingress(mn):
    """RCoA -> CN through each tunnel passes MAP1's ingress check; a forged
    inner source through either is dropped there and counted."""
    from scapy.layers.inet import UDP
    from scapy.layers.inet6 import IPv6
    from scapy.packet import Raw
    mapd = mn.mapd
    mn.wait_bids(RCOA, {1: mn.lcoa[1], 2: mn.lcoa[2]}, active=1)
    dropped = mapd.show("counters")["ingress_dropped_packets"]
    try:
        for i in (1, 2):
            mn.node.run("ip", "-6", "route", "replace", f"{CN}/128", "dev", TUN[i])
            s0 = mn.tunnel_stats()
            rtts = mn.tb.rtt_ms("mn", CN, count=3, source=RCOA)
            assert len(rtts) == 3, f"RCoA -> CN through {TUN[i]}: {len(rtts)} of 3 echoes answered"
            s1 = mn.tunnel_stats()
            assert s1[TUN[i]]["tx"] - s0[TUN[i]]["tx"] >= 3, (TUN[i], s0, s1)
    finally:
        mn.node.run("ip", "-6", "route", "del", f"{CN}/128", check=False)
    assert mapd.show("counters")["ingress_dropped_packets"] == dropped

    spoof = "2001:db8:1::bad"

    def at_cn(ps, src):
        return [p for _, p in ps if IPv6 in p and p[IPv6].src == src]
    cap = mn.tb.topo.sniff(mn.tb.n("cn"), "c0", "cn-udp9", "udp port 9")
    try:
        for i in (1, 2):
            pkt = IPv6(src=mn.lcoa[i], dst=MAP1) / IPv6(src=spoof, dst=CN) / UDP(sport=40000, dport=9) / Raw(b"x")
            send_ipv6(mn.node, pkt, 3, dev=mn.dev[i])
        mapd.wait_show("counters", {"ingress_dropped_packets": dropped + 6}, 30)
        good = IPv6(src=mn.lcoa[2], dst=MAP1) / IPv6(src=RCOA, dst=CN) / UDP(sport=40000, dport=9) / Raw(b"ok")
        send_ipv6(mn.node, good, 1, dev=mn.dev[2])
        cap.wait(lambda ps: at_cn(ps, RCOA), 30, "the RCoA's packet behind the forged ones at CN")
        assert not at_cn(cap.packets(), spoof), "a forged inner source went through MAP1"
    finally:
        cap.stop()


def test_flow_policy_splits_flows(mn):
    """FlowPolicy {Bid 2; udp; port 5555} by reload: the UDP stream through
    BID 2's tunnel, CN's pings to the RCoA through BID 1's (the active)."""
    mn.wait_bids(RCOA, {1: mn.lcoa[1], 2: mn.lcoa[2]}, active=1)
    mn.reload(f"FlowPolicy {{ Bid 2; Protocol udp; DestinationPort {PORT}; }};\n")
    try:
        mn.mapd.wait_show("flows", [{"bid": 2, "bindings": 1}], 10)
        s0 = mn.tunnel_stats()
        probe = ProbeStream(mn.tb.n("cn"), mn.node, RCOA, mn.tb.outdir, name="mcoa-flow", interval=0.02,
                            port=PORT).start()
        try:
            _stream_arrivals(probe, 0, 20, "20 packets of the UDP flow")
            # CN's pings while the flow runs: 5 echo requests, all answered.
            rtts = mn.tb.rtt_ms("cn", RCOA, count=5)
            s1 = mn.tunnel_stats()
        finally:
            arrivals = probe.stop()
        assert len(rtts) == 5, f"CN -> RCoA: {len(rtts)} of 5 echoes answered"
        # The flow came through BID 2's tunnel only, and BID 1's tunnel
        # received exactly the 5 echo requests (so none went through mt2).
        assert {a.ifindex for a in arrivals} == {s0["mt2"]["ifindex"]}, arrivals[:3]
        assert s1["mt1"]["rx"] - s0["mt1"]["rx"] == 5, (s0, s1)
    finally:
        mn.reload("")


def _refusal(mn, rcoa, bids, want_status, via=1, lifetime_s=120):
    ba = mn.exchange(rcoa, bids, lifetime_s, via=via)
    assert ba.status == want_status, f"BIDs {bids}: {ba}"
    return ba


def test_status_whole_bu(mn):
    """164 (BID 0; the same BID twice), 165 (a regular binding exists),
    167 (bulk BU, no CoA, BIDs unknown), 169 (H set): nothing bound."""
    l1, l2 = mn.lcoa[1], mn.lcoa[2]
    r0 = mn.refused()
    a = "2001:db8:1::15:64"
    _refusal(mn, a, [Bid(0, coa=l1)], 164)
    _refusal(mn, a, [Bid(1, coa=l1), Bid(1, coa=l2)], 164)
    ba = _refusal(mn, "2001:db8:1::15:67", [Bid(1), Bid(2)], 167)
    assert [b.bid for b in ba.bids] == [1, 2], ba
    _refusal(mn, "2001:db8:1::15:69", [Bid(1, h=True, coa=l1)], 169)
    # 165: a regular binding first, then an MCoA BU for the same address.
    b = "2001:db8:1::15:65"
    assert mn.exchange(b, None, 120).status == 0
    mn.mapd.wait_show("bindings", [{"rcoa": b, "bid": 0, "install_pending": False}], 30)
    _refusal(mn, b, [Bid(1, coa=l1)], 165)
    assert set(mn.bindings(b)) == {0}, mn.bindings(b)
    assert mn.exchange(b, None, 0).status == 0
    r1 = mn.refused()
    delta = {k: r1.get(k, 0) - r0.get(k, 0) for k in ("164", "165", "169")}
    assert delta == {"164": 2, "165": 1, "169": 1}, (r0, r1)
    assert r1.get("167", 0) > r0.get("167", 0), (r0, r1)
    for x in (a, "2001:db8:1::15:67", "2001:db8:1::15:69"):
        assert not mn.bindings(x), (x, mn.bindings(x))
    mn.mapd.wait_show("bindings", lambda v: not [y for y in v if y["rcoa"] == b], 30)


def test_status_per_bid(mn):
    """4: BID 2's CoA outside every LcoaPrefix (129), BID 1 bound; then 133
    for lifetime 0 on a BID the address does not have."""
    l1 = mn.lcoa[1]
    e = "2001:db8:1::15:4"
    ba = _refusal(mn, e, [Bid(1, coa=l1), Bid(2, coa=OUTSIDE)], 4)
    assert [(b.bid, b.status) for b in ba.bids] == [(1, 0), (2, 129)], ba
    mn.wait_bids(e, {1: l1}, active=1)
    ba = _refusal(mn, e, [Bid(9)], 133, lifetime_s=0)
    assert [(b.bid, b.status) for b in ba.bids] == [(9, 0)], ba  # one BID: the BA's status is its
    assert set(mn.bindings(e)) == {1}
    assert mn.exchange(e, [Bid(1)], 0).status == 0
    mn.mapd.wait_show("bindings", lambda v: not [y for y in v if y["rcoa"] == e], 30)


def test_status_by_configuration(mn):
    """MultipleCoa off -> 166; BulkRegistration off -> 168 for two BIDs;
    MultipleCoa ignore -> a regular binding, BA without BID option."""
    l1, l2 = mn.lcoa[1], mn.lcoa[2]
    f = "2001:db8:1::15:66"
    c0 = mn.mapd.show("counters")
    try:
        mn.reload("MultipleCoa off;\n")
        _refusal(mn, f, [Bid(1, coa=l1)], 166)
        mn.reload("BulkRegistration off;\n")
        _refusal(mn, f, [Bid(1, coa=l1), Bid(2, coa=l2)], 168)
        assert not mn.bindings(f)
        mn.reload("MultipleCoa ignore;\n")
        g = "2001:db8:1::15:6"
        ba = mn.exchange(g, [Bid(1, coa=l1)], 120)
        assert ba.status == 0 and ba.bids == () and not ba.other_options, ba
        got = mn.mapd.wait_show("bindings", [{"rcoa": g, "bid": 0, "lcoa": l1, "install_pending": False}], 30)
        assert [x["bid"] for x in got if x["rcoa"] == g] == [0], got
        assert mn.exchange(g, None, 0).status == 0
    finally:
        mn.reload("")
    c1 = mn.mapd.show("counters")
    r0, r1 = c0["bu_refused"], c1["bu_refused"]
    assert {k: r1.get(k, 0) - r0.get(k, 0) for k in ("166", "168")} == {"166": 1, "168": 1}, (r0, r1)
    assert c1["bu_bid_ignored"] > c0["bu_bid_ignored"], (c0, c1)
    # The MCoA bindings of the first tests are still there, untouched by the reloads.
    mn.wait_bids(RCOA, {1: l1, 2: l2}, active=1)
