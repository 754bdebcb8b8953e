"""Scenario 4: MAP failure detection (RFC 5380 §10) with ICMPv6 Echo probes.

    +------+ mn0    ar0 +------+ ar1           m0 +-------------------+
    |  mn  |------------|  ar  |------------------|        map        |
    +------+            | ard  | 2001:db8:ff::1/64  | 2001:db8:ff::2/64 |
     tcpdump            +------+  2001:db8:ff::2/64| lo 2001:db8:100::1|
                          route 2001:db8:100::/64   default via ar
                          via 2001:db8:ff::2        +-------------------+

ard advertises MAP 2001:db8:100::1 on ar0 and probes it every 0.3 s
(timeout 0.2 s; after a miss every 0.2 s; failed 0.6 s after the first miss
once 3 probes in a row went unanswered; restored after 3 replies in a row,
not before 2 s after the failure: the damping of ProbeFailMisses and
ProbeRestoreHoldDown). When the MAP stops answering (sysctl
echo_ignore_all, or an nftables rule dropping Echo Requests), ard must
advertise it with Valid Lifetime 0 within the detection time, in an RA
sent at once (MaxRtrAdvInterval is 6 s, so no periodic RA is due), and say
"failed" in hmipctl; when it answers again it must come back with its
lifetime after 3 replies.
"""

import json
import time

import pytest

from ardproc import log_times
from nd import map_of, ras
from topo import json_cmp

MAP = "2001:db8:100::1"
LIFETIME = 600
PROBE_INTERVAL, PROBE_TIMEOUT, RETRY, FAIL_AFTER, RESTORE_AFTER = 0.3, 0.2, 0.2, 0.6, 3
FAIL_MISSES, HOLD_DOWN = 3, 2.0
MIN_DELAY = 0.05
MIN_RA_INTERVAL = 4.5
SLACK = 0.3
# Worst case: the MAP stops just after answering; the next probe goes out
# PROBE_INTERVAL later, is missed PROBE_TIMEOUT after that, and the MAP fails
# FAIL_AFTER after that first miss, or at the FAIL_MISSES-th miss if later
# (ard.conf(5), MAP FAILURE DETECTION).
DETECTION = PROBE_INTERVAL + PROBE_TIMEOUT + max(FAIL_AFTER, (FAIL_MISSES - 1) * RETRY)
# While failed it is probed every RETRY; RESTORE_AFTER replies in a row.
RESTORATION = RETRY * RESTORE_AFTER


def build(topo, make_ard):
    mn = topo.node("mn", conf={"accept_ra": "0", "router_solicitations": "0"})
    ar = topo.node("ar", conf={"forwarding": "1"})
    mp = topo.node("map", conf={"forwarding": "1"})
    topo.link(mn, "mn0", ar, "ar0")
    topo.link(ar, "ar1", mp, "m0")
    ar.addr_add("ar1", "2001:db8:ff::1/64")
    mp.addr_add("m0", "2001:db8:ff::2/64")
    mp.run("ip", "-6", "addr", "add", f"{MAP}/128", "dev", "lo")
    ar.run("ip", "-6", "route", "add", "2001:db8:100::/64", "via", "2001:db8:ff::2")
    mp.run("ip", "-6", "route", "add", "default", "via", "2001:db8:ff::1")
    ar_ll = ar.wait_link_local("ar0")
    mn.wait_link_local("mn0")
    # The path works before ard relies on it.
    assert " 0% packet loss" in ar.run("ping", "-6", "-c", "1", "-W", "2", MAP, check=False)
    cap = topo.sniff(mn, "mn0", "mn0")
    probes = topo.sniff(ar, "ar1", "ar1", bpf="icmp6 and (ip6[40] == 128 or ip6[40] == 129)")
    ard = make_ard(ar)
    ard.start(f"""
ControlSocket "{ard.sock}";
interface ar0 {{
    MaxRtrAdvInterval 6;
    MinRtrAdvInterval {MIN_RA_INTERVAL};
    MinDelayBetweenRAs {MIN_DELAY};
    prefix 2001:db8:10::/64 {{ }};
    map {MAP} {{
        Dist 1;
        Pref 10;
        ValidLifetime {LIFETIME};
        Probe on;
        ProbeInterval {PROBE_INTERVAL};
        ProbeTimeout {PROBE_TIMEOUT};
        ProbeRetryInterval {RETRY};
        ProbeFailAfter {FAIL_AFTER};
        ProbeRestoreAfter {RESTORE_AFTER};
        ProbeFailMisses {FAIL_MISSES};
        ProbeRestoreHoldDown {HOLD_DOWN};
    }};
}};
""")
    return mn, ar, mp, ar_ll, cap, probes, ard


def stop_answering(mp, how):
    if how == "echo_ignore_all":
        mp.sysctl("net.ipv6.icmp.echo_ignore_all", "1")
    else:
        mp.run("nft", "add", "table", "inet", "hmiptest")
        mp.run("nft", "add", "chain", "inet", "hmiptest", "in", "{ type filter hook input priority 0 ; }")
        mp.run("nft", "add", "rule", "inet", "hmiptest", "in", "icmpv6", "type", "echo-request", "drop")


def answer_again(mp, how):
    if how == "echo_ignore_all":
        mp.sysctl("net.ipv6.icmp.echo_ignore_all", "0")
    else:
        mp.run("nft", "delete", "table", "inet", "hmiptest")


def map_lifetime_is(lifetime, after):
    def pred(pkts):
        return [r for r in ras(pkts, after=after) if (m := map_of(r, MAP)) and m["valid"] == lifetime]
    return pred


@pytest.mark.parametrize("how", ["echo_ignore_all", "nftables"])
def test_map_failure_and_restore(topo, make_ard, outdir, how):
    mn, ar, mp, ar_ll, cap, probes, ard = build(topo, make_ard)

    # Up: probes answered, advertised with its lifetime.
    ard.wait_show("maps", [{"address": MAP, "origin": "configured", "state": "up", "probed": True,
                            "replies": lambda n: n >= 2, "lifetime": LIFETIME, "advertised_on": ["ar0"]}], 5)
    cap.wait(map_lifetime_is(LIFETIME, 0), 5, what="an RA with the MAP up")

    # The MAP stops answering.
    t0 = time.time()
    stop_answering(mp, how)
    failed_ra = cap.wait(map_lifetime_is(0, t0), DETECTION + SLACK + 1, what="an RA with MAP lifetime 0")[0]
    assert failed_ra["time"] - t0 <= DETECTION + SLACK, \
        f"failure advertised {failed_ra['time'] - t0:.3f} s after the MAP stopped, detection time {DETECTION} s"
    # The rest of the RA is unchanged; the MAP option is kept with lifetime 0.
    assert json_cmp(failed_ra, {"router_lifetime": 18, "prefixes": [{"prefix": "2001:db8:10::"}],
                                "maps": [{"address": MAP, "dist": 1, "pref": 10, "valid": 0}]}) is None, failed_ra
    # Sent at once, not at the next periodic time: the RA before it is less
    # than MinRtrAdvInterval older, and ard logged the failure just before.
    before = [r["time"] for r in ras(cap.packets(), src=ar_ll) if r["time"] < failed_ra["time"]]
    assert before and failed_ra["time"] - before[-1] < MIN_RA_INTERVAL, "the lifetime 0 RA was a periodic one"
    fail_logged = log_times(ard.log_text(), rf"MAP {MAP} failed")
    assert len(fail_logged) == 1, ard.log_text()[-2000:]
    assert -0.01 <= failed_ra["time"] - fail_logged[0] <= MIN_DELAY + 0.05, \
        f"RA {failed_ra['time'] - fail_logged[0]:.3f} s after the failure was logged"
    ard.wait_show("maps", [{"address": MAP, "state": "failed", "lifetime": 0, "failures": 1, "restores": 0,
                            "misses": lambda n: n >= 1}], 2)
    # Every RA from now on says lifetime 0 until the MAP is back.

    # The MAP answers again.
    t1 = time.time()
    answer_again(mp, how)
    held = max(0.0, failed_ra["time"] + HOLD_DOWN - t1)  # what is left of the hold-down
    restored_ra = cap.wait(map_lifetime_is(LIFETIME, t1), max(RESTORATION, held) + SLACK + 1,
                           what="the MAP restored")[0]
    assert restored_ra["time"] - t1 <= max(RESTORATION, held) + RETRY + SLACK, \
        f"restored {restored_ra['time'] - t1:.3f} s after the MAP answered again"
    # Not before the hold-down: a flapping MAP does not flap the mobile nodes.
    assert restored_ra["time"] - failed_ra["time"] >= HOLD_DOWN - 0.05, \
        f"restored {restored_ra['time'] - failed_ra['time']:.3f} s after the failure, hold-down {HOLD_DOWN} s"
    # Not before ProbeRestoreAfter replies: count them on the wire.
    replies = [ts for ts, p in probes.packets()
               if p.haslayer("ICMPv6EchoReply") and p["IPv6"].src == MAP and t1 < ts < restored_ra["time"]]
    assert len(replies) >= RESTORE_AFTER, f"restored after {len(replies)} replies"
    # No RA between failure and restoration advertised the MAP alive.
    between = [r for r in ras(cap.packets(), src=ar_ll) if failed_ra["time"] <= r["time"] < restored_ra["time"]]
    assert all(map_of(r, MAP)["valid"] == 0 for r in between), between
    ard.wait_show("maps", [{"address": MAP, "state": "up", "lifetime": LIFETIME, "failures": 1, "restores": 1}], 2)
    assert ard.running()
    (outdir / "timing.json").write_text(json.dumps({
        "failure_advertised_after": failed_ra["time"] - t0, "detection_time": DETECTION,
        "ra_after_failure_logged": failed_ra["time"] - fail_logged[0],
        "restore_advertised_after": restored_ra["time"] - t1, "replies_before_restore": len(replies)}, indent=1))


def test_map_admin_failed(topo, make_ard):
    """hmipctl ard map ADDRESS failed|auto: manual failure (4140bis §10)."""
    mn, ar, mp, ar_ll, cap, probes, ard = build(topo, make_ard)
    ard.wait_show("maps", [{"address": MAP, "state": "up", "lifetime": LIFETIME}], 5)
    t0 = time.time()
    assert ard.request("map", MAP, "failed") == {"address": MAP, "admin": "failed"}
    cap.wait(map_lifetime_is(0, t0), 2, what="an RA with the MAP forced failed")
    ard.wait_show("maps", [{"address": MAP, "state": "failed", "admin": True, "lifetime": 0}], 2)
    t1 = time.time()
    ard.request("map", MAP, "auto")
    cap.wait(map_lifetime_is(LIFETIME, t1), 2, what="an RA with the MAP back")
    ard.wait_show("maps", [{"address": MAP, "state": "up", "admin": False, "lifetime": LIFETIME}], 2)
    # Only configured MAPs can be forced.
    r = ard.hmipctl("map", "2001:db8:dead::1", "failed", check=False)
    assert r.returncode == 1 and "not a configured MAP" in r.stdout, r
