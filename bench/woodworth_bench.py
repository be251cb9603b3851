"""Woodworth et al. (2020), Figure 1, panels (a)-(c), as a NumPy user would compute them (a cold dual-Newton
Bregman projection per point, the same alpha grid, the same downward scan and bisection for panel (c)),
against `ibias woodworth` with the same configuration, in the same script, alternating, as ratios.

The NumPy answers are checked against ibias' (population errors of panel (a) to 1e-8 relative; alpha* of
panel (c) to the bisection's resolution) before any timing is reported.

    python3 bench/woodworth_bench.py [--seeds S] [--repeat K]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "ibias")
sys.path.insert(0, os.path.join(ROOT, "bench", "baselines"))
import numpy_baselines as nb  # noqa: E402


def panels(datasets, cfg):
    """Panels (a)-(c) in NumPy; returns per-seed population-error curves and alpha* per (seed, n)."""
    alphas = np.geomspace(cfg["alpha_min"], cfg["alpha_max"], cfg["n_alphas"])
    curves, stars = [], []
    for X, y, w_star in datasets:
        Xa, ya = X[: cfg["n"]], y[: cfg["n"]]
        curves.append([np.sum((nb.dual_newton(Xa, ya, 2 * a * a) - w_star) ** 2) for a in alphas])
        for n in cfg["n_grid"]:
            Xn, yn = X[:n], y[:n]
            err = lambda a: np.sum((nb.dual_newton(Xn, yn, 2 * a * a) - w_star) ** 2)  # noqa: E731
            star, above = float("nan"), None
            for a in alphas[::-1]:
                if err(a) <= cfg["target_error"]:
                    if above is None:
                        star = a
                        break
                    lo, hi = np.log(a), np.log(above)
                    for _ in range(cfg["bisection_steps"]):
                        mid = 0.5 * (lo + hi)
                        if err(np.exp(mid)) <= cfg["target_error"]:
                            lo = mid
                        else:
                            hi = mid
                    star = float(np.exp(lo))
                    break
                above = a
            stars.append(star)
    return curves, stars


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], check=True, cwd=ROOT)
    tmp = tempfile.mkdtemp()
    cfg = {
        "d": 1000, "sparsity": 5, "noise": 0.1, "n": 100, "n_grid": [30, 40, 50, 60, 70, 80, 100, 120, 150, 200],
        "seeds": args.seeds, "first_seed": 0, "alpha_min": 1e-6, "alpha_max": 10.0, "n_alphas": 29,
        "target_error": 0.025, "bisection_steps": 8,
    }
    toml = os.path.join(tmp, "ww.toml")
    with open(toml, "w") as f:
        f.write("[woodworth]\n")
        for k, v in cfg.items():
            f.write(f"{k} = {json.dumps(v)}\n")
    # The same datasets: ibias writes each seed's data (n_max rows) so that NumPy reads identical numbers.
    datasets = []
    n_max = max(cfg["n_grid"] + [cfg["n"]])
    for s in range(args.seeds):
        path = os.path.join(tmp, f"s{s}.csv")
        run = [BIN, "data", "gen", "--n", str(n_max), "--d", "1000", "--sparsity", "5", "--entries", "constant",
               "--noise", "0.1", "--seed", str(s), "-o", path, "--wstar-out", path + ".wstar"]
        subprocess.run(run, check=True, capture_output=True, cwd=ROOT)
        data = np.loadtxt(path, delimiter=",", skiprows=1)
        w_star = np.loadtxt(path + ".wstar")
        datasets.append((np.ascontiguousarray(data[:, :-1]), data[:, -1].copy(), w_star))

    def ours():
        out = subprocess.run([BIN, "woodworth", "--config", toml, "--json", "--quiet"], check=True,
                             capture_output=True, text=True, cwd=ROOT).stdout
        return json.loads(out)

    ref = ours()
    curves, stars = panels(datasets, cfg)
    for c, rc in zip(curves, ref["curves"]):
        assert np.max(np.abs(np.array(c) - rc["population_error"]) / np.array(c)) < 1e-8
    ref_stars = [r["alpha_star"] for r in ref["sample_complexity"]]
    for a, b in zip(stars, ref_stars):
        assert (np.isnan(a) and b is None) or abs(np.log(a / b)) < 0.01, (a, b)
    ratios, t_ours, t_np = [], [], []
    for _ in range(args.repeat):
        o = ours()["wall_seconds"]
        t = time.perf_counter()
        panels(datasets, cfg)
        b = time.perf_counter() - t
        ratios.append(b / o)
        t_ours.append(o)
        t_np.append(b)
    print(f"\nWoodworth Figure 1, panels (a)-(c), d = 1000, {args.seeds} seeds, {args.repeat} alternating runs "
          f"(numpy {np.__version__})\n")
    print("| ibias median (min) | NumPy dual Newton median (min) | speed-up median | speed-up min | "
          "NumPy's fastest run / ibias median |")
    print("|---|---|---|---|---|")
    print(f"| {statistics.median(t_ours):.2f} s ({min(t_ours):.2f} s) | {statistics.median(t_np):.2f} s "
          f"({min(t_np):.2f} s) | {statistics.median(ratios):.1f}x | {min(ratios):.1f}x | "
          f"{min(t_np) / statistics.median(t_ours):.1f}x |")


if __name__ == "__main__":
    main()
