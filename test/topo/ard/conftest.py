"""Fixtures of ard's scenario tests (FRR topotest style, see ../README.md).

Options: --ard and --hmipctl (the binaries under test), --outdir (where
each test keeps its configurations, logs and pcaps: OUTDIR/<test>/).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))

from ardproc import Ard  # noqa: E402
from topo import Topology  # noqa: E402


def pytest_addoption(parser):
    parser.addoption("--ard", default=os.environ.get("HMIP_ARD"), help="path of the ard binary")
    parser.addoption("--hmipctl", default=os.environ.get("HMIP_HMIPCTL"), help="path of the hmipctl binary")
    parser.addoption("--outdir", default=os.environ.get("HMIP_TOPO_OUT"),
                     help="per-test logs and pcaps go to OUTDIR/<test>/ (default: BUILD/test/topo/out next to --ard)")


def _binary(config, opt: str) -> str:
    path = config.getoption(opt)
    if not path:
        raise pytest.UsageError(f"{opt} is required (the path of the built binary)")
    if not os.access(path, os.X_OK):
        raise pytest.UsageError(f"{opt} {path}: not an executable")
    return os.path.abspath(path)


def pytest_configure(config):
    # No interpreter cache in the source tree.
    sys.dont_write_bytecode = True


@pytest.fixture(scope="session")
def ard_bin(pytestconfig) -> str:
    return _binary(pytestconfig, "--ard")


@pytest.fixture(scope="session")
def hmipctl_bin(pytestconfig) -> str:
    return _binary(pytestconfig, "--hmipctl")


@pytest.fixture(scope="session", autouse=True)
def _preconditions():
    if os.geteuid() != 0:
        pytest.fail("the topo tests need root (network namespaces, raw sockets)", pytrace=False)
    missing = [t for t in ("ip", "tcpdump", "tshark", "sysctl", "nft") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"the topo tests need {', '.join(missing)}", pytrace=False)


@pytest.fixture
def outdir(request, pytestconfig, ard_bin) -> Path:
    base = pytestconfig.getoption("--outdir")
    if not base:
        base = Path(ard_bin).parent.parent / "test" / "topo" / "out"
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")
    d = Path(base) / name
    if d.exists():
        shutil.rmtree(d)  # only this test's previous run
    d.mkdir(parents=True)
    return d


@pytest.fixture
def rundir():
    """A short per-test directory for control sockets (107-byte limit)."""
    d = tempfile.mkdtemp(prefix="hmip-topo-", dir="/tmp")
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def topo(outdir):
    t = Topology(outdir)
    yield t
    t.close()


@pytest.fixture
def make_ard(ard_bin, hmipctl_bin, outdir, rundir):
    """make_ard(node, name) -> Ard (not started)."""
    def make(node, name: str = "ard") -> Ard:
        return Ard(node, name, ard_bin, hmipctl_bin, outdir, rundir)
    return make


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    d = item.funcargs.get("outdir")
    if not d:
        return
    rep.sections.append(("topo output", f"logs, configurations and pcaps kept in {d}"))
    for log in sorted(Path(d).glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        rep.sections.append((f"{log.name} (last 60 lines)", "\n".join(lines[-60:])))
