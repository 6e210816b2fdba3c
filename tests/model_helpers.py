"""Shared helpers of the model tests (test_metrics, test_network, test_beams): random valid
inputs and the relative-error assertion at the kernel tolerance."""

from __future__ import annotations

import numpy as np
from tolerances import KERNEL_RTOL

import pyiscc as pi


def random_inputs(L, K, M, N, seed):
    rng = np.random.default_rng(seed)
    sc = pi.Scenario(n_bs=L, n_terminals=K, bs_antennas=M, terminal_antennas=N)
    net = pi.draw_network(sc, rng=rng)
    scale = rng.uniform(0.05, 0.4)
    w = scale * (rng.standard_normal((K, N)) + 1j * rng.standard_normal((K, N)))
    # random valid decisions: each terminal local, MEC l or cloud via l
    choice = rng.integers(-1, 2 * L, size=K)
    a = np.zeros((L, K))
    b = np.zeros((L, K))
    for k, c in enumerate(choice):
        if 0 <= c < L:
            a[c, k] = 1
        elif c >= L:
            b[c - L, k] = 1
    return net, w, a, b


def assert_rel(actual, expected, rtol=KERNEL_RTOL):
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = np.maximum(np.abs(expected), 1e-300)
    err = np.max(np.abs(actual - expected) / scale) if expected.size else 0.0
    assert err <= rtol, f"max relative error {err:.3e} > {rtol:.0e}"
