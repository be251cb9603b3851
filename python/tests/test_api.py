"""Every binding called; results equal the CLI's on the same data to 1e-12; cross-checks against
scikit-learn, SciPy (HiGHS) and a plain NumPy loop; bad inputs raise the documented exceptions."""

import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import ibias
from conftest import write_csv


def rel(a, b):
    return np.linalg.norm(np.asarray(a) - np.asarray(b)) / max(np.linalg.norm(b), 1e-300)


def test_problem_from_any_array_like(ex2):
    X, y, _ = ex2
    for Xv in (X, np.asfortranarray(X), X.tolist(), X.astype(np.float32)):
        p = ibias.Problem(Xv, y)
        assert (p.n, p.d, p.rank) == (40, 100, 40)
    p = ibias.Problem(X, y)
    assert np.allclose(p.x, X) and np.allclose(p.y, y)
    assert abs(p.risk(np.zeros(100)) - p.risk_at_zero) < 1e-15
    g = p.grad(np.zeros(100))
    assert np.allclose(g, -2.0 / 40 * X.T @ y)
    assert p.describe()["rank"] == 40 and len(p.data_hash) == 16
    assert np.allclose(p.sigma, np.linalg.svd(X, compute_uv=False))


@pytest.mark.parametrize(
    "X, y, word",
    [
        (np.ones((3, 2)), np.ones(4), "length"),
        (np.array([[1.0, np.nan]]), [1.0], "non-finite"),
        (np.array([[1.0, np.inf]]), [1.0], "non-finite"),
        (np.zeros((0, 3)), np.zeros(0), "empty"),
        (np.ones(3), np.ones(3), "2-dimensional"),
        ([["a", "b"]], [1.0], "numeric"),
    ],
)
def test_bad_inputs_raise_value_error(X, y, word):
    with pytest.raises(ValueError, match=word):
        ibias.Problem(X, y)


def test_documented_exceptions(ex2):
    X, y, _ = ex2
    with pytest.raises(ibias.DivergenceError, match="safe step"):
        ibias.gd(X, y, eta=1e3)
    with pytest.raises(ValueError, match="α"):
        ibias.md(X, y, alpha=-1.0)
    with pytest.raises(ValueError, match="eta"):
        ibias.md(X, y, eta="fast")
    Xn, yn, _ = ibias.generate("ex3", seed=0)
    with pytest.raises(ibias.InfeasibleError, match="no solution"):
        ibias.min_l1(Xn, yn)
    with pytest.raises(ValueError, match="invalid parameter momentum:") as err:
        ibias.gd(X, y, momentum=1.5)
    assert "--" not in str(err.value), "Python errors name keywords, not command-line flags"
    with pytest.raises(ValueError):
        ibias.lasso_path(X, y, exact=True, positive=True)


def test_dynamics_equal_the_cli_to_1e_12(ex2, cli, tmp_path):
    X, y, _ = ex2
    f = write_csv(tmp_path / "ex2.csv", X, y)
    cases = [
        (lambda: ibias.md(X, y, alpha=0.01), ["run", "md", "--data", f, "--alpha", "0.01"]),
        (lambda: ibias.reparam(X, y, alpha=0.1, eta=0.05, tol=0, max_iter=500), ["run", "reparam", "--data", f, "--alpha", "0.1", "--eta", "0.05", "--tol", "0", "--max-iter", "500"]),
        (lambda: ibias.gd(X, y, eta="safe"), ["run", "gd", "--data", f, "--eta", "safe"]),
        (lambda: ibias.eg(X, y, alpha=0.5, tol=0, max_iter=300), ["run", "eg", "--data", f, "--alpha", "0.5", "--tol", "0", "--max-iter", "300"]),
        (lambda: ibias.gd(X, y, momentum=0.9, eta=0.01), ["run", "gd", "--data", f, "--momentum", "0.9", "--eta", "0.01"]),
        (lambda: ibias.flow(X, y, method="md", alpha=0.5, t_max=5, tol=0), ["run", "md", "--data", f, "--alpha", "0.5", "--flow", "--t-max", "5", "--tol", "0"]),
    ]
    for py, args in cases:
        r = py()
        c = cli(*args, "--json")
        assert rel(r.w, c["w"]) <= 1e-12, args
        assert r.iterations == c["iterations"] and r.converged == c["converged"], args


def test_exact_solvers_equal_the_cli(ex2, cli, tmp_path):
    X, y, _ = ex2
    f = write_csv(tmp_path / "ex2.csv", X, y)
    for py, args in [
        (lambda: ibias.min_l2(X, y), ["solve", "min-l2", "--data", f]),
        (lambda: ibias.min_l1(X, y), ["solve", "min-l1", "--data", f]),
        (lambda: ibias.min_l1(X, y, method="lp"), ["solve", "min-l1", "--bp-method", "lp", "--data", f]),
        (lambda: ibias.bregman(X, y, alpha=1e-6), ["solve", "bregman", "--alpha", "1e-6", "--data", f]),
    ]:
        s = py()
        c = cli(*args, "--json")
        assert rel(s.w, c["w"]) <= 1e-12, args
        assert s.certificate["residual_rel"] <= 1e-12
    path = ibias.lasso_path(X, y)
    c = cli("path", "lasso", "--exact", "--data", f, "--json")
    assert np.allclose(path.lambdas, c["lambdas"], rtol=1e-12, atol=0)
    assert rel(path.coefs, np.array(c["coefs"]).T) <= 1e-12
    # One default in both doors: without a grid the Lasso path is exact (the library decides it once).
    d = cli("path", "lasso", "--data", f, "--json")
    assert d["lambdas"] == c["lambdas"] and d["coefs"] == c["coefs"]
    g, h = ibias.lasso_path(X, y, n_lambdas=7), cli("path", "lasso", "--n-lambdas", "7", "--data", f, "--json")
    assert len(g.lambdas) == len(h["lambdas"]) == 7 and rel(g.coefs, np.array(h["coefs"]).T) <= 1e-12


def test_lasso_path_matches_scikit_learn_lars_path():
    sk = pytest.importorskip("sklearn.linear_model")
    for seed in range(3):
        X, y, _ = ibias.generate(n=30, d=60, sparsity=5, entries="gaussian", noise=0.1, seed=seed)
        path = ibias.lasso_path(X, y)
        alphas, _, coefs = sk.lars_path(X, y, method="lasso")
        assert coefs.shape[0] == path.coefs.shape[0]  # (n_features, n_alphas), as lars_path
        for k, a in enumerate(alphas):
            assert rel(path.at(2 * a), coefs[:, k]) <= 1e-8 * max(1.0, np.linalg.norm(coefs[:, k]))
        # Taking scikit-learn's alphas: a = λ/2, with sklearn's Lasso objective.
        grid = np.array([0.5, 0.1, 0.02]) * alphas[0]
        cd = ibias.lasso_path(X, y, alphas=grid)
        assert np.allclose(cd.alphas, grid) and cd.coefs.shape == (60, 3)
        for k, a in enumerate(grid):
            m = sk.Lasso(alpha=a, fit_intercept=False, tol=1e-14, max_iter=1_000_000).fit(X, y)
            assert rel(cd.coefs[:, k], m.coef_) <= 1e-6


def test_ridge_path_matches_scikit_learn_ridge():
    sk = pytest.importorskip("sklearn.linear_model")
    X, y, _ = ibias.generate(n=50, d=20, entries="gaussian", noise=0.3, seed=1)
    alphas = [0.1, 1.0, 10.0]
    path = ibias.ridge_path(X, y, alphas=alphas)  # scikit-learn's Ridge alpha = n·λ
    for k, a in enumerate(alphas):
        m = sk.Ridge(alpha=a, fit_intercept=False, solver="svd").fit(X, y)
        assert rel(path.coefs[:, k], m.coef_) <= 1e-10
    assert np.allclose(path.lambdas, np.array(alphas) / 50)


def test_basis_pursuit_matches_highs():
    opt = pytest.importorskip("scipy.optimize")
    for seed in range(3):
        X, y, _ = ibias.generate(n=25, d=80, sparsity=12, entries="gaussian", seed=seed)
        s = ibias.min_l1(X, y)
        d = X.shape[1]
        res = opt.linprog(np.ones(2 * d), A_eq=np.hstack([X, -X]), b_eq=y, bounds=[(0, None)] * (2 * d), method="highs")
        assert abs(s.l1_norm - res.fun) <= 1e-8 * res.fun
        assert s.certificate["duality_gap_rel"] <= 1e-9 and s.unique in ("unique", "not_unique", "unknown")


def test_mirror_descent_matches_a_plain_numpy_loop(ex2):
    X, y, _ = ex2
    n, d = X.shape
    alpha, eta, steps = 0.3, 0.05, 400
    c = 2 * alpha**2
    theta = np.zeros(d)
    for _ in range(steps):
        w = c * np.sinh(theta)
        theta -= eta * (2 / n) * X.T @ (X @ w - y)
    w = c * np.sinh(theta)
    r = ibias.md(X, y, alpha=alpha, eta=eta, tol=0, max_iter=steps)
    assert rel(r.w, w) <= 1e-12
    # The exact limit of the same dynamics.
    lim = ibias.bregman(X, y, alpha=alpha)
    long = ibias.md(X, y, alpha=alpha, eta="lbfgs", tol=1e-26)
    assert rel(long.w, lim.w) <= 1e-9


def test_potentials_as_objects():
    h = ibias.Hyperbolic(1e-3)
    w = np.array([0.5, -1e-4, 3.0])
    assert np.allclose(h.inv_grad(h.grad(w)), w, rtol=1e-14)
    assert h.bregman(w, w) == 0.0 and h.bregman(w, 0 * w) > 0
    assert ibias.Euclidean().kind == "euclidean" and ibias.NegEntropy().kind == "entropy"
    assert abs(ibias.Euclidean().value(w) - 0.5 * w @ w) < 1e-15
    per = ibias.Hyperbolic(scales=[1.0, 2.0, 3.0])
    assert per.grad(w).shape == (3,)
    with pytest.raises(ValueError):
        ibias.Hyperbolic(1.0, scales=[1.0])


def test_trajectories_are_arrays_for_matplotlib(ex2):
    X, y, _ = ex2
    r = ibias.reparam(X, y, alpha=0.1, eta=0.1, tol=0, max_iter=1000, track_scale=True, checkpoints=20)
    assert r.W.shape[1] == 100 and r.W.shape[0] == len(r.t) == len(r.risks) == len(r.k)
    assert r.uv is not None and r.uv.shape == r.W.shape
    assert r.reparam["tracked"]["identity_error_rel"] <= 1e-12
    every = ibias.md(X, y, alpha=1.0, eta=0.01, tol=0, max_iter=50, record_every=True)
    assert every.W.shape == (51, 100) and np.allclose(np.diff(every.t), 0.01)
    f = ibias.flow(X, y, method="reparam", alpha=0.5, t_max=2, tol=0)
    assert (f.k == -1).all() and f.t[-1] == 2.0
    assert "algorithm" in r.to_dict()


def test_sweeps_run_on_all_cores_and_return_columns(ex2):
    X, y, _ = ex2
    cols = ibias.sweep(X, y, alphas=[1e-6, 1e-2, 1.0])
    assert len(cols["alpha"]) == 3 and max(cols["distance_to_exact_rel"]) <= 1e-8
    cols = ibias.sweep(preset="ex2", seeds=[0, 1], method="bregman", alphas="1e-10:1e3:4")
    assert len(cols["alpha"]) == 8 and set(cols["seed"]) == {0, 1}
    pd = pytest.importorskip("pandas")
    df = cols.to_pandas()
    assert isinstance(df, pd.DataFrame) and list(df["alpha"][:4]) == sorted(df["alpha"][:4])
    seen = []
    ibias.sweep(X, y, alphas=[1e-3, 1.0], progress=lambda stage, done, total: seen.append((done, total)))
    assert seen and seen[-1] == (2, 2)


def test_report_and_studies_from_python(tmp_path):
    page = ibias.report(str(tmp_path / "rep"), config={"ex2": {"n_alphas": 3, "n_etas": 2, "md_seconds": 2.0}, "ex3": {"repeats": 3}}, only=["ex2", "ex3"])
    assert os.path.exists(page) and os.path.exists(tmp_path / "rep" / "data" / "ex2_sweep.csv")
    r = ibias.study.ex3({"repeats": 4})
    assert r.title.startswith("Exercise 3") and len(r["pairs"]) == 3 and r.answers
    assert ibias.study.keys()[:3] == ["ex1", "ex2", "ex3"]
    assert "n_alphas" in ibias.study.default_config("ex2")
    with pytest.raises(ValueError, match="repeats"):
        ibias.study.ex3({"repeats": 0})


def test_no_panic_crosses_into_python_and_memory_is_bounded(ex2):
    X, y, _ = ex2
    ibias.set_max_memory(10_000)
    try:
        with pytest.raises(MemoryError, match="MiB"):
            ibias.Problem(X, y)
    finally:
        ibias.set_max_memory(0)
    with pytest.raises(ValueError):
        ibias.generate("nope")


def test_ctrl_c_raises_keyboard_interrupt():
    # The run below would take hours: an interrupt that is honoured ends it with KeyboardInterrupt. No wall
    # time is asserted (the machine may be busy); the 120 s bound only keeps a broken build from hanging.
    # The child installs Python's own SIGINT handler: a parent started in the background (a non-interactive
    # shell's `&`, some CI runners) passes SIGINT on as ignored, and Python then raises nothing on Ctrl-C.
    code = (
        "import signal\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "import ibias\n"
        "X, y, _ = ibias.generate(n=200, d=2000, sparsity=10, seed=0)\n"
        "print('ready', flush=True)\n"
        "ibias.md(X, y, alpha=1e-6, eta='safe', tol=0, max_iter=10**9)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert "KeyboardInterrupt" in err, err


def _tied_design(seed):
    """An integer 6 × 8 design whose columns 0 and 1 tie exactly in |x_jᵀy| at λ_max (column 0 = 3·sign(y))."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-1, 2, size=(6, 8)).astype(float)
    y = rng.integers(-3, 4, size=6).astype(float)
    y[0] = 1.0
    X[:, 0] = 3.0 * np.where(y < 0, -1.0, 1.0)
    X[:, 1] = rng.integers(-3, 4, size=6)
    X[0, 1] += X[:, 0] @ y - X[:, 1] @ y  # y₀ = 1: now x₁ᵀy = x₀ᵀy exactly
    assert X[:, 0] @ y == X[:, 1] @ y
    return X, y


def test_tied_lasso_paths_agree_with_scikit_learn_lars():
    # Ties at λ_max (issue: the homotopy failed its KKT check there and fell back). Every ibias breakpoint is exact
    # (no fallback) and KKT-certified; at scikit-learn's breakpoints that pass their own KKT check, ibias' path
    # equals lars_path's coefficients (or, on a face of solutions, has the same fit and ℓ1 norm). On some of these
    # designs lars_path itself breaks (KKT violation ≈ 0.5·λ, with its degeneracy warnings): those points are
    # counted and skipped.
    sk = pytest.importorskip("sklearn.linear_model")
    compared = sk_invalid = 0
    for seed in range(12):
        X, y = _tied_design(seed)
        path = ibias.lasso_path(X, y)
        assert path.method.startswith("homotopy"), path.method
        lmax = path.lambdas[0]
        for k, lam in enumerate(path.lambdas):
            w = path.coefs[:, k]
            corr = 2.0 / len(y) * X.T @ (y - X @ w)
            on = np.abs(w) > 0
            assert np.all(np.abs(corr) <= lam + 1e-10 * lmax)
            assert np.allclose(corr[on], lam * np.sign(w[on]), atol=1e-10 * lmax, rtol=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # lars_path warns about its own degenerate steps on these designs
            alphas, _, coefs = sk.lars_path(X, y, method="lasso")
        for k, a in enumerate(alphas):
            if a <= 1e-9 * alphas[0]:
                continue
            lam, ref = 2 * a, coefs[:, k]
            # scikit-learn's own point, checked by KKT: on some tied designs lars_path breaks (KKT 0.5·λ).
            c = 2.0 / len(y) * X.T @ (y - X @ ref)
            on = np.abs(ref) > 0
            if np.any(np.abs(c) > lam + 1e-9 * lmax) or not np.allclose(c[on], lam * np.sign(ref[on]), atol=1e-9 * lmax, rtol=0):
                sk_invalid += 1
                continue
            if rel(path.at(lam), ref) <= 1e-8 * max(1.0, np.linalg.norm(ref)):
                compared += 1
            else:
                # Two valid answers can differ only on a face of solutions: same fit, same ℓ1 norm.
                assert np.allclose(X @ path.at(lam), X @ ref, atol=1e-9)
                assert abs(np.abs(path.at(lam)).sum() - np.abs(ref).sum()) <= 1e-9
    assert compared >= 30, (compared, sk_invalid)


def test_an_exception_in_a_progress_callback_stops_the_call_and_propagates(ex2):
    X, y, _ = ex2
    calls = []

    def stop(stage, done, total):
        calls.append(done)
        if done >= 1:
            raise KeyboardInterrupt

    # 40 runs; the callback interrupts after the first: the sweep stops and the interrupt reaches the caller.
    with pytest.raises(KeyboardInterrupt):
        ibias.sweep(X, y, method="md", alphas="1e-3:1:40", progress=stop)
    assert calls and max(calls) < 40

    def broken(stage, done, total):
        raise ZeroDivisionError("in the callback")

    with pytest.raises(ZeroDivisionError, match="in the callback"):
        ibias.sweep(X, y, method="md", alphas=[1.0, 0.1], progress=broken)
    # The next call is not cancelled by the last one's interrupt.
    assert len(ibias.sweep(X, y, method="md", alphas=[1.0])["alpha"]) == 1


def test_sizes_and_meaningless_keywords_are_refused_as_by_the_cli(ex2):
    """Python's sizes have the CLI's caps and its meaningless combinations are refused by keyword (the library's
    PathRequest and thread-pool checks, shared with `ibias path` and `ibias sweep --threads`)."""
    X, y, _ = ex2
    cases = [
        (lambda: ibias.lasso_path(X, y, n_lambdas=10**9), "n_lambdas"),
        (lambda: ibias.lasso_path(X, y, n_lambdas=0), "n_lambdas"),
        (lambda: ibias.ridge_path(X, y, n_lambdas=10**6), "n_lambdas"),
        (lambda: ibias.lasso_path(X, y, exact=True, n_lambdas=5), "exact/n_lambdas"),
        (lambda: ibias.lasso_path(X, y, exact=True, positive=True), "exact/positive"),
        (lambda: ibias.ridge_path(X, y, lambdas=[1.0], n_lambdas=5), "lambdas/n_lambdas"),
        (lambda: ibias.sweep(X, y, alphas="1e-2:1:2", threads=0), "threads"),
        (lambda: ibias.sweep(X, y, alphas="1e-2:1:2", seeds=[1, 2]), "seeds"),
        (lambda: ibias.sweep(X, y, alphas="1:1e-3:5"), "alphas"),
    ]
    for call, word in cases:
        with pytest.raises(ValueError, match=word):
            call()
    # What they apply to works: a grid path has n_lambdas points; the exact path is the default without a grid.
    assert len(ibias.lasso_path(X, y, n_lambdas=7).lambdas) == 7
    assert len(ibias.ridge_path(X, y, n_lambdas=4).lambdas) == 4
    assert "homotopy" in repr(ibias.lasso_path(X, y))
    assert ibias.sweep(X, y, alphas="1e-3:1:1").to_pandas()["alpha"].tolist() == [1e-3]


def test_solvers_take_one_request_and_refuse_by_keyword(ex2):
    """The exact solvers are built as the library's SolveRequest: what a solver would ignore is refused by its
    keyword, and the Bregman projection takes the same start and initialisations as ``ibias solve bregman``."""
    X, y, _ = ex2
    for call, word in [
        (lambda: ibias.bregman(X, y, alpha=0.5, potential=ibias.Hyperbolic(0.5)), "alpha"),
        (lambda: ibias.bregman(X, y, potential=ibias.NegEntropy(), w0=-np.ones(X.shape[1])), "w0"),
        (lambda: ibias.bregman(X, y, shape=0.5, w0=np.ones(X.shape[1])), "w0"),
        (lambda: ibias.bregman(X, y, potential=ibias.NegEntropy(), shape=0.5), "shape"),
        (lambda: ibias.bregman(X, y, u0=np.ones(X.shape[1])), "u0/v0"),
        (lambda: ibias.min_l1(X, y, method="simplex"), "method"),
        (lambda: ibias.max_margin(X, np.sign(y), norm="l7"), "norm"),
    ]:
        with pytest.raises(ValueError, match=word):
            call()
    # shape s: the hyperbolic entropy with c = 2u0v0 from w0 = u0² − v0², as the explicit form gives it.
    a, s, d = 0.3, 0.5, X.shape[1]
    u0, v0 = np.full(d, a * np.sqrt((1 - s) / (1 + s))), np.full(d, a * np.sqrt((1 + s) / (1 - s)))
    by_shape = ibias.bregman(X, y, alpha=a, shape=s).w
    by_uv = ibias.bregman(X, y, u0=u0, v0=v0).w
    by_object = ibias.bregman(X, y, potential=ibias.Hyperbolic(scales=2 * u0 * v0), w0=u0**2 - v0**2).w
    assert np.max(np.abs(by_shape - by_uv)) < 1e-9 and np.max(np.abs(by_uv - by_object)) < 1e-9


def test_negative_counts_raise_value_error_naming_the_keyword(ex2):
    """A negative count, size or seed is a ``ValueError`` naming the keyword (PyO3 raised ``OverflowError``)."""
    X, y, _ = ex2
    for call, word in [
        (lambda: ibias.gd(X, y, max_iter=-1), "max_iter"),
        (lambda: ibias.md(X, y, batch=-2), "batch"),
        (lambda: ibias.sign_gd(X, y, max_iter=-5), "max_iter"),
        (lambda: ibias.lasso_path(X, y, n_lambdas=-3), "n_lambdas"),
        (lambda: ibias.generate("ex2", seed=-1), "seed"),
        (lambda: ibias.gd(X, y, checkpoints=2**70), "checkpoints"),
    ]:
        with pytest.raises(ValueError, match=word):
            call()
    assert ibias.gd.__name__ == "gd" and "Gradient descent" in ibias.gd.__doc__
