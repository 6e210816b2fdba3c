"""Sweep throughput (drops per second): the durable engine (SQLite commit per trial, serial and a
2-process pool kept open across rounds, so worker start-up is not timed) against a plain loop
over the same trials, same group, same numbers.

Run:  pytest bench/test_bench_sweep.py --benchmark-columns=median,rounds
Drops/s = TRIALS / median time.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import pyiscc as pi
from pyiscc import experiments as ex

TRIALS = 32
SPEC = ex.SweepSpec(name="bench-throughput", scenario=pi.Scenario(), x_param="bandwidth_hz",
                    x_values=(10e6,), schemes=("dcet-iscc",), trials=TRIALS, seed=5)


def plain_loop():
    out = []
    for t in range(TRIALS):
        net = pi.draw_network(SPEC.scenario, rng=np.random.default_rng(ex.trial_seed(SPEC.seed, 0, t)))
        sol = pi.solve(net, "dcet-iscc")
        out.append(sol.mean_latency if sol.feasible else np.nan)
    return np.array(out)


@pytest.mark.parametrize("impl", ["plain-loop", "engine-serial", "engine-2-processes"])
def test_sweep_throughput(benchmark, tmp_path, impl):
    benchmark.group = f"sweep throughput, {TRIALS} default drops of dcet-iscc"
    counter = itertools.count()
    if impl == "plain-loop":
        got = benchmark.pedantic(plain_loop, rounds=2, iterations=1)
    else:
        workers = 1 if impl == "engine-serial" else 2
        with ex.Engine(workers=workers, progress=False) as engine:
            engine.run(SPEC, tmp_path / "warm-up")  # starts the workers

            def run():
                out = tmp_path / f"run{next(counter)}"
                engine.run(SPEC, out)
                rows = ex.load_results(out).sort_values("trial")
                return np.where(rows["feasible"].astype(bool), rows["mean_latency"], np.nan)

            got = benchmark.pedantic(run, rounds=2, iterations=1)
    benchmark.extra_info["drops"] = TRIALS
    np.testing.assert_allclose(got, plain_loop(), rtol=0, atol=0, equal_nan=True)
