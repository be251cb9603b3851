"""Shared fixtures: data, and the command-line program (for results compared with the CLI's)."""

import os
import shutil
import subprocess
import json

import numpy as np
import pytest

import ibias

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli_binary():
    env = os.environ.get("IBIAS_BIN")
    if env:
        return env
    cand = os.path.join(ROOT, "target", "release", "ibias")
    if os.path.exists(cand):
        return cand
    return shutil.which("ibias")


@pytest.fixture(scope="session")
def ex2():
    X, y, w = ibias.generate("ex2", seed=0)
    return X, y, w


@pytest.fixture(scope="session")
def cli(tmp_path_factory):
    b = cli_binary()
    if b is None:
        pytest.fail("the ibias command-line program was not found (build it: cargo build --release, or set IBIAS_BIN)")

    def run(*args):
        out = subprocess.run([b, *args], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    return run


def write_csv(path, X, y):
    with open(path, "w") as f:
        f.write(",".join([f"x{j + 1}" for j in range(X.shape[1])] + ["y"]) + "\n")
        for i in range(X.shape[0]):
            f.write(",".join(repr(float(v)) for v in list(X[i]) + [y[i]]) + "\n")
    return str(path)
