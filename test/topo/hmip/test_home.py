"""Home registration in the namespace testbed (issue 14, insecure testbed
mode): mnd registers its RCoA with the HA (mapd in the home-agent role),
a correspondent reaches the node by its home address through the HA's
tunnel nested in the MAP's, a move under one MAP sends the HA nothing, a
move to another MAP sends it exactly one BU, the node deregisters when it
comes home, and plain Mobile IPv6 mode registers the LCoA directly.

One testbed for the module; the tests run in file order and build on each
other's state (each first waits for the state it starts from).
"""

from __future__ import annotations

import signal
import time

import kstate
import pytest
from hmip_conf import mnd_home_block
from hmip_plan import PLAN
from hmip_topo import Options
from mh_forge import BU_FLAG_A, BU_FLAG_H, BU_FLAG_M, bas, bus, home_bu, mh_messages, send_ipv6
from mobility import MAP_ADDR, in_prefix, nested, registered, wait_clean
from probe import ProbeStream
from topo import until

MAP1, MAP2, CN = MAP_ADDR["map1"], MAP_ADDR["map2"], PLAN.cn
HA, HOA = PLAN.home.ha, PLAN.home.home_address


@pytest.fixture(scope="module")
def tb(module_testbed):
    tb = module_testbed(Options())
    tb.start_ards()
    tb.start_home_ard()
    tb.start_mapds()
    tb.start_ha()
    tb.attach("ar1")
    # The whole registration on the MN's link, for the wire checks below.
    tb.first_cap = tb.topo.sniff(tb.n("ar1"), "acc0", "acc0-first", "ip6")
    tb.start_mnd(extra=mnd_home_block(PLAN))
    return tb


def home_bas(packets):
    """The BAs in a capture wherever they were (inside a MAP tunnel too):
    mh_forge.Mh with the innermost IPv6 header's addresses."""
    from scapy.layers.inet6 import MIP6MH_BA
    return mh_messages(packets, MIP6MH_BA)


def home_binding(tb, coa: str | None = None, timeout: float = 120.0) -> dict:
    """The HA's binding of the home address (role home), once installed
    (to `coa` if given)."""
    want = {"rcoa": HOA, "role": "home", "install_pending": False}
    if coa:
        want["lcoa"] = coa
    got = tb.daemons["mapd-ha"].wait_show("bindings", [want], timeout)
    return next(b for b in got if b["rcoa"] == HOA)


def mn_home(tb, want: dict, timeout: float = 120.0) -> dict:
    """mnd's home registration view once it matches `want`."""
    return tb.daemons["mnd"].wait_show("home", want, timeout)


def test_home_registration_nested_tunnel(tb):
    """RFC 5380 §6.1: after MAP1's BA, a home BU with the RCoA as care-of
    address; CN -> home address arrives through HA -> RCoA inside MAP1 ->
    LCoA, and the node's answer goes back reverse-tunnelled through both
    (MAP1's ingress check lets only the RCoA out of its tunnel)."""
    lcoa = tb.wait_lcoa("ar1")
    b = registered(tb, "map1", lcoa)
    rcoa = b["rcoa"]
    hb = home_binding(tb, rcoa)
    assert hb["proxy_interface"] == "home0", hb
    st = mn_home(tb, {"home_agent": HA, "home_address": f"{HOA}/64", "coa": rcoa, "status": "registered",
                      "mode": "hmipv6", "via_map": MAP1})
    # The home registration never outlives the MAP's grant (RFC 5380 §6.1 MUST).
    assert 0 < st["granted_lifetime"] <= b["granted_lifetime"], (st, b)
    # On the wire (decoded by scapy): the home BU left from the RCoA with
    # the home address in a HAO, inside MAP1's tunnel; the HA's BA came back
    # to the RCoA with a type 2 routing header holding the home address.
    cap0 = tb.first_cap
    try:
        cap0.wait(lambda ps: [m for m in bus(ps) if m.src == rcoa and m.dst == HA], 30, "the home BU")
        cap0.wait(lambda ps: [x for x in home_bas(ps) if x.src == HA], 30, "the HA's BA")
    finally:
        cap0.stop()
    hbu = next(m for m in bus(cap0.packets()) if m.src == rcoa and m.dst == HA)
    assert hbu.hao == HOA and hbu.outer == (lcoa, MAP1), hbu
    flags = int(hbu.msg.flags)
    assert flags & BU_FLAG_A and flags & BU_FLAG_H and not flags & BU_FLAG_M, hex(flags)
    hba = next(x for x in home_bas(cap0.packets()) if x.src == HA)
    assert (hba.dst, hba.rh2, hba.outer, int(hba.msg.status)) == (rcoa, HOA, (MAP1, lcoa), 0), hba
    assert int(hba.msg.seq) == int(hbu.msg.seq), (hba, hbu)
    assert 0 < int(hba.msg.mhtime) * 4 <= b["granted_lifetime"], (hba, b)
    ha = tb.n("ha")
    objs = kstate.objects(ha, "mapd")
    assert [x for x in objs["links"] if x.endswith(f"remote {rcoa}")], objs
    assert f"proxy {HOA} dev home0" in objs["proxies"], objs

    cap = tb.topo.sniff(tb.n("ar1"), "acc0", "acc0-home", "ip6")
    try:
        t0 = time.time()
        until(lambda: tb.ping("cn", HOA), 60, 0.5, "CN reaching the home address")
        cap.wait(lambda ps: nested(ps, [(MAP1, lcoa), (HA, rcoa), (CN, HOA)], "request", t0), 30,
                 "CN's echo request to the home address in HA -> RCoA inside MAP1 -> LCoA")
        cap.wait(lambda ps: nested(ps, [(lcoa, MAP1), (rcoa, HA), (HOA, CN)], "reply", t0), 30,
                 "the node's echo reply reverse-tunnelled RCoA -> HA inside LCoA -> MAP1")
        # New connections from the node use the home address (RFC 6275 §11.3.1).
        t1 = time.time()
        assert tb.ping("mn", CN, count=2), "the MN cannot reach CN"
        cap.wait(lambda ps: nested(ps, [(lcoa, MAP1), (rcoa, HA), (HOA, CN)], "request", t1), 30,
                 "the node's own echo request from the home address, reverse-tunnelled")
    finally:
        cap.stop()
    assert tb.daemons["mapd-map1"].show("counters")["ingress_dropped_packets"] == 0
    assert tb.daemons["mapd-ha"].show("counters")["ingress_dropped_packets"] == 0


def test_intra_map_move_sends_no_home_bu(tb):
    """AR1 -> AR2 under MAP1: MAP1's binding moves, the HA hears nothing."""
    mnd, mapd_ha = tb.daemons["mnd"], tb.daemons["mapd-ha"]
    b = registered(tb, "map1", tb.wait_lcoa("ar1"))
    rcoa = b["rcoa"]
    home_binding(tb, rcoa)
    sent0 = mnd.show("counters")["home_bu_sent"]
    ha0 = mapd_ha.show("counters")["home_bu_accepted"]
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), HOA, tb.outdir, name="home-intra", interval=0.02).start()
    try:
        until(lambda: probe.arrivals(), 60, 0.2, "the stream CN -> home address before the move")
        mv = tb.move("ar2")
        lcoa2 = tb.wait_lcoa("ar2")
        assert registered(tb, "map1", lcoa2)["rcoa"] == rcoa
        until(lambda: [a for a in probe.arrivals() if a.recv > mv.carrier_up], 60, 0.2,
              "the stream to the home address after the move")
    finally:
        probe.stop()
    assert mnd.show("counters")["home_bu_sent"] == sent0, "an intra-MAP move sent a home BU"
    assert mapd_ha.show("counters")["home_bu_accepted"] == ha0
    assert home_binding(tb, rcoa)["lcoa"] == rcoa


def test_inter_map_move_updates_ha(tb):
    """AR2 -> AR3 (MAP2): a new RCoA, and one home registration carrying it
    (every home BU after the move names the new RCoA; retransmissions on a
    loaded host are each counted)."""
    mnd, mapd_ha = tb.daemons["mnd"], tb.daemons["mapd-ha"]
    registered(tb, "map1", tb.wait_lcoa("ar2"))
    sent0 = mnd.show("counters")["home_bu_sent"]
    ha0 = mapd_ha.show("counters")["home_bu_accepted"]
    cap = tb.topo.sniff(tb.n("ar3"), "acc0", "acc0-inter", "ip6")
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), HOA, tb.outdir, name="home-inter", interval=0.05).start()
    try:
        until(lambda: probe.arrivals(), 60, 0.2, "the stream CN -> home address before the move")
        mv = tb.move("ar3")
        b2 = registered(tb, "map2", tb.wait_lcoa("ar3"))
        rcoa2 = b2["rcoa"]
        assert in_prefix(rcoa2, PLAN.maps["map2"].rcoa_prefix), b2
        home_binding(tb, rcoa2)
        until(lambda: [a for a in probe.arrivals() if a.recv > mv.carrier_up], 60, 0.2,
              "the stream to the home address through MAP2")
    finally:
        probe.stop()
        cap.stop()
    mn_home(tb, {"coa": rcoa2, "status": "registered", "via_map": MAP2})
    sent = mnd.show("counters")["home_bu_sent"] - sent0
    home_bus = [m for m in bus(cap.packets()) if m.dst == HA]
    print(f"home BUs after the inter-MAP move: {sent} sent, {len(home_bus)} seen on AR3's link")
    assert sent >= 1 and len(home_bus) == sent, (sent, home_bus)
    assert all(m.src == rcoa2 and m.hao == HOA for m in home_bus), home_bus
    assert mapd_ha.show("counters")["home_bu_accepted"] > ha0


def test_ha_crash_adopts_the_home_binding(tb):
    """kill -9 of the HA's mapd and a restart: the home binding is adopted
    in the home role at once (same tunnel), its BRR makes mnd send a home
    BU, and CN keeps reaching the home address throughout."""
    mnd, ha = tb.daemons["mnd"], tb.n("ha")
    st = mn_home(tb, {"status": "registered", "via_map": MAP2})
    coa = st["coa"]
    home_binding(tb, coa)
    ifindex = [x["ifindex"] for x in kstate.links(ha, "hmipm") if kstate.tunnel_remote(x) == coa]
    assert len(ifindex) == 1, kstate.objects(ha, "mapd")
    sent0 = mnd.show("counters")["home_bu_sent"]
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), HOA, tb.outdir, name="home-ha-crash", interval=0.05).start()
    try:
        until(lambda: probe.arrivals(), 60, 0.2, "the stream CN -> home address before the kill")
        tb.daemons["mapd-ha"].stop(sig=signal.SIGKILL)
        mapd_ha = tb.start_ha()
        first = mapd_ha.show("bindings")
        assert [(x["rcoa"], x["role"], x["lcoa"]) for x in first] == [(HOA, "home", coa)], first
        assert [x["ifindex"] for x in kstate.links(ha, "hmipm") if kstate.tunnel_remote(x) == coa] == ifindex
        mapd_ha.wait_show("counters", {"bindings_adopted": 1, "adoption_refused": 0,
                                       "brr_adopted_sent": lambda n: n >= 1, "adopted_reregistered": 1}, 30)
        mapd_ha.wait_show("bindings", [{"rcoa": HOA, "role": "home", "lcoa": coa, "adopted": False}], 30)
        t_rereg = time.time()
        until(lambda: [a for a in probe.arrivals() if a.recv > t_rereg + 0.5], 30, 0.2,
              "the stream after the home re-registration")
    finally:
        arrivals = probe.stop()
    assert mnd.show("counters")["home_bu_sent"] > sent0
    # The kernel carried the stream through the restart: no gap of a second.
    recv = sorted(a.recv for a in arrivals)
    worst = max((b - a for a, b in zip(recv, recv[1:])), default=0.0)
    assert worst < 1.0, f"the stream stopped for {worst:.2f} s across the HA's restart"


def test_rfc6275_node_and_refusals(tb):
    """Any RFC 6275 mobile node registers with the HA role: a scapy-built
    home BU with a HAO from a host on AR1's link draws a BA with a type 2
    routing header and a binding; a home address off the home prefix draws
    132, H with M set is refused, one another host on the home link uses
    draws 134 (the HA's DAD), an old sequence number 135, a deregistration
    of no binding 133, M without H 129, a home BU to a MAP-only mapd 131,
    and a deregistration removes the binding."""
    host_addr, hoa2, squatted = "2001:db8:1:11::99", "2001:db8:200::20", "2001:db8:200::30"
    host = tb.add_host("legacy", "ar1", [host_addr])
    mapd_ha = tb.daemons["mapd-ha"]
    cap = tb.topo.sniff(host, "legacy0", "legacy", "ip6")
    try:
        t0 = time.time()
        send_ipv6(host, home_bu(host_addr, HA, hoa2, 100, 60))
        cap.wait(lambda ps: [x for x in bas(ps, t0) if x.seq == 100], 30, "the BA to the RFC 6275 node")
        ba = next(x for x in bas(cap.packets(), t0) if x.seq == 100)
        assert (ba.src, ba.dst, ba.rh2, ba.status) == (HA, host_addr, hoa2, 0), ba
        assert 0 < ba.lifetime_s <= 60, ba
        mapd_ha.wait_show("bindings", [{"rcoa": hoa2, "lcoa": host_addr, "role": "home"}], 30)

        send_ipv6(host, home_bu(host_addr, HA, "2001:db8:201::20", 7, 60))
        cap.wait(lambda ps: [x for x in bas(ps, t0) if x.seq == 7], 30, "the BA for a foreign home address")
        assert next(x for x in bas(cap.packets(), t0) if x.seq == 7).status == 132

        send_ipv6(host, home_bu(host_addr, HA, "2001:db8:200::21", 8, 60, BU_FLAG_A | BU_FLAG_H | BU_FLAG_M))
        cap.wait(lambda ps: [x for x in bas(ps, t0) if x.seq == 8], 30, "the BA for H with M")
        assert next(x for x in bas(cap.packets(), t0) if x.seq == 8).status >= 128

        # A home address some host on the home link already uses: the HA's
        # DAD finds it (RFC 6275 §10.3.1): 134, no binding.
        tb.add_host("squat", "home", [squatted])
        send_ipv6(host, home_bu(host_addr, HA, squatted, 9, 60))
        cap.wait(lambda ps: [x for x in bas(ps, t0) if x.seq == 9], 30, "the BA for a home address in use")
        assert next(x for x in bas(cap.packets(), t0) if x.seq == 9).status == 134
        assert not [b for b in mapd_ha.show("bindings") if b["rcoa"] == squatted]

        # Every other refusal a home agent (or a MAP-only mapd) answers:
        # an old sequence number for an existing binding: 135 (RFC 6275
        # §10.3.1); a deregistration for a home address with no binding:
        # 133 (§10.3.2); M without H to the HA: 129 (not a MAP); H to a
        # MAP-only mapd (MAP1): 131 (map_agent.h lists the choices).
        # (135's BA carries the last accepted sequence number, 100.)
        refusals = ((home_bu(host_addr, HA, hoa2, 99, 60), 100, HA, 135),
                    (home_bu(host_addr, HA, "2001:db8:200::22", 10, 0), 10, HA, 133),
                    (home_bu(host_addr, HA, "2001:db8:200::23", 11, 60, BU_FLAG_A | BU_FLAG_M), 11, HA, 129),
                    (home_bu(host_addr, MAP1, "2001:db8:200::24", 12, 60), 12, MAP1, 131))
        for pkt, seq, frm, status in refusals:
            t1 = time.time()
            send_ipv6(host, pkt)
            got = cap.wait(lambda ps, seq=seq, frm=frm, t1=t1: [x for x in bas(ps, t1) if x.seq == seq and x.src == frm],
                           30, f"the BA answering seq {seq} from {frm}")
            assert [x.status for x in got] == [status], (got, status)
        assert [b["rcoa"] for b in mapd_ha.show("bindings") if b["rcoa"] == hoa2] == [hoa2]
        assert not [b for b in tb.daemons["mapd-map1"].show("bindings") if b["rcoa"] == "2001:db8:200::24"]

        send_ipv6(host, home_bu(host_addr, HA, hoa2, 101, 0))
        cap.wait(lambda ps: [x for x in bas(ps, t0) if x.seq == 101], 30, "the BA to the deregistration")
        assert next(x for x in bas(cap.packets(), t0) if x.seq == 101).status == 0
        mapd_ha.wait_show("bindings", lambda bs: not [b for b in bs if b["rcoa"] == hoa2], 30)
    finally:
        cap.stop()
    assert not [x for x in kstate.objects(tb.n("ha"), "mapd")["proxies"] if hoa2 in x]


def test_return_home_deregisters(tb):
    """RFC 6275 §11.5.5: on the home link the node deregisters from its home
    address (no HAO), the HA accepts it (not an expiry) and stops
    intercepting, the node announces itself with an unsolicited NA, and CN
    reaches the home address natively."""
    mnd, mapd_ha = tb.daemons["mnd"], tb.daemons["mapd-ha"]
    mn_home(tb, {"status": "registered"})
    dereg0 = mapd_ha.show("counters")["home_deregistrations"]
    cap = tb.topo.sniff(tb.n("ha"), "home0", "home0-return", "ip6")
    try:
        t0 = time.time()
        tb.move("home")
        mapd_ha.wait_show("bindings", lambda bs: not [b for b in bs if b["rcoa"] == HOA], 60)
        mn_home(tb, {"status": "at-home", "mode": "at-home"}, 60)
        cap.wait(lambda ps: [x for x in home_bas(ps) if x.src == HA and x.dst == HOA], 30,
                 "the HA's BA to the deregistration, straight to the home address")

        def announced(ps):
            from scapy.layers.inet6 import ICMPv6ND_NA
            return [p for t, p in ps if t >= t0 and ICMPv6ND_NA in p and p[ICMPv6ND_NA].tgt == HOA
                    and p[ICMPv6ND_NA].O == 1 and p[ICMPv6ND_NA].S == 0]
        cap.wait(announced, 30, "the node's unsolicited NA for its home address")
    finally:
        cap.stop()
    dereg_bu = [m for m in bus(cap.packets()) if m.dst == HA and m.src == HOA]
    assert dereg_bu and dereg_bu[0].hao is None and int(dereg_bu[0].msg.mhtime) == 0, dereg_bu
    assert mapd_ha.show("counters")["home_deregistrations"] == dereg0 + 1
    until(lambda: [a for a in tb.n("mn").addrs("mn0") if a.get("local") == HOA], 30, 0.2,
          "the home address on mn0")
    assert not [x for x in kstate.objects(tb.n("ha"), "mapd")["proxies"] if HOA in x]
    until(lambda: tb.ping("cn", HOA), 60, 0.5, "CN reaching the node at home")
    assert mnd.show("counters")["home_bu_sent"] > 0


def test_plain_mipv6_mode_with_dhaad(tb):
    """Hmipv6 off: the LCoA itself is registered with the HA, no MAP
    binding; the HA is found by DHAAD (RFC 6275 §11.4.1: a request to the
    home prefix's Home-Agents anycast address, the HA's reply)."""
    tb.move("ar1")
    tb.daemons["mnd"].stop()
    wait_clean(tb.n("mn"), "mnd")
    tb.start_mnd(extra=mnd_home_block(PLAN, hmipv6=False, discover=True))
    lcoa = tb.wait_lcoa("ar1")
    home_binding(tb, lcoa)
    mn_home(tb, {"coa": lcoa, "status": "registered", "mode": "plain", "home_agent": HA, "discover": True})
    assert not tb.daemons["mnd"].show("bul"), "a MAP binding in plain Mobile IPv6 mode"
    until(lambda: tb.ping("cn", HOA), 60, 0.5, "CN reaching the home address (plain mode)")
    assert tb.daemons["mnd"].show("counters")["dhaad_requests_sent"] >= 1
    assert tb.daemons["mapd-ha"].show("counters")["dhaad_replies_sent"] >= 1
