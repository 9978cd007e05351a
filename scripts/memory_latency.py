#!/usr/bin/env python3
"""How this machine's memory answers the model's access pattern (docs/TUNING.md).

Two measurements with the same compiled code the model uses:
  - latency of a dependent random read in tables of growing size (a bucket lookup
    whose line was not requested early pays about this);
  - the cost of requesting N random cache lines at once (a burst of prefetches)
    between stretches of arithmetic, against no request at all.

    python scripts/memory_latency.py
"""
import time

import numba
import numpy as np

from paqlstm.primitives.memory import aligned_zeros, prefetch


@numba.njit
def _chase(links, steps):
    i = 0
    for _ in range(steps):
        i = links[i]
    return i


@numba.njit
def _bursts(table, lines, rounds, burst, work):
    x = np.uint64(88172645463325252)
    k = 0
    for _ in range(rounds):
        for _ in range(burst):
            prefetch(table, lines[k])
            k += 1
        for _ in range(work):   # a dependent chain of arithmetic, as between nibbles
            x ^= x << np.uint64(13)
            x ^= x >> np.uint64(7)
            x ^= x << np.uint64(17)
    return x


def _best_seconds(function, *args, repeats=3):
    function(*args)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    rng = np.random.default_rng(1)
    print("table MB  ns per dependent random read")
    steps = 2_000_000
    for mb in (1, 8, 32, 128, 256, 512):
        size = mb * (1 << 20) // 8
        order = rng.permutation(size)
        links = np.empty(size, np.int64)
        links[order[:-1]] = order[1:]
        links[order[-1]] = order[0]
        print(f"{mb:8d}  {_best_seconds(_chase, links, steps) / steps * 1e9:6.1f}")

    table = aligned_zeros(256 << 20, np.uint8)
    table[::4096] = 1   # touch every page
    rounds, work = 200_000, 300
    lines = rng.integers(0, table.size, rounds * 33)
    base = _best_seconds(_bursts, table, lines, rounds, 0, work)
    print("\nlines requested at once (256 MB table)  extra ns per burst")
    for burst in (4, 11, 22, 33):
        seconds = _best_seconds(_bursts, table, lines, rounds, burst, work)
        print(f"{burst:39d}  {(seconds - base) / rounds * 1e9:6.1f}")


if __name__ == "__main__":
    main()
