"""Sweep specifications from Python: plan, shards (explicit and from Slurm's variables), status, merge — the same
table as the command line's `ibias sweep merge`, bit for bit but the timing column — and clear errors."""

import csv
import os
import subprocess

import numpy as np
import pytest

import ibias
from conftest import cli_binary, write_csv

SPEC = """[problem]
data = ["a.csv", "b.csv"]

[axes]
method = ["md", "bregman"]
alpha = [1e-3, 1e-1, 1.0]
"""


@pytest.fixture()
def spec(tmp_path):
    for name, seed in [("a.csv", 1), ("b.csv", 2)]:
        X, y, _ = ibias.generate(n=20, d=50, sparsity=3, seed=seed)
        write_csv(tmp_path / name, X, y)
    path = tmp_path / "spec.toml"
    path.write_text(SPEC)
    return str(path)


def test_plan_shards_status_and_merge_equal_the_cli(spec, tmp_path, monkeypatch):
    plan = ibias.sweep_plan(spec)
    assert len(plan["runs"]) == 2 * 2 * 3 and len(plan["problems"]) == 2
    assert len({r["run_id"] for r in plan["runs"]}) == 12
    out = str(tmp_path / "py")
    rep = ibias.sweep_run(spec, out, shard=(0, 3))
    assert rep["computed"] + rep["failed"] == rep["planned"] and rep["failed"] == 0
    st = ibias.sweep_status(out, tasks=3)
    assert [s["done"] for s in st][0] == rep["planned"] and sum(s["missing"] for s in st) == 12 - rep["planned"]
    with pytest.raises(ValueError, match="missing"):
        ibias.sweep_merge(out)
    # The other shards through Slurm's array variables.
    for k in (1, 2):
        monkeypatch.setenv("SLURM_ARRAY_TASK_ID", str(k))
        monkeypatch.setenv("SLURM_ARRAY_TASK_COUNT", "3")
        ibias.sweep_run(spec, out)
    monkeypatch.delenv("SLURM_ARRAY_TASK_ID")
    monkeypatch.delenv("SLURM_ARRAY_TASK_COUNT")
    assert all(s["missing"] == 0 and s["failing"] == 0 for s in ibias.sweep_status(out))
    cols = ibias.sweep_merge(out)
    assert len(cols["run_id"]) == 12 and [r["run_id"] for r in plan["runs"]] == cols["run_id"]
    assert all(c is None for c in cols["seed"]) and all(c is None for c in cols["recovery_error_sq_abs"])
    # The command line, unsharded, in its own folder: the same numbers.
    b = cli_binary()
    subprocess.run([b, "sweep", "run", spec, "--out", str(tmp_path / "cli"), "--quiet"], check=True)
    subprocess.run([b, "sweep", "merge", str(tmp_path / "cli"), "-o", str(tmp_path / "m.csv")], check=True)
    with open(tmp_path / "m.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["run_id"] for r in rows] == cols["run_id"]
    for key in ("alpha", "l1_norm", "l2_norm", "l1_gap_abs", "distance_to_exact_rel"):
        assert [float(r[key]) for r in rows] == cols[key], key
    assert [int(r["iterations"]) for r in rows] == cols["iterations"]
    # The bregman rows are the exact limits: their distance to the exact limit is 0.
    assert all(d == 0.0 for m, d in zip(cols["method"], cols["distance_to_exact_rel"]) if m == "bregman")
    pd = pytest.importorskip("pandas")
    df = cols.to_pandas()
    assert isinstance(df, pd.DataFrame) and df.shape[0] == 12


def test_bad_specs_and_shards_are_named(spec, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(SPEC.replace("method", "methods"))
    with pytest.raises(ValueError, match="methods"):
        ibias.sweep_plan(str(bad))
    bad.write_text(SPEC.replace("[1e-3, 1e-1, 1.0]", "[]"))
    with pytest.raises(ValueError, match="empty axis"):
        ibias.sweep_plan(str(bad))
    with pytest.raises(ValueError, match="K < N"):
        ibias.sweep_run(spec, str(tmp_path / "o"), shard=(3, 3))
    ibias.sweep_run(spec, str(tmp_path / "o"), shard=(0, 2))
    other = tmp_path / "other.toml"
    other.write_text(SPEC.replace("1e-3", "1e-2"))
    with pytest.raises(ValueError, match="another sweep spec"):
        ibias.sweep_run(str(other), str(tmp_path / "o"), shard=(1, 2))
    with pytest.raises(OSError):
        ibias.sweep_status(str(tmp_path / "nowhere"))


def test_recorded_final_iterates_are_the_runs_and_the_exact_limits(spec, tmp_path):
    text = open(spec).read() + "\n[record]\nw = true\n"
    rec = tmp_path / "rec.toml"
    rec.write_text(text)
    out = str(tmp_path / "rec")
    ibias.sweep_run(str(rec), out)
    cols = ibias.sweep_merge(out)
    X, y, _ = ibias.generate(n=20, d=50, sparsity=3, seed=1)
    for k, (m, a, src) in enumerate(zip(cols["method"], cols["alpha"], cols["source"])):
        w = cols["w"][k]
        assert isinstance(w, np.ndarray) and w.shape == (50,)
        if m == "bregman" and src.endswith("a.csv"):
            exact = ibias.bregman(X, y, alpha=a).w
            assert np.linalg.norm(w - exact) <= 1e-10 * np.linalg.norm(exact)
        if m == "md":
            # The run's own l1 norm, recomputed from its recorded iterate.
            assert abs(np.abs(w).sum() - cols["l1_norm"][k]) <= 1e-12 * cols["l1_norm"][k]


def test_alpha_grids_are_the_same_in_every_door(tmp_path):
    # "LO:HI:K" is parsed by the library for Python as for the CLI: end points exact, K = 1 is LO.
    X, y, _ = ibias.generate(n=20, d=50, sparsity=3, seed=1)
    table = ibias.sweep(X, y, alphas="1e-8:1e3:12", method="bregman")
    assert table["alpha"][0] == 1e-8 and table["alpha"][-1] == 1e3 and len(table["alpha"]) == 12
    assert ibias.sweep(X, y, alphas="1e-3:1:1", method="bregman")["alpha"] == [1e-3]
    path = tmp_path / "d.csv"
    write_csv(path, X, y)
    out = subprocess.run([cli_binary(), "sweep", "bregman", "--data", str(path), "--alphas", "1e-8:1e3:12", "--json", "--quiet"],
                         capture_output=True, text=True, check=True)
    import json

    cli = [r["alpha"] for r in json.loads(out.stdout)["rows"]]
    assert cli == table["alpha"]
    # A reversed grid is refused, naming the keyword.
    with pytest.raises(ValueError, match="alphas"):
        ibias.sweep(X, y, alphas="1:1e-3:5", method="bregman")


def test_a_sweep_can_return_its_limits_w():
    X, y, _ = ibias.generate(n=20, d=50, sparsity=3, seed=1)
    table = ibias.sweep(X, y, alphas=[1e-2, 1.0], method="bregman", record_w=True)
    assert len(table["w"]) == 2
    for a, w in zip(table["alpha"], table["w"]):
        exact = ibias.bregman(X, y, alpha=a)
        np.testing.assert_array_equal(w, exact.w)
    assert "w" not in ibias.sweep(X, y, alphas=[1.0], method="bregman")


def test_python_sweeps_take_the_front_doors_rule_on_each_dataset(ex2):
    """Without ``etas``, md takes dual L-BFGS where X has full row rank and ``auto`` on a duplicated row, as
    ``ibias.md`` would (one decision in the library), instead of failing with "lbfgs needs rank X = n"."""
    X, y, _ = ex2
    Xd, yd = np.vstack([X, X[:1]]), np.append(y, y[0])
    assert ibias.sweep(X, y, alphas=[0.1])["step_rule"] == ["lbfgs"]
    r = ibias.sweep(Xd, yd, alphas=[0.1])
    assert r["step_rule"] == ["auto"] and r["converged"] == [True]
    assert ibias.md(Xd, yd, alpha=0.1).to_dict()["step_rule"] == "auto"
