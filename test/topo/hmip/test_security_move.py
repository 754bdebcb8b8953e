"""The secure inter-MAP move (issue 13 item 1; RFC 5380 §8, §12): charon on
both MAPs and the MN, the MN registered at MAP1 through IKEv2/ESP, moved
AR1 -> AR2 (intra-MAP) and then AR2 -> AR3 into MAP2's domain, as in the
demo. The move must complete there at the first IKEv2 attempt: a new RCoA
leased from MAP2's pool, MAP2's binding cache binding it to the AR3 LCoA,
mnd's binding update list showing the MAP2 registration, and the CN's
packets to the new RCoA arriving through MAP2's tunnel
(inter_map.check_inter_map_move, the same checks the demo makes). MAP1
forwarding the old RCoA for §8's short lifetime is not enough.

Before the fix the MN's IKE_SA_INIT to MAP2 left through main's default
routes, and the kernel still held those of AR1 and AR2 (RA-learned, alive
for their router lifetime): the requests queued on those routers'
neighbour entries on a link where they no longer are, charon gave up after
its retransmits, and only the retry after IkeTimeout and the hold-down
(about 30 s later) got through.

One secure testbed (CI budget: about a minute and a half of VM time).
"""

from __future__ import annotations

from hmip_plan import PLAN
from hmip_secure import SecureDomain
from hmip_topo import Options
from inter_map import check_inter_map_move
from mobility import registered

MAP1, MAP2 = PLAN.maps["map1"].address, PLAN.maps["map2"].address


def test_secure_inter_map_move_registers_at_map2(module_testbed):
    tb = module_testbed(Options(map_r_flag=True))
    sd = SecureDomain(tb)
    tb.start_ards()
    for m in ("map1", "map2"):
        tb.start_mapd(m, secure=sd.mapd_ike(m))
    tb.attach("ar1")
    tb.start_mnd(secure=sd.mnd_ike())
    mnd = tb.daemons["mnd"]
    old = registered(tb, "map1", tb.wait_lcoa("ar1"))
    assert sd.in_pool("map1", old["rcoa"]), old
    # AR2 (same MAP, same RCoA): the MN now has two routers' RA defaults
    # behind it once it reaches AR3.
    tb.move("ar2")
    registered(tb, "map1", tb.wait_lcoa("ar2"))
    failed0 = mnd.show("counters")["ike_failed"]
    # What reaches MAP2 from the MN's new link, kept for diagnosis.
    cap = tb.topo.sniff(tb.n("map2"), "up0", "map2-up0", "ip6")
    try:
        tb.move("ar3")
        lcoa3 = tb.wait_lcoa("ar3")
        # Within IkeTimeout: a registration only after a failed attempt and
        # the hold-down is the bug, not a pass.
        r = check_inter_map_move(tb, "map2", lcoa3, timeout=sd.ike_timeout)
    finally:
        cap.stop()
    assert sd.in_pool("map2", r.rcoa), r.bul          # leased by MAP2's charon over IKEv2 from the AR3 LCoA
    assert mnd.show("counters")["ike_failed"] == failed0, mnd.show("counters")
    mnd.wait_show("ike", {"maps": [{"map": MAP2, "state": "protected", "rcoa": r.rcoa}]}, 30)
