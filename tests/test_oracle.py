"""DCET-ISCC against the certified global optimum of (18) (tests/oracle.py) on N = 1 drops."""

from __future__ import annotations

import numpy as np
import pytest

import pyiscc as pi
from oracle import solve_oracle

#: (K, sensing threshold dB, MEC capacity Hz) of the drops; seeds 0.. per setting.
SETTINGS = [(2, 5.0, 9e9), (3, 10.0, 3e9), (4, 10.0, 6e9), (3, 15.0, 9e9), (4, 5.0, 3e9)]
SEEDS_PER_SETTING = 7


def oracle_drops():
    for K, gamma_db, cap in SETTINGS:
        sc = pi.Scenario(n_bs=2, n_terminals=K, terminal_antennas=1, sensing_sinr_db=gamma_db,
                         mec_capacity_hz=cap)
        for seed in range(SEEDS_PER_SETTING):
            yield pi.draw_network(sc, seed=seed)


def test_oracle_matches_a_brute_force_grid():
    """The oracle's certified bounds bracket a dense grid search over the powers on a K = 2 drop
    (every decision)."""
    net = pi.draw_network(pi.Scenario(n_bs=2, n_terminals=2, terminal_antennas=1,
                                      sensing_sinr_db=5.0), seed=3)
    res = solve_oracle(net, rtol=1e-7)
    best = np.inf
    grid = np.linspace(0.0, 1.0, 41)
    for l0 in range(-1, 4):
        for l1 in range(-1, 4):
            a = np.zeros((2, 2))
            b = np.zeros((2, 2))
            for k, m in enumerate((l0, l1)):
                if m >= 0:
                    (a if m < 2 else b)[m % 2, k] = 1
            for p0 in grid * net.max_power_w[0]:
                for p1 in grid * net.max_power_w[1]:
                    w = np.sqrt(np.array([[p0], [p1]])) + 0j
                    ev = pi.evaluate(net, w, a, b, rtol=0.0)
                    if ev.feasible:
                        best = min(best, ev.total_latency)
    assert res.lower <= best * (1 + 1e-12)
    assert res.value <= best * (1 + 1e-12)
    w = np.sqrt(res.p)[:, None] + 0j
    a = np.zeros((2, 2))
    b = np.zeros((2, 2))
    for k, m in enumerate(res.modes):
        if m >= 0:
            (a if m < 2 else b)[m % 2, k] = 1
    ev = pi.evaluate(net, w, a, b)
    assert ev.feasible and abs(ev.total_latency - res.value) <= 1e-12 * res.value


@pytest.mark.slow
def test_dcet_iscc_near_the_global_optimum():
    gaps, hard_gaps = [], []
    for net in oracle_drops():
        ref = solve_oracle(net)
        sol = pi.solve(net, "dcet-iscc")
        if not np.isfinite(ref.value):
            assert not sol.feasible
            continue
        assert sol.feasible, sol.status
        gap = (sol.total_latency - ref.lower) / ref.lower
        gaps.append(gap)
        mrs = pi.max_sensing_beams(net)
        if not pi.evaluate(net, mrs, np.zeros((2, net.n_terminals)), np.zeros((2, net.n_terminals))).feasible:
            hard_gaps.append(gap)
    gaps = np.array(gaps)
    assert len(gaps) >= 30 and len(hard_gaps) >= 5
    # The project's targets: >= 95 % of the drops within 0.1 % of the optimum, all within 0.5 %
    # (measured on this set: 35 of 35 within 0.0001 %, docs/algorithms.md).
    assert np.mean(gaps <= 1e-3) >= 0.95, np.sort(gaps)[-5:]
    assert gaps.max() <= 5e-3, gaps.max()
    assert np.max(hard_gaps) <= 5e-3
