"""The reference beamformers MRS and MRT (pyiscc/beams.py)."""

from __future__ import annotations

import numpy as np
import pytest

import pyiscc as pi


def test_max_sensing_beams_feasible_at_default():
    """DESIGN.md resolution 2: MRS meets 2 dB in most drops of the default scenario."""
    ok = 0
    for seed in range(40):
        net = pi.draw_network(seed=seed)
        ev = pi.evaluate(net, pi.max_sensing_beams(net), np.zeros((3, 9)), np.zeros((3, 9)))
        ok += ev.feasible
        assert np.allclose(ev.power, net.max_power_w)  # P_th - eta f^3 + eta f^3
    assert ok >= 32  # ~95% expected


def test_max_ratio_beams_are_dominant_singular_vectors():
    net = pi.draw_network(seed=11)
    w = pi.max_ratio_beams(net)
    p = pi.beams.beam_power(net)
    np.testing.assert_allclose(np.linalg.norm(w, axis=1) ** 2, p, rtol=1e-12)
    for k in range(9):
        gains = [np.linalg.norm(net.H[l, k].conj().T @ w[k]) / np.sqrt(p[k]) for l in range(3)]
        top = max(np.linalg.svd(net.H[l, k], compute_uv=False)[0] for l in range(3))
        assert max(gains) == pytest.approx(top, rel=1e-12)


@pytest.mark.parametrize("seed", [3, 11])
def test_fast_max_ratio_beams_match_the_baseline_up_to_a_phase(seed):
    """The multi-start's MRT start (eigh of H H^H) is DCET-MRT's beam (SVD of H) times a unit
    phase per terminal, so every rate and SINR is the same to rounding."""
    net = pi.draw_network(pi.Scenario(), seed=seed)
    w, fast = pi.max_ratio_beams(net), pi.beams.fast_max_ratio_beams(net)
    overlap = np.abs(np.einsum("kn,kn->k", w.conj(), fast))
    np.testing.assert_allclose(overlap, np.linalg.norm(w, axis=1) ** 2, rtol=1e-12)
    lam, _ = pi.beams.dominant_left_vectors(net.H)
    s = np.linalg.svd(net.H, compute_uv=False)[..., 0]
    np.testing.assert_allclose(lam, s ** 2, rtol=1e-12)
    a, b = np.zeros((3, 9)), np.zeros((3, 9))
    a[0, :4] = 1
    e1, e2 = pi.evaluate(net, w, a, b), pi.evaluate(net, fast, a, b)
    np.testing.assert_allclose(e2.echo_sinr, e1.echo_sinr, rtol=1e-12)
    np.testing.assert_allclose(e2.total_latency, e1.total_latency, rtol=1e-12)


def test_beam_power_leaves_room_for_local_computing():
    sc = pi.Scenario()
    net = pi.draw_network(sc, seed=1)
    np.testing.assert_allclose(pi.beams.beam_power(net), sc.max_power_w - sc.local_cpu_power_w)
    # a budget below the CPU's own power gives zero beams, not negative power
    tight = pi.Network.from_arrays(sc, net.H, net.HI, net.target_angle, net.target_distance,
                                   net.rcs, max_power_w=np.full(9, 0.5 * sc.local_cpu_power_w))
    np.testing.assert_array_equal(pi.max_sensing_beams(tight), 0)


def test_max_sensing_beams_point_at_the_target():
    net = pi.draw_network(seed=6)
    w = pi.max_sensing_beams(net, power_w=0.25)
    assert w.shape == (9, 8)
    np.testing.assert_allclose(np.linalg.norm(w, axis=1) ** 2, 0.25, rtol=1e-12)
    # |a^H w|^2 attains its Cauchy-Schwarz maximum ||a||^2 P
    gain = np.abs(np.einsum("kn,kn->k", net.steering.conj(), w)) ** 2
    np.testing.assert_allclose(gain, 8 * 0.25, rtol=1e-12)


def test_max_ratio_beams_per_terminal_power():
    net = pi.draw_network(seed=12)
    p = np.linspace(0.1, 0.9, 9)
    w = pi.max_ratio_beams(net, power_w=p)
    np.testing.assert_allclose(np.linalg.norm(w, axis=1) ** 2, p, rtol=1e-12)
