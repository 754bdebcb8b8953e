"""Scenario 1: the Linux kernel as the RA consumer.

    +------------+ ar0          h0 +--------------+
    |     ar     |-----------------|     host     |
    | ard        |                 | kernel SLAAC |
    | forwarding |                 | accept_ra=2  |
    +------------+                 +--------------+

ard advertises 2001:db8:1:1::/64 (on-link, autonomous), MTU 1400, Cur Hop
Limit 42, Router Lifetime 30 on ar0. The host's kernel (accept_ra=2,
forwarding off, no DAD) must form an address from the prefix, install the
prefix route and a default route via ar0's link-local address, and take
the MTU and hop limit from the RA.
"""

import ipaddress

from nd import ras
from topo import until, wait_json

PREFIX = "2001:db8:1:1::/64"


def in_prefix(prefix):
    net = ipaddress.ip_network(prefix)

    def check(addr):
        return ipaddress.ip_address(addr) in net
    check.__name__ = f"in {prefix}"
    return check


def test_kernel_slaac_and_default_route(topo, make_ard):
    ar = topo.node("ar", conf={"forwarding": "1"})
    host = topo.node("host", conf={"forwarding": "0", "accept_ra": "2", "autoconf": "1"})
    topo.link(ar, "ar0", host, "h0")
    ar_ll = ar.wait_link_local("ar0")
    host.wait_link_local("h0")
    cap = topo.sniff(host, "h0", "h0")

    ard = make_ard(ar)
    ard.start(f"""
ControlSocket "{ard.sock}";
interface ar0 {{
    MaxRtrAdvInterval 1;
    MinRtrAdvInterval 0.5;
    MinDelayBetweenRAs 0.1;
    MaxRADelay 0.05;
    AdvDefaultLifetime 30;
    AdvLinkMTU 1400;
    AdvCurHopLimit 42;
    prefix {PREFIX} {{
        AdvOnLink on;
        AdvAutonomous on;
        AdvValidLifetime 3600;
        AdvPreferredLifetime 1800;
    }};
}};
""")
    ard.wait_advertising("ar0")

    # The kernel forms an address from the prefix (EUI-64 or stable privacy:
    # whatever addr_gen_mode says; only the prefix and lifetimes are ours).
    addrs = wait_json(lambda: host.addrs("h0"),
                      [{"family": "inet6", "local": in_prefix(PREFIX), "prefixlen": 64, "scope": "global",
                        "dynamic": True, "valid_life_time": lambda v: 0 < v <= 3600,
                        "preferred_life_time": lambda v: 0 < v <= 1800}],
                      timeout=10, what="a SLAAC address on host:h0")
    # ... a default route through ard's link-local address, learned from the RA ...
    wait_json(lambda: host.routes("default"),
              [{"dst": "default", "gateway": ar_ll, "dev": "h0", "protocol": "ra"}],
              timeout=10, what="the default route on host")
    # ... the prefix as on-link ...
    wait_json(lambda: host.routes(PREFIX), [{"dst": PREFIX, "dev": "h0"}], timeout=10, what="the on-link route")
    # ... and the link parameters.
    until(lambda: host.read_sysctl("net.ipv6.conf.h0.mtu") == "1400", 5, what="MTU 1400 from the RA")
    until(lambda: host.read_sysctl("net.ipv6.conf.h0.hop_limit") == "42", 5, what="hop limit 42 from the RA")

    # Traffic to an off-link address follows that default route to ar.
    ar.run("ip", "-6", "addr", "add", "2001:db8:99::1/128", "dev", "lo")
    ar.addr_add("ar0", "2001:db8:1:1::1/64")  # the way back to the host's new address
    out = host.run("ping", "-6", "-c", "1", "-W", "2", "2001:db8:99::1", check=False)
    assert " 0% packet loss" in out, out
    # ... from the SLAAC address (the only global one).
    assert any(in_prefix(PREFIX)(a["local"]) for a in addrs)

    # What the kernel used came from ard: its RAs were on the link.
    assert ras(cap.packets(), src=ar_ll), "no RA from ard captured on h0"
