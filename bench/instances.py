"""Problem instances shared by the benchmarks and the bench scripts."""

from __future__ import annotations

import numpy as np

import pyiscc as pi
from pyiscc.beamforming import _core_problem, power_budget, serving_bs


def algorithm2_subproblems(seed: int = 0, iterations: int = 3) -> list[tuple[dict, np.ndarray]]:
    """The per-terminal sub-problems (56) of one Algorithm-2 iteration on a Table III drop (MILP
    decisions with the cloud, after `iterations` iterations), each with its start: the previous
    beam as the scaled real vector [Re w_k; Im w_k] / sqrt(P-bar_k).  9 at the default size."""
    net = pi.draw_network(pi.Scenario(), seed=seed)
    off = pi.optimal_offloading(net, pi.max_sensing_beams(net), cloud=True)
    w = pi.optimize_beamforming(net, off.a, off.b, max_iter=iterations).w
    serving = serving_bs(off.a, off.b)
    pbar = power_budget(net, serving)
    core = _core_problem(net, serving, pbar)
    return [(core.subproblem(w, k), np.concatenate([w[k].real, w[k].imag]) / np.sqrt(pbar[k]))
            for k in range(net.n_terminals)]
