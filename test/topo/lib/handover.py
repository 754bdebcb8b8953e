"""Handover gaps from a probe stream's arrivals and the testbed's moves,
and a PNG plot of them (matplotlib, Agg backend: no display needed).

Definitions (issue 4, "Benchmarks"):
  gap     = first arrival after the new link came up  -  link switch time
            (the link switch time is when the old link went away: the
            move's `t_break`; with no dwell time the new link comes up a
            few milliseconds later, at `t_make`)
  resume  = that first arrival  -  t_make (the new link came up): the
            gap without the link switch itself, i.e. what the mobility
            protocol costs (RS/RA, SLAAC, BU/BA, the MAP's tunnel update);
            under emulation the switch's own time is large and noisy, so
            this is the figure to compare when the MAP moves away
  outage  = that first arrival  -  the last arrival before t_break
            (what a receiving application sees)
  lost    = sequence numbers sent but never received between those two
Pure functions: no namespaces, usable on synthetic data.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from probe import Arrival


@dataclass(frozen=True)
class MoveMark:
    """One move of the MN: `label` (e.g. "ar1->ar2"), the host-clock time
    the old link went away (t_break) and the new one came up (t_make)."""
    label: str
    t_break: float
    t_make: float


@dataclass(frozen=True)
class Gap:
    move: MoveMark
    last_before: Optional[Arrival]   # last arrival before t_break
    first_after: Optional[Arrival]   # first arrival after t_make (on the new link)
    gap_ms: Optional[float]          # first_after.recv - t_break
    resume_ms: Optional[float]       # first_after.recv - t_make
    outage_ms: Optional[float]       # first_after.recv - last_before.recv
    lost: Optional[int]              # sequence numbers missing between the two


def handover_gaps(arrivals: Sequence[Arrival], moves: Sequence[MoveMark]) -> list[Gap]:
    """One Gap per move. Arrivals may be in any order (sorted by receive
    time here); duplicates of a sequence number count once. A move after
    which nothing arrived (before the next move's t_break) has gap None."""
    arr = sorted(arrivals, key=lambda a: a.recv)
    marks = sorted(moves, key=lambda m: m.t_break)
    out = []
    for i, m in enumerate(marks):
        horizon = marks[i + 1].t_break if i + 1 < len(marks) else float("inf")
        before = [a for a in arr if a.recv < m.t_break]
        after = [a for a in arr if m.t_make <= a.recv < horizon]
        last = before[-1] if before else None
        first = after[0] if after else None
        gap = (first.recv - m.t_break) * 1000 if first else None
        resume = (first.recv - m.t_make) * 1000 if first else None
        outage = (first.recv - last.recv) * 1000 if first and last else None
        lost = None
        if first and last and first.seq > last.seq:
            seen = {a.seq for a in arr if last.seq < a.seq < first.seq}
            lost = first.seq - last.seq - 1 - len(seen)
        out.append(Gap(m, last, first, gap, resume, outage, lost))
    return out


def median_gap_ms(gaps: Sequence[Gap]) -> Optional[float]:
    """The median gap of the moves that completed (None if none did)."""
    vals = [g.gap_ms for g in gaps if g.gap_ms is not None]
    return statistics.median(vals) if vals else None


def median_resume_ms(gaps: Sequence[Gap]) -> Optional[float]:
    """The median resume time (new link up -> first packet) of the moves
    that completed (None if none did)."""
    vals = [g.resume_ms for g in gaps if g.resume_ms is not None]
    return statistics.median(vals) if vals else None


def format_gaps(gaps: Sequence[Gap]) -> str:
    """A small table: one row per move, then the median."""
    rows = [f"{'move':<14} {'gap ms':>9} {'resume ms':>10} {'outage ms':>10} {'lost':>5}"]
    for g in gaps:
        def f(v: Optional[float]) -> str:
            return "-" if v is None else f"{v:.1f}"
        rows.append(f"{g.move.label:<14} {f(g.gap_ms):>9} {f(g.resume_ms):>10} {f(g.outage_ms):>10} "
                    f"{'-' if g.lost is None else g.lost:>5}")
    med = median_gap_ms(gaps)
    res = median_resume_ms(gaps)
    rows.append(f"median gap: {'-' if med is None else f'{med:.1f} ms'}, median resume: "
                f"{'-' if res is None else f'{res:.1f} ms'} over "
                f"{sum(g.gap_ms is not None for g in gaps)}/{len(gaps)} moves")
    return "\n".join(rows)


def plot_arrivals(arrivals: Sequence[Arrival], moves: Sequence[MoveMark], path: Path, title: str = "",
                  gaps: Optional[Sequence[Gap]] = None) -> Path:
    """Writes a PNG: sequence number over receive time (seconds from the
    first send), one colour per destination address (RCoA vs LCoA path),
    and for each move two distinct marks: the link-down time (t_break to
    t_make: the emulated layer-2 switch, grey) and, where a packet came
    back, the gap itself (t_break to that first packet, a red bracket on
    top, and a light red band after the link came back: what the mobility
    protocol cost) labelled with the gap and the link-down ("down") time. Returns
    `path`."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    t0 = min([a.sent for a in arrivals] + [m.t_break for m in moves] or [0.0])
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 6), dpi=100, sharex=True,
                                  gridspec_kw={"height_ratios": [2, 1]})
    by_dst: dict[str, list[Arrival]] = {}
    for a in arrivals:
        by_dst.setdefault(a.dst, []).append(a)
    for dst, arr in sorted(by_dst.items()):
        ax.plot([a.recv - t0 for a in arr], [a.seq for a in arr], ".", markersize=2, label=f"to {dst}")
    # Lower panel: time since the previous arrival: a handover is a spike.
    ordered = sorted(arrivals, key=lambda a: a.recv)
    ax2.plot([b.recv - t0 for b in ordered[1:]], [1000 * (b.recv - a.recv) for a, b in zip(ordered, ordered[1:])],
             "-", linewidth=0.8)
    ax2.set_ylabel("inter-arrival (ms)")
    ax2.set_yscale("log")
    gap_of = {id(g.move): g for g in gaps or []}
    for m in moves:
        down_end = max(m.t_make, m.t_break + 1e-3)
        g = gap_of.get(id(m))
        first = g.first_after.recv if g is not None and g.first_after is not None else None
        for axis in (ax, ax2):
            axis.axvspan(m.t_break - t0, down_end - t0, color="dimgrey", alpha=0.45, linewidth=0)
            if first is not None and first > down_end:
                axis.axvspan(down_end - t0, first - t0, color="red", alpha=0.15, linewidth=0)
            axis.axvline(m.t_break - t0, color="dimgrey", linewidth=0.8)
        down_ms = 1000 * (m.t_make - m.t_break)
        if g is None or g.gap_ms is None:
            text = f"{m.label}\ndown {down_ms:.0f} ms\nno packet after"
        else:
            text = f"{m.label}\ngap {g.gap_ms:.0f} ms\ndown {down_ms:.0f} ms"
            # The gap as a bracket along the top of the upper panel.
            ax.annotate("", xy=(m.t_break - t0, 0.97), xytext=(first - t0, 0.97),
                        xycoords=("data", "axes fraction"),
                        arrowprops={"arrowstyle": "|-|", "color": "red", "linewidth": 1.2,
                                    "shrinkA": 0, "shrinkB": 0, "mutation_scale": 3})
        ax.annotate(text, (m.t_break - t0, 0.93), xycoords=("data", "axes fraction"), xytext=(3, -3),
                    textcoords="offset points", va="top", fontsize=8, color="darkred")
    ax2.set_xlabel("time since the first packet was sent (s)")
    ax2.grid(alpha=0.3)
    ax.set_ylabel("sequence number")
    ax.set_title(title or "probe packets arriving at the receiver")
    handles, _labels = ax.get_legend_handles_labels()
    if moves:
        handles += [Patch(color="dimgrey", alpha=0.45, label="link down (layer-2 switch)"),
                    Patch(color="red", alpha=0.15, label="link up, no packet yet (gap = grey + red)")]
    if handles:
        ax.legend(handles=handles, loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path
