"""Multi-core scaling in one prepared run: the per-BS thread pool of
Algorithm 2 / Algorithm 1 at K = 300 and K = 1000 (bench/threads.py), and sweep throughput of the
durable engine with 1, 2, 4, ... worker processes (bench/test_bench_sweep.py's trials).

Made for a machine with many cores (docs/design-notes.md, "The per-BS thread pool"); each part writes
its JSON as soon as it ends, so a run stopped early keeps what it measured.

    python bench/multicore.py --out DIR --workers 1 2 4 8 16
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

import pyiscc as pi
from pyiscc import _core
from pyiscc import experiments as ex
from threads import density_scenario, print_rows, thread_scaling


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model or platform.processor(), "logical_cpus": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "python": platform.python_version(), "numpy": np.__version__,
            "kernels": _core.KERNELS, "pyiscc": pi.__version__}


def sweep_throughput(workers_list: list[int], trials: int) -> list[dict]:
    """Drops per second of dcet-iscc sweeps (default scenario) through the engine, the worker
    processes started (and warmed) before the clock starts; results must not depend on workers."""
    spec = ex.SweepSpec(name="multicore-throughput", scenario=pi.Scenario(), x_param="bandwidth_hz",
                        x_values=(10e6,), schemes=("dcet-iscc",), trials=trials, seed=5)
    warm = ex.SweepSpec(name="warm-up", scenario=pi.Scenario(), x_param="bandwidth_hz",
                        x_values=(10e6,), schemes=("dcet-iscc",), trials=2 * max(workers_list),
                        seed=6)
    rows, ref = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for workers in workers_list:
            with ex.Engine(workers=workers, progress=False) as engine:
                engine.run(warm, Path(tmp) / f"warm{workers}")
                t0 = time.perf_counter()
                engine.run(spec, Path(tmp) / f"run{workers}")
                dt = time.perf_counter() - t0
            got = ex.load_results(Path(tmp) / f"run{workers}").sort_values("trial")
            lat = np.where(got["feasible"].astype(bool), got["mean_latency"], np.nan)
            if ref is None:
                ref = lat
            rows.append({"workers": workers, "trials": trials, "seconds": dt,
                         "drops_per_s": trials / dt,
                         "same_answer": bool(np.array_equal(lat, ref, equal_nan=True))})
            print(f"sweep: {workers:3d} workers  {trials / dt:8.1f} drops/s  "
                  f"same={rows[-1]['same_answer']}", flush=True)
    for row in rows:
        row["speedup"] = row["drops_per_s"] / rows[0]["drops_per_s"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--trials", type=int, default=256, help="sweep trials per worker count")
    parser.add_argument("--sizes", default="300,20,64:3;1000,50,64:2",
                        help="K,L,M:iterations;... for the thread-pool part")
    parser.add_argument("--skip-sweep", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(json.dumps(info), flush=True)
    (args.out / "machine.json").write_text(json.dumps(info, indent=1))
    if not args.skip_sweep:
        rows = sweep_throughput(args.workers, args.trials)
        (args.out / "sweep.json").write_text(json.dumps(rows, indent=1))
    for part in args.sizes.split(";"):
        size, iterations = part.split(":")
        K, L, M = (int(v) for v in size.split(","))
        t0 = time.perf_counter()
        net = pi.draw_network(density_scenario(K, L, M, 8), seed=0)
        print(f"\nK={K} L={L} M={M} N=8 seed=0; draw {time.perf_counter() - t0:.1f} s", flush=True)
        rows = thread_scaling(net, args.workers, int(iterations))
        print_rows(rows)
        (args.out / f"threads_K{K}.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
