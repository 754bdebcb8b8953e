"""Scenario 2: Wireshark's dissectors (tshark) read ard's RA as configured.

    +--------+ ar0        mn0 +--------+
    |   ar   |----------------|   mn   |  tcpdump
    |  ard   |                |        |
    +--------+                +--------+

One RA with two MAP options (one with the R flag), two prefixes (one with
the router address, RFC 6275 §7.2), MTU,
Advertisement Interval, RDNSS, DNSSL and a route is captured on mn0 and
dissected by tshark; every field must read as ard.conf says. MAP probing
is off (the MAP addresses do not exist here), so the lifetimes are the
configured ones.
"""

from nd import ras, tshark_fields
from topo import json_cmp

MAP1 = "2001:db8:100::1"
MAP2 = "2001:db8:200::1"

FIELDS = [
    "ipv6.src", "ipv6.dst", "ipv6.hlim",
    "icmpv6.code", "icmpv6.checksum.status",
    "icmpv6.nd.ra.cur_hop_limit", "icmpv6.nd.ra.flag.m", "icmpv6.nd.ra.flag.o", "icmpv6.nd.ra.flag.prf",
    "icmpv6.nd.ra.router_lifetime", "icmpv6.nd.ra.reachable_time", "icmpv6.nd.ra.retrans_timer",
    "icmpv6.opt.linkaddr",
    "icmpv6.opt.mtu", "icmpv6.opt.advertisement_interval",
    "icmpv6.opt.prefix", "icmpv6.opt.prefix.length", "icmpv6.opt.prefix.flag.l", "icmpv6.opt.prefix.flag.a",
    "icmpv6.opt.prefix.flag.r", "icmpv6.opt.prefix.valid_lifetime", "icmpv6.opt.prefix.preferred_lifetime",
    "icmpv6.opt.rdnss", "icmpv6.opt.rdnss.lifetime", "icmpv6.opt.dnssl", "icmpv6.opt.dnssl.lifetime",
    "icmpv6.opt.route_info.flag.route_preference", "icmpv6.opt.route_lifetime",
    "icmpv6.opt.map.distance", "icmpv6.opt.map.preference", "icmpv6.opt.map.flag.r",
    "icmpv6.opt.map.valid_lifetime", "icmpv6.opt.map.global_address",
    "_ws.malformed", "_ws.expert.message",
]


def test_tshark_decodes_ra(topo, make_ard):
    ar = topo.node("ar", conf={"forwarding": "1"})
    mn = topo.node("mn", conf={"accept_ra": "0", "router_solicitations": "0"})
    topo.link(ar, "ar0", mn, "mn0")
    ar_ll = ar.wait_link_local("ar0")
    mn.wait_link_local("mn0")
    ar_mac = ar.mac("ar0")
    ar.addr_add("ar0", "2001:db8:10:2::1/64")  # for the R flag (RFC 6275 §7.2)
    cap = topo.sniff(mn, "mn0", "mn0")

    ard = make_ard(ar)
    ard.start(f"""
ControlSocket "{ard.sock}";
interface ar0 {{
    MaxRtrAdvInterval 1.5;
    MinRtrAdvInterval 1;
    MinDelayBetweenRAs 0.1;
    AdvIntervalOpt on;
    AdvDefaultLifetime 1800;
    AdvDefaultPreference high;
    AdvOtherConfigFlag on;
    AdvLinkMTU 1480;
    AdvCurHopLimit 64;
    AdvReachableTime 30000;
    AdvRetransTimer 1000;
    prefix 2001:db8:10:1::/64 {{
        AdvOnLink on;
        AdvAutonomous on;
        AdvValidLifetime 86400;
        AdvPreferredLifetime 14400;
    }};
    prefix 2001:db8:10:2::/64 {{
        AdvRouterAddr on;
        AdvAutonomous off;
        AdvValidLifetime 7200;
        AdvPreferredLifetime 3600;
    }};
    route 2001:db8:77::/48 {{ AdvRoutePreference low; AdvRouteLifetime 900; }};
    RDNSS 2001:db8:10::53 2001:db8:20::53 {{ AdvRDNSSLifetime 600; }};
    DNSSL mobile.example.net {{ AdvDNSSLLifetime 700; }};
    map {MAP1} {{ Dist 1; Pref 12; ValidLifetime 3600; Probe off; }};
    map {MAP2} {{ Dist 3; Pref 7; RFlag on; ValidLifetime 1200; Probe off; }};
}};
""")
    cap.wait(lambda p: ras(p, src=ar_ll), 5, what="an RA from ard")
    pcap = cap.snapshot()

    pkts = tshark_fields(pcap, f"icmpv6.type == 134 && ipv6.src == {ar_ll}", FIELDS)
    assert pkts, "tshark found no RA"
    ra = pkts[0]
    expected = {
        "ipv6.src": [ar_ll], "ipv6.dst": ["ff02::1"], "ipv6.hlim": ["255"],
        "icmpv6.code": ["0"], "icmpv6.checksum.status": ["1"],  # 1: good
        "icmpv6.nd.ra.cur_hop_limit": ["64"], "icmpv6.nd.ra.flag.m": ["0"], "icmpv6.nd.ra.flag.o": ["1"],
        "icmpv6.nd.ra.flag.prf": ["1"],  # high (RFC 4191 §2.2: 01)
        "icmpv6.nd.ra.router_lifetime": ["1800"], "icmpv6.nd.ra.reachable_time": ["30000"],
        "icmpv6.nd.ra.retrans_timer": ["1000"],
        "icmpv6.opt.linkaddr": [ar_mac],
        "icmpv6.opt.mtu": ["1480"],
        "icmpv6.opt.advertisement_interval": ["1500"],  # ms, MaxRtrAdvInterval (RFC 6275 §7.3)
        # The second prefix has the R flag: the Prefix field holds ar's full
        # address in it. The Route Information's prefix is dissected as
        # icmpv6.opt.prefix too.
        "icmpv6.opt.prefix": ["2001:db8:10:1::", "2001:db8:10:2::1", "2001:db8:77::"],
        "icmpv6.opt.prefix.flag.l": ["1", "1"], "icmpv6.opt.prefix.flag.a": ["1", "0"],
        "icmpv6.opt.prefix.flag.r": ["0", "1"],
        "icmpv6.opt.prefix.valid_lifetime": ["86400", "7200"],
        "icmpv6.opt.prefix.preferred_lifetime": ["14400", "3600"],
        "icmpv6.opt.rdnss": ["2001:db8:10::53", "2001:db8:20::53"], "icmpv6.opt.rdnss.lifetime": ["600"],
        "icmpv6.opt.dnssl": ["mobile.example.net"], "icmpv6.opt.dnssl.lifetime": ["700"],
        "icmpv6.opt.route_info.flag.route_preference": ["3"],  # low (11)
        "icmpv6.opt.route_lifetime": ["900"],
        # RFC 5380 §5: the MAP options in configuration order.
        "icmpv6.opt.map.distance": ["1", "3"],
        "icmpv6.opt.map.preference": ["12", "7"],
        "icmpv6.opt.map.flag.r": ["0", "1"],
        "icmpv6.opt.map.valid_lifetime": ["3600", "1200"],
        "icmpv6.opt.map.global_address": [MAP1, MAP2],
    }
    diffs = [f"{k}: expected {v}, got {ra.get(k)}" for k, v in expected.items() if ra.get(k) != v]
    assert not diffs, "\n".join(diffs) + f"\n{ra}"
    # Prefix lengths: the Prefix Information's and the Route Information's.
    assert ra["icmpv6.opt.prefix.length"] == ["64", "64", "48"], ra
    # Nothing Wireshark considers malformed or worth a warning.
    assert "_ws.malformed" not in ra, ra
    assert "_ws.expert.message" not in ra, ra

    # Every RA ard sent agrees with the first (scapy's view, all of them).
    for r in ras(cap.packets(), src=ar_ll):
        assert json_cmp(r, {"hlim": 255, "router_lifetime": 1800, "mtu": 1480, "adv_interval": 1500,
                            "maps": [{"address": MAP1, "dist": 1, "pref": 12, "r": 0, "valid": 3600},
                                     {"address": MAP2, "dist": 3, "pref": 7, "r": 1, "valid": 1200}]}) is None, r
