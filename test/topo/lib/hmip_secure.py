"""Secure mode in the HMIPv6 testbed (RFC 5380 §12; mapd(8) SECURITY): one
CA made with strongSwan's `pki`, a charon per MAP and on the MN
(charon.start_charon), and the mapd.conf / mnd.conf Ike blocks that point
mapd and mnd at them. Each MAP allocates RCoAs from a pool in its RCoA
prefix (::1000-::10ff), so ard must advertise it with R = 1
(Options(map_r_flag=True)).

    sd = SecureDomain(tb, maps=("map1",))    # charons started
    tb.start_mapd("map1", secure=sd.mapd_ike("map1"))
    tb.start_mnd(secure=sd.mnd_ike())
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from charon import Charon, Pki, start_charon

if TYPE_CHECKING:
    from hmip_topo import Testbed

MN_ID = "mn1@hmip.test"
HA_ID = "ha.hmip.test"


def mh_layers(p):
    """(cleartext MH seen, ESP seen) in one captured packet."""
    from scapy.layers.inet6 import MIP6MH_BA, MIP6MH_BE, MIP6MH_BRR, MIP6MH_BU, MIP6MH_Generic
    clear = any(p.haslayer(c) for c in (MIP6MH_BU, MIP6MH_BA, MIP6MH_BRR, MIP6MH_BE, MIP6MH_Generic))
    esp, layer = False, p
    while layer is not None and layer.__class__.__name__ not in ("NoPayload", "Raw", "Padding"):
        esp = esp or getattr(layer, "nh", None) == 50
        layer = layer.payload if layer.payload else None
    return clear, esp


def esp_and_clear_mh(packets, a: str, b: str, after: float = 0.0) -> tuple[int, int]:
    """Counts packets between addresses a and b (either way) carrying ESP,
    and those carrying a cleartext Mobility Header."""
    from scapy.layers.inet6 import IPv6
    esp = clear = 0
    for t, p in packets:
        ip = p.getlayer(IPv6)
        if t < after or ip is None or {ip.src, ip.dst} != {a, b}:
            continue
        c, e = mh_layers(ip)
        esp += e
        clear += c
    return esp, clear


def map_id(map_name: str) -> str:
    return f"{map_name}.hmip.test"


# The ESP algorithms of charon_conn.h's default proposals, as the kernel names them.
_ESP_WARMUP = (
    ("0xf001", ["aead", "rfc4106(gcm(aes))", "0x" + "11" * 20, "128"]),
    ("0xf002", ["enc", "cbc(aes)", "0x" + "22" * 16, "auth-trunc", "hmac(sha256)", "0x" + "33" * 32, "128"]),
)


def warm_esp(node) -> None:
    """Adds and deletes one ESP transport state per default ESP algorithm in
    `node`'s namespace, so that the kernel loads esp6 and the crypto modules
    now. Otherwise the first CHILD_SA's XFRM_MSG_NEWSA does it: on the
    emulated VM (modprobe over 9p) that blocked the MAP's charon for 8-40 s
    inside the MN's first IKE_AUTH, the MN gave up on it (IkeTimeout, then a
    hold-down) and HMIPv6 started only with the second attempt (issue 13
    item 2). A host loads these modules once, at the first SA; mapd(8)
    SECURITY recommends loading them at boot."""
    for spi, algo in _ESP_WARMUP:
        node.run("ip", "-6", "xfrm", "state", "add", "src", "2001:db8:ffff::1", "dst", "2001:db8:ffff::2",
                 "proto", "esp", "spi", spi, "mode", "transport", *algo, check=False, timeout=120)
        node.run("ip", "-6", "xfrm", "state", "delete", "src", "2001:db8:ffff::1", "dst", "2001:db8:ffff::2",
                 "proto", "esp", "spi", spi, check=False)


class SecureDomain:
    """The certificates and charons of a secure testbed. `dpd_delay`:
    DpdDelay on both sides (short: a restarted MAP is noticed in seconds
    with charon's short test retransmits)."""

    def __init__(self, tb: "Testbed", maps: tuple[str, ...] = ("map1", "map2"), dpd_delay: int = 2,
                 ike_timeout: int = 20, ha: bool = False):
        self.tb = tb
        self.pki = Pki(tb.outdir / "pki")
        self.dpd_delay = dpd_delay
        self.ike_timeout = ike_timeout
        self.charons: dict[str, Charon] = {}
        warm_esp(tb.n("mn"))
        nodes = (*maps, *(("ha",) if ha else ()), "mn")
        if ha:
            warm_esp(tb.n("ha"))
        for node in nodes:
            self.charons[node] = start_charon(tb, node, wait=False)
        for ch in self.charons.values():
            ch.wait_ready()

    def pool(self, map_name: str) -> tuple[str, str]:
        net = ipaddress.ip_network(self.tb.plan.maps[map_name].rcoa_prefix)
        return str(net.network_address + 0x1000), str(net.network_address + 0x10FF)

    def in_pool(self, map_name: str, addr: str) -> bool:
        lo, hi = self.pool(map_name)
        return ipaddress.ip_address(lo) <= ipaddress.ip_address(addr) <= ipaddress.ip_address(hi)

    def eap_file(self, name: str, text: str) -> str:
        """Writes an EapSecrets / EapSecret file (mode 0600); returns its path."""
        path = self.tb.outdir / "pki" / name
        path.write_text(text)
        path.chmod(0o600)
        return str(path)

    def mapd_ike(self, map_name: str, eap_secrets: str | None = None) -> str:
        """The Ike block of `map_name`; with `eap_secrets` (a file from
        eap_file()) mobile nodes authenticate by EAP-MD5."""
        key, cert = self.pki.issue(map_name, map_id(map_name))
        lo, hi = self.pool(map_name)
        eap = f'\n    EapSecrets "{eap_secrets}";' if eap_secrets else ""
        ca = "" if eap_secrets else f'\n    CaCertificate "{self.pki.ca_cert()}";'
        return f"""Ike {{
    ViciSocket "{self.charons[map_name].vici_uri}";
    Identity "{map_id(map_name)}";
    Certificate "{cert}";
    PrivateKey "{key}";{ca}
    AuthorizedIdentity "*@hmip.test";
    RcoaPool {lo}-{hi};
    DpdDelay {self.dpd_delay};{eap}
}};"""

    def ha_ike(self) -> str:
        """The HA's Ike block (mapd.conf(5): the home agent role proves
        HA_ID; HomeAddress lines in the HomeAgent block say which identity
        owns which home address)."""
        key, cert = self.pki.issue("ha", HA_ID)
        return f"""Ike {{
    ViciSocket "{self.charons['ha'].vici_uri}";
    Identity "{HA_ID}";
    Certificate "{cert}";
    PrivateKey "{key}";
    CaCertificate "{self.pki.ca_cert()}";
    DpdDelay {self.dpd_delay};
}};"""

    def mnd_ike(self, name: str = "mn1", ident: str = MN_ID, eap_secret: str | None = None) -> str:
        """The MN's Ike block: a certificate for `ident`, or with
        `eap_secret` (a file from eap_file()) EAP instead."""
        if eap_secret:
            creds = f'EapSecret "{eap_secret}";'
        else:
            key, cert = self.pki.issue(name, ident)
            creds = f'Certificate "{cert}";\n    PrivateKey "{key}";'
        return f"""Ike {{
    ViciSocket "{self.charons['mn'].vici_uri}";
    Identity "{ident}";
    {creds}
    CaCertificate "{self.pki.ca_cert()}";
    MapIdentity "*.hmip.test";
    DpdDelay {self.dpd_delay};
    IkeTimeout {self.ike_timeout};
}};"""
