"""Random drops over wide parameter ranges, and an independently constructed feasible point, for
the fuzz test (tests/test_fuzz.py) and bench/fuzz_statuses.py.

The constructed point: every terminal offloads at full power P_th with its max-sensing beam, to
the MEC server of the first BS with room, else to the cloud (via BS 0); without the cloud, a
terminal that finds no MEC room computes locally with its max-sensing beam at
``P_th - eta (f^L)^3`` (when that is positive).  It is built from the model, not from the
library's solvers, and checked with ``pyiscc.evaluate``.
"""

from __future__ import annotations

import numpy as np

import pyiscc as pi

#: The schemes that enforce (18e).
ENFORCING = ("dcet-iscc", "ccet-iscc", "et-iscc")


def fuzz_network(seed: int) -> pi.Network:
    """One drop: K 1-6, L 1-3, N 1-4 (N = 1 in a quarter of the drops), M 1-8, sensing threshold
    -5 to 25 dB, P_th 10-33 dBm, MEC capacity 0, tight, default or huge, local CPUs 0.1-3 GHz per
    terminal (so eta (f^L)^3 >= P_th for some terminals), bandwidth 1-40 MHz."""
    rng = np.random.default_rng(seed)
    K = int(rng.integers(1, 7))
    L = int(rng.integers(1, 4))
    N = 1 if rng.random() < 0.25 else int(rng.integers(2, 5))
    cap = float(rng.choice([0.0, 3e9, 6e9, 9e9, 1e12]))
    sc = pi.Scenario(n_bs=L, n_terminals=K, terminal_antennas=N, bs_antennas=int(rng.integers(1, 9)),
                     sensing_sinr_db=float(rng.uniform(-5, 25)),
                     max_power_dbm=float(rng.uniform(10, 33)), mec_capacity_hz=cap,
                     bandwidth_hz=float(rng.uniform(1e6, 40e6)),
                     cpu_local_hz=float(rng.uniform(0.1e9, 3e9)))
    net = pi.draw_network(sc, rng=rng)
    f_local = rng.uniform(0.1e9, 3e9, K) if rng.random() < 0.7 else net.cpu_local_hz
    return pi.Network.from_arrays(sc, H=net.H, HI=net.HI, target_angle=net.target_angle,
                                  target_distance=net.target_distance, rcs=net.rcs,
                                  cpu_local_hz=f_local, bs_positions=net.bs_positions,
                                  terminal_positions=net.terminal_positions)


def constructed_point(net: pi.Network, cloud: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(w, a, b) of the module docstring."""
    sc = net.scenario
    L, K = net.n_bs, net.n_terminals
    slots = [int(np.floor(sc.mec_capacity_hz / sc.cpu_mec_hz + 1e-9))] * L
    a = np.zeros((L, K))
    b = np.zeros((L, K))
    power = np.array(net.max_power_w, dtype=float)
    for k in range(K):
        room = [l for l in range(L) if slots[l] > 0]
        if room:
            slots[room[0]] -= 1
            a[room[0], k] = 1
        elif cloud:
            b[0, k] = 1
        else:
            power[k] = max(net.max_power_w[k] - sc.chip_coefficient * net.cpu_local_hz[k] ** 3, 0.0)
    steer = net.steering / np.linalg.norm(net.steering, axis=1, keepdims=True)
    return np.sqrt(power)[:, None] * steer, a, b


def has_constructed_point(net: pi.Network, scheme: str) -> bool:
    """Whether the constructed point of ``scheme`` (cloud unless et-iscc) meets (18c)-(18e)."""
    w, a, b = constructed_point(net, cloud=scheme != "et-iscc")
    return pi.evaluate(net, w, a, b).feasible
