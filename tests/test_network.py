"""Network and draw_network (pyiscc/network.py): heterogeneous terminals through from_arrays,
the drop's geometry, reproducibility, steering vectors and the nearest-BS rule."""

from __future__ import annotations

import numpy as np
import pytest
import reference_model as ref
from model_helpers import assert_rel, random_inputs

import pyiscc as pi
from pyiscc.network import default_bs_positions, nearest_bs, steering_vectors


def test_heterogeneous_terminals():
    net0, w, a, b = random_inputs(2, 4, 4, 2, seed=8)
    sc = net0.scenario
    Z = np.array([1e5, 2e5, 3e5, 4e5])
    fL = np.array([0.3e9, 0.5e9, 0.7e9, 1e9])
    net = pi.Network.from_arrays(sc, net0.H, net0.HI, net0.target_angle, net0.target_distance,
                                 net0.rcs, task_bits=Z, cpu_local_hz=fL)
    ev = pi.evaluate(net, w, a, b)
    expected = ref.evaluate(sc, net.H, net.HI, net.target_angle, net.target_distance, net.rcs,
                            w, a, b, task_bits=Z, cpu_local=fL)
    for got, want in zip((ev.rate, ev.echo_sinr, ev.latency, ev.power, ev.energy), expected):
        assert_rel(got, want)



def test_same_seed_same_drop_and_rng_equivalent():
    sc = pi.Scenario(n_bs=2, n_terminals=5, bs_antennas=4, terminal_antennas=3)
    a = pi.draw_network(sc, seed=17)
    b = pi.draw_network(sc, seed=17)
    c = pi.draw_network(sc, rng=np.random.default_rng(17))
    d = pi.draw_network(sc, seed=18)
    for name in ("H", "HI", "target_angle", "target_distance", "rcs", "terminal_positions"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(a, name), getattr(c, name))
    assert not np.array_equal(a.H, d.H)


def test_draw_respects_the_scenario_ranges_and_geometry():
    sc = pi.Scenario(target_angle_deg=(20.0, 40.0), target_distance_m=(50.0, 60.0),
                     rcs_range=(0.5, 0.6), area_m=200.0)
    net = pi.draw_network(sc, seed=3)
    assert net.H.shape == (3, 9, 8, 16) and net.HI.shape == (9, 9, 8, 8)
    assert np.all((np.deg2rad(20) <= net.target_angle) & (net.target_angle <= np.deg2rad(40)))
    assert np.all((50 <= net.target_distance) & (net.target_distance <= 60))
    assert np.all((0.5 <= net.rcs) & (net.rcs <= 0.6))
    centre = net.bs_positions.mean(axis=0)
    assert np.all(np.abs(net.terminal_positions - centre) <= 100.0)
    # no self-interference at a terminal's own echo receiver
    assert not np.any(net.HI[np.arange(9), np.arange(9)])
    # uplink large-scale fading rho_0 / d^2: the mean |h|^2 over the N x M entries follows it
    d = np.linalg.norm(net.bs_positions[:, None] - net.terminal_positions[None], axis=-1)
    power = np.mean(np.abs(net.H) ** 2, axis=(2, 3)) / (sc.path_loss / d ** 2)
    assert 0.6 < power.mean() < 1.4  # CN(0, 1) entries: mean power 1 over 27 x 128 samples


def test_default_bs_positions():
    np.testing.assert_allclose(default_bs_positions(3),
                               [[0, 0], [400, 0], [200, 200 * np.sqrt(3)]])
    pos = default_bs_positions(5)
    centre = default_bs_positions(3).mean(axis=0)
    radii = np.linalg.norm(pos - centre, axis=1)
    np.testing.assert_allclose(radii, radii[0], rtol=1e-12)
    np.testing.assert_allclose(pos[0], [0, 0], atol=1e-9)


def test_steering_vectors_match_eq_7():
    angle = np.array([0.0, 0.3, np.pi / 2, 2.5])
    a = steering_vectors(angle, 6, 0.5)
    assert a.shape == (4, 6)
    np.testing.assert_allclose(np.abs(a), 1.0, rtol=1e-15)
    assert_rel(a, ref.steering(angle, 6, 0.5))
    np.testing.assert_allclose(a[0], 1.0)  # broadside: all elements in phase


def test_nearest_bs_by_distance_and_by_channel_strength():
    net = pi.draw_network(seed=4)
    d = np.linalg.norm(net.bs_positions[:, None] - net.terminal_positions[None], axis=-1)
    np.testing.assert_array_equal(nearest_bs(net), np.argmin(d, axis=0))
    bare = pi.Network.from_arrays(net.scenario, net.H, net.HI, net.target_angle,
                                  net.target_distance, net.rcs)
    np.testing.assert_array_equal(nearest_bs(bare),
                                  np.argmax(np.linalg.norm(net.H, axis=(2, 3)), axis=0))


def test_network_is_read_only_and_reports_its_sizes():
    net = pi.draw_network(pi.Scenario(n_bs=2, n_terminals=4, bs_antennas=6, terminal_antennas=3),
                          seed=0)
    assert (net.n_bs, net.n_terminals, net.bs_antennas, net.terminal_antennas) == (2, 4, 6, 3)
    assert repr(net) == "Network(L=2, K=4, M=6, N=3)"
    for name in ("H", "HI", "steering", "echo_gain", "rcs"):
        with pytest.raises(ValueError):
            getattr(net, name)[0] = 0
    np.testing.assert_allclose(net.local_cpu_power_w, net.scenario.local_cpu_power_w)
