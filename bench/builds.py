"""The two builds of the kernels side by side (docs/design-notes.md, "Two builds of the kernels"):
Algorithm 2 with its defaults and the per-terminal QCQP, `generic` against `x86-64-v3`, both
modules loaded in one process and timed in alternating rounds, so that the machine's speed swings
hit both alike.  Also checks that both give the same answers (to rounding).

    python bench/builds.py --rounds 15
"""

from __future__ import annotations

import argparse
import importlib
import time
import timeit

import numpy as np

import pyiscc as pi
import pyiscc.beamforming as bf
from instances import algorithm2_subproblems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--drops", type=int, default=6)
    args = parser.parse_args()
    builds = {"generic": importlib.import_module("pyiscc._core_generic")}
    try:
        fast = importlib.import_module("pyiscc._core_x86_64_v3")
        if builds["generic"].cpu_supports_x86_64_v3():
            builds["x86-64-v3"] = fast
    except ImportError:
        pass
    nets = [pi.draw_network(pi.Scenario(), seed=s) for s in range(args.drops)]
    decisions = [pi.optimal_offloading(n, pi.max_sensing_beams(n)) for n in nets]
    # The 9 sub-problems of bench/test_bench_qcqp.py, as the binding's positional arrays.
    subproblems = [(sp["P"], sp["q"], np.ascontiguousarray(sp["A"]), sp["b"], sp["c"], x0)
                   for sp, x0 in algorithm2_subproblems(seed=0, iterations=3)]
    time.sleep(0.5)  # let NumPy's BLAS threads go idle
    alg2 = {name: [] for name in builds}
    qcqp = {name: [] for name in builds}
    objective = {}
    saved = bf._core
    try:
        for _ in range(args.rounds):
            for name, mod in builds.items():
                bf._core = mod
                t0 = time.perf_counter()
                res = [pi.optimize_beamforming(n, d.a, d.b) for n, d in zip(nets, decisions)]
                alg2[name].append((time.perf_counter() - t0) / len(nets) * 1e3)
                objective[name] = sum(r.objective for r in res)
                calls = lambda: [mod.solve_qcqp(*sp, 100, 1e-9, 0) for sp in subproblems]  # noqa: E731
                qcqp[name].append(min(timeit.repeat(calls, number=10, repeat=3)) / 10
                                  / len(subproblems) * 1e6)
    finally:
        bf._core = saved
    print(f"{args.drops} Table III drops (MILP decisions at max-sensing beams), {args.rounds} "
          "alternating rounds\n")
    print("| build | Algorithm 2, defaults [ms / drop]: min / median | QCQP sub-problem [us]: "
          "min / median | sum of (39) over the drops |")
    print("|---|---|---|---|")
    for name in builds:
        print(f"| {name} | {min(alg2[name]):.2f} / {np.median(alg2[name]):.2f} | "
              f"{min(qcqp[name]):.1f} / {np.median(qcqp[name]):.1f} | {objective[name]:.15f} |")


if __name__ == "__main__":
    main()
