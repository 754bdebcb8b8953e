"""The handover measurement machinery: probe stream, gaps, plot.

Synthetic data first (exact gaps, losses, duplicates, a move after which
nothing arrives); then a real stream from CN across moves AR1 -> AR2 -> AR1
to an address pinned on the MN that MAP1's route follows by hand
(Testbed.pin_mn_address: scaffolding until mapd's tunnel does it). The
gaps are printed (a benchmark figure, not asserted against a time).
"""

from pathlib import Path

import pytest
from handover import MoveMark, format_gaps, handover_gaps, median_gap_ms, median_resume_ms, plot_arrivals
from hmip_plan import MN_IF
from probe import Arrival, ProbeStream, parse_arrivals
from topo import until

PIN = "2001:db8:1:99::10"


def stream(t0: float, n: int, dt: float, skip: range = range(0), delay: float = 0.002) -> list[Arrival]:
    return [Arrival(i, t0 + i * dt, t0 + i * dt + delay, "cn", "pin", 2) for i in range(n) if i not in skip]


def test_gaps_from_synthetic_arrivals():
    # 10 ms spacing; packets 50..59 lost around a move at 0.495 s..0.505 s.
    arr = stream(100.0, 200, 0.01, skip=range(50, 60))
    arr.append(arr[70])  # a duplicate changes nothing
    moves = [MoveMark("ar1->ar2", 100.495, 100.505), MoveMark("ar2->ar3", 101.5, 101.51)]
    arr = [a for a in arr if not (101.5 <= a.recv)]  # nothing after the second move
    g1, g2 = handover_gaps(list(reversed(arr)), moves)
    assert g1.last_before.seq == 49 and g1.first_after.seq == 60
    assert g1.gap_ms == pytest.approx((100.602 - 100.495) * 1000)
    assert g1.resume_ms == pytest.approx((100.602 - 100.505) * 1000)
    assert g1.outage_ms == pytest.approx((100.602 - 100.492) * 1000)
    assert g1.lost == 10
    assert g2.first_after is None and g2.gap_ms is None and g2.lost is None
    assert median_gap_ms([g1, g2]) == pytest.approx(g1.gap_ms)
    assert median_resume_ms([g1, g2]) == pytest.approx(g1.resume_ms)
    table = format_gaps([g1, g2])
    assert "ar1->ar2" in table and "1/2 moves" in table


def test_gaps_ignore_arrivals_of_the_next_move():
    arr = stream(0.0, 100, 0.01, skip=range(20, 100))
    arr += stream(0.0, 100, 0.01, skip=range(0, 90))  # only after the second move
    g1, g2 = handover_gaps(arr, [MoveMark("a", 0.2, 0.2), MoveMark("b", 0.5, 0.5)])
    assert g1.first_after is None  # 90.. arrived after move b: not move a's
    assert g2.first_after.seq == 90 and g2.last_before.seq == 19 and g2.lost == 70


def test_parse_arrivals_skips_garbage():
    text = "1 10.0 10.5 2001:db8::1 2001:db8::2 3\nbroken line\n2 x 1 a b 3\n3 11.0 11.5 a b 4\n"
    assert [a.seq for a in parse_arrivals(text)] == [1, 3]


def test_plot_writes_png(tmp_path: Path):
    arr = stream(0.0, 300, 0.01, skip=range(100, 130))
    path = plot_arrivals(arr, [MoveMark("ar1->ar2", 1.0, 1.01)], tmp_path / "p.png", "synthetic",
                         handover_gaps(arr, [MoveMark("ar1->ar2", 1.0, 1.01)]))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stream_across_moves(make_testbed, outdir):
    tb = make_testbed()
    tb.start_ards(("ar1", "ar2"))
    tb.attach("ar1")
    tb.pin_mn_address(PIN)
    until(lambda: tb.ping("cn", PIN), 60, what="CN reaching the pinned address via AR1")
    probe = ProbeStream(tb.n("cn"), tb.n("mn"), PIN, outdir, interval=0.01).start()
    until(lambda: len(probe.arrivals()) >= 20, 60, what="probe packets arriving before the moves")
    for ar in ("ar2", "ar1"):
        mv = tb.move(ar)
        until(lambda mv=mv: any(a.recv > mv.t_end for a in probe.arrivals()), 60,
              what=f"probe packets after the move to {ar}")
        until(lambda mv=mv: len([a for a in probe.arrivals() if a.recv > mv.t_end]) >= 20, 60,
              what="a few more packets")
    arrivals = probe.stop()
    marks = [m.mark() for m in tb.moves[1:]]
    gaps = handover_gaps(arrivals, marks)
    print("\n" + format_gaps(gaps))
    assert all(g.first_after is not None and g.last_before is not None for g in gaps), format_gaps(gaps)
    assert all(g.lost is not None and g.lost >= 0 for g in gaps)
    # Every packet after a move arrived on mn0 itself, to the pinned address.
    ifindex = int(tb.n("mn").run("cat", f"/sys/class/net/{MN_IF}/ifindex").strip() or 0)
    assert {(a.dst, a.ifindex) for a in arrivals} == {(PIN, ifindex)}
    png = plot_arrivals(arrivals, marks, outdir / "handover.png", "CN -> pinned MN address", gaps)
    assert png.read_bytes()[:4] == b"\x89PNG"
