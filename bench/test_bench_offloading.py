"""Algorithm 1: ADMM (exact C++ local step), ADMM (OSQP local step) and the MILP oracle, side
by side in one group per size, each checked against the oracle's optimum.

Run:  python -m pytest bench/test_bench_offloading.py --benchmark-columns=median,iqr,rounds

K=1000, L=50 runs twice: on synthetic costs (Table III task and CPUs, lognormal uplink rates
around 100 Mbit/s, 3 MEC slots per BS: ~400 terminals compete for every MEC's 3 slots, a very
degenerate relaxation), and on a drawn network (Table III with M=64 BS antennas and N=4 terminal
antennas, seed 0: the HI tensor K x K x N x N is 256 MB at N=4, 1 GB at N=8; 66% of the
terminals gain by offloading there, with max-sensing beams).  The OSQP backend is not run at
that size (5 ADMM iterations took 74 s).
"""

from __future__ import annotations

import numpy as np
import pytest

import pyiscc as pi
from pyiscc.offloading import solve_admm, solve_milp
from test_offloading import synthetic_problem


@pytest.mark.parametrize("impl", ["admm-exact", "admm-osqp", "milp"])
def test_offloading_default(benchmark, impl):
    benchmark.group = "offloading default (L=3, K=9)"
    net = pi.draw_network(pi.Scenario(), seed=3)
    w = pi.max_sensing_beams(net)
    if impl == "milp":
        res = benchmark(pi.optimal_offloading, net, w)
    else:
        res = benchmark(pi.optimize_offloading, net, w, backend=impl.split("-")[1])
    benchmark.extra_info.update(objective=res.objective, iterations=res.iterations,
                                status=res.status)
    np.testing.assert_allclose(res.objective, pi.optimal_offloading(net, w).objective, rtol=1e-12)


@pytest.mark.parametrize("impl", ["admm-exact", "milp"])
def test_offloading_K1000_L50(benchmark, impl):
    benchmark.group = "offloading K=1000, L=50 (synthetic costs)"
    prob = synthetic_problem(50, 1000, seed=0)
    solve = solve_milp if impl == "milp" else solve_admm
    res = benchmark.pedantic(solve, args=(prob,), rounds=1, iterations=1)
    benchmark.extra_info.update(objective=res.objective, iterations=res.iterations,
                                recovery_iterations=res.recovery_iterations, status=res.status)
    np.testing.assert_allclose(res.objective, solve_milp(prob).objective, rtol=1e-9)


@pytest.fixture(scope="module")
def large_network():
    sc = pi.Scenario(n_bs=50, n_terminals=1000, bs_antennas=64, terminal_antennas=4)
    net = pi.draw_network(sc, seed=0)
    return net, pi.max_sensing_beams(net)


@pytest.mark.parametrize("impl", ["admm-exact", "milp"])
def test_offloading_drawn_K1000_L50(benchmark, impl, large_network):
    benchmark.group = "offloading K=1000, L=50, M=64, N=4 (drawn network, seed 0)"
    net, w = large_network
    solve = pi.optimal_offloading if impl == "milp" else pi.optimize_offloading
    res = benchmark.pedantic(solve, args=(net, w), rounds=1, iterations=1)
    benchmark.extra_info.update(objective=res.objective, iterations=res.iterations,
                                recovery_iterations=res.recovery_iterations, status=res.status)
    np.testing.assert_allclose(res.objective, pi.optimal_offloading(net, w).objective, rtol=1e-9)
