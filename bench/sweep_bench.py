"""Sharding cost of a sweep specification: the same spec run as one process and as N shards run one after the
other (as N array tasks would, each with the same threads), in the same script, alternating, repeated. Reports
the ratio (sum of the shards' wall times) / (one process's wall time): the work sharding adds (each task
regenerates the datasets and computes the reference solutions of its datasets). Also checks that the two merged
tables are identical but for wall_seconds before timing anything else.

    python3 bench/sweep_bench.py [--spec examples/woodworth-fig1c.toml] [--shards 4] [--threads 2] [--repeat 3]
"""
import argparse
import csv
import os
import shutil
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "ibias")


def run(*args):
    subprocess.run([BIN, *args], check=True, stdout=subprocess.DEVNULL)


def timed_single(spec, out, threads):
    t = time.perf_counter()
    run("sweep", "run", spec, "--out", out, "--threads", str(threads), "--quiet")
    return time.perf_counter() - t


def timed_shards(spec, out, n, threads):
    t = time.perf_counter()
    for k in range(n):
        run("sweep", "run", spec, "--out", out, "--shard", f"{k}/{n}", "--threads", str(threads), "--quiet")
    return time.perf_counter() - t


def table(folder, path):
    run("sweep", "merge", folder, "-o", path)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r.pop("wall_seconds")
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--spec", default=os.path.join(ROOT, "examples", "woodworth-fig1c.toml"))
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ibias-sweep-bench-")
    try:
        ratios, singles, sharded = [], [], []
        for r in range(a.repeat):
            one, many = os.path.join(tmp, f"one{r}"), os.path.join(tmp, f"many{r}")
            s = timed_single(a.spec, one, a.threads)
            m = timed_shards(a.spec, many, a.shards, a.threads)
            if r == 0:
                assert table(one, os.path.join(tmp, "one.csv")) == table(many, os.path.join(tmp, "many.csv")), \
                    "sharded and single-process tables differ"
            singles.append(s)
            sharded.append(m)
            ratios.append(m / s)
            shutil.rmtree(one)
            shutil.rmtree(many)
        print(f"spec {os.path.relpath(a.spec, ROOT)}, {a.shards} shards, {a.threads} threads each, {a.repeat} repeats")
        print(f"one process: median {statistics.median(singles):.2f} s, min {min(singles):.2f} s")
        print(f"{a.shards} shards in sequence: median {statistics.median(sharded):.2f} s, min {min(sharded):.2f} s")
        print(f"ratio shards/one: median {statistics.median(ratios):.3f}, min {min(ratios):.3f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
