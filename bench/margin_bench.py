"""Separable classification against the SciPy / scikit-learn / NumPy code users would otherwise write, in one
process, alternating, as ratios (baseline time / ibias time; > 1 means ibias is faster):

- the l2 maximum margin (hard-margin SVM through the origin) against ``SVC(kernel="linear", C=1e10)``. SVC fits
  an intercept; to compare the same problem both get the symmetrised data {(x, y)} U {(-x, -y)}, whose optimal
  intercept is 0 by symmetry, so SVC's answer is the max-margin direction through the origin;
- the l1 and linf maximum margins against ``scipy.optimize.linprog(method="highs")`` on the LPs
  min 1'(w+ + w-) s.t. X~(w+ - w-) >= 1 and min t s.t. X~w >= 1, |w_j| <= t;
- a logistic-loss GD step (40 x 100) against a NumPy loop of the same steps.

Answers are checked equal first (directions to 1e-8, GD iterates to 1e-10). ibias gets an ``ibias.Problem`` built
once (as a notebook would); its time is the call's. Median and minimum of ``--repeat`` alternating runs.

NumPy's OpenBLAS is held to one thread (``OPENBLAS_NUM_THREADS=1`` unless set): every baseline here is
single-threaded (libsvm, HiGHS, 40 x 100 mat-vecs), each ran as fast or faster so (SVC 60 -> 52 ms, the NumPy GD
step 8.3 -> 6.0 us), and OpenBLAS' idle workers otherwise spin on the two cores ibias' Gram product uses.

    target/py-test/bin/python bench/margin_bench.py [--repeat K] [--n 200] [--d 2000]
"""
import argparse
import os
import statistics

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

import ibias
from timing import timed


def l1_linprog(Xt):
    from scipy.optimize import linprog
    n, d = Xt.shape
    r = linprog(np.ones(2 * d), A_ub=-np.hstack([Xt, -Xt]), b_ub=-np.ones(n), bounds=(0, None), method="highs")
    w = r.x[:d] - r.x[d:]
    return w / np.abs(w).sum()


def linf_linprog(Xt):
    from scipy.optimize import linprog
    n, d = Xt.shape
    c = np.zeros(d + 1)
    c[-1] = 1.0
    eye = np.eye(d)
    A = np.vstack([np.hstack([-Xt, np.zeros((n, 1))]), np.hstack([eye, -np.ones((d, 1))]),
                   np.hstack([-eye, -np.ones((d, 1))])])
    b = np.concatenate([-np.ones(n), np.zeros(2 * d)])
    r = linprog(c, A_ub=A, b_ub=b, bounds=[(None, None)] * d + [(0, None)], method="highs")
    w = r.x[:d]
    return w / np.abs(w).max()


def l2_svc(X, y):
    from sklearn.svm import SVC
    s = SVC(kernel="linear", C=1e10, tol=1e-12).fit(X, y)
    w = s.coef_.ravel()
    return w / np.linalg.norm(w)


def gd_numpy(X, y, eta, steps):
    n = X.shape[0]
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        m = y * (X @ w)
        w -= eta * (X.T @ (-y / (1.0 + np.exp(m)))) / n
    return w


def report(name, base, ours, reps):
    ratios = [b / o for b, o in zip(base, ours)]
    print(f"{name}: ibias median {statistics.median(ours) * 1e3:.4f} ms (min {min(ours) * 1e3:.4f}), baseline median "
          f"{statistics.median(base) * 1e3:.4f} ms (min {min(base) * 1e3:.4f}); ratio median "
          f"{statistics.median(ratios):.1f}x, min {min(ratios):.1f}x ({reps} alternating repeats)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--d", type=int, default=2000)
    args = ap.parse_args()
    X, y, _ = ibias.generate(n=args.n, d=args.d, margin=0.0, seed=0)
    Xt = X * y[:, None]
    Xs, ys = np.vstack([X, -X]), np.concatenate([y, -y])
    p, ps = ibias.Problem(X, y), ibias.Problem(Xs, ys)
    cases = [
        ("l2 max-margin vs SVC(C=1e10), symmetrised 2n x d", lambda: ibias.max_margin(ps, norm="l2")["w"],
         lambda: l2_svc(Xs, ys), 1e-8, 2),
        ("l1 max-margin vs linprog(highs)", lambda: ibias.max_margin(p, norm="l1")["w"], lambda: l1_linprog(Xt), 1e-8,
         1),
        ("linf max-margin vs linprog(highs)", lambda: ibias.max_margin(p, norm="linf")["w"],
         lambda: linf_linprog(Xt), 1e-8, np.inf),
    ]
    print(f"data: n = {args.n}, d = {args.d} (ibias.generate(margin=0.0, seed=0): labels sign<x, w*>)")
    for name, ours_f, base_f, tol, order in cases:
        a, b = ours_f(), base_f()
        err = np.linalg.norm(a - b) / np.linalg.norm(b)
        margin = lambda w: (Xt @ w).min() / np.linalg.norm(w, ord=order)
        short = (margin(a) - margin(b)) / margin(a)
        print(f"{name}: answers agree to {err:.1e} (relative); the baseline's margin is {short:.1e} (relative) below "
              f"ibias' certified one" + ("" if err <= tol else f"  ** above {tol:g} **"))
        ot, bt = [], []
        for _ in range(args.repeat):
            ot += timed(ours_f, 1)[1]
            bt += timed(base_f, 1)[1]
        report(name, bt, ot, args.repeat)
    # A logistic GD step at 40 x 100.
    Xg, yg, _ = ibias.generate(n=40, d=100, margin=0.1, seed=1)
    pg = ibias.Problem(Xg, yg)
    steps = 20000
    ours_gd = lambda: ibias.run(pg, method="gd", loss="logistic", eta=0.5, max_iter=steps, tol=0.0, checkpoints=0).w
    base_gd = lambda: gd_numpy(Xg, yg, 0.5, steps)
    a, b = np.asarray(ours_gd()), base_gd()
    print(f"logistic GD, 40 x 100, {steps} steps: iterates agree to {np.linalg.norm(a - b) / np.linalg.norm(b):.1e}")
    ot, bt = [], []
    for _ in range(args.repeat):
        ot += [t / steps for t in timed(ours_gd, 1)[1]]
        bt += [t / steps for t in timed(base_gd, 1)[1]]
    report("logistic GD step (per step)", bt, ot, args.repeat)


if __name__ == "__main__":
    main()
