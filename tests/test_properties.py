"""Hypothesis property tests of the model's invariants."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import PROPERTY_RTOL
from hypothesis import given
from hypothesis import strategies as st

import pyiscc as pi

sizes = st.tuples(st.integers(1, 3), st.integers(1, 6), st.integers(1, 6), st.integers(1, 4))


def setup(size, seed, **scenario):
    L, K, M, N = size
    sc = pi.Scenario(n_bs=L, n_terminals=K, bs_antennas=M, terminal_antennas=N, **scenario)
    net = pi.draw_network(sc, seed=seed)
    rng = np.random.default_rng(seed + 1)
    w = 0.3 * (rng.standard_normal((K, N)) + 1j * rng.standard_normal((K, N)))
    return net, w


def decisions(net, choice):
    L, K = net.n_bs, net.n_terminals
    a, b = np.zeros((L, K)), np.zeros((L, K))
    for k in range(K):
        c = choice[k % len(choice)] % (2 * L + 1)
        if c < L:
            a[c, k] = 1
        elif c < 2 * L:
            b[c - L, k] = 1
    return a, b


@given(size=sizes, seed=st.integers(0, 10_000), k=st.integers(0, 5),
       phase=st.floats(0, 2 * np.pi))
def test_phase_rotation_of_one_beam_changes_nothing(size, seed, k, phase):
    net, w = setup(size, seed)
    k %= net.n_terminals
    zeros = np.zeros((net.n_bs, net.n_terminals))
    before = pi.evaluate(net, w, zeros, zeros)
    w2 = w.copy()
    w2[k] *= np.exp(1j * phase)
    after = pi.evaluate(net, w2, zeros, zeros)
    np.testing.assert_allclose(after.rate, before.rate, rtol=PROPERTY_RTOL)
    np.testing.assert_allclose(after.echo_sinr, before.echo_sinr, rtol=PROPERTY_RTOL)


@given(seed=st.integers(0, 10_000), n=st.integers(1, 3), extra=st.integers(1, 3),
       log_c=st.floats(-3, 3))
def test_noiseless_sinrs_are_scale_invariant(seed, n, extra, log_c):
    """Interference-limited (K - 1 >= M, noise -400 dBm/Hz): scaling every beam by c leaves the
    uplink and echo SINRs unchanged."""
    M = n
    K = M + extra
    net, w = setup((2, K, M, 2), seed, noise_psd_dbm_hz=-400.0)
    zeros = np.zeros((2, K))
    c = 10.0 ** log_c
    before = pi.evaluate(net, w, zeros, zeros)
    after = pi.evaluate(net, c * w, zeros, zeros)
    np.testing.assert_allclose(after.rate, before.rate, rtol=PROPERTY_RTOL)
    np.testing.assert_allclose(after.echo_sinr, before.echo_sinr, rtol=PROPERTY_RTOL)


@given(size=sizes, seed=st.integers(0, 10_000),
       choice=st.lists(st.integers(0, 100), min_size=1, max_size=6))
def test_latency_power_energy_identities(size, seed, choice):
    net, w = setup(size, seed)
    sc = net.scenario
    a, b = decisions(net, choice)
    ev = pi.evaluate(net, w, a, b)
    Z, beta = sc.task_bits, sc.cycles_per_bit
    np.testing.assert_allclose(ev.energy, ev.power * ev.latency, rtol=1e-15)
    assert ev.mean_latency == pytest.approx(ev.latency.sum() / net.n_terminals, rel=1e-14)
    tx = np.linalg.norm(w, axis=1) ** 2
    for k in range(net.n_terminals):
        mec, cloud = np.flatnonzero(a[:, k]), np.flatnonzero(b[:, k])
        if mec.size:
            want = Z / ev.rate[mec[0], k] + beta * Z / sc.cpu_mec_hz
            assert ev.power[k] == pytest.approx(tx[k], rel=1e-14)
        elif cloud.size:
            want = Z / ev.rate[cloud[0], k] + Z / sc.backhaul_bps + beta * Z / sc.cpu_cloud_hz
            assert ev.power[k] == pytest.approx(tx[k], rel=1e-14)
        else:
            want = beta * Z / sc.cpu_local_hz
            assert ev.power[k] == pytest.approx(tx[k] + sc.local_cpu_power_w, rel=1e-14)
        assert ev.latency[k] == pytest.approx(want, rel=1e-14)
    # T^C - T^E = Z/r^f + beta Z (1/f^C - 1/f^E) at every BS, eqs. (12), (15)
    t_local, t_mec, t_cloud = pi.metrics.mode_latencies(net, w)
    np.testing.assert_allclose(t_cloud - t_mec, Z / sc.backhaul_bps
                               + beta * Z * (1 / sc.cpu_cloud_hz - 1 / sc.cpu_mec_hz), rtol=1e-9)


@given(size=sizes, seed=st.integers(0, 10_000), scale=st.floats(0.1, 10))
def test_power_budget_scales_quadratically(size, seed, scale):
    net, w = setup(size, seed)
    zeros = np.zeros((net.n_bs, net.n_terminals))
    p1 = pi.evaluate(net, w, zeros, zeros).power - net.local_cpu_power_w
    p2 = pi.evaluate(net, scale * w, zeros, zeros).power - net.local_cpu_power_w
    np.testing.assert_allclose(p2, scale ** 2 * p1, rtol=1e-12)
