"""Acceptance check: Algorithm 2 on many drops with the MILP oracle's decisions.

    python bench/acceptance_beamforming.py [--drops 200] [--max-iter 50] [--tol 1e-4]

For each echo-SINR threshold (2 dB = Table III, then 0, 5, 8 dB) draws `drops` networks (seeds
0..drops-1), takes the offloading decision of the MILP oracle at max-sensing beams, runs
Algorithm 2 keeping every iterate, and reports: the feasible fraction; whether every iterate of
every feasible drop meets (18d) and (18e) to 1e-6 relative (evaluate); whether the final objective
is at most the starting one; the fraction of drops whose history is monotone; mean iterations;
mean relative improvement of (39); mean time per drop and per iteration.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pyiscc as pi
from pyiscc.beams import max_sensing_beams

THRESHOLDS_DB = (2.0, 0.0, 5.0, 8.0)
RTOL = 1e-6


def run(threshold_db: float, drops: int, max_iter: int, tol: float) -> dict[str, float]:
    sc = pi.Scenario(sensing_sinr_db=threshold_db)
    feasible = lemma2 = not_worse = monotone = 0
    iters, improvement, seconds, feas_phase = [], [], [], 0
    for seed in range(drops):
        net = pi.draw_network(sc, seed=seed)
        off = pi.optimal_offloading(net, max_sensing_beams(net), cloud=True)
        t0 = time.perf_counter()
        res = pi.optimize_beamforming(net, off.a, off.b, max_iter=max_iter, tol=tol,
                                      return_iterates=True)
        seconds.append(time.perf_counter() - t0)
        if res.status == "infeasible":
            continue
        feasible += 1
        feas_phase += res.feasibility_iterations > 0
        lemma2 += all(pi.evaluate(net, w, off.a, off.b, rtol=RTOL).feasible for w in res.iterates)
        h = res.history
        not_worse += bool(res.objective <= h[0])
        monotone += bool(np.all(np.diff(h) <= 0.0))
        iters.append(res.iterations)
        improvement.append((h[0] - res.objective) / h[0] if h[0] > 0 else 0.0)
    n = max(feasible, 1)
    return {
        "feasible": feasible / drops, "lemma2": lemma2 / n, "end<=start": not_worse / n,
        "monotone": monotone / n, "feas_phase": feas_phase, "iters": float(np.mean(iters or [0])),
        "improvement": float(np.mean(improvement or [0])), "ms/drop": 1e3 * float(np.mean(seconds)),
        "ms/iter": 1e3 * float(np.sum(seconds)) / max(1, int(np.sum(iters))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=200)
    parser.add_argument("--max-iter", type=int, default=50)
    parser.add_argument("--tol", type=float, default=1e-4)
    args = parser.parse_args()
    print(f"{args.drops} drops per threshold, max_iter={args.max_iter}, tol={args.tol}")
    print(f"{'Gamma_r':>8} {'feasible':>9} {'Lemma2':>7} {'end<=start':>10} {'monotone':>9} "
          f"{'feas.phase':>10} {'iters':>6} {'improvement':>11} {'ms/drop':>8} {'ms/iter':>8}")
    for db in THRESHOLDS_DB:
        r = run(db, args.drops, args.max_iter, args.tol)
        print(f"{db:>6.0f}dB {r['feasible']:>9.3f} {r['lemma2']:>7.3f} {r['end<=start']:>10.3f} "
              f"{r['monotone']:>9.3f} {r['feas_phase']:>10d} {r['iters']:>6.1f} "
              f"{100 * r['improvement']:>10.3f}% {r['ms/drop']:>8.1f} {r['ms/iter']:>8.3f}")


if __name__ == "__main__":
    main()
