"""Records a namespace's link events (rtnetlink RTM_NEWLINK) with host-clock
time stamps, from a thread of the test process: what a daemon watching the
interface (mnd's LinkWatcher) sees, and when. Used to measure how long after
a move the MN's kernel reports carrier loss and return on mn0."""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from dataclasses import dataclass
from typing import Optional

from topo import netns

_RTMGRP_LINK = 1
_RTM_NEWLINK = 16
_IFLA_IFNAME = 3
_IFLA_OPERSTATE = 16
_IFF_UP = 0x1
_IFF_LOWER_UP = 0x10000


@dataclass(frozen=True)
class LinkEvent:
    time: float        # time.time() when the message was read
    ifname: str
    up: bool           # IFF_UP (administrative)
    lower_up: bool     # IFF_LOWER_UP (carrier)
    operstate: int     # IF_OPER_* (6 = up, 2 = down, 7 = dormant)


def parse_links(data: bytes) -> list[tuple[str, int, int]]:
    """(ifname, ifi_flags, operstate) of each RTM_NEWLINK in a netlink
    datagram; other messages are skipped, truncated ones end the parse."""
    out = []
    pos = 0
    while pos + 16 <= len(data):
        length, mtype = struct.unpack_from("=IH", data, pos)
        if length < 16 or pos + length > len(data):
            break
        if mtype == _RTM_NEWLINK and length >= 32:
            flags = struct.unpack_from("=I", data, pos + 16 + 8)[0]
            name, oper = "", -1
            a = pos + 32
            while a + 4 <= pos + length:
                alen, atype = struct.unpack_from("=HH", data, a)
                if alen < 4:
                    break
                payload = data[a + 4:a + alen]
                if atype == _IFLA_IFNAME:
                    name = payload.split(b"\0", 1)[0].decode(errors="replace")
                elif atype == _IFLA_OPERSTATE and payload:
                    oper = payload[0]
                a += (alen + 3) & ~3
            out.append((name, flags, oper))
        pos += (length + 3) & ~3
    return out


class LinkWatch:
    """Collects LinkEvents of `ifname` in namespace `ns` until stop()."""

    def __init__(self, ns: str, ifname: str):
        self.ifname = ifname
        self.events: list[LinkEvent] = []
        self._lock = threading.Lock()
        with netns(ns):
            self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self._sock.bind((0, _RTMGRP_LINK))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"linkwatch-{ifname}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            r, _, _ = select.select([self._sock], [], [], 0.1)
            if not r:
                continue
            try:
                data = self._sock.recv(1 << 16)
            except OSError:
                continue  # ENOBUFS: events lost; the next ones still count
            now = time.time()
            for name, flags, oper in parse_links(data):
                if name != self.ifname:
                    continue
                ev = LinkEvent(now, name, bool(flags & _IFF_UP), bool(flags & _IFF_LOWER_UP), oper)
                with self._lock:
                    self.events.append(ev)

    def snapshot(self) -> list[LinkEvent]:
        with self._lock:
            return list(self.events)

    def first(self, lower_up: bool, after: float) -> Optional[LinkEvent]:
        """The first event later than `after` whose carrier is `lower_up`."""
        return next((e for e in self.snapshot() if e.time > after and e.lower_up == lower_up), None)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()
