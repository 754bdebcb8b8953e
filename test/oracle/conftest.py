"""Shared fixtures of the oracle tests: the vectors and mutants that
hmip_wire_vectors prints (see wire_vectors.cpp for the line format)."""

import json
import os
import subprocess

import pytest


def pytest_addoption(parser):
    parser.addoption("--vectors-bin", default=os.environ.get("HMIP_WIRE_VECTORS"),
                     help="path of the hmip_wire_vectors program")
    parser.addoption("--tshark", default=os.environ.get("HMIP_TSHARK", "/usr/bin/tshark"),
                     help="path of tshark")


def _run_vectors(config, *args):
    binary = config.getoption("--vectors-bin")
    if not binary:
        raise pytest.UsageError("--vectors-bin (or HMIP_WIRE_VECTORS) is required")
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def load_vectors(config):
    cache = config.__dict__.setdefault("_hmip_vectors", {})
    if "vectors" not in cache:
        cache["vectors"] = _run_vectors(config)
    return cache["vectors"]


def load_mutants(config):
    cache = config.__dict__.setdefault("_hmip_vectors", {})
    if "mutants" not in cache:
        cache["mutants"] = _run_vectors(config, "--mutate")
    return cache["mutants"]


def pytest_generate_tests(metafunc):
    if "vector" in metafunc.fixturenames:
        vectors = load_vectors(metafunc.config)
        metafunc.parametrize("vector", vectors, ids=[v["name"] for v in vectors])


@pytest.fixture(scope="session")
def vectors(request):
    return load_vectors(request.config)


@pytest.fixture(scope="session")
def mutants(request):
    return load_mutants(request.config)
