"""Full DCET-ISCC solve, pyiscc against the CVXPY + Clarabel peer (bench/peers), drop by drop.

    python bench/peer_compare.py --drops 20

Prints per drop (seeds 0, 1, ...; Table III defaults): both final total latencies, the relative
difference ``(pyiscc - peer) / peer`` (negative: pyiscc better), whether the final decisions are
equal, pyiscc's Algorithm-2 sub-problem failures (sub-problems its QCQP solver did not solve to
optimality: the beam is kept, which is where the answers part when they do), both runtimes and
the ratio, in wall time and in CPU time of this process (steadier than wall time on a shared
machine); then the median speed-ups and the worst difference.  pyiscc's times are the medians of
``--repeats`` runs; the peer runs once per drop, after one untimed warm-up that compiles its
CVXPY problems (compilation is not counted against it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pyiscc as pi  # noqa: E402
from pyiscc.solve import _within_budget  # noqa: E402

from peers import peer_beamforming, peer_solve  # noqa: E402


def pyiscc_failures(net: pi.Network, rounds: int) -> list[int]:
    """Algorithm-2 sub-problem failures per BCD round of ``pyiscc.solve`` (the same calls as
    its BCD loop, replayed: every block is deterministic)."""
    w = pi.max_sensing_beams(net)
    out = []
    for _ in range(rounds):
        off = pi.optimize_offloading(net, w)
        if off.status == "infeasible":
            break
        bf = pi.optimize_beamforming(net, off.a, off.b, w0=_within_budget(net, w, off.a, off.b))
        out.append(bf.subproblem_failures)
        if bf.status == "infeasible":
            break
        w = bf.w
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=5, help="pyiscc timing repeats (median)")
    parser.add_argument("--json", help="also write the per-drop rows and the summary to this file")
    args = parser.parse_args(argv)

    sc = pi.Scenario()
    warm = pi.draw_network(sc, seed=args.first_seed)
    off = pi.optimize_offloading(warm, pi.max_sensing_beams(warm))
    peer_beamforming(warm, off.a, off.b, max_iter=1)  # compiles the peer's sub-problem

    print(f"{'seed':>4} {'pyiscc s':>12} {'peer s':>12} {'rel diff':>10} {'same a,b':>8} "
          f"{'feasible':>9} {'rounds':>6} {'A2 fail':>7} {'pyiscc ms':>9} {'peer s':>7} {'ratio':>6} "
          f"{'cpu ms':>7} {'cpu s':>6} {'cpu ratio':>9}")
    ratios, cpu_ratios, diffs, peer_times, ours_times, rows = [], [], [], [], [], []
    for seed in range(args.first_seed, args.first_seed + args.drops):
        net = pi.draw_network(sc, seed=seed)
        times, cpu = [], []
        for _ in range(args.repeats):
            t, c = time.perf_counter(), time.process_time()
            sol = pi.solve(net, "dcet-iscc")
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        t_ours, c_ours = float(np.median(times)), float(np.median(cpu))
        c = time.process_time()
        peer = peer_solve(net)
        c_peer = time.process_time() - c
        t_peer = peer.runtime_s
        ours, ref = sol.total_latency, peer.total_latency
        diff = (ours - ref) / ref
        same = bool(np.array_equal(sol.a, peer.a) and np.array_equal(sol.b, peer.b))
        fails = pyiscc_failures(net, sol.outer_iterations)
        feas = f"{'y' if sol.feasible else 'n'}/{'y' if peer.feasible else 'n'}"
        print(f"{seed:>4} {ours:>12.9f} {ref:>12.9f} {diff:>+10.2e} {str(same):>8} {feas:>9} "
              f"{sol.outer_iterations}/{peer.outer_iterations:<4} {sum(fails):>7} "
              f"{1e3 * t_ours:>9.1f} {t_peer:>7.2f} {t_peer / t_ours:>6.0f} {1e3 * c_ours:>7.1f} "
              f"{c_peer:>6.2f} {c_peer / c_ours:>9.0f}", flush=True)
        rows.append({"seed": seed, "pyiscc_total_latency": ours, "peer_total_latency": ref,
                     "rel_diff": diff, "same_decisions": same, "pyiscc_feasible": bool(sol.feasible),
                     "peer_feasible": bool(peer.feasible), "pyiscc_rounds": sol.outer_iterations,
                     "peer_rounds": peer.outer_iterations, "alg2_failures": int(sum(fails)),
                     "pyiscc_s": t_ours, "peer_s": t_peer, "ratio": t_peer / t_ours,
                     "pyiscc_cpu_s": c_ours, "peer_cpu_s": c_peer, "cpu_ratio": c_peer / c_ours})
        ratios.append(t_peer / t_ours)
        cpu_ratios.append(c_peer / c_ours)
        diffs.append(diff)
        peer_times.append(t_peer)
        ours_times.append(t_ours)
    diffs_a = np.array(diffs)
    print(f"\n{args.drops} drops: median speed-up {np.median(ratios):.0f}x "
          f"(min {np.min(ratios):.0f}x, max {np.max(ratios):.0f}x); median runtime pyiscc "
          f"{1e3 * np.median(ours_times):.1f} ms, peer {np.median(peer_times):.2f} s")
    print(f"median CPU-time speed-up {np.median(cpu_ratios):.0f}x (min {np.min(cpu_ratios):.0f}x, "
          f"max {np.max(cpu_ratios):.0f}x)")
    print(f"worst difference (pyiscc - peer) / peer: {diffs_a.max():+.2e} (largest |diff| "
          f"{np.abs(diffs_a).max():.2e}); within 0.1% or better on "
          f"{int(np.sum(diffs_a <= 1e-3))}/{args.drops} drops")
    if args.json:
        import json

        summary = {"drops": args.drops, "median_ratio": float(np.median(ratios)),
                   "min_ratio": float(np.min(ratios)), "max_ratio": float(np.max(ratios)),
                   "median_cpu_ratio": float(np.median(cpu_ratios)),
                   "median_pyiscc_s": float(np.median(ours_times)),
                   "median_peer_s": float(np.median(peer_times)),
                   "worst_rel_diff": float(diffs_a.max()),
                   "within_0.1%": int(np.sum(diffs_a <= 1e-3))}
        Path(args.json).write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
