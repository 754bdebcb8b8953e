"""The testbed itself, before mapd and mnd: topology, ard on the ARs, moves.

    CN --- core --+-- MAP1 --+-- AR1 ==br1==.
                  |          +-- AR2 ==br2== }--- mn0 (MN), patched into one bridge
                  +-- MAP2 ----- AR3 ==br3=='

Checks every router is reachable from CN over the static routes; the MN
forms an LCoA by SLAAC from ard's RA on AR1 and hears MAP1's option; a move
(carrier loss and return on the same mn0, seen over rtnetlink) lands it on
AR2 (new LCoA, MAP1 still) and on AR3 (MAP2; with ar3_advertises_map1
also MAP1 one hop further); and the MN reaches CN from each LCoA. netem
on a testbed link (VM kernel) delays and drops.
"""

import ipaddress

import pytest
from hmip_plan import MN_IF, PLAN
from hmip_topo import Options
from nd import map_of, ras
from topo import until


def ra_with(ar: str, want_maps: dict[str, int]):
    """A predicate on captured packets: an RA announcing `ar`'s LCoA prefix
    and exactly the MAPs `want_maps` ({address: Dist})."""
    prefix = ipaddress.ip_network(PLAN.ars[ar].lcoa_prefix)

    def pred(after: float):
        def check(packets):
            for r in ras(packets, after=after):
                nets = [ipaddress.ip_network(f"{p['prefix']}/{p['length']}", strict=False) for p in r["prefixes"]]
                if prefix not in nets:  # (R flag: the prefix field holds the AR's address)
                    continue
                got = {m["address"]: m["dist"] for m in r["maps"]}
                if got == want_maps:
                    return r
            return None
        return check
    return pred


def test_topology_slaac_and_moves(make_testbed):
    tb = make_testbed(Options(ar3_advertises_map1=True))
    tb.start_ards()

    # Every router answers CN over the static routes (and so CN is
    # reachable from every router).
    targets = {"core": PLAN.core_cn_addr, "map1": PLAN.maps["map1"].address, "map2": PLAN.maps["map2"].address}
    targets.update({ar: PLAN.transit(ar)[2] for ar in PLAN.ars})
    targets.update({f"{ar}-access": PLAN.ars[ar].addr for ar in PLAN.ars})
    unreachable = [name for name, addr in targets.items() if not tb.ping("cn", addr)]
    assert not unreachable, f"not reachable from CN: {unreachable}"

    cap = tb.topo.sniff(tb.n("mn"), MN_IF, "mn0", "icmp6")
    try:
        map1, map2 = PLAN.maps["map1"].address, PLAN.maps["map2"].address
        mv = tb.attach("ar1")
        lcoa1 = tb.wait_lcoa("ar1")
        cap.wait(ra_with("ar1", {map1: 2})(mv.t_start), 60, what="an RA from AR1 with MAP1's option")
        assert tb.ping("mn", PLAN.cn), "MN cannot reach CN from its AR1 LCoA"

        # Intra-domain move: carrier loss and return on mn0, same ifname.
        mv = tb.move("ar2")
        assert mv.carrier_down is not None and mv.carrier_down < mv.carrier_up, f"no carrier loss seen: {mv}"
        lcoa2 = tb.wait_lcoa("ar2")
        assert lcoa2 != lcoa1
        cap.wait(ra_with("ar2", {map1: 2})(mv.t_end), 60, what="an RA from AR2 with MAP1's option")
        until(lambda: tb.ping("mn", PLAN.cn), 60, what="MN reaching CN from its AR2 LCoA")

        # Inter-domain move: AR3 announces MAP2 (Dist 2) and relays MAP1 (Dist 3).
        mv = tb.move("ar3")
        assert mv.carrier_down is not None
        tb.wait_lcoa("ar3")
        r = cap.wait(ra_with("ar3", {map2: 2, map1: 3})(mv.t_end), 60, what="an RA from AR3 with MAP2 and MAP1")
        assert map_of(r, map2)["valid"] > 0 and map_of(r, map1)["valid"] > 0
        until(lambda: tb.ping("mn", PLAN.cn), 60, what="MN reaching CN from its AR3 LCoA")

        for m in tb.moves[1:]:
            print(f"move {m.label}: carrier loss reported {1000 * (m.carrier_down - m.t_start):.1f} ms after "
                  f"the move started, carrier back {1000 * (m.carrier_up - m.carrier_down):.1f} ms later")
    finally:
        cap.stop()


def test_netem_on_a_link(make_testbed, kernel_missing):
    if "netem" in kernel_missing:
        pytest.skip("the running kernel has no sch_netem (run-topo-hmip.sh runs this in the VM)")
    tb = make_testbed()
    tb.start_ards(("ar1",))
    tb.attach("ar1")
    tb.wait_lcoa("ar1")
    # The MAP1 - AR1 transit link, on AR1's side: all of the MN's upstream traffic.
    tb.netem("ar1", "up0", loss_pct=100)
    assert not tb.ping("mn", PLAN.cn, count=2, timeout=1), "100% netem loss let packets through"
    tb.netem("ar1", "up0", delay_ms=40)
    qd = tb.n("ar1").run("tc", "qdisc", "show", "dev", "up0")
    assert "netem" in qd and "delay 40ms" in qd, qd
    until(lambda: tb.ping("mn", PLAN.cn), 60, what="traffic through the delaying netem")
