"""Scale study of dcet-iscc (issue 7): wall time, peak memory and iterations per network size,
and the fitted growth exponent of time in K.  Each size runs in its own subprocess so its peak
resident memory (ru_maxrss) is its own.

    python bench/scale.py                      # the issue's sizes, 1 drop each
    python bench/scale.py --sizes 9,3,16 40,5,16 --drops 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import numpy as np

SIZES = ["9,3,16", "40,5,16", "100,10,32", "300,20,64", "1000,50,64"]

CHILD = r"""
import json, resource, sys, time
import numpy as np
import pyiscc as pi
K, L, M, N, seed = (int(v) for v in sys.argv[1:6])
sc = pi.Scenario(n_terminals=K, n_bs=L, bs_antennas=M, terminal_antennas=N)
t0 = time.perf_counter()
net = pi.draw_network(sc, seed=seed)
t1 = time.perf_counter()
sol = pi.solve(net, "dcet-iscc")
t2 = time.perf_counter()
print(json.dumps(dict(K=K, L=L, M=M, N=N, seed=seed, draw_s=t1 - t0, solve_s=t2 - t1,
                      status=sol.status, feasible=bool(sol.feasible),
                      outer=sol.outer_iterations,
                      bf_iterations=[len(h) - 1 for h in sol.history["beamforming"]],
                      mean_latency=sol.mean_latency,
                      peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=SIZES, help="K,L,M triples")
    parser.add_argument("--N", type=int, default=8)
    parser.add_argument("--drops", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0, help="per run [s]")
    args = parser.parse_args()
    rows = []
    print("| K | L | M | N | drop | draw s | solve s | peak MB | status | feasible | rounds | Alg.2 iterations |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        K, L, M = (int(v) for v in size.split(","))
        for seed in range(args.drops):
            try:
                out = subprocess.run([sys.executable, "-c", CHILD, str(K), str(L), str(M),
                                      str(args.N), str(seed)], capture_output=True, text=True,
                                     timeout=args.timeout, check=True)
            except subprocess.TimeoutExpired:
                print(f"| {K} | {L} | {M} | {args.N} | {seed} | - | > {args.timeout:.0f} | - | timeout | | | |")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(r)
            print(f"| {K} | {L} | {M} | {args.N} | {seed} | {r['draw_s']:.2f} | {r['solve_s']:.2f} | "
                  f"{r['peak_rss_mb']:.0f} | {r['status']} | {r['feasible']} | {r['outer']} | "
                  f"{r['bf_iterations']} |", flush=True)
    if len({r["K"] for r in rows}) >= 2:
        K = np.array([r["K"] for r in rows], float)
        t = np.array([r["solve_s"] for r in rows])
        slope = np.polyfit(np.log(K), np.log(t), 1)[0]
        print(f"\nfitted growth exponent of solve time in K (log-log least squares): {slope:.2f}")


if __name__ == "__main__":
    main()
