"""The Python package against the Rust program, in one process (ratios, repeated; median and minimum):

    python3 bench/python_bench.py [--repeat K]     (with `ibias` installed: pip install ./python)

1. `ibias.md` from Python on 40×100 and 200×2000, runs of ≥ 10 ms: total Python call time / the run's own
   wall time measured inside Rust (the binding's overhead on a long call; target ≤ 1.05).
2. Per-call overhead of a trivial call (one iteration on a prebuilt Problem): Python time minus Rust time
   (target ≤ 20 µs).
3. A Python-level sweep of 27 α on ex2 (`ibias.sweep`) against `ibias sweep md` from the CLI on the same cores
   (target: ratio ≤ 1).
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

import ibias

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("IBIAS_BIN", os.path.join(ROOT, "target", "release", "ibias"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print("| measurement | median | min | target |")
    print("|---|---|---|---|")
    for n, d, k, steps in [(40, 100, 5, 20000), (200, 2000, 10, 300)]:
        X, y, _ = ibias.generate(n=n, d=d, sparsity=k, seed=0)
        P = ibias.Problem(X, y)
        eta = 0.5 / P.smoothness
        ratios = []
        for _ in range(args.repeat * 3):
            t = time.perf_counter()
            r = ibias.md(P, alpha=1.0, eta=eta, tol=0, max_iter=steps, checkpoints=0)
            total = time.perf_counter() - t
            ratios.append(total / r.wall_seconds)
        print(f"| md from Python, {n}×{d}, {steps} steps ({r.wall_seconds * 1e3:.0f} ms in Rust): Python/Rust | {statistics.median(ratios):.3f} | {min(ratios):.3f} | ≤ 1.05 |")
    X, y, _ = ibias.generate("ex2", seed=0)
    P = ibias.Problem(X, y)
    over = []
    for _ in range(args.repeat):
        reps = 2000
        inner = 0.0
        t = time.perf_counter()
        for _ in range(reps):
            r = ibias.md(P, eta=0.01, tol=0, max_iter=1, checkpoints=0)
            inner += r.wall_seconds
        over.append((time.perf_counter() - t - inner) / reps)
    print(f"| per-call overhead of a one-iteration md call on a prebuilt Problem | {statistics.median(over) * 1e6:.1f} µs | {min(over) * 1e6:.1f} µs | ≤ 20 µs |")
    tmp = tempfile.mkdtemp()
    data = os.path.join(tmp, "ex2.csv")
    subprocess.run([BIN, "data", "gen", "--preset", "ex2", "--seed", "0", "-o", data], check=True, capture_output=True)
    ratios, py_t, cli_t = [], [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        cols = ibias.sweep(P, alphas="1e-10:1e3:27")
        a = time.perf_counter() - t
        t = time.perf_counter()
        out = subprocess.run([BIN, "sweep", "md", "--data", data, "--alphas", "1e-10:1e3:27", "--json", "--quiet"], check=True, capture_output=True, text=True)
        b = time.perf_counter() - t
        assert len(json.loads(out.stdout)["rows"]) == len(cols["alpha"]) == 27
        py_t.append(a)
        cli_t.append(b)
        ratios.append(a / b)
    print(f"| sweep of 27 α on ex2: Python {statistics.median(py_t):.2f} s / CLI {statistics.median(cli_t):.2f} s | {statistics.median(ratios):.3f} | {min(ratios):.3f} | ≤ 1 |")


if __name__ == "__main__":
    main()
