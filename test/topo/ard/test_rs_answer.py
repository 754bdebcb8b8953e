"""Scenario 3: Router Solicitations sent with scapy are answered within
MaxRADelay (RFC 4861 §6.2.6), by unicast to the solicitor when
AdvRASolicitedUnicast is on, to all nodes otherwise.

    +--------+ ar0        mn0 +------------------------+
    |   ar   |----------------|   mn (scapy, tcpdump)  |
    |  ard   |                |  fe80::10:1..5 extra   |
    +--------+                +------------------------+

MaxRtrAdvInterval is 30 s, so after the first RA no unsolicited one is due
(the next is at least MinRtrAdvInterval = 10 s away) and every RA seen in
the test answers an RS. The delays come from the capture's time stamps
(RS out of mn0, RA into mn0).
"""

import json
import time

import pytest

from nd import ALL_NODES, ras, rs_frame
from topo import json_cmp

SLACK = 0.03  # timer and capture granularity, seconds
MIN_DELAY = 0.05  # MinDelayBetweenRAs


def start_router(topo, make_ard, unicast: bool, max_delay: float):
    ar = topo.node("ar", conf={"forwarding": "1"})
    mn = topo.node("mn", conf={"accept_ra": "0", "router_solicitations": "0"})
    topo.link(ar, "ar0", mn, "mn0")
    ar_ll = ar.wait_link_local("ar0")
    mn_ll = mn.wait_link_local("mn0")
    cap = topo.sniff(mn, "mn0", "mn0")
    ard = make_ard(ar)
    ard.start(f"""
ControlSocket "{ard.sock}";
interface ar0 {{
    MaxRtrAdvInterval 30;
    MinRtrAdvInterval 10;
    MinDelayBetweenRAs {MIN_DELAY};
    MaxRADelay {max_delay};
    AdvRASolicitedUnicast {"on" if unicast else "off"};
    prefix 2001:db8:3::/64 {{ }};
}};
""")
    # The first (unsolicited) RA; the next unsolicited one is >= 10 s later.
    first = cap.wait(lambda p: ras(p, src=ar_ll), 5, what="the first RA")[0]
    return ar, mn, ar_ll, mn_ll, cap, ard, first


@pytest.mark.parametrize("max_delay", [0.25, 0.0], ids=["MaxRADelay0.25", "MaxRADelay0"])
def test_rs_answered_by_unicast(topo, make_ard, outdir, max_delay):
    ar, mn, ar_ll, mn_ll, cap, ard, first = start_router(topo, make_ard, True, max_delay)
    mac = mn.mac("mn0")
    sources = [f"fe80::10:{n}" for n in range(1, 6)]
    for s in sources:  # five hosts on mn0, so no per-host rate limit applies
        mn.addr_add("mn0", f"{s}/64")
    sock = mn.packet_socket("mn0")
    for s in sources:
        sock.send(bytes(rs_frame(mac, s)))

    def answered(pkts):
        out = {}
        for s in sources:
            rs_t = [ts for ts, p in pkts if p.haslayer("ICMPv6ND_RS") and p["IPv6"].src == s]
            ra_t = [r for r in ras(pkts, src=ar_ll, dst=s)]
            if rs_t and ra_t:
                out[s] = (rs_t[0], ra_t[0])
        return out if len(out) == len(sources) else None

    pairs = cap.wait(answered, 5, what="a unicast RA to each soliciting host")
    delays = {s: ra["time"] - rs for s, (rs, ra) in pairs.items()}
    (outdir / "delays.json").write_text(json.dumps(delays, indent=1))
    for s, (rs, ra) in pairs.items():
        # To the RS's source, at its link-layer address (from the RS's Source LLA).
        assert json_cmp(ra, {"dst": s, "eth_dst": mac, "hlim": 255, "router_lifetime": 90,
                             "prefixes": [{"prefix": "2001:db8:3::"}]}) is None, ra
    assert all(0 <= d <= max_delay + SLACK for d in delays.values()), f"delays {delays}, MaxRADelay {max_delay}"
    if max_delay > 0:
        # Randomised (RFC 4861 §6.2.6), not all at once: 5 draws below 20 ms
        # out of 250 ms happen with probability 4e-6.
        assert max(delays.values()) > 0.02, f"delays {delays} do not look random in [0, {max_delay}]"
    # No multicast RA answered them.
    assert [r["time"] for r in ras(cap.packets(), src=ar_ll, dst=ALL_NODES)] == [first["time"]]
    c = ard.counters()["interfaces"]["ar0"]
    assert json_cmp(c, {"rs_received": 5, "ra_solicited_unicast": 5, "ra_solicited_multicast": 0,
                        "ra_unsolicited": 1, "invalid_total": 0}) is None, c

    # An RS from the unspecified address (no Source LLA allowed) can only be
    # answered to all nodes.
    t0 = time.time()
    sock.send(bytes(rs_frame(mac, "::", slla=False)))
    ra = cap.wait(lambda p: ras(p, src=ar_ll, dst=ALL_NODES, after=t0), 5, what="a multicast answer to RS from ::")[0]
    rs_time = [ts for ts, p in cap.packets() if p.haslayer("ICMPv6ND_RS") and p["IPv6"].src == "::"][0]
    assert ra["time"] - rs_time <= max_delay + SLACK
    assert ard.counters()["interfaces"]["ar0"]["ra_solicited_multicast"] == 1


def test_rs_answered_by_multicast(topo, make_ard, outdir):
    max_delay = 0.2
    ar, mn, ar_ll, mn_ll, cap, ard, first = start_router(topo, make_ard, False, max_delay)
    mac = mn.mac("mn0")
    sock = mn.packet_socket("mn0")
    last_ra = first["time"]
    delays = []
    for n in range(4):
        # Pacing, not synchronisation: consecutive multicast RAs are at least
        # MinDelayBetweenRAs apart (RFC 4861 §6.2.6), which would add to the
        # delay; solicit only once that much has passed since the last one.
        time.sleep(max(0.0, last_ra + MIN_DELAY + 0.01 - time.time()))
        t0 = time.time()
        sock.send(bytes(rs_frame(mac, mn_ll)))
        ra = cap.wait(lambda p: ras(p, src=ar_ll, after=t0), 5, what=f"an answer to RS #{n + 1}")[0]
        rs_time = [ts for ts, p in cap.packets() if p.haslayer("ICMPv6ND_RS") and ts >= t0 - 0.001][0]
        assert json_cmp(ra, {"dst": ALL_NODES, "eth_dst": "33:33:00:00:00:01", "hlim": 255}) is None, ra
        delays.append(ra["time"] - rs_time)
        last_ra = ra["time"]
    (outdir / "delays.json").write_text(json.dumps(delays, indent=1))
    assert all(0 <= d <= max_delay + SLACK for d in delays), f"delays {delays}, MaxRADelay {max_delay}"
    c = ard.counters()["interfaces"]["ar0"]
    assert json_cmp(c, {"rs_received": 4, "ra_solicited_multicast": 4, "ra_solicited_unicast": 0,
                        "ra_unsolicited": 1}) is None, c
