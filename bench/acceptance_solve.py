"""Acceptance check: every scheme on N drops of a scenario; prints the comparison table.

    python bench/acceptance_solve.py --drops 200                     # default scenario
    python bench/acceptance_solve.py --drops 50 --set mec_capacity_hz=3e9
    python bench/acceptance_solve.py --drops 50 --set backhaul_bps=1e6

Prints, per scheme: mean latency over the drops feasible for that scheme (95% CI), feasible
fraction, median runtime; then the paper's claims checked drop by drop.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import pyiscc as pi


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drops", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--set", action="append", default=[], help="field=value")
    parser.add_argument("--schemes", default=",".join(pi.SCHEMES))
    args = parser.parse_args()
    changes = {k: float(v) for k, v in (s.split("=") for s in args.set)}
    sc = pi.Scenario().replace(**changes)
    schemes = args.schemes.split(",")
    lat = {s: np.full(args.drops, np.nan) for s in schemes}
    feas = {s: np.zeros(args.drops, bool) for s in schemes}
    rt = {s: np.zeros(args.drops) for s in schemes}
    clouds = {s: 0 for s in schemes}
    agree = True
    t0 = time.perf_counter()
    for i, seq in enumerate(np.random.SeedSequence(args.seed).spawn(args.drops)):
        net = pi.draw_network(sc, rng=np.random.default_rng(seq))
        for s in schemes:
            sol = pi.solve(net, s)
            lat[s][i], feas[s][i], rt[s][i] = sol.mean_latency, sol.feasible, sol.runtime_s
            clouds[s] += int(sol.b.sum())
            agree &= sol.feasible == pi.evaluate(net, sol.w, sol.a, sol.b).feasible
    print(f"scenario changes: {changes or 'none'}; {args.drops} drops, seed {args.seed}; "
          f"{time.perf_counter() - t0:.0f} s")
    print(f"| scheme | mean latency ms (feasible drops, 95% CI) | feasible | cloud tasks | median runtime ms |")
    print("|---|---|---|---|---|")
    for s in schemes:
        x = 1e3 * lat[s][feas[s]]
        ci = 1.96 * x.std(ddof=1) / np.sqrt(len(x)) if len(x) > 1 else np.nan
        print(f"| {s} | {x.mean():.3f} +- {ci:.3f} | {feas[s].mean():.3f} | {clouds[s]} | "
              f"{1e3 * np.median(rt[s]):.1f} |")
    print(f"feasible flag agrees with an independent evaluate on every drop: {agree}")
    both = feas.get("dcet-iscc", np.zeros(args.drops, bool))
    def cmp(a, b, mask):
        d = 1e3 * (lat[a][mask] - lat[b][mask])
        return f"{a} - {b} on {mask.sum()} drops: mean {d.mean():+.4f} ms, max {d.max():+.4f} ms"
    if "ccet-iscc" in schemes:
        m = both & feas["ccet-iscc"]
        gap = (lat["dcet-iscc"][m] / lat["ccet-iscc"][m] - 1).mean()
        print(f"dcet-iscc vs ccet-iscc: mean relative gap {100 * gap:+.4f}% ({cmp('dcet-iscc', 'ccet-iscc', m)})")
    for base in ("dcet-mrs", "dcet-mrt", "et-iscc"):
        if base in schemes:
            m = both & feas[base]
            print(cmp("dcet-iscc", base, m))
    if "local" in schemes and "et-iscc" in schemes:
        print(f"local > et-iscc >= dcet-iscc (means over each scheme's feasible drops): "
              f"{np.nanmean(lat['local'][feas['local']]) > np.nanmean(lat['et-iscc'][feas['et-iscc']]) >= np.nanmean(lat['dcet-iscc'][both])}")


if __name__ == "__main__":
    main()
