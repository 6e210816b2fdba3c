"""Scale study of dcet-iscc: wall time, peak memory and iterations per network size,
and the fitted growth exponent of time in K.  Each size runs in its own subprocess so its peak
resident memory (ru_maxrss) is its own.

    python bench/scale.py                      # the issue's sizes, 1 drop each
    python bench/scale.py --sizes 9,3,16 40,5,16 --drops 3
    python bench/scale.py --geometry table3    # every size in Table III's 1 km square

Geometry.  `density` (the default; `pyiscc.Scenario.at_density`) keeps Table III's
density of terminals (9 per km^2): the square's side grows as 1 km * sqrt(K / 9) and the L BSs
sit at the centres of a near-square grid of cells covering it (for K = 9, L = 3 this is the same density as Table III, with the BSs on a
row instead of the paper's triangle).  `table3` drops every size in the 1 km square with the BSs on
the circle through the paper's three sites (the library's default layout): at K = 100 the echo
interference of the nearest terminals is then far above the noise and the drop is infeasible.
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

SIZES = ["9,3,16", "40,5,16", "100,10,32", "300,20,64", "1000,50,64"]

CHILD = r"""
import json, resource, sys, time
import numpy as np
import pyiscc as pi
K, L, M, N, seed, workers = (int(v) for v in sys.argv[1:7])
geometry, bench_dir = sys.argv[7], sys.argv[8]
sys.path.insert(0, bench_dir)
from threads import density_scenario
sc = (density_scenario(K, L, M, N) if geometry == "density"
      else pi.Scenario(n_terminals=K, n_bs=L, bs_antennas=M, terminal_antennas=N))
t0 = time.perf_counter()
net = pi.draw_network(sc, seed=seed)
t1 = time.perf_counter()
sol = pi.solve(net, "dcet-iscc", workers=workers)
t2 = time.perf_counter()
print(json.dumps(dict(K=K, L=L, M=M, N=N, seed=seed, workers=workers, geometry=geometry, draw_s=t1 - t0, solve_s=t2 - t1,
                      status=sol.status, feasible=bool(sol.feasible),
                      outer=sol.outer_iterations,
                      bf_iterations=[len(h) - 1 for h in sol.history["beamforming"]],
                      caps_kept=sol.history["caps_kept"],
                      mean_latency=sol.mean_latency,
                      peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", default=SIZES, help="K,L,M triples")
    parser.add_argument("--N", type=int, default=8)
    parser.add_argument("--drops", type=int, default=1)
    parser.add_argument("--workers", type=int, nargs="*", default=[1],
                        help="solve(workers=...) values to run each size with (per-BS threads)")
    parser.add_argument("--geometry", choices=("density", "table3"), default="density")
    parser.add_argument("--timeout", type=float, default=1800.0, help="per run [s]")
    parser.add_argument("--json", help="append every finished run to this JSON-lines file")
    parser.add_argument("--plot", help="PNG of solve time and peak memory vs K (from --json's "
                        "file when given, so earlier runs are included)")
    args = parser.parse_args()
    rows = []
    print(f"geometry: {args.geometry}\n")
    print("| K | L | M | N | drop | workers | draw s | solve s | peak MB | status | feasible | rounds "
          "| Alg.2 iterations | caps kept per sub-problem (mean / max of K - 1) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for size, seed, workers in itertools.product(args.sizes, range(args.drops), args.workers):
        K, L, M = (int(v) for v in size.split(","))
        head = f"| {K} | {L} | {M} | {args.N} | {seed} | {workers} |"
        try:
            out = subprocess.run([sys.executable, "-c", CHILD, str(K), str(L), str(M), str(args.N),
                                  str(seed), str(workers), args.geometry,
                                  str(Path(__file__).resolve().parent)],
                                 capture_output=True, text=True, timeout=args.timeout, check=True)
        except subprocess.TimeoutExpired:
            print(f"{head} - | > {args.timeout:.0f} | - | timeout | | | | |", flush=True)
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(r)
        if args.json:
            with open(args.json, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(r) + "\n")
        print(f"{head} {r['draw_s']:.2f} | {r['solve_s']:.2f} | {r['peak_rss_mb']:.0f} | "
              f"{r['status']} | {r['feasible']} | {r['outer']} | {r['bf_iterations']} | "
              f"{caps_column(r.get('caps_kept', []), K)} |", flush=True)
    first = [r for r in rows if r["workers"] == args.workers[0]]
    if len({r["K"] for r in first}) >= 2:
        K = np.array([r["K"] for r in first], float)
        t = np.array([r["solve_s"] for r in first])
        slope = np.polyfit(np.log(K), np.log(t), 1)[0]
        print(f"\nfitted growth exponent of solve time in K (log-log least squares, "
              f"workers={args.workers[0]}): {slope:.2f}")
    if args.plot:
        if args.json:
            with open(args.json, encoding="utf-8") as fh:
                rows = [json.loads(line) for line in fh if line.strip()]
        plot(rows, args.plot)


def caps_column(caps_kept: list, K: int) -> str:
    """Mean (over the Algorithm-2 runs' interior-point solves) and largest working set."""
    runs = [(m, n) for m, n in caps_kept if m == m]  # NaN: no interior-point solve in that run
    if not runs:
        return "-"
    return f"{np.mean([m for m, _ in runs]):.1f} / {max(n for _, n in runs)} of {K - 1}"


def plot(rows: list[dict], path: str) -> None:
    """Solve time and peak memory vs K (log-log), one marker style per worker count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
    markers = {1: ("o", "-"), 2: ("s", "--"), 4: ("^", ":"), 8: ("D", "-.")}
    for workers in sorted({r["workers"] for r in rows}):
        sel = sorted((r for r in rows if r["workers"] == workers), key=lambda r: r["K"])
        K = np.array([r["K"] for r in sel], float)
        t = np.array([r["solve_s"] for r in sel])
        mem = np.array([r["peak_rss_mb"] for r in sel]) / 1024
        mk, ls = markers.get(workers, ("x", "-"))
        label = f"workers = {workers}"
        if len(set(K)) >= 2:
            label += f" (slope {np.polyfit(np.log(K), np.log(t), 1)[0]:.2f})"
        ax_t.loglog(K, t, marker=mk, linestyle=ls, color="k", label=label)
        ax_m.loglog(K, mem, marker=mk, linestyle=ls, color="k", label=f"workers = {workers}")
    kmin = min(r["K"] for r in rows)
    ax_t.axhline(60, color="0.5", linewidth=0.8)
    ax_t.text(kmin, 66, "target at K = 1000: 60 s", color="0.4", fontsize=8)
    ax_m.axhline(2.5, color="0.5", linewidth=0.8)
    ax_m.text(kmin, 2.7, "2.5 GB", color="0.4", fontsize=8)
    ax_t.set(xlabel="terminals K", ylabel="dcet-iscc solve time [s]", title="Time")
    ax_m.set(xlabel="terminals K", ylabel="peak resident memory [GB]", title="Memory")
    for ax in (ax_t, ax_m):
        ax.grid(True, which="both", color="0.9")
        ax.legend(fontsize=8)
    fig.savefig(path, dpi=150)


if __name__ == "__main__":
    main()
