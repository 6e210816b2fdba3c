"""Gap of DCET-ISCC to the certified global optimum of (18) on N = 1 drops (tests/oracle.py),
under each cap rule:

    python bench/oracle_gaps.py --seeds 7      # the drops of tests/test_oracle.py

Prints, per rule, the share of feasible drops within 0.1 % and 1 %, the median and largest gap,
separately for the drops whose MRS start violates (18e) (the feasibility phase runs).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pyiscc as pi  # noqa: E402
from oracle import solve_oracle  # noqa: E402
from test_oracle import SETTINGS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=7, help="seeds per setting")
    parser.add_argument("--step", default=None, choices=pi.beamforming.STEPS,
                        help="Algorithm 2's step under the slack rule (default: solve's)")
    args = parser.parse_args()
    slack = {} if args.step is None else {"step": args.step}
    gaps = {"slack": [], "paper": []}
    hard = []
    for K, gamma_db, cap in SETTINGS:
        sc = pi.Scenario(n_bs=2, n_terminals=K, terminal_antennas=1, sensing_sinr_db=gamma_db,
                         mec_capacity_hz=cap)
        for seed in range(args.seeds):
            net = pi.draw_network(sc, seed=seed)
            ref = solve_oracle(net)
            if not np.isfinite(ref.value):
                continue
            zero = np.zeros((net.n_bs, K))
            hard.append(not pi.evaluate(net, pi.max_sensing_beams(net), zero, zero).feasible)
            for rule in gaps:
                sol = pi.solve(net, "dcet-iscc",
                               beamforming={"caps": rule, **(slack if rule == "slack" else {})})
                gaps[rule].append((sol.total_latency - ref.lower) / ref.lower if sol.feasible
                                  else np.inf)
    hard = np.array(hard)
    print(f"{len(hard)} feasible drops ({hard.sum()} with an infeasible MRS start)")
    for rule, g in gaps.items():
        g = np.array(g)
        for name, m in (("all", np.ones_like(hard)), ("MRS start infeasible", hard),
                        ("MRS start feasible", ~hard)):
            x = g[m]
            if x.size:
                print(f"caps={rule!r:8s} {name:22s}: within 0.1% {np.mean(x <= 1e-3):.3f}, within 1% "
                      f"{np.mean(x <= 1e-2):.3f}, median {100 * np.median(x):.4f}%, "
                      f"max {100 * np.max(x):.4f}%")


if __name__ == "__main__":
    main()
