"""hmip-testbed: build, drive and remove the HMIPv6 namespace testbed by hand
(scripts/testbed/hmip-testbed wraps this). State between invocations lives
in STATE_DIR/<name>.json (default /run/hmip-testbed, or $HMIP_TESTBED_STATE).

  hmip-testbed up [--name N] [--build-dir B] [--out DIR] [--attach ar1] [--mapd] [--mnd] [--ar3-map1] [--secure]
                  [--mn1 ar2]               (a second MN interface mn1, patched into AR2's link: Multiple CoA)
  hmip-testbed move ar2 [--dwell S] [--iface mn1]
  hmip-testbed detach [--iface mn1]     (carrier loss on that MN interface; `move AR` patches it in again)
  hmip-testbed status
  hmip-testbed exec NODE CMD...        (cn core map1 map2 ar1 ar2 ar3 sw mn)
  hmip-testbed probe-demo [--moves ar2,ar1,ar2] [--interval S]   (no mapd/mnd: a pinned address)
  hmip-testbed demo [--build-dir B] [--secure]  (mapd + HA + mnd: stream to the home address, AR1 -> AR2 -> AR3)
  hmip-testbed bench [--count 20] [--map-delay MS] [--mapd --mnd]  (median handover gap)
  hmip-testbed bench --home hmipv6|plain [--ha-delay MS] [--count 20]  (the same to the home address)
  hmip-testbed bench --mcoa on|off [--count 20]   (MN on AR1 and AR2 at once: gap when the carrying interface dies)
  hmip-testbed features                 (what the running kernel lacks: ip6tnl mip6 netem)
  hmip-testbed down
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from handover import (MoveMark, format_gaps, handover_gaps, median_gap_ms, median_resume_ms,  # noqa: E402
                      plot_arrivals)
from hmip_conf import mnd_home_block  # noqa: E402
from hmip_plan import MN_IF, MN_IF2, PLAN, UPLINK_IF  # noqa: E402
from hmip_secure import HA_ID, MN_ID, SecureDomain  # noqa: E402
from hmip_topo import Binaries, Options, Testbed, missing_kernel_features  # noqa: E402
from inter_map import InterMapFailure, InterMapResult, check_inter_map_move, mn_rcoa  # noqa: E402
from probe import ProbeStream  # noqa: E402
from topo import until  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
PIN = "2001:db8:1:99::10"


def state_path(name: str) -> Path:
    return Path(os.environ.get("HMIP_TESTBED_STATE", "/run/hmip-testbed")) / f"{name}.json"


def save(tb: Testbed, name: str) -> None:
    p = state_path(name)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(tb.state(), indent=1))


def load(name: str) -> Testbed:
    p = state_path(name)
    if not p.exists():
        sys.exit(f"hmip-testbed: no testbed named {name!r} ({p} missing): run `hmip-testbed up` first")
    return Testbed.from_state(json.loads(p.read_text()))


def binaries(build: Path, want_mapd: bool, want_mnd: bool) -> Binaries:
    d = build / "daemons"

    def exe(n: str, wanted: bool = True):
        path = d / n
        if not wanted:
            return None
        if not os.access(path, os.X_OK):
            sys.exit(f"hmip-testbed: {path} is not built")
        return str(path)
    return Binaries(ard=exe("ard"), hmipctl=exe("hmipctl"), mapd=exe("mapd", want_mapd), mnd=exe("mnd", want_mnd))


def build_up(a: argparse.Namespace, pin: bool = False) -> Testbed:
    """The testbed `a` asks for; with a.home ("hmipv6" / "plain", bench
    --home) also the HA (mapd in the home-agent role, ard on the home link)
    and mnd with a Home block (Hmipv6 off for "plain")."""
    home = getattr(a, "home", None)
    bins = binaries(Path(a.build_dir), a.mapd, a.mnd)
    out = Path(a.out or Path(a.build_dir) / "testbed" / a.name).resolve()
    out.mkdir(parents=True, exist_ok=True)
    secure = getattr(a, "secure", False) and (a.mapd or a.mnd)
    mn1 = getattr(a, "mn1", None)
    tb = Testbed(out, bins, Options(ar3_advertises_map1=a.ar3_map1, map_r_flag=secure, second_mn_interface=bool(mn1)),
                 prefix=f"hb{a.name}"[:10])
    try:
        tb.build()
        # Secure mode (mapd(8) SECURITY): a charon on each MAP and the MN.
        # With a home registration also on the HA (RFC 4877: it owns the
        # MN's home address for the MN's identity).
        sd = SecureDomain(tb, ha=bool(home)) if secure else None
        tb.start_ards()
        if a.mapd:
            for m in ("map1", "map2"):
                tb.start_mapd(m, secure=sd.mapd_ike(m) if sd else None)
        if home:
            tb.start_home_ard()
            if sd:
                tb.start_ha(secure=sd.ha_ike(), owners={PLAN.home.home_address: MN_ID})
            else:
                tb.start_ha()
        tb.attach(a.attach)
        if mn1:
            tb.attach(mn1, iface=MN_IF2)
        if pin:
            tb.pin_mn_address(PIN)
        if a.mnd:
            tb.start_mnd(extra=mnd_home_block(PLAN, hmipv6=home == "hmipv6", ha_identity=HA_ID if sd else None)
                         if home else "", secure=sd.mnd_ike() if sd else None)
    except BaseException:
        tb.close()
        raise
    return tb


def cmd_up(a: argparse.Namespace) -> int:
    if state_path(a.name).exists():
        sys.exit(f"hmip-testbed: {a.name!r} is up already (hmip-testbed down --name {a.name})")
    tb = build_up(a)
    save(tb, a.name)
    print(f"testbed {a.name!r} up: namespaces {tb.prefix}-*, MN on {a.attach}, output in {tb.outdir}")
    print(f"MN LCoA {tb.wait_lcoa(a.attach)}")
    return 0


def cmd_move(a: argparse.Namespace) -> int:
    tb = load(a.name)
    mv = tb.move(a.ar, dwell=a.dwell, iface=a.iface)
    save(tb, a.name)
    print(f"moved {mv.label} in {1000 * (mv.t_end - mv.t_start):.1f} ms; MN LCoA {tb.wait_lcoa(a.ar, iface=a.iface)}")
    return 0


def cmd_detach(a: argparse.Namespace) -> int:
    tb = load(a.name)
    mv = tb.detach(a.iface)
    save(tb, a.name)
    print(f"{mv.label}: carrier loss reported {1000 * (mv.carrier_down - mv.t_start):.1f} ms after the request")
    return 0


def cmd_status(a: argparse.Namespace) -> int:
    tb = load(a.name)
    where = ", ".join(f"{i} on {ar or '-'}" for i, ar in tb.attached_to.items())
    print(f"testbed {a.name!r}: namespaces {tb.prefix}-*, MN {where or 'not attached'}, output {tb.outdir}")
    for d in tb.daemons.values():
        print(f"  {d.name:<10} {d.kind:<5} pid {d.pid} {'running' if d.running() else 'NOT RUNNING'}  log {d.log}")
    for i in tb.mn_interfaces():
        print(f"  MN addresses on {i}: {', '.join(tb.lcoas(iface=i)) or '-'}")
    for m in tb.moves:
        print(f"  move {m.label} at {time.strftime('%H:%M:%S', time.localtime(m.t_start))}")
    return 0


def cmd_exec(a: argparse.Namespace) -> int:
    tb = load(a.name)
    return subprocess.call(["ip", "netns", "exec", tb.n(a.node).ns, *a.command])


def cmd_down(a: argparse.Namespace) -> int:
    p = state_path(a.name)
    if p.exists():
        load(a.name).close()
        p.unlink()
    else:  # no state: still remove namespaces a crashed `up` may have left
        Testbed(Path("/tmp"), Binaries(ard=""), prefix=f"hb{a.name}"[:10], rundir=Path("/nonexistent")).close()
    print(f"testbed {a.name!r} down")
    return 0


def stream_moves(tb: Testbed, dst: str, moves: list[str], a: argparse.Namespace, title: str,
                 after_moves=None, after_each=None) -> list:
    """CN streams UDP probes to `dst` on the MN while the MN makes `moves`:
    first it waits (up to `a.timeout`) for the stream to arrive at the MN,
    so that the first move has a before; then `a.settle` s before the first
    move and after each, and for a packet after each move, up to
    `a.timeout`. `after_moves(first_seq)`, if given, runs while the stream
    still flows and returns more arrivals to plot (e.g. a second stream
    numbered from first_seq). Prints the gaps, writes OUT/handover.png (also
    when after_moves raises), returns the Gaps. `after_each(ar)`, if
    given, runs after each move has settled."""
    first = len(tb.moves)
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), dst, tb.outdir, interval=a.interval).start()
    extra: list = []
    try:
        until(lambda: probe.arrivals(), a.timeout, 0.05, f"the stream CN -> {dst} arriving before the first move")
        time.sleep(a.settle)
        for ar in moves:
            mv = tb.move(ar)
            try:
                until(lambda mv=mv: any(x.recv > mv.t_end for x in probe.arrivals()), a.timeout,
                      what=f"probe packets after the move to {ar}")
            except AssertionError as e:
                print(f"hmip-testbed: {e}")
            time.sleep(a.settle)
            if after_each is not None:
                after_each(ar)
        if after_moves is not None:
            arr = probe.arrivals()
            extra = after_moves(max((x.seq for x in arr), default=0) + 1 + int(a.settle / a.interval))
    finally:
        arrivals = probe.stop()
        marks = [m.mark() for m in tb.moves[first:]]
        gaps = handover_gaps(arrivals, marks)
        print("==> handover gaps (gap = the MN's carrier loss -> first packet on the new link; "
              "resume = carrier back -> that packet)")
        print(format_gaps(gaps))
        png = plot_arrivals(arrivals + extra, marks, tb.outdir / "handover.png", title, gaps)
        print(f"plot: {png}")
    return gaps


def cmd_probe_demo(a: argparse.Namespace) -> int:
    """The measurement machinery without mapd/mnd: CN streams to an address
    pinned on the MN, MAP1's route follows the moves by hand (AR1/AR2)."""
    a.attach = "ar1"
    tb = build_up(a, pin=True)
    try:
        until(lambda: tb.ping("cn", PIN), a.timeout, what="CN reaching the pinned address")
        stream_moves(tb, PIN, a.moves.split(","), a, "CN -> MN (pinned address, no HMIPv6)")
    finally:
        tb.close()
    return 0


def print_rtts(tb: Testbed) -> None:
    """RTT(MN, MAP1) and RTT(MN, HA) (its core-side address: the home
    prefix may be routed into the MN's home tunnel), 10 pings each from
    the MN's LCoA on AR1, their medians printed."""
    lcoa = tb.wait_lcoa("ar1")
    for name, addr in (("MAP1", PLAN.maps["map1"].address), ("HA", PLAN.home.uplink_ha)):
        rtts = tb.rtt_ms("mn", addr, source=lcoa)
        med = f"{statistics.median(rtts):.2f} ms" if rtts else "-"
        print(f"bench: RTT(MN, {name}) {med} median of {len(rtts)}/10 pings {lcoa} -> {addr}")


def home_bu_counts(tb: Testbed) -> tuple[int, int]:
    """(home BUs mnd sent, home BUs the HA accepted) so far."""
    return (tb.daemons["mnd"].show("counters")["home_bu_sent"],
            tb.daemons["mapd-ha"].show("counters")["home_bu_accepted"])


def cmd_bench(a: argparse.Namespace) -> int:
    """Handover gap benchmark: `a.count` intra-MAP moves (AR1 <-> AR2),
    median printed; with --map-delay D, netem adds D ms each way on the
    MAP1 - AR1/AR2 links first (VM kernel). With --mapd --mnd the stream
    goes to the RCoA, else to a pinned address (the machinery alone).
    With --home MODE (issue 14) it goes to the MN's home address, the HA
    runs too and mnd registers with it its RCoA (hmipv6: the moves update
    MAP1 only) or its LCoA (plain: Mobile IPv6 without a MAP, every move a
    home BU); --ha-delay D adds netem D ms each way on the core - HA link;
    RTT(MN, MAP1), RTT(MN, HA) and the home BUs the moves cost are printed."""
    if a.mcoa:
        return cmd_bench_mcoa(a)
    a.attach = "ar1"
    if a.home:
        a.mapd = a.mnd = True
    mobile = a.mapd and a.mnd
    tb = build_up(a, pin=not mobile)
    try:
        for ar in PLAN.maps["map1"].ars:
            if a.map_delay:
                tb.netem("map1", ar, delay_ms=a.map_delay)
                tb.netem(ar, "up0", delay_ms=a.map_delay)
        if a.ha_delay:
            tb.netem("core", "ha", delay_ms=a.ha_delay)
            tb.netem("ha", UPLINK_IF, delay_ms=a.ha_delay)
        if a.home:
            tb.daemons["mnd"].wait_show("home", {"status": "registered", "mode": a.home}, a.timeout)
            dst = PLAN.home.home_address
        elif mobile:
            dst = str(until(lambda: rcoa_on_mn(tb, "map1"), a.timeout, what="the MN's RCoA from MAP1"))
        else:
            dst = PIN
        until(lambda: tb.ping("cn", dst), a.timeout, what=f"CN reaching {dst}")
        moves = ["ar2" if i % 2 == 0 else "ar1" for i in range(a.count)]
        if a.home:
            print_rtts(tb)
            bus0 = home_bu_counts(tb)
            what = (f"home address ({'HMIPv6: RCoA' if a.home == 'hmipv6' else 'plain Mobile IPv6: LCoA'} "
                    f"registered with the HA), HA {a.ha_delay:g} ms away each way")
            title = (f"{a.count} intra-MAP moves, CN -> home address, "
                     f"{'(a) HMIPv6' if a.home == 'hmipv6' else '(b) plain MIPv6'}, HA {a.ha_delay:g} ms/way")
        else:
            what = f"{'RCoA (mapd+mnd)' if mobile else 'pinned address'}, map delay {a.map_delay:g} ms each way"
            title = f"{a.count} intra-MAP moves, MAP {a.map_delay:g} ms away each way"
        gaps = stream_moves(tb, dst, moves, a, title)
        if a.home:
            sent, accepted = (x - x0 for x, x0 in zip(home_bu_counts(tb), bus0))
            print(f"bench: home BUs during the moves: {sent} sent by mnd, {accepted} accepted by the HA")
        med = median_gap_ms(gaps)
        res = median_resume_ms(gaps)
        print(f"bench: median resume {'-' if res is None else f'{res:.1f} ms'} (new link up -> first packet)")
        print(f"bench: median handover gap {'-' if med is None else f'{med:.1f} ms'} over {a.count} moves, "
              f"{what}, kernel {os.uname().release}")
    finally:
        tb.close()
    return 0


def mcoa_bindings(tb: Testbed, rcoa: str) -> list[dict]:
    """MAP1's bindings of `rcoa` (hmipctl mapd show bindings)."""
    return [b for b in tb.daemons["mapd-map1"].show("bindings") if b["rcoa"] == rcoa]


def carrying_lcoa(tb: Testbed, rcoa: str) -> str | None:
    """The LCoA MAP1 sends `rcoa`'s traffic to: the active binding's (or
    the only one's), None while none is installed."""
    bs = [b for b in mcoa_bindings(tb, rcoa) if not b["install_pending"]]
    if len(bs) == 1:
        return bs[0]["lcoa"]
    act = [b["lcoa"] for b in bs if b.get("active")]
    return act[0] if len(act) == 1 else None


def cmd_bench_mcoa(a: argparse.Namespace) -> int:
    """Issue 15's benchmark: the MN on AR1 (mn0) and AR2 (mn1) at once, both
    under MAP1, mnd with both interfaces and `MultipleCoa on|off`; CN
    streams UDP probes to the RCoA. `a.count` times: the interface MAP1
    sends the stream to loses its carrier (tb.detach); the gap is that
    carrier loss -> the first probe packet after it (it can only come
    through the other interface); then the interface comes back (tb.attach)
    and the MN settles (MCoA on: both BIDs registered again) before the
    next round. With MCoA the other interface is registered already (a BU
    for the lost BID moves the stream); without, mnd must register the other
    interface's LCoA first (a handover without the link switch)."""
    mcoa = a.mcoa == "on"
    bins = binaries(Path(a.build_dir), True, True)
    out = Path(a.out or Path(a.build_dir) / "testbed" / a.name).resolve()
    out.mkdir(parents=True, exist_ok=True)
    tb = Testbed(out, bins, Options(second_mn_interface=True), prefix=f"hb{a.name}"[:10])
    try:
        tb.build()
        tb.start_ards(("ar1", "ar2"))
        tb.start_mapd("map1")
        where = {MN_IF: "ar1", MN_IF2: "ar2"}
        for i, ar in where.items():
            tb.attach(ar, iface=i)
        tb.start_mnd(extra=f"MultipleCoa {a.mcoa};\n")
        rcoa = str(until(lambda: rcoa_on_mn(tb, "map1"), a.timeout, what="the MN's RCoA from MAP1"))

        def settled() -> str | None:
            """The carrying interface once the MN is registered as it
            should be (MCoA: both interfaces' BIDs), else None."""
            bs = [b for b in mcoa_bindings(tb, rcoa) if not b["install_pending"]]
            if mcoa and len(bs) != 2:
                return None
            lc = carrying_lcoa(tb, rcoa)
            return next((i for i in where if lc in tb.lcoas(iface=i)), None) if lc else None
        until(lambda: tb.ping("cn", rcoa), a.timeout, what=f"CN reaching {rcoa}")
        marks: list[MoveMark] = []
        probe = ProbeStream(tb.n("cn"), tb.n("mn"), rcoa, tb.outdir, interval=a.interval).start()
        try:
            until(lambda: probe.arrivals(), a.timeout, 0.05, "the stream CN -> RCoA")
            for n in range(a.count):
                time.sleep(a.settle)
                iface = str(until(settled, a.timeout, 0.1, f"the MN settled before round {n + 1}"))
                mv = tb.detach(iface)
                assert mv.carrier_down is not None
                marks.append(MoveMark(f"{iface} off {n + 1}", mv.carrier_down, mv.carrier_down))
                try:
                    until(lambda: any(x.recv > mv.carrier_down for x in probe.arrivals()), a.timeout, 0.01,
                          f"probe packets after {iface}'s carrier loss")
                except AssertionError as e:
                    print(f"hmip-testbed: {e}")
                time.sleep(a.settle)
                tb.attach(where[iface], iface=iface)
                tb.wait_lcoa(where[iface], a.timeout, iface=iface)
        finally:
            arrivals = probe.stop()
        gaps = handover_gaps(arrivals, marks)
        print("==> gaps (carrier loss on the interface carrying the stream -> first packet after it)")
        print(format_gaps(gaps))
        png = plot_arrivals(arrivals, marks, tb.outdir / "handover.png",
                            f"{a.count} carrier losses, two interfaces, MCoA {a.mcoa}", gaps)
        print(f"plot: {png}")
        med = median_gap_ms(gaps)
        done = len([g for g in gaps if g.gap_ms is not None])
        outs = [g.outage_ms for g in gaps if g.outage_ms is not None]
        print(f"bench: median interface-loss outage {f'{statistics.median(outs):.1f} ms' if outs else '-'} "
              f"(last packet before -> first after)")
        print(f"bench: median interface-loss gap {'-' if med is None else f'{med:.1f} ms'} over {done}/{a.count} "
              f"carrier losses, MCoA {a.mcoa}, kernel {os.uname().release}")
    finally:
        tb.close()
    return 0


def rcoa_on_mn(tb: Testbed, map_name: str) -> str | None:
    """The MN's address inside `map_name`'s RCoA prefix, or None."""
    return mn_rcoa(tb, map_name)


def ha_bus_received(tb: Testbed) -> int:
    """Home BUs the HA's mapd received so far (hmipctl mapd show counters)."""
    return tb.daemons["mapd-ha"].show("counters")["home_bu_received"]


def cmd_demo(a: argparse.Namespace) -> int:
    """The README demo: mapd on both MAPs and, in the home-agent role, on
    the HA; mnd on the MN with a home address. The MN registers its RCoA at
    MAP1 and that RCoA with the HA (RFC 5380 §6.1); CN streams to the home
    address while the MN moves AR1 -> AR2 (same MAP: only MAP1 hears of it)
    -> AR3 (MAP2: a new RCoA, so one home registration). Then it checks
    what should have happened: no home BU for the first move, at least one
    for the second, the HA binding the home address to MAP2's RCoA, and the
    inter-MAP registration itself (inter_map.py: MAP2's binding of the new
    RCoA to the AR3 LCoA, the MN's binding update list, the CN's packets to
    the new RCoA arriving through MAP2's tunnel). Prints the binding caches,
    the handover gaps and the HA's BU counts, writes a plot; exits 1 saying
    which step failed if the scenario did not happen."""
    a.mapd = a.mnd = True
    a.attach = "ar1"
    a.home = "hmipv6"
    hoa = PLAN.home.home_address
    tb = build_up(a)
    result: list[InterMapResult] = []
    ha_bus: dict[str, int] = {}
    failure = ""
    try:
        try:
            rcoa = until(lambda: rcoa_on_mn(tb, "map1"), a.timeout, what="the MN's RCoA from MAP1")
            print(f"MN registered at MAP1: RCoA {rcoa}, LCoA {tb.wait_lcoa('ar1')}")
            tb.daemons["mapd-ha"].wait_show("bindings", [{"rcoa": hoa, "role": "home", "lcoa": rcoa}], a.timeout)
            print(f"MN registered at the HA: home address {hoa} bound to RCoA {rcoa}")
            until(lambda: tb.ping("cn", hoa), a.timeout, what="CN reaching the home address")
        except AssertionError as e:
            print(f"demo FAILED before any move: {e}\nlogs and configurations: {tb.outdir}")
            return 1

        def inter_map(first_seq: int) -> list:
            nonlocal failure
            try:
                r = check_inter_map_move(tb, "map2", tb.wait_lcoa("ar3"), timeout=a.timeout, first_seq=first_seq,
                                         interval=a.interval)
            except InterMapFailure as e:
                failure = str(e)
                return []
            result.append(r)
            return r.arrivals

        last = [ha_bus_received(tb)]

        def count_ha_bus(ar: str) -> None:
            # The home BUs a move cost, once the MN's home registration
            # caught up with it (an inter-MAP move's BU may take a moment).
            if ar == "ar3":
                try:
                    tb.daemons["mapd-ha"].wait_show("bindings", lambda bs: [
                        b for b in bs if b["rcoa"] == hoa and b["lcoa"] != rcoa and not b["install_pending"]],
                        a.timeout)
                except AssertionError as e:
                    print(f"hmip-testbed: {e}")
            now = ha_bus_received(tb)
            ha_bus[ar] = now - last[0]
            last[0] = now
        try:
            stream_moves(tb, hoa, ["ar2", "ar3"], a, f"CN -> home address {hoa}, then CN -> the MAP2 RCoA",
                         inter_map, count_ha_bus)
        except AssertionError as e:
            failure = failure or str(e)
        for name in ("mapd-map1", "mapd-map2", "mapd-ha"):
            print(f"==> {name[5:].upper()} binding cache (hmipctl mapd show bindings)")
            print(tb.daemons[name].hmipctl("show", "bindings", json_out=False, check=False).stdout.rstrip())
        intra, inter = ha_bus.get("ar2"), ha_bus.get("ar3")
        print(f"==> home BUs the HA received: AR1 -> AR2 (same MAP) {intra}, AR2 -> AR3 (new MAP) {inter}")
        print(f"logs and configurations: {tb.outdir}")
        if not failure and intra != 0:
            failure = f"the intra-MAP move AR1 -> AR2 reached the HA ({intra} home BUs; RFC 5380: none)"
        if not failure and not inter:
            failure = "the inter-MAP move AR2 -> AR3 sent the HA no home BU"
        if not failure:
            hb = [b for b in tb.daemons["mapd-ha"].show("bindings") if b["rcoa"] == hoa]
            if not result or not hb or hb[0]["lcoa"] != result[0].rcoa:
                failure = (f"the HA does not bind the home address to MAP2's RCoA "
                           f"({result[0].rcoa if result else '-'}): {hb}")
        if failure:
            print(f"demo FAILED: {failure}")
            return 1
        r = result[0]
        print(f"after the move to AR3: new RCoA {r.rcoa} from MAP2, bound there to LCoA {r.lcoa} and at the HA "
              f"to {hoa}; {sum(x.ifindex == r.tunnel_ifindex for x in r.arrivals)} packets CN -> {r.rcoa} "
              f"arrived through MAP2's tunnel ({r.tunnel} on the MN)")
    finally:
        tb.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="hmip-testbed", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--name", default="demo", help="testbed name (namespaces hb<name>-*; default demo)")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for n in ("up", "probe-demo", "demo", "bench"):
        s = sub.add_parser(n)
        s.add_argument("--build-dir", default=os.environ.get("HMIP_BUILD_DIR", str(REPO / "build")))
        s.add_argument("--out", help="logs, configurations, plots (default BUILD/testbed/NAME)")
        s.add_argument("--mapd", action="store_true", help="start mapd on MAP1 and MAP2")
        s.add_argument("--mnd", action="store_true", help="start mnd on the MN")
        s.add_argument("--ar3-map1", action="store_true", help="AR3 also advertises MAP1 (Dist 3)")
        s.add_argument("--secure", action="store_true",
                       help="IKEv2/ESP-protected signalling: charon on the MAPs, the HA and the MN, RCoAs from the MAPs' pools")
        if n == "up":
            s.add_argument("--attach", default="ar1", choices=sorted(PLAN.ars))
            s.add_argument("--mn1", choices=sorted(PLAN.ars),
                           help="give the MN a second interface mn1 patched into this AR's link")
        else:
            if n == "probe-demo":
                s.add_argument("--moves", default="ar2,ar1,ar2,ar1")
            if n == "bench":
                s.add_argument("--count", type=int, default=20, help="intra-MAP moves (default 20)")
                s.add_argument("--map-delay", type=float, default=0, help="netem ms each way MAP1 <-> AR1/AR2")
                s.add_argument("--home", choices=("hmipv6", "plain"),
                               help="stream to the home address; mnd registers its RCoA (hmipv6) or, "
                                    "Hmipv6 off, its LCoA (plain) with the HA (implies --mapd --mnd)")
                s.add_argument("--ha-delay", type=float, default=0, help="netem ms each way core <-> HA")
                s.add_argument("--mcoa", choices=("on", "off"),
                               help="the MN on AR1 and AR2 at once (mn0, mn1), mnd MultipleCoa on|off: gap when "
                                    "the interface carrying the stream loses its carrier (implies --mapd --mnd)")
            s.add_argument("--timeout", type=float, default=60, help="seconds to wait for each step")
            s.add_argument("--interval", type=float, default=0.01, help="probe interval (s)")
            s.add_argument("--settle", type=float, default=1.0, help="seconds between moves")
    s = sub.add_parser("move")
    s.add_argument("ar", choices=sorted(PLAN.ars))
    s.add_argument("--dwell", type=float, default=0.0, help="seconds off-link between the two ARs")
    s.add_argument("--iface", default=MN_IF, choices=(MN_IF, MN_IF2), help="the MN interface to move (default mn0)")
    s = sub.add_parser("detach")
    s.add_argument("--iface", default=MN_IF, choices=(MN_IF, MN_IF2), help="the MN interface (default mn0)")
    sub.add_parser("status")
    s = sub.add_parser("exec")
    s.add_argument("node")
    s.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("down")
    sub.add_parser("features", help="what the running kernel lacks (ip6tnl, mip6, netem)")
    a = ap.parse_args(argv)
    if os.geteuid() != 0:
        sys.exit("hmip-testbed: run as root (network namespaces)")
    if a.cmd == "features":
        print(" ".join(missing_kernel_features()) or "nothing missing")
        return 0
    return {"up": cmd_up, "move": cmd_move, "detach": cmd_detach, "status": cmd_status, "exec": cmd_exec, "down": cmd_down,
            "probe-demo": cmd_probe_demo, "demo": cmd_demo, "bench": cmd_bench}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
