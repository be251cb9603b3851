"""The exact objects of "beyond the sheet" against the NumPy/SciPy code users would otherwise write, in the
same script, alternating, as ratios (baseline time / ibias time; > 1 means ibias is faster):

- the saddle-to-saddle path (Pesme & Flammarion's Algorithm 1) on a noisy 200 x 2000 problem (hundreds of
  jumps) against the same algorithm with a fresh ``scipy.optimize.nnls`` per jump;
- the Bregman projection (hyperbolic entropy) on Woodworth et al.'s 100 x 1000 data at several alpha against
  a NumPy dual Newton (the same method: Newton on the dual with a Cholesky-free ``np.linalg.solve``).

Each baseline's answer is first checked against ibias' (same jumps and last saddle; same projection), so that
the timings compare two correct programs.

The same solvers are then timed through the Python package in this process (``ibias.saddle_path``,
``ibias.bregman``: the package calls the same Rust code; a ``Problem`` built once, as a notebook would).

    python3 bench/exact_bench.py [--repeat K] [--quick]
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


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    return np.ascontiguousarray(data[:, :-1]), data[:, -1].copy()


def best_of(f, reps):
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def ours(data, alpha, name, quick):
    out = json.loads(run([BIN, "bench", "--data", data, "--alpha", str(alpha), "--only", name, "--json"] + (["--quick"] if quick else [])))
    return next(t["seconds"] for t in out if t["name"] == name)


def alternate(ours_f, base_f, args, inner, name):
    """Times ours_f and base_f alternately (median of `inner` calls each, `args.repeat` times)."""
    o_all, b_all = [], []
    for _ in range(args.repeat):
        o_all.append(best_of(ours_f, inner))
        b_all.append(best_of(base_f, 1 if args.quick else min(inner, 3)))
    return (name, o_all, b_all, [b / o for o, b in zip(o_all, b_all)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    try:
        import ibias  # the Python package (built by maturin into the active environment)
    except ImportError:
        ibias = None
        print("the ibias Python package is not importable here: its rows are skipped")
    subprocess.run(["cargo", "build", "--release", "--quiet"], check=True, cwd=ROOT)
    tmp = tempfile.mkdtemp()
    rows = []
    py_rows = []

    # 1. The saddle path.
    sp = os.path.join(tmp, "saddle.csv")
    run([BIN, "data", "gen", "--n", "200", "--d", "2000", "--sparsity", "10", "--noise", "0.5", "--seed", "0", "-o", sp])
    X, y = load(sp)
    ref = json.loads(run([BIN, "path", "saddle", "--data", sp, "--json"]))
    times, beta = nb.saddle_path(X, y)
    assert len(times) == len(ref["times"]), (len(times), len(ref["times"]))
    assert np.max(np.abs(np.array(times) - ref["times"]) / np.maximum(1, ref["times"])) < 1e-7
    assert np.max(np.abs(beta - np.array(ref["saddles"][-1]))) < 1e-8
    r, b_all, o_all = [], [], []
    for _ in range(args.repeat):
        o = ours(sp, 1.0, "saddle_path", args.quick)
        b = best_of(lambda: nb.saddle_path(X, y), 1 if args.quick else 3)
        r.append(b / o)
        b_all.append(b)
        o_all.append(o)
    rows.append((f"saddle path, 200 x 2000, noise 0.5 ({len(times) - 1} jumps)", o_all, b_all, r))
    if ibias is not None:
        prob = ibias.Problem(X, y)
        got = ibias.saddle_path(prob)
        assert np.max(np.abs(np.array(got["times"]) - ref["times"])) == 0.0
        py_rows.append(alternate(lambda: ibias.saddle_path(prob), lambda: nb.saddle_path(X, y), args, 3,
                                 f"saddle path through Python ({len(times) - 1} jumps)"))
    # Roofline of the path: a jump cannot cost less than the two mat-vecs with X it needs (r = X beta - y and
    # X^T r), measured alone on the same data (`lower_bound_two_matvecs`, memory-bound).
    roof = []
    floor = ours(sp, 1.0, "lower_bound_two_matvecs", args.quick)
    jumps = len(times) - 1
    roof.append((f"saddle path ({jumps} jumps)", f"{jumps} x two mat-vecs with X = {jumps * floor * 1e3:.2f} ms",
                 jumps * floor / statistics.median(o_all)))

    # 2. Bregman projections on Woodworth's data.
    ww = os.path.join(tmp, "woodworth.csv")
    run([BIN, "data", "gen", "--preset", "woodworth", "--seed", "0", "-o", ww])
    X, y = load(ww)
    n, d = X.shape
    # The machine's dense product rate in the same run (faer, 512 x 512, two cores) and the Newton matrix
    # X diag(h) X^T of these data (n^2 d / 2 multiply-adds).
    gemm_rate = 2 * 512**3 / ours(ww, 1.0, "gemm_512", args.quick)
    newton_matrix = ours(ww, 1.0, "newton_matrix", args.quick)
    print(f"GEMM 512 x 512 on two cores: {gemm_rate / 1e9:.1f} GFLOP/s; the Newton matrix {n} x {d}: "
          f"{newton_matrix * 1e3:.3f} ms = {n * n * d / newton_matrix / 1e9:.1f} GFLOP/s")
    for alpha in [1.0, 1e-2, 1e-4]:
        ref = json.loads(run([BIN, "solve", "bregman", "--alpha", str(alpha), "--data", ww, "--json"]))
        w = nb.dual_newton(X, y, 2 * alpha * alpha)
        rel = np.linalg.norm(w - np.array(ref["w"])) / np.linalg.norm(ref["w"])
        assert rel < 1e-8, (alpha, rel)
        r, b_all, o_all = [], [], []
        for _ in range(args.repeat):
            o = ours(ww, alpha, "bregman_projection", args.quick)
            b = best_of(lambda: nb.dual_newton(X, y, 2 * alpha * alpha), 3 if args.quick else 7)
            r.append(b / o)
            b_all.append(b)
            o_all.append(o)
        rows.append((f"Bregman projection, 100 x 1000, alpha = {alpha:g}", o_all, b_all, r))
        if ibias is not None:
            prob = ibias.Problem(X, y)
            got = np.asarray(ibias.bregman(prob, alpha=alpha).w)
            assert np.linalg.norm(got - np.array(ref["w"])) <= 1e-12 * np.linalg.norm(ref["w"])
            py_rows.append(alternate(lambda: ibias.bregman(prob, alpha=alpha), lambda: nb.dual_newton(X, y, 2 * alpha * alpha),
                                     args, 7, f"Bregman projection through Python, alpha = {alpha:g}"))
        # Roofline: dense Newton forms and factors one matrix an iteration plus the final check, (it + 1) x
        # (n^2 d + n^3 / 3) flops, at the GEMM rate.
        it = ref["certificate"]["iterations"]
        useful = (it + 1) * (n * n * d + n**3 / 3)
        roof.append((f"Bregman projection, alpha = {alpha:g} ({it} Newton iterations)",
                     f"{useful / 1e6:.0f} Mflop at the GEMM rate = {useful / gemm_rate * 1e3:.2f} ms",
                     useful / gemm_rate / statistics.median(o_all)))

    print(f"\n{args.repeat} alternating runs; numpy {np.__version__}\n")
    print("| workload | ibias (median) | NumPy/SciPy (median) | speed-up median | speed-up min |")
    print("|---|---|---|---|---|")
    for name, o, b, r in rows:
        print(f"| {name} | {statistics.median(o) * 1e3:.2f} ms | {statistics.median(b) * 1e3:.2f} ms | {statistics.median(r):.1f}x | {min(r):.1f}x |")
    for name, o, b, r in py_rows:
        print(f"| {name} | {statistics.median(o) * 1e3:.2f} ms | {statistics.median(b) * 1e3:.2f} ms | {statistics.median(r):.1f}x | {min(r):.1f}x |")
    print("\n| roofline | the floor | floor / ibias median (1 = at the machine's limit) |")
    print("|---|---|---|")
    for name, floor_text, frac in roof:
        print(f"| {name} | {floor_text} | {frac:.2f} |")


if __name__ == "__main__":
    main()
