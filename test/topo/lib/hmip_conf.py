"""The daemons' configurations in the HMIPv6 testbed (hmip_topo.Testbed):
ard.conf for the ARs, mapd.conf for the MAPs, mnd.conf for the MN. These
are the plug-in hooks for mapd and mnd: the keywords follow mapd.conf(5)
and mnd.conf(5); change them here when those change. Pure text, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from hmip_plan import ACCESS_IF, HOME_IF, MN_IF, UPLINK_IF, Plan


@dataclass
class MapAdv:
    """A MAP option one AR advertises (ard.conf `map` block)."""
    map: str                 # "map1" / "map2"
    dist: int = 2            # MN -> AR -> MAP: 2 hops
    pref: int = 10
    valid: int = 3600
    probe: bool = True


@dataclass
class Options:
    ra_max_interval: float = 1.0      # MaxRtrAdvInterval (s) on the access links
    ra_min_interval: float = 0.5
    max_ra_delay: float = 0.0         # answer an RS at once (ard MaxRADelay)
    probe_interval: float = 1.0       # ard's MAP probing
    ar3_advertises_map1: bool = False  # AR3 also announces MAP1 (Dist 3): MAP selection tests
    map_r_flag: bool = False          # MAPs advertised with R = 1 (they allocate RCoAs: secure mode)
    ard_extra: str = ""               # added inside each access interface block
    second_mn_interface: bool = False  # the MN also has mn1 (Multiple CoA), patched apart from mn0


def ard_config(plan: Plan, ar: str, sock: str, maps: list[MapAdv], o: Options) -> str:
    """ard.conf of an AR: its LCoA prefix (on-link, autonomous, R flag) and
    one `map` block per MapAdv, on the access interface acc0."""
    a = plan.ars[ar]
    blocks = []
    for m in maps:
        blocks.append(f"""    map {plan.maps[m.map].address} {{
        Dist {m.dist};
        Pref {m.pref};
        ValidLifetime {m.valid};
        Probe {"on" if m.probe else "off"};
        ProbeInterval {o.probe_interval};
        ProbeRetryInterval {o.probe_interval / 2};
        ProbeTimeout {o.probe_interval / 2};
        ProbeFailAfter {o.probe_interval * 3};
        ProbeRestoreAfter 2;
        RFlag {"on" if o.map_r_flag else "off"};
    }};""")
    maps_text = "\n".join(blocks)
    return _ard_interface(sock, ACCESS_IF, a.lcoa_prefix, True, o, f"{maps_text}\n{o.ard_extra}")


def _ard_interface(sock: str, ifname: str, prefix: str, autonomous: bool, o: Options, rest: str) -> str:
    """ard.conf with one advertising interface: the testbed's RA timing,
    `prefix` (on-link, router address), then `rest` inside the block."""
    return f"""ControlSocket "{sock}";
LogLevel debug;
interface {ifname} {{
    AdvSendAdvert on;
    MaxRtrAdvInterval {o.ra_max_interval};
    MinRtrAdvInterval {o.ra_min_interval};
    MinDelayBetweenRAs {min(0.1, o.ra_min_interval)};
    MaxRADelay {o.max_ra_delay};
    AdvIntervalOpt on;
    AdvDefaultLifetime 1800;
    prefix {prefix} {{
        AdvOnLink on;
        AdvAutonomous {"on" if autonomous else "off"};
        AdvRouterAddr on;
        AdvValidLifetime 86400;
        AdvPreferredLifetime 14400;
    }};
{rest}}};
"""


def mapd_config(plan: Plan, map_name: str, sock: str, extra: str = "",
                served_ars: tuple[str, ...] | None = None, secure: str | None = None) -> str:
    """mapd.conf for MAP `map_name` (keywords of mapd.conf(5)): its address,
    the RCoA prefix on the core link (proxy ND on up0), the LCoA prefixes of
    `served_ars` (default: the ARs of its domain), every other AR's LCoA
    prefix as a neighbour (RFC 5380 §8), the testbed-only unprotected
    signalling from all of them (or, with `secure`, that Ike block instead:
    IPsec-protected signalling through charon), and a short RCoA DAD (0.3 s:
    the MN's first BU is retransmitted after 0.5 s in mnd_config)."""
    m = plan.maps[map_name]
    served = tuple(m.ars) if served_ars is None else served_ars
    own = [plan.ars[a].lcoa_prefix for a in served]
    others = [a.lcoa_prefix for a in plan.ars.values() if a.name not in served]
    lines = [f'ControlSocket "{sock}";', "LogLevel debug;", f"MapAddress {m.address};",
             f"RcoaPrefix {m.rcoa_prefix} {{ Interface {UPLINK_IF}; }};", "RcoaDadTimeout 0.3;"]
    lines += [f"LcoaPrefix {p};" for p in own]
    lines += [f"NeighbourPrefix {p};" for p in others]
    if secure is None:
        lines += ["InsecureTestbedSignalling yes;"] + [f"TrustedPrefix {p};" for p in own + others]
    else:
        lines.append(secure)
    return "\n".join(lines) + "\n" + extra


def mnd_config(sock: str, extra: str = "", secure: str | None = None,
               interfaces: tuple[str, ...] = (MN_IF,)) -> str:
    """mnd.conf for the MN (keywords of mnd.conf(5)): its `interfaces`
    (default mn0 alone; an entry may carry its block, e.g.
    "mn1 { Bid 2; Priority 1; }"), testbed timers, unprotected signalling
    (or, with `secure`, that Ike block instead)."""
    lines = [f'ControlSocket "{sock}";', "LogLevel debug;"] + [f"Interface {i};" for i in interfaces]
    lines += ["InitialBindackTimeoutFirstReg 0.5;", "InitialBindackTimeout 0.5;"]
    lines.append("InsecureTestbedSignalling yes;" if secure is None else secure)
    return "\n".join(lines) + "\n" + extra


def ard_home_config(plan: Plan, sock: str, o: Options) -> str:
    """ard.conf of the home link: the home prefix on home0 (not
    autonomous: the home address is configured), no MAP option (the HA's
    node is the home link's router)."""
    return _ard_interface(sock, HOME_IF, plan.home.prefix, False, o, "")


def ha_config(plan: Plan, sock: str, extra: str = "", secure: str | None = None,
              owners: dict[str, str] | None = None, protect_traffic: bool = False) -> str:
    """mapd.conf of the HA (mapd.conf(5) HomeAgent block): the home prefix
    on home0 with a short DAD. Insecure testbed mode (`secure` None): the
    unprotected signalling from every care-of address the MN may register
    (the MAPs' RCoA prefixes, the AR prefixes: plain Mobile IPv6 mode).
    Secure mode (RFC 4877): `secure` is the Ike block, `owners` maps each
    home address to the IKE identity that owns it (HomeAddress), and
    `protect_traffic` offers the payload child (ProtectTraffic)."""
    h = plan.home
    own = "".join(f' HomeAddress {a} "{i}";' for a, i in (owners or {}).items())
    pt = " ProtectTraffic on;" if protect_traffic else ""
    lines = [f'ControlSocket "{sock}";', "LogLevel debug;",
             f"HomeAgent {{ Address {h.ha}; HomePrefix {h.prefix} {{ Interface {HOME_IF}; }}; HomeDadTimeout 0.3;"
             f"{own}{pt} }};"]
    if secure is None:
        trusted = [m.rcoa_prefix for m in plan.maps.values()] + [a.lcoa_prefix for a in plan.ars.values()]
        lines += ["InsecureTestbedSignalling yes;"] + [f"TrustedPrefix {p};" for p in trusted]
    else:
        lines.append(secure)
    return "\n".join(lines) + "\n" + extra


def mnd_home_block(plan: Plan, hmipv6: bool = True, lifetime: int = 600, discover: bool = False,
                   ha_identity: str | None = None, protect_traffic: bool = False) -> str:
    """The mnd.conf Home block (mnd.conf(5)) of the MN's home registration
    (`discover`: the HA found by DHAAD instead of configured; secure mode:
    `ha_identity`, the identity the HA must prove, and `protect_traffic`,
    the RFC 4877 §5 payload child)."""
    h = plan.home
    plen = h.prefix.split("/")[1]
    ha = "discover" if discover else h.ha
    sec = f' HomeAgentIdentity "{ha_identity}";' if ha_identity else ""
    pt = " ProtectTraffic on;" if protect_traffic else ""
    return (f"Home {{ Address {h.home_address}/{plen}; HomeAgent {ha}; BindingLifetime {lifetime}; "
            f"Hmipv6 {'on' if hmipv6 else 'off'};{sec}{pt} }};\n")
