"""What users would otherwise write: NumPy / scikit-learn / SciPy versions of the ibias workloads.

    python3 bench/baselines/numpy_baselines.py DATA.csv ALPHA QUICK

prints one JSON object {name: seconds per unit} for the workloads whose packages are installed, and
{"skipped": {name: reason}} for the others. Timings are medians of repeated batches, like `ibias bench`.
"""
import json
import sys
import time

import numpy as np


def time_per_call(f, batches, min_batch_s):
    f()
    reps = 1
    while True:
        t = time.perf_counter()
        for _ in range(reps):
            f()
        if time.perf_counter() - t >= min_batch_s:
            break
        reps *= 2
    v = []
    for _ in range(batches):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        v.append((time.perf_counter() - t) / reps)
    v.sort()
    return v[len(v) // 2]


def main():
    path, alpha, quick = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1"
    batches, min_s = (3, 0.02) if quick else (7, 0.1)
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    X, y = np.ascontiguousarray(data[:, :-1]), data[:, -1].copy()
    n, d = X.shape
    L = 2 * np.linalg.norm(X, 2) ** 2 / n
    c = 2 * alpha * alpha
    out, skipped = {}, {}
    steps = 2000

    # One mirror-descent step (hyperbolic entropy): two mat-vecs and a sinh, as in the NumPy scripts.
    def md(steps=steps):
        theta = np.zeros(d)
        w = np.zeros(d)
        # The same fixed step as `ibias bench`: the safe rule at w = 0.
        g0 = 2.0 / n * X.T @ (-y)
        eta = min(1.0 / (L * c), 0.5 / np.max(np.abs(g0)))
        for _ in range(steps):
            g = 2.0 / n * X.T @ (X @ w - y)
            theta -= eta * g
            w = c * np.sinh(theta)
        return w

    out["md_step"] = time_per_call(md, batches, min_s) / steps

    def reparam(steps=steps):
        u = np.full(d, alpha)
        v = np.full(d, alpha)
        g0 = 2.0 / n * X.T @ (-y)
        eta = min(1.0 / (L * 2 * alpha * alpha), 0.5 / np.max(np.abs(g0)))
        for _ in range(steps):
            w = u * u - v * v
            g = 2.0 / n * X.T @ (X @ w - y)
            u = u * (1 - eta * g / 2)
            v = v * (1 + eta * g / 2)
        return u

    out["reparam_step"] = time_per_call(reparam, batches, min_s) / steps

    def gd(steps=steps):
        w = np.zeros(d)
        for _ in range(steps):
            w -= 0.5 / L * (2.0 / n * X.T @ (X @ w - y))
        return w

    out["gd_step"] = time_per_call(gd, batches, min_s) / steps

    def eg(steps=steps):
        w = np.ones(d)
        for _ in range(steps):
            w = w * np.exp(-0.5 / L * (2.0 / n * X.T @ (X @ w - y)))
        return w

    out["eg_step"] = time_per_call(eg, batches, min_s) / steps

    # SGD on w with a fixed step, one sample (or 10) per step from a permutation, as a NumPy loop.
    eta_s = 0.1 / (L * d)
    rng = np.random.default_rng(0)

    def sgd(b, steps=20 * steps):
        w = np.zeros(d)
        perm = rng.permutation(n)
        pos = 0
        for _ in range(steps):
            if pos + b > n:
                perm = rng.permutation(n)
                pos = 0
            idx = perm[pos:pos + b]
            pos += b
            Xb = X[idx]
            w -= eta_s * (2.0 / b) * (Xb.T @ (Xb @ w - y[idx]))
        return w

    out["sgd_step_b1"] = time_per_call(lambda: sgd(1), batches, min_s) / (20 * steps)
    if n >= 10:
        out["sgd_step_b10"] = time_per_call(lambda: sgd(10), batches, min_s) / (20 * steps)
    out["min_l2"] = time_per_call(lambda: np.linalg.pinv(X) @ y, batches, min_s)

    try:
        from sklearn.linear_model import lars_path, lasso_path

        out["lasso_exact_path"] = time_per_call(lambda: lars_path(X, y, method="lasso"), batches, min_s)
        lam_max = 2 * np.max(np.abs(X.T @ y)) / n
        grid = np.geomspace(lam_max, lam_max * 1e-3, 100)
        out["lasso_grid_100"] = time_per_call(lambda: lasso_path(X, y, alphas=grid / 2, tol=1e-10), batches, min_s)
    except ImportError as e:
        skipped["lasso_exact_path"] = skipped["lasso_grid_100"] = f"scikit-learn missing ({e})"

    if np.linalg.matrix_rank(X) == n:
        try:
            from scipy.optimize import linprog

            A = np.hstack([X, -X])

            def bp():
                res = linprog(np.ones(2 * d), A_eq=A, b_eq=y, bounds=(0, None), method="highs")
                return res.x

            out["basis_pursuit"] = time_per_call(bp, min(batches, 3), min_s)
        except ImportError as e:
            skipped["basis_pursuit"] = f"scipy missing ({e})"
    if np.linalg.matrix_rank(X) == n:
        out["bregman_projection"] = time_per_call(lambda: dual_newton(X, y, c), batches, min_s)
        try:
            from scipy.optimize import nnls  # noqa: F401

            out["saddle_path"] = time_per_call(lambda: saddle_path(X, y), min(batches, 3), min_s)
        except ImportError as e:
            skipped["saddle_path"] = f"scipy missing ({e})"
    print(json.dumps({"timings": out, "skipped": skipped, "numpy": np.__version__}))


def dual_newton(X, y, c, tol=1e-13, max_move=20.0):
    """The Bregman projection for the hyperbolic entropy (scale c) by damped Newton on the dual, as a NumPy
    user would write it: w = c sinh(X^T mu), H = X diag(c cosh) X^T, Armijo on F = sum c cosh(theta) - mu^T y."""
    n, d = X.shape
    mu = np.zeros(n)
    smax = np.linalg.norm(X, 2)
    ny = np.linalg.norm(y)
    for _ in range(500):
        theta = X.T @ mu
        w = c * np.sinh(theta)
        r = X @ w - y
        if np.linalg.norm(r) <= tol * (ny + smax * np.linalg.norm(w)):
            return w
        h = c * np.cosh(theta)
        H = (X * h) @ X.T
        delta = np.linalg.solve(H, -r)
        dth = X.T @ delta
        slope = r @ delta
        t0 = min(1.0, max_move / np.max(np.abs(dth)))
        t = t0
        F0 = np.sum(c * np.cosh(theta)) - mu @ y
        while t > 1e-20:
            F1 = np.sum(c * np.cosh(theta + t * dth)) - (mu + t * delta) @ y
            if F1 - F0 <= 1e-4 * t * slope:
                break
            t *= 0.5
        if t <= 1e-20:
            # F's decrease is below its rounding near the solution: take the (capped) Newton step.
            t = t0
        mu = mu + t * delta
    raise RuntimeError("dual Newton did not converge")


def saddle_path(X, y, tol=1e-11):
    """Pesme & Flammarion's Algorithm 1 as a NumPy/SciPy user would write it: a fresh scipy.optimize.nnls
    per jump on the signed active columns."""
    from scipy.optimize import nnls

    n, d = X.shape
    q = np.zeros(d)
    beta = np.zeros(d)
    gscale = 2.0 / n * np.max(np.abs(X.T @ y))
    times = [0.0]
    tau = 0.0
    xty = np.max(np.abs(X.T @ y))
    colnorm = np.linalg.norm(X, axis=0)
    drift = 0.0
    for _ in range(10 * d + 100):
        g = 2.0 / n * (X.T @ (X @ beta - y))
        if np.max(np.abs(g)) <= tol * gscale:
            return times, beta
        moving = np.abs(g) > tol * gscale
        dl = np.full(d, np.inf)
        dl[moving] = (1.0 + np.sign(g[moving]) * q[moving]) / np.abs(g[moving])
        dl[dl <= 1e-14 * (1 + tau)] = np.inf
        delta = dl.min()
        tau += delta
        q -= delta * g
        # Rounding accumulates in q over the jumps: snap within 1e-12 + 16 eps * sum(delta * |terms of g|)
        # (a fixed 1e-12 loses coordinates after a few hundred jumps and ends on a wrong path).
        # (|x_i . x_j| <= |x_i| |x_j| bounds the terms of g)
        drift += delta * 2.0 / n * (xty + np.abs(beta) @ colnorm * colnorm.max())
        snap = np.abs(np.abs(q) - 1.0) <= 1e-12 + 16 * np.finfo(float).eps * drift
        q[snap] = np.sign(q[snap])
        active = np.flatnonzero(np.abs(q) == 1.0)
        s = q[active]
        z, _ = nnls(X[:, active] * s, y)
        beta = np.zeros(d)
        beta[active] = s * z
        times.append(tau)
    raise RuntimeError("saddle path did not end")


if __name__ == "__main__":
    main()
