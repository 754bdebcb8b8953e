"""MAP failure and a lossy link, with mapd + mnd (issue 4, "Tests").

One testbed for the module: the MN on AR3, which advertises MAP2 (Dist 2)
and MAP1 (Dist 3, Options.ar3_advertises_map1; MAP1 then accepts AR3's
LCoAs as its own). mnd's default selection (RFC 5380 §9.1, the furthest
MAP) registers at MAP1. When MAP1 stops answering ard's Echo probes, ard
advertises it with valid lifetime 0 (RFC 5380 §10) and the MN moves to
MAP2. Then mnd is restarted with 20% loss each way on the MN's link
(netem, the VM kernel): registration still converges.
"""

from __future__ import annotations

import pytest
from hmip_plan import MN_IF, PLAN
from hmip_topo import Options
from mobility import MAP_ADDR, in_prefix, registered
from topo import until

MAP1, MAP2 = MAP_ADDR["map1"], MAP_ADDR["map2"]


@pytest.fixture(scope="module")
def tb(module_testbed):
    tb = module_testbed(Options(ar3_advertises_map1=True))
    tb.start_ards(("ar3",))
    tb.start_mapds()
    tb.attach("ar3")
    tb.start_mnd()
    return tb


def test_map_failure_moves_mn_to_other_map(tb):
    mnd, ard = tb.daemons["mnd"], tb.daemons["ard-ar3"]
    lcoa = tb.wait_lcoa("ar3")
    mnd.wait_show("maps", [{"address": MAP1, "dist": 3, "lifetime": lambda v: v > 0},
                           {"address": MAP2, "dist": 2, "lifetime": lambda v: v > 0}], 60)
    b1 = registered(tb, "map1", lcoa)
    assert in_prefix(b1["rcoa"], PLAN.maps["map1"].rcoa_prefix), b1
    mnd.wait_show("status", {"chosen_map": MAP1}, 30)
    failures0 = mnd.show("counters")["map_failures"]

    # MAP1 stops answering Echo Requests: ard's probes fail.
    tb.n("map1").run("sysctl", "-qw", "net.ipv6.icmp.echo_ignore_all=1")
    ard.wait_show("maps", [{"address": MAP1, "state": "failed", "lifetime": 0}], 60)
    mnd.wait_show("maps", [{"address": MAP1, "lifetime": 0, "status": "failed"}], 60)
    mnd.wait_show("status", {"chosen_map": MAP2}, 60)
    b2 = registered(tb, "map2", lcoa)
    assert in_prefix(b2["rcoa"], PLAN.maps["map2"].rcoa_prefix), b2
    mnd.wait_show("counters", {"map_failures": lambda n: n > failures0}, 30)
    until(lambda: tb.ping("cn", b2["rcoa"]), 60, 0.5, "CN reaching the RCoA at MAP2")
    # The failed MAP's binding is no longer the MN's primary one.
    assert not [b for b in mnd.show("bul") if b["map"] == MAP1 and b["primary"]], mnd.show("bul")


def test_registration_converges_with_loss(tb, kernel_missing):
    if "netem" in kernel_missing:
        pytest.skip("the running kernel has no sch_netem (run-topo-hmip.sh runs this in the VM)")
    mnd = tb.daemons["mnd"]
    registered(tb, "map2", tb.wait_lcoa("ar3"))
    assert mnd.stop(timeout=20) == 0
    tb.netem("mn", MN_IF, loss_pct=20)
    tb.netem("ar3", "acc0", loss_pct=20)
    mnd = tb.start_mnd()
    b = registered(tb, "map2", timeout=240)
    c = mnd.show("counters")
    print(f"registered at MAP2 through 20% loss each way: RCoA {b['rcoa']}, {c['rs_sent']} RS, "
          f"{c['bu_sent']} BU sent ({c['bu_retransmitted']} retransmissions), {c['ba_received']} BA received")
    tb.daemons["mapd-map2"].wait_show("bindings", [{"rcoa": b["rcoa"], "lcoa": b["lcoa"]}], 60)
