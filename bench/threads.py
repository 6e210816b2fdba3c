"""Speed-up of the per-BS thread pool: Algorithm 2 iterations and Algorithm 1 on one
large drop, with 1, 2, ... workers (`workers=` of `optimize_beamforming` / `optimize_offloading`;
Jacobi sub-problems grouped by BS, results bit-identical for every worker count, checked here).

    python bench/threads.py --size 300,20,64 --workers 1 2
    python bench/threads.py --size 1000,50,64 --workers 1 2 --iterations 2

The drop uses the scale study's `density` geometry (bench/scale.py).  Algorithm 2 starts from the
max-sensing beams with the offloading decisions of Algorithm 1 at those beams; if that start
violates the sensing threshold the feasibility phase runs first (once, timed apart: it is not
threaded).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

import pyiscc as pi
from pyiscc import _core


def density_scenario(K: int, L: int, M: int, N: int) -> pi.Scenario:
    """Table III's density of terminals (9 per km^2), BSs at the centres of a near-square grid
    (:meth:`pyiscc.Scenario.at_density`)."""
    return pi.Scenario.at_density(K, L, bs_antennas=M, terminal_antennas=N)


def thread_scaling(net: pi.Network, workers_list: list[int], iterations: int) -> list[dict]:
    """Time Algorithm 1 and `iterations` Algorithm-2 iterations for each worker count.

    The feasible start (max-sensing beams, then the feasibility phase if they violate the
    sensing threshold; not threaded) is computed once, with the decisions of Algorithm 1, and
    every worker count starts Algorithm 2 from it.  Each row says whether the decisions and the
    beams are bit-identical to those of ``workers_list[0]``.
    """
    w0 = pi.max_sensing_beams(net)
    off = pi.optimize_offloading(net, w0, workers=workers_list[0])
    t0 = time.perf_counter()
    start = pi.optimize_beamforming(net, off.a, off.b, max_iter=0, workers=workers_list[0])
    t_feas = time.perf_counter() - t0
    rows = []
    ref_w = ref_a = None
    for workers in workers_list:
        t0 = time.perf_counter()
        off_w = pi.optimize_offloading(net, w0, workers=workers)
        t_off = time.perf_counter() - t0
        # The fixed part of a call (validation, the sub-problem templates, the state of the start,
        # the result's evaluation) is timed with max_iter=0 and taken out of the per-iteration time.
        t0 = time.perf_counter()
        pi.optimize_beamforming(net, off.a, off.b, w0=start.w, max_iter=0, workers=workers)
        t_fixed = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = pi.optimize_beamforming(net, off.a, off.b, w0=start.w, max_iter=iterations,
                                      tol=0.0, workers=workers)
        t_bf = time.perf_counter() - t0
        if ref_w is None:
            ref_w, ref_a = res.w, off_w.a
        rows.append({"workers": workers, "algorithm1_s": t_off, "feasibility_s": t_feas,
                     "start_status": start.status, "algorithm2_fixed_s": t_fixed,
                     "algorithm2_s_per_iteration": max(t_bf - t_fixed, 0.0) / max(res.iterations, 1),
                     "iterations": res.iterations,
                     "same_answer": bool(np.array_equal(res.w, ref_w)
                                         and np.array_equal(off_w.a, ref_a))})
    base = rows[0]["algorithm2_s_per_iteration"]
    for row in rows:
        row["speedup"] = base / row["algorithm2_s_per_iteration"]
    return rows


def print_rows(rows: list[dict]) -> None:
    print(f"\nfeasibility phase (once, not threaded): {rows[0]['feasibility_s']:.2f} s "
          f"(start status {rows[0]['start_status']})")
    print("\n| workers | Algorithm 1 [s] | Algorithm 2 fixed part [s] | Algorithm 2 [s / iteration] "
          "| iterations | speed-up (per iteration) | same answer as workers[0] |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['algorithm1_s']:.2f} | {r['algorithm2_fixed_s']:.2f} "
              f"| {r['algorithm2_s_per_iteration']:.3f} | {r['iterations']} | {r['speedup']:.2f}x "
              f"| {r['same_answer']} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="300,20,64", help="K,L,M")
    parser.add_argument("--N", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--iterations", type=int, default=3, help="Algorithm-2 iterations timed")
    args = parser.parse_args()
    K, L, M = (int(v) for v in args.size.split(","))
    t0 = time.perf_counter()
    net = pi.draw_network(density_scenario(K, L, M, args.N), seed=args.seed)
    print(f"kernels {_core.KERNELS}; K={K} L={L} M={M} N={args.N} seed={args.seed}; "
          f"draw {time.perf_counter() - t0:.1f} s")
    print_rows(thread_scaling(net, args.workers, args.iterations))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"\npeak memory of this process (ru_maxrss): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
