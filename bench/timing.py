"""Timing helper shared by the benchmark scripts (imported from the script's own folder)."""
import time


def timed(f, reps=1):
    """Calls f `reps` times; returns its last result and the wall time of each call (seconds)."""
    ts, out = [], None
    for _ in range(reps):
        t = time.perf_counter()
        out = f()
        ts.append(time.perf_counter() - t)
    return out, ts
