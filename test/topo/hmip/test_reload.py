"""Configuration checks and reloads of the running mapd and mnd (issue 4,
"Tests"): `mapd --check-config` / `mnd --check-config`, SIGHUP and
`hmipctl KIND reload` with a changed and with a broken file.

One testbed for the module: ard on AR1 (MAP1's option only), mapd on MAP1,
mnd on the MN attached to AR1. Lifetimes are short so that refreshes come
within seconds: mapd caps bindings at MaxBindingLifetime 32 and mnd
refreshes at RefreshPercent 50 (16 s in). The tests run in file order and
build on each other's state:

  * --check-config on the files the daemons run with, and on broken copies:
    FILE:LINE: diagnostics on stderr, the summary line on stdout
    ("FILE: OK, ..." / "FILE: N errors, M warnings"), exit status 0 / 1;
  * SIGHUP to mapd with MaxBindingLifetime 16: the binding is kept (same
    RCoA, LCoA and tunnel; granted lifetimes stand until the next update),
    the next refresh is granted 16 s, `show config` says 16;
  * a broken mapd.conf: each error logged with its line, the running
    configuration kept, the daemon alive and the binding in place; the same
    through `hmipctl mapd reload` (exit 1), also for a changed MapAddress
    (restart only); a fixed file reloads (exit 0, `show config` changes);
  * SIGHUP to mnd with MapSelection preference and BindingLifetime 12:
    `show status` says preference, the next refresh asks for (and gets)
    12 s; then the same broken-file and restart-only checks as for mapd.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import kstate
import pytest
from hmip_topo import Options, mapd_config, mnd_config
from mobility import MAP_ADDR, registered
from topo import json_cmp

MAP1 = MAP_ADDR["map1"]
RESTART_ONLY_MAPD = ("MapAddress, ControlSocket, InsecureTestbedSignalling, the Ike block and adding or removing the "
                     "HomeAgent block take effect only at a restart")
RESTART_ONLY_MND = ("ControlSocket, InsecureTestbedSignalling, the Ike block and the Home block's presence, Address and "
                    "HomeAgent take effect only at a restart")
KEPT = "reload failed; keeping the running configuration"


def mapd_conf(tb, lifetime: int, brr_lead: int = 4) -> str:
    d = tb.daemons["mapd-map1"]
    return mapd_config(tb.plan, "map1", d.sock, f"MaxBindingLifetime {lifetime};\nBrrLead {brr_lead};\n",
                       tb.served_ars("map1"))


def mnd_conf(sock: str, extra: str = "") -> str:
    return mnd_config(sock, "RefreshPercent 50;\n" + extra)


def sighup(d, text: str) -> int:
    """Writes `text` to daemon `d`'s configuration file and sends SIGHUP;
    returns the log position before the signal (for wait_log's start)."""
    d.conf.write_text(text)
    mark = len(d.log_text())
    d.send_signal(signal.SIGHUP)
    return mark


def sighup_broken(d, text: str) -> str:
    """sighup() with a broken `text`: waits until the daemon says it keeps
    its running configuration, returns what it logged from the signal on."""
    mark = sighup(d, text)
    d.wait_log(KEPT, 30, start=mark)
    return d.log_text()[mark:]


@pytest.fixture(scope="module")
def tb(module_testbed):
    tb = module_testbed(Options())
    tb.start_ards(("ar1",))
    d = tb.daemon("map1", "mapd", "mapd-map1", tb.bins.mapd)
    d.start(mapd_conf(tb, 32))
    tb.attach("ar1")
    mnd = tb.daemon("mn", "mnd", "mnd", tb.bins.mnd)
    mnd.start(mnd_conf(mnd.sock))
    return tb


def check_config(binary: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "--check-config", str(path)], capture_output=True, text=True, timeout=60)


def line_of(text: str, prefix: str) -> int:
    """The 1-based number of the line of `text` that starts with `prefix`."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if line.startswith(prefix))


def diagnostics(out: str, path: Path, kind: str) -> list[str]:
    return [l for l in out.splitlines() if l.startswith(f"{path}:") and f": {kind}: " in l]


def summary(path: Path, errors: int, warnings: int) -> str:
    return (f"{path}: {errors} error{'' if errors == 1 else 's'}, "
            f"{warnings} warning{'' if warnings == 1 else 's'}")


def assert_rejected(r: subprocess.CompletedProcess, path: Path, error_lines: dict[int, str]) -> None:
    """--check-config output for a file with exactly the errors
    {line: text in the message}: exit 1, the diagnostics on stderr, the
    summary line (with the counts of what stderr shows) alone on stdout."""
    out = f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}"
    assert r.returncode == 1, out
    errors, warnings = diagnostics(r.stderr, path, "error"), diagnostics(r.stderr, path, "warning")
    assert len(errors) == len(error_lines), out
    for line, text in error_lines.items():
        assert [e for e in errors if e.startswith(f"{path}:{line}:") and text in e], \
            f"no error at {path}:{line}: mentioning {text!r}\n{out}"
    assert r.stdout.splitlines() == [summary(path, len(errors), len(warnings))], out


def binding(d, rcoa: str) -> dict:
    return next(b for b in d.show("bindings") if b["rcoa"] == rcoa)


def test_check_config(tb):
    mapd1, mnd = tb.daemons["mapd-map1"], tb.daemons["mnd"]
    out = tb.outdir

    # The file mapd runs with: OK on stdout, its warnings on stderr.
    good = mapd1.conf.read_text()
    r = check_config(tb.bins.mapd, mapd1.conf)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [r.stdout.strip()] and \
        r.stdout.startswith(f"{mapd1.conf}: OK, MAP {MAP1}, 1 RCoA prefix, "), r
    assert "binding updates: INSECURE testbed mode" in r.stdout, r
    assert not diagnostics(r.stderr, mapd1.conf, "error"), r
    insecure = line_of(good, "InsecureTestbedSignalling")
    assert [w for w in diagnostics(r.stderr, mapd1.conf, "warning")
            if w.startswith(f"{mapd1.conf}:{insecure}:") and "accepted without IPsec: testbed only" in w], r

    # A broken copy: an out-of-range value and a misspelt keyword.
    lines = good.splitlines()
    dad = line_of(good, "RcoaDadTimeout")
    lines[dad - 1] = "RcoaDadTimeout 600;"
    lines.append("MaxBindingLifetme 30;")
    bad = out / "mapd-broken.conf"
    bad.write_text("\n".join(lines) + "\n")
    r = check_config(tb.bins.mapd, bad)
    (out / "mapd-broken.out").write_text(r.stdout + r.stderr)
    assert_rejected(r, bad, {dad: "RcoaDadTimeout", len(lines): "did you mean 'MaxBindingLifetime'?"})
    # Unreadable: one error without a line.
    missing = out / "missing.conf"
    r = check_config(tb.bins.mapd, missing)
    assert r.returncode == 1 and r.stdout.splitlines() == [summary(missing, 1, 0)], r
    assert r.stderr.startswith(f"{missing}: error: "), r
    # No file name: a usage error.
    r = subprocess.run([tb.bins.mapd, "--check-config"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2, r

    # mnd, the same.
    good = mnd.conf.read_text()
    r = check_config(tb.bins.mnd, mnd.conf)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [f"{mnd.conf}: OK, 1 interface (mn0), MAP selection furthest (RFC 5380 §9.1), "
                                     "binding lifetime 600 s, binding updates: INSECURE testbed mode, sent without "
                                     "IPsec"], r
    assert not diagnostics(r.stderr, mnd.conf, "error"), r
    lines = good.splitlines()
    refresh = line_of(good, "RefreshPercent")
    lines[refresh - 1] = "RefreshPercent 91;"
    lines.append("MapSelection nearest;")
    bad = out / "mnd-broken.conf"
    bad.write_text("\n".join(lines) + "\n")
    r = check_config(tb.bins.mnd, bad)
    (out / "mnd-broken.out").write_text(r.stdout + r.stderr)
    assert_rejected(r, bad, {refresh: "RefreshPercent", len(lines): "nearest"})
    r = check_config(tb.bins.mnd, missing)
    assert r.returncode == 1 and r.stdout.splitlines() == [summary(missing, 1, 0)], r

    # The checks changed nothing in the running daemons.
    assert mapd1.ping() and mnd.ping()
    assert mapd1.show("counters")["reloads"] == 0 and mnd.show("counters")["reloads"] == 0


def test_mapd_sighup_lowers_lifetime(tb):
    """MaxBindingLifetime 32 -> 16: the binding stays, its granted lifetime
    stands until the next refresh, which gets 16 s."""
    mapd1, mnd = tb.daemons["mapd-map1"], tb.daemons["mnd"]
    lcoa = tb.wait_lcoa("ar1")
    rcoa = registered(tb, "map1", lcoa)["rcoa"]
    mapd1.wait_show("bindings", [{"rcoa": rcoa, "lcoa": lcoa, "lifetime_s": 32, "install_pending": False}], 60)
    mnd.wait_show("bul", [{"rcoa": rcoa, "granted_lifetime": 32, "registered": True}], 30)
    links = kstate.objects(tb.n("map1"), "mapd")["links"]
    assert len(links) == 1 and links[0].endswith(f"remote {lcoa}"), links
    c0 = mapd1.show("counters")
    before = binding(mapd1, rcoa)

    mark = sighup(mapd1, mapd_conf(tb, 16))
    mapd1.wait_show("counters", {"reloads": c0["reloads"] + 1, "reload_failures": c0["reload_failures"]}, 30)
    mapd1.wait_log(r"reloaded: 1 bindings kept, 0 removed, 0 re-installed", 10, start=mark)
    assert mapd1.show("config")["max_binding_lifetime"] == 16
    now = binding(mapd1, rcoa)
    assert now["lcoa"] == lcoa, now
    if now["sequence"] == before["sequence"]:  # not refreshed since: the granted lifetime stands
        assert now["lifetime_s"] == 32, (before, now)

    # The next refresh (16 s after the last one at the latest) gets 16 s.
    mapd1.wait_show("bindings", [{"rcoa": rcoa, "lcoa": lcoa, "lifetime_s": 16,
                                  "sequence": lambda s: s != before["sequence"]}], 60)
    mnd.wait_show("bul", [{"rcoa": rcoa, "lcoa": lcoa, "granted_lifetime": 16, "registered": True,
                           "primary": True}], 30)
    c1 = mapd1.show("counters")
    assert c1["bindings_created"] == c0["bindings_created"], (c0, c1)
    assert c1["removed_by_reload"] == c0["removed_by_reload"], (c0, c1)
    assert c1["bindings_refreshed"] > c0["bindings_refreshed"], (c0, c1)
    assert kstate.objects(tb.n("map1"), "mapd")["links"] == links


def test_mapd_broken_reload_keeps_config(tb):
    mapd1 = tb.daemons["mapd-map1"]
    conf = mapd1.conf
    rcoa = registered(tb, "map1", tb.wait_lcoa("ar1"))["rcoa"]
    mapd1.wait_show("bindings", [{"rcoa": rcoa, "lifetime_s": 16}], 60)
    c0 = mapd1.show("counters")
    good = conf.read_text()
    assert mapd1.show("config")["max_binding_lifetime"] == 16

    # SIGHUP with a broken file: each error logged with its line, nothing changes.
    lines = good.splitlines()
    dad = line_of(good, "RcoaDadTimeout")
    lines[dad - 1] = "RcoaDadTimeout 600;"
    lines.append("MaxBindingLifetme 30;")
    typo = len(lines)
    log = sighup_broken(mapd1, "\n".join(lines) + "\n")
    assert f"{conf}:{dad}:" in log and "RcoaDadTimeout" in log, log
    assert f"{conf}:{typo}:" in log and "did you mean 'MaxBindingLifetime'?" in log, log
    mapd1.wait_show("counters", {"reloads": c0["reloads"], "reload_failures": c0["reload_failures"] + 1}, 10)
    assert mapd1.running() and mapd1.ping()
    assert json_cmp(mapd1.show("config"), {"max_binding_lifetime": 16, "dad_timeout_ms": 300,
                                           "brr_lead_ms": 4000}) is None
    mapd1.wait_show("bindings", [{"rcoa": rcoa, "lifetime_s": 16}], 10)

    # hmipctl mapd reload: the diagnostics on its stderr, exit 1.
    r = mapd1.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 1, r
    assert f"{conf}:{dad}:" in r.stderr and f"{conf}:{typo}:" in r.stderr, r.stderr
    assert "reload failed" in r.stdout, r.stdout
    # A valid file with another MapAddress: refused as well (restart only).
    conf.write_text(good.replace(f"MapAddress {MAP1};", "MapAddress 2001:db8:1::99;"))
    assert "2001:db8:1::99" in conf.read_text()
    r = mapd1.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 1 and RESTART_ONLY_MAPD in r.stderr, r
    assert mapd1.show("config")["map_address"] == MAP1
    mapd1.wait_show("counters", {"reloads": c0["reloads"], "reload_failures": c0["reload_failures"] + 3}, 10)

    # Fixed, with one more change: reloads, and show config has it.
    conf.write_text(mapd_conf(tb, 16, brr_lead=3))
    r = mapd1.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 0 and "reloaded" in r.stdout, r
    assert json_cmp(mapd1.show("config"), {"map_address": MAP1, "max_binding_lifetime": 16,
                                           "brr_lead_ms": 3000}) is None
    mapd1.wait_show("counters", {"reloads": c0["reloads"] + 1, "reload_failures": c0["reload_failures"] + 3,
                                 "removed_by_reload": c0["removed_by_reload"]}, 10)
    mapd1.wait_show("bindings", [{"rcoa": rcoa, "lifetime_s": 16}], 10)


def test_mnd_sighup(tb):
    """MapSelection preference and BindingLifetime 12 by SIGHUP: visible in
    show status at once, in the next refresh's lifetime; then a broken
    file and a changed ControlSocket keep the running configuration."""
    mnd, mapd1 = tb.daemons["mnd"], tb.daemons["mapd-map1"]
    conf = mnd.conf
    lcoa = tb.wait_lcoa("ar1")
    rcoa = registered(tb, "map1", lcoa)["rcoa"]
    mnd.wait_show("status", {"selection": "furthest", "chosen_map": MAP1}, 30)
    c0 = mnd.show("counters")

    good = mnd_conf(mnd.sock, "MapSelection preference;\nBindingLifetime 12;\n")
    mark = sighup(mnd, good)
    mnd.wait_show("counters", {"reloads": c0["reloads"] + 1, "reload_failures": c0["reload_failures"]}, 30)
    mnd.wait_log(r"configuration reloaded: 1 interface\(s\), new MAP selection policy", 10, start=mark)
    mnd.wait_show("status", {"selection": "preference", "chosen_map": MAP1}, 10)
    # The next refresh asks for 12 s; MAP1 (at most 16) grants them.
    mnd.wait_show("bul", [{"rcoa": rcoa, "lcoa": lcoa, "requested_lifetime": 12, "granted_lifetime": 12,
                           "registered": True, "primary": True}], 60)
    mapd1.wait_show("bindings", [{"rcoa": rcoa, "lcoa": lcoa, "lifetime_s": 12}], 30)

    # A broken file: logged with the lines, the running configuration kept.
    lines = good.splitlines()
    refresh = line_of(good, "RefreshPercent")
    lines[refresh - 1] = "RefreshPercent 91;"
    lines.append("MapSelection nearest;")
    last = len(lines)
    log = sighup_broken(mnd, "\n".join(lines) + "\n")
    assert f"{conf}:{refresh}:" in log and "RefreshPercent" in log, log
    assert f"{conf}:{last}:" in log and "nearest" in log, log
    mnd.wait_show("counters", {"reloads": c0["reloads"] + 1, "reload_failures": c0["reload_failures"] + 1}, 10)
    assert mnd.running() and mnd.ping()
    assert mnd.show("status")["selection"] == "preference"
    r = mnd.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 1 and f"{conf}:{refresh}:" in r.stderr and f"{conf}:{last}:" in r.stderr, r
    assert "reload failed" in r.stdout, r
    # Another ControlSocket: restart only.
    conf.write_text(good.replace(mnd.sock, mnd.sock + ".other"))
    r = mnd.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 1 and RESTART_ONLY_MND in r.stderr, r
    # Back to the good file: reloads; the binding was never disturbed.
    conf.write_text(good)
    r = mnd.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 0 and "reloaded" in r.stdout, r
    mnd.wait_show("counters", {"reloads": c0["reloads"] + 2, "reload_failures": c0["reload_failures"] + 3}, 10)
    mnd.wait_show("bul", [{"rcoa": rcoa, "lcoa": lcoa, "granted_lifetime": 12, "registered": True,
                           "primary": True}], 30)
    assert mnd.running() and mapd1.running()
