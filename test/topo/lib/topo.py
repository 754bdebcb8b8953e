"""Network-namespace topologies for hmip's scenario tests (FRR topotest style).

Each test builds its topology from Node and Link objects; everything it
creates (namespaces, processes, captures) is torn down at exit, also on
failure. Assertions poll (`until`) instead of sleeping.

Run with Debian's /usr/bin/python3 (python3-scapy, python3-pytest), as root.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterable, Optional


def sh(*args: str, check: bool = True, capture: bool = True, timeout: float = 30) -> str:
    """Runs a command (no shell); returns stdout."""
    r = subprocess.run(list(args), check=False, text=True, timeout=timeout,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({r.returncode}): {r.stderr}")
    return r.stdout or ""


def until(pred: Callable[[], object], timeout: float = 10.0, interval: float = 0.05, what: str = "") -> object:
    """Polls pred() until it returns something truthy; raises on timeout with
    the last value seen (the FRR topotest rule: check, don't sleep)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or pred}: last {last!r}")
        time.sleep(interval)


_CLONE_NEWNET = 0x40000000


class netns:
    """Context manager: the calling thread enters network namespace `name`
    (ip netns) and returns to its own on exit. Sockets made inside stay in
    that namespace."""

    def __init__(self, name: str):
        self.name = name

    def __enter__(self) -> "netns":
        libc = ctypes.CDLL(None, use_errno=True)
        self._setns = libc.setns
        self._home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        fd = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if self._setns(fd, _CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, f"setns {self.name}: {os.strerror(e)}")
        finally:
            os.close(fd)
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._setns(self._home, _CLONE_NEWNET) != 0:
                e = ctypes.get_errno()
                raise OSError(e, f"setns back: {os.strerror(e)}")
        finally:
            os.close(self._home)


class Node:
    """A network namespace with lo up and IPv6 defaults suitable for tests."""

    def __init__(self, topo: "Topology", name: str):
        self.topo = topo
        self.name = name
        self.ns = f"{topo.prefix}-{name}"
        self.procs: list[subprocess.Popen] = []
        sh("ip", "netns", "add", self.ns)
        self.run("ip", "link", "set", "lo", "up")
        self.sysctl("net.ipv6.conf.all.accept_dad", "0")
        self.sysctl("net.ipv6.conf.default.accept_dad", "0")

    def run(self, *args: str, check: bool = True, timeout: float = 30) -> str:
        return sh("ip", "netns", "exec", self.ns, *args, check=check, timeout=timeout)

    def sysctl(self, key: str, value: str) -> None:
        self.run("sysctl", "-qw", f"{key}={value}")

    def popen(self, *args: str, log: Optional[Path] = None, env: Optional[dict] = None) -> subprocess.Popen:
        """Starts a long-running process in the namespace; stopped at teardown.
        `ip netns exec` execs the command, so the Popen's pid is the
        command's (signals reach it directly). Entries of env set to None
        are removed from the environment."""
        out = open(log, "ab") if log else subprocess.DEVNULL
        environ = {**os.environ, **(env or {})}
        environ = {k: v for k, v in environ.items() if v is not None}
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, *args], stdout=out, stderr=subprocess.STDOUT,
                             env=environ, start_new_session=True)
        if log:
            out.close()  # the child has its own descriptor
        self.procs.append(p)
        return p

    def addrs(self, dev: str) -> list[dict]:
        """`ip -j -6 addr show dev DEV` as a list of addr_info dicts."""
        data = json.loads(self.run("ip", "-j", "-6", "addr", "show", "dev", dev) or "[]")
        return [a for link in data for a in link.get("addr_info", [])]

    def routes(self, *args: str) -> list[dict]:
        return json.loads(self.run("ip", "-j", "-6", "route", "show", *args) or "[]")

    def link_local(self, dev: str) -> Optional[str]:
        for a in self.addrs(dev):
            if a.get("scope") == "link" and "tentative" not in a:
                return a["local"]
        return None

    def wait_link_local(self, dev: str, timeout: float = 10.0) -> str:
        """The usable (DAD over) link-local address of dev, once there is one."""
        return str(until(lambda: self.link_local(dev), timeout, what=f"a link-local address on {self.name}:{dev}"))

    def mac(self, dev: str) -> str:
        data = json.loads(self.run("ip", "-j", "link", "show", "dev", dev))
        return data[0]["address"]

    def read_sysctl(self, key: str) -> str:
        return self.run("sysctl", "-n", key).strip()

    def addr_add(self, dev: str, cidr: str) -> None:
        """Adds an address without DAD (usable at once)."""
        self.run("ip", "-6", "addr", "add", cidr, "dev", dev, "nodad")

    def packet_socket(self, dev: str) -> socket.socket:
        """An AF_PACKET socket bound to dev in this namespace, made from the
        test process itself (no interpreter start per packet): send frames
        with sock.send(bytes(scapy_frame))."""
        with netns(self.ns):
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
            s.bind((dev, 0))
        return s

    def snmp6(self) -> dict[str, int]:
        """/proc/net/snmp6 of the namespace (Icmp6InCsumErrors, ...)."""
        out = self.run("cat", "/proc/net/snmp6")
        return {k: int(v) for k, v in (line.split() for line in out.splitlines() if line.strip())}

    def stop_all(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                    p.wait(timeout=5)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        self.procs.clear()


class Topology:
    """Owns namespaces and links; use as a context manager."""

    def __init__(self, outdir: Path):
        self.prefix = "ht" + uuid.uuid4().hex[:6]
        self.nodes: dict[str, Node] = {}
        self.outdir = Path(outdir)
        self.outdir.mkdir(parents=True, exist_ok=True)
        self._captures: list[subprocess.Popen] = []

    def __enter__(self) -> "Topology":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def node(self, name: str, conf: Optional[dict[str, str]] = None) -> Node:
        """A namespace; `conf` sets net.ipv6.conf.{all,default}.KEY = VALUE
        before any link exists, so that links moved in later get them too
        (e.g. {"forwarding": "1"} for a router, {"router_solicitations": "0"}
        for a host whose kernel must not solicit)."""
        n = Node(self, name)
        for k, v in (conf or {}).items():
            n.sysctl(f"net.ipv6.conf.all.{k}", v)
            n.sysctl(f"net.ipv6.conf.default.{k}", v)
        self.nodes[name] = n
        return n

    def link(self, a: Node, a_if: str, b: Node, b_if: str) -> None:
        """A veth pair a:a_if <-> b:b_if, both ends up."""
        tmp_a = f"v{uuid.uuid4().hex[:8]}"
        tmp_b = f"v{uuid.uuid4().hex[:8]}"
        sh("ip", "link", "add", tmp_a, "type", "veth", "peer", "name", tmp_b)
        sh("ip", "link", "set", tmp_a, "netns", a.ns, "name", a_if)
        sh("ip", "link", "set", tmp_b, "netns", b.ns, "name", b_if)
        a.run("ip", "link", "set", a_if, "up")
        b.run("ip", "link", "set", b_if, "up")

    def bridge(self, host: Node, name: str, members: Iterable[tuple[Node, str]]) -> None:
        """A bridge `name` inside `host` joining several nodes (a shared link)."""
        host.run("ip", "link", "add", name, "type", "bridge")
        host.run("ip", "link", "set", name, "up")
        for i, (n, ifname) in enumerate(members):
            port = f"{name}p{i}"
            self.link(host, port, n, ifname)
            host.run("ip", "link", "set", port, "master", name)

    def capture(self, node: Node, dev: str, name: str, bpf: str = "icmp6") -> Path:
        """Starts tcpdump on node:dev writing OUTDIR/name.pcap (packet-buffered)."""
        return self.sniff(node, dev, name, bpf).path

    def sniff(self, node: Node, dev: str, name: str, bpf: str = "icmp6") -> "Capture":
        """Starts tcpdump on node:dev writing OUTDIR/name.pcap, every packet
        written as it arrives (-U --immediate-mode), nanosecond time stamps
        from the host clock (comparable with time.time()); the Capture reads
        the packets so far while tcpdump runs."""
        path = self.outdir / f"{name}.pcap"
        p = subprocess.Popen(["ip", "netns", "exec", node.ns, "tcpdump", "-U", "--immediate-mode", "-n", "-Z", "root",
                              "--time-stamp-precision=nano", "-i", dev, "-w", str(path), bpf],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        # tcpdump says "listening on" once the capture is open.
        assert p.stderr is not None
        line = p.stderr.readline().decode(errors="replace")
        if "listening" not in line:
            raise RuntimeError(f"tcpdump did not start: {line}")
        self._captures.append(p)
        return Capture(path, p)

    def close(self) -> None:
        for n in self.nodes.values():
            n.stop_all()
        for p in self._captures:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGINT)
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
        for n in self.nodes.values():
            sh("ip", "netns", "del", n.ns, check=False)
        self.nodes.clear()


class Capture:
    """A running tcpdump's pcap file, read incrementally: packets() returns
    every complete record written so far as (time stamp, scapy Ether), so a
    test can poll it (until) while the capture goes on."""

    def __init__(self, path: Path, proc: Optional[subprocess.Popen] = None):
        self.path = Path(path)
        self.proc = proc
        self._offset = 0
        self._hdr: Optional[tuple[str, float]] = None  # (byte order, time stamp unit)
        self._packets: list[tuple[float, Any]] = []

    def __fspath__(self) -> str:
        return str(self.path)

    def _read(self) -> None:
        from scapy.layers.l2 import Ether  # scapy is slow to import: only when needed
        importlib.import_module("scapy.layers.inet6")  # binds IPv6 to Ether: dissected from the first read on
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return
        pos = 0
        if self._hdr is None:
            if len(data) < 24:
                return
            magic = data[:4]
            kinds = {b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
                     b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9)}
            if magic not in kinds:
                raise RuntimeError(f"{self.path}: not a pcap file")
            self._hdr = kinds[magic]
            linktype = struct.unpack(self._hdr[0] + "I", data[20:24])[0]
            if linktype != 1:
                raise RuntimeError(f"{self.path}: link type {linktype}, expected Ethernet")
            pos = 24
        order, unit = self._hdr
        while len(data) - pos >= 16:
            sec, frac, incl, _orig = struct.unpack(order + "IIII", data[pos:pos + 16])
            if len(data) - pos - 16 < incl:
                break  # tcpdump is still writing this record
            raw = data[pos + 16:pos + 16 + incl]
            self._packets.append((sec + frac * unit, Ether(raw)))
            pos += 16 + incl
        self._offset += pos

    def packets(self) -> list[tuple[float, Any]]:
        self._read()
        return list(self._packets)

    def wait(self, pred: Callable[[list[tuple[float, Any]]], object], timeout: float = 10.0, what: str = "") -> Any:
        """Polls pred(packets so far) until truthy; returns its value."""
        return until(lambda: pred(self.packets()), timeout, what=what or f"packets in {self.path.name}")

    def snapshot(self, name: Optional[str] = None) -> Path:
        """A copy of the complete records so far (for tshark while tcpdump
        still writes the original)."""
        self._read()
        dst = self.path.with_name(name or f"{self.path.stem}.snap.pcap")
        with open(self.path, "rb") as f:
            dst.write_bytes(f.read(self._offset))
        return dst

    def stop(self) -> None:
        """Stops tcpdump (flushing the file) and reads what is left."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self._read()


def tshark_json(pcap: Path, display_filter: str = "") -> list[dict]:
    """Dissects a pcap with tshark (-T json), with a private HOME."""
    args = ["tshark", "-r", str(pcap), "-T", "json", "--no-duplicate-keys"]
    if display_filter:
        args += ["-Y", display_filter]
    with tempfile.TemporaryDirectory(prefix="tshark-home-") as home:  # no user profile
        r = subprocess.run(args, text=True, capture_output=True, env={**os.environ, "HOME": home}, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"tshark failed: {r.stderr}")
    return json.loads(r.stdout or "[]")


def json_cmp(actual: Any, expected: Any, path: str = "$") -> Optional[str]:
    """Subset match (FRR topotest's json_cmp): None when `expected` is found
    in `actual`, else a description of the first difference. A dict matches
    when each of its keys matches in `actual` (other keys are ignored); a
    list matches when each of its items matches a distinct item of `actual`
    (in any order); a callable is a predicate on the actual value; anything
    else must be equal."""
    if callable(expected):
        return None if expected(actual) else f"{path}: {actual!r} fails {getattr(expected, '__name__', 'predicate')}"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{path}: expected an object, got {actual!r}"
        for k, v in expected.items():
            if k not in actual:
                return f"{path}: no key {k!r} (keys {sorted(actual)})"
            d = json_cmp(actual[k], v, f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{path}: expected a list, got {actual!r}"
        used: set[int] = set()
        for n, e in enumerate(expected):
            found = next((i for i, a in enumerate(actual) if i not in used and json_cmp(a, e) is None), None)
            if found is None:
                diffs = [json_cmp(a, e, f"{path}[{i}]") for i, a in enumerate(actual) if i not in used]
                return f"{path}: no item matches expected[{n}] {e!r}" + (f" (closest: {diffs[0]})" if diffs else "")
            used.add(found)
        return None
    return None if actual == expected else f"{path}: expected {expected!r}, got {actual!r}"


def wait_json(get: Callable[[], Any], expected: Any, timeout: float = 10.0, what: str = "") -> Any:
    """Polls get() until json_cmp(get(), expected) matches; returns the
    matching value, or fails with the last difference."""
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        diff = json_cmp(value, expected)
        if diff is None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or 'a JSON match'}: {diff}\n"
                                 f"last value: {json.dumps(value, indent=1)[:4000]}")
        time.sleep(0.05)
