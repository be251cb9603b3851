"""Matrix sensing (SPEC §13) against the scripts users would otherwise write, in one process, alternating, as ratios
(baseline time / ibias time; > 1 means ibias is faster):

- the minimum nuclear norm interpolator (symmetric W) against CVXPY with Clarabel (``cp.normNuc``, the same
  relative tolerances 1e-8 for gap and feasibility), at m = 20 with 150 Gaussian measurements of a rank-2 target —
  CVXPY's time includes building the problem, as a script does each call; ibias gets an ``ibias.Problem`` built once;
- one step of GD on U Uᵀ − V Vᵀ at m = 20 (150 measurements) against a NumPy loop of the same steps (``einsum`` for
  𝒜(W) and 𝒜*(r), two m × m products per factor).

Answers are checked equal first: W to 1e-7 (max abs) for the nuclear norm, the GD iterates to 1e-12. Median and
minimum of ``--repeat`` alternating runs. NumPy's OpenBLAS is held to one thread (as in ``margin_bench.py``).

    target/py-test/bin/python bench/matrix_bench.py [--repeat K]
"""
import argparse
import os
import statistics

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import ibias
from timing import timed


def cvxpy_min_nuclear(A, y):
    import cvxpy as cp
    n, m, _ = A.shape
    W = cp.Variable((m, m), symmetric=True)
    cons = [cp.sum(cp.multiply(A[i], W)) == y[i] for i in range(n)]
    prob = cp.Problem(cp.Minimize(cp.normNuc(W)), cons)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-8, tol_gap_rel=1e-8, tol_feas=1e-8)
    return W.value


def numpy_factored(A, y, alpha, eta, steps):
    n, m, _ = A.shape
    U = alpha * np.eye(m)
    V = alpha * np.eye(m)
    W = np.zeros((m, m))
    Af = A.reshape(n, m * m)
    for _ in range(steps):
        r = Af @ W.ravel() - y
        G = (2.0 / n) * (r @ Af).reshape(m, m)
        U, V = U - (eta / 2) * G @ U, V + (eta / 2) * G @ V
        W = U @ U.T - V @ V.T
    return W


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--steps", type=int, default=2000)
    a = ap.parse_args()
    A, y, Wstar = ibias.generate_matrix(m=20, n=150, rank=2, psd=False, seed=0)
    p = ibias.sensing_problem(A, y)
    # Same answers first.
    ours = ibias.min_nuclear(p)
    theirs = cvxpy_min_nuclear(A, y)
    diff = np.abs(ours["W"] - theirs).max()
    print(f"min nuclear: ‖W‖_* ibias {ours['nuclear_norm']:.12f}, max|W_ibias − W_cvxpy| = {diff:.2e}, "
          f"gap (ibias certificate) {ours['certificate']['duality_gap_rel']:.1e}")
    assert diff <= 1e-7, diff
    r = ibias.factored(p, alpha=0.1, eta=0.05, max_iter=50, tol=0)
    w = numpy_factored(A, y, 0.1, 0.05, 50)
    print(f"factored GD: max|W_ibias − W_numpy| after 50 steps = {np.abs(r.matrix - w).max():.2e}")
    assert np.abs(r.matrix - w).max() <= 1e-12
    t_ours, t_cvx, t_gd, t_np = [], [], [], []
    for _ in range(a.repeat):
        t_ours += timed(lambda: ibias.min_nuclear(p))[1]
        t_cvx += timed(lambda: cvxpy_min_nuclear(A, y))[1]
        res, _ = timed(lambda: ibias.factored(p, alpha=0.1, eta=0.05, max_iter=a.steps, tol=0, checkpoints=0))
        t_gd.append(res.wall_seconds / a.steps)
        t_np += [x / a.steps for x in timed(lambda: numpy_factored(A, y, 0.1, 0.05, a.steps))[1]]
    ratios = [c / o for c, o in zip(t_cvx, t_ours)]
    print(f"min nuclear m = 20, n = 150: ibias {statistics.median(t_ours) * 1e3:.1f} ms, CVXPY+Clarabel "
          f"{statistics.median(t_cvx) * 1e3:.1f} ms: ratio median {statistics.median(ratios):.1f}x, min {min(ratios):.1f}x")
    ratios = [b / o for b, o in zip(t_np, t_gd)]
    print(f"factored GD step m = 20, n = 150: ibias {statistics.median(t_gd) * 1e6:.1f} us, NumPy "
          f"{statistics.median(t_np) * 1e6:.1f} us: ratio median {statistics.median(ratios):.1f}x, min {min(ratios):.1f}x")


if __name__ == "__main__":
    main()
