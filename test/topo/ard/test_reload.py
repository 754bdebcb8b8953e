"""Scenario 7: configuration reload (SIGHUP, hmipctl ard reload) and
`ard --check-config`.

    +--------+ ar0        mn0 +--------------+
    |   ar   |----------------|  mn (scapy,  |
    |  ard   |                |  tcpdump)    |
    +--------+                +--------------+

A SIGHUP with a changed file (another prefix, another MAP Pref) must change
the next RA at once (a fast RA, not the next periodic one: MaxRtrAdvInterval
is 4 s); a SIGHUP with a broken file must log each error with its line and
keep the running configuration (RAs unchanged, as an RS shows);
`ard --check-config` rejects bad files with FILE:LINE: diagnostics and exit
status 1, and accepts the example configuration.
"""

import subprocess
import signal
import time
from pathlib import Path

import pytest

from nd import map_of, ras, rs_frame

MAP = "2001:db8:100::1"
SRC_DIR = Path(__file__).resolve().parents[3]


def config(sock, prefix, pref):
    return f"""ControlSocket "{sock}";
interface ar0 {{
    MaxRtrAdvInterval 4;
    MinRtrAdvInterval 3;
    MinDelayBetweenRAs 0.05;
    MaxRADelay 0;
    prefix {prefix} {{ }};
    map {MAP} {{ Dist 1; Pref {pref}; ValidLifetime 900; Probe off; }};
}};
"""


def content(ra):
    return ([p["prefix"] for p in ra["prefixes"]], map_of(ra, MAP)["pref"])


def test_sighup_reload(topo, make_ard):
    ar = topo.node("ar", conf={"forwarding": "1"})
    mn = topo.node("mn", conf={"accept_ra": "0", "router_solicitations": "0"})
    topo.link(ar, "ar0", mn, "mn0")
    ar_ll = ar.wait_link_local("ar0")
    mn_ll = mn.wait_link_local("mn0")
    cap = topo.sniff(mn, "mn0", "mn0")
    ard = make_ard(ar)
    ard.start(config(ard.sock, "2001:db8:a::/64", 10))
    first = cap.wait(lambda p: ras(p, src=ar_ll), 5, what="the first RA")[0]
    assert content(first) == (["2001:db8:a::"], 10)

    # A changed file: the next RA (sent at once) carries it.
    ard.write_config(config(ard.sock, "2001:db8:b::/64", 14))
    t0 = time.time()
    ard.signal(signal.SIGHUP)
    new = cap.wait(lambda p: [r for r in ras(p, src=ar_ll, after=t0) if content(r) == (["2001:db8:b::"], 14)], 3,
                   what="an RA with the new prefix and Pref 14")[0]
    assert new["time"] - t0 < 1.0, f"the new RA came {new['time'] - t0:.3f} s after SIGHUP (periodic: 3-4 s)"
    # Nothing old after the first new RA.
    cap.wait(lambda p: len(ras(p, src=ar_ll, after=new["time"])) >= 1, 5, what="one more RA")
    after = ras(cap.packets(), src=ar_ll, after=new["time"] - 0.001)
    assert all(content(r) == (["2001:db8:b::"], 14) for r in after), [content(r) for r in after]
    ard.wait_show("prefixes", [{"interface": "ar0", "prefix": "2001:db8:b::/64", "advertised": True}], 2)
    assert [p["prefix"] for p in ard.show("prefixes")] == ["2001:db8:b::/64"]
    ard.wait_show("maps", [{"address": MAP, "pref": 14}], 2)
    ard.wait_show("counters", {"reloads": 1, "reload_failures": 0}, 2)

    # A broken file (errors on lines 3 and 8): logged with their lines, the
    # running configuration kept.
    good = ard.conf.read_text()
    lines = good.splitlines()
    assert lines[2].strip().startswith("MaxRtrAdvInterval") and lines[7].strip().startswith("map")
    lines[2] = "    MaxRtrAdvInterval 2000;"                    # line 3: out of range
    lines[7] = f"    map {MAP} {{ Dist 1; Prefx 3; }};"          # line 8: unknown keyword
    ard.write_config("\n".join(lines) + "\n")
    mark = len(ard.log_text())
    ard.signal(signal.SIGHUP)
    ard.wait_log(r"reload failed: 2 error\(s\)", 3, start=mark)
    log = ard.log_text()[mark:]
    assert f"{ard.conf}:3:" in log and "MaxRtrAdvInterval 2000 is out of range" in log, log
    assert f"{ard.conf}:8:" in log and "Prefx" in log, log
    assert "keeping the running configuration" in log, log
    ard.wait_show("counters", {"reloads": 1, "reload_failures": 1}, 2)
    assert ard.running() and ard.ping()
    # Still advertising the good configuration: ask for an RA now.
    t1 = time.time()
    mn.packet_socket("mn0").send(bytes(rs_frame(mn.mac("mn0"), mn_ll)))
    ra = cap.wait(lambda p: ras(p, src=ar_ll, dst=mn_ll, after=t1), 3, what="an RA after the failed reload")[0]
    assert content(ra) == (["2001:db8:b::"], 14), ra
    assert all(content(r) == (["2001:db8:b::"], 14) for r in ras(cap.packets(), src=ar_ll, after=t1))

    # hmipctl ard reload: the same, with the diagnostics on its stderr.
    r = ard.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 1, r
    assert f"{ard.conf}:3:" in r.stderr and f"{ard.conf}:8:" in r.stderr, r.stderr
    assert "reload failed" in r.stdout, r.stdout
    # Fixed again: reloads.
    ard.write_config(config(ard.sock, "2001:db8:c::/64", 3))
    r = ard.hmipctl("reload", json_out=False, check=False)
    assert r.returncode == 0 and "reloaded" in r.stdout, r
    t2 = time.time()
    cap.wait(lambda p: [r for r in ras(p, src=ar_ll, after=t2 - 0.5) if content(r) == (["2001:db8:c::"], 3)], 3,
             what="an RA after hmipctl ard reload")
    ard.wait_show("counters", {"reloads": 2, "reload_failures": 2}, 2)


# --check-config: (file content, [(line, text in the message)]).
BAD_FILES = {
    "out_of_range": ("interface eth0 {\n    MaxRtrAdvInterval 2000;\n};\n",
                     [(2, "MaxRtrAdvInterval 2000 is out of range 0.07..1800")]),
    "missing_semicolon": ("interface eth0 {\n    MaxRtrAdvInterval 4\n    prefix 2001:db8::/64 { };\n};\n",
                          [(2, "missing ';'")]),
    "several_errors": ("# comment\ninterface eth0 {\n    AdvSendAdvertt on;\n    AdvHomeAgentFlag on;\n"
                       "    map 2001:db8::zz { Dist 1; };\n    MapListen on;\n};\n",
                       [(3, "did you mean 'AdvSendAdvert'"), (4, "radvd option"), (5, "not an IPv6 address"),
                        (6, "MapUpstream is not set")]),
    "map_ranges": ("interface eth0 {\n    map 2001:db8::1 {\n        Dist 16;\n        ProbeTimeout 5;\n"
                   "        ProbeInterval 1;\n    };\n};\n",
                   [(3, "Dist"), (4, "ProbeTimeout")]),
    "interface_twice": ("interface eth0 { };\ninterface eth0 { };\n", [(2, "eth0")]),
    "unclosed_block": ("interface eth0 {\n    MaxRtrAdvInterval 4;\n", [(None, "")]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_check_config_rejects(ard_bin, outdir, case):
    text, expected = BAD_FILES[case]
    path = outdir / f"{case}.conf"
    path.write_text(text)
    r = subprocess.run([ard_bin, "--check-config", str(path)], capture_output=True, text=True, timeout=10)
    out = r.stdout + r.stderr
    (outdir / f"{case}.out").write_text(out)
    assert r.returncode == 1, out
    diags = [l for l in out.splitlines() if l.startswith(f"{path}:")]
    assert diags and all(": error: " in l or ": warning: " in l for l in diags), out
    for line, text_part in expected:
        prefix = f"{path}:{line}:" if line else f"{path}:"
        assert any(l.startswith(prefix) and ": error: " in l and text_part in l for l in diags), \
            f"no error at {prefix} mentioning {text_part!r}:\n{out}"


def test_check_config_accepts(ard_bin, outdir):
    example = SRC_DIR / "daemons" / "ard" / "ard.conf.example"
    r = subprocess.run([ard_bin, "--check-config", str(example)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "OK" in r.stdout and "error" not in r.stderr, r
    # Warnings alone do not fail.
    warn = outdir / "warning.conf"
    warn.write_text("interface eth1 {\n    MapRelay on;\n};\n")
    r = subprocess.run([ard_bin, "--check-config", str(warn)], capture_output=True, text=True, timeout=10)
    assert r.returncode == 0 and f"{warn}:2:" in r.stderr and ": warning: " in r.stderr, r
    # A file that cannot be read is an error too.
    r = subprocess.run([ard_bin, "--check-config", str(outdir / "missing.conf")], capture_output=True, text=True)
    assert r.returncode == 1 and "missing.conf" in r.stderr, r


def test_reload_stops_interfaces(topo, make_ard):
    """A reload that removes an interface, or turns AdvSendAdvert off, sends
    a final RA (Router Lifetime 0) there at once (RFC 4861 §6.2.5).

        +--------+ ar0      mn0 +------+
        |   ar   |--------------|  mn  |
        |  ard   | ar1      mn0 +------+
        |        |--------------| mn2  |
        +--------+              +------+
    """
    ar = topo.node("ar", conf={"forwarding": "1"})
    mn = topo.node("mn", conf={"accept_ra": "0", "router_solicitations": "0"})
    mn2 = topo.node("mn2", conf={"accept_ra": "0", "router_solicitations": "0"})
    topo.link(ar, "ar0", mn, "mn0")
    topo.link(ar, "ar1", mn2, "mn0")
    ll0, ll1 = ar.wait_link_local("ar0"), ar.wait_link_local("ar1")
    cap0, cap1 = topo.sniff(mn, "mn0", "ar0"), topo.sniff(mn2, "mn0", "ar1")
    ard = make_ard(ar)
    ar0 = "interface ar0 { MaxRtrAdvInterval 2; MinDelayBetweenRAs 0.05; prefix 2001:db8:a::/64 { }; };\n"
    ar1 = "interface ar1 { MaxRtrAdvInterval 2; MinDelayBetweenRAs 0.05; prefix 2001:db8:b::/64 { }; };\n"
    ard.start(f'ControlSocket "{ard.sock}";\n' + ar0 + ar1)
    cap0.wait(lambda p: ras(p, src=ll0), 3, what="an RA on ar0")
    cap1.wait(lambda p: ras(p, src=ll1), 3, what="an RA on ar1")

    t0 = time.time()
    ard.write_config(f'ControlSocket "{ard.sock}";\n' + ar0)
    ard.signal(signal.SIGHUP)
    final = cap1.wait(lambda p: [r for r in ras(p, src=ll1, after=t0) if r["router_lifetime"] == 0], 2,
                      what="a final RA on the removed ar1")[0]
    assert final["time"] - t0 < 0.5
    t1 = time.time()
    ard.write_config(f'ControlSocket "{ard.sock}";\n' + ar0.replace("{ Max", "{ AdvSendAdvert off; MapListen off; Max"))
    ard.signal(signal.SIGHUP)
    final0 = cap0.wait(lambda p: [r for r in ras(p, src=ll0, after=t1) if r["router_lifetime"] == 0], 2,
                       what="a final RA on ar0 (AdvSendAdvert off)")[0]
    assert final0["time"] - t1 < 0.5
    # Nothing more is scheduled on either link.
    ard.wait_show("interfaces", [{"name": "ar0", "send_advert": False, "advertising": False, "next_ra_ms": None}], 2)
    assert [i["name"] for i in ard.show("interfaces")] == ["ar0"]
    ard.wait_show("counters", {"reloads": 2, "interfaces": {"ar0": {"ra_final": 1}}}, 2)
