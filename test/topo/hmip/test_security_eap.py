"""EAP inside IKEv2, the option a MAP may offer (RFC 5380 §12.1; issue 5):
MAP1's mapd.conf names an EapSecrets file, so charon authenticates mobile
nodes with EAP-MD5 (the MAP still proves itself with its certificate); the
MN's mnd.conf has an EapSecret file instead of a certificate and key.

The MN leases its RCoA and registers over ESP as with certificates; a host
that knows an identity but not its secret is refused, and the same host
with the right secret is accepted, so the refusal is the secret's.
"""

from __future__ import annotations

import signal
import subprocess

import hmip_secure
import pytest
from charon import start_charon
from hmip_secure import SecureDomain, map_id
from hmip_topo import Options
from mobility import MAP_ADDR, registered
from topo import until

MAP1 = MAP_ADDR["map1"]
FG = "2001:db8:1:11::f0"      # another host on AR1's link
MAP_ID, MN_ID, MN2_ID = map_id("map1"), hmip_secure.MN_ID, "mn2@hmip.test"
MN_SECRET, MN2_SECRET = "mn1 eap secret", "mn2-Secret"


@pytest.fixture(scope="module")
def eap(module_testbed):
    tb = module_testbed(Options(map_r_flag=True))
    sd = SecureDomain(tb, maps=("map1",))
    secrets = sd.eap_file("map1-eap.secrets", f'# mobile nodes of MAP1\n{MN_ID} "{MN_SECRET}"\n{MN2_ID} {MN2_SECRET}\n')
    sd.secrets_path = secrets
    tb.start_ards()
    tb.start_mapd("map1", secure=sd.mapd_ike("map1", eap_secrets=secrets))
    tb.attach("ar1")
    tb.start_mnd(secure=sd.mnd_ike(eap_secret=sd.eap_file("mn1.eap", f'"{MN_SECRET}"\n')))
    yield tb, sd, sd.charons["map1"], sd.charons["mn"]


def test_mn_registers_with_eap(eap):
    tb, sd, map_ch, mn_ch = eap
    lcoa = tb.wait_lcoa("ar1")
    b = registered(tb, "map1", lcoa)
    rcoa = b["rcoa"]
    assert sd.in_pool("map1", rcoa), b
    mnd, mapd = tb.daemons["mnd"], tb.daemons["mapd-map1"]
    mnd.wait_show("ike", {"secure": True, "maps": [{"map": MAP1, "state": "protected", "rcoa": rcoa}]}, 30)
    assert {"connection": f"hmip-rcoa-{rcoa}", "identity": MN_ID} in mapd.show("ike")["connections"]
    sa = map_ch.wait_sa(f"hmip-rcoa-{rcoa}")
    assert sa.get("remote-id") == MN_ID, sa
    mn_ch.wait_sa(f"hmip-mn-{MAP1}")
    assert "EAP" in map_ch.log_text(), "MAP1's charon ran no EAP exchange"
    until(lambda: subprocess.run(["ip", "netns", "exec", tb.n("cn").ns, "ping", "-6", "-n", "-c", "1", "-W", "2",
                                  rcoa], capture_output=True, check=False).returncode == 0,
          60, 0.5, f"CN reaches the RCoA {rcoa}")
    assert mapd.show("counters")["bu_no_ike_sa"] == 0


def _eap_host(tb, sd, name: str, secret: str):
    ch = start_charon(tb, "fg", name=name)
    ch.install_ca(sd.pki.ca_cert())
    ch.load(f"""connections {{
  lease {{
    version = 2
    local_addrs = {FG}
    remote_addrs = {MAP1}
    vips = ::
    childless = force
    mobike = no
    local {{
      auth = eap
      id = {MN2_ID}
    }}
    remote {{
      auth = pubkey
      id = {MAP_ID}
    }}
  }}
}}
secrets {{
  eap-mn2 {{
    id = {MN2_ID}
    secret = "{secret}"
  }}
}}
""")
    return ch


def test_wrong_eap_secret_is_refused_right_one_accepted(eap):
    tb, sd, map_ch, _mn_ch = eap
    tb.add_host("fg", "ar1", [FG])
    bad = _eap_host(tb, sd, "fg-bad", "not-the-secret")
    r = bad.initiate("lease", check=False)
    assert not r.ok, r.text
    until(lambda: "EAP_FAILURE" in map_ch.log_text() or "AUTH_FAILED" in r.text or "EAP_FAILURE" in r.text,
          20, 0.5, "MAP1's charon refusing the wrong EAP secret")
    assert not [sa for _n, sa in map_ch.list_all_sas()
                if sa.get("remote-id") == MN2_ID and sa.get("state") == "ESTABLISHED"]
    bad.stop()
    good = _eap_host(tb, sd, "fg-good", MN2_SECRET)
    r = good.initiate("lease", check=False)
    assert r.ok, r.text
    until(lambda: [sa for _n, sa in map_ch.list_all_sas()
                   if sa.get("remote-id") == MN2_ID and sa.get("state") == "ESTABLISHED"],
          20, 0.5, "MAP1's charon accepting the right EAP secret")
    good.stop()
    # The MN's binding is untouched by all this.
    registered(tb, "map1")


def test_secret_removed_while_mapd_was_down_no_longer_authenticates(eap):
    """mapd killed (no clean unload), MN2's line removed from the file: the
    restarted mapd unloads the secret the earlier one left in charon."""
    tb, sd, map_ch, _mn_ch = eap
    mapd = tb.daemons["mapd-map1"]
    mapd.stop(sig=signal.SIGKILL)
    assert not mapd.running()
    shared = map_ch.vici("get-shared").get("keys", [])
    assert "hmip-eap-2" in shared, shared            # left behind by the killed mapd
    with open(sd.secrets_path, "w") as f:
        f.write(f'{MN_ID} "{MN_SECRET}"\n')
    tb.start_mapd("map1", secure=sd.mapd_ike("map1", eap_secrets=sd.secrets_path))
    until(lambda: "hmip-eap-2" not in map_ch.vici("get-shared").get("keys", []), 30, 0.5,
          "the restarted mapd unloading MN2's stale secret")
    assert "hmip-eap-1" in map_ch.vici("get-shared").get("keys", [])
    late = _eap_host(tb, sd, "fg-late", MN2_SECRET)
    r = late.initiate("lease", check=False)
    assert not r.ok, r.text
    late.stop()
