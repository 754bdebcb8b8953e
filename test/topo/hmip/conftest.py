"""Fixtures of the HMIPv6 testbed scenarios (see ../README.md).

Options: --ard, --hmipctl (required), --mapd, --mnd (optional until the
daemons exist; tests needing them skip without), --outdir (per-test
configurations, logs, pcaps, plots: OUTDIR/<test>/). These scenarios need
ip6tnl, MIPv6 and netem: CTest runs this whole directory through
scripts/testbed/run-topo-hmip.sh, in the distro-kernel VM when the running
kernel lacks them.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lib"))

from hmip_topo import Binaries, Options, Testbed, missing_kernel_features  # noqa: E402


def pytest_addoption(parser):
    # ard's conftest defines --ard/--hmipctl/--outdir too when both folders
    # are collected in one session: add only what is not there yet.
    for opt, env, text in (("--ard", "HMIP_ARD", "path of the ard binary"),
                           ("--hmipctl", "HMIP_HMIPCTL", "path of the hmipctl binary"),
                           ("--mapd", "HMIP_MAPD", "path of the mapd binary (optional)"),
                           ("--mnd", "HMIP_MND", "path of the mnd binary (optional)"),
                           ("--outdir", "HMIP_TOPO_OUT", "per-test output goes to OUTDIR/<test>/")):
        try:
            parser.addoption(opt, default=os.environ.get(env), help=text)
        except ValueError:
            pass


def pytest_configure(config):
    sys.dont_write_bytecode = True


def _exe(config, opt: str, required: bool):
    path = config.getoption(opt)
    if not path:
        if required:
            raise pytest.UsageError(f"{opt} is required (the path of the built binary)")
        return None
    if not os.access(path, os.X_OK):
        raise pytest.UsageError(f"{opt} {path}: not an executable")
    return os.path.abspath(path)


@pytest.fixture(scope="session")
def bins(pytestconfig) -> Binaries:
    return Binaries(ard=_exe(pytestconfig, "--ard", True), hmipctl=_exe(pytestconfig, "--hmipctl", True),
                    mapd=_exe(pytestconfig, "--mapd", False), mnd=_exe(pytestconfig, "--mnd", False))


@pytest.fixture
def mobility_bins(bins) -> Binaries:
    """bins, for scenarios that need mapd and mnd: skipped (with the reason)
    when --mapd/--mnd were not given (run-topo-hmip.sh passes them once
    BUILD/daemons/mapd and mnd exist)."""
    missing = [n for n in ("mapd", "mnd") if not getattr(bins, n)]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} (--mapd/--mnd)")
    return bins


@pytest.fixture(scope="session")
def kernel_missing() -> list[str]:
    """What the running kernel lacks of ip6tnl, mip6, netem (empty in the VM)."""
    return missing_kernel_features()


@pytest.fixture(scope="session", autouse=True)
def _preconditions():
    if os.geteuid() != 0:
        pytest.fail("the topo tests need root (network namespaces, raw sockets)", pytrace=False)
    missing = [t for t in ("ip", "tc", "tcpdump", "sysctl", "unshare") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"the hmip topo tests need {', '.join(missing)}", pytrace=False)


def _outdir(pytestconfig, bins, name: str) -> Path:
    base = pytestconfig.getoption("--outdir") or str(Path(bins.ard).parent.parent / "test" / "topo" / "out-hmip")
    d = Path(base) / re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


@pytest.fixture
def outdir(request, pytestconfig, bins) -> Path:
    return _outdir(pytestconfig, bins, request.node.name)


@pytest.fixture
def make_testbed(outdir, bins):
    """make_testbed(Options(...)) -> a built Testbed, closed after the test."""
    made = []

    def make(opts: Options | None = None) -> Testbed:
        tb = Testbed(outdir, bins, opts).build()
        made.append(tb)
        return tb
    yield make
    for tb in made:
        tb.close()


@pytest.fixture(scope="module")
def module_testbed(request, pytestconfig, bins):
    """module_testbed(Options(...)) -> a built Testbed shared by the tests
    of one module (the scenarios build on each other's state: the suite
    runs in an emulated VM, one build per module keeps it fast), with its
    output in OUTDIR/<module>/; closed after the module. Skips the module
    without --mapd/--mnd."""
    missing = [n for n in ("mapd", "mnd") if not getattr(bins, n)]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} (--mapd/--mnd)")
    made = []

    def make(opts: Options | None = None) -> Testbed:
        tb = Testbed(_outdir(pytestconfig, bins, request.module.__name__), bins, opts).build()
        made.append(tb)
        return tb
    yield make
    for tb in made:
        tb.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when != "call" or not rep.failed:
        return
    d = item.funcargs.get("outdir")
    if not d:  # a module's shared testbed
        d = next((v.outdir for v in item.funcargs.values() if isinstance(v, Testbed)), None)
    if not d:
        return
    rep.sections.append(("topo output", f"logs, configurations and pcaps kept in {d}"))
    for log in sorted(Path(d).glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()
        rep.sections.append((f"{log.name} (last 40 lines)", "\n".join(lines[-40:])))
