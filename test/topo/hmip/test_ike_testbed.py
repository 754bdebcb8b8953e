"""Real strongSwan charons in the testbed (lib/charon.py): the MN's IKEv2 SA
with MAP1 (RFC 5380 §12), before mapd/mnd drive it.

One testbed for the module: ard on AR1, the MN attached to AR1 with its
SLAAC LCoA; charon on MAP1 and on the MN with certificates from one Pki
(map1.hmip.test, mn1@hmip.test, and mn1@hmip.test again from the
untrusted "other" CA). The tests run in file order:

  * the MN initiates a childless IKE SA (childless = force) from its LCoA
    to MAP1's address: ESTABLISHED on both, with the certificates'
    identities and the LCoA as the MAP's remote host;
  * the same identity with a certificate from the other CA: refused
    (AUTHENTICATION_FAILED), MAP1's log says it found no trusted key, the
    MAP holds only the first SA;
  * restart() of MAP1's charon: its clean stop deletes the SA (the MN gets
    the DELETE and drops its own), the new charon has the connection
    reloaded and the MN's SA comes up again.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from charon import CHARON_BIN, PKI_BIN, SWANCTL_BIN, Charon, Pki, start_charon
from hmip_plan import MN_IF, PLAN
import hmip_topo
from topo import json_cmp, until

MAP1 = PLAN.maps["map1"].address
MAP_ID = "map1.hmip.test"
MN_ID = "mn1@hmip.test"
TRUST_FAILURE = rf"no trusted \S+ public key found for '{MN_ID}'|no issuer certificate found"

MAP_CONF = f"""connections {{
  hmip-map {{
    local_addrs = {MAP1}
    local {{
      auth = pubkey
      certs = map1.pem
      id = {MAP_ID}
    }}
    remote {{
      auth = pubkey
      cacerts = ca.pem
    }}
  }}
}}
"""


def mn_conf(lcoa: str) -> str:
    """The MN's connections: hmip-mn with its certificate from the CA,
    untrusted with the same identity's certificate from the other CA."""
    def conn(name: str, cert: str) -> str:
        return f"""  {name} {{
    local_addrs = {lcoa}
    remote_addrs = {MAP1}
    childless = force
    local {{
      auth = pubkey
      certs = {cert}
      id = {MN_ID}
    }}
    remote {{
      auth = pubkey
      id = {MAP_ID}
    }}
  }}
"""
    return "connections {\n" + conn("hmip-mn", "mn1.pem") + conn("untrusted", "mn1-other.pem") + "}\n"


@dataclass
class Ike:
    tb: hmip_topo.Testbed
    pki: Pki
    map: Charon
    mn: Charon
    lcoa: str


def settled_lcoa(tb: hmip_topo.Testbed) -> str | None:
    """The MN's LCoA from AR1 once DAD is over (not tentative/optimistic)."""
    lcoas = tb.lcoas("ar1")
    for a in tb.n("mn").addrs(MN_IF):
        if a.get("local") in lcoas and not any(a.get(f) for f in ("tentative", "optimistic", "dadfailed")):
            return a["local"]
    return None


@pytest.fixture(scope="module")
def tb(pytestconfig, bins):
    if not os.access(CHARON_BIN, os.X_OK) or not shutil.which(SWANCTL_BIN) or not shutil.which(PKI_BIN):
        pytest.fail("strongSwan (charon, swanctl, pki) is not installed: scripts/install-deps.sh", pytrace=False)
    base = pytestconfig.getoption("--outdir") or str(Path(bins.ard).parent.parent / "test" / "topo" / "out-hmip")
    out = Path(base) / "test_ike_testbed"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    t = hmip_topo.Testbed(out, bins).build()
    try:
        t.start_ards(("ar1",))
        t.attach("ar1")
        yield t
    finally:
        t.close()


@pytest.fixture(scope="module")
def ike(tb) -> Ike:
    # Both charons start while pki works (seconds each in the emulated VM).
    ch_map = start_charon(tb, "map1", wait=False)
    ch_mn = start_charon(tb, "mn", wait=False)
    pki = Pki(tb.outdir / "pki")
    map_cert = pki.issue("map1", MAP_ID)
    mn_cert = pki.issue("mn1", MN_ID)
    other = pki.issue("mn1-other", MN_ID, ca="other")
    assert pki.issue("mn1", MN_ID) == mn_cert  # idempotent
    for ch in (ch_map, ch_mn):
        ch.install_ca(pki.ca_cert())
    ch_map.install_cert(map_cert)
    ch_mn.install_cert(mn_cert)
    ch_mn.install_cert(other)
    ch_map.wait_ready().load(MAP_CONF)
    lcoa = str(until(lambda: settled_lcoa(tb), 60, 0.1, "the MN's LCoA from AR1, DAD over"))
    ch_mn.wait_ready().load(mn_conf(lcoa))
    return Ike(tb, pki, ch_map, ch_mn, lcoa)


def assert_established(ike: Ike) -> tuple[dict, dict]:
    """The MN's hmip-mn and MAP1's hmip-map IKE SAs, ESTABLISHED between the
    LCoA and MAP1 with the certificates' identities."""
    mn_sa = ike.mn.wait_sa("hmip-mn", "ESTABLISHED", timeout=10)
    map_sa = ike.map.wait_sa("hmip-map", "ESTABLISHED", timeout=10)
    d = json_cmp(mn_sa, {"local-host": ike.lcoa, "remote-host": MAP1, "local-id": MN_ID, "remote-id": MAP_ID,
                         "initiator": "yes"})
    assert d is None, d
    d = json_cmp(map_sa, {"local-host": MAP1, "remote-host": ike.lcoa, "local-id": MAP_ID, "remote-id": MN_ID})
    assert d is None, d
    assert map_sa["initiator-spi"] == mn_sa["initiator-spi"], (map_sa, mn_sa)
    return mn_sa, map_sa


def test_mn_establishes_ike_sa(tb, ike):
    ike.mn.initiate("hmip-mn")
    assert_established(ike)


def test_untrusted_ca_refused(tb, ike):
    before = [sa["uniqueid"] for _n, sa in ike.map.list_all_sas()]
    mark = len(ike.map.log_text())
    r = ike.mn.initiate("untrusted", check=False, timeout=20)
    assert not r.ok, f"an IKE SA with a certificate from the other CA:\n{r.text}"
    assert "received AUTHENTICATION_FAILED notify error" in r.text, r.text
    ike.map.wait_log(TRUST_FAILURE, start=mark)
    assert [sa["uniqueid"] for _n, sa in ike.map.list_all_sas()] == before
    assert not [n for n, sa in ike.mn.list_all_sas() if n == "untrusted" and sa.get("state") == "ESTABLISHED"]
    assert_established(ike)  # the trusted SA is untouched


def test_map_charon_restart(tb, ike):
    old_pid = ike.map.pid
    _mn_sa, old = assert_established(ike)
    ike.map.restart()
    assert ike.map.pid != old_pid and ike.map.running()
    assert ike.map.list_all_sas() == []
    # charon's clean stop sends a DELETE for its IKE SAs: the MN drops its own.
    until(lambda: not ike.mn.list_all_sas(), 10, 0.1, "the MN's IKE SA gone after MAP1's DELETE")
    assert ike.map.list_conns() == ["hmip-map"]  # restart() loaded it again
    ike.mn.initiate("hmip-mn")
    _mn_sa, new = assert_established(ike)
    assert new["initiator-spi"] != old["initiator-spi"]
