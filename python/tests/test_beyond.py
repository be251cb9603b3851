"""Beyond the sheet from Python: the saddle-to-saddle path (published toy values, the CLI, a NumPy/SciPy
implementation of the same algorithm), the accelerated flow below NumPy's reach, depth-D networks and the
initialisation shape, each against an independent computation."""

import numpy as np
import pytest

import ibias
import json
import subprocess

from conftest import cli_binary, write_csv

TOY_X = np.array([[1.0, 0.5, 0.7, 0.0], [0.5, 1.0, 0.1, 0.7]])
TOY_Y = np.array([1.0, 0.0])


def rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300)


def test_toy_saddle_path_is_the_published_one():
    p = ibias.saddle_path(TOY_X, TOY_Y)
    assert np.allclose(p["times"], [0.0, 1.0, 4.0, 4.0 + 80.0 / 49.0], rtol=0, atol=1e-12)
    want = np.array([[0, 0, 0, 0], [0.8, 0, 0, 0], [0, 0, 1.4, 0], [0, 0, 10 / 7, -10 / 49]])
    assert np.abs(p["saddles"] - want).max() <= 1e-12
    assert p["saturated"][1] == [0] and p["q_max"] <= 1 + 1e-12


def test_saddle_path_equals_the_cli_and_a_scipy_nnls_implementation(ex2, cli, tmp_path):
    scipy_opt = pytest.importorskip("scipy.optimize")
    X, y, _ = ibias.generate(n=30, d=90, sparsity=4, noise=0.3, seed=2)
    p = ibias.saddle_path(X, y)
    c = cli("path", "saddle", "--data", write_csv(tmp_path / "s.csv", X, y), "--json")
    assert np.allclose(p["times"], c["times"], rtol=1e-12, atol=0)
    # An independent implementation: Algorithm 1 with a fresh scipy.optimize.nnls per jump.
    n, d = X.shape
    q, beta, tau, times = np.zeros(d), np.zeros(d), 0.0, [0.0]
    while True:
        g = 2.0 / n * X.T @ (X @ beta - y)
        if np.abs(g).max() <= 1e-11 * np.abs(2.0 / n * X.T @ y).max():
            break
        mv = np.abs(g) > 1e-11
        dl = np.full(d, np.inf)
        dl[mv] = (1 + np.sign(g[mv]) * q[mv]) / np.abs(g[mv])
        dl[dl <= 1e-14 * (1 + tau)] = np.inf
        delta = dl.min()
        tau += delta
        q -= delta * g
        q[np.abs(np.abs(q) - 1) <= 1e-10] = np.sign(q[np.abs(np.abs(q) - 1) <= 1e-10])
        act = np.flatnonzero(np.abs(q) == 1)
        z, _ = scipy_opt.nnls(X[:, act] * q[act], y)
        beta = np.zeros(d)
        beta[act] = q[act] * z
        times.append(tau)
    assert len(times) == len(p["times"])
    assert np.allclose(times, p["times"], rtol=1e-9, atol=0)
    assert np.abs(beta - p["saddles"][-1]).max() <= 1e-9
    # The last saddle is a minimum-ℓ1 interpolator.
    assert abs(np.abs(p["saddles"][-1]).sum() - ibias.min_l1(X, y).l1_norm) <= 1e-9 * np.abs(beta).sum()


def test_accelerated_flow_reaches_below_numpy_and_tends_to_the_path():
    taus = [0.5, 2.5, 4.8, 7.0]
    p = ibias.saddle_path(TOY_X, TOY_Y)
    w = ibias.accelerated_flow(TOY_X, TOY_Y, log10_alpha=-200, taus=taus)
    assert w.shape == (4, 4)
    for t, row in zip(taus, w):
        k = np.searchsorted(p["times"], t, side="right") - 1
        assert np.abs(row - p["saddles"][k]).max() <= 1e-2
    assert 2 * (1e-200) ** 2 == 0.0  # NumPy's c = 2α² underflows here; ibias works in log scale
    with pytest.raises(ValueError):
        ibias.accelerated_flow(TOY_X, TOY_Y, log10_alpha=0.5, taus=[1.0])


def test_depth_potential_md_and_network_reach_the_exact_limit(ex2):
    X, y, _ = ex2
    pot = ibias.Depth(3, 0.5)
    assert pot.kind == "depth" and "depth=3" in repr(pot)
    exact = ibias.bregman(X, y, potential=pot)
    assert exact.certificate["forward_error_rel"] <= 1e-9
    md = ibias.md(X, y, potential=pot, eta="lbfgs", tol=1e-22)
    assert md.converged and rel(md.w, exact.w) <= 1e-8
    # The (u, v) network of depth 3 through the run API: its O(η) bias at η = 0.02/L is below 1e-3.
    net = ibias.reparam(X, y, alpha=0.5, depth=3, eta=0.02 / ibias.Problem(X, y).smoothness, tol=1e-22, max_iter=5_000_000)
    assert net.converged and rel(net.w, exact.w) <= 1e-3
    with pytest.raises(ValueError, match="depth"):
        ibias.Depth(2, 0.5)
    with pytest.raises(ValueError, match="alpha"):
        ibias.Depth(8, 1e-3)


def test_shape_and_explicit_initialisation_match_the_shifted_projection(ex2):
    X, y, _ = ex2
    d = X.shape[1]
    a, s = 0.1, 0.6
    u0 = np.full(d, a * np.sqrt((1 - s) / (1 + s)))
    v0 = np.full(d, a * np.sqrt((1 + s) / (1 - s)))
    w0 = u0 ** 2 - v0 ** 2
    exact = ibias.bregman(X, y, potential=ibias.Hyperbolic(scales=2 * u0 * v0), w0=w0)
    runs = [ibias.reparam(X, y, eta=0.05 / ibias.Problem(X, y).smoothness, tol=1e-20, max_iter=5_000_000, **kw)
            for kw in ({"alpha": a, "shape": s}, {"u0": u0, "v0": v0})]
    for r in runs:
        assert r.converged and rel(r.w, exact.w) <= 2e-3
    assert rel(runs[0].w, runs[1].w) <= 1e-12  # the shape is exactly this (u0, v0)
    with pytest.raises(ValueError):
        ibias.reparam(X, y, shape=1.0)
    with pytest.raises(ValueError):
        ibias.reparam(X, y, u0=-u0, v0=v0)


def test_new_studies_run_from_python():
    r = ibias.study.saddle({"log10_alphas": [-5.0, -30.0], "n_taus": 100})
    assert len(r["toy"]["times"]) == 4 and r.answers
    r = ibias.study.woodworth({"d": 200, "n": 60, "n_grid": [60], "seeds": 2, "n_alphas": 7, "alpha_min": 1e-4})
    assert len(r["curves"]) == 2 and r["projections"] > 0
    assert {"saddle", "depth", "shape", "woodworth"} <= set(ibias.study.keys())


def test_sgd_from_python_equals_the_cli_and_is_reproducible(ex2, cli, tmp_path):
    X, y, _ = ex2
    f = write_csv(tmp_path / "ex2.csv", X, y)
    for alg in ("gd", "md", "eg", "reparam"):
        kw = dict(batch=4, eta=0.01, seed=9, tol=1e-10, max_iter=2_000_000)
        if alg != "gd":
            kw["alpha"] = 0.1
        r = getattr(ibias, alg)(X, y, **kw)
        args = ["run", alg, "--data", f, "--batch", "4", "--eta", "0.01", "--seed", "9", "--tol", "1e-10", "--max-iter", "2000000"]
        if alg != "gd":
            args += ["--alpha", "0.1"]
        c = cli(*args, "--json")
        assert np.array_equal(r.w, np.array(c["w"])), alg
        assert r.converged and any("stochastic" in n for n in r.notes)
    # Full batch is GD; label noise is seeded.
    assert np.array_equal(ibias.gd(X, y, batch=40, eta=0.01, tol=0, max_iter=300).w, ibias.gd(X, y, eta=0.01, tol=0, max_iter=300).w)
    a = ibias.gd(X, y, batch=2, eta=0.01, label_noise=0.1, seed=1, tol=0, max_iter=500).w
    assert np.array_equal(a, ibias.gd(X, y, batch=2, eta=0.01, label_noise=0.1, seed=1, tol=0, max_iter=500).w)
    with pytest.raises(ValueError, match="invalid parameter batch:"):
        ibias.gd(X, y, batch=0)


def test_step_effect_from_python(ex2):
    X, y, _ = ex2
    r = ibias.reparam(X, y, alpha=0.1, eta=0.1, track_scale=True, tol=1e-22, max_iter=3_000_000)
    e = ibias.step_effect(X, y, result=r, eta=0.1, alpha=0.1)
    assert e["effective_limit_distance_rel"] * 10 <= e["flow_limit_distance_rel"]
    assert e["sharpness"] <= e["two_over_eta"]
    # The flow limit is the Bregman projection at α: recompute it independently.
    flow_limit = ibias.bregman(X, y, alpha=0.1).w
    assert abs(rel(r.w, flow_limit) - e["flow_limit_distance_rel"]) <= 1e-9


def test_finite_step_studies_run_from_python():
    r = ibias.study.ridgeflow({"seeds": 5})
    assert r["tight_ratio"] == pytest.approx(r["constant"][0], abs=1e-10)
    r = ibias.study.timeavg({"n_lambdas": 8})
    assert all(row["identity_rel"] <= 1e-8 for row in r["rows"])
    r = ibias.study.stepsize({"batches": [40, 1], "fractions": [0.1, 0.9], "seeds": 2, "bisection_steps": 2, "max_epochs": 20000})
    assert len(r["thresholds"]) == 2 and len(r["rows"]) == 8


def test_azulay_model_from_python_equals_the_cli_and_reaches_its_projection(tmp_path):
    # GD on w = u₊⊙v₊ − u₋⊙v₋ (Azulay et al. 2021) from the shape s = 0.5 at α = 0.3: bit for bit the CLI's run,
    # and near the Bregman projection of 0 with c = u₀² + v₀² (the flow limit; the gap is the finite-step effect).
    X, y, _ = ibias.generate(n=10, d=30, sparsity=3, entries="gaussian", seed=4)
    f = tmp_path / "d.csv"
    write_csv(f, X, y)
    r = ibias.azulay(X, y, alpha=0.3, shape=0.5, eta=0.01, tol=1e-22, max_iter=2_000_000)
    out = subprocess.run([cli_binary(), "run", "azulay", "--data", str(f), "--alpha", "0.3", "--shape", "0.5", "--eta", "0.01",
                          "--tol", "1e-22", "--max-iter", "2000000", "--json"], capture_output=True, text=True, check=True)
    c = json.loads(out.stdout)
    assert c["algorithm"] == "azulay" and r.converged
    assert np.array_equal(r.w, np.array(c["w"]))
    s = 0.5
    u0 = 0.3 * np.sqrt((1 - s) / (1 + s))
    v0 = 0.3 * np.sqrt((1 + s) / (1 - s))
    limit = ibias.bregman(X, y, potential=ibias.Hyperbolic(scales=np.full(30, u0**2 + v0**2)))
    assert np.linalg.norm(r.w - limit.w) <= 2e-2 * np.linalg.norm(limit.w)
    bad = subprocess.run([cli_binary(), "run", "azulay", "--data", str(f), "--flow"], capture_output=True, text=True)
    assert bad.returncode == 1 and "--flow" in bad.stderr, bad.stderr
