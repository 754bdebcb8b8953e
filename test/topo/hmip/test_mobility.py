"""mapd + mnd in the namespace testbed: registration, the tunnel, moves,
and what is left in the kernel afterwards (issue 4, "Tests").

One testbed for the whole module (the suite runs in an emulated VM): ard on
AR1..AR3, mapd on MAP1 and MAP2, mnd on the MN. The tests run in
file order and build on each other's state: the MN registers at MAP1 from
AR1, moves to AR2 (same MAP), then to AR3 (MAP2), and the daemons are
finally killed and restarted (mapd adopting the MN's binding), stopped, and
killed and restarted again. Each test first waits for the state
it starts from, so a failure says where the chain broke.
"""

from __future__ import annotations

import json
import signal
import time

import kstate
import pytest
from handover import format_gaps, handover_gaps
from hmip_plan import PLAN
from hmip_topo import Options
from mh_forge import forged_ba, send_ipv6
from mobility import (MAP_ADDR, bul_entry, in_prefix, plain, registered, tunnelled, wait_clean,
                      wait_forgotten)
from probe import ProbeStream
from topo import until

MAP1, MAP2, CN = MAP_ADDR["map1"], MAP_ADDR["map2"], PLAN.cn


@pytest.fixture(scope="module")
def tb(module_testbed):
    tb = module_testbed(Options())
    tb.start_ards()
    tb.start_mapds()
    tb.attach("ar1")
    tb.start_mnd()
    return tb


def test_registration_and_tunnel_traffic(tb):
    mnd, mapd1 = tb.daemons["mnd"], tb.daemons["mapd-map1"]
    map1, mn = tb.n("map1"), tb.n("mn")
    lcoa = tb.wait_lcoa("ar1")
    b = registered(tb, "map1", lcoa)
    rcoa = b["rcoa"]
    assert in_prefix(rcoa, PLAN.maps["map1"].rcoa_prefix), b
    mnd.wait_show("status", {"chosen_map": MAP1, "hmipv6_active": True}, 30)
    mnd.wait_show("tunnel", {"local": lcoa, "remote": MAP1, "rcoa": rcoa}, 30)
    mapd1.wait_show("bindings", [{"rcoa": rcoa, "lcoa": lcoa, "proxy_interface": "up0", "install_pending": False}],
                    60)

    # The kernel objects of the binding on both ends.
    objs = kstate.objects(map1, "mapd")
    assert [x for x in objs["links"] if x.endswith(f"remote {lcoa}")], objs
    assert [r for r in objs["routes"] if r.startswith(f"{rcoa} dev hmipm")], objs
    assert f"proxy {rcoa} dev up0" in objs["proxies"], objs
    assert objs["nft"] == [f"inet {kstate.NFT_TABLE}"], objs
    mobjs = kstate.objects(mn, "mnd")
    assert [x for x in mobjs["links"] if x.endswith(f"remote {MAP1}")], mobjs
    assert len(mobjs["rules"]) >= 3, mobjs
    # (mnd's tunnel view names the access interface it runs over, not the ip6tnl device.)
    tun = [x["ifname"] for x in kstate.links(mn, "hmipn") if kstate.tunnel_remote(x) == MAP1]
    homes = [(link["ifname"], a) for link in json.loads(mn.run("ip", "-j", "-6", "addr", "show"))
             for a in link.get("addr_info", []) if a.get("local") == rcoa]
    assert [a for ifname, a in homes if ifname in tun and a.get("home")], \
        f"the RCoA is not on the tunnel {tun} with the home flag: {homes}"

    cap = tb.topo.sniff(map1, "ar1", "map1-ar1", "ip6")
    try:
        # CN -> RCoA: tunnelled MAP1 -> LCoA; the answer comes back reverse-tunnelled.
        t0 = time.time()
        until(lambda: tb.ping("cn", rcoa), 60, 0.5, "CN reaching the RCoA")
        cap.wait(lambda ps: tunnelled(ps, MAP1, lcoa, CN, rcoa, "request", t0), 30,
                 "CN's echo request to the RCoA in the tunnel MAP1 -> LCoA")
        cap.wait(lambda ps: tunnelled(ps, lcoa, MAP1, rcoa, CN, "reply", t0), 30,
                 "the MN's echo reply from the RCoA in the tunnel LCoA -> MAP1")
        # MN -> CN with the default source: the RCoA, through the tunnel (RFC 5380 §6.5).
        t1 = time.time()
        assert tb.ping("mn", CN, count=2), "the MN cannot reach CN from its RCoA"
        cap.wait(lambda ps: tunnelled(ps, lcoa, MAP1, rcoa, CN, "request", t1), 30,
                 "the MN's echo request (source RCoA) reverse-tunnelled")
        cap.wait(lambda ps: tunnelled(ps, MAP1, lcoa, CN, rcoa, "reply", t1), 30, "CN's reply tunnelled to the MN")
        # Sourced from the LCoA: direct, not encapsulated, not dropped by MAP1's ingress check.
        dropped = mapd1.show("counters")["ingress_dropped_packets"]
        t2 = time.time()
        assert tb.ping("mn", CN, count=2, source=lcoa), "the MN cannot reach CN from its LCoA"
        cap.wait(lambda ps: plain(ps, lcoa, CN, "request", t2), 30, "the echo request from the LCoA, unencapsulated")
        cap.wait(lambda ps: plain(ps, CN, lcoa, "reply", t2), 30, "CN's reply to the LCoA, unencapsulated")
        assert tunnelled(cap.packets(), lcoa, MAP1, lcoa, None, None, t2) is None, "LCoA traffic was tunnelled"
        assert mapd1.show("counters")["ingress_dropped_packets"] == dropped
    finally:
        cap.stop()


def test_forged_ba_ignored(tb):
    """RFC 5380 §6.1: a BA without a type 2 routing header holding the RCoA
    is ignored. The kernel itself drops an RH2 whose address is not a home
    address of the MN (ipv6_rthdr_rcv), so "another RCoA" is a second
    address with the home flag on the MN, not one of mnd's bindings."""
    mnd, mn = tb.daemons["mnd"], tb.n("mn")
    b = registered(tb, "map1", tb.wait_lcoa("ar1"))
    lcoa, rcoa = b["lcoa"], b["rcoa"]
    c0 = mnd.show("counters")
    other = "2001:db8:1::beef"
    mn.run("ip", "-6", "addr", "add", f"{other}/128", "dev", "lo", "home", "nodad")
    try:
        # From AR1 (on the MN's path), with MAP1's address as source.
        send_ipv6(tb.n("ar1"), forged_ba(MAP1, lcoa, None, b["sequence"], lifetime_s=8))
        mnd.wait_show("counters", {"ba_no_rh2": c0["ba_no_rh2"] + 1}, 30)
        send_ipv6(tb.n("ar1"), forged_ba(MAP1, lcoa, other, b["sequence"], lifetime_s=8))
        mnd.wait_show("counters", {"ba_wrong_rh2": c0["ba_wrong_rh2"] + 1}, 30)
    finally:
        mn.run("ip", "-6", "addr", "del", f"{other}/128", "dev", "lo", check=False)
    c1 = mnd.show("counters")
    assert c1["ba_accepted"] == c0["ba_accepted"] and c1["ba_refused"] == c0["ba_refused"], (c0, c1)
    after = bul_entry(tb, rcoa)
    keep = ("lcoa", "sequence", "registered", "primary", "granted_lifetime", "last_status")
    assert after is not None and {k: after[k] for k in keep} == {k: b[k] for k in keep}, (b, after)


def test_spoofed_reverse_tunnel_dropped(tb):
    """Reverse-tunnelled packets whose inner source is not the RCoA bound to
    the tunnel are dropped at MAP1 and counted; the RCoA's own pass."""
    from scapy.layers.inet import UDP
    from scapy.layers.inet6 import IPv6
    from scapy.packet import Raw
    mapd1, mn = tb.daemons["mapd-map1"], tb.n("mn")
    b = registered(tb, "map1", tb.wait_lcoa("ar1"))
    lcoa, rcoa, spoof = b["lcoa"], b["rcoa"], "2001:db8:1::bad"

    def pkt(inner_src: str, tag: bytes):
        return IPv6(src=lcoa, dst=MAP1) / IPv6(src=inner_src, dst=CN) / UDP(sport=40000, dport=9) / Raw(tag)

    def at_cn(ps, src: str):
        from scapy.layers.inet6 import IPv6 as V6
        return [p for _, p in ps if V6 in p and p[V6].src == src]

    cap = tb.topo.sniff(tb.n("cn"), "c0", "cn-udp9", "udp port 9")
    try:
        dropped = mapd1.show("counters")["ingress_dropped_packets"]
        send_ipv6(mn, pkt(rcoa, b"good"), 3)
        cap.wait(lambda ps: len(at_cn(ps, rcoa)) >= 3, 30, "the RCoA-sourced tunnelled packets at CN")
        send_ipv6(mn, pkt(spoof, b"spoofed"), 5)
        mapd1.wait_show("counters", {"ingress_dropped_packets": dropped + 5}, 30)
        # One more good packet behind the spoofed ones: once it is at CN, a
        # spoofed packet let through would be there too.
        send_ipv6(mn, pkt(rcoa, b"good"), 1)
        cap.wait(lambda ps: len(at_cn(ps, rcoa)) >= 4, 30, "the last good packet at CN")
        assert not at_cn(cap.packets(), spoof), "a spoofed inner source went through MAP1"
        assert mapd1.show("counters")["ingress_dropped_packets"] == dropped + 5
    finally:
        cap.stop()


def test_intra_map_move_keeps_rcoa(tb):
    mnd, mapd1 = tb.daemons["mnd"], tb.daemons["mapd-map1"]
    b = registered(tb, "map1", tb.wait_lcoa("ar1"))
    rcoa = b["rcoa"]
    moves0 = mnd.show("counters")["intra_map_moves"]
    # Signalling on the MN's link during the move, kept for diagnosis (mn0-intra.pcap).
    cap = tb.topo.sniff(tb.n("mn"), "mn0", "mn0-intra", "ip6 and not udp port 5555")
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), rcoa, tb.outdir, name="intra", interval=0.02).start()
    try:
        until(lambda: probe.arrivals(), 60, 0.2, "the stream CN -> RCoA before the move")
        mv = tb.move("ar2")
        lcoa2 = tb.wait_lcoa("ar2")
        b2 = registered(tb, "map1", lcoa2)
        assert b2["rcoa"] == rcoa, (b, b2)
        mapd1.wait_show("bindings", [{"rcoa": rcoa, "lcoa": lcoa2, "neighbour_domain": False}], 60)
        until(lambda: [a for a in probe.arrivals() if a.recv > mv.carrier_up and a.dst == rcoa], 60, 0.2,
              "the stream to the RCoA arriving after the move")
    finally:
        arrivals = probe.stop()
        cap.stop()
    print(format_gaps(handover_gaps(arrivals, [mv.mark()])))
    # Updated in place: still one tunnel, now to the new LCoA.
    links = kstate.objects(tb.n("map1"), "mapd")["links"]
    assert len(links) == 1 and links[0].endswith(f"remote {lcoa2}"), links
    mnd.wait_show("counters", {"intra_map_moves": lambda n: n > moves0}, 30)
    assert mnd.show("status")["chosen_map"] == MAP1


def test_inter_map_move_forwards_then_expires(tb):
    """A new MAP: a new RCoA at MAP2 at once, and MAP1 forwards the old
    RCoA's packets to the new LCoA for PreviousMapLifetime (RFC 5380 §8),
    then the binding expires: nothing of it is left on MAP1 or the MN."""
    mnd, mapd1 = tb.daemons["mnd"], tb.daemons["mapd-map1"]
    old = registered(tb, "map1", tb.wait_lcoa("ar2"))
    rcoa1 = old["rcoa"]
    expired0 = mapd1.show("counters")["expired"]
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), rcoa1, tb.outdir, name="inter", interval=0.05).start()
    try:
        until(lambda: probe.arrivals(), 60, 0.2, "the stream CN -> old RCoA before the move")
        mv = tb.move("ar3")
        lcoa3 = tb.wait_lcoa("ar3")
        # The short forwarding binding first: it lasts ~12 s, however long MAP2 takes.
        mapd1.wait_show("bindings", [{"rcoa": rcoa1, "lcoa": lcoa3, "neighbour_domain": True,
                                      "lifetime_s": lambda s: 0 < s <= 16}], 60)
        until(lambda: [a for a in probe.arrivals() if a.recv > mv.carrier_up and a.dst == rcoa1], 60, 0.2,
              "packets to the old RCoA reaching the MN after the move (forwarded by MAP1)")
        new = registered(tb, "map2", lcoa3)
        rcoa2 = new["rcoa"]
        assert in_prefix(rcoa2, PLAN.maps["map2"].rcoa_prefix) and rcoa2 != rcoa1, new
        # The short binding expires (not deregistered early, RFC 5380 §9).
        mapd1.wait_show("bindings", lambda v: v == [], 60)
        t_expired = time.time()
        mapd1.wait_show("counters", {"expired": expired0 + 1}, 10)
    finally:
        arrivals = probe.stop()
    late = [a for a in arrivals if a.recv > mv.carrier_up]
    print(f"old RCoA: {len(late)} packets after the move, the last "
          f"{(max(a.recv for a in late) - mv.carrier_up):.1f} s after it; binding gone "
          f"{t_expired - mv.carrier_up:.1f} s after it")
    wait_forgotten(tb.n("map1"), "mapd", rcoa1)
    assert not kstate.objects(tb.n("map1"), "mapd")["links"]
    until(lambda: bul_entry(tb, rcoa1) is None, 60, 0.2, "mnd dropping the expired previous binding")
    wait_forgotten(tb.n("mn"), "mnd", rcoa1)
    assert mnd.show("status")["chosen_map"] == MAP2


def test_mapd_crash_restart_adopts_bindings(tb):
    """kill -9 of MAP2's mapd with the MN registered, then a restart (issue
    13 item 13): the new mapd shows the binding at once (adopted from the
    kernel: the same tunnel device), its BRR makes the MN re-register
    within seconds (its own refresh is minutes away), and CN -> RCoA
    packets keep arriving through the tunnel across the kill and the
    restart."""
    mnd, mn, map2 = tb.daemons["mnd"], tb.n("mn"), tb.n("map2")
    lcoa = tb.wait_lcoa("ar3")
    b = registered(tb, "map2", lcoa)
    rcoa = b["rcoa"]
    mapd2 = tb.daemons["mapd-map2"]
    mapd2.wait_show("bindings", [{"rcoa": rcoa, "lcoa": lcoa, "install_pending": False}], 60)
    tunnel = [x["ifname"] for x in kstate.links(map2, "hmipm") if kstate.tunnel_remote(x) == lcoa]
    assert len(tunnel) == 1, kstate.objects(map2, "mapd")
    ifindex = kstate.links(map2, tunnel[0])[0]["ifindex"]
    n0 = mnd.show("counters")
    probe = ProbeStream(tb.n("cn"), mn, rcoa, tb.outdir, name="mapd-restart", interval=0.05).start()
    try:
        until(lambda: probe.arrivals(), 60, 0.2, "the stream CN -> RCoA before the kill")
        t_kill = time.time()
        mapd2.stop(sig=signal.SIGKILL)
        mapd2 = tb.start_mapd("map2")
        t_up = time.time()
        # Right after start: the binding is in the cache (adopted, or already
        # refreshed if the MN was that quick), in the same tunnel device.
        first = mapd2.show("bindings")
        assert [x["rcoa"] for x in first] == [rcoa] and first[0]["lcoa"] == lcoa, first
        assert [x["ifindex"] for x in kstate.links(map2, "hmipm")] == [ifindex], kstate.objects(map2, "mapd")
        c = mapd2.wait_show("counters", {"bindings_adopted": 1, "adoption_refused": 0,
                                         "brr_adopted_sent": lambda n: n >= 1, "adopted_reregistered": 1,
                                         "bu_adopted_any_sequence": 1}, 15)
        t_rereg = time.time()
        # Re-registered: a full lifetime again, no longer adopted; mnd answered the BRR.
        mapd2.wait_show("bindings", [{"rcoa": rcoa, "lcoa": lcoa, "adopted": False,
                                      "lifetime_s": lambda s: s > 20}], 10)
        mnd.wait_show("counters", {"brr_received": lambda n: n > n0["brr_received"],
                                   "brr_answered": lambda n: n > n0["brr_answered"]}, 10)
        mnd.wait_show("bul", [{"rcoa": rcoa, "registered": True, "primary": True}], 10)
        until(lambda: [a for a in probe.arrivals() if a.recv > t_rereg + 0.5], 30, 0.2,
              "the stream after the re-registration")
    finally:
        arrivals = probe.stop()
    # Not one packet of the stream lost from before the kill to after the
    # re-registration: the kernel carried it throughout (before issue 13
    # item 13 the restart removed the binding: nothing arrived until the
    # MN's next refresh).
    window = sorted((a for a in arrivals if t_kill - 1.0 <= a.recv <= t_rereg + 0.5 and a.dst == rcoa),
                    key=lambda a: a.seq)
    assert window and min(a.recv for a in window) < t_kill and max(a.recv for a in window) > t_up, \
        (t_kill, t_up, window[:1], window[-1:])
    seqs = {a.seq for a in window}
    lost = sorted(set(range(window[0].seq, window[-1].seq + 1)) - seqs)
    recv = sorted(a.recv for a in window)
    gap = max((y - x for x, y in zip(recv, recv[1:])), default=0.0)
    print(f"mapd restart: up {t_up - t_kill:.2f} s after the kill, re-registered {t_rereg - t_up:.2f} s after "
          f"the start, {len(window)} packets, {len(lost)} lost, largest gap {gap:.2f} s; counters {c}")
    assert not lost, f"CN -> RCoA lost {len(lost)} packets across the mapd restart: seq {lost[:20]}"
    # One tunnel, the same device as before the kill.
    assert [x["ifindex"] for x in kstate.links(map2, "hmipm")] == [ifindex], kstate.objects(map2, "mapd")


def test_clean_stop_and_crash_restart(tb):
    mn, map1, map2 = tb.n("mn"), tb.n("map1"), tb.n("map2")
    b = registered(tb, "map2", tb.wait_lcoa("ar3"))
    # A clean stop: mnd deregisters, then removes everything it made.
    assert tb.daemons["mnd"].stop(timeout=20) == 0
    wait_clean(mn, "mnd")
    tb.daemons["mapd-map2"].wait_show("bindings", lambda v: v == [], 30)
    wait_forgotten(map2, "mapd", b["rcoa"])
    for m, node in (("map1", map1), ("map2", map2)):
        assert tb.daemons[f"mapd-{m}"].stop(timeout=20) == 0
        wait_clean(node, "mapd")

    # A crash: kill -9 leaves the objects; the next start reconciles.
    mapd2 = tb.start_mapd("map2")
    tb.start_mnd()
    b = registered(tb, "map2", tb.wait_lcoa("ar3"))
    mapd2.wait_show("bindings", [{"rcoa": b["rcoa"], "install_pending": False}], 60)
    for name in ("mnd", "mapd-map2"):
        tb.daemons[name].stop(sig=signal.SIGKILL)
    left_map, left_mn = kstate.leftovers(map2, "mapd"), kstate.leftovers(mn, "mnd")
    assert left_map.get("links") and left_mn.get("links"), (left_map, left_mn)
    mapd2 = tb.start_mapd("map2")
    # The binding is adopted (issue 13 item 13), but no mnd answers its
    # BRRs: it expires after its short lifetime, and its objects go with it.
    mapd2.wait_show("bindings", [{"rcoa": b["rcoa"], "adopted": True, "lifetime_s": 20}], 10)
    mapd2.wait_show("counters", {"bindings_adopted": 1, "adopted_expired": 1,
                                 "brr_adopted_sent": lambda n: n >= 2}, 60)
    until(lambda: not any(kstate.objects(map2, "mapd")[k] for k in ("links", "routes", "proxies")), 30, 0.2,
          f"mapd removing the expired adopted binding's objects {left_map}")
    wait_forgotten(map2, "mapd", b["rcoa"])
    tb.start_mnd()
    b2 = registered(tb, "map2", tb.wait_lcoa("ar3"))
    mapd2.wait_show("bindings", [{"rcoa": b2["rcoa"], "install_pending": False}], 60)
    mobjs, mapobjs = kstate.objects(mn, "mnd"), kstate.objects(map2, "mapd")
    assert len(mobjs["links"]) == 1 and len(mapobjs["links"]) == 1, (mobjs, mapobjs)
    assert tb.daemons["mnd"].stop(timeout=20) == 0
    assert mapd2.stop(timeout=20) == 0
    wait_clean(mn, "mnd")
    wait_clean(map2, "mapd")
