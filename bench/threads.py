"""Speed-up of the per-BS thread pool (issue 7): Algorithm 2 iterations and Algorithm 1 on one
large drop, with 1, 2, ... workers (`workers=` of `optimize_beamforming` / `optimize_offloading`;
Jacobi sub-problems grouped by BS, results bit-identical for every worker count, checked here).

    python bench/threads.py --size 300,20,64 --workers 1 2
    python bench/threads.py --size 1000,50,64 --workers 1 2 --iterations 2

The drop uses the scale study's `density` geometry (bench/scale.py).  Algorithm 2 starts from the
max-sensing beams with the offloading decisions of Algorithm 1 at those beams; if that start
violates the sensing threshold the feasibility phase runs first (timed apart, it is not threaded).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pyiscc as pi
from pyiscc import _core


def density_scenario(K: int, L: int, M: int, N: int) -> pi.Scenario:
    """Table III's density of terminals (9 per km^2), BSs at the centres of a near-square grid."""
    side = 1000.0 * np.sqrt(K / 9.0)
    cols = int(np.ceil(np.sqrt(L)))
    rows = int(np.ceil(L / cols))
    cells = [((c + 0.5) * side / cols, (r + 0.5) * side / rows) for r in range(rows) for c in range(cols)]
    return pi.Scenario(n_terminals=K, n_bs=L, bs_antennas=M, terminal_antennas=N, area_m=side,
                       bs_positions=tuple(cells[:L]))


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
    w0 = pi.max_sensing_beams(net)
    rows = []
    ref_w = ref_a = None
    for workers in args.workers:
        t0 = time.perf_counter()
        off = pi.optimize_offloading(net, w0, workers=workers)
        t_off = time.perf_counter() - t0
        t0 = time.perf_counter()
        start = pi.optimize_beamforming(net, off.a, off.b, max_iter=0, workers=workers)
        t_feas = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = pi.optimize_beamforming(net, off.a, off.b, w0=start.w, max_iter=args.iterations,
                                      tol=0.0, workers=workers)
        t_bf = time.perf_counter() - t0
        if ref_w is None:
            ref_w, ref_a = res.w, off.a
        same = bool(np.array_equal(res.w, ref_w) and np.array_equal(off.a, ref_a))
        rows.append((workers, t_off, t_feas, start.status, t_bf / max(res.iterations, 1),
                     res.iterations, same))
    print("\n| workers | Algorithm 1 [s] | feasibility phase [s] (start status) | Algorithm 2 [s / iteration] "
          "| iterations | speed-up (Alg. 2) | same answer as workers[0] |")
    print("|---|---|---|---|---|---|---|")
    base = rows[0][4]
    for workers, t_off, t_feas, status, per_it, its, same in rows:
        print(f"| {workers} | {t_off:.2f} | {t_feas:.2f} ({status}) | {per_it:.3f} | {its} | "
              f"{base / per_it:.2f}x | {same} |")


if __name__ == "__main__":
    main()
