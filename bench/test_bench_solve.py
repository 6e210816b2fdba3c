"""Each scheme's full solve at the default size (Table III), on the same drops.

Run:  pytest bench/test_bench_solve.py --benchmark-columns=median,iqr,rounds
The CVXPY peer of dcet-iscc (the speed reference) is in bench/test_bench_peer.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import pyiscc as pi

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def networks():
    return [pi.draw_network(pi.Scenario(), seed=s) for s in SEEDS]


@pytest.mark.parametrize("scheme", pi.SCHEMES)
def test_solve_default(benchmark, networks, scheme):
    benchmark.group = "solve, default size (3 drops per round)"
    rounds = 2 if scheme == "ccet-iscc" else 10

    def run():
        return [pi.solve(net, scheme) for net in networks]

    sols = benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=1)
    benchmark.extra_info["mean_latency_ms"] = float(np.mean([1e3 * s.mean_latency for s in sols]))
    benchmark.extra_info["outer_iterations"] = [s.outer_iterations for s in sols]
    for net, sol in zip(networks, sols):
        assert sol.feasible == pi.evaluate(net, sol.w, sol.a, sol.b).feasible
        again = pi.solve(net, scheme)
        np.testing.assert_array_equal(again.w, sol.w)  # deterministic
