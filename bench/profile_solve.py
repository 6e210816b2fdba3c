"""Where the time of a default-size `pi.solve(net, "dcet-iscc")` goes, layer by layer, and how
much of it is Python.  cProfile attributes the time spent inside each compiled
(pybind11) call to that call, so the table splits the compiled kernels from the Python around
them; for the split inside the kernels use perf on a build with symbols (docs/design-notes.md, "Measuring").

    python bench/profile_solve.py --drops 20 --rounds 3
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import pyiscc as pi
from pyiscc import _core


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--top", type=int, default=12, help="rows of the function table")
    args = parser.parse_args()
    nets = [pi.draw_network(pi.Scenario(), seed=s) for s in range(args.drops)]
    for net in nets:  # warm-up: imports, first-call caches
        pi.solve(net)
    t0 = time.perf_counter()
    for _ in range(args.rounds):
        for net in nets:
            pi.solve(net)
    wall = (time.perf_counter() - t0) / (args.rounds * args.drops)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.rounds):
        for net in nets:
            pi.solve(net)
    prof.disable()
    stats = pstats.Stats(prof)
    total = sum(v[2] for v in stats.stats.values())  # tottime over every function
    compiled: dict[str, float] = {}
    python = 0.0
    for (file, _line, name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        if file == "~" and ("pyiscc._core" in name or "_core_" in name):
            compiled[name] = compiled.get(name, 0.0) + tottime
        elif file == "~":
            python += tottime  # NumPy / builtins called from the facade
        else:
            python += tottime
    n = args.rounds * args.drops
    print(f"kernels: {_core.KERNELS}; {args.drops} Table III drops x {args.rounds} rounds")
    print(f"wall time per solve without the profiler: {wall * 1e3:.2f} ms; "
          f"with it: {total / n * 1e3:.2f} ms\n")
    print("| where | ms per solve | share |")
    print("|---|---|---|")
    for name, t in sorted(compiled.items(), key=lambda kv: -kv[1]):
        print(f"| compiled: {name} | {t / n * 1e3:.3f} | {t / total:.1%} |")
    print(f"| Python (facade, NumPy, builtins) | {python / n * 1e3:.3f} | {python / total:.1%} |")
    print()
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
