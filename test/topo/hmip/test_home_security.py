"""Home registration in secure mode (issue 14; RFC 4877, RFC 5380 §6.1):
real charons on MAP1, MAP2, the HA and the MN. The MN leases its RCoA from
MAP1, then sets up IKEv2 with the HA from that RCoA and registers its home
address over ESP (transport_proxy, MH between the home address and the
HA); with ProtectTraffic on both sides the home tunnel's packets travel in
ESP too (RFC 4877 §5). Forged cleartext home BUs are dropped by the HA's
kernel, before and after any SA exists for the home address; another
authenticated identity cannot claim the home address; an intra-MAP move
costs the HA nothing (no BU, the same IKE SA); an inter-MAP move sends the
home BU at once and moves the IKE SA to the new RCoA; forged cleartext BAs
and Binding Errors "from the HA" are dropped by the MN's kernel; the
deregistration
from home is protected as well; a restarted HA adopts the binding, and
its kernel drops forgeries right after the restart.

One testbed for the module; the tests run in file order and build on each
other's state. Every wait polls; timeouts are generous (TCG VM).
"""

from __future__ import annotations

import signal
import time

import hmip_secure
import pytest
from charon import initiator_conn, start_charon
from hmip_conf import mnd_home_block
from hmip_plan import PLAN
from hmip_secure import HA_ID, SecureDomain
from hmip_topo import Options
from mh_forge import forged_ba, forged_be, home_bu, send_ipv6
from mobility import MAP_ADDR, registered
from topo import until

MAP1, MAP2, CN = MAP_ADDR["map1"], MAP_ADDR["map2"], PLAN.cn
HA, HOA = PLAN.home.ha, PLAN.home.home_address
HOA2 = "2001:db8:200::20"        # owned by MN2_ID (HomeAddress), never registered by the real MN
FG = "2001:db8:1:11::f1"         # a forging host on AR1's link
MN_ID, MN2_ID = hmip_secure.MN_ID, "mn2@hmip.test"
HA_CONN = "hmip-home-1"          # the HA's connection for MN_ID (first HomeAddress identity)
MN_CONN = f"hmip-mn-home-{HA}"


def between(packets, a: str, b: str, after: float = 0.0) -> tuple[int, int, int]:
    """Packets with an IPv6 header (at any depth) between `a` and `b`
    (either way) from `after` on: (carrying ESP right after that header's
    extension headers, carrying a cleartext Mobility Header, carrying a
    cleartext inner IPv6 packet)."""
    from scapy.layers.inet6 import IPv6, MIP6MH_BA, MIP6MH_BE, MIP6MH_BRR, MIP6MH_BU, MIP6MH_Generic
    esp = clear_mh = clear_ip = 0
    for t, p in packets:
        if t < after:
            continue
        n = 1
        while (ip := p.getlayer(IPv6, n)) is not None:
            n += 1
            if {ip.src, ip.dst} != {a, b}:
                continue
            layer, proto = ip, ip.nh
            while proto in (0, 43, 60) and layer.payload is not None:  # hop-by-hop, routing, destination options
                layer = layer.payload
                proto = getattr(layer, "nh", None)
            esp += proto == 50
            clear_mh += any(ip.haslayer(c) for c in (MIP6MH_BU, MIP6MH_BA, MIP6MH_BRR, MIP6MH_BE, MIP6MH_Generic))
            clear_ip += proto == 41
            break
    return esp, clear_mh, clear_ip


def home_binding(tb, coa: str | None = None, timeout: float = 120.0) -> dict:
    want = {"rcoa": HOA, "role": "home", "install_pending": False}
    if coa:
        want["lcoa"] = coa
    got = tb.daemons["mapd-ha"].wait_show("bindings", [want], timeout)
    return next(b for b in got if b["rcoa"] == HOA)


def ha_sas(ha_ch, identity: str = MN_ID) -> list[dict]:
    """The HA's established IKE SAs of `identity`."""
    return [sa for _, sa in ha_ch.list_all_sas() if sa.get("remote-id") == identity and sa.get("state") == "ESTABLISHED"]


@pytest.fixture(scope="module")
def hs(module_testbed):
    tb = module_testbed(Options(map_r_flag=True))
    sd = SecureDomain(tb, maps=("map1", "map2"), ha=True)
    tb.start_ards()
    tb.start_home_ard()
    for m in ("map1", "map2"):
        tb.start_mapd(m, secure=sd.mapd_ike(m))
    tb.start_ha(secure=sd.ha_ike(), owners={HOA: MN_ID, HOA2: MN2_ID}, protect_traffic=True)
    tb.attach("ar1")
    cap = tb.topo.sniff(tb.n("ar1"), "acc0", "acc0-home-secure", "ip6")
    tb.start_mnd(extra=mnd_home_block(PLAN, ha_identity=HA_ID, protect_traffic=True), secure=sd.mnd_ike())
    yield tb, sd, cap
    cap.stop()


def test_home_registration_over_ike_from_the_rcoa(hs):
    """The home BU and BA travel in ESP between the home address and the HA
    (inside MAP1's tunnel), from an IKE SA whose endpoint is the RCoA;
    the HA binds the home address to the RCoA; CN's packets to the home
    address travel in ESP between the HA and the RCoA."""
    tb, sd, cap = hs
    lcoa = tb.wait_lcoa("ar1")
    b = registered(tb, "map1", lcoa)
    rcoa = b["rcoa"]
    assert sd.in_pool("map1", rcoa), b
    hb = home_binding(tb, rcoa)
    assert hb["proxy_interface"] == "home0", hb
    ha_ch, mn_ch = sd.charons["ha"], sd.charons["mn"]
    sa = ha_ch.wait_sa(HA_CONN)
    assert sa["remote-host"] == rcoa and sa["remote-id"] == MN_ID, sa
    kids = {c["name"]: c for c in sa.get("child-sas", {}).values()}
    assert kids["mh-1"]["mode"] == "TRANSPORT_PROXY" and kids["mh-1"]["remote-ts"] == [f"{HOA}/128[mobility-header]"], sa
    assert kids["traffic"]["mode"] == "TRANSPORT", sa
    assert mn_ch.wait_sa(MN_CONN)["local-host"] == rcoa
    # On AR1's link: the home signalling in ESP (the HA <-> RCoA hop of
    # the home BU carries the HAO, then ESP; the BA the RH2, then ESP),
    # never a cleartext MH between them.
    esp, clear_mh, _ = cap.wait(lambda ps: (lambda r: r if r[0] >= 2 else None)(between(ps, rcoa, HA)), 60,
                                "ESP between the RCoA and the HA")
    assert clear_mh == 0, (esp, clear_mh)
    # Payload: CN -> home address reaches the node, HA -> RCoA in ESP
    # (ProtectTraffic), never a cleartext inner packet.
    t1 = time.time()
    until(lambda: tb.ping("cn", HOA), 60, 0.5, "CN reaching the home address")
    esp2, _, clear_ip = cap.wait(lambda ps: (lambda r: r if r[0] >= 1 else None)(between(ps, rcoa, HA, t1)), 30,
                                 "CN's packet HA -> RCoA in ESP")
    assert clear_ip == 0, (esp2, clear_ip)
    c = tb.daemons["mapd-ha"].show("counters")
    assert c["bu_no_ike_sa"] == 0 and c["bu_home_not_owner"] == 0, c
    n = tb.daemons["mnd"].show("counters")
    assert n["home_ike_established"] == 1 and n["home_ike_failed"] == 0, n


def test_forged_cleartext_home_bus_are_dropped_by_the_kernel(hs):
    """A host on AR1's link forges cleartext home BUs: for the MN's home
    address (its CHILD_SA's IN policy drops them) and for a home address no
    SA protects yet (the HA's prefix-wide ESP policy drops it): the kernel
    counts them, mapd never sees them, no binding moves or appears."""
    tb, _sd, _cap = hs
    mapd_ha = tb.daemons["mapd-ha"]
    rcoa = home_binding(tb)["lcoa"]
    fg = tb.add_host("fg", "ar1", [FG])
    c0 = mapd_ha.show("counters")
    x = "kernel_XfrmInTmplMismatch"
    send_ipv6(fg, home_bu(FG, HA, HOA, 40000, 600, acoa=FG), count=3)
    until(lambda: mapd_ha.show("counters").get(x, 0) >= c0.get(x, 0) + 3, 30, 0.2,
          "the HA's kernel counts the forged home BUs")
    x0 = mapd_ha.show("counters").get(x, 0)
    send_ipv6(fg, home_bu(FG, HA, HOA2, 1, 600, acoa=FG))
    until(lambda: mapd_ha.show("counters").get(x, 0) >= x0 + 1, 30, 0.2,
          "the kernel drops a cleartext home BU for a home address no SA protects")
    c = mapd_ha.show("counters")
    assert c["bu_no_ike_sa"] == c0["bu_no_ike_sa"] and c["home_bu_received"] == c0["home_bu_received"], c
    assert not [b for b in mapd_ha.show("bindings") if b["rcoa"] == HOA2]
    assert home_binding(tb, rcoa)["lcoa"] == rcoa


def xfrm_in_drops(node) -> int:
    """The kernel's inbound IPsec drops in `node`'s namespace (no policy
    match, template mismatch)."""
    stat = dict(line.split() for line in node.run("cat", "/proc/net/xfrm_stat").splitlines() if line.strip())
    return int(stat.get("XfrmInTmplMismatch", 0)) + int(stat.get("XfrmInNoPols", 0))


def test_forged_ba_and_binding_error_do_not_end_the_registration(hs):
    """Cleartext BA and Binding Error 2 "from the HA" sent to the MN's RCoA
    by a host on AR1's link: the MN's kernel drops them (mnd's MH-only-in-
    ESP policies), mnd never sees them, the registration stays."""
    tb, _sd, _cap = hs
    mnd, mn = tb.daemons["mnd"], tb.n("mn")
    rcoa = home_binding(tb)["lcoa"]
    c0, x0 = mnd.show("counters"), xfrm_in_drops(mn)
    send_ipv6(tb.n("fg"), forged_be(HA, rcoa, 2, HOA))
    send_ipv6(tb.n("fg"), forged_ba(HA, rcoa, HOA, c0.get("home_bu_sent", 0), status=135))
    until(lambda: xfrm_in_drops(mn) >= x0 + 2, 30, 0.2, "the MN's kernel drops the forged BA and Binding Error")
    c = mnd.show("counters")
    assert c["home_be_received"] == c0["home_be_received"] and c["home_be_ignored"] == c0["home_be_ignored"], c
    mnd.wait_show("home", {"status": "registered", "coa": rcoa}, 10)
    assert home_binding(tb, rcoa)["lcoa"] == rcoa


def test_another_identity_cannot_claim_the_home_address(hs):
    """MN2 (a valid certificate, its own home address HOA2 at this HA)
    asks for a CHILD_SA for the MN's home address: the HA refuses it
    (TS_UNACCEPTABLE); the same IKE SA gets its own home address's."""
    tb, sd, _cap = hs
    ha_ch = sd.charons["ha"]
    rcoa = home_binding(tb)["lcoa"]
    fg_ch = start_charon(tb, "fg")
    fg_ch.install_ca(sd.pki.ca_cert())
    cert = fg_ch.install_cert(sd.pki.issue("mn2", MN2_ID))
    fg_ch.load(initiator_conn("mn2", FG, HA, cert, MN2_ID, HA_ID, children={
        name: (f"{hoa}/128[mobility-header]", f"{HA}/128[mobility-header]")
        for name, hoa in (("steal", HOA), ("own", HOA2))}))
    try:
        r = fg_ch.initiate("mn2", child="steal", check=False)
        assert not r.ok, r.text
        assert "TS_UNACCEPTABLE" in r.text or "TS_UNACCEPTABLE" in ha_ch.log_text(), r.text
        fg_ch.initiate("mn2", child="own")
        sas = ha_sas(ha_ch, MN2_ID)
        assert sas, ha_ch.list_all_sas()
        ts = [c["remote-ts"] for sa in sas for c in sa.get("child-sas", {}).values()]
        assert ts == [[f"{HOA2}/128[mobility-header]"]], ts
    finally:
        fg_ch.stop()
    assert home_binding(tb, rcoa)["lcoa"] == rcoa
    assert tb.daemons["mapd-ha"].show("counters")["bu_home_not_owner"] == 0


def test_intra_map_move_costs_the_ha_nothing(hs):
    """AR1 -> AR2 under MAP1: no home BU, the HA's IKE SA (from the RCoA)
    stays the same one, CN keeps reaching the home address."""
    tb, sd, _cap = hs
    mnd, mapd_ha, ha_ch = tb.daemons["mnd"], tb.daemons["mapd-ha"], sd.charons["ha"]
    rcoa = home_binding(tb)["lcoa"]
    before = [sa["uniqueid"] for sa in ha_sas(ha_ch)]
    assert len(before) == 1, ha_ch.list_all_sas()
    sent0 = mnd.show("counters")["home_bu_sent"]
    ha0 = mapd_ha.show("counters")["home_bu_received"]
    tb.move("ar2")
    assert registered(tb, "map1", tb.wait_lcoa("ar2"))["rcoa"] == rcoa
    until(lambda: tb.ping("cn", HOA), 60, 0.5, "CN reaching the home address after the move")
    assert mnd.show("counters")["home_bu_sent"] == sent0
    assert mapd_ha.show("counters")["home_bu_received"] == ha0
    assert [sa["uniqueid"] for sa in ha_sas(ha_ch)] == before


def test_inter_map_move_rebinds_at_once_and_moves_the_ike_sa(hs):
    """AR2 -> AR3 (MAP2): the home BU with the new RCoA goes at once,
    protected by the existing ESP SA; the IKE SA with the HA is then set up
    again from the new RCoA and the old one goes. Right after the move a
    forged cleartext home BU is still dropped by the kernel."""
    tb, sd, _cap = hs
    mapd_ha, ha_ch = tb.daemons["mapd-ha"], sd.charons["ha"]
    rcoa1 = home_binding(tb)["lcoa"]
    cap = tb.topo.sniff(tb.n("ar3"), "acc0", "acc0-home-secure-inter", "ip6")
    try:
        tb.move("ar3")
        b2 = registered(tb, "map2", tb.wait_lcoa("ar3"))
        rcoa2 = b2["rcoa"]
        assert sd.in_pool("map2", rcoa2), b2
        home_binding(tb, rcoa2)
        x0 = mapd_ha.show("counters").get("kernel_XfrmInTmplMismatch", 0)
        send_ipv6(tb.n("fg"), home_bu(FG, HA, HOA, 50000, 600, acoa=FG))
        send_ipv6(tb.n("fg"), home_bu(FG, HA, HOA2, 50001, 600, acoa=FG))
        until(lambda: mapd_ha.show("counters").get("kernel_XfrmInTmplMismatch", 0) >= x0 + 2, 30, 0.2,
              "the kernel drops forged home BUs right after the move")
        until(lambda: [sa for sa in ha_sas(ha_ch) if sa["remote-host"] == rcoa2] and
              not [sa for sa in ha_sas(ha_ch) if sa["remote-host"] == rcoa1], 120, 0.5,
              "the HA's IKE SA moved to the new RCoA (make-before-break)")
        until(lambda: tb.ping("cn", HOA), 60, 0.5, "CN reaching the home address through MAP2")
        esp, clear_mh, clear_ip = between(cap.packets(), rcoa2, HA)
    finally:
        cap.stop()
    assert esp >= 2 and clear_mh == 0 and clear_ip == 0, (esp, clear_mh, clear_ip)
    assert home_binding(tb, rcoa2)["lcoa"] == rcoa2
    assert tb.daemons["mnd"].show("counters")["home_ike_reestablished"] >= 1


def test_ha_restart_adopts_and_still_drops_forgeries(hs):
    """kill -9 of the HA's mapd (its charon keeps the SAs) and a restart:
    the home binding is adopted (its holder is its owner), the node
    re-registers over ESP, and a forged cleartext home BU sent right after
    the restart is dropped by the kernel."""
    tb, sd, _cap = hs
    mnd = tb.daemons["mnd"]
    coa = home_binding(tb)["lcoa"]
    sent0 = mnd.show("counters")["home_bu_sent"]
    tb.daemons["mapd-ha"].stop(sig=signal.SIGKILL)
    mapd_ha = tb.start_ha(secure=sd.ha_ike(), owners={HOA: MN_ID, HOA2: MN2_ID}, protect_traffic=True)
    x0 = mapd_ha.show("counters").get("kernel_XfrmInTmplMismatch", 0)
    # For a home address no SA protects: only mapd's prefix-wide policy,
    # installed again by the restarted mapd, can drop it.
    send_ipv6(tb.n("fg"), home_bu(FG, HA, HOA2, 60000, 600, acoa=FG))
    until(lambda: mapd_ha.show("counters").get("kernel_XfrmInTmplMismatch", 0) >= x0 + 1, 30, 0.2,
          "the kernel drops a forged home BU right after the HA's restart")
    assert not [b for b in mapd_ha.show("bindings") if b["rcoa"] == HOA2]
    mapd_ha.wait_show("counters", {"bindings_adopted": 1, "adoption_refused": 0}, 30)
    mapd_ha.wait_show("bindings", [{"rcoa": HOA, "role": "home", "lcoa": coa, "adopted": False}], 60)
    assert mnd.show("counters")["home_bu_sent"] > sent0
    until(lambda: tb.ping("cn", HOA), 60, 0.5, "CN reaching the home address after the HA's restart")


def test_return_home_deregisters_over_esp(hs):
    """On the home link the node deregisters from its home address over
    the existing ESP SA (no cleartext MH on home0), the HA lets go of the
    home address, and CN reaches the node natively."""
    tb, _sd, _cap = hs
    mapd_ha = tb.daemons["mapd-ha"]
    dereg0 = mapd_ha.show("counters")["home_deregistrations"]
    cap = tb.topo.sniff(tb.n("ha"), "home0", "home0-secure-return", "ip6")
    try:
        tb.move("home")
        mapd_ha.wait_show("bindings", lambda bs: not [b for b in bs if b["rcoa"] == HOA], 90)
        tb.daemons["mnd"].wait_show("home", {"status": "at-home", "mode": "at-home"}, 60)
        until(lambda: tb.ping("cn", HOA), 60, 0.5, "CN reaching the node at home")
    finally:
        cap.stop()
    esp, clear_mh, _ = between(cap.packets(), HOA, HA)
    assert esp >= 2 and clear_mh == 0, (esp, clear_mh)
    assert mapd_ha.show("counters")["home_deregistrations"] == dereg0 + 1
