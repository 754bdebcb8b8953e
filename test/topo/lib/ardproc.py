"""ard and hmipctl for the scenario tests: one ard per router namespace,
its configuration written by the test, its control socket in a per-test
temporary directory, its log (-f -d, standard error) and configuration kept
in the test's output directory."""

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


class HmipctlError(RuntimeError):
    pass


class Ard:
    def __init__(self, node: Node, name: str, ard_bin: str, hmipctl_bin: str, outdir: Path, rundir: Path):
        self.node = node
        self.name = name
        self.ard_bin = ard_bin
        self.hmipctl_bin = hmipctl_bin
        self.conf = Path(outdir) / f"{name}.conf"
        self.log = Path(outdir) / f"{name}.log"
        # A UNIX socket path has at most 107 bytes: a short temporary directory.
        self.sock = str(Path(rundir) / f"{name}.sock")
        self.proc: Optional[subprocess.Popen] = None

    # -- configuration and process -----------------------------------------

    def write_config(self, text: str) -> Path:
        self.conf.write_text(text)
        return self.conf

    def start(self, config: Optional[str] = None, debug: bool = True, wait: bool = True) -> "Ard":
        if config is not None:
            self.write_config(config)
        with open(self.log, "ab") as f:
            f.write(f"==== {time.strftime('%H:%M:%S')} starting ard in {self.node.ns}\n".encode())
        args = [self.ard_bin, "-f", "-c", str(self.conf)] + (["-d"] if debug else [])
        # Standard error, not the journal, whatever the test runner's environment.
        self.proc = self.node.popen(*args, log=self.log, env={"JOURNAL_STREAM": None, "NOTIFY_SOCKET": None})
        if wait:
            until(lambda: self.alive_or_raise() and self.ping(), 10, what=f"{self.name} answering on {self.sock}")
        return self

    def alive_or_raise(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_text()[-3000:]}")
        return True

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then the exit status."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_log(self, pattern: str, timeout: float = 5.0, start: int = 0) -> re.Match:
        """Polls the log (from character `start`) for a regular expression."""
        rx = re.compile(pattern)
        return until(lambda: rx.search(self.log_text(), start), timeout, what=f"/{pattern}/ in {self.log.name}")

    # -- hmipctl -------------------------------------------------------------

    def hmipctl(self, *args: str, json_out: bool = True, check: bool = True) -> subprocess.CompletedProcess:
        # The control socket is a path: reachable from the host's namespace.
        cmd = [self.hmipctl_bin, "-s", self.sock] + (["-j"] if json_out else []) + ["ard", *args]
        r = subprocess.run(cmd, text=True, capture_output=True, timeout=15)
        if check and r.returncode != 0:
            raise HmipctlError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stdout}{r.stderr}")
        return r

    def request(self, *args: str) -> Any:
        """`hmipctl -j ard ARGS`: the response's data (fails unless ok)."""
        r = self.hmipctl(*args)
        resp = json.loads(r.stdout)
        if not resp.get("ok"):
            raise HmipctlError(f"hmipctl {' '.join(args)}: {resp}")
        return resp.get("data")

    def ping(self) -> bool:
        r = self.hmipctl("ping", check=False)
        return r.returncode == 0

    def show(self, what: str) -> Any:
        return self.request("show", what)

    def maps(self) -> dict[str, dict]:
        return {m["address"]: m for m in self.show("maps")}

    def counters(self) -> dict:
        return self.show("counters")

    def iface(self, name: str) -> dict:
        return next(i for i in self.show("interfaces") if i["name"] == name)

    def wait_show(self, what: str, expected: Any, timeout: float = 10.0) -> Any:
        return wait_json(lambda: self.show(what), expected, timeout, what=f"{self.name}: hmipctl -j ard show {what}")

    def wait_advertising(self, *ifaces: str, timeout: float = 10.0) -> None:
        self.wait_show("interfaces", [{"name": i, "advertising": True} for i in ifaces], timeout)


def log_times(text: str, pattern: str) -> list[float]:
    """Epoch times of the log lines (ard's "HH:MM:SS.mmm level: message",
    local time) matching a regular expression: comparable with capture
    time stamps (same host clock)."""
    rx = re.compile(pattern)
    out = []
    now = time.time()
    for line in text.splitlines():
        m = re.match(r"(\d\d):(\d\d):(\d\d)\.(\d\d\d) ", line)
        if not m or not rx.search(line):
            continue
        h, mi, s, ms = (int(x) for x in m.groups())
        # The most recent such wall-clock time (a test never spans a day).
        lt = time.localtime(now)
        t = time.mktime((lt.tm_year, lt.tm_mon, lt.tm_mday, h, mi, s, 0, 0, -1)) + ms / 1000
        if t > now + 60:
            t -= 86400
        out.append(t)
    return out
