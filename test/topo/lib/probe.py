"""A steady UDP probe stream with sequence numbers, for handover gaps.

    probe.py recv --port P --out FILE        (in the receiving namespace)
    probe.py send --dst ADDR --port P --interval S --duration S

Each datagram carries (magic, sequence number, send time). The receiver
writes one line per datagram to FILE: `seq sent recv src dst ifindex`
(times: host clock, time.time(); recv is the kernel's receive time stamp,
SO_TIMESTAMPNS, so a receiver starved of CPU, as under the VM's emulation,
does not shift arrivals; dst and ifindex from IPV6_PKTINFO, so the path a
packet took, e.g. a tunnel device, is visible). The sender keeps an
absolute schedule (no drift), counts send errors (no route during a move)
and goes on. Both stop cleanly on SIGTERM/SIGINT.

ProbeStream starts both in testbed namespaces and reads the arrivals back.
Run with /usr/bin/python3; no third-party modules.
"""

from __future__ import annotations

import argparse
import signal
import socket
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

MAGIC = 0x484D4950  # "HMIP"
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # = SCM_TIMESTAMPNS (asm-generic/socket.h)
_FMT = "!IId"       # magic, seq, send time
_PAD = 64           # bytes per datagram (payload), room for the header and padding


@dataclass(frozen=True)
class Arrival:
    seq: int
    sent: float
    recv: float
    src: str = ""
    dst: str = ""
    ifindex: int = 0


def parse_arrivals(text: str) -> list[Arrival]:
    """The receiver's file as Arrivals (malformed lines are skipped)."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) != 6:
            continue
        try:
            out.append(Arrival(int(f[0]), float(f[1]), float(f[2]), f[3], f[4], int(f[5])))
        except ValueError:
            continue
    return out


class _Stop:
    def __init__(self) -> None:
        self.flag = False
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._set)

    def _set(self, *_: object) -> None:
        self.flag = True


def recv_main(port: int, out: Path) -> int:
    stop = _Stop()
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    s.bind(("::", port))
    s.settimeout(0.2)
    with open(out, "w", buffering=1) as f:  # line-buffered: readable while running
        print(f"listening on [::]:{port}", flush=True)
        while not stop.flag:
            try:
                data, anc, _flags, addr = s.recvmsg(2048, socket.CMSG_SPACE(20) + socket.CMSG_SPACE(16))
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            now = time.time()
            if len(data) < struct.calcsize(_FMT):
                continue
            magic, seq, sent = struct.unpack_from(_FMT, data)
            if magic != MAGIC:
                continue
            dst, ifindex = "-", 0
            for level, typ, val in anc:
                if level == socket.IPPROTO_IPV6 and typ == socket.IPV6_PKTINFO and len(val) >= 20:
                    dst = socket.inet_ntop(socket.AF_INET6, val[:16])
                    ifindex = struct.unpack("=I", val[16:20])[0]
                elif level == socket.SOL_SOCKET and typ == _SO_TIMESTAMPNS and len(val) >= 16:
                    sec, nsec = struct.unpack("=qq", val[:16])
                    now = sec + nsec * 1e-9
            f.write(f"{seq} {sent:.6f} {now:.6f} {addr[0]} {dst} {ifindex}\n")
    return 0


def send_main(dst: str, port: int, interval: float, duration: float, src: Optional[str], first_seq: int = 0) -> int:
    stop = _Stop()
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    if src:
        s.bind((src, 0))
    pad = b"\0" * (_PAD - struct.calcsize(_FMT))
    start = time.time()
    seq = first_seq
    errors = 0
    while not stop.flag and (duration <= 0 or time.time() - start < duration):
        due = start + (seq - first_seq) * interval
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        try:
            s.sendto(struct.pack(_FMT, MAGIC, seq, time.time()) + pad, (dst, port))
        except OSError:
            errors += 1  # no route / unreachable while the MN moves
        seq += 1
    print(f"sent {seq - first_seq} datagrams, {errors} send errors", flush=True)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("recv")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("send")
    s.add_argument("--dst", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--interval", type=float, default=0.01)
    s.add_argument("--duration", type=float, default=0, help="seconds (0: until SIGTERM)")
    s.add_argument("--src")
    s.add_argument("--first-seq", type=int, default=0, help="the first sequence number (a second stream "
                   "continuing a first one's numbering)")
    a = ap.parse_args(argv)
    if a.cmd == "recv":
        return recv_main(a.port, a.out)
    return send_main(a.dst, a.port, a.interval, a.duration, a.src, a.first_seq)


class ProbeStream:
    """A sender in one namespace and a receiver in another (topo.Node).
    start() returns once the receiver listens; stop() ends both and
    returns the arrivals."""

    def __init__(self, sender, receiver, dst: str, outdir: Path, name: str = "probe", port: int = 5555,
                 interval: float = 0.01, src: Optional[str] = None, first_seq: int = 0):
        self.sender, self.receiver = sender, receiver
        self.dst, self.port, self.interval, self.src = dst, port, interval, src
        self.first_seq = first_seq
        self.data = Path(outdir) / f"{name}.arrivals"
        self.recv_log = Path(outdir) / f"{name}-recv.log"
        self.send_log = Path(outdir) / f"{name}-send.log"
        self._recv = None
        self._send = None

    def start(self, timeout: float = 60.0) -> "ProbeStream":
        from topo import until
        me = str(Path(__file__).resolve())
        self.recv_log.write_text("")
        self._recv = self.receiver.popen(sys.executable, me, "recv", "--port", str(self.port),
                                         "--out", str(self.data), log=self.recv_log)
        until(lambda: "listening" in self.recv_log.read_text(), timeout, what="the probe receiver")
        args = [sys.executable, me, "send", "--dst", self.dst, "--port", str(self.port),
                "--interval", str(self.interval)]
        if self.src:
            args += ["--src", self.src]
        if self.first_seq:
            args += ["--first-seq", str(self.first_seq)]
        self._send = self.sender.popen(*args, log=self.send_log)
        return self

    def arrivals(self) -> list[Arrival]:
        return parse_arrivals(self.data.read_text()) if self.data.exists() else []

    def stop(self) -> list[Arrival]:
        for p in (self._send, self._recv):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except Exception:  # noqa: BLE001 (a hung child is killed, whatever went wrong)
                    p.kill()
        return self.arrivals()


if __name__ == "__main__":
    sys.exit(main())
