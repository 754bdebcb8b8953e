"""Scenario 8: SIGTERM (and SIGINT): a final RA with Router Lifetime 0 on
every advertising interface (RFC 4861 §6.2.5), the control socket removed,
exit status 0. The host's kernel, which used ard as its default router,
drops the default route on that final RA.

    +--------+ ar0           h0 +----------------+
    |   ar   |------------------|  host (kernel  |
    |  ard   |                  |  accept_ra=2)  |
    |        | ar1           d0 +----------------+
    |        |------------------|  host2         |
    +--------+                  +----------------+
"""

import os
import signal
import time

import pytest

from nd import ras
from topo import json_cmp, until, wait_json


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_final_ra_and_socket_removed(topo, make_ard, sig):
    ar = topo.node("ar", conf={"forwarding": "1"})
    host = topo.node("host", conf={"forwarding": "0", "accept_ra": "2"})
    host2 = topo.node("host2", conf={"accept_ra": "0", "router_solicitations": "0"})
    topo.link(ar, "ar0", host, "h0")
    topo.link(ar, "ar1", host2, "d0")
    ar_ll = ar.wait_link_local("ar0")
    ar_ll1 = ar.wait_link_local("ar1")
    cap = topo.sniff(host, "h0", "h0")
    cap1 = topo.sniff(host2, "d0", "d0")
    ard = make_ard(ar)
    ard.start(f"""
ControlSocket "{ard.sock}";
interface ar0 {{
    MaxRtrAdvInterval 1;
    MinRtrAdvInterval 0.5;
    MinDelayBetweenRAs 0.1;
    AdvDefaultLifetime 60;
    prefix 2001:db8:8::/64 {{ }};
    route 2001:db8:88::/48 {{ }};
    map 2001:db8:100::1 {{ Probe off; }};
}};
interface ar1 {{
    MaxRtrAdvInterval 1;
    MinRtrAdvInterval 0.5;
    MinDelayBetweenRAs 0.1;
    prefix 2001:db8:9::/64 {{ }};
}};
""")
    assert os.path.exists(ard.sock)
    wait_json(lambda: host.routes("default"), [{"gateway": ar_ll, "dev": "h0", "protocol": "ra"}], 10,
              what="the host's default route via ard")
    cap1.wait(lambda p: ras(p, src=ar_ll1), 5, what="an RA on ar1")

    t0 = time.time()
    ard.signal(sig)
    assert ard.proc.wait(timeout=5) == 0, ard.log_text()[-2000:]
    assert not os.path.exists(ard.sock), "the control socket is left behind"
    r = ard.hmipctl("ping", json_out=False, check=False)
    assert r.returncode == 1 and "no daemon is listening" in r.stderr, r

    for c, src in ((cap, ar_ll), (cap1, ar_ll1)):
        final = c.wait(lambda p: [r for r in ras(p, src=src, after=t0) if r["router_lifetime"] == 0], 3,
                       what=f"a final RA on {c.path.name}")[0]
        assert final["time"] - t0 < 0.5, f"final RA {final['time'] - t0:.3f} s after the signal"
        # The last RA, the only one with Router Lifetime 0, preference medium (RFC 4191 §2.2).
        all_ras = ras(c.packets(), src=src)
        assert all_ras[-1] == final and [r for r in all_ras if r["router_lifetime"] == 0] == [final]
        assert json_cmp(final, {"dst": "ff02::1", "hlim": 255, "prf": 0}) is None, final
    # Routes through the leaving router are withdrawn too.
    final0 = [r for r in ras(cap.packets(), src=ar_ll) if r["router_lifetime"] == 0][0]
    assert json_cmp(final0, {"routes": [{"prefix": "2001:db8:88::", "lifetime": 0}]}) is None, final0

    # The kernel took it: no default route via ar any more.
    until(lambda: not [r for r in host.routes("default") if r.get("gateway") == ar_ll], 3,
          what="the default route to disappear")
    log = ard.log_text()
    assert "shutting down" in log and "shut down: final Router Advertisements sent" in log


def test_control_socket_lifecycle(topo, make_ard, rundir):
    """The control socket (ard(8) CONTROL SOCKET): created with its
    directory, mode 0660; a second ard on it refuses to start and leaves it
    alone; one left behind by a killed ard is taken over.

        +--------+ ar0      mn0 +------+
        |   ar   |--------------|  mn  |
        +--------+              +------+
    """
    ar = topo.node("ar", conf={"forwarding": "1"})
    mn = topo.node("mn", conf={"accept_ra": "0", "router_solicitations": "0"})
    topo.link(ar, "ar0", mn, "mn0")
    sock = str(rundir / "sub" / "ard.sock")  # the directory does not exist yet
    conf = f'ControlSocket "{sock}";\ninterface ar0 {{ MaxRtrAdvInterval 1; MinDelayBetweenRAs 0.1; }};\n'
    first = make_ard(ar, "first")
    first.sock = sock
    first.start(conf)
    assert oct(os.stat(sock).st_mode & 0o7777) == "0o660"

    second = make_ard(ar, "second")
    second.sock = sock
    second.start(conf, wait=False)
    assert second.proc.wait(timeout=5) == 1
    assert f"another ard answers on {sock}" in second.log_text()
    assert first.running() and first.ping()

    first.signal(signal.SIGKILL)
    first.proc.wait(timeout=5)
    assert os.path.exists(sock)  # left behind
    third = make_ard(ar, "third")
    third.sock = sock
    third.start(conf)
    assert third.request("ping")["pid"] == third.proc.pid
    assert third.stop() == 0 and not os.path.exists(sock)
