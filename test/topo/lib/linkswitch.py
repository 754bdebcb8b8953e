"""The testbed's emulated layer-2 handover over one long-lived rtnetlink
socket: no `ip` process per link change.

Forking `ip` for each move took 140-2800 ms per move on a loaded host under
the VM's emulation (issue 13 item 18), so the switch itself dominated the
measured handover gap. A LinkSwitch opens one NETLINK_ROUTE socket inside
the switch namespace when it is made and sends each link change as one
RTM_NEWLINK request (master and IFF_UP in the same message: the kernel
applies IFLA_MASTER before the flags), waiting for the kernel's ack.

    sw = LinkSwitch("hbXXXX-sw")
    sw.detach("mnp")            # carrier loss on the peer: down, off its bridge
    sw.attach("mnp", "br3")     # onto br3, up
    sw.close()

Pure standard library (socket, struct); run with /usr/bin/python3.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from typing import Optional

from topo import netns

_NETLINK_ROUTE = 0
_RTM_NEWLINK = 16
_NLM_F_REQUEST = 0x1
_NLM_F_ACK = 0x4
_NLMSG_ERROR = 0x2
_IFLA_MASTER = 10
_IFF_UP = 0x1
_NLMSG_HDR = struct.Struct("=IHHII")    # len, type, flags, seq, pid
_IFINFOMSG = struct.Struct("=BxHiII")   # family, type, index, flags, change
_RTATTR = struct.Struct("=HH")


class LinkSwitchError(RuntimeError):
    pass


class LinkSwitch:
    """One rtnetlink socket in namespace `ns` (a name under /run/netns, or
    None: the caller's namespace), kept open until close()."""

    def __init__(self, ns: Optional[str]):
        self.ns = ns
        self._seq = 0
        self._index: dict[str, int] = {}
        if ns is None:
            self._sock = self._open()
        else:
            with netns(ns):  # the socket stays in `ns` after the thread leaves it
                self._sock = self._open()

    @staticmethod
    def _open() -> socket.socket:
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, _NETLINK_ROUTE)
        s.bind((0, 0))
        s.settimeout(10.0)
        return s

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> "LinkSwitch":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def ifindex(self, name: str) -> int:
        """The index of link `name` in the namespace (cached: the testbed
        never renames or re-creates the switch's links)."""
        if name not in self._index:
            if self.ns is None:
                self._index[name] = socket.if_nametoindex(name)
            else:
                with netns(self.ns):
                    self._index[name] = socket.if_nametoindex(name)
        return self._index[name]

    def detach(self, dev: str) -> None:
        """`ip link set DEV down nomaster`, as one request."""
        self.set_link(dev, up=False, master=0)

    def attach(self, dev: str, bridge: str) -> None:
        """`ip link set DEV master BRIDGE up`, as one request."""
        self.set_link(dev, up=True, master=self.ifindex(bridge))

    def set_link(self, dev: str, up: bool, master: int) -> None:
        """One RTM_NEWLINK for `dev`: IFF_UP set or cleared, IFLA_MASTER =
        `master` (0: no master). Raises LinkSwitchError with the kernel's
        error."""
        self._seq += 1
        attr = _RTATTR.pack(_RTATTR.size + 4, _IFLA_MASTER) + struct.pack("=I", master)
        body = _IFINFOMSG.pack(socket.AF_UNSPEC, 0, self.ifindex(dev), _IFF_UP if up else 0, _IFF_UP) + attr
        msg = _NLMSG_HDR.pack(_NLMSG_HDR.size + len(body), _RTM_NEWLINK, _NLM_F_REQUEST | _NLM_F_ACK,
                              self._seq, 0) + body
        self._sock.send(msg)
        self._wait_ack(f"link set {dev} {'up' if up else 'down'} master {master}")

    def _wait_ack(self, what: str) -> None:
        while True:
            try:
                data = self._sock.recv(65536)
            except socket.timeout as e:
                raise LinkSwitchError(f"{what} in {self.ns}: no answer from the kernel") from e
            pos = 0
            while pos + _NLMSG_HDR.size <= len(data):
                length, mtype, _flags, seq, _pid = _NLMSG_HDR.unpack_from(data, pos)
                if length < _NLMSG_HDR.size:
                    break
                if mtype == _NLMSG_ERROR and seq == self._seq:
                    (err,) = struct.unpack_from("=i", data, pos + _NLMSG_HDR.size)
                    if err != 0:
                        code = -err
                        raise LinkSwitchError(f"{what} in {self.ns}: {os.strerror(code)} "
                                              f"({errno.errorcode.get(code, code)})")
                    return
                pos += (length + 3) & ~3
