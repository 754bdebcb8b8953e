"""Scenario 5: dynamic MAP discovery (draft-ietf-mipshop-4140bis §7.1):
MAP options relayed down a chain of routers with Dist + 1, and the smaller
Dist kept when a MAP is heard on two paths. Every router runs ard.

                 +----------------------------+
                 | r1: MAP router, ard        |
                 | map 2001:db8:100::1 Dist 1 |
                 +----------------------------+
                  r1d0 |                 | r1d1
       (Dist 1)        |                 |        (Dist 1, the short path,
                  r2u0 |                 |         link down at first)
          +-----------------------+      |
          | r2: middle router,ard |      |
          | listens on r2u0       |      |
          | relays on r2d0        |      |
          +-----------------------+      |
                  r2d0 |                 |
       (Dist 2)        |                 |
                  aru0 |                 | aru1
          +-----------------------------------------+
          | ar: access router, ard                   |
          | listens on aru0 (from r2), aru1 (from r1)|
          | relays on ar0                            |
          +-----------------------------------------+
                   ar0 |
       (Dist 3, then 2)|
                   mn0 |
                 +------------+
                 |  mn        |  tcpdump
                 +------------+

Each listening interface has AdvSendAdvert off, MapListen on and
MapUpstream = the link-local address of the router above it.
"""

import time

from nd import map_of, ras
from topo import json_cmp

MAP = "2001:db8:100::1"
PREF = 9
LIFETIME = 1800

TIMING = """
    MaxRtrAdvInterval 0.5;
    MinRtrAdvInterval 0.3;
    MinDelayBetweenRAs 0.05;"""


def dist_of(after=0.0, src=None):
    def pred(pkts):
        return [(r, m) for r in ras(pkts, src=src, after=after) if (m := map_of(r, MAP))]
    return pred


def test_relay_chain_and_two_paths(topo, make_ard):
    r1 = topo.node("r1", conf={"forwarding": "1"})
    r2 = topo.node("r2", conf={"forwarding": "1"})
    ar = topo.node("ar", conf={"forwarding": "1"})
    mn = topo.node("mn", conf={"accept_ra": "0", "router_solicitations": "0"})
    topo.link(r1, "r1d0", r2, "r2u0")
    topo.link(r2, "r2d0", ar, "aru0")
    topo.link(r1, "r1d1", ar, "aru1")
    topo.link(ar, "ar0", mn, "mn0")
    r1.run("ip", "-6", "addr", "add", f"{MAP}/128", "dev", "lo")
    ar.run("ip", "link", "set", "aru1", "down")  # the short path comes later
    r1_ll0, r1_ll1 = r1.wait_link_local("r1d0"), r1.wait_link_local("r1d1")
    r2_ll = r2.wait_link_local("r2d0")
    ar_ll = ar.wait_link_local("ar0")
    mn.wait_link_local("mn0")

    cap_r1 = topo.sniff(r2, "r2u0", "r1-r2")
    cap_r2 = topo.sniff(ar, "aru0", "r2-ar")
    cap_mn = topo.sniff(mn, "mn0", "ar-mn")

    ard1 = make_ard(r1, "r1")
    ard1.start(f"""
ControlSocket "{ard1.sock}";
interface r1d0 {{{TIMING}
    map {MAP} {{ Dist 1; Pref {PREF}; ValidLifetime {LIFETIME}; Probe on; ProbeInterval 1; ProbeTimeout 0.5; }};
}};
interface r1d1 {{{TIMING}
    map {MAP} {{ Dist 1; Pref {PREF}; ValidLifetime {LIFETIME}; Probe on; ProbeInterval 1; ProbeTimeout 0.5; }};
}};
""")
    ard2 = make_ard(r2, "r2")
    ard2.start(f"""
ControlSocket "{ard2.sock}";
interface r2u0 {{
    AdvSendAdvert off;
    MapListen on;
    MapUpstream {r1_ll0};
}};
interface r2d0 {{{TIMING}
    MapRelay on;
    prefix 2001:db8:20::/64 {{ }};
}};
""")
    ard3 = make_ard(ar, "ar")
    ard3.start(f"""
ControlSocket "{ard3.sock}";
interface aru0 {{
    AdvSendAdvert off;
    MapListen on;
    MapUpstream {r2_ll};
}};
interface aru1 {{
    AdvSendAdvert off;
    MapListen on;
    MapUpstream {r1_ll1};
}};
interface ar0 {{{TIMING}
    MapRelay on;
    prefix 2001:db8:30::/64 {{ }};
}};
""")

    # Dist 1 on the MAP's link, 2 below the middle router, 3 on the mobile
    # node's link; Pref and R copied; lifetimes at most the MAP's.
    for cap, src, dist in ((cap_r1, r1_ll0, 1), (cap_r2, r2_ll, 2), (cap_mn, ar_ll, 3)):
        r, m = cap.wait(dist_of(src=src), 8, what=f"a MAP option from {src} on {cap.path.name}")[0]
        assert json_cmp(m, {"dist": dist, "pref": PREF, "r": 0, "valid": lambda v: 0 < v <= LIFETIME}) is None, \
            (cap.path.name, m)
    # No RA on a listening interface (AdvSendAdvert off): r2 sends none upstream.
    assert not ras(cap_r1.packets(), src=r2.link_local("r2u0"))

    ard2.wait_show("maps", [{"address": MAP, "origin": "learned", "state": "up", "dist": 1, "pref": PREF,
                             "learned_on": "r2u0", "learned_from": r1_ll0, "sources": 1,
                             "advertised_on": ["r2d0"]}], 5)
    ard3.wait_show("maps", [{"address": MAP, "origin": "learned", "dist": 2, "learned_on": "aru0",
                             "learned_from": r2_ll, "sources": 1, "advertised_on": ["ar0"]}], 5)
    # Every RA on the mobile node's link so far said Dist 3.
    assert {m["dist"] for _, m in dist_of(src=ar_ll)(cap_mn.packets())} == {3}

    # The short path appears: ar now hears the MAP from r1 directly (Dist 1)
    # as well as through r2 (Dist 2), and must relay the smaller: Dist 2.
    t_up = time.time()
    ar.run("ip", "link", "set", "aru1", "up")
    ard3.wait_show("maps", [{"address": MAP, "origin": "learned", "dist": 1, "learned_on": "aru1",
                             "learned_from": r1_ll1, "sources": 2, "advertised_on": ["ar0"]}], 5)
    first2 = cap_mn.wait(lambda p: [(r, m) for r, m in dist_of(after=t_up, src=ar_ll)(p) if m["dist"] == 2], 5,
                         what="Dist 2 on the mobile node's link")[0][0]
    # It stays 2 while r2 keeps advertising Dist 2 on aru0 (several more of
    # r2's RAs after the switch), whichever was heard last.
    cap_r2.wait(lambda p: len(ras(p, src=r2_ll, after=first2["time"])) >= 4, 5,
                what="four more RAs from r2 on aru0")
    later = dist_of(after=first2["time"] - 0.001, src=ar_ll)(cap_mn.packets())
    assert len(later) >= 3 and {m["dist"] for _, m in later} == {2}, [(r["time"], m) for r, m in later]
    ard3.wait_show("maps", [{"address": MAP, "dist": 1, "learned_on": "aru1", "sources": 2}], 1)

    # The MAP fails at r1 (forced here; probing is scenario 4): the Valid
    # Lifetime 0 travels down both paths at once (each router sends a fast
    # RA when what it advertises changes), and comes back the same way.
    t_fail = time.time()
    ard1.request("map", MAP, "failed")
    down = cap_mn.wait(lambda p: [r for r, m in dist_of(after=t_fail, src=ar_ll)(p) if m["valid"] == 0], 3,
                       what="the MAP withdrawn on the mobile node's link")[0]
    assert down["time"] - t_fail < 1.0, f"withdrawal reached the mobile node's link after {down['time'] - t_fail:.3f} s"
    assert json_cmp(map_of(down, MAP), {"dist": 2, "pref": PREF, "valid": 0}) is None, down
    ard2.wait_show("maps", [{"address": MAP, "origin": "learned", "state": "failed", "lifetime": 0}], 2)
    ard3.wait_show("maps", [{"address": MAP, "origin": "learned", "state": "failed", "lifetime": 0, "dist": 1}], 2)
    t_back = time.time()
    ard1.request("map", MAP, "auto")
    back = cap_mn.wait(lambda p: [r for r, m in dist_of(after=t_back, src=ar_ll)(p) if m["valid"] > 0], 3,
                       what="the MAP back on the mobile node's link")[0]
    assert back["time"] - t_back < 1.0
    assert json_cmp(map_of(back, MAP), {"dist": 2, "valid": lambda v: 0 < v <= LIFETIME}) is None, back
    ard3.wait_show("maps", [{"address": MAP, "state": "up", "dist": 1, "sources": 2}], 2)
    for d in (ard1, ard2, ard3):
        assert d.running()
