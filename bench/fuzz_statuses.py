"""Statuses of the enforcing schemes on fuzz drops (tests/fuzz_cases.py):

    python bench/fuzz_statuses.py --drops 1000 [--schemes dcet-iscc,et-iscc,ccet-iscc] [--caps slack]

Prints, per scheme, how many runs end in each status, split by whether the independently
constructed point (every terminal offloading at full power with MRS beams; see fuzz_cases.py)
meets every constraint, and counts the false ``infeasible`` verdicts (constructed point feasible),
exceptions and NaNs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import pyiscc as pi  # noqa: E402
from fuzz_cases import ENFORCING, fuzz_network, has_constructed_point  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drops", type=int, default=1000)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--schemes", default=",".join(ENFORCING))
    parser.add_argument("--caps", default=None, help="beamforming caps rule (default: solve's)")
    parser.add_argument("--step", default=None, help="Algorithm 2's step (default: solve's)")
    args = parser.parse_args()
    schemes = args.schemes.split(",")
    opts = {"caps": args.caps} if args.caps else {}
    if args.step:
        opts["step"] = args.step
    counts = {s: Counter() for s in schemes}
    errors = Counter()
    t0 = time.perf_counter()
    for seed in range(args.first_seed, args.first_seed + args.drops):
        net = fuzz_network(seed)
        for s in schemes:
            constructed = has_constructed_point(net, s)
            try:
                sol = pi.solve(net, s, beamforming=opts)
            except Exception as e:  # noqa: BLE001  (counted and reported, not hidden)
                errors[(s, type(e).__name__)] += 1
                continue
            if not np.isfinite(sol.w).all() or (sol.feasible and not np.isfinite(sol.total_latency)):
                errors[(s, "nan")] += 1
            counts[s][(sol.status, constructed)] += 1
    print(f"{args.drops} fuzz drops (seeds {args.first_seed}..), caps={args.caps or 'default'}, "
          f"{time.perf_counter() - t0:.0f} s")
    for s in schemes:
        c = counts[s]
        total = sum(c.values())
        false_inf = c[("infeasible", True)]
        print(f"{s}: {total} runs; constructed point feasible on {sum(v for (st, k), v in c.items() if k)}")
        for (status, constructed), v in sorted(c.items()):
            print(f"    {status:24s} constructed point {'feasible  ' if constructed else 'infeasible'}: {v}")
        print(f"    false 'infeasible' (constructed point feasible): {false_inf}")
    print(f"exceptions / NaN: {dict(errors) or 0}")


if __name__ == "__main__":
    main()
