"""The HMIPv6 namespace testbed: CN - core - MAP1 (AR1, AR2) / MAP2 (AR3) - MN.

    tb = Testbed(outdir, bins=Binaries(ard=..., hmipctl=...), opts=Options())
    tb.build()            # namespaces, links, addresses, static routes, sysctls
    tb.start_ards()       # ard on AR1..AR3: LCoA prefix + MAP option of their MAP
    tb.attach("ar1")      # the MN's mn0 is patched into AR1's access link
    mv = tb.move("ar2")   # carrier down, re-patch, carrier up: a Move with times
    tb.close()            # daemons stopped, namespaces deleted (also on failure)

Addressing: hmip_plan.PLAN (and test/topo/README.md). The MN keeps ONE
interface, mn0, a veth whose peer (mnp) lives in the switch namespace "sw"
next to one bridge per AR access link (br1..br3, each joined to its AR's
acc0). A move takes mnp down (the MN's kernel reports NO-CARRIER on mn0),
moves it to the new AR's bridge and takes it up again (carrier back): two
rtnetlink requests on one long-lived socket in sw (linkswitch.py), so the
MN sees a link change on the same ifname, as after a layer-2 handover. Namespace names are `<prefix>-<node>` with a
random prefix per Testbed (parallel runs do not clash).

The home network (issue 14): the HA's home0 sits on bridge brh in sw, the
MN's home link: tb.move("home") patches mn0 there. start_ha() runs mapd in
the home-agent role on the HA, start_home_ard() an ard advertising the home
prefix on home0 (a node at home learns it from that RA).

Multiple CoA (RFC 5648): with Options(second_mn_interface=True) the MN
also has mn1, whose peer mnp1 is patched on its own: tb.attach("ar2",
iface="mn1") puts it on br2 while mn0 stays where it is, tb.detach("mn1")
takes its carrier away (and attach gives it back), tb.wait_lcoa("ar2",
iface="mn1") is its SLAAC address; each interface has its own LinkWatch.

mapd and mnd plug in through start_mapds() / start_mnd(): their
configurations come from hmip_conf.mapd_config() / mnd_config() (the hooks:
adjust them, or pass `extra`), logs go to OUTDIR/<name>.log, control
sockets to RUNDIR.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Optional

from daemon import Daemon
from handover import MoveMark
from linkswitch import LinkSwitch
from linkwatch import LinkWatch
from hmip_conf import (MapAdv, Options, ard_config, ard_home_config, ha_config, mapd_config,  # noqa: F401 (re-exported)
                       mnd_config)
from hmip_plan import ACCESS_IF, HOME_IF, MN_IF, MN_IF2, MN_PEERS, PLAN, UPLINK_IF, Plan
from topo import Node, Topology, netns, sh, until

ROUTERS = ("core", "map1", "map2", "ar1", "ar2", "ar3", "ha")
ROUTER_CONF = {"forwarding": "1", "accept_ra": "0", "autoconf": "0"}
# The MN: SLAAC from RAs even if forwarding were on, optimistic DAD
# (RFC 4429) so a new LCoA is usable at once; DAD itself stays on.
MN_CONF = {"forwarding": "0", "accept_ra": "2", "autoconf": "1", "accept_dad": "1",
           "optimistic_dad": "1", "use_optimistic": "1"}


@dataclass
class Binaries:
    """Paths of the daemons; mapd/mnd None until they exist."""
    ard: str
    hmipctl: Optional[str] = None
    mapd: Optional[str] = None
    mnd: Optional[str] = None


@dataclass
class Move:
    """One move of an MN interface (`iface`, mn0 unless said): from/to AR
    (dst None: detached, carrier gone and not back), host-clock times of its
    start and end, and when the MN's kernel reported carrier loss (None for
    an attachment from nowhere) and return (None for a detach) on it."""
    src: Optional[str]
    dst: Optional[str]
    t_start: float
    t_end: float
    carrier_down: Optional[float] = None
    carrier_up: Optional[float] = None
    iface: str = MN_IF

    @property
    def label(self) -> str:
        on = "" if self.iface == MN_IF else f"{self.iface} "
        if self.dst is None:
            return f"{on}{self.src}->off"
        return f"{on}{self.src}->{self.dst}" if self.src else f"{on}attach {self.dst}"

    def mark(self) -> MoveMark:
        """For handover.handover_gaps: the link switch at the MN's carrier
        loss, the new link at carrier return."""
        return MoveMark(self.label, self.carrier_down or self.t_start, self.carrier_up or self.t_end)


class Testbed:
    def __init__(self, outdir: Path, bins: Binaries, opts: Optional[Options] = None, plan: Plan = PLAN,
                 prefix: Optional[str] = None, rundir: Optional[Path] = None):
        self.plan = plan
        self.bins = bins
        self.opts = opts or Options()
        self.outdir = Path(outdir)
        self.topo = Topology(self.outdir)
        self.topo.prefix = prefix or ("hb" + uuid.uuid4().hex[:6])
        self._own_rundir = rundir is None
        self.rundir = Path(rundir) if rundir else Path(tempfile.mkdtemp(prefix="hmip-tb-", dir="/tmp"))
        self.daemons: dict[str, Daemon] = {}
        self.attached_to: dict[str, Optional[str]] = {}  # MN interface -> the AR (or "home") it is patched into
        self.moves: list[Move] = []
        self.pinned: list[str] = []
        self.on_move: list[Callable[[Move], None]] = []  # called after each move (e.g. re-routing a pin)
        self._watches: dict[str, LinkWatch] = {}
        self._switch: Optional[LinkSwitch] = None

    @property
    def attached(self) -> Optional[str]:
        """Where mn0 is patched in (an AR's name, "home"), None if nowhere."""
        return self.attached_to.get(MN_IF)

    @attached.setter
    def attached(self, ar: Optional[str]) -> None:
        self.attached_to[MN_IF] = ar

    def mn_interfaces(self) -> tuple[str, ...]:
        """The MN's access interfaces: mn0, and mn1 with second_mn_interface."""
        return (MN_IF, MN_IF2) if self.opts.second_mn_interface else (MN_IF,)

    # -- context -------------------------------------------------------------

    def __enter__(self) -> "Testbed":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def prefix(self) -> str:
        return self.topo.prefix

    def n(self, name: str) -> Node:
        return self.topo.nodes[name]

    # -- building ------------------------------------------------------------

    def build(self) -> "Testbed":
        """Creates every namespace, link, address and route. On any error
        everything made so far is removed before the error propagates."""
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def _build(self) -> None:
        # Few processes: under the VM's emulation each fork/exec costs tens
        # of milliseconds. One `ip -batch` makes the namespaces, sysctls are
        # written from this process (setns), one batch makes every link
        # directly in its namespaces, then one batch per namespace.
        p = self.plan
        confs = {"cn": {"forwarding": "0", "accept_ra": "0", "accept_dad": "0"},
                 "sw": {"forwarding": "0", "accept_ra": "0", "autoconf": "0", "accept_dad": "0"},
                 "mn": MN_CONF}
        names = ["cn", "sw", *ROUTERS, "mn"]
        for name in names:
            self._node(name)
        self._ip_batch(None, [f"netns add {self.n(x).ns}" for x in names])
        for name in names:
            self._sysctls(self.n(name), confs.get(name, {**ROUTER_CONF, "accept_dad": "0"}))
        ns = {x: self.n(x).ns for x in names}
        links: list[tuple[str, str, str, str]] = [("cn", "c0", "core", "cn0")]
        cmds: dict[str, list[str]] = {x: ["link set lo up"] for x in names}
        cmds["cn"] += [f"addr add {p.cn}/64 dev c0 nodad", "link set c0 up",
                       f"route add default via {p.core_cn_addr}"]
        cmds["core"] += [f"addr add {p.core_cn_addr}/64 dev cn0 nodad", "link set cn0 up"]
        for m in p.maps.values():
            plen = m.rcoa_prefix.split("/")[1]
            links.append(("core", m.name, m.name, UPLINK_IF))
            cmds["core"] += [f"addr add {p.core_addr(m.name)}/{plen} dev {m.name} nodad", f"link set {m.name} up",
                             f"route add {m.domain} via {m.address}"]
            cmds[m.name] += [f"addr add {m.address}/{plen} dev {UPLINK_IF} nodad", f"link set {UPLINK_IF} up",
                             f"route add default via {p.core_addr(m.name)}"]
            for ar in m.ars:
                _pre, map_addr, ar_addr = p.transit(ar)
                links.append((m.name, ar, ar, UPLINK_IF))
                cmds[m.name] += [f"addr add {map_addr}/64 dev {ar} nodad", f"link set {ar} up",
                                 f"route add {p.ars[ar].lcoa_prefix} via {ar_addr}"]
                cmds[ar] += [f"addr add {ar_addr}/64 dev {UPLINK_IF} nodad", f"link set {UPLINK_IF} up",
                             f"route add default via {map_addr}"]
        # Access links: one bridge per AR in sw, the AR's acc0 on it.
        for ar in p.ars.values():
            links.append(("sw", f"{ar.name}p", ar.name, ACCESS_IF))
            cmds["sw"] += [f"link add {ar.bridge} type bridge stp_state 0 forward_delay 0 mcast_snooping 0",
                           f"link set {ar.bridge} up", f"link set {ar.name}p master {ar.bridge}",
                           f"link set {ar.name}p up"]
            cmds[ar.name] += [f"addr add {ar.addr}/64 dev {ACCESS_IF} nodad", f"link set {ACCESS_IF} up"]
        # The home network: HA - core transit link, the home prefix routed
        # to the HA, whose home0 is on the home link brh in sw.
        h = p.home
        links.append(("core", "ha", "ha", UPLINK_IF))
        cmds["core"] += [f"addr add {h.uplink_core}/64 dev ha nodad", "link set ha up",
                         f"route add {h.prefix} via {h.uplink_ha}"]
        cmds["ha"] += [f"addr add {h.uplink_ha}/64 dev {UPLINK_IF} nodad", f"link set {UPLINK_IF} up",
                       f"route add default via {h.uplink_core}"]
        links.append(("sw", "hap", "ha", HOME_IF))
        cmds["sw"] += [f"link add {h.bridge} type bridge stp_state 0 forward_delay 0 mcast_snooping 0",
                       f"link set {h.bridge} up", f"link set hap master {h.bridge}", "link set hap up"]
        cmds["ha"] += [f"addr add {h.ha}/64 dev {HOME_IF} nodad", f"link set {HOME_IF} up"]
        # The MN: mn0 (and mn1) with its peer in sw, on no bridge and down (no carrier) yet.
        for mif in self.mn_interfaces():
            links.append(("mn", mif, "sw", MN_PEERS[mif]))
            cmds["mn"] += [f"link set {mif} up"]
        self._ip_batch(None, [f"link add {ai} netns {ns[a]} type veth peer name {bi} netns {ns[b]}"
                              for a, ai, b, bi in links])
        for name in names:
            self._ip_batch(self.n(name), cmds[name])

    def _node(self, name: str) -> Node:
        """A Node handle on namespace <prefix>-<name> (made by _build's
        batch or by another process), registered with the Topology so that
        close() deletes it."""
        node = Node.__new__(Node)
        node.topo, node.name, node.ns, node.procs = self.topo, name, f"{self.prefix}-{name}", []
        self.topo.nodes[name] = node
        return node

    @staticmethod
    def _sysctls(node: Node, conf: dict[str, str]) -> None:
        """net.ipv6.conf.{all,default}.KEY = VALUE in node's namespace,
        written from this thread after setns (/proc/sys/net follows the
        writer's namespace): no process per sysctl."""
        with netns(node.ns):
            for k, v in conf.items():
                for scope in ("all", "default"):
                    Path(f"/proc/sys/net/ipv6/conf/{scope}/{k}").write_text(v)

    # -- daemons -------------------------------------------------------------

    def ar_maps(self, ar: str) -> list[MapAdv]:
        """The MAP options AR `ar` advertises: its own MAP's, plus MAP1's on
        AR3 when opts.ar3_advertises_map1 (Dist 3: one hop further)."""
        maps = [MapAdv(self.plan.ars[ar].map)]
        if ar == "ar3" and self.opts.ar3_advertises_map1:
            maps.append(MapAdv("map1", dist=3))
        return maps

    def daemon(self, node: str, kind: str, name: str, binary: str) -> Daemon:
        d = Daemon(self.n(node), kind, name, binary, self.bins.hmipctl, self.outdir, self.rundir)
        self.daemons[name] = d
        return d

    def start_ards(self, ars: tuple[str, ...] = ("ar1", "ar2", "ar3"), wait: bool = True) -> dict[str, Daemon]:
        """Starts ard on each AR (config: ard_config) and waits until it
        advertises on acc0 (when hmipctl is known; `wait` False: returns
        at once, e.g. to start mapd meanwhile: the MN's SLAAC waits for the
        RAs anyway)."""
        out = {}
        for ar in ars:
            d = self.daemon(ar, "ard", f"ard-{ar}", self.bins.ard)
            d.start(ard_config(self.plan, ar, d.sock, self.ar_maps(ar), self.opts), wait=wait)
            out[ar] = d
        if self.bins.hmipctl and wait:
            for d in out.values():
                d.wait_show("interfaces", [{"name": ACCESS_IF, "advertising": True}], timeout=60)
        return out

    def served_ars(self, map_name: str) -> tuple[str, ...]:
        """The ARs whose LCoA prefixes MAP `map_name` accepts for new
        bindings (mapd.conf LcoaPrefix): those of its domain, plus AR3 for
        MAP1 when opts.ar3_advertises_map1 (an MN there may choose MAP1);
        the others' prefixes are its NeighbourPrefixes."""
        ars = tuple(self.plan.maps[map_name].ars)
        if map_name == "map1" and self.opts.ar3_advertises_map1:
            ars += ("ar3",)
        return ars

    def start_mapd(self, m: str, extra: str = "", wait: bool = True, secure: str | None = None) -> Daemon:
        """Starts (or restarts: same name, log appended) mapd on MAP `m` with
        mapd_config() (+ `extra` lines; `secure`: the Ike block, secure
        mode). Needs bins.mapd."""
        if not self.bins.mapd:
            raise RuntimeError("no mapd binary (Binaries.mapd)")
        d = self.daemon(m, "mapd", f"mapd-{m}", self.bins.mapd)
        return d.start(mapd_config(self.plan, m, d.sock, extra, self.served_ars(m), secure), wait=wait)

    def start_mapds(self, maps: tuple[str, ...] = ("map1", "map2"),
                    extra: str | dict[str, str] = "") -> dict[str, Daemon]:
        """Starts mapd on each MAP (start_mapd); `extra`: lines for every
        MAP, or {map: lines}."""
        return {m: self.start_mapd(m, extra if isinstance(extra, str) else extra.get(m, "")) for m in maps}

    def start_ha(self, extra: str = "", wait: bool = True, secure: str | None = None,
                 owners: dict[str, str] | None = None, protect_traffic: bool = False) -> Daemon:
        """Starts (or restarts) mapd in the home-agent role on the HA
        (hmip_conf.ha_config + `extra`; `secure`: the Ike block, with
        `owners` {home address: identity} and `protect_traffic`). Needs
        bins.mapd."""
        if not self.bins.mapd:
            raise RuntimeError("no mapd binary (Binaries.mapd)")
        d = self.daemon("ha", "mapd", "mapd-ha", self.bins.mapd)
        return d.start(ha_config(self.plan, d.sock, extra, secure, owners, protect_traffic), wait=wait)

    def start_home_ard(self) -> Daemon:
        """ard on the HA's home0: RAs with the home prefix, so that the MN
        recognises its home link (RFC 6275 §11.5.4)."""
        d = self.daemon("ha", "ard", "ard-home", self.bins.ard)
        d.start(ard_home_config(self.plan, d.sock, self.opts))
        if self.bins.hmipctl:
            d.wait_show("interfaces", [{"name": HOME_IF, "advertising": True}], timeout=60)
        return d

    def start_mnd(self, extra: str = "", wait: bool = True, secure: str | None = None,
                  interfaces: tuple[str, ...] | None = None) -> Daemon:
        """Starts (or restarts) mnd on the MN with mnd_config() (+ `extra`;
        `secure`: the Ike block, secure mode; `interfaces`: its Interface
        statements, default every MN interface, mn_interfaces()). Needs
        bins.mnd."""
        if not self.bins.mnd:
            raise RuntimeError("no mnd binary (Binaries.mnd)")
        d = self.daemon("mn", "mnd", "mnd", self.bins.mnd)
        return d.start(mnd_config(d.sock, extra, secure, interfaces or self.mn_interfaces()), wait=wait)

    def add_host(self, name: str, ar: str, addrs: list[str]) -> Node:
        """An extra host `name` on AR `ar`'s access link, or on the home
        link for "home" (a veth into its bridge in sw), with the global
        addresses `addrs` (no DAD, no SLAAC) and a default route via the AR
        (the HA on the home link): e.g. a node forging Mobility Headers from
        chosen care-of addresses. An address outside the AR's LCoA prefix
        gets a /64 route on the AR and one on its MAP, so that answers to it
        come back. Deleted with the testbed."""
        import ipaddress
        node = self._node(name)
        self._ip_batch(None, [f"netns add {node.ns}"])
        self._sysctls(node, {"forwarding": "0", "accept_ra": "0", "autoconf": "0", "accept_dad": "0"})
        sw = self.n("sw")
        self._ip_batch(None, [f"link add {name}0 netns {node.ns} type veth peer name {name}p netns {sw.ns}"])
        self._ip_batch(sw, [f"link set {name}p master {self.plan.bridge_of(ar)}", f"link set {name}p up"])
        gateway = self.plan.home.ha if ar == "home" else self.plan.ars[ar].addr
        cmds = ["link set lo up", f"link set {name}0 up"]
        cmds += [f"addr add {x}/64 dev {name}0 nodad" for x in addrs]
        cmds += [f"route add default via {gateway}"]
        self._ip_batch(node, cmds)
        if ar == "home":
            return node
        a = self.plan.ars[ar]
        own = ipaddress.ip_network(a.lcoa_prefix)
        for x in addrs:
            if ipaddress.ip_address(x) in own:
                continue
            net = ipaddress.ip_network(f"{x}/64", strict=False)
            self._ip_batch(self.n(ar), [f"route add {net} dev {ACCESS_IF}"])
            self._ip_batch(self.n(a.map), [f"route add {net} via {self.plan.transit(ar)[2]}"])
        return node

    # -- moving the MN -------------------------------------------------------

    def attach(self, ar: str, iface: str = MN_IF) -> Move:
        """Patches MN interface `iface` into `ar`'s access link: the first
        attachment, or again after detach() (a move from nowhere)."""
        return self.move(ar, iface=iface)

    def detach(self, iface: str = MN_IF, timeout: float = 30.0) -> Move:
        """Takes MN interface `iface` off its access link: its peer down and
        off the bridge, and waits until the MN's kernel has reported the
        carrier loss (the first half of a move, without the second). Returns
        the Move (dst None, carrier_up None)."""
        sw = self.link_switch()
        watch = self.link_watch(iface)
        t0 = time.time()
        mv = Move(self.attached_to.get(iface), None, t0, t0, iface=iface)
        sw.detach(MN_PEERS[iface])
        mv.carrier_down = until(lambda: watch.first(False, t0), timeout, 0.001, f"carrier loss on {iface}").time
        mv.t_end = time.time()
        self.attached_to[iface] = None
        self.moves.append(mv)
        return mv

    def link_watch(self, iface: str = MN_IF) -> LinkWatch:
        """The LinkWatch on MN interface `iface` (started on first use,
        stopped by close()): the carrier events the MN's kernel reports."""
        if iface not in self._watches:
            self._watches[iface] = LinkWatch(self.n("mn").ns, iface)
        return self._watches[iface]

    def link_switch(self) -> LinkSwitch:
        """The LinkSwitch (one rtnetlink socket in sw, opened on first use,
        closed by close()) that moves do their link changes through."""
        if self._switch is None:
            self._switch = LinkSwitch(self.n("sw").ns)
        return self._switch

    def move(self, ar: str, dwell: float = 0.0, timeout: float = 30.0, iface: str = MN_IF) -> Move:
        """Moves the MN's link (`iface`: mn0 unless said) to AR `ar`'s access
        link: its peer (mnp for mn0) down (carrier loss on it) and off its
        bridge (only if it was attached); once the MN's kernel has reported
        the loss (RTM_NEWLINK without IFF_LOWER_UP: otherwise a quick
        down/up can reach it as no change at all), `dwell` more seconds
        off-link, then onto the new bridge and up (carrier back, reported
        again). Each change is one rtnetlink request on the testbed's
        long-lived socket in sw (link_switch()): no process is forked, so
        the emulated switch stays short and steady under load. Runs the
        on_move hooks; returns the Move with all times."""
        sw = self.link_switch()
        br = self.plan.bridge_of(ar)
        peer = MN_PEERS[iface]
        watch = self.link_watch(iface)
        t0 = time.time()
        src = self.attached_to.get(iface)
        mv = Move(src, ar, t0, t0, iface=iface)
        if src is not None:
            sw.detach(peer)
            mv.carrier_down = until(lambda: watch.first(False, t0), timeout, 0.001, f"carrier loss on {iface}").time
        if dwell > 0:
            time.sleep(dwell)
        t1 = time.time()
        sw.attach(peer, br)
        mv.carrier_up = until(lambda: watch.first(True, t1), timeout, 0.001, f"carrier on {iface}").time
        mv.t_end = time.time()
        self.attached_to[iface] = ar
        self.moves.append(mv)
        for hook in self.on_move:
            hook(mv)
        return mv

    @staticmethod
    def _ip_batch(node: Optional[Node], cmds: list[str]) -> None:
        """One `ip [-n NS] -batch -` for cmds (None: the caller's namespace)."""
        args = ["ip"] + (["-n", node.ns] if node is not None else []) + ["-batch", "-"]
        r = subprocess.run(args, input="\n".join(cmds) + "\n", text=True, capture_output=True, timeout=60)
        if r.returncode != 0:
            where = node.ns if node is not None else "the root namespace"
            raise RuntimeError(f"ip -batch in {where} failed: {r.stderr.strip()}")

    # -- helpers for scenarios -----------------------------------------------

    def lcoas(self, ar: Optional[str] = None, iface: str = MN_IF) -> list[str]:
        """The MN's global addresses on `iface` (mn0 unless said; in `ar`'s
        LCoA prefix if given), tentative or optimistic ones included."""
        import ipaddress
        net = None
        if ar:
            net = ipaddress.ip_network(self.plan.home.prefix if ar == "home" else self.plan.ars[ar].lcoa_prefix)
        return [a["local"] for a in self.n("mn").addrs(iface)
                if a.get("scope") == "global" and (net is None or ipaddress.ip_address(a["local"]) in net)]

    def wait_lcoa(self, ar: str, timeout: float = 60.0, iface: str = MN_IF) -> str:
        """The MN's SLAAC address from `ar`'s prefix on `iface` (mn0 unless
        said), once it has one."""
        return until(lambda: (self.lcoas(ar, iface) or [None])[0], timeout, what=f"an LCoA from {ar} on {iface}")

    def pin_mn_address(self, addr: str) -> None:
        """Test scaffolding without mapd/mnd: gives the MN a fixed address on
        mn0 (in MAP1's domain) and keeps it routed to whichever of AR1/AR2 the
        MN is attached to, by rewriting MAP1's host route on each move (what
        mapd's tunnel does for real). For exercising the probe/gap machinery
        only; moves to AR3 leave it unreachable."""
        mn = self.n("mn")
        mn.addr_add(MN_IF, f"{addr}/128")
        for ar in self.plan.maps["map1"].ars:
            self.n(ar).run("ip", "-6", "route", "add", f"{addr}/128", "dev", ACCESS_IF)
        self.pinned.append(addr)

        def reroute(mv: Move) -> None:
            if mv.dst in self.plan.maps["map1"].ars:
                via = self.plan.transit(mv.dst)[2]
                self._ip_batch(self.n("map1"), [f"route replace {addr}/128 via {via}"])
        self.on_move.append(reroute)
        if self.attached:
            reroute(Move(None, self.attached, 0, 0))

    def netem(self, node: str, dev: str, delay_ms: float = 0, loss_pct: float = 0, jitter_ms: float = 0) -> None:
        """netem on node:dev (root qdisc, replaced). Needs sch_netem (the VM
        kernel): raises RuntimeError with tc's message otherwise."""
        args = ["tc", "qdisc", "replace", "dev", dev, "root", "netem"]
        if delay_ms:
            args += ["delay", f"{delay_ms}ms"] + ([f"{jitter_ms}ms"] if jitter_ms else [])
        if loss_pct:
            args += ["loss", f"{loss_pct}%"]
        self.n(node).run(*args)

    def ping(self, src: str, dst: str, count: int = 1, timeout: float = 5, source: Optional[str] = None) -> bool:
        """True when `count` pings from node `src` to `dst` are all answered
        (from address `source` if given: ping -I)."""
        opt = ["-I", source] if source else []
        out = self.n(src).run("ping", "-6", "-c", str(count), "-W", str(int(max(1, timeout))), *opt, dst,
                              check=False, timeout=timeout * count + 10)
        return " 0% packet loss" in out

    def rtt_ms(self, src: str, dst: str, count: int = 10, source: Optional[str] = None,
               interval: float = 0.2) -> list[float]:
        """The round-trip times (ms, as ping prints them) of `count` echoes
        from node `src` to `dst` (from address `source` if given: ping -I),
        one per answered echo: empty when none came back."""
        opt = ["-I", source] if source else []
        out = self.n(src).run("ping", "-6", "-n", "-c", str(count), "-i", str(interval), "-W", "2", *opt, dst,
                              check=False, timeout=count * (interval + 2) + 10)
        return [float(x) for x in re.findall(r"time=([0-9.]+) ms", out)]

    def state(self) -> dict:
        """What the CLI keeps between invocations (JSON)."""
        return {"prefix": self.prefix, "outdir": str(self.outdir), "rundir": str(self.rundir),
                "bins": asdict(self.bins), "opts": asdict(self.opts), "attached": self.attached,
                "attached_to": self.attached_to,
                "nodes": list(self.topo.nodes), "pinned": self.pinned,
                "daemons": [{"name": d.name, "kind": d.kind, "node": d.node.name, "binary": d.binary,
                             "pid": d.pid} for d in self.daemons.values()],
                "moves": [asdict(m) for m in self.moves]}

    @classmethod
    def from_state(cls, st: dict) -> "Testbed":
        """Re-attaches to a testbed another process built (CLI)."""
        tb = cls(Path(st["outdir"]), Binaries(**st["bins"]), Options(**st["opts"]), prefix=st["prefix"],
                 rundir=Path(st["rundir"]))
        tb._own_rundir = True
        for name in st["nodes"]:
            tb._node(name)
        tb.attached_to = dict(st.get("attached_to", {MN_IF: st.get("attached")}))
        tb.pinned = st.get("pinned", [])
        tb.moves = [Move(**m) for m in st.get("moves", [])]
        for d in st.get("daemons", []):
            tb.daemons[d["name"]] = Daemon.attach(tb.n(d["node"]), d["kind"], d["name"], d["binary"],
                                                  tb.bins.hmipctl, tb.outdir, tb.rundir, d["pid"])
        return tb

    # -- teardown ------------------------------------------------------------

    def close(self) -> None:
        """Stops every daemon (SIGTERM, then SIGKILL), deletes every
        namespace of this testbed's prefix (also ones a crashed run left)."""
        for d in list(self.daemons.values()):
            try:
                d.stop(timeout=5)
            except Exception:  # noqa: BLE001 (teardown goes on whatever one daemon does)
                pass
        self.daemons.clear()
        for w in self._watches.values():
            w.stop()
        self._watches.clear()
        if self._switch is not None:
            self._switch.close()
            self._switch = None
        self.topo.close()
        for ns in sh("ip", "netns", "list", check=False).split("\n"):
            name = ns.split(" ")[0]
            if name.startswith(self.prefix + "-"):
                sh("ip", "netns", "del", name, check=False)
        if self._own_rundir:
            shutil.rmtree(self.rundir, ignore_errors=True)


def missing_kernel_features() -> list[str]:
    """What the running kernel lacks for the full testbed: ip6tnl, MIPv6
    (route2 XFRM states), netem; probed in a scratch namespace."""
    script = r"""
m=""
ip link set lo up
ip link add hk0 type ip6tnl mode ip6ip6 local 2001:db8::1 remote 2001:db8::2 2>/dev/null || m="$m ip6tnl"
ip xfrm state add src 2001:db8::1 dst 2001:db8::2 proto route2 mode ro coa 2001:db8::3 2>/dev/null || m="$m mip6"
tc qdisc add dev lo root netem delay 1ms 2>/dev/null || m="$m netem"
echo $m
"""
    r = subprocess.run(["unshare", "--net", "sh", "-c", script], text=True, capture_output=True, timeout=30)
    if r.returncode != 0:
        return ["netns"]
    return r.stdout.split()
