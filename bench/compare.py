"""Side-by-side benchmark: ibias against the NumPy / scikit-learn / SciPy code users would otherwise write,
on the same data, in the same run, as ratios (baseline time / ibias time; > 1 means ibias is faster).

    python3 bench/compare.py [--quick] [--repeat K]

Builds ibias (release), generates the two datasets of the issue (40x100 and 200x2000, seeded), runs
`ibias bench` and bench/baselines/numpy_baselines.py alternately K times, and prints the median of each ratio
(and the minimum), plus each kernel's distance to ibias' own lower bound (the two mat-vecs alone).
A baseline whose Python packages are missing is skipped with a message.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "ibias")


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--alpha", type=float, default=1.0)
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], check=True, cwd=ROOT)
    try:
        import numpy  # noqa: F401
    except ImportError:
        print("numpy is missing: no baseline can run (pip install numpy scikit-learn scipy)")
        sys.exit(0)
    tmp = tempfile.mkdtemp()
    sizes = [(40, 100, 5), (200, 2000, 10)]
    for n, d, k in sizes:
        data = os.path.join(tmp, f"x{n}x{d}.csv")
        run([BIN, "data", "gen", "--n", str(n), "--d", str(d), "--sparsity", str(k), "--seed", "0", "-o", data])
        ratios, ours_all, base_all, trait = {}, {}, {}, {}
        skipped = {}
        for _ in range(args.repeat):
            ours = {t["name"]: t["seconds"] for t in json.loads(run([BIN, "bench", "--data", data, "--alpha", str(args.alpha), "--json"] + (["--quick"] if args.quick else [])))}
            base = json.loads(run([sys.executable, os.path.join(ROOT, "bench", "baselines", "numpy_baselines.py"), data, str(args.alpha), "1" if args.quick else "0"]))
            skipped.update(base["skipped"])
            # The loss-generic (Datafit) steps are compared with the same NumPy step as the dedicated kernels.
            pairs = [(name, name) for name in base["timings"]]
            pairs += [(f"datafit_{name}", name) for name in base["timings"] if f"datafit_{name}" in ours]
            for name, bname in pairs:
                b = base["timings"][bname]
                if name in ours:
                    ratios.setdefault(name, []).append(b / ours[name])
                    ours_all.setdefault(name, []).append(ours[name])
                    base_all.setdefault(name, []).append(b)
            for name in ours:
                if name.startswith("datafit_") and name[8:] in ours:
                    trait.setdefault(name, []).append(ours[name] / ours[name[8:]])
            for name in ours:
                ours_all.setdefault(name, []).append(ours[name]) if name not in base["timings"] else None
        lb = statistics.median(ours_all.get("lower_bound_two_matvecs", [float("nan")]))
        print(f"\n## {n} x {d} (alpha = {args.alpha}, {args.repeat} runs; numpy {base.get('numpy', '?')})\n")
        print("| workload | ibias (median) | baseline (median) | speed-up median | speed-up min | ibias / lower bound |")
        print("|---|---|---|---|---|---|")
        for name in ratios:
            o = statistics.median(ours_all[name])
            b = statistics.median(base_all[name])
            rel = f"{o / lb:.2f}" if name.endswith("_step") else ""
            print(f"| {name} | {o * 1e6:.2f} µs | {b * 1e6:.2f} µs | {statistics.median(ratios[name]):.1f}x | {min(ratios[name]):.1f}x | {rel} |")
        print(f"| lower_bound_two_matvecs | {lb * 1e6:.2f} µs | | | | 1.00 |")
        for name in ours_all:
            if name not in ratios and name != "lower_bound_two_matvecs":
                print(f"| {name} | {statistics.median(ours_all[name]) * 1e6:.2f} µs | (no baseline) | | | |")
        if trait:
            print("\n| loss-generic step (Datafit) | / dedicated step, median | min | max |")
            print("|---|---|---|---|")
            for name, r in trait.items():
                print(f"| {name} | {statistics.median(r):.2f} | {min(r):.2f} | {max(r):.2f} |")
        for name, why in skipped.items():
            print(f"skipped {name}: {why}")


if __name__ == "__main__":
    main()
