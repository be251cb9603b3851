"""The front door and separable classification from Python: one library request behind the CLI and Python (the
same results field by field), the registry's methods as functions, certified max-margin classifiers."""

import json
import subprocess

import numpy as np
import pytest

import ibias
from conftest import cli_binary, write_csv


def separable(n=30, d=10, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    y = np.sign(X @ rng.standard_normal(d))
    return X, y


# (data, method, CLI flags, Python keywords): the same request through the doors. The sweep-spec door takes every
# request whose parameters are axes of a spec (not momentum, flows, or the Euclidean and entropy potentials of md).
REQUESTS = [
    ("ls", "gd", [], {}),
    ("ls", "md", [], {}),
    ("ls", "md", ["--alpha", "0.1"], {"alpha": 0.1}),
    ("ls", "md", ["--potential", "euclidean"], {"potential": ibias.Euclidean()}),
    ("ls", "md", ["--potential", "entropy", "--alpha", "0.5"], {"potential": ibias.NegEntropy(), "alpha": 0.5}),
    ("ls", "md", ["--potential", "depth", "--depth", "3", "--alpha", "0.5", "--eta", "0.01"],
     {"potential": ibias.Depth(3, 0.5), "eta": 0.01}),
    ("ls", "eg", ["--alpha", "0.5"], {"alpha": 0.5}),
    ("ls", "eg", ["--alpha", "0.5", "--eta", "0.1"], {"alpha": 0.5, "eta": 0.1}),
    ("ls", "reparam", ["--alpha", "0.1"], {"alpha": 0.1}),
    ("ls", "reparam", ["--alpha", "0.1", "--shape", "0.5"], {"alpha": 0.1, "shape": 0.5}),
    ("ls", "reparam", ["--alpha", "0.5", "--depth", "3"], {"alpha": 0.5, "depth": 3}),
    ("ls", "reparam", ["--alpha", "0.1", "--batch", "5", "--seed", "2", "--eta", "0.01"],
     {"alpha": 0.1, "batch": 5, "seed": 2, "eta": 0.01}),
    ("ls", "azulay", ["--alpha", "0.3"], {"alpha": 0.3}),
    ("ls", "gd", ["--momentum", "0.5"], {"momentum": 0.5}),
    ("ls", "gd", ["--batch", "5", "--eta", "0.01", "--seed", "3"], {"batch": 5, "eta": 0.01, "seed": 3}),
    ("ls", "md", ["--flow", "--alpha", "0.5", "--t-max", "10"], {"flow": True, "alpha": 0.5, "t_max": 10.0}),
    ("ls", "eg", ["--flow", "--t-max", "10"], {"flow": True, "t_max": 10.0}),
    ("ls", "reparam", ["--flow", "--alpha", "0.3", "--t-max", "10"], {"flow": True, "alpha": 0.3, "t_max": 10.0}),
    ("ls", "sign_gd", [], {}),
    ("ls", "sign_gd", ["--eta", "0.0005"], {"eta": 0.0005}),
    ("ls", "normalized_gd", ["--eta", "0.05"], {"eta": 0.05}),
    ("cls", "gd", ["--loss", "logistic"], {"loss": "logistic"}),
    ("cls", "gd", ["--loss", "logistic", "--eta", "0.5"], {"loss": "logistic", "eta": 0.5}),
    ("cls", "reparam", ["--loss", "logistic", "--alpha", "0.1"], {"loss": "logistic", "alpha": 0.1}),
    ("cls", "reparam", ["--loss", "exponential", "--alpha", "1", "--eta", "0.05"],
     {"loss": "exponential", "alpha": 1.0, "eta": 0.05}),
    ("cls", "md", ["--loss", "exponential", "--alpha", "0.1", "--eta", "0.1"], {"loss": "exponential", "alpha": 0.1, "eta": 0.1}),
    ("cls", "sign_gd", ["--loss", "logistic"], {"loss": "logistic"}),
    ("cls", "normalized_gd", ["--loss", "exponential", "--eta", "0.1"], {"loss": "exponential", "eta": 0.1}),
    ("cls", "normalized_gd", ["--loss", "logistic", "--eta", "0.2"], {"loss": "logistic", "eta": 0.2}),
    ("cls", "gd", ["--loss", "exponential", "--batch", "4", "--eta", "0.1", "--seed", "2"],
     {"loss": "exponential", "batch": 4, "eta": 0.1, "seed": 2}),
    # Every geometry on a classification loss: EG, other potentials, depth, shape, mini-batches of md.
    ("cls", "eg", ["--loss", "logistic", "--alpha", "0.5", "--eta", "0.5"], {"loss": "logistic", "alpha": 0.5, "eta": 0.5}),
    ("cls", "md", ["--loss", "logistic", "--potential", "entropy", "--alpha", "0.5"],
     {"loss": "logistic", "potential": ibias.NegEntropy(), "alpha": 0.5}),
    ("cls", "reparam", ["--loss", "logistic", "--alpha", "0.3", "--depth", "3", "--eta", "0.5"],
     {"loss": "logistic", "alpha": 0.3, "depth": 3, "eta": 0.5}),
    ("cls", "reparam", ["--loss", "exponential", "--alpha", "0.2", "--shape", "0.5"],
     {"loss": "exponential", "alpha": 0.2, "shape": 0.5}),
    ("cls", "md", ["--loss", "logistic", "--alpha", "0.1", "--batch", "5", "--seed", "1"],
     {"loss": "logistic", "alpha": 0.1, "batch": 5, "seed": 1}),
    ("cls", "md", ["--loss", "exponential", "--potential", "pnorm", "--p", "3", "--eta", "0.2"],
     {"loss": "exponential", "potential": ibias.PNorm(3), "eta": 0.2}),
]

FIELDS = ("algorithm", "loss", "potential", "alpha", "step_rule", "iterations", "stop_reason", "eta_first", "risk", "w")
# What a sweep row holds of a run (its `method` column is the run's `algorithm`).
SWEEP_FIELDS = ("loss", "potential", "alpha", "step_rule", "iterations", "stop_reason", "risk", "w")


def spec_axes(method, flags, kw, alpha):
    """The [axes] of a one-run spec making the request `kw`, or None where a spec cannot express it."""
    if {"momentum", "flow"} & set(kw):
        return None
    axes = {"method": [method], "alpha": [alpha if alpha is not None else 1.0]}
    pot = kw.get("potential")
    if pot is not None:
        if pot.kind != "depth":
            return None
        axes["depth"] = [int(flags[flags.index("--depth") + 1])]
    for key, axis in (("eta", "eta"), ("depth", "depth"), ("shape", "shape"), ("batch", "batch"),
                      ("seed", "sgd_seed"), ("loss", "loss")):
        if key in kw:
            axes[axis] = [str(kw[key])] if key == "eta" else [kw[key]]
    return axes


def sweep_door(tmp_path, name, data, axes):
    """Runs a one-run spec with the CLI (`sweep run`, `sweep merge`) and returns its row."""
    toml = "[problem]\ndata = [%s]\n[axes]\n" % json.dumps(data)
    for k, v in axes.items():
        toml += f"{k} = {json.dumps(v)}\n"
    toml += "[stop]\ntol = 0.0\nmax_iter = 200\n[record]\nw = true\n"
    spec = tmp_path / f"{name}.toml"
    spec.write_text(toml)
    out, merged = tmp_path / f"{name}-out", tmp_path / f"{name}.jsonl"
    subprocess.run([cli_binary(), "sweep", "run", str(spec), "--out", str(out)], check=True, capture_output=True)
    subprocess.run([cli_binary(), "sweep", "merge", str(out), "-o", str(merged)], check=True, capture_output=True)
    (row,) = [json.loads(line) for line in merged.read_text().splitlines()]
    return row


def test_the_cli_python_and_sweep_spec_doors_give_the_same_results_field_by_field(ex2, cli, tmp_path):
    X, y, _ = ex2
    Xc, yc = separable()
    files = {"ls": write_csv(tmp_path / "ls.csv", X, y), "cls": write_csv(tmp_path / "cls.csv", Xc, yc)}
    data = {"ls": (X, y), "cls": (Xc, yc)}
    assert len(REQUESTS) >= 20
    through_specs = 0
    for i, (kind, method, flags, kw) in enumerate(REQUESTS):
        c = cli("run", method, "--data", files[kind], "--max-iter", "200", "--tol", "0", *flags, "--json")
        p = ibias.run(*data[kind], method=method, max_iter=200, tol=0.0, **kw).to_dict()
        for f in FIELDS:
            assert c[f] == p[f], f"{method} {flags}: field {f}: CLI {c[f]!r} vs Python {p[f]!r}"
        axes = spec_axes(method, flags, kw, c["alpha"])
        if axes is None:
            continue
        through_specs += 1
        s = sweep_door(tmp_path, f"r{i}", files[kind], axes)
        assert s["method"] == c["algorithm"], f"{method} {flags}: method {s['method']!r} vs {c['algorithm']!r}"
        for f in SWEEP_FIELDS:
            assert s[f] == c[f], f"{method} {flags}: field {f}: sweep spec {s[f]!r} vs CLI {c[f]!r}"
    assert through_specs >= 20


def test_registered_methods_are_python_functions_with_the_library_defaults():
    X, y = separable()
    names = [m for m, _ in ibias.methods()]
    assert {"gd", "md", "reparam", "sign_gd", "normalized_gd", "coordinate_descent"} <= set(names)
    for name in [m for m in names if m not in ("gd", "md", "reparam", "azulay", "eg")]:
        f = getattr(ibias, name)
        assert name in ibias.__all__ and f.__doc__
        if name in ("factored", "factored_psd", "spectral_md"):  # matrix sensing: least squares only (test_matrices)
            with pytest.raises(ValueError, match="least-squares"):
                f(X, y, loss="logistic", max_iter=50, tol=0.0)
            continue
        r = f(X, y, loss="logistic", max_iter=50, tol=0.0)
        assert r.algorithm == name and r.to_dict()["step_rule"] == "safe" and r.risk < np.log(2)
    # Parameters are named by their keywords; a meaningless one is refused, not ignored.
    with pytest.raises(ValueError, match="alpha"):
        ibias.md(X, y, potential=ibias.Euclidean(), alpha=0.5)
    with pytest.raises(ValueError, match="alpha"):
        ibias.sign_gd(X, y, alpha=0.5)
    with pytest.raises(ValueError, match="labels"):
        ibias.gd(X, y + 1.0, loss="logistic")
    with pytest.raises(ValueError, match="complex"):
        ibias.gd(X.astype(complex), y)
    with pytest.raises(ValueError, match="unknown method"):
        ibias.run(X, y, method="newton")


def test_max_margin_is_certified_and_equals_the_cli(cli, tmp_path):
    X, y = separable()
    f = write_csv(tmp_path / "cls.csv", X, y)
    for norm, p, unit in [("l2", None, 2), ("l1", None, 1), ("linf", None, np.inf), ("lp", 3.0, 3)]:
        m = ibias.max_margin(X, y, norm=norm, p=p)
        args = ["solve", "max-margin", "--norm", norm, "--data", f] + (["--p", "3"] if p else [])
        c = cli(*args, "--json")
        assert np.array_equal(m["w"], np.array(c["w"])) and m["margin"] == c["margin"]
        assert abs(np.linalg.norm(m["w"], unit) - 1) < 1e-12
        assert abs(np.min(y * (X @ m["w"])) - m["margin"]) <= 1e-12 * m["margin"]
        assert m["certificate"]["duality_gap_rel"] <= 1e-8
        # An independent check: scikit-learn-free, the margin beats 5,000 random unit directions.
        rng = np.random.default_rng(1)
        V = rng.standard_normal((5000, X.shape[1]))
        V /= np.linalg.norm(V, unit, axis=1, keepdims=True)
        assert np.max(np.min(y[None, :] * (V @ X.T), axis=1)) <= m["margin"] * (1 + 1e-9)
    # GD's direction tends to the ℓ2 max-margin one (slowly, ~1/log t); normalised GD gets there fast.
    w2 = ibias.max_margin(X, y)["w"]
    r = ibias.normalized_gd(X, y, loss="exponential", eta=0.1, max_iter=100_000, tol=0.0)
    assert np.linalg.norm(r.w / np.linalg.norm(r.w) - w2) < 5e-3
    # Not separable: an InfeasibleError naming the conflicting rows; the separability test's certificate.
    Xn = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])
    yn = np.ones(3)
    with pytest.raises(ibias.InfeasibleError, match="not linearly separable"):
        ibias.max_margin(Xn, yn)
    s = ibias.separability(Xn, yn)
    assert s["separable"] is False and s["conflicting_rows"] == [0, 1]
    assert ibias.separability(X, y)["separable"] is True
    with pytest.raises(ValueError, match="p"):
        ibias.max_margin(X, y, norm="lp")


def test_sweeps_take_registered_methods_and_losses_from_python(tmp_path):
    X, y = separable()
    f = write_csv(tmp_path / "cls.csv", X, y)
    spec = tmp_path / "cls.toml"
    spec.write_text(
        f'[problem]\ndata = ["{f}"]\n[axes]\nmethod = ["gd", "normalized_gd", "reparam"]\nalpha = [0.1]\n'
        'eta = ["0.1"]\nloss = ["exponential"]\n[stop]\ntol = 0.0\nmax_iter = 2000\n'
    )
    assert len(ibias.sweep_plan(str(spec))["runs"]) == 3
    ibias.sweep_run(str(spec), str(tmp_path / "out"))
    rows = ibias.sweep_merge(str(tmp_path / "out")).to_pandas()
    assert list(rows["method"]) == ["gd", "normalized_gd", "reparam"]
    assert rows["alpha"].isna().tolist() == [True, True, False]
    assert (rows["loss"] == "exponential").all() and rows["margin_gap_rel"].notna().all()
    # Each row's loss is the front door's: the same run from Python gives the same final loss, bit for bit.
    for m, a in (("gd", None), ("normalized_gd", None), ("reparam", 0.1)):
        kw = {} if a is None else {"alpha": a}
        r = ibias.run(X, y, method=m, loss="exponential", eta=0.1, max_iter=2000, tol=0.0, **kw)
        assert rows.loc[rows["method"] == m, "risk"].item() == r.risk
    # The grid sweep takes them too, with the library's default step rule when none is given.
    g = ibias.sweep(method="sign_gd", alphas=[1.0], max_iter=100, tol=0.0)
    assert g["step_rule"] == ["safe"] and g["method"] == ["sign_gd"]
    assert ibias.sweep(method="md", alphas=[1.0], max_iter=10)["step_rule"] == ["lbfgs"]


def test_badly_scaled_data_raise_value_error_with_what_to_do():
    X = np.array([[1e-310, 2e-310], [3e-310, 1e-310]])
    y = np.array([1e-310, 2e-310])
    with pytest.raises(ValueError, match="rescale"):
        ibias.min_l2(X, y)
    with pytest.raises(ValueError, match="rescale"):
        ibias.gd(X * 1e300 * 1e300 * 1e10, y)


def test_classification_generators_from_python(tmp_path):
    """``ibias.generate`` draws the classification presets and ``margin`` data: labels ±1, separable by the planted
    teacher with at least the margin (checked here with NumPy), the same bits as ``ibias data gen``; a spec sweeps
    them from Python."""
    for preset, gamma in [("toy", 0.2), ("teacher", 0.1), ("sparse_teacher", 0.1)]:
        X, y, w = ibias.generate(preset, seed=4)
        assert set(np.unique(y)) <= {-1.0, 1.0}
        assert np.min(y * (X @ w) / np.linalg.norm(w)) >= gamma
        assert ibias.max_margin(X, y)["margin"] >= gamma * (1 - 1e-9)
    X, y, w = ibias.generate(n=30, d=3, margin=0.4, seed=2)
    assert np.min(y * (X @ w) / np.linalg.norm(w)) >= 0.4
    for kw, word in [(dict(n=5, d=2, margin=9.0), "margin"), (dict(n=5, d=2, margin=0.1, noise=1.0), "noise"),
                     (dict(preset="toy", margin=0.1), "margin")]:
        with pytest.raises(ValueError, match=word):
            ibias.generate(**kw)
    spec = tmp_path / "spec.toml"
    spec.write_text('[problem]\npreset = "sparse_teacher"\nseeds = [0]\n[axes]\nmethod = ["gd", "md", "coordinate_descent"]\n'
                    'alpha = [0.1]\n'
                    'loss = ["exponential"]\neta = ["0.5"]\n[stop]\nmax_iter = 3000\ntol = 0.0\n')
    ibias.sweep_run(str(spec), str(tmp_path / "out"))
    rows = ibias.sweep_merge(str(tmp_path / "out")).to_pandas()
    assert sorted(rows["method"]) == ["coordinate_descent", "gd", "md"] and (rows["margin_gap_rel"] > 0).all()


def test_soudry_asymptotics_and_the_log_time_flow_from_python():
    """`ibias.soudry` (NumPy out) against gradient flow integrated in log time through `ibias.run(..., flow=True)`:
    the residual w(t) − ŵ ln t reaches w̃ on the 2-D toy (both support vectors span ℝ²); a duplicated support vector
    is refused (w̃ not unique), and so is a horizon past 1e300, by keyword."""
    X, y, _ = ibias.generate(preset="toy", seed=0)
    s = ibias.soudry(X, y)
    assert s["determined"] and isinstance(s["w_tilde"], np.ndarray)
    assert s["certificate"]["min_margin_off_support"] >= 1.0
    r = ibias.run(X, y, method="gd", loss="exponential", flow=True, t_max=1e30, tol=0.0)
    assert r.algorithm == "gd_flow"
    t = r.flow_time
    res = np.asarray(r.w) - s["w_hat"] * np.log(t)
    assert np.linalg.norm(res - s["w_tilde"]) <= 1e-6 * np.linalg.norm(s["w_tilde"])
    with pytest.raises(ValueError, match="t_max"):
        ibias.run(X, y, method="gd", loss="exponential", flow=True, t_max=1e301)
    sv = s["support_vectors"][0]
    Xd, yd = np.vstack([X, X[sv]]), np.append(y, y[sv])
    with pytest.raises(ibias.IbiasError, match="linearly dependent"):
        ibias.soudry(Xd, yd)


def test_sweep_specs_sweep_p_gd_exponents_from_python(tmp_path):
    X, y = separable()
    f = write_csv(tmp_path / "cls.csv", X, y)
    spec = tmp_path / "pgd.toml"
    spec.write_text(
        f'[problem]\ndata = ["{f}"]\n[axes]\nmethod = ["md"]\nalpha = [0.1, 1.0]\np = [1.5, 3.0]\n'
        'loss = ["logistic"]\neta = ["0.5"]\n[stop]\ntol = 0.0\nmax_iter = 2000\n'
    )
    assert len(ibias.sweep_plan(str(spec))["runs"]) == 2  # p-GD has no alpha: one run per p
    ibias.sweep_run(str(spec), str(tmp_path / "out"))
    rows = ibias.sweep_merge(str(tmp_path / "out")).to_pandas()
    assert rows["p"].tolist() == [1.5, 3.0] and rows["alpha"].isna().all()
    assert (rows["potential"] == "pnorm").all() and rows["margin_gap_rel"].between(0.0, 1.0).all()
    for p in (1.5, 3.0):
        r = ibias.run(X, y, method="md", potential=ibias.PNorm(p), loss="logistic", eta=0.5, max_iter=2000, tol=0.0)
        assert rows.loc[rows["p"] == p, "risk"].item() == r.risk
    spec.write_text(spec.read_text().replace('method = ["md"]', 'method = ["gd"]'))
    with pytest.raises(ValueError, match=r"\[axes\] p"):
        ibias.sweep_plan(str(spec))
