"""Scenario 6: malformed Router Solicitations and Advertisements (RFC 4861
§6.1.1, §6.1.2) are counted and ignored; ard keeps running and still
answers a valid RS.

    +----------------+ mn0       ar0 +-----------------------+ ar1     d0 +------+
    | mn: scapy,     |---------------| ar: ard               |------------| down |
    | tcpdump        |               | ar0: advertises,      |            +------+
    +----------------+               |   MapListen from mn   |
                                     | ar1: MapRelay         |
                                     +-----------------------+

ar0 listens for MAP options from mn's link-local address, so an RA that
were wrongly accepted would show up as a learned MAP in hmipctl. Each bad
message is sent alone and its counter (hmipctl -j ard show counters) is
polled; bad checksums are dropped by the kernel before any raw socket
sees them (Linux verifies ICMPv6 checksums for raw ICMPv6 sockets, which
cannot be switched off), so the kernel's Icmp6InCsumErrors counts those.
At the end: no RS was answered, no MAP was learned, and a valid RS and a
valid RA still work.
"""

import struct
import time

from scapy.layers.inet6 import ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptMAP, ICMPv6NDOptSrcLLAddr, IPv6, in6_chksum
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from nd import ALL_NODES, ALL_ROUTERS, ra_frame, ras, rs_frame
from topo import json_cmp, until

BAD_MAP = "2001:db8:bad::1"
GOOD_MAP = "2001:db8:600d::1"


def raw_icmp(mac, src, dst, icmp: bytes, hlim=255, fix_checksum=True):
    """An ICMPv6 message given as bytes (checksum at offset 2 filled in)."""
    eth_dst = "33:33:00:00:00:02" if dst == ALL_ROUTERS else "33:33:00:00:00:01"
    ip = IPv6(src=src, dst=dst, hlim=hlim, nh=58)
    if fix_checksum:
        body = bytearray(icmp)
        body[2:4] = b"\0\0"
        c = in6_chksum(58, ip / Raw(bytes(body)), bytes(body))
        body[2:4] = struct.pack("!H", c)
        icmp = bytes(body)
    return Ether(src=mac, dst=eth_dst) / ip / Raw(icmp)


def map_opt(addr=BAD_MAP, dist=1):
    return ICMPv6NDOptMAP(dist=dist, pref=5, R=0, validlifetime=600, addr=addr)


def cases(mac, ll):
    """(name, frame, counter expected to go up by one, or {counter: increment};
    None: the kernel drops it)."""
    rs_ok = bytes(ICMPv6ND_RS())  # 8 bytes: type, code, checksum, reserved
    ra_ok = bytes(ICMPv6ND_RA(chlim=0, routerlifetime=0) / map_opt())  # RA header 16 + MAP option 24
    return [
        ("rs_hop_limit_64", rs_frame(mac, ll, hlim=64), "invalid_hop_limit"),
        ("rs_code_1", rs_frame(mac, ll, code=1), "invalid_bad_code"),
        ("rs_truncated", raw_icmp(mac, ll, ALL_ROUTERS, rs_ok[:4]), "invalid_truncated"),
        ("rs_option_length_0", raw_icmp(mac, ll, ALL_ROUTERS, rs_ok + b"\x01\x00" + bytes(6)), "invalid_bad_length"),
        ("rs_option_truncated", raw_icmp(mac, ll, ALL_ROUTERS, rs_ok + b"\x01\x01" + bytes(2)), "invalid_truncated"),
        ("rs_unspecified_with_slla", rs_frame(mac, "::", slla=True), "invalid_rs_unspecified_with_slla"),
        ("rs_bad_checksum", Ether(src=mac, dst="33:33:00:00:00:02") / IPv6(src=ll, dst=ALL_ROUTERS, hlim=255) /
         ICMPv6ND_RS(cksum=0xdead) / ICMPv6NDOptSrcLLAddr(lladdr=mac), None),
        ("ra_hop_limit_64", ra_frame(mac, ll, hlim=64, options=[map_opt()]), "invalid_hop_limit"),
        ("ra_code_1", ra_frame(mac, ll, code=1, options=[map_opt()]), "invalid_bad_code"),
        ("ra_truncated_header", raw_icmp(mac, ll, ALL_NODES, ra_ok[:12]), "invalid_truncated"),
        ("ra_truncated_map_option", raw_icmp(mac, ll, ALL_NODES, ra_ok[:-8]), "invalid_truncated"),
        ("ra_option_length_0", raw_icmp(mac, ll, ALL_NODES, ra_ok + b"\x17\x00" + bytes(6)), "invalid_bad_length"),
        # RFC 5380 §5 forbids Dist 0: the option is malformed and skipped,
        # the rest of the RA is used (RFC 4861 §4.6 style), nothing learned.
        ("ra_map_dist_0", ra_frame(mac, ll, options=[map_opt(dist=0)]),
         {"ra_received": 1, "options_malformed": 1}),
        # Well formed, but from a router not in MapUpstream: used, MAPs not learned.
        ("ra_not_upstream", ra_frame(mac, "fe80::99", options=[map_opt()]), {"ra_received": 1, "ra_not_upstream": 1}),
        ("ra_global_source", ra_frame(mac, "2001:db8:f::99", options=[map_opt()]), "invalid_ra_source_not_link_local"),
        ("ra_bad_checksum", Ether(src=mac, dst="33:33:00:00:00:01") / IPv6(src=ll, dst=ALL_NODES, hlim=255) /
         ICMPv6ND_RA(cksum=0xbeef, chlim=0, routerlifetime=0) / map_opt(), None),
    ]


def test_malformed_rs_and_ra(topo, make_ard):
    mn = topo.node("mn", conf={"accept_ra": "0", "router_solicitations": "0"})
    ar = topo.node("ar", conf={"forwarding": "1"})
    down = topo.node("down", conf={"accept_ra": "0", "router_solicitations": "0"})
    topo.link(mn, "mn0", ar, "ar0")
    topo.link(ar, "ar1", down, "d0")
    ar_ll = ar.wait_link_local("ar0")
    ar.wait_link_local("ar1")
    mn_ll = mn.wait_link_local("mn0")
    mac = mn.mac("mn0")
    cap = topo.sniff(mn, "mn0", "mn0")
    ard = make_ard(ar)
    ard.start(f"""
ControlSocket "{ard.sock}";
interface ar0 {{
    MaxRtrAdvInterval 30;
    MinRtrAdvInterval 10;
    MinDelayBetweenRAs 0.03;
    MaxRADelay 0;
    MapListen on;
    MapUpstream {mn_ll};
    prefix 2001:db8:6::/64 {{ }};
}};
interface ar1 {{
    MaxRtrAdvInterval 30;
    MinRtrAdvInterval 10;
    MapRelay on;
    prefix 2001:db8:7::/64 {{ }};
}};
""")
    ard.wait_advertising("ar0", "ar1")
    sock = mn.packet_socket("mn0")

    def ar0():
        return ard.counters()["interfaces"]["ar0"]

    base = ar0()
    csum_base = ar.snmp6()["Icmp6InCsumErrors"]
    expected = dict(base)
    invalid = 0
    for name, frame, counter in cases(mac, mn_ll):
        sock.send(bytes(frame))
        if counter is None:
            until(lambda: ar.snmp6()["Icmp6InCsumErrors"] > csum_base, 5, what=f"{name} dropped by the kernel")
            csum_base += 1
            continue
        deltas = counter if isinstance(counter, dict) else {counter: 1, "invalid_total": 1}
        for k, v in deltas.items():
            expected[k] += v
        invalid += deltas.get("invalid_total", 0)
        until(lambda: all(ar0()[k] == expected[k] for k in deltas), 5, what=f"{name} counted as {deltas}")
    # Exactly those counters moved (the bad checksums reached no counter of ard).
    final = ar0()
    assert final == expected, {k: (expected[k], v) for k, v in final.items() if v != expected[k]}
    daemon = ard.counters()
    assert daemon["nd_invalid"] == invalid, daemon
    assert daemon["receive_errors"] == 0 and daemon["send_errors"] == 0, daemon
    assert final["invalid_bad_checksum"] == 0

    # Ignored: nothing answered, nothing learned, nothing relayed.
    assert ard.running() and ard.ping()
    assert json_cmp(final, {"rs_received": 0, "ra_solicited_unicast": 0, "ra_solicited_multicast": 0,
                            "ra_received": 2, "map_options_received": 0}) is None, final
    assert not [m for m in ard.show("maps") if m["origin"] == "learned"]
    assert [r for r in ras(cap.packets(), src=ar_ll) if r["dst"] != ALL_NODES] == []

    # A valid RS is still answered (by unicast, at once: MaxRADelay 0) ...
    t0 = time.time()
    sock.send(bytes(rs_frame(mac, mn_ll)))
    ra = cap.wait(lambda p: ras(p, src=ar_ll, dst=mn_ll, after=t0), 3, what="the answer to a valid RS")[0]
    assert ra["time"] - t0 < 0.5
    ard.wait_show("counters", {"interfaces": {"ar0": {"rs_received": 1, "ra_solicited_unicast": 1}}}, 2)
    # ... and a valid RA with a MAP option from the upstream router is learned.
    sock.send(bytes(ra_frame(mac, mn_ll, options=[map_opt(GOOD_MAP)])))
    ard.wait_show("maps", [{"address": GOOD_MAP, "origin": "learned", "dist": 1, "learned_on": "ar0",
                            "advertised_on": ["ar1"]}], 3)
    assert BAD_MAP not in ard.maps()
