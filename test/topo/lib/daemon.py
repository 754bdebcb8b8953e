"""One hmip daemon (ard, mapd or mnd) in a namespace, for the testbed.

The same shape as ardproc.Ard (which ard's own scenarios keep using), but
for any of the three daemons: its configuration is written to
OUTDIR/<name>.conf, its log (-f -d: standard error, not the journal) goes to
OUTDIR/<name>.log, its control socket is RUNDIR/<name>.sock (a short path:
the 107-byte limit), and `hmipctl -s SOCK -j KIND ...` talks to it.

A Daemon can also be re-attached by pid (the testbed CLI starts daemons in
one process and stops them from another): `Daemon.attach(...)`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Optional

from topo import Node, until, wait_json


class DaemonError(RuntimeError):
    pass


class Daemon:
    """kind: "ard", "mapd" or "mnd" (the hmipctl target); name: unique in
    the testbed (file names); binary: the daemon's path; hmipctl: the
    hmipctl path (None: no control-socket checks)."""

    def __init__(self, node: Node, kind: str, name: str, binary: str, hmipctl: Optional[str],
                 outdir: Path, rundir: Path):
        self.node = node
        self.kind = kind
        self.name = name
        self.binary = binary
        self.hmipctl_bin = hmipctl
        self.conf = Path(outdir) / f"{name}.conf"
        self.log = Path(outdir) / f"{name}.log"
        self.sock = str(Path(rundir) / f"{name}.sock")
        self.proc: Optional[subprocess.Popen] = None
        self.pid: Optional[int] = None

    # -- process -------------------------------------------------------------

    def command(self) -> list[str]:
        """The command line: `BINARY -f -c CONF -d` (ard's option set, which
        mapd and mnd copy)."""
        return [self.binary, "-f", "-c", str(self.conf), "-d"]

    def start(self, config: str, wait: bool = True, timeout: float = 60.0) -> "Daemon":
        """Writes `config`, starts the daemon in its namespace, and (wait)
        polls `hmipctl KIND ping` until it answers. Raises DaemonError
        with the log's tail if the daemon exits first."""
        self.conf.write_text(config)
        with open(self.log, "ab") as f:
            f.write(f"==== {time.strftime('%H:%M:%S')} starting {self.kind} in {self.node.ns}\n".encode())
        self.proc = self.node.popen(*self.command(), log=self.log, env={"JOURNAL_STREAM": None,
                                                                         "NOTIFY_SOCKET": None})
        self.pid = self.proc.pid
        if wait and self.hmipctl_bin:
            until(lambda: self.alive_or_raise() and self.ping(), timeout,
                  what=f"{self.name} answering on {self.sock}")
        return self

    @classmethod
    def attach(cls, node: Node, kind: str, name: str, binary: str, hmipctl: Optional[str], outdir: Path,
               rundir: Path, pid: int) -> "Daemon":
        """A handle on a daemon another process started (by pid)."""
        d = cls(node, kind, name, binary, hmipctl, outdir, rundir)
        d.pid = pid
        return d

    def running(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        if self.pid is None:
            return False
        try:
            # Only our binary: a recycled pid must not be signalled.
            exe = os.readlink(f"/proc/{self.pid}/exe")
        except OSError:
            return False
        return os.path.basename(exe).startswith(os.path.basename(self.binary))

    def alive_or_raise(self) -> bool:
        if not self.running():
            rc = self.proc.returncode if self.proc is not None else "?"
            raise DaemonError(f"{self.name} ({self.kind}) exited with {rc}:\n{self.log_text()[-3000:]}")
        return True

    def send_signal(self, sig: int) -> None:
        if self.pid is not None and self.running():
            os.kill(self.pid, sig)

    def stop(self, timeout: float = 10.0, sig: int = signal.SIGTERM) -> Optional[int]:
        """Sends `sig` (SIGTERM: a clean stop) and waits; SIGKILL after
        `timeout`. Returns the exit status when this process started it."""
        if not self.running():
            return self.proc.returncode if self.proc is not None else None
        assert self.pid is not None
        os.kill(self.pid, sig)
        if self.proc is not None:
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                return self.proc.wait(timeout=5)
        deadline = time.monotonic() + timeout
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.running():
            os.kill(self.pid, signal.SIGKILL)
        return None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_log(self, pattern: str, timeout: float = 5.0, start: int = 0) -> re.Match:
        rx = re.compile(pattern)
        return until(lambda: rx.search(self.log_text(), start), timeout, what=f"/{pattern}/ in {self.log.name}")

    # -- hmipctl -------------------------------------------------------------

    def hmipctl(self, *args: str, json_out: bool = True, check: bool = True) -> subprocess.CompletedProcess:
        if not self.hmipctl_bin:
            raise DaemonError("no hmipctl binary given")
        cmd = [self.hmipctl_bin, "-s", self.sock] + (["-j"] if json_out else []) + [self.kind, *args]
        r = subprocess.run(cmd, text=True, capture_output=True, timeout=15)
        if check and r.returncode != 0:
            raise DaemonError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stdout}{r.stderr}")
        return r

    def ping(self) -> bool:
        return self.hmipctl("ping", check=False).returncode == 0

    def request(self, *args: str) -> Any:
        """`hmipctl -j KIND ARGS`: the response's data (raises unless ok)."""
        resp = json.loads(self.hmipctl(*args).stdout)
        if not resp.get("ok"):
            raise DaemonError(f"hmipctl {self.kind} {' '.join(args)}: {resp}")
        return resp.get("data")

    def show(self, what: str) -> Any:
        return self.request("show", what)

    def wait_show(self, what: str, expected: Any, timeout: float = 10.0) -> Any:
        return wait_json(lambda: self.show(what), expected, timeout,
                         what=f"{self.name}: hmipctl -j {self.kind} show {what}")
