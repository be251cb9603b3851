"""Matrix sensing from Python (SPEC §13): NumPy in and out (A of shape (n, m, m)), the same answers as the command
line, the commuting identity, clear errors for bad shapes and non-symmetric measurements, and sweep specs over
matrix methods."""

import numpy as np
import pytest

import ibias
from conftest import write_csv


def sensing(seed=3, m=5, n=16, rank=1, psd=True):
    return ibias.generate_matrix(m=m, n=n, rank=rank, psd=psd, seed=seed)


def test_min_nuclear_and_frobenius_equal_the_cli(tmp_path, cli):
    A, y, W = sensing()
    assert A.shape == (16, 5, 5) and W.shape == (5, 5)
    assert np.allclose(np.einsum("ijk,jk->i", A, W), y, atol=1e-14)
    f = write_csv(tmp_path / "s.csv", A.reshape(16, 25), y)
    for psd in (False, True):
        s = ibias.min_nuclear(A, y, psd=psd)
        c = cli("solve", "min-nuclear", *(["--psd"] if psd else []), "--data", f, "--json")
        assert s["W"].shape == (5, 5)
        assert np.array_equal(s["W"], np.array(c["W"]))
        assert s["certificate"]["duality_gap_rel"] <= 1e-8
        # The dual certificate, checked here from its definition: ‖Σλᵢ Aᵢ‖₂ ≤ 1 and yᵀλ = ‖W‖_* up to the gap.
        S = np.einsum("i,ijk->jk", np.array(s["dual"]), A)
        bound = np.linalg.eigvalsh(S).max() if psd else np.abs(np.linalg.eigvalsh(S)).max()
        assert bound <= 1 + 1e-12
        nuc = np.abs(np.linalg.eigvalsh(s["W"])).sum()
        assert abs(nuc - float(np.dot(s["dual"], y))) <= 1e-8 * nuc
    sb = ibias.spectral_bregman(A, y, alpha=0.1)
    A9, y9, _ = ibias.generate_matrix(m=5, n=9, rank=2, psd=False, seed=0)
    flow = ibias.spectral_md(A9, y9, alpha=0.3, flow=True, tol=1e-20)
    assert flow.algorithm == "spectral_md_flow" and flow.converged
    sb9 = ibias.spectral_bregman(A9, y9, alpha=0.3)["W"]
    assert np.linalg.norm(flow.matrix - sb9) <= 1e-8 * np.linalg.norm(sb9)
    assert np.array_equal(sb["W"], np.array(cli("solve", "spectral-bregman", "--alpha", "0.1", "--data", f, "--json")["W"]))
    assert sb["certificate"]["residual_rel"] <= 1e-10
    gl = ibias.greedy_low_rank(A, y)
    c = cli("solve", "greedy-low-rank", "--data", f, "--json")
    assert np.array_equal(gl["W"], np.array(c["W"])) and len(gl["stages"]) == 1 and gl["complete"]
    with pytest.raises(ValueError, match="max_rank"):
        ibias.greedy_low_rank(A, y, max_rank=0)
    fro = ibias.min_frobenius(ibias.sensing_problem(A, y))
    assert np.array_equal(fro["W"], np.array(cli("solve", "min-frobenius", "--data", f, "--json")["W"]))
    assert fro["nuclear_norm"] >= ibias.min_nuclear(A, y)["nuclear_norm"] - 1e-9


def test_matrix_methods_are_functions_and_equal_the_cli(tmp_path, cli):
    A, y, W = sensing()
    f = write_csv(tmp_path / "s.csv", A.reshape(16, 25), y)
    for name in ("factored", "factored_psd", "spectral_md"):
        r = getattr(ibias, name)(A, y, alpha=0.01, eta=0.05, max_iter=200, tol=0)
        c = cli("run", name, "--alpha", "0.01", "--eta", "0.05", "--max-iter", "200", "--tol", "0", "--data", f, "--json")
        assert r.matrix.shape == (5, 5)
        assert np.array_equal(r.matrix, np.array(c["W"])), name
        assert r.spectrum["nuclear_norm"] == c["spectrum"]["nuclear_norm"]
    r = ibias.factored(A, y, alpha=0.01, eta=0.05, depth=3, max_iter=100, tol=0)
    assert r.matrix.shape == (5, 5)


def test_commuting_measurements_give_the_sheets_dynamics():
    A, y, _ = ibias.generate_matrix(m=8, n=5, rank=2, psd=False, measurements="diagonal", seed=1)
    X = np.einsum("ijj->ij", A)
    for mat, vec in (("factored", "reparam"), ("spectral_md", "md")):
        r = ibias.run(A, y, method=mat, alpha=0.1, eta=0.05, max_iter=300, tol=0)
        v = ibias.run(X, y, method=vec, alpha=0.1, eta=0.05, max_iter=300, tol=0)
        assert np.max(np.abs(np.diag(r.matrix) - v.w)) <= 1e-12 * np.max(np.abs(v.w))


def test_bad_measurements_are_refused_by_keyword():
    A, y, _ = sensing()
    B = A.copy()
    B[2, 0, 1] += 1.0
    with pytest.raises(ValueError, match=r"invalid parameter A: measurement 2 \(0-based\) is not symmetric"):
        ibias.min_nuclear(B, y)
    with pytest.raises(ValueError, match="A: each measurement must be m × m"):
        ibias.sensing_problem(np.zeros((3, 2, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="3-dimensional"):
        ibias.sensing_problem(np.zeros((3, 4)), np.zeros(3))
    with pytest.raises(ValueError, match="not a square"):
        ibias.min_nuclear(np.ones((3, 5)), np.ones(3))
    with pytest.raises(ValueError, match="loss"):
        ibias.factored(A, np.sign(y) + (y == 0), loss="logistic")
    with pytest.raises(ibias.CertificateError):
        Ar, yr, _ = ibias.generate_matrix("razin_cohen")
        ibias.min_nuclear(Ar, yr, psd=True)


def test_sweep_specs_sweep_matrix_methods(tmp_path):
    A, y, _ = sensing()
    f = write_csv(tmp_path / "s.csv", A.reshape(16, 25), y)
    spec = tmp_path / "spec.toml"
    spec.write_text(f'[problem]\ndata = ["{f}"]\n[axes]\nmethod = ["factored", "spectral_md"]\nalpha = [0.01, 0.1]\n'
                    'eta = ["0.05"]\n[stop]\nmax_iter = 3000\ntol = 1e-20\n')
    out = str(tmp_path / "out")
    ibias.sweep_run(str(spec), out)
    cols = ibias.sweep_merge(out)
    assert len(cols["run_id"]) == 4
    for method, alpha, nuc in zip(cols["method"], cols["alpha"], cols["nuclear_norm"]):
        r = ibias.run(A, y, method=method, alpha=alpha, eta=0.05, max_iter=3000, tol=1e-20)
        assert nuc == pytest.approx(r.spectrum["nuclear_norm"], rel=1e-12)
    assert all(g > -1e-8 for g in cols["nuclear_gap_rel"])
