"""strongSwan's charon in testbed namespaces (IKEv2 between the MN and a MAP,
RFC 5380 §12), with certificates made by strongSwan's `pki`.

    pki = Pki(tb.outdir / "pki")
    map_cert = pki.issue("map1", "map1.hmip.test")    # (key, cert) PEM paths
    other = pki.issue("mn1-other", "mn1@hmip.test", ca="other")   # untrusted CA
    ch = start_charon(tb, "map1")      # registered: stopped with the testbed
    ch.install_ca(pki.ca_cert())       # -> x509ca/ca.pem
    ch.install_cert(map_cert)          # -> x509/map1.pem, private/map1.key
    ch.load(SWANCTL_CONF)              # swanctl --load-all --file DIR/swanctl.conf
    mn.initiate("hmip-mn")             # VICI initiate, with charon's log of it
    ch.wait_sa("hmip-map", "ESTABLISHED")

The recipe of test/kernel/lib/ike.sh: each charon runs in its node's
network namespace and in a private mount namespace with a tmpfs on /run
(`unshare --mount`: charon's pid file is /run/charon.pid, so two charons on
one host would clash), with its own strongswan.conf (STRONGSWAN_CONF:
OUTDIR/<node>-strongswan.conf, also read by swanctl), its own swanctl
directory (SWANCTL_DIR: OUTDIR/<node>-swanctl/ with x509ca/, x509/,
private/), its log in OUTDIR/<node>-charon.log (filelog, a line at once;
the conftest prints the tail of every *.log of a failed test), its
standard output/error in OUTDIR/<node>-charon.out (empty unless charon
fails before its filelog opens), and its VICI socket at RUNDIR/<node>.vici:
a short /tmp path (107-byte limit of socket paths; the VM's 9p share, where
OUTDIR is, cannot hold sockets). swanctl takes --uri after the command.

Loading goes through swanctl (it parses swanctl.conf and the PEM files);
polling, initiating and listing go through a small VICI client in this
process (`Vici`): under the VM's emulation each swanctl process costs one
to two seconds, a VICI request milliseconds.

strongSwan 5.9.8 details that matter here: charon needs the kdf plugin
besides openssl (without it: "KDF_PRF with PRF_HMAC_SHA2_256 not
supported", key derivation fails); swanctl.conf wants newlines between
settings, not ';'; routes and virtual IPs stay with hmip (install_routes =
no, install_virtual_ip = no); a charon stopped by SIGTERM sends a DELETE
for each of its IKE SAs, so its peers drop theirs (SIGKILL leaves them
stale).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Optional, Sequence

from daemon import Daemon, DaemonError
from topo import Node, until

if TYPE_CHECKING:
    from hmip_topo import Testbed

CHARON_BIN = "/usr/lib/ipsec/charon"
SWANCTL_BIN = "swanctl"
PKI_BIN = "pki"
PLUGIN_DIR = Path("/usr/lib/ipsec/plugins")
# test/kernel/lib/ike.sh's list (kdf: 5.9.8 derives IKE keys through it).
PLUGINS = ("random", "nonce", "openssl", "kdf", "pem", "pkcs1", "pkcs8", "x509", "pubkey", "revocation",
           "constraints", "kernel-netlink", "socket-default", "vici")
# EAP methods (libcharon-extra-plugins), loaded when installed.
OPTIONAL_PLUGINS = ("eap-md5", "eap-identity")
# What swanctl and pki need to read PEM keys and certificates.
TOOL_PLUGINS = ("random", "nonce", "openssl", "pem", "pkcs1", "pkcs8", "x509", "pubkey")


class CharonError(DaemonError):
    pass


def available_plugins(names: Sequence[str]) -> list[str]:
    """The plugins of `names` that are installed (PLUGIN_DIR/libstrongswan-NAME.so)."""
    return [n for n in names if (PLUGIN_DIR / f"libstrongswan-{n}.so").exists()]


# -- certificates ------------------------------------------------------------

class Issued(NamedTuple):
    """A key and its certificate (PEM files); unpacks as (key, cert)."""
    key: Path
    cert: Path


@dataclass
class _Entry:
    san: str
    ca: str


class Pki:
    """Certificates made with strongSwan's `pki` in `outdir`: a CA ("ca",
    the one the tests trust) and a second, untrusted one ("other"), each
    made on first use (CA.key, CA.pem), and per name a key and a
    certificate NAME.key, NAME.pem (subject "C=XX, O=hmip test, CN=NAME",
    subjectAltName `san`: an FQDN gives a dNSName, user@host an
    rfc822Name; either is the identity charon matches `id =` against).
    Idempotent in one directory: issuing a name again (from another Pki on
    the same directory too) returns the existing files; the same name with
    another SAN or CA is an error. key_type: "ecdsa" (P-256, as
    test/kernel's cases) or "ed25519"; both load with the openssl plugin."""

    CAS = ("ca", "other")

    def __init__(self, outdir: Path, key_type: str = "ecdsa", lifetime_days: int = 30):
        if key_type not in ("ecdsa", "ed25519"):
            raise ValueError(f"key_type {key_type!r}: ecdsa or ed25519")
        self.dir = Path(outdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.key_type = key_type
        self.lifetime = lifetime_days
        # pki loads every plugin strongswan.conf names and complains about
        # the missing ones: a quiet configuration of its own.
        self.conf = self.dir / "pki-strongswan.conf"
        if not self.conf.exists():
            self.conf.write_text(f"pki {{\n  load = {' '.join(TOOL_PLUGINS)}\n}}\n")
        self._index = self.dir / "issued.json"

    def _pki(self, *args: str, stdout: Path) -> None:
        with open(stdout, "wb") as out:
            r = subprocess.run([PKI_BIN, *args], stdout=out, stderr=subprocess.PIPE, timeout=60,
                               env={**os.environ, "STRONGSWAN_CONF": str(self.conf)})
        if r.returncode != 0:
            stdout.unlink(missing_ok=True)
            raise RuntimeError(f"pki {' '.join(args)} failed ({r.returncode}): {r.stderr.decode(errors='replace')}")

    def _gen(self, key: Path) -> None:
        size = ["--size", "256"] if self.key_type == "ecdsa" else []
        self._pki("--gen", "--type", self.key_type, *size, "--outform", "pem", stdout=key)

    def ca_cert(self, ca: str = "ca") -> Path:
        """CA's certificate (made with its key on first use)."""
        if ca not in self.CAS:
            raise ValueError(f"CA {ca!r}: one of {self.CAS}")
        key, cert = self.dir / f"{ca}.key", self.dir / f"{ca}.pem"
        if not cert.exists():
            self._gen(key)
            self._pki("--self", "--ca", "--lifetime", str(self.lifetime), "--in", str(key),
                      "--dn", f"C=XX, O=hmip test, CN=hmip {ca}", "--outform", "pem", stdout=cert)
        return cert

    def _issued(self) -> dict[str, _Entry]:
        if not self._index.exists():
            return {}
        return {k: _Entry(**v) for k, v in json.loads(self._index.read_text()).items()}

    def issue(self, name: str, san: str, ca: str = "ca") -> Issued:
        """NAME.key and NAME.pem, the certificate signed by `ca` ("ca" or
        "other") with subjectAltName `san`."""
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in self.CAS:
            raise ValueError(f"certificate name {name!r}: letters, digits, _.- and not a CA's name")
        issued = self._issued()
        key, cert = self.dir / f"{name}.key", self.dir / f"{name}.pem"
        prev = issued.get(name)
        if prev is not None and key.exists() and cert.exists():
            if (prev.san, prev.ca) != (san, ca):
                raise ValueError(f"{name} was issued with SAN {prev.san!r} by {prev.ca!r}, not {san!r} by {ca!r}")
            return Issued(key, cert)
        ca_pem = self.ca_cert(ca)
        self._gen(key)
        self._pki("--issue", "--in", str(key), "--type", "priv", "--cacert", str(ca_pem),
                  "--cakey", str(self.dir / f"{ca}.key"), "--lifetime", str(self.lifetime),
                  "--dn", f"C=XX, O=hmip test, CN={name}", "--san", san, "--outform", "pem", stdout=cert)
        issued[name] = _Entry(san, ca)
        self._index.write_text(json.dumps({k: vars(v) for k, v in issued.items()}, indent=1) + "\n")
        return Issued(key, cert)


# -- VICI --------------------------------------------------------------------

class ViciError(RuntimeError):
    pass


class Vici:
    """A minimal client of charon's VICI protocol (strongSwan's
    src/libcharon/plugins/vici/README.md), for polling from the test
    process: under the VM's emulation every swanctl process costs one to
    two seconds, a request on the socket milliseconds. Messages are dicts
    of str (key-value), list of str (lists) and dict (sections); values
    come back decoded as str. One command at a time per connection."""

    CMD_REQUEST, CMD_RESPONSE, CMD_UNKNOWN = 0, 1, 2
    EVENT_REGISTER, EVENT_UNREGISTER, EVENT_CONFIRM, EVENT_UNKNOWN, EVENT = 3, 4, 5, 6, 7
    SECTION_START, SECTION_END, KEY_VALUE, LIST_START, LIST_ITEM, LIST_END = 1, 2, 3, 4, 5, 6

    def __init__(self, path: str, timeout: float = 30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise

    def __enter__(self) -> "Vici":
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    # -- encoding --

    @classmethod
    def encode(cls, msg: dict[str, Any]) -> bytes:
        out = bytearray()

        def name(n: str) -> None:
            b = n.encode()
            out.append(len(b))
            out.extend(b)

        def value(v: Any) -> None:
            b = v if isinstance(v, bytes) else str(v).encode()
            out.extend(struct.pack("!H", len(b)))
            out.extend(b)

        def section(d: dict[str, Any]) -> None:
            for k, v in d.items():
                if isinstance(v, dict):
                    out.append(cls.SECTION_START)
                    name(k)
                    section(v)
                    out.append(cls.SECTION_END)
                elif isinstance(v, (list, tuple)):
                    out.append(cls.LIST_START)
                    name(k)
                    for item in v:
                        out.append(cls.LIST_ITEM)
                        value(item)
                    out.append(cls.LIST_END)
                else:
                    out.append(cls.KEY_VALUE)
                    name(k)
                    value(v)
        section(msg)
        return bytes(out)

    @classmethod
    def decode(cls, data: bytes) -> dict[str, Any]:
        root: dict[str, Any] = {}
        stack: list[dict[str, Any]] = [root]
        lst: Optional[list[str]] = None
        pos = 0

        def name() -> str:
            nonlocal pos
            n = data[pos]
            pos += 1
            pos += n
            return data[pos - n:pos].decode(errors="replace")

        def value() -> str:
            nonlocal pos
            (n,) = struct.unpack_from("!H", data, pos)
            pos += 2 + n
            return data[pos - n:pos].decode(errors="replace")
        while pos < len(data):
            t = data[pos]
            pos += 1
            if t == cls.SECTION_START:
                k = name()
                stack[-1][k] = {}
                stack.append(stack[-1][k])
            elif t == cls.SECTION_END:
                stack.pop()
            elif t == cls.KEY_VALUE:
                k = name()
                stack[-1][k] = value()
            elif t == cls.LIST_START:
                k = name()
                lst = stack[-1][k] = []
            elif t == cls.LIST_ITEM:
                assert lst is not None
                lst.append(value())
            elif t == cls.LIST_END:
                lst = None
            else:
                raise ViciError(f"unknown VICI element type {t}")
        return root

    # -- packets --

    def _send(self, ptype: int, name: Optional[str] = None, msg: Optional[dict[str, Any]] = None) -> None:
        body = bytes([ptype])
        if name is not None:
            body += bytes([len(name)]) + name.encode()
        body += self.encode(msg or {})
        self.sock.sendall(struct.pack("!I", len(body)) + body)

    def _recv_exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ViciError("VICI connection closed")
            buf.extend(chunk)
        return bytes(buf)

    def _recv(self) -> tuple[int, Optional[str], dict[str, Any]]:
        (n,) = struct.unpack("!I", self._recv_exact(4))
        data = self._recv_exact(n)
        ptype, pos, name = data[0], 1, None
        if ptype == self.EVENT:
            ln = data[1]
            name, pos = data[2:2 + ln].decode(), 2 + ln
        return ptype, name, self.decode(data[pos:])

    def request(self, cmd: str, msg: Optional[dict[str, Any]] = None) -> dict[str, Any]:
        """One command; its response message."""
        self._send(self.CMD_REQUEST, cmd, msg)
        ptype, _n, resp = self._recv()
        if ptype == self.CMD_UNKNOWN:
            raise ViciError(f"VICI command {cmd!r} unknown")
        if ptype != self.CMD_RESPONSE:
            raise ViciError(f"VICI {cmd}: unexpected packet type {ptype}")
        return resp

    def streamed(self, cmd: str, event: str, msg: Optional[dict[str, Any]] = None
                 ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """A command that streams `event`s before its response (list-sas:
        list-sa; initiate: control-log): (events, response)."""
        self._send(self.EVENT_REGISTER, event)
        ptype, _n, _m = self._recv()
        if ptype != self.EVENT_CONFIRM:
            raise ViciError(f"VICI event {event!r} not confirmed ({ptype})")
        self._send(self.CMD_REQUEST, cmd, msg)
        events: list[dict[str, Any]] = []
        while True:
            ptype, name, m = self._recv()
            if ptype == self.EVENT and name == event:
                events.append(m)
            elif ptype == self.CMD_RESPONSE:
                resp = m
                break
            elif ptype == self.CMD_UNKNOWN:
                raise ViciError(f"VICI command {cmd!r} unknown")
        self._send(self.EVENT_UNREGISTER, event)
        while self._recv()[0] != self.EVENT_CONFIRM:
            pass
        return events, resp


@dataclass
class Initiated:
    """The outcome of Charon.initiate: VICI's success flag, its errmsg,
    and charon's control-log lines for the request ("[IKE] ...")."""
    ok: bool
    errmsg: str
    log: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.log)


# -- charon ------------------------------------------------------------------

class Charon(Daemon):
    """charon in `node`'s namespace. The Daemon interface (stop(timeout,
    sig) with the SIGKILL fallback, running, send_signal, log_text,
    wait_log) with charon's files: OUTDIR/<name>-strongswan.conf (as
    Daemon.conf), OUTDIR/<name>-charon.log (Daemon.log), OUTDIR/<name>-swanctl/,
    RUNDIR/<name>.vici; `name` defaults to the node's name. The retransmit
    settings are short for tests (1 s, x1.4, 3 retransmits: an unanswered
    exchange fails after about 7 s); `extra` goes verbatim into the
    charon { } section (newline-separated settings)."""

    def __init__(self, node: Node, outdir: Path, rundir: Path, name: Optional[str] = None,
                 retransmit_timeout: float = 1.0, retransmit_base: float = 1.4, retransmit_tries: int = 3,
                 plugins: Sequence[str] = PLUGINS, optional_plugins: Sequence[str] = OPTIONAL_PLUGINS,
                 extra: str = "", binary: str = CHARON_BIN):
        name = name or node.name
        super().__init__(node, "charon", f"{name}-charon", binary, None, outdir, rundir)
        self.node_name = name
        self.conf = Path(outdir) / f"{name}-strongswan.conf"
        self.out = Path(outdir) / f"{name}-charon.out"
        self.swanctl_dir = Path(outdir) / f"{name}-swanctl"
        self.sock = str(Path(rundir) / f"{name}.vici")
        if len(self.sock.encode()) > 107:
            raise ValueError(f"VICI socket path {self.sock} is longer than 107 bytes")
        self.retransmit_timeout = retransmit_timeout
        self.retransmit_base = retransmit_base
        self.retransmit_tries = retransmit_tries
        self.plugins = [*plugins, *available_plugins(optional_plugins)]
        self.extra = extra
        self.loaded: list[Path] = []  # swanctl files load() sent, re-sent by restart()
        for sub in ("x509ca", "x509", "private"):
            (self.swanctl_dir / sub).mkdir(parents=True, exist_ok=True)

    # -- files ---------------------------------------------------------------

    @property
    def vici_path(self) -> str:
        return self.sock

    @property
    def vici_uri(self) -> str:
        return f"unix://{self.sock}"

    def strongswan_conf(self) -> str:
        """The strongswan.conf this charon (and swanctl for it) reads."""
        extra = "".join(f"  {line}\n" for line in self.extra.strip().splitlines())
        return f"""charon {{
  load_modular = no
  load = {' '.join(self.plugins)}
  # MIPv6 keeps its own routes and addresses (RFC 4877).
  install_routes = no
  install_virtual_ip = no
  retransmit_timeout = {self.retransmit_timeout}
  retransmit_base = {self.retransmit_base}
  retransmit_tries = {self.retransmit_tries}
  plugins {{
    vici {{
      socket = {self.vici_uri}
    }}
  }}
  filelog {{
    test {{
      path = {self.log}
      time_format = %T
      # Each line at once: tests read the log right after an exchange.
      flush_line = yes
      append = yes
      ike_name = yes
      default = 1
      ike = 2
      cfg = 2
      knl = 2
      chd = 2
    }}
  }}
{extra}}}
swanctl {{
  load = {' '.join(TOOL_PLUGINS)}
}}
"""

    def install_ca(self, cert: Path) -> str:
        """Copies a CA certificate into x509ca/ (loaded by load());
        returns its file name for `cacerts =`."""
        dst = self.swanctl_dir / "x509ca" / Path(cert).name
        dst.write_bytes(Path(cert).read_bytes())
        return dst.name

    def install_cert(self, issued: Issued) -> str:
        """Copies a certificate into x509/ and its key into private/;
        returns the certificate's file name for `certs =`."""
        (self.swanctl_dir / "private" / issued.key.name).write_bytes(issued.key.read_bytes())
        dst = self.swanctl_dir / "x509" / issued.cert.name
        dst.write_bytes(issued.cert.read_bytes())
        return dst.name

    # -- process -------------------------------------------------------------

    def command(self) -> list[str]:
        """unshare: a private mount namespace with its own tmpfs /run (charon's
        pid file), then exec charon (same pid throughout: signals reach it)."""
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                f"mount -t tmpfs none /run && exec {self.binary}"]

    def start(self, config: Optional[str] = None, wait: bool = True, timeout: float = 60.0) -> "Charon":
        """Writes strongswan.conf (`config` instead, if given), starts charon
        and (wait) waits until VICI answers."""
        self.conf.write_text(config if config is not None else self.strongswan_conf())
        stamp = f"==== {time.strftime('%H:%M:%S')} starting charon in {self.node.ns}\n".encode()
        for f in (self.log, self.out):
            with open(f, "ab") as fh:
                fh.write(stamp)
        self.proc = self.node.popen(*self.command(), log=self.out, env={"STRONGSWAN_CONF": str(self.conf)})
        self.pid = self.proc.pid
        if wait:
            self.wait_ready(timeout)
        return self

    def alive_or_raise(self) -> bool:
        if not self.running():
            rc = self.proc.returncode if self.proc is not None else "?"
            out = self.out.read_text(errors="replace") if self.out.exists() else ""
            raise CharonError(f"charon in {self.node.name} exited with {rc}:\n{out[-2000:]}\n"
                              f"--- {self.log.name}:\n{self.log_text()[-2000:]}")
        return True

    def answers(self) -> bool:
        """True when charon answers VICI's `stats` (what `swanctl --stats`
        sends) on its socket."""
        try:
            self.vici("stats")
            return True
        except (OSError, ViciError):
            return False

    def wait_ready(self, timeout: float = 60.0) -> "Charon":
        """Polls until charon answers on its VICI socket (answers(): a
        request from this process, no swanctl process per poll); raises
        CharonError (with its output) if it exits first."""
        until(lambda: self.alive_or_raise() and self.answers(), timeout, 0.1,
              what=f"charon in {self.node.name} answering on {self.sock}")
        return self

    def stop(self, timeout: float = 10.0, sig: int = signal.SIGTERM) -> Optional[int]:
        """SIGTERM (or `sig`) and wait, SIGKILL after `timeout`; removes a
        socket a killed charon left behind."""
        rc = super().stop(timeout, sig)
        if not self.running():
            Path(self.sock).unlink(missing_ok=True)
        return rc

    def restart(self, reload: bool = True, timeout: float = 60.0) -> "Charon":
        """stop() then start() with the same files; charon keeps nothing, so
        (reload) the swanctl files load() sent are loaded again."""
        self.stop()
        self.start(config=self.conf.read_text(), timeout=timeout)
        if reload:
            for f in self.loaded:
                self.swanctl("--load-all", "--file", str(f))
        return self

    # -- swanctl -------------------------------------------------------------

    def swanctl(self, command: str, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        """`swanctl COMMAND --uri URI ARGS` in the node's namespace (with this
        charon's strongswan.conf and swanctl directory)."""
        cmd = ["ip", "netns", "exec", self.node.ns, SWANCTL_BIN, command, "--uri", self.vici_uri, *args]
        env = {**os.environ, "STRONGSWAN_CONF": str(self.conf), "SWANCTL_DIR": str(self.swanctl_dir)}
        r = subprocess.run(cmd, text=True, capture_output=True, timeout=timeout, env=env)
        if check and r.returncode != 0:
            raise CharonError(f"swanctl {command} {' '.join(args)} ({self.node.name}): exit {r.returncode}:\n"
                              f"{r.stdout}{r.stderr}")
        return r

    def load(self, conf: str, name: str = "swanctl.conf") -> subprocess.CompletedProcess:
        """Writes `conf` to SWANCTL_DIR/name and `swanctl --load-all --file`
        it (the credentials of x509ca/, x509/, private/ with it)."""
        path = self.swanctl_dir / name
        path.write_text(conf if conf.endswith("\n") else conf + "\n")
        r = self.swanctl("--load-all", "--file", str(path))
        if path not in self.loaded:
            self.loaded.append(path)
        return r

    # -- VICI ----------------------------------------------------------------

    def vici(self, cmd: str, msg: Optional[dict[str, Any]] = None, timeout: float = 30.0) -> dict[str, Any]:
        """One VICI command from this process (Vici.request); its response."""
        with Vici(self.sock, timeout) as v:
            return v.request(cmd, msg)

    def initiate(self, ike: str, child: Optional[str] = None, timeout: float = 30.0,
                 check: bool = True) -> Initiated:
        """VICI `initiate` (as `swanctl --initiate --ike IKE [--child CHILD]
        --timeout T`): waits for the outcome, with charon's control log of
        it. check: raise CharonError unless it succeeded."""
        msg: dict[str, Any] = {"ike": ike, "timeout": str(int(timeout * 1000))}
        if child:
            msg["child"] = child
        with Vici(self.sock, timeout + 10) as v:
            events, resp = v.streamed("initiate", "control-log", msg)
        res = Initiated(resp.get("success") == "yes", resp.get("errmsg", ""),
                        [f"[{e.get('group', '?')}] {e.get('msg', '')}" for e in events])
        if check and not res.ok:
            raise CharonError(f"initiate {ike} on {self.node.name} failed: {res.errmsg}\n{res.text}")
        return res

    def terminate(self, ike: str, force: bool = False, timeout: float = 10.0) -> dict[str, Any]:
        """VICI `terminate` of IKE SAs of connection `ike` (force: without
        waiting for the peer's answer); the response."""
        msg = {"ike": ike, "timeout": str(int(timeout * 1000))}
        if force:
            msg["force"] = "yes"
        with Vici(self.sock, timeout + 10) as v:
            return v.streamed("terminate", "control-log", msg)[1]

    def list_all_sas(self) -> list[tuple[str, dict[str, Any]]]:
        """Every IKE SA as (connection name, fields), from VICI `list-sas`:
        the fields `swanctl --list-sas` shows (uniqueid, state, local-host,
        local-id, remote-host, remote-id, initiator, initiator-spi,
        child-sas, ...), all values str."""
        with Vici(self.sock) as v:
            events, _resp = v.streamed("list-sas", "list-sa")
        return [(name, sa) for e in events for name, sa in e.items() if isinstance(sa, dict)]

    def list_sas(self) -> dict[str, dict[str, Any]]:
        """Connection name -> its IKE SA (the last listed, when a connection
        has several: list_all_sas() has them all)."""
        return dict(self.list_all_sas())

    def list_conns(self) -> list[str]:
        """The names of the loaded connections (VICI `list-conns`)."""
        with Vici(self.sock) as v:
            events, _resp = v.streamed("list-conns", "list-conn")
        return [name for e in events for name in e]

    def wait_sa(self, conn: str, state: str = "ESTABLISHED", timeout: float = 30.0) -> dict[str, Any]:
        """Polls until an IKE SA of connection `conn` is in `state`; returns it."""
        def find():
            return next((sa for n, sa in self.list_all_sas() if n == conn and sa.get("state") == state), None)
        sa = until(find, timeout, 0.05, what=f"IKE SA {conn} {state} on {self.node.name}")
        return sa  # type: ignore[return-value]


def initiator_conn(name: str, local: str, remote: str, cert: str, local_id: str, remote_id: str,
                   children: Optional[dict[str, tuple[str, str]]] = None, vips: Optional[str] = None,
                   childless: bool = False) -> str:
    """swanctl.conf text of one initiator connection `name` from `local` to
    `remote`, authenticated by `cert` (a file install_cert() placed) as
    `local_id`, the peer as `remote_id`; `children` {name: (local_ts,
    remote_ts)} in transport_proxy mode (MH selectors, as mnd's), `vips`
    asked for, or `childless` (RFC 6023). Tests use it for the other nodes
    they play (a second mobile node, a forger with a valid certificate)."""
    kids = "".join(f"""      {n} {{
        mode = transport_proxy
        local_ts = {lts}
        remote_ts = {rts}
      }}
""" for n, (lts, rts) in (children or {}).items())
    extra = (f"    vips = {vips}\n" if vips else "") + ("    childless = force\n" if childless else "")
    kids = f"    children {{\n{kids}    }}\n" if kids else ""
    return f"""connections {{
  {name} {{
    version = 2
    local_addrs = {local}
    remote_addrs = {remote}
{extra}    mobike = no
    local {{
      auth = pubkey
      certs = {cert}
      id = {local_id}
    }}
    remote {{
      auth = pubkey
      id = {remote_id}
    }}
{kids}  }}
}}
"""


def start_charon(tb: "Testbed", node: str, wait: bool = True, **kwargs: Any) -> Charon:
    """A Charon on testbed node `node` (files in tb.outdir, socket in
    tb.rundir), started (wait: and answering; else call wait_ready() later,
    e.g. after starting the next one: charon takes seconds to start in the
    emulated VM), and registered in tb.daemons so that Testbed.close() stops
    it with the other daemons, also after a failed test. kwargs: those of
    Charon (name, retransmit_*, extra, ...)."""
    ch = Charon(tb.n(node), tb.outdir, tb.rundir, **kwargs)
    tb.daemons[ch.name] = ch
    return ch.start(wait=wait)
