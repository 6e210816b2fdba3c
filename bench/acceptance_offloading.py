"""Acceptance check: Algorithm 1's binary decision against the MILP optimum on many drops.

    python bench/acceptance_offloading.py [--drops 500]

For each setting (default Table III scenario; mec_capacity_hz=3e9; K=30, L=5), draws `drops`
networks (seeds 0..drops-1), uses max-sensing beams, and prints how often the ADMM decision
attains the MILP optimum, the mean and max relative gap, the ADMM iterations and whether every
decision satisfies (18a)-(18d).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pyiscc as pi
from pyiscc.offloading import offloading_problem, solve_admm, solve_milp

SETTINGS = {
    "default (L=3, K=9, G=9e9)": {},
    "mec_capacity_hz=3e9": {"mec_capacity_hz": 3e9},
    "K=30, L=5": {"n_terminals": 30, "n_bs": 5},
}

#: A decision "attains the optimum" when its objective is within this relative distance.
OPTIMAL_RTOL = 1e-9


def meets_18a_to_18d(net, w, res) -> bool:
    if (res.a.sum(axis=0) + res.b.sum(axis=0) > 1).any():
        return False
    ev = pi.evaluate(net, w, res.a, res.b)
    return not [v for v in ev.violations if v.constraint in ("mec_capacity", "power")]


def run_setting(changes: dict, drops: int) -> dict:
    sc = pi.Scenario(**changes)
    gaps, its, rec, statuses, feasible = [], [], [], [], 0
    t_admm = t_milp = 0.0
    for seed in range(drops):
        net = pi.draw_network(sc, seed=seed)
        w = pi.max_sensing_beams(net)
        prob = offloading_problem(net, w)
        t0 = time.perf_counter()
        res = solve_admm(prob)
        t1 = time.perf_counter()
        opt = solve_milp(prob)
        t2 = time.perf_counter()
        t_admm += t1 - t0
        t_milp += t2 - t1
        gaps.append((res.objective - opt.objective) / opt.objective)
        its.append(res.iterations)
        rec.append(res.recovery_iterations)
        statuses.append(res.status)
        feasible += meets_18a_to_18d(net, w, res) and meets_18a_to_18d(net, w, opt)
    gaps = np.array(gaps)
    return {
        "drops": drops,
        "optimal": int((gaps <= OPTIMAL_RTOL).sum()),
        "mean_gap": float(gaps.mean()),
        "max_gap": float(gaps.max()),
        "min_gap": float(gaps.min()),
        "iterations": (float(np.mean(its)), int(np.max(its))),
        "recovery_iterations": float(np.mean(rec)),
        "status": {s: statuses.count(s) for s in sorted(set(statuses))},
        "feasible": feasible,
        "admm_ms": 1e3 * t_admm / drops,
        "milp_ms": 1e3 * t_milp / drops,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=500)
    args = parser.parse_args()
    print("| setting | drops | ADMM = MILP optimum | mean gap | max gap | ADMM iterations "
          "(mean / max) | recovery iterations (mean) | status | (18a)-(18d) met | "
          "ADMM ms/drop | MILP ms/drop |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, changes in SETTINGS.items():
        r = run_setting(changes, args.drops)
        status = ", ".join(f"{k} {v}" for k, v in r["status"].items())
        print(f"| {name} | {r['drops']} | {r['optimal']} ({100 * r['optimal'] / r['drops']:.1f}%) "
              f"| {100 * r['mean_gap']:.4f}% | {100 * r['max_gap']:.4f}% | "
              f"{r['iterations'][0]:.0f} / {r['iterations'][1]} | {r['recovery_iterations']:.1f} | "
              f"{status} | {r['feasible']}/{r['drops']} | {r['admm_ms']:.2f} | {r['milp_ms']:.2f} |",
              flush=True)


if __name__ == "__main__":
    main()
