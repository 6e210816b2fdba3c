"""Algorithm 1 (pyiscc.optimize_offloading) and its MILP oracle (pyiscc.optimal_offloading)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from conftest import OBJECTIVE_RTOL

import pyiscc as pi
from pyiscc.offloading import offloading_problem


def small_network(seed, **changes):
    sc = pi.Scenario(n_bs=2, n_terminals=4, **changes)
    return pi.draw_network(sc, seed=seed)


def brute_force(prob):
    """Best binary decision by enumerating every mode of every terminal: (objective, modes)."""
    L, K = prob.cost_mec.shape
    best = (np.inf, None)
    for modes in itertools.product(range(-1, 2 * L), repeat=K):
        a = np.zeros((L, K))
        b = np.zeros((L, K))
        ok = True
        for k, m in enumerate(modes):
            if m < 0:
                ok &= not prob.must_offload[k]
            elif m < L:
                a[m, k] = 1.0
                ok &= bool(np.isfinite(prob.cost_mec[m, k]))
            else:
                b[m - L, k] = 1.0
                ok &= bool(np.isfinite(prob.cost_cloud[m - L, k]))
        if not ok or (a.sum(axis=1) > prob.capacity + 1e-12).any():
            continue
        value = prob.objective(a, b)
        if value < best[0]:
            best = (value, modes)
    return best


def assert_meets_18a_to_18d(net, w, res):
    """Binary, one choice per terminal, MEC capacity and power budget (up to the named
    infeasible terminals)."""
    assert res.a.dtype.kind == "i" and res.b.dtype.kind == "i"
    assert set(np.unique(res.a)) <= {0, 1} and set(np.unique(res.b)) <= {0, 1}
    assert (res.a.sum(axis=0) + res.b.sum(axis=0) <= 1).all()
    ev = pi.evaluate(net, w, res.a, res.b)
    bad = [v for v in ev.violations if v.constraint in ("mec_capacity", "power")
           and not (v.constraint == "power" and v.index in res.infeasible_terminals)]
    assert bad == []
    np.testing.assert_allclose(ev.total_latency, res.objective, rtol=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("changes", [{}, {"mec_capacity_hz": 3e9}, {"mec_capacity_hz": 4.5e9},
                                     {"backhaul_bps": 1e9, "mec_capacity_hz": 3e9}])
def test_oracle_matches_brute_force(seed, changes):
    net = small_network(seed, **changes)
    w = pi.max_sensing_beams(net)
    res = pi.optimal_offloading(net, w)
    best, _ = brute_force(offloading_problem(net, w))
    assert res.status == "optimal" and res.backend == "milp"
    np.testing.assert_allclose(res.objective, best, rtol=OBJECTIVE_RTOL)
    assert_meets_18a_to_18d(net, w, res)


def test_oracle_two_tier_never_uses_cloud():
    net = small_network(3, mec_capacity_hz=3e9)
    w = pi.max_sensing_beams(net)
    res = pi.optimal_offloading(net, w, cloud=False)
    assert res.b.sum() == 0
    best, _ = brute_force(offloading_problem(net, w, cloud=False))
    np.testing.assert_allclose(res.objective, best, rtol=OBJECTIVE_RTOL)
